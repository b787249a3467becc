/*
 * cache.c: what a long-running caller keeps warm between scans: compiled
 * engines, one per policy, and the result of scanning one blob.
 *
 * Why a result is keyed by the lines scanned, not stored for all lines and
 * filtered on use: the engine's output for a file is not a filter of its
 * all-lines output.  A fingerprint numbers the identical findings before
 * it, counting only findings on touched lines; B608 judges a `+`/`%`
 * chain at its first string that is touched, so where (and whether) the
 * chain's finding lands depends on which of its lines are touched.  A
 * filtered all-lines result would change fingerprints (and so duplicate
 * review comments) and lose findings.  So the key holds everything
 * engine_scan_file() reads: the engine (by its policy), the blob, the path, the
 * code and text line sets; the commit is not part of the result and is set
 * on each use, and the commit attribution after it (scan.c) runs as usual.
 */
#include "cache.h"
#include "pysec.h"
#include "util.h"
#include "config.h"
#include "engine.h"
#include "report.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

struct cache_engine {
	char *policy;		/* the serialized policy: what the engine was compiled from */
	pysec_engine *engine;
	uint64_t id;		/* results are keyed by it */
	unsigned refs;
	uint64_t used;		/* tick of the last use, for eviction */
};

struct cache_item {
	char *key;
	uint64_t hash;
	struct pysec_report result;	/* findings without their commit, and entries */
	size_t bytes;
	struct cache_item *chain;	/* next in its bucket */
	struct cache_item *prev, *next;	/* recency list, newest first */
};

struct pysec_cache {
	pthread_mutex_t lock;
	pysec_cache_options opts;
	struct cache_engine *engines;
	size_t nengines, engcap;
	uint64_t next_id, tick;
	struct cache_item **buckets;
	size_t nbuckets;
	struct cache_item *newest, *oldest;
	size_t nitems, bytes;
	uint64_t hits, misses, evictions;
};

