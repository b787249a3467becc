/*
 * config.c: the policy, in git-config syntax, read by libgit2.
 *
 * Every setting lives under the `pysec` section ([pysec] failOn = medium;
 * [pysec "shell-injection"] subprocess = ...).  pysec_config_load() reads
 * the sources in order of precedence; a source added as STRICT_ONLY
 * (content that is being pushed) may only make the policy stricter, and
 * what it tries beyond that is dropped with a note.  Values are read with
 * libgit2's own parsers, so that `yes`, `on`, `1` and `64k` mean what git
 * makes them mean.
 */
#include "config.h"
#include "bandit_files.h"
#include "committed.h"
#include "error.h"
#include "gitenv.h"
#include "settings.h"

#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

int pysec_config_new(pysec_config **out)
{
	struct pysec_config *c = xcalloc(1, sizeof(*c));

	c->notes.max = 64 * 1024;
	*out = c;
	return 0;
}

void pysec_config_free(pysec_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->len; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	for (i = 0; i < c->nsources; i++) {
		free(c->sources[i].name);
		free(c->sources[i].path);
		free(c->sources[i].text);
	}
	free(c->entries);
	free(c->sources);
	buf_free(&c->notes);
	free(c);
}

/* A new source of entries named `name` (for messages), in the file at `path` (NULL: none); its index. */
static size_t add_source(struct pysec_config *c, const char *name, const char *path)
{
	struct config_source *s = ARRAY_PUSH(c->sources, c->nsources, c->sources_cap);

	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->path = path ? xstrdup(path) : NULL;
	return c->nsources - 1;
}

static void add_entry(struct pysec_config *c, const char *key, const char *value, size_t source, size_t ordinal)
{
	struct config_entry *e = ARRAY_PUSH(c->entries, c->len, c->cap);

	e->key = xstrdup(key);
	e->value = xstrdup(value ? value : "true");
	e->source = source;
	e->ordinal = ordinal;
	e->line = 0;
}

/*
 * The first of several failures, its code and its message: the steps after
 * it still run, so that the whole policy is known (the gate follows its
 * pysec.onError wherever it is set), then it is the error.
 */
struct failure {
	int code;
	char *message;
};

static void failure_keep(struct failure *f, int rc)
{
	if (rc < 0 && !f->code) {
		f->code = rc;
		f->message = xstrdup(error_last());
	}
}

static int failure_return(struct failure *f)
{
	int rc = f->code ? error_set(f->code, "%s", f->message) : 0;

	free(f->message);
	return rc;
}

const char *pysec_config_get(const pysec_config *c, const char *key, const char *fallback)
{
	size_t i;

	for (i = c ? c->len : 0; i-- > 0;)
		if (!strcasecmp(c->entries[i].key, key))
			return c->entries[i].value;
	return fallback;
}

int pysec_config_bool(const pysec_config *c, const char *key, int fallback)
{
	const char *v = pysec_config_get(c, key, NULL);
	int b;

	if (!v)
		return fallback;
	/* libgit2 sets its own error on failure: a bad value is the loader's to report */
	if (git_config_parse_bool(&b, v) < 0) {
		git_error_clear();
		return fallback;
	}
	return b;
}

unsigned long long pysec_config_number(const pysec_config *c, const char *key, unsigned long long max,
	unsigned long long fallback)
{
	const char *v = pysec_config_get(c, key, NULL);
	unsigned long long n;

	return v && config_parse_uint(&n, v, max) == 0 ? n : fallback;
}

double pysec_config_seconds(const pysec_config *c, const char *key, double fallback)
{
	const char *v = pysec_config_get(c, key, NULL);
	double d;

	return v && setting_parse_seconds(&d, v) == 0 ? d : fallback;
}

/* Options named *.pattern hold one regex each; other lists split on commas and blanks. */
static int splits(const char *key)
{
	size_t n = strlen(key);

	return !(n >= 8 && !strcasecmp(key + n - 8, ".pattern"));
}

