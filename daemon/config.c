/*
 * config.c: the daemon's settings, in the system policy file (git-config
 * syntax, read by libgit2 so that multi-valued keys and the case of
 * subsections are kept):
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
 *       queueDb = /var/lib/pysec/queue.db
 *       queueSync = full                         or normal
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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *get_str(git_config *c, const char *key)
{
	git_buf b = { 0 };
	char *s;

	if (!c || git_config_get_string_buf(&b, c, key) < 0) {
		git_error_clear();
		return NULL;
	}
	s = xstrdup(b.ptr);
	git_buf_dispose(&b);
	return s;
}

static int get_num(git_config *c, const char *key, unsigned long long max, unsigned long long fallback,
	unsigned long long *out, char *err, size_t errlen)
{
	char *s = get_str(c, key);
	unsigned long long v;

	if (!s) {
		*out = fallback;
		return 0;
	}
	if (config_parse_uint(&v, s, max) < 0) {
		err_set(err, errlen, "%s must be a whole number up to %llu, not '%s'", key, max, s);
		free(s);
		return -1;
	}
	free(s);
	*out = v;
	return 0;
}

/*
 * The first line of a secret file, without its line break.  Only a regular
 * file: a FIFO or a device named by mistake would block the daemon or
 * give it noise.
 */
