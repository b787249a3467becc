/*
 * serve.c: the daemon's life: read the configuration, take the sockets
 * (systemd's, or its own), start the hook workers, the webhook listener and
 * the review workers, then wait for signals.  SIGHUP reads the
 * configuration again and starts a new generation (fresh rules and cache);
 * SIGTERM (or SIGINT) stops accepting, finishes the hooks in flight, aborts
 * the reviews in flight (they go back to the queue), and exits, within
 * pysec.daemon.stopTimeout: past it, what is unfinished is queued again and
 * the process ends at once.  Queued review jobs wait for the next start.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

struct generation *daemon_gen_get(struct daemon *d)
{
	struct generation *g;

	pthread_mutex_lock(&d->lock);
	g = d->gen;
	g->refs++;
	pthread_mutex_unlock(&d->lock);
	return g;
}

static void gen_free(struct generation *g)
{
	pysec_cache_free(g->cache);
	dconfig_free(g->cfg);
	free(g);
}

void daemon_gen_put(struct daemon *d, struct generation *g)
{
	int last;

	pthread_mutex_lock(&d->lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&d->lock);
	if (last)
		gen_free(g);
}

static struct generation *gen_new(struct dconfig *cfg)
{
	struct generation *g = xcalloc(1, sizeof(*g));

	g->refs = 1;	/* the daemon's own reference, while it is current */
	g->cfg = cfg;
	pysec_cache_new(&g->cache, &cfg->cache);
	return g;
}

static void gen_swap(struct daemon *d, struct generation *g)
{
	struct generation *old;

	pthread_mutex_lock(&d->lock);
	old = d->gen;
	d->gen = g;
	pthread_mutex_unlock(&d->lock);
	if (old)
		daemon_gen_put(d, old);
}

/*
 * The sockets systemd passed (socket activation, sd_listen_fds(3), which
 * also clears LISTEN_* so that no child takes them): a listening Unix
 * stream socket for the hooks, a listening TCP one for HTTP; -1 for none.
 */
static void systemd_sockets(int *unix_fd, int *inet_fd)
{
	int n = sd_listen_fds(1), fd;

	*unix_fd = *inet_fd = -1;
	if (n < 0) {
		dlog("warning", "cannot take the sockets from systemd", json_pack("{s:s}", "error", strerror(-n)));
		return;
	}
	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		if (*unix_fd < 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
			*unix_fd = fd;
		else if (*inet_fd < 0 && sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0)
			*inet_fd = fd;
		else
			dlog("warning", "a socket from systemd left unused: not a listening stream socket, or a second one",
				json_pack("{s:i}", "fd", fd));
	}
}

/*
 * One daemon per queue: an exclusive lock on "<queueDb>.lock", taken before
 * the queue is opened and held until the exit; the file says whose it is.
 * *out is the lock's descriptor; an error when another daemon has it.
 */