/* Append the items of one value of `key` to v[*n]. */
static void split_value(const char *key, const char *s, char ***v, size_t *n)
{
	if (!splits(key)) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = xstrdup(s);
		return;
	}
	while (*s) {
		const char *t;
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		for (t = s; *t && *t != ',' && !isspace((unsigned char)*t); t++)
			;
		if (t > s) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = xstrndup(s, (size_t)(t - s));
		}
		s = t;
	}
}

size_t config_list(const struct pysec_config *c, const char *key, char ***out)
{
	char **v = NULL;
	size_t i, n = 0;

	for (i = 0; c && i < c->len; i++)
		if (!strcasecmp(c->entries[i].key, key))
			split_value(key, c->entries[i].value, &v, &n);
	*out = v;
	return n;
}

size_t config_entry_items(const struct pysec_config *c, size_t i, char ***out)
{
	size_t n = 0;

	*out = NULL;
	split_value(c->entries[i].key, c->entries[i].value, out, &n);
	return n;
}

const char *pysec_config_notes(const pysec_config *c)
{
	return buf_cstr((struct buf *)&c->notes);
}

/* --- where an entry was set -------------------------------------------------- */

static int count_own(const git_config_entry *e, void *payload)
{
	if (e->include_depth == 0)
		(*(size_t *)payload)++;
	return 0;
}

/* The number of its own entries the first `len` bytes of `text` hold as a git-config file; -1: they do not parse. */
static long count_entries(const char *dir, const char *text, size_t len)
{
	char *path = xasprintf("%s/prefix", dir);
	git_config *gc = NULL;
	FILE *f = fopen(path, "w");
	int written = f && fwrite(text, 1, len, f) == len;
	size_t n = 0;
	long rc = -1;

	if (f && fclose(f) == 0 && written && git_config_new(&gc) == 0 &&
	    git_config_add_file_ondisk(gc, path, GIT_CONFIG_LEVEL_APP, NULL, 0) == 0 &&
	    git_config_foreach(gc, count_own, &n) == 0)
		rc = (long)n;
	git_config_free(gc);
	git_error_clear();
	unlink(path);
	free(path);
	return rc;
}

/* The entries in the first `lines` lines of `text`; a part that does not parse (a line continued past it) counts as the lines before it. */
static long entries_in_lines(const char *dir, const char *text, const size_t *ends, size_t lines)
{
	long n = -1;

	while (lines > 0 && (n = count_entries(dir, text, ends[lines - 1])) < 0)
		lines--;
	return n < 0 ? 0 : n;
}

/*
 * The line of the `ordinal`-th own entry of the git-config `text`.
 * libgit2 says what a file holds but not where: its first lines are parsed,
 * more or fewer (a binary search), until the entry is among them.  For
 * messages only; 0 when it cannot be told.
 */
static unsigned entry_line(const char *text, size_t len, size_t ordinal)
{
	char dir[] = "/tmp/pysec-config-line-XXXXXX";
	size_t *ends = NULL, nlines = 0, cap = 0, i, lo = 1, hi;
	unsigned line = 0;

	if (len > 1024 * 1024 || !mkdtemp(dir))
		return 0;
	for (i = 0; i < len; i++)
		if (text[i] == '\n' || i + 1 == len)
			*ARRAY_PUSH(ends, nlines, cap) = i + 1;
	for (hi = nlines; lo <= hi && hi > 0;) {
		size_t mid = lo + (hi - lo) / 2;
		if (entries_in_lines(dir, text, ends, mid) > (long)ordinal) {
			line = (unsigned)mid;
			hi = mid - 1;
		} else {
			lo = mid + 1;
		}
	}
	rmdir(dir);
	free(ends);
	return line;
}

static unsigned source_line(const struct config_source *s, size_t ordinal)
{
	struct buf b = BUF_INIT(1024 * 1024);
	unsigned line = 0;

	if (ordinal == SIZE_MAX)
		return 0;
	if (s->text)
		return entry_line(s->text, s->len, ordinal);
	if (s->path && file_read(&b, s->path, FILE_REGULAR) == 0)
		line = entry_line(b.ptr ? b.ptr : "", b.len, ordinal);
	buf_free(&b);
	return line;
}

