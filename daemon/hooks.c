/*
 * hooks.c: the Unix socket that pre-receive hooks call.
 *
 * An acceptor thread checks each peer's credentials (SO_PEERCRED: its user,
 * its primary and supplementary groups) against the configuration and
 * queues the connection for a worker; when the queue is full it answers
 * "refused: busy" at once, so that the hook scans in its own process rather
 * than wait (back-pressure, not unbounded memory).  A worker reads the
 * request, checks that the repository is under a configured root and that
 * the quarantine is inside that repository's objects directory, and runs
 * the core's pysec_gate_run() with the request's environment, never its
 * own.  When it cannot judge the push (it cannot read the quarantine, the
 * repository, the policy), it answers "error" and the hook judges the push
 * in its own process: only a verdict is ever the daemon's.
 *
 * The roots are the trust boundary: a repository is served only when its
 * real path, its git and common directories and the object directories it
 * borrows from all lie under them.  libgit2's own ownership check is off in
 * the daemon (serve.c): repositories belong to the git user, not to the
 * daemon's.
 */
#include "daemon.h"
#include "pysec_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct pending {
	int fd;
	double accepted;
	uid_t uid;
	pid_t pid;
};

struct hookd {
	struct daemon *d;
	int listen_fd;
	int wake[2];		/* a byte here stops the acceptor */
	pthread_t acceptor;
	pthread_t *threads;
	unsigned nthreads, busy;
	struct pending *q;	/* a ring of accepted connections */
	size_t qcap, qhead, qlen;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
};

/* An answer without a verdict: one frame, "refused" or "error", with why. */
static void answer_no_verdict(int fd, const char *frame, const char *why)
{
	struct buf b = BUF_INIT(PROTO_MAX_ANSWER);

	if (buf_puts(&b, PROTO_HEADER) == 0 && proto_frame(&b, frame, why, strlen(why)) == 0)
		proto_write_all(fd, b.ptr, b.len, clock_now() + 1.0);
	buf_free(&b);
}

static void answer_refused(int fd, const char *why)
{
	answer_no_verdict(fd, "refused", why);
}

static void answer_error(int fd, const char *why)
{
	answer_no_verdict(fd, "error", why);
}

/* The peer's user is listed, or its primary group, or one of its supplementary groups. */
static int peer_allowed(const struct dconfig *cfg, int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);
	gid_t groups[256];
	size_t i, k, ng = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return 0;
	for (i = 0; i < cfg->nusers; i++)
		if (cfg->users[i] == cred->uid)
			return 1;
	for (i = 0; i < cfg->ngroups; i++)
		if (cfg->groups[i] == cred->gid)
			return 1;
#ifdef SO_PEERGROUPS
	len = sizeof(groups);
	if (cfg->ngroups && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		ng = len / sizeof(gid_t);
#endif
	for (k = 0; k < ng; k++)
		for (i = 0; i < cfg->ngroups; i++)
			if (cfg->groups[i] == groups[k])
				return 1;
	return 0;
}

