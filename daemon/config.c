/*
 * config.c: the daemon's settings, in the system policy file, read by the
 * policy's loader as every scan reads that file (so an unknown key or a bad
 * value is refused with where it was set, and the keys are those of its
 * table, diffscan/settings.c); the values are then checked here:
 *
 *   [pysec]
 *       daemonSocket = /run/pysec/pysec.sock    hooks connect here
 *   [pysec "daemon"]
 *       root = /srv/git                          repositories served (repeatable)
 *       allowUser = git                          peers allowed on the socket (repeatable)
 *       allowGroup = git
 *       socketGroup = git
 *       workers = 0                              0: one per CPU
 *       queue = 0                                hook connections waiting; 0: 8 per worker
 *       requestTimeout = 5
 *       cacheEntries = 100000
 *       cacheBytes = 268435456
 *       listen = 127.0.0.1:8089                  the webhook listener
 *       queueDb = /var/lib/pysec/queue.db        or postgresql://... , or a libpq conninfo
 *       queueSync = full                         or normal (SQLite)
 *       queuePasswordFile = /etc/pysec/queue.password   (PostgreSQL)
 *       queueLease = 30                          seconds a claim lasts unrenewed (PostgreSQL)
 *       maxBody = 1048576
 *       maxPending = 10000
 *       reviewWorkers = 2
 *       attempts = 6
 *       backoffMs = 5000
 *       backoffMaxMs = 600000
 *       stopTimeout = 20                         seconds from SIGTERM to the exit
 *       project = gitlab group/app /srv/git/group/app.git   (repeatable)
 *   [pysec "gitlab"]
 *       url = https://gitlab.example.com
 *       tokenFile = /etc/pysec/gitlab.token
 *       secretFile = /etc/pysec/gitlab.secret
 *   [pysec "gitea"], [pysec "github"]   (the same keys)
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where `key` was last set ("FILE:LINE"), for a message; the caller frees it. */
static char *setting_where(const pysec_config *c, const char *key)
{
	pysec_config_item item;
	size_t i;

	for (i = pysec_config_count(c); i-- > 0;) {
		pysec_config_entry(c, i, &item);
		if (!strcasecmp(item.key, key))
			return pysec_config_where(c, i);
	}
	return xstrdup("default");
}

static char *get_str(const pysec_config *c, const char *key)
{
	const char *v = pysec_config_get(c, key, NULL);

	return v ? xstrdup(v) : NULL;
}

/* `key` as a whole number up to `max`, or `fallback` when it is not set. */
static int get_num(unsigned long long *out, const pysec_config *c, const char *key, unsigned long long max,
	unsigned long long fallback)
{
	const char *s = pysec_config_get(c, key, NULL);
	char *where;
	int rc = 0;

	*out = fallback;
	if (s && config_parse_uint(out, s, max) < 0) {
		where = setting_where(c, key);
		rc = error_set(PYSEC_EINVALID, "%s: %s must be a whole number up to %llu, not '%s'", where, key, max, s);
		free(where);
	}
	return rc;
}

/*
 * The first line of a secret file, without its line break.  Only a regular
 * file: a FIFO or a device named by mistake would block the daemon or
 * give it noise.
 */
static int read_secret(char **out, const char *path)
{
	char *secret;

	*out = NULL;
	if (file_read_secret(&secret, path, FILE_REGULAR) < 0) {
		if (errno == EINVAL)
			return error_set(PYSEC_EINVALID, "'%s' is not a regular file", path);
		return error_set(PYSEC_EINVALID, "cannot read '%s': %s", path, strerror(errno));
	}
	if (!*secret) {
		secret_free(secret);
		return error_set(PYSEC_EINVALID, "'%s' is empty", path);
	}
	*out = secret;
	return 0;
}

typedef int (*each_fn)(struct dconfig *cfg, const char *value);

/*
 * `fn` for each value of the multi-valued `key`, in the file's order, up to
 * the first failure, whose message then starts with where it was set.
 */