char *pysec_config_where(const pysec_config *c, size_t i)
{
	const struct config_source *s = &c->sources[c->entries[i].source];
	unsigned line = c->entries[i].line ? c->entries[i].line : source_line(s, c->entries[i].ordinal);

	return line ? xasprintf("%s:%u", s->name, line) : xstrdup(s->name);
}

size_t pysec_config_count(const pysec_config *c)
{
	return c ? c->len : 0;
}

/* Does a later entry replace entry `i`?  A list (pysec.disable, a rule's option) takes every value. */
static int replaced(const struct pysec_config *c, size_t i)
{
	const char *key = c->entries[i].key;
	const struct setting *s = setting_find(key);
	size_t k;

	if (!s || s->list)
		return 0;
	for (k = i + 1; k < c->len; k++)
		if (!strcasecmp(c->entries[k].key, key))
			return 1;
	return 0;
}

void pysec_config_entry(const pysec_config *c, size_t i, pysec_config_item *out)
{
	const struct setting *s = setting_find(c->entries[i].key);

	out->key = s ? s->key : c->entries[i].key;
	out->value = c->entries[i].value;
	out->replaced = replaced(c, i);
}

int config_is_setting(const char *key)
{
	return setting_find(key) != NULL;
}

/* --- taking an entry ------------------------------------------------------------ */

/* pysec.NAME with no subsection, or pysec.SECTION.NAME of a front end's own section: not a rule's option. */
static int must_be_setting(const char *key)
{
	const char *first = strchr(key, '.'), *last = strrchr(key, '.');

	return first == last || setting_in_own_section(key);
}

/*
 * Is the last entry one pysec reads, with a value it takes?  Else the error
 * names where it was set, when `explain`: a file's later mistakes are not
 * reported, and a hostile file of many unknown keys must not cost a "did
 * you mean" search each.
 */
static int check_last(struct pysec_config *c, int explain)
{
	const struct config_entry *e = &c->entries[c->len - 1];
	const struct setting *s = setting_find(e->key);
	const char *close;
	char *where, *wanted;
	int rc = 0;

	if (!s && must_be_setting(e->key)) {
		if (!explain)
			return PYSEC_EINVALID;
		where = pysec_config_where(c, c->len - 1);
		close = setting_suggest(e->key);
		rc = error_set(PYSEC_EINVALID, "%s: unknown key '%s' (set to '%s')%s%s%s", where, e->key, e->value,
			close ? "; did you mean '" : "", close ? close : "", close ? "'?" : "");
		free(where);
	} else if (s && setting_check_value(s, e->value) < 0) {
		if (!explain)
			return PYSEC_EINVALID;
		wanted = xstrdup(error_last());	/* finding the line may say something else */
		where = pysec_config_where(c, c->len - 1);
		rc = error_set(PYSEC_EINVALID, "%s: bad value '%s' for '%s' %s", where, e->value, s->key, wanted);
		free(wanted);
		free(where);
	}
	return rc;
}

/* Is `value` for `key` stricter than (or as strict as) what is set now? */
static int stricter(const struct pysec_config *c, const char *key, const char *value)
{
	int b;

	if (!strcasecmp(key, "pysec.enable"))
		return 1;
	if (!strcasecmp(key, "pysec.failon") || !strcasecmp(key, "pysec.minconfidence")) {
		pysec_level now = pysec_level_parse(pysec_config_get(c, key, "low"));
		pysec_level want = pysec_level_parse(value);
		return want && want <= now;
	}
	if (!strcasecmp(key, "pysec.nosec")) {
		if (git_config_parse_bool(&b, value) < 0) {
			git_error_clear();
			return 0;
		}
		return !b;
	}
	return 0;
}

/*
 * Take one pysec.* entry from `source` (at `line` of it, where the reader
 * knew it; else 0), checked; one from a strict-only source that would not
 * make the policy stricter is dropped with a note.
 */