static char *read_secret(const char *path, char *err, size_t errlen)
{
	char *secret;

	if (file_read_secret(&secret, path, FILE_REGULAR) < 0) {
		if (errno == EINVAL)
			err_set(err, errlen, "'%s' is not a regular file", path);
		else
			err_set(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (!*secret) {
		err_set(err, errlen, "'%s' is empty", path);
		secret_free(secret);
		return NULL;
	}
	return secret;
}

typedef int (*each_fn)(struct dconfig *cfg, const char *value, char *err, size_t errlen);

static int each_value(git_config *c, const char *key, struct dconfig *cfg, each_fn fn, char *err, size_t errlen)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int rc = 0;

	if (!c)
		return 0;
	if (git_config_multivar_iterator_new(&it, c, key, NULL) < 0) {
		git_error_clear();
		return 0;
	}
	while (rc == 0 && git_config_next(&e, it) == 0)
		rc = fn(cfg, e->value ? e->value : "", err, errlen);
	git_config_iterator_free(it);
	git_error_clear();
	return rc;
}

static int add_root(struct dconfig *cfg, const char *value, char *err, size_t errlen)
{
	char real[PATH_MAX];

	if (!realpath(value, real)) {
		err_set(err, errlen, "pysec.daemon.root '%s': %s", value, strerror(errno));
		return -1;
	}
	cfg->roots = xrealloc(cfg->roots, (cfg->nroots + 1) * sizeof(*cfg->roots));
	cfg->roots[cfg->nroots++] = xstrdup(real);
	return 0;
}

static int add_user(struct dconfig *cfg, const char *value, char *err, size_t errlen)
{
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	struct passwd *pw;

	if (*value && !*end) {
		cfg->users = xrealloc(cfg->users, (cfg->nusers + 1) * sizeof(*cfg->users));
		cfg->users[cfg->nusers++] = (uid_t)v;
		return 0;
	}
	if (!(pw = getpwnam(value))) {
		err_set(err, errlen, "pysec.daemon.allowUser: no user '%s'", value);
		return -1;
	}
	cfg->users = xrealloc(cfg->users, (cfg->nusers + 1) * sizeof(*cfg->users));
	cfg->users[cfg->nusers++] = pw->pw_uid;
	return 0;
}

static int add_group(struct dconfig *cfg, const char *value, char *err, size_t errlen)
{
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	struct group *gr;

	if (*value && !*end) {
		cfg->groups = xrealloc(cfg->groups, (cfg->ngroups + 1) * sizeof(*cfg->groups));
		cfg->groups[cfg->ngroups++] = (gid_t)v;
		return 0;
	}
	if (!(gr = getgrnam(value))) {
		err_set(err, errlen, "pysec.daemon.allowGroup: no group '%s'", value);
		return -1;
	}
	cfg->groups = xrealloc(cfg->groups, (cfg->ngroups + 1) * sizeof(*cfg->groups));
	cfg->groups[cfg->ngroups++] = gr->gr_gid;
	return 0;
}

/* "FORGE PROJECT PATH": the path is the rest of the line (it may hold blanks). */
static int add_project(struct dconfig *cfg, const char *value, char *err, size_t errlen)
{
	const char *s = value, *kind, *proj;
	size_t kl, pl;
	char *kname;
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
	if (!kl || !pl || !*s) {
		err_set(err, errlen, "pysec.daemon.project is 'gitlab|gitea|github PROJECT PATH', not '%s'", value);
		return -1;
	}
	kname = xstrndup(kind, kl);
	cfg->projects = xrealloc(cfg->projects, (cfg->nprojects + 1) * sizeof(*cfg->projects));
	p = &cfg->projects[cfg->nprojects];
	p->kind = pysec_forge_kind_parse(kname);
	free(kname);
	if (!p->kind) {
		err_set(err, errlen, "pysec.daemon.project: '%.*s' is not gitlab, gitea or github", (int)kl, kind);
		return -1;
	}
	p->project = xstrndup(proj, pl);
	p->path = xstrdup(s);
	cfg->nprojects++;
	return 0;
}

static int load_forge(git_config *c, const char *name, struct forge_conf *f, char *err, size_t errlen)
{
	char key[64], *file;

	snprintf(key, sizeof(key), "pysec.%s.url", name);
	f->url = get_str(c, key);
	snprintf(key, sizeof(key), "pysec.%s.tokenFile", name);
	if ((file = get_str(c, key)) != NULL) {
		f->token = read_secret(file, err, errlen);
		free(file);
		if (!f->token)
			return -1;
	}
	snprintf(key, sizeof(key), "pysec.%s.secretFile", name);
	if ((file = get_str(c, key)) != NULL) {
		f->secret = read_secret(file, err, errlen);
		free(file);
		if (!f->secret)
			return -1;
	}
	return 0;
}

int dconfig_load(struct dconfig **out, const pysec_serve_options *flags, char *err, size_t errlen)
{
	struct dconfig *cfg = xcalloc(1, sizeof(*cfg));
	git_config *c = NULL;
	unsigned long long v;
	char *s;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	cfg->file = xstrdup(flags->config);
	if (access(flags->config, F_OK) == 0 && git_config_open_ondisk(&c, flags->config) < 0) {
		const git_error *e = git_error_last();
		err_set(err, errlen, "cannot read '%s': %s", flags->config, e ? e->message : "?");
		goto fail;
	}
	cfg->socket = flags->socket ? xstrdup(flags->socket) : get_str(c, "pysec.daemonSocket");
	cfg->socket_group = get_str(c, "pysec.daemon.socketGroup");
	if (each_value(c, "pysec.daemon.root", cfg, add_root, err, errlen) < 0 ||
	    each_value(c, "pysec.daemon.allowUser", cfg, add_user, err, errlen) < 0 ||
	    each_value(c, "pysec.daemon.allowGroup", cfg, add_group, err, errlen) < 0 ||
	    each_value(c, "pysec.daemon.project", cfg, add_project, err, errlen) < 0)
		goto fail;
	if (!cfg->nusers && !cfg->ngroups) {
		/* nobody named: only the daemon's own user */
		cfg->users = xmalloc(sizeof(*cfg->users));
		cfg->users[cfg->nusers++] = geteuid();
	}
	if (get_num(c, "pysec.daemon.workers", 256, 0, &v, err, errlen) < 0)
		goto fail;
	cfg->workers = v ? (unsigned)v : (unsigned)(cpus > 0 ? cpus : 1);
	if (get_num(c, "pysec.daemon.queue", 100000, 0, &v, err, errlen) < 0)
		goto fail;
	cfg->queue = v ? (unsigned)v : cfg->workers * 8;
	if (get_num(c, "pysec.daemon.requestTimeout", 3600, 5, &v, err, errlen) < 0)
		goto fail;
	cfg->request_timeout = (double)(v ? v : 5);
	if (get_num(c, "pysec.daemon.cacheEntries", 100000000, 100000, &v, err, errlen) < 0)
		goto fail;
	cfg->cache.max_entries = (size_t)v;
	if (get_num(c, "pysec.daemon.cacheBytes", 1ULL << 40, 256ULL << 20, &v, err, errlen) < 0)
		goto fail;
	cfg->cache.max_bytes = (size_t)v;
	cfg->cache.max_engines = 16;
	cfg->listen = flags->listen ? xstrdup(flags->listen) : get_str(c, "pysec.daemon.listen");
	cfg->queue_db = flags->queue_db ? xstrdup(flags->queue_db) : get_str(c, "pysec.daemon.queueDb");
	s = get_str(c, "pysec.daemon.queueSync");
	if (s && strcmp(s, "full") && strcmp(s, "normal")) {
		err_set(err, errlen, "pysec.daemon.queueSync is full or normal, not '%s'", s);
		free(s);
		goto fail;
	}
	cfg->queue_sync_full = !s || !strcmp(s, "full");
	free(s);
	if (get_num(c, "pysec.daemon.maxBody", 64ULL << 20, 1 << 20, &v, err, errlen) < 0)
		goto fail;
	cfg->max_body = (size_t)v;
	if (get_num(c, "pysec.daemon.maxPending", 100000000, 10000, &v, err, errlen) < 0)
		goto fail;
	cfg->max_pending = (size_t)v;
	if (get_num(c, "pysec.daemon.reviewWorkers", 64, 2, &v, err, errlen) < 0)
		goto fail;
	cfg->review_workers = v ? (unsigned)v : 1;
	if (get_num(c, "pysec.daemon.attempts", 1000, 6, &v, err, errlen) < 0)
		goto fail;
	cfg->attempts = v ? (unsigned)v : 1;
	if (get_num(c, "pysec.daemon.backoffMs", 3600000, 5000, &v, err, errlen) < 0)
		goto fail;
	cfg->backoff_ms = (unsigned)v;
	if (get_num(c, "pysec.daemon.backoffMaxMs", 86400000, 600000, &v, err, errlen) < 0)
		goto fail;
	cfg->backoff_max_ms = (unsigned)v < cfg->backoff_ms ? cfg->backoff_ms : (unsigned)v;
	/* below the unit's TimeoutStopSec (30), after which systemd kills the daemon */
	if (get_num(c, "pysec.daemon.stopTimeout", 3600, 20, &v, err, errlen) < 0)
		goto fail;
	cfg->stop_timeout = (double)v;
	if (load_forge(c, "gitlab", &cfg->gitlab, err, errlen) < 0 || load_forge(c, "gitea", &cfg->gitea, err, errlen) < 0 ||
	    load_forge(c, "github", &cfg->github, err, errlen) < 0)
		goto fail;
	if (cfg->listen && !cfg->queue_db) {
		err_set(err, errlen, "a webhook listener (pysec.daemon.listen) needs a queue (pysec.daemon.queueDb)");
		goto fail;
	}
	git_config_free(c);
	*out = cfg;
	return 0;
fail:
	git_config_free(c);
	dconfig_free(cfg);
	return -1;
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