static int each_value(const pysec_config *c, const char *key, struct dconfig *cfg, each_fn fn)
{
	pysec_config_item item;
	size_t i, n = pysec_config_count(c);
	char *where;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		pysec_config_entry(c, i, &item);
		if (!strcasecmp(item.key, key) && (rc = fn(cfg, item.value ? item.value : "")) < 0) {
			where = pysec_config_where(c, i);
			rc = error_set(rc, "%s: %s", where, error_last());
			free(where);
		}
	}
	return rc;
}

static int add_root(struct dconfig *cfg, const char *value)
{
	char real[PATH_MAX];

	if (!realpath(value, real))
		return error_set(PYSEC_EINVALID, "pysec.daemon.root '%s': %s", value, strerror(errno));
	*ARRAY_PUSH(cfg->roots, cfg->nroots, cfg->cap_roots) = xstrdup(real);
	return 0;
}

/* A number names a user or group by its id; anything else by its name. */
static int is_id(const char *value, unsigned long *id)
{
	char *end;

	*id = strtoul(value, &end, 10);
	return *value && !*end;
}

static int add_user(struct dconfig *cfg, const char *value)
{
	unsigned long id;
	struct passwd *pw;

	if (!is_id(value, &id)) {
		if (!(pw = getpwnam(value)))
			return error_set(PYSEC_EINVALID, "pysec.daemon.allowUser: no user '%s'", value);
		id = pw->pw_uid;
	}
	*ARRAY_PUSH(cfg->users, cfg->nusers, cfg->cap_users) = (uid_t)id;
	return 0;
}

static int add_group(struct dconfig *cfg, const char *value)
{
	unsigned long id;
	struct group *gr;

	if (!is_id(value, &id)) {
		if (!(gr = getgrnam(value)))
			return error_set(PYSEC_EINVALID, "pysec.daemon.allowGroup: no group '%s'", value);
		id = gr->gr_gid;
	}
	*ARRAY_PUSH(cfg->groups, cfg->ngroups, cfg->cap_groups) = (gid_t)id;
	return 0;
}

/* "FORGE PROJECT PATH": the path is the rest of the line (it may hold blanks). */
static int add_project(struct dconfig *cfg, const char *value)
{
	const char *s = value, *kind, *proj;
	size_t kl, pl;
	char *kname;
	pysec_forge_kind k;
	struct project_map *p;

	s += strspn(s, " \t");
	kind = s;
	kl = strcspn(s, " \t");
	s += kl;
	s += strspn(s, " \t");
	proj = s;
	pl = strcspn(s, " \t");
	s += pl;
	s += strspn(s, " \t");
	if (!kl || !pl || !*s)
		return error_set(PYSEC_EINVALID, "pysec.daemon.project is 'gitlab|gitea|github PROJECT PATH', not '%s'",
			value);
	kname = xstrndup(kind, kl);
	k = pysec_forge_kind_parse(kname);
	free(kname);
	if (!k)
		return error_set(PYSEC_EINVALID, "pysec.daemon.project: '%.*s' is not gitlab, gitea or github", (int)kl,
			kind);
	p = ARRAY_PUSH(cfg->projects, cfg->nprojects, cfg->cap_projects);
	p->kind = k;
	p->project = xstrndup(proj, pl);
	p->path = xstrdup(s);
	return 0;
}

static int load_forge(const pysec_config *c, const char *name, struct forge_conf *f)
{
	char key[64], *file;
	int rc = 0;

	snprintf(key, sizeof(key), "pysec.%s.url", name);
	f->url = get_str(c, key);
	snprintf(key, sizeof(key), "pysec.%s.tokenFile", name);
	if ((file = get_str(c, key)) != NULL) {
		rc = read_secret(&f->token, file);
		free(file);
		if (rc < 0)
			return rc;
	}
	snprintf(key, sizeof(key), "pysec.%s.secretFile", name);
	if ((file = get_str(c, key)) != NULL) {
		rc = read_secret(&f->secret, file);
		free(file);
	}
	return rc;
}