static int take_at(struct pysec_config *c, const char *key, const char *value, size_t source, size_t ordinal,
	unsigned line, pysec_config_trust trust, int explain)
{
	int keep = trust != PYSEC_CONFIG_STRICT_ONLY || stricter(c, key, value ? value : "true");
	char *where;
	int rc;

	add_entry(c, key, value, source, ordinal);
	c->entries[c->len - 1].line = line;
	if ((rc = check_last(c, explain)) < 0)
		return rc;
	if (!keep) {
		struct config_entry *e = &c->entries[c->len - 1];
		where = line ? pysec_config_where(c, c->len - 1) : xstrdup(c->sources[source].name);
		buf_printf(&c->notes, "%s: '%s' ignored: this file may only make the policy stricter\n", where, e->key);
		free(where);
		c->len--;
		free(e->key);
		free(e->value);
	}
	return 0;
}

static int take(struct pysec_config *c, const char *key, const char *value, size_t source, size_t ordinal,
	pysec_config_trust trust, int explain)
{
	return take_at(c, key, value, source, ordinal, 0, trust, explain);
}

/* The last entry that sets `key` in pysec's own sources (not a default, not a Bandit file), or SIZE_MAX. */
static size_t own_entry(const struct pysec_config *c, const char *key)
{
	size_t i;

	for (i = c->len; i-- > 0;) {
		const struct config_source *s = &c->sources[c->entries[i].source];
		if (!s->bandit && strcmp(s->name, "default") && !strcasecmp(c->entries[i].key, key))
			return i;
	}
	return SIZE_MAX;
}

/*
 * A project's Bandit configuration: each entry sets what it means to pysec
 * where pysec's own sources leave that unset; else, or when it means
 * nothing to pysec, a note says why, naming its line.
 */
static int add_bandit_config(struct pysec_config *c, const struct bandit_config *b, pysec_config_trust trust)
{
	size_t source = SIZE_MAX, i, own;
	char *where, *set;
	int rc = 0;

	for (i = 0; i < b->len && rc == 0; i++) {
		const struct bandit_entry *e = &b->entries[i];
		struct bandit_meaning m;
		bandit_meaning_of(&m, e);
		where = e->line ? xasprintf("%s:%u", b->path, e->line) : xstrdup(b->path);
		if (!m.key && m.note) {
			buf_printf(&c->notes, "%s: %s\n", where, m.note);
		} else if (m.key && (own = own_entry(c, m.key)) != SIZE_MAX) {
			set = pysec_config_where(c, own);
			buf_printf(&c->notes, "%s: Bandit's '%s' not used: %s is set in %s\n", where, e->key, m.key, set);
			free(set);
		} else if (m.key) {
			if (source == SIZE_MAX) {
				source = add_source(c, b->path, NULL);
				c->sources[source].bandit = 1;
			}
			rc = take_at(c, m.key, m.value, source, SIZE_MAX, e->line, trust, 1);
		}
		free(where);
		bandit_meaning_clear(&m);
	}
	return rc;
}

/* A source of its own per config level (a repository's config spans several files). */
struct collect {
	struct pysec_config *cfg;
	pysec_config_trust trust;
	git_repository *repo;		/* names the files of its levels; NULL: one file, in `sources[0]` */
	size_t sources[8], counts[8];	/* by level: the source (SIZE_MAX: none yet), its own entries so far */
	struct failure failure;		/* the first entry that is wrong; the others are still read */
};

/* The file of a repository's config level, for messages; NULL when it has none. */
static char *level_path(git_repository *repo, int level)
{
	git_buf b = GIT_BUF_INIT;
	char *path = NULL;
	int rc = -1;

	switch (level) {
	case GIT_CONFIG_LEVEL_SYSTEM: rc = git_config_find_system(&b); break;
	case GIT_CONFIG_LEVEL_XDG: rc = git_config_find_xdg(&b); break;
	case GIT_CONFIG_LEVEL_GLOBAL: rc = git_config_find_global(&b); break;
	case GIT_CONFIG_LEVEL_LOCAL: rc = git_repository_item_path(&b, repo, GIT_REPOSITORY_ITEM_CONFIG); break;
	default: break;
	}
	if (rc == 0)
		path = xstrdup(b.ptr);
	git_buf_dispose(&b);
	git_error_clear();
	return path;
}