static int lock_queue(int *out, const char *db)
{
	char path[4096], holder[32] = "";
	int fd, rc, e;

	*out = -1;
	snprintf(path, sizeof(path), "%s.lock", db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return error_set(PYSEC_ERROR, "cannot open the queue's lock '%.512s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		if (ftruncate(fd, 0) == 0)
			dprintf(fd, "%d\n", (int)getpid());
		*out = fd;
		return 0;
	}
	e = errno;
	if (pread(fd, holder, sizeof(holder) - 1, 0) > 0)
		holder[strcspn(holder, "\n")] = '\0';
	if (e == EWOULDBLOCK)
		rc = error_set(PYSEC_ERROR, "another daemon%s%s%s holds the queue '%.400s' (its lock '%.400s'); this "
			"one stops without touching it", *holder ? " (pid " : "", holder, *holder ? ")" : "", db, path);
	else
		rc = error_set(PYSEC_ERROR, "cannot lock '%.512s': %s", path, strerror(e));
	close(fd);
	return rc;
}

/* The queue of review jobs, its failure set as the daemon's errors are (queue.c words its own). */
static int open_queue(struct queue **out, const struct dconfig *cfg)
{
	char err[1024];

	if (queue_open(out, cfg->queue_db, cfg->queue_sync_full, cfg->attempts, err, sizeof(err)) < 0)
		return error_set(PYSEC_ERROR, "%s", err);
	return 0;
}

/* The ordered stop, in a thread of its own, so that the main thread keeps the deadline. */
struct stopping {
	struct daemon *d;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void *stop_all(void *arg)
{
	struct stopping *s = arg;

	/* first no new work, then the work in flight ends (reviews are aborted: they go back to the queue) */
	webhookd_stop(s->d->web);
	hookd_stop(s->d->hooks);
	reviewd_stop(s->d->reviews);
	pthread_mutex_lock(&s->lock);
	s->done = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Stop everything within `seconds`; -1 when the deadline passed first (the stop thread is left running). */
static int stop_in_time(struct daemon *d, double seconds)
{
	static struct stopping s;	/* outlives this call when the deadline passes */
	struct timespec deadline;
	pthread_t t;
	int done;

	reviewd_cancel(d->reviews);
	memset(&s, 0, sizeof(s));
	s.d = d;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	if (pthread_create(&t, NULL, stop_all, &s) != 0) {
		stop_all(&s);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)seconds;
	deadline.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s.lock);
	while (!s.done && pthread_cond_timedwait(&s.cond, &s.lock, &deadline) == 0)
		;
	done = s.done;
	pthread_mutex_unlock(&s.lock);
	if (!done)
		return -1;
	pthread_join(t, NULL);
	return 0;
}

static json_t *config_summary(const struct dconfig *c)
{
	json_t *roots = json_array();
	size_t i;

	for (i = 0; i < c->nroots; i++)
		json_array_append_new(roots, json_string(c->roots[i]));
	return json_pack("{s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:f}", "config", c->file, "roots", roots, "workers", (int)c->workers,
		"queue", (int)c->queue, "projects", (int)c->nprojects, "review_workers", (int)c->review_workers,
		"users", (int)(c->nusers + c->ngroups), "stop_timeout", c->stop_timeout);
}

int pysec_serve(const pysec_serve_options *flags)
{
	struct daemon d;
	struct dconfig *cfg = NULL;
	sigset_t sigs;
	int unix_fd, inet_fd, rc = 0, lock_fd = -1;
	unsigned port = 0;
	int64_t last_prune = 0;
	char *own_socket = NULL;
	double stop_timeout;

	memset(&d, 0, sizeof(d));
	/*
	 * The roots are the daemon's trust boundary (hooks.c checks every path
	 * a repository reads from against them); the repositories belong to
	 * the git user, not to the daemon's, and libgit2 1.5 would refuse them
	 * all unless safe.directory named each one exactly.
	 */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	pthread_mutex_init(&d.lock, NULL);
	d.started = (double)clock_wall_ms() / 1000.0;
	if (dconfig_load(&cfg, flags) < 0) {
		dlog("error", "configuration", json_pack("{s:s}", "error", error_last()));
		return 2;
	}
	if (flags->check) {
		dlog("info", "configuration is valid", config_summary(cfg));
		dconfig_free(cfg);
		return 0;
	}
	systemd_sockets(&unix_fd, &inet_fd);
	if (unix_fd < 0 && !cfg->socket && inet_fd < 0 && !cfg->listen) {
		dlog("error", "nothing to serve: set pysec.daemonSocket (hooks) or pysec.daemon.listen (webhooks)", NULL);
		dconfig_free(cfg);
		return 2;
	}
	if (cfg->listen || inet_fd >= 0) {
		if (!cfg->queue_db) {
			dlog("error", "webhooks need a queue: set pysec.daemon.queueDb", NULL);
			dconfig_free(cfg);
			return 2;
		}
		/* first the lock, then the queue: a second daemon changes nothing */
		if (lock_queue(&lock_fd, cfg->queue_db) < 0 || open_queue(&d.queue, cfg) < 0) {
			dlog("error", "queue", json_pack("{s:s}", "error", error_last()));
			dconfig_free(cfg);
			if (lock_fd >= 0)
				close(lock_fd);
			return 3;
		}
	}
	d.gen = gen_new(cfg);

	/* signals are taken by this thread alone, with sigtimedwait; the workers never see them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (unix_fd < 0 && cfg->socket) {
		if (hookd_listen(&unix_fd, cfg->socket, cfg->socket_group) < 0) {
			dlog("error", "hook socket", json_pack("{s:s}", "error", error_last()));
			rc = 3;
			goto stop;
		}
		own_socket = xstrdup(cfg->socket);
	}
	if (unix_fd >= 0 && hookd_start(&d.hooks, &d, unix_fd) < 0) {
		close(unix_fd);
		dlog("error", "cannot start the hook workers", json_pack("{s:s}", "error", error_last()));
		rc = 3;
		goto stop;
	}
	if (d.queue && reviewd_start(&d.reviews, &d, cfg->review_workers) < 0) {
		dlog("error", "cannot start the review workers", json_pack("{s:s}", "error", error_last()));
		rc = 3;
		goto stop;
	}
	if ((cfg->listen || inet_fd >= 0) && webhookd_start(&d.web, &d, cfg->listen, inet_fd, &port) < 0) {
		dlog("error", "webhook listener", json_pack("{s:s}", "error", error_last()));
		rc = 3;
		goto stop;
	}
	if (flags->port_file && d.web) {
		FILE *f = fopen(flags->port_file, "w");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	{
		json_t *ready = config_summary(cfg);
		json_object_set_new(ready, "socket", cfg->socket ? json_string(cfg->socket) :
			unix_fd >= 0 ? json_string("(systemd)") : json_null());
		json_object_set_new(ready, "socket_from", unix_fd < 0 ? json_null() :
			json_string(own_socket ? "its own" : "systemd"));
		json_object_set_new(ready, "http_port", d.web ? json_integer(port) : json_null());
		json_object_set_new(ready, "pid", json_integer(getpid()));
		json_object_set_new(ready, "version", json_string(PYSEC_VERSION));
		dlog("info", "ready", ready);
	}

	while (!d.stopping) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&sigs, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT) {
			dlog("info", "stopping: finishing the work in flight", json_pack("{s:s}", "signal",
				sig == SIGTERM ? "TERM" : "INT"));
			d.stopping = 1;
		} else if (sig == SIGHUP) {
			struct dconfig *fresh = NULL;
			if (dconfig_load(&fresh, flags) < 0) {
				dlog("error", "reload failed; keeping the configuration in use",
					json_pack("{s:s}", "error", error_last()));
				continue;
			}
			gen_swap(&d, gen_new(fresh));
			dlog("info", "reloaded: configuration read, rules and cache fresh", config_summary(fresh));
		}
		if (d.queue && clock_wall_ms() - last_prune > 3600 * 1000) {
			queue_prune(d.queue, 14);
			last_prune = clock_wall_ms();
		}
	}
stop:
	stop_timeout = d.gen ? d.gen->cfg->stop_timeout : 0;
	if (stop_in_time(&d, stop_timeout) < 0) {
		/* the deadline passed (a scan or a forge that does not end): what was in flight is queued again */
		if (d.queue)
			queue_abandon(d.queue);
		if (own_socket)
			unlink(own_socket);
		dlog("warning", "stopped at the deadline, with work unfinished (pysec.daemon.stopTimeout)",
			json_pack("{s:f}", "seconds", stop_timeout));
		_exit(rc);
	}
	if (own_socket)
		unlink(own_socket);	/* hooks now scan in their own process at once; systemd's socket stays */
	free(own_socket);
	queue_close(d.queue);
	if (lock_fd >= 0)
		close(lock_fd);
	if (d.gen)
		gen_swap(&d, NULL);
	else
		dconfig_free(cfg);
	pthread_mutex_destroy(&d.lock);
	dlog("info", "stopped", NULL);
	return rc;
}