/* The hooks' socket: where it is, who may use it, how many serve. */
static int load_hooks(struct dconfig *cfg, const pysec_config *c, const pysec_serve_options *flags)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long v;
	int rc;

	cfg->socket = flags->socket ? xstrdup(flags->socket) : get_str(c, "pysec.daemonSocket");
	cfg->socket_group = get_str(c, "pysec.daemon.socketGroup");
	if ((rc = each_value(c, "pysec.daemon.root", cfg, add_root)) < 0 ||
	    (rc = each_value(c, "pysec.daemon.allowUser", cfg, add_user)) < 0 ||
	    (rc = each_value(c, "pysec.daemon.allowGroup", cfg, add_group)) < 0)
		return rc;
	if (!cfg->nusers && !cfg->ngroups)	/* nobody named: only the daemon's own user */
		*ARRAY_PUSH(cfg->users, cfg->nusers, cfg->cap_users) = geteuid();
	if ((rc = get_num(&v, c, "pysec.daemon.workers", 256, 0)) < 0)
		return rc;
	cfg->workers = v ? (unsigned)v : (unsigned)(cpus > 0 ? cpus : 1);
	if ((rc = get_num(&v, c, "pysec.daemon.queue", 100000, 0)) < 0)
		return rc;
	cfg->queue = v ? (unsigned)v : cfg->workers * 8;
	if ((rc = get_num(&v, c, "pysec.daemon.requestTimeout", 3600, 5)) < 0)
		return rc;
	cfg->request_timeout = (double)(v ? v : 5);
	if ((rc = get_num(&v, c, "pysec.daemon.cacheEntries", 100000000, 100000)) < 0)
		return rc;
	cfg->cache.max_entries = (size_t)v;
	if ((rc = get_num(&v, c, "pysec.daemon.cacheBytes", 1ULL << 40, 256ULL << 20)) < 0)
		return rc;
	cfg->cache.max_bytes = (size_t)v;
	cfg->cache.max_engines = 16;
	/* below the unit's TimeoutStopSec (30), after which systemd kills the daemon */
	if ((rc = get_num(&v, c, "pysec.daemon.stopTimeout", 3600, 20)) < 0)
		return rc;
	cfg->stop_timeout = (double)v;
	return 0;
}

/* The webhooks: the listener, the queue, the review workers and their retries. */
static int load_webhooks(struct dconfig *cfg, const pysec_config *c, const pysec_serve_options *flags)
{
	unsigned long long v;
	char *s;
	int rc;

	cfg->listen = flags->listen ? xstrdup(flags->listen) : get_str(c, "pysec.daemon.listen");
	cfg->queue_db = flags->queue_db ? xstrdup(flags->queue_db) : get_str(c, "pysec.daemon.queueDb");
	/* full or normal: the loader took nothing else */
	cfg->queue_sync_full = strcmp(pysec_config_get(c, "pysec.daemon.queueSync", "full"), "normal") != 0;
	if ((s = get_str(c, "pysec.daemon.queuePasswordFile")) != NULL) {
		rc = read_secret(&cfg->queue_password, s);
		free(s);
		if (rc < 0)
			return rc;
	}
	if ((rc = get_num(&v, c, "pysec.daemon.queueLease", 3600, 30)) < 0)
		return rc;
	if (v < 3)
		return error_set(PYSEC_EINVALID, "pysec.daemon.queueLease is at least 3 seconds, not %llu", v);
	cfg->queue_lease = (unsigned)v;
	if ((rc = get_num(&v, c, "pysec.daemon.maxBody", 64ULL << 20, 1 << 20)) < 0)
		return rc;
	cfg->max_body = (size_t)v;
	if ((rc = get_num(&v, c, "pysec.daemon.maxPending", 100000000, 10000)) < 0)
		return rc;
	cfg->max_pending = (size_t)v;
	if ((rc = get_num(&v, c, "pysec.daemon.reviewWorkers", 64, 2)) < 0)
		return rc;
	cfg->review_workers = v ? (unsigned)v : 1;
	if ((rc = get_num(&v, c, "pysec.daemon.attempts", 1000, 6)) < 0)
		return rc;
	cfg->attempts = v ? (unsigned)v : 1;
	if ((rc = get_num(&v, c, "pysec.daemon.backoffMs", 3600000, 5000)) < 0)
		return rc;
	cfg->backoff_ms = (unsigned)v;
	if ((rc = get_num(&v, c, "pysec.daemon.backoffMaxMs", 86400000, 600000)) < 0)
		return rc;
	cfg->backoff_max_ms = (unsigned)v < cfg->backoff_ms ? cfg->backoff_ms : (unsigned)v;
	if ((rc = each_value(c, "pysec.daemon.project", cfg, add_project)) < 0 ||
	    (rc = load_forge(c, "gitlab", &cfg->gitlab)) < 0 || (rc = load_forge(c, "gitea", &cfg->gitea)) < 0 ||
	    (rc = load_forge(c, "github", &cfg->github)) < 0)
		return rc;
	if (cfg->listen && !cfg->queue_db)
		return error_set(PYSEC_EINVALID, "a webhook listener (pysec.daemon.listen) needs a queue (pysec.daemon.queueDb)");
	return 0;
}