static size_t level_source(struct collect *co, int level)
{
	size_t k = level > 0 && level < 8 ? (size_t)level : 0;
	char *path;

	if (co->sources[k] == SIZE_MAX) {
		path = level_path(co->repo, level);
		co->sources[k] = add_source(co->cfg, path ? path : "repository config", path);
		free(path);
	}
	return k;
}

static int collect_entry(const git_config_entry *e, void *payload)
{
	struct collect *co = payload;
	size_t k = co->repo ? level_source(co, e->level) : 0;
	size_t ordinal = e->include_depth ? SIZE_MAX : co->counts[k]++;

	if (strncasecmp(e->name, "pysec.", 6) != 0)
		return 0;
	failure_keep(&co->failure, take(co->cfg, e->name, e->value, co->sources[k], ordinal, co->trust,
		!co->failure.code));
	return 0;
}

/* Take the pysec.* entries of `gc`: of one file (source `source`), or of a repository's levels. */
static int add_git_config(struct pysec_config *c, git_config *gc, git_repository *repo, size_t source,
	pysec_config_trust trust)
{
	struct collect co;
	size_t k;
	int rc;

	memset(&co, 0, sizeof(co));
	co.cfg = c;
	co.trust = trust;
	co.repo = repo;
	for (k = 0; k < ARRAY_SIZE(co.sources); k++)
		co.sources[k] = repo ? SIZE_MAX : source;
	rc = git_config_foreach(gc, collect_entry, &co);
	if (rc < 0)
		failure_keep(&co.failure, error_from_git(PYSEC_EINVALID, repo ? "the repository's config" :
			c->sources[source].name));
	return failure_return(&co.failure);
}

/* Read `path` as a git-config file, naming it `origin` in notes and errors; `text` is kept for messages. */
static int add_file_as(struct pysec_config *c, const char *path, const char *origin, const char *text,
	size_t len, pysec_config_trust trust)
{
	size_t source = add_source(c, origin, text ? NULL : path);
	git_config *gc = NULL;
	int rc = 0;

	if (text) {
		c->sources[source].text = xstrndup(text, len);
		c->sources[source].len = len;
	}
	if (git_config_new(&gc) < 0 ||
	    git_config_add_file_ondisk(gc, path, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
		const git_error *e = git_error_last();
		const char *msg = e && e->message ? e->message : "invalid config";
		const char *at = strstr(msg, path);
		/* libgit2 names the file it read; say the name the user knows */
		if (at)
			rc = error_set(PYSEC_EINVALID, "%s: %.*s%s%s", origin, (int)(at - msg), msg, origin,
				at + strlen(path));
		else
			rc = error_set(PYSEC_EINVALID, "%s: %s", origin, msg);
	} else {
		rc = add_git_config(c, gc, NULL, source, trust);
	}
	git_config_free(gc);
	return rc;
}

int pysec_config_add_file(pysec_config *c, const char *path, pysec_config_trust trust)
{
	if (access(path, R_OK) != 0)
		return error_set(PYSEC_ENOTFOUND, "cannot read config file '%s'", path);
	return add_file_as(c, path, path, NULL, 0, trust);
}

/*
 * Whether `text` has a section header naming include or includeIf (or
 * anything that starts so: refusing too much is safe).  libgit2 follows
 * them while it parses, before any entry can be looked at, so the text is
 * checked first.
 */
static int text_has_include(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;

		if (!eol)
			eol = end;
		while (q < eol && isspace((unsigned char)*q))
			q++;
		if (q < eol && *q == '[') {
			for (q++; q < eol && isspace((unsigned char)*q); q++)
				;
			if ((size_t)(eol - q) >= 7 && strncasecmp(q, "include", 7) == 0)
				return 1;
		}
		p = eol + 1;
	}
	return 0;
}