static void *acceptor(void *arg)
{
	struct hookd *h = arg;

	for (;;) {
		struct pollfd pfd[2] = { { h->listen_fd, POLLIN, 0 }, { h->wake[0], POLLIN, 0 } };
		struct generation *g;
		struct ucred cred = { 0, 0, 0 };
		int fd, ok;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		g = daemon_gen_get(h->d);
		ok = peer_allowed(g->cfg, fd, &cred);
		daemon_gen_put(h->d, g);
		if (!ok) {
			answer_refused(fd, "this user may not use the daemon (pysec.daemon.allowUser, allowGroup)");
			close(fd);
			metrics_hook(HOOK_REFUSED_PEER, -1);
			dlog("warning", "hook refused: peer not allowed", json_pack("{s:i,s:i,s:i}", "uid", (int)cred.uid,
				"gid", (int)cred.gid, "pid", (int)cred.pid));
			continue;
		}
		pthread_mutex_lock(&h->lock);
		if (h->qlen == h->qcap) {
			pthread_mutex_unlock(&h->lock);
			answer_refused(fd, "busy");
			close(fd);
			metrics_hook(HOOK_BUSY, -1);
			dlog("warning", "hook refused: busy", json_pack("{s:i,s:i}", "pid", (int)cred.pid,
				"queue", (int)h->qcap));
			continue;
		}
		h->q[(h->qhead + h->qlen) % h->qcap] = (struct pending){ fd, clock_now(), cred.uid, cred.pid };
		h->qlen++;
		metrics_hook_queue(1);
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

/* --- one request ------------------------------------------------------------- */

struct request {
	struct proto_request req;
	git_repository *opened;		/* handed to the gate, which frees it */
	char real[PATH_MAX];		/* what open_checked() opened, to open again for the scan's threads */
	char quarantine[PATH_MAX];	/* "" for none */
};

static void request_clear(struct request *r)
{
	proto_request_clear(&r->req);
	git_repository_free(r->opened);
}

static const char *request_env(const char *name, void *payload)
{
	const struct request *r = payload;

	return proto_request_env(&r->req, name);
}

/* Make the objects of a push's quarantine directory `dir` readable through `repo`. */
static int add_quarantine(git_repository *repo, const char *dir)
{
	git_odb *odb = NULL;
	int rc = 0;

	if (git_repository_odb(&odb, repo) < 0 || git_odb_add_disk_alternate(odb, dir) < 0) {
		const git_error *e = git_error_last();
		rc = error_set(PYSEC_EREPO, "cannot read the quarantine: %s", e ? e->message : "?");
	}
	git_odb_free(odb);
	return rc;
}

/* Another handle on the repository open_checked() opened and checked, its quarantine included. */
static int open_again(git_repository **out, const struct request *r)
{
	int rc;

	if (!r->real[0])
		return error_set(PYSEC_EREPO, "no repository was opened");
	if ((rc = pysec_repository_open(out, r->real, GIT_REPOSITORY_OPEN_NO_SEARCH)) < 0)
		return rc;
	if (r->quarantine[0] && (rc = add_quarantine(*out, r->quarantine)) < 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	return rc;
}

static int request_open(git_repository **out, void *payload)
{
	struct request *r = payload;

	/* opened and checked before the gate ran: here it is handed over, then opened again */
	if (r->opened) {
		*out = r->opened;
		r->opened = NULL;
		return 0;
	}
	return open_again(out, r);
}

/* The quarantine must be a directory inside the repository's own objects directory. */
static int check_quarantine(char *out, const char *objects_real, const char *given)
{
	size_t n = strlen(objects_real);
	struct stat st;

	errno = 0;
	if (!realpath(given, out) || stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(PYSEC_EINVALID, "cannot find the quarantine directory %s: %s", given,
			errno ? strerror(errno) : "not a directory");
	if (strncmp(out, objects_real, n) || out[n] != '/')
		return error_set(PYSEC_EINVALID, "the quarantine directory is not inside %s", objects_real);
	return 0;
}

/* git's C-quoted path ("a\"b", octal escapes) in place; 0, or -1 when it is not one. */
static int unquote(char *s)
{
	char *r = s + 1, *w = s;

	while (*r && *r != '"') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		r++;
		if (*r >= '0' && *r <= '3' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7') {
			*w++ = (char)((r[0] - '0') << 6 | (r[1] - '0') << 3 | (r[2] - '0'));
			r += 3;
			continue;
		}
		switch (*r) {
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case '"': case '\\': *w++ = *r; break;
		default: return -1;
		}
		r++;
	}
	if (*r != '"' || r[1])
		return -1;
	*w = '\0';
	return 0;
}

/*
 * The object directories that `objects` (a real path) borrows from, as git
 * follows them (objects/info/alternates, five deep), must all be under the
 * roots; an entry that cannot be resolved cannot be checked, and is refused
 * too.
 */
static int check_alternates(const struct dconfig *cfg, const char *objects, int depth)
{
	char path[PATH_MAX + 32], line[PATH_MAX], entry[2 * PATH_MAX + 2], real[PATH_MAX];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/info/alternates", objects);
	if (!(f = fopen(path, "r")))
		return 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (*line == '"' && unquote(line) < 0) {
			rc = error_set(PYSEC_EINVALID, "%s: a badly quoted entry", path);
			break;
		}
		if (*line == '/')
			snprintf(entry, sizeof(entry), "%s", line);
		else
			snprintf(entry, sizeof(entry), "%s/%s", objects, line);
		if (!realpath(entry, real))
			rc = error_set(PYSEC_EINVALID, "%s names %s, which cannot be resolved", path, line);
		else if (!dconfig_under_roots(cfg, real))
			rc = error_set(PYSEC_EINVALID, "%s borrows objects from %s, outside the roots this daemon serves",
				path, real);
		else if (depth < 5)
			rc = check_alternates(cfg, real, depth + 1);
	}
	fclose(f);
	return rc;
}

/*
 * What the repository reads lies under the roots: its git directory (a
 * `.git` file's gitdir: may lead anywhere), its common directory (a
 * `commondir` file may too), and the object directories it borrows from.
 */
static int check_confined(const struct dconfig *cfg, git_repository *repo)
{
	const char *dirs[2] = { git_repository_path(repo), git_repository_commondir(repo) };
	char real[PATH_MAX], objects[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < 2; i++) {
		if (!realpath(dirs[i], real) || !dconfig_under_roots(cfg, real))
			return error_set(PYSEC_EINVALID, "its %s %s is outside the roots this daemon serves",
				i ? "common directory" : "git directory", dirs[i]);
	}
	snprintf(objects, sizeof(objects), "%s/objects", real);
	if (!realpath(objects, real))
		return 0;	/* no objects directory: the open below says so */
	return check_alternates(cfg, real, 0);
}

/*
 * Open the repository the request names, only under a configured root, with
 * its quarantined objects visible; `real` is its real path.  Returns 0, or
 * an error saying why it is refused.
 */
static int open_checked(struct request *r, const struct dconfig *cfg, char *real)
{
	char path[PATH_MAX], objects[PATH_MAX + 16], objects_real[PATH_MAX], quarantine[PATH_MAX];
	const char *q = request_env("GIT_QUARANTINE_PATH", r);
	int rc;

	if (r->req.repo_len >= sizeof(path))
		return error_set(PYSEC_EINVALID, "repository path too long");
	memcpy(path, r->req.repo, r->req.repo_len);
	path[r->req.repo_len] = '\0';
	if (!realpath(path, real))
		return error_set(PYSEC_ENOTFOUND, "no repository at %s", path);
	if (!dconfig_under_roots(cfg, real))
		return error_set(PYSEC_EINVALID, "%s is not under a root this daemon serves (pysec.daemon.root)", real);
	if ((rc = pysec_repository_open(&r->opened, real, GIT_REPOSITORY_OPEN_NO_SEARCH)) < 0)
		return error_set(rc, "cannot open %s: %s", real, error_last());
	if ((rc = check_confined(cfg, r->opened)) < 0)
		return rc;
	snprintf(objects, sizeof(objects), "%sobjects", git_repository_commondir(r->opened));
	if (!realpath(objects, objects_real))
		return error_set(PYSEC_EREPO, "%s has no objects directory", real);
	if (!q)
		q = request_env("GIT_OBJECT_DIRECTORY", r);
	snprintf(r->real, sizeof(r->real), "%s", real);
	if (!q || !strcmp(q, objects_real))
		return 0;
	if ((rc = check_quarantine(quarantine, objects_real, q)) < 0)
		return rc;
	snprintf(r->quarantine, sizeof(r->quarantine), "%s", quarantine);
	return add_quarantine(r->opened, quarantine);
}

static void serve_one(struct hookd *h, const struct pending *c)
{
	struct generation *g = daemon_gen_get(h->d);
	struct buf in = BUF_INIT(PROTO_MAX_REQUEST), ans = BUF_INIT(PROTO_MAX_ANSWER);
	struct request r;
	pysec_gate_options go = PYSEC_GATE_OPTIONS_INIT;
	char why[PATH_MAX + 200], real[PATH_MAX];
	const char *bad = NULL;
	char *text = NULL;
	size_t textlen = 0;
	FILE *out;
	int verdict;

	memset(&r, 0, sizeof(r));
	real[0] = '\0';
	if (proto_read_all(c->fd, &in, clock_now() + g->cfg->request_timeout) < 0) {
		snprintf(why, sizeof(why), "cannot read the request: %s", strerror(errno));
		bad = why;
	} else if (proto_request_parse(&r.req, buf_cstr(&in), in.len) < 0) {
		snprintf(why, sizeof(why), "%s", error_last());
		bad = why;
	} else if (open_checked(&r, g->cfg, real) < 0) {
		snprintf(why, sizeof(why), "%s", error_last());
		metrics_hook(HOOK_REFUSED_PATH, clock_now() - c->accepted);
		dlog("warning", "hook refused", json_pack("{s:s,s:i,s:i}", "why", why, "uid", (int)c->uid,
			"pid", (int)c->pid));
		answer_refused(c->fd, why);
		goto done;
	}
	if (bad && !in.len) {
		/* connected and left without a word (a probe for a live socket): nothing to say */
		goto done;
	}
	if (bad) {
		metrics_hook(HOOK_BAD_REQUEST, clock_now() - c->accepted);
		dlog("warning", "hook refused: bad request", json_pack("{s:s,s:i}", "why", bad, "pid", (int)c->pid));
		answer_refused(c->fd, bad);
		goto done;
	}

	if (!(out = open_memstream(&text, &textlen))) {
		/* out of memory: the hook judges the push itself */
		metrics_hook(HOOK_DEFERRED, clock_now() - c->accepted);
		answer_error(c->fd, "out of memory");
		goto done;
	}
	go.getenv = request_env;
	go.open_repository = request_open;
	go.payload = &r;
	go.system_config = g->cfg->file;
	go.cache = g->cache;
	go.defer_failures = 1;
	verdict = pysec_gate_run(r.req.input, r.req.input_len, &go, out);
	fclose(out);
	if (verdict == PYSEC_GATE_DEFERRED) {
		/* no verdict on the push: the hook judges it itself, as if this daemon were not there */
		snprintf(why, sizeof(why), "%s", pysec_error_last());
		metrics_hook(HOOK_DEFERRED, clock_now() - c->accepted);
		dlog("warning", "hook: cannot judge this push; the hook scans it itself", json_pack("{s:s,s:s,s:i,s:i}",
			"repo", real, "why", why, "uid", (int)c->uid, "pid", (int)c->pid));
		answer_error(c->fd, why);
		goto done;
	}
	if (buf_puts(&ans, PROTO_HEADER) < 0 || proto_frame(&ans, "out", text, textlen) < 0 ||
	    proto_frame(&ans, "verdict", verdict ? "1" : "0", 1) < 0) {
		/* more than the hook reads: it judges the push itself */
		metrics_hook(HOOK_DEFERRED, clock_now() - c->accepted);
		answer_error(c->fd, "the answer is too large");
		goto done;
	}
	if (proto_write_all(c->fd, ans.ptr, ans.len, clock_now() + 5.0) < 0)
		dlog("warning", "hook gone before its answer", json_pack("{s:s,s:i}", "repo", real, "pid", (int)c->pid));
	metrics_hook(verdict ? HOOK_REJECTED : HOOK_ACCEPTED, clock_now() - c->accepted);
	dlog("info", "push judged", json_pack("{s:s,s:s,s:s?,s:f,s:i}", "repo", real,
		"verdict", verdict ? "reject" : "accept", "user", request_env("GL_USERNAME", &r) ? request_env("GL_USERNAME", &r) :
		request_env("GITEA_PUSHER_NAME", &r), "seconds", clock_now() - c->accepted, "pid", (int)c->pid));
done:
	free(text);
	buf_free(&ans);
	buf_free(&in);
	request_clear(&r);
	daemon_gen_put(h->d, g);
}

static void *worker(void *arg)
{
	struct hookd *h = arg;

	for (;;) {
		struct pending c;

		pthread_mutex_lock(&h->lock);
		while (!h->qlen && !h->stopping)
			pthread_cond_wait(&h->cond, &h->lock);
		if (!h->qlen) {
			/* stopping, and every accepted connection has been served */
			pthread_mutex_unlock(&h->lock);
			break;
		}
		c = h->q[h->qhead];
		h->qhead = (h->qhead + 1) % h->qcap;
		h->qlen--;
		h->busy++;
		pthread_mutex_unlock(&h->lock);
		metrics_hook_queue(-1);
		serve_one(h, &c);
		close(c.fd);
		pthread_mutex_lock(&h->lock);
		h->busy--;
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

/* Wake the workers to stop once the queue is empty, and wait for the first `n` (those started). */
static void workers_stop(struct hookd *h, unsigned n)
{
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	while (n > 0)
		pthread_join(h->threads[--n], NULL);
}

static void hookd_free(struct hookd *h)
{
	if (h->wake[0] >= 0) {
		close(h->wake[0]);
		close(h->wake[1]);
	}
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h->threads);
	free(h->q);
	free(h);
}

int hookd_start(struct hookd **out, struct daemon *d, int fd)
{
	struct hookd *h = xcalloc(1, sizeof(*h));
	struct generation *g = daemon_gen_get(d);
	const char *what = "a pipe";
	unsigned started = 0;
	int e = 0, rc;

	h->d = d;
	h->listen_fd = fd;
	h->wake[0] = h->wake[1] = -1;
	/* the pool and queue are sized once; a reload changes who may connect, not how many serve */
	h->nthreads = g->cfg->workers;
	h->qcap = g->cfg->queue;
	daemon_gen_put(d, g);
	h->q = xcalloc(h->qcap, sizeof(*h->q));
	h->threads = xcalloc(h->nthreads, sizeof(*h->threads));
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pipe2(h->wake, O_CLOEXEC) < 0) {
		e = errno;
		goto fail;
	}
	what = "a worker";
	while (started < h->nthreads && (e = pthread_create(&h->threads[started], NULL, worker, h)) == 0)
		started++;
	if (e)
		goto fail;
	what = "the acceptor";
	if ((e = pthread_create(&h->acceptor, NULL, acceptor, h)) != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	rc = error_set(PYSEC_ERROR, "cannot start the hooks' socket: %s: %s", what, strerror(e));
	/* only the threads that were started are stopped and joined */
	workers_stop(h, started);
	hookd_free(h);
	return rc;
}

void hookd_stop(struct hookd *h)
{
	if (!h)
		return;
	if (write(h->wake[1], "x", 1) < 0)
		dlog("error", "cannot stop the acceptor", NULL);
	pthread_join(h->acceptor, NULL);
	close(h->listen_fd);
	workers_stop(h, h->nthreads);
	hookd_free(h);
}

void hookd_stats(struct hookd *h, unsigned *queued, unsigned *busy, unsigned *workers)
{
	pthread_mutex_lock(&h->lock);
	*queued = (unsigned)h->qlen;
	*busy = h->busy;
	*workers = h->nthreads;
	pthread_mutex_unlock(&h->lock);
}

int hookd_listen(int *out, const char *path, const char *group)
{
	struct sockaddr_un sa;
	struct stat st;
	struct group *gr = NULL;
	int fd = -1, rc = 0;

	*out = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(PYSEC_EINVALID, "socket path '%s' is too long", path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(PYSEC_EINVALID, "'%s' exists and is not a socket", path);
		/* a socket that answers belongs to a running daemon; one that does not is stale */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return error_set(PYSEC_ERROR, "another daemon is listening on '%s'", path);
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = error_set(PYSEC_ERROR, "cannot bind '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (group && (!(gr = getgrnam(group)) || chown(path, (uid_t)-1, gr->gr_gid) < 0))
		rc = error_set(PYSEC_ERROR, "cannot give '%s' to group '%s': %s", path, group,
			gr ? strerror(errno) : "no such group");
	else if (chmod(path, 0660) < 0 || listen(fd, 128) < 0)
		rc = error_set(PYSEC_ERROR, "cannot listen on '%s': %s", path, strerror(errno));
	if (rc < 0) {
		close(fd);
		unlink(path);
		return rc;
	}
	*out = fd;
	return 0;
}