/*
 * The file through the policy's loader, as every scan reads it: an unknown
 * key or a bad value is refused there, with where it was set.  A missing
 * file is an empty one: every default applies.
 */
static int read_file(pysec_config **out, const char *path)
{
	int rc;

	if ((rc = pysec_config_new(out)) < 0 || access(path, F_OK) != 0)
		return rc;
	if (access(path, R_OK) != 0)
		return error_set(PYSEC_EINVALID, "cannot read '%s': %s", path, strerror(errno));
	return pysec_config_add_file(*out, path, PYSEC_CONFIG_NORMAL);
}

int dconfig_load(struct dconfig **out, const pysec_serve_options *flags)
{
	struct dconfig *cfg = xcalloc(1, sizeof(*cfg));
	pysec_config *c = NULL;
	int rc;

	*out = NULL;
	cfg->file = xstrdup(flags->config);
	if ((rc = read_file(&c, flags->config)) < 0 || (rc = load_hooks(cfg, c, flags)) < 0 ||
	    (rc = load_webhooks(cfg, c, flags)) < 0)
		goto cleanup;
	*out = cfg;
	cfg = NULL;
cleanup:
	pysec_config_free(c);
	dconfig_free(cfg);
	return rc;
}

void dconfig_free(struct dconfig *cfg)
{
	size_t i;

	if (!cfg)
		return;
	free(cfg->file);
	free(cfg->socket);
	free(cfg->socket_group);
	for (i = 0; i < cfg->nroots; i++)
		free(cfg->roots[i]);
	free(cfg->roots);
	free(cfg->users);
	free(cfg->groups);
	free(cfg->listen);
	free(cfg->queue_db);
	secret_free(cfg->queue_password);
	free(cfg->gitlab.url);
	secret_free(cfg->gitlab.token);
	secret_free(cfg->gitlab.secret);
	free(cfg->gitea.url);
	secret_free(cfg->gitea.token);
	secret_free(cfg->gitea.secret);
	free(cfg->github.url);
	secret_free(cfg->github.token);
	secret_free(cfg->github.secret);
	for (i = 0; i < cfg->nprojects; i++) {
		free(cfg->projects[i].project);
		free(cfg->projects[i].path);
	}
	free(cfg->projects);
	free(cfg);
}

const struct forge_conf *dconfig_forge(const struct dconfig *cfg, pysec_forge_kind kind)
{
	return kind == PYSEC_FORGE_GITLAB ? &cfg->gitlab : kind == PYSEC_FORGE_GITEA ? &cfg->gitea : &cfg->github;
}

const struct project_map *dconfig_project(const struct dconfig *cfg, pysec_forge_kind kind, const char *project,
	const char *alt)
{
	size_t i;

	for (i = 0; i < cfg->nprojects; i++) {
		const struct project_map *p = &cfg->projects[i];
		if (p->kind == kind && ((project && !strcmp(p->project, project)) || (alt && !strcmp(p->project, alt))))
			return p;
	}
	return NULL;
}

int dconfig_under_roots(const struct dconfig *cfg, const char *real)
{
	size_t i;

	for (i = 0; i < cfg->nroots; i++) {
		size_t n = strlen(cfg->roots[i]);
		if (!strncmp(real, cfg->roots[i], n) && (real[n] == '\0' || real[n] == '/' ||
							  (n == 1 && cfg->roots[i][0] == '/')))
			return 1;
	}
	return 0;
}