/*
 * A buffer is committed content (a pushed .pysec, a pull request's): it
 * may not make the reader open other files, which would let whoever
 * commits it read the server's files into the policy and its messages, or
 * hang the hook on a FIFO.
 */
int pysec_config_add_buffer(pysec_config *c, const char *name, const char *text, size_t len,
	pysec_config_trust trust)
{
	char tmpl[] = "/tmp/pysec-config-XXXXXX";
	int fd, rc;
	size_t off = 0;

	if (text_has_include(text, len))
		return error_set(PYSEC_EINVALID, "%s: include and includeIf are not followed in a committed file", name);
	/* libgit2 parses config files only from disk */
	fd = mkstemp(tmpl);
	if (fd < 0)
		return error_set(PYSEC_ERROR, "cannot create a temporary file for %s", name);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	rc = off < len ? error_set(PYSEC_ERROR, "cannot write a temporary file for %s", name)
		       : add_file_as(c, tmpl, name, text, len, trust);
	unlink(tmpl);
	return rc;
}

int pysec_config_add_repository(pysec_config *c, git_repository *repo)
{
	git_config *gc = NULL;
	int rc;

	if (git_repository_config_snapshot(&gc, repo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot read the repository's config");
	rc = add_git_config(c, gc, repo, 0, PYSEC_CONFIG_NORMAL);
	git_config_free(gc);
	return rc;
}

/* The source named `name` that is no file ("command line", "git -c"), made when there is none yet. */
static size_t named_source(struct pysec_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsources; i++)
		if (!c->sources[i].path && !c->sources[i].text && !strcmp(c->sources[i].name, name))
			return i;
	return add_source(c, name, NULL);
}

static int take_named(struct pysec_config *c, const char *key, const char *value, const char *origin)
{
	return take(c, key, value, named_source(c, origin), SIZE_MAX, PYSEC_CONFIG_NORMAL, 1);
}

/* A setting of git -c: only pysec's are kept. */
static int take_git_setting(const char *key, const char *value, const char *origin, void *ctx)
{
	return strncasecmp(key, "pysec.", 6) ? 0 : take_named(ctx, key, value, origin);
}

static int set_from(struct pysec_config *c, const char *key, const char *value, const char *origin)
{
	if (strncasecmp(key, "pysec.", 6) != 0)
		return error_set(PYSEC_EINVALID, "config key '%s' is not in the pysec section", key);
	return take_named(c, key, value, origin);
}

int pysec_config_set(pysec_config *c, const char *key, const char *value)
{
	return set_from(c, key, value, "command line");
}

int pysec_config_add_committed_file(pysec_config *c, git_repository *repo, const git_oid *commit,
	const char *path, pysec_config_trust trust)
{
	git_blob *blob = NULL;
	char *name;
	int rc;

	if ((rc = committed_file_read(&blob, repo, commit, path, 64 * 1024)) < 0)
		return rc;
	name = xasprintf("%s (pushed)", path);
	rc = pysec_config_add_buffer(c, name, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), trust);
	free(name);
	git_blob_free(blob);
	return rc;
}

/* --- the loader ------------------------------------------------------------- */