int pysec_cache_new(pysec_cache **out, const pysec_cache_options *opts)
{
	pysec_cache_options defaults = PYSEC_CACHE_OPTIONS_INIT;
	struct pysec_cache *c = xcalloc(1, sizeof(*c));

	c->opts = opts ? *opts : defaults;
	if (!c->opts.max_engines)
		c->opts.max_engines = 1;
	c->nbuckets = 1024;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

static void item_free(struct cache_item *it)
{
	report_clear(&it->result);
	free(it->key);
	free(it);
}

void pysec_cache_free(pysec_cache *c)
{
	struct cache_item *it, *next;
	size_t i;

	if (!c)
		return;
	for (it = c->newest; it; it = next) {
		next = it->next;
		item_free(it);
	}
	for (i = 0; i < c->nengines; i++) {
		free(c->engines[i].policy);
		pysec_engine_free(c->engines[i].engine);
	}
	free(c->engines);
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* --- engines ------------------------------------------------------------- */

/* Settings of the gate, the review and the daemon: they do not change what the rules find. */
static int engine_blind(const char *key)
{
	static const char *const keys[] = {
		"pysec.failon", "pysec.minconfidence", "pysec.timebudget", "pysec.maxcommits",
		"pysec.onerror", "pysec.bypassusers", "pysec.uservariable", "pysec.bypasslog",
		"pysec.allowintreeconfig", "pysec.daemonsocket", "pysec.daemontimeout",
	};
	size_t i;

	if (!strncasecmp(key, "pysec.review.", 13) || !strncasecmp(key, "pysec.daemon.", 13) ||
	    !strncasecmp(key, "pysec.gitlab.", 13) || !strncasecmp(key, "pysec.gitea.", 12))
		return 1;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcasecmp(key, keys[i]))
			return 1;
	return 0;
}

/*
 * What an engine is compiled from: the entries of the policy that can
 * change it, in order, and the name, size and time of each rule file in
 * the rules directories (so that an edited rule file is a new policy).
 */
static char *policy_text(const struct pysec_config *cfg)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	char **dirs = NULL;
	size_t i, ndirs;

	for (i = 0; cfg && i < cfg->len; i++) {
		if (engine_blind(cfg->entries[i].key))
			continue;
		buf_printf(&b, "%zu:%s=%zu:%s\n", strlen(cfg->entries[i].key), cfg->entries[i].key,
			strlen(cfg->entries[i].value), cfg->entries[i].value);
	}
	ndirs = cfg ? config_list(cfg, "pysec.rulesdir", &dirs) : 0;
	for (i = 0; i < ndirs; i++) {
		struct dirent **names = NULL;
		int n = scandir(dirs[i], &names, NULL, alphasort), k;
		buf_printf(&b, "dir %s %d\n", dirs[i], n);
		for (k = 0; k < n; k++) {
			struct stat st;
			char *path = xasprintf("%s/%s", dirs[i], names[k]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				buf_printf(&b, " %s %lld %lld.%09ld\n", names[k]->d_name, (long long)st.st_size,
					(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			free(path);
			free(names[k]);
		}
		free(names);
		free(dirs[i]);
	}
	free(dirs);
	return buf_detach(&b);
}

/* With the lock held: a reference on the engine compiled for `policy`, or NULL. */
static const pysec_engine *engine_take(pysec_cache *c, const char *policy)
{
	size_t i;

	for (i = 0; i < c->nengines; i++) {
		if (!strcmp(c->engines[i].policy, policy)) {
			c->engines[i].refs++;
			c->engines[i].used = ++c->tick;
			return c->engines[i].engine;
		}
	}
	return NULL;
}

int pysec_cache_engine(const pysec_engine **out, pysec_cache *c, const pysec_config *cfg)
{
	char *policy = policy_text(cfg);
	pysec_engine *engine = NULL;
	struct cache_engine *e;
	size_t i, victim = SIZE_MAX;
	int rc;

	pthread_mutex_lock(&c->lock);
	*out = engine_take(c, policy);
	pthread_mutex_unlock(&c->lock);
	if (*out) {
		free(policy);
		return 0;
	}

	/* compiled outside the lock: another policy's scans need not wait for it */
	if ((rc = pysec_engine_new(&engine, cfg)) < 0) {
		free(policy);
		return rc;
	}
	pthread_mutex_lock(&c->lock);
	if ((*out = engine_take(c, policy)) != NULL) {
		/* another thread compiled it meanwhile: use theirs */
		pthread_mutex_unlock(&c->lock);
		pysec_engine_free(engine);
		free(policy);
		return 0;
	}
	if (c->nengines >= c->opts.max_engines) {
		/* the least recently used engine nobody holds makes room */
		for (i = 0; i < c->nengines; i++)
			if (!c->engines[i].refs && (victim == SIZE_MAX || c->engines[i].used < c->engines[victim].used))
				victim = i;
		if (victim != SIZE_MAX) {
			free(c->engines[victim].policy);
			pysec_engine_free(c->engines[victim].engine);
			c->engines[victim] = c->engines[--c->nengines];
		}
	}
	e = ARRAY_PUSH(c->engines, c->nengines, c->engcap);
	e->policy = policy;
	e->engine = engine;
	e->id = ++c->next_id;
	e->refs = 1;
	e->used = ++c->tick;
	*out = engine;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void pysec_cache_engine_release(pysec_cache *c, const pysec_engine *engine)
{
	size_t i;

	if (!c || !engine)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nengines; i++)
		if (c->engines[i].engine == engine && c->engines[i].refs)
			c->engines[i].refs--;
	pthread_mutex_unlock(&c->lock);
}

/* The id of an engine this cache compiled; 0 for any other (whose results are not kept). */
static uint64_t engine_id(struct pysec_cache *c, const pysec_engine *engine)
{
	uint64_t id = 0;
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nengines && !id; i++)
		if (c->engines[i].engine == engine)
			id = c->engines[i].id;
	pthread_mutex_unlock(&c->lock);
	return id;
}

/* --- results ------------------------------------------------------------- */

static void key_lines(struct buf *b, const char *what, const struct lineset *set)
{
	size_t i;

	if (!set) {
		buf_printf(b, "/%s:-", what);
		return;
	}
	buf_printf(b, "/%s:%s", what, set->all ? "all" : "");
	for (i = 0; !set->all && i < set->len; i++)
		buf_printf(b, "%u-%u,", set->ranges[i].start, set->ranges[i].end);
}

static char *result_key(uint64_t engine, const git_oid *oid, const struct file_scan *f)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	buf_printf(&b, "%llu/%s/%d", (unsigned long long)engine, hex, f->python);
	key_lines(&b, "code", f->code);
	key_lines(&b, "text", f->text);
	buf_printf(&b, "/%s", f->path);
	return buf_detach(&b);
}

static void unlink_item(struct pysec_cache *c, struct cache_item *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		c->newest = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		c->oldest = it->prev;
	it->prev = it->next = NULL;
}

static void push_newest(struct pysec_cache *c, struct cache_item *it)
{
	it->prev = NULL;
	it->next = c->newest;
	if (c->newest)
		c->newest->prev = it;
	c->newest = it;
	if (!c->oldest)
		c->oldest = it;
}

static struct cache_item *lookup(struct pysec_cache *c, const char *key, uint64_t h)
{
	struct cache_item *it;

	for (it = c->buckets[h % c->nbuckets]; it; it = it->chain)
		if (it->hash == h && !strcmp(it->key, key))
			return it;
	return NULL;
}

static void remove_item(struct pysec_cache *c, struct cache_item *it)
{
	struct cache_item **p = &c->buckets[it->hash % c->nbuckets];

	while (*p != it)
		p = &(*p)->chain;
	*p = it->chain;
	unlink_item(c, it);
	c->nitems--;
	c->bytes -= it->bytes;
	item_free(it);
}

static void grow_buckets(struct pysec_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct cache_item **b = xcalloc(n, sizeof(*b));

	for (i = 0; i < c->nbuckets; i++) {
		struct cache_item *it = c->buckets[i], *next;
		for (; it; it = next) {
			next = it->chain;
			it->chain = b[it->hash % n];
			b[it->hash % n] = it;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Keep `result` (taken over) under `key` (taken over), evicting the oldest beyond the bounds. */
static void store(struct pysec_cache *c, char *key, uint64_t h, struct pysec_report *result)
{
	struct cache_item *it;
	size_t i, bytes = sizeof(*it) + strlen(key) + 1;

	for (i = 0; i < result->nfindings; i++) {
		const pysec_finding *f = &result->findings[i];
		bytes += sizeof(*f) + slen(f->rule) + slen(f->title) + slen(f->path) + slen(f->message) +
			 slen(f->fix) + slen(f->code) + slen(f->fingerprint) + slen(f->suggestion) +
			 slen(f->related_code);
	}
	for (i = 0; i < result->nentries; i++)
		bytes += sizeof(pysec_entry) + slen(result->entries[i].path) + slen(result->entries[i].message);
	it = xcalloc(1, sizeof(*it));
	it->key = key;
	it->hash = h;
	it->result = *result;
	it->bytes = bytes;
	memset(result, 0, sizeof(*result));
	if (bytes > c->opts.max_bytes || !c->opts.max_entries || lookup(c, key, h)) {
		/* too large to keep, or another thread stored it first */
		item_free(it);
		return;
	}
	while (c->oldest && (c->nitems + 1 > c->opts.max_entries || c->bytes + bytes > c->opts.max_bytes)) {
		remove_item(c, c->oldest);
		c->evictions++;
	}
	if (c->nitems + 1 > c->nbuckets)
		grow_buckets(c);
	it->chain = c->buckets[h % c->nbuckets];
	c->buckets[h % c->nbuckets] = it;
	push_newest(c, it);
	c->nitems++;
	c->bytes += bytes;
}

/* Append `from` to `report`, each finding with `commit` (as engine_scan() would have set it). */
static void copy_result(struct pysec_report *report, const struct pysec_report *from, const char *commit)
{
	size_t i;

	for (i = 0; i < from->nfindings; i++) {
		pysec_finding f = from->findings[i];
		f.commit = commit && *commit ? commit : NULL;
		report_add_finding(report, &f);
	}
	for (i = 0; i < from->nentries; i++) {
		const pysec_entry *e = &from->entries[i];
		report_add_entry(report, e->kind, e->path, e->line, "%s", e->message);
	}
}

int cache_scan(pysec_cache *c, const pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, const git_oid *oid, double deadline)
{
	struct pysec_report fresh = { 0 };
	struct file_scan plain = *f;
	struct cache_item *it;
	uint64_t id = engine_id(c, eng), h;
	char *key;
	size_t i;
	int rc;

	if (!id)
		return engine_scan_file(eng, report, f, deadline);
	key = result_key(id, oid, f);
	h = hash_bytes(key, strlen(key), HASH_SEED);
	pthread_mutex_lock(&c->lock);
	if ((it = lookup(c, key, h)) != NULL) {
		unlink_item(c, it);
		push_newest(c, it);
		c->hits++;
		copy_result(report, &it->result, f->commit);
		pthread_mutex_unlock(&c->lock);
		free(key);
		return 0;
	}
	c->misses++;
	pthread_mutex_unlock(&c->lock);

	plain.commit = NULL;
	rc = engine_scan_file(eng, &fresh, &plain, deadline);
	copy_result(report, &fresh, f->commit);
	if (rc == 0) {
		/* a scan the budget cut short is not the blob's result */
		pthread_mutex_lock(&c->lock);
		store(c, key, h, &fresh);
		pthread_mutex_unlock(&c->lock);
		key = NULL;
	}
	free(key);
	for (i = 0; i < fresh.nfindings; i++) {
		pysec_finding *x = &fresh.findings[i];
		free((char *)x->rule);
		free((char *)x->title);
		free((char *)x->path);
		free((char *)x->message);
		free((char *)x->fix);
		free((char *)x->code);
		free((char *)x->commit);
		free((char *)x->fingerprint);
		free((char *)x->suggestion);
		free((char *)x->related_code);
	}
	for (i = 0; i < fresh.nentries; i++) {
		free((char *)fresh.entries[i].path);
		free((char *)fresh.entries[i].message);
	}
	free(fresh.findings);
	free(fresh.entries);
	return rc;
}

void pysec_cache_stats_get(pysec_cache_stats *out, pysec_cache *c)
{
	pthread_mutex_lock(&c->lock);
	out->hits = c->hits;
	out->misses = c->misses;
	out->evictions = c->evictions;
	out->entries = c->nitems;
	out->bytes = c->bytes;
	out->engines = c->nengines;
	pthread_mutex_unlock(&c->lock);
}