static const char *process_getenv(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

static int add_pairs(struct pysec_config *c, const char *const *pairs, const char *origin)
{
	int rc;

	for (; pairs && pairs[0]; pairs += 2)
		if ((rc = set_from(c, pairs[0], pairs[1], origin)) < 0)
			return rc;
	return 0;
}

/* A file that may be missing: only one that is there is read. */
static int add_optional_file(struct pysec_config *c, const char *path)
{
	return access(path, F_OK) == 0 ? pysec_config_add_file(c, path, PYSEC_CONFIG_NORMAL) : 0;
}

static int add_optional_commit(struct pysec_config *c, git_repository *repo, const git_oid *commit,
	pysec_config_trust trust)
{
	int rc = pysec_config_add_committed_file(c, repo, commit, ".pysec", trust);

	return rc == PYSEC_ENOTFOUND ? 0 : rc;
}

/* Are the strict-only commits' files read?  Where the policy asks for it, only when it allows them. */
static int strict_allowed(const struct pysec_config *c, const pysec_config_sources *src)
{
	return !src->strict_if_allowed || pysec_config_bool(c, "pysec.allowInTreeConfig", 0);
}

static int add_strict_commits(struct pysec_config *c, const pysec_config_sources *src)
{
	size_t i;
	int rc;

	if (!strict_allowed(c, src))
		return 0;
	for (i = 0; i < src->strict_count; i++)
		if ((rc = add_optional_commit(c, src->repo, &src->strict_commits[i], PYSEC_CONFIG_STRICT_ONLY)) < 0)
			return rc;
	return 0;
}

/* A Bandit file that a reader filled in `b` (it returned `rc`), taken; one that is not there is fine. */
static int take_bandit(struct pysec_config *c, struct bandit_config *b, int rc, pysec_config_trust trust)
{
	if (rc == 0)
		rc = add_bandit_config(c, b, trust);
	bandit_config_free(b);
	memset(b, 0, sizeof(*b));
	return rc == PYSEC_ENOTFOUND ? 0 : rc;
}

/*
 * The project's Bandit configuration, under everything pysec's own sources
 * say: a file named on the command line takes the place of pyproject.toml,
 * as Bandit's -c does; .bandit is read with either.
 */
static int add_bandit(struct pysec_config *c, const pysec_config_sources *src)
{
	struct failure f = { 0, NULL };
	struct bandit_config b = { 0 };
	enum bandit_file which;
	size_t i;

	if (src->bandit_file)
		failure_keep(&f, take_bandit(c, &b, bandit_files_read_named(&b, src->bandit_file), PYSEC_CONFIG_NORMAL));
	if (!pysec_config_bool(c, "pysec.banditConfig", 1))
		return failure_return(&f);
	for (which = src->bandit_file ? BANDIT_INI : BANDIT_PYPROJECT; which < BANDIT_FILES; which++) {
		if (src->bandit_dir)
			failure_keep(&f, take_bandit(c, &b, bandit_files_read_dir(&b, src->bandit_dir, which),
				PYSEC_CONFIG_NORMAL));
		if (src->repo && src->tree_commit)
			failure_keep(&f, take_bandit(c, &b, bandit_files_read_commit(&b, src->repo, src->tree_commit,
				which, 0), PYSEC_CONFIG_NORMAL));
		for (i = 0; src->repo && strict_allowed(c, src) && i < src->strict_count; i++)
			failure_keep(&f, take_bandit(c, &b, bandit_files_read_commit(&b, src->repo,
				&src->strict_commits[i], which, 1), PYSEC_CONFIG_STRICT_ONLY));
	}
	return failure_return(&f);
}

static int load_sources(struct pysec_config *c, const pysec_config_sources *src)
{
	struct failure f = { 0, NULL };

	failure_keep(&f, add_pairs(c, src->defaults, "default"));
	if (src->system_file)
		failure_keep(&f, add_optional_file(c, src->system_file));
	if (src->repo)
		failure_keep(&f, pysec_config_add_repository(c, src->repo));
	if (src->tree_file)
		failure_keep(&f, add_optional_file(c, src->tree_file));
	if (src->repo && src->tree_commit)
		failure_keep(&f, add_optional_commit(c, src->repo, src->tree_commit, PYSEC_CONFIG_NORMAL));
	if (src->repo)
		failure_keep(&f, add_strict_commits(c, src));
	if (src->extra_file)
		failure_keep(&f, pysec_config_add_file(c, src->extra_file, PYSEC_CONFIG_NORMAL));
	if (src->command_line)
		failure_keep(&f, gitenv_read(src->getenv, src->payload, take_git_setting, c));
	failure_keep(&f, add_pairs(c, src->flags, "command line"));
	failure_keep(&f, add_bandit(c, src));
	return failure_return(&f);
}

int pysec_config_load(pysec_config **out, const pysec_config_sources *sources)
{
	pysec_config_sources src = *sources;

	if (!src.getenv)
		src.getenv = process_getenv;
	pysec_config_new(out);
	return load_sources(*out, &src);
}
