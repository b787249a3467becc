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
	pthread_mutex_destroy(&g->users_lock);
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
	pthread_mutex_init(&g->users_lock, NULL);
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

/* What pysec_serve() holds from its start to its exit. */
struct serving {
	struct daemon d;
	int unix_fd, inet_fd;	/* the listening sockets, systemd's or its own; -1: none */
	char *own_socket;	/* the hooks' socket this process made, removed at the exit */
	unsigned port;		/* the HTTP port bound */
};

/* With webhooks, their queue: 0, or the exit status (the reason logged). */
static int serve_queue(struct serving *s, const struct dconfig *cfg)
{
	if (!cfg->listen && s->inet_fd < 0)
		return 0;
	if (!cfg->queue_db) {
		dlog("error", "webhooks need a queue: set pysec.daemon.queueDb", NULL);
		return 2;
	}
	if (queue_open(&s->d.queue, cfg) < 0) {
		dlog("error", "queue", json_pack("{s:s}", "error", error_last()));
		return 3;
	}
	return 0;
}

/* Signals are taken by this thread alone, with sigtimedwait; the workers, started after, never see them. */
static void serve_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The hooks' socket and workers, the review workers, the webhook listener: 0, or -1 (the reason logged). */
static int serve_start(struct serving *s, const struct dconfig *cfg)
{
	struct daemon *d = &s->d;
	const char *what;

	if (s->unix_fd < 0 && cfg->socket) {
		what = "hook socket";
		if (hookd_listen(&s->unix_fd, cfg->socket, cfg->socket_group) < 0)
			goto fail;
		s->own_socket = xstrdup(cfg->socket);
	}
	what = "cannot start the hook workers";
	if (s->unix_fd >= 0 && hookd_start(&d->hooks, d, s->unix_fd) < 0) {
		close(s->unix_fd);
		goto fail;
	}
	what = "cannot start the review workers";
	if (d->queue && reviewd_start(&d->reviews, d, cfg->review_workers) < 0)
		goto fail;
	what = "webhook listener";
	if ((cfg->listen || s->inet_fd >= 0) && webhookd_start(&d->web, d, cfg->listen, s->inet_fd, &s->port) < 0)
		goto fail;
	return 0;
fail:
	dlog("error", what, json_pack("{s:s}", "error", error_last()));
	return -1;
}

/* Say so: the HTTP port in the port file, and "ready" with what is served. */
static void serve_ready(const struct serving *s, const struct dconfig *cfg, const char *port_file)
{
	json_t *ready = config_summary(cfg);

	if (port_file && s->d.web) {
		FILE *f = fopen(port_file, "w");
		if (f) {
			fprintf(f, "%u\n", s->port);
			fclose(f);
		}
	}
	json_object_set_new(ready, "socket", cfg->socket ? json_string(cfg->socket) :
		s->unix_fd >= 0 ? json_string("(systemd)") : json_null());
	json_object_set_new(ready, "socket_from", s->unix_fd < 0 ? json_null() :
		json_string(s->own_socket ? "its own" : "systemd"));
	json_object_set_new(ready, "http_port", s->d.web ? json_integer(s->port) : json_null());
	json_object_set_new(ready, "pid", json_integer(getpid()));
	json_object_set_new(ready, "version", json_string(PYSEC_VERSION));
	dlog("info", "ready", ready);
}

/* Until SIGTERM or SIGINT: SIGHUP starts a new generation; finished jobs are pruned hourly. */
static void serve_loop(struct daemon *d, const pysec_serve_options *flags, const sigset_t *sigs)
{
	int64_t last_prune = 0;

	while (!d->stopping) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(sigs, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT) {
			dlog("info", "stopping: finishing the work in flight", json_pack("{s:s}", "signal",
				sig == SIGTERM ? "TERM" : "INT"));
			d->stopping = 1;
		} else if (sig == SIGHUP) {
			struct dconfig *fresh = NULL;
			if (dconfig_load(&fresh, flags) < 0) {
				dlog("error", "reload failed; keeping the configuration in use",
					json_pack("{s:s}", "error", error_last()));
				continue;
			}
			gen_swap(d, gen_new(fresh));
			dlog("info", "reloaded: configuration read, rules and cache fresh", config_summary(fresh));
		}
		if (d->queue && clock_wall_ms() - last_prune > 3600 * 1000) {
			queue_prune(d->queue, 14);
			last_prune = clock_wall_ms();
		}
	}
}

/* Stop within pysec.daemon.stopTimeout and free; past it, the process ends at once.  Returns `rc`. */
static int serve_stop(struct serving *s, int rc)
{
	struct daemon *d = &s->d;
	double stop_timeout = d->gen->cfg->stop_timeout;

	if (stop_in_time(d, stop_timeout) < 0) {
		/* the deadline passed (a scan or a forge that does not end): what was in flight is queued again */
		if (d->queue)
			queue_abandon(d->queue);
		if (s->own_socket)
			unlink(s->own_socket);
		dlog("warning", "stopped at the deadline, with work unfinished (pysec.daemon.stopTimeout)",
			json_pack("{s:f}", "seconds", stop_timeout));
		_exit(rc);
	}
	if (s->own_socket)
		unlink(s->own_socket);	/* hooks now scan in their own process at once; systemd's socket stays */
	free(s->own_socket);
	queue_close(d->queue);
	gen_swap(d, NULL);
	pthread_mutex_destroy(&d->lock);
	dlog("info", "stopped", NULL);
	return rc;
}

int pysec_serve(const pysec_serve_options *flags)
{
	struct serving s;
	struct dconfig *cfg = NULL;
	sigset_t sigs;
	int rc;

	memset(&s, 0, sizeof(s));
	/*
	 * The roots are the daemon's trust boundary (hooks.c checks every path
	 * a repository reads from against them); the repositories belong to
	 * the git user, not to the daemon's, and libgit2 1.5 would refuse them
	 * all unless safe.directory named each one exactly.
	 */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	pthread_mutex_init(&s.d.lock, NULL);
	s.d.started = (double)clock_wall_ms() / 1000.0;
	if (dconfig_load(&cfg, flags) < 0) {
		dlog("error", "configuration", json_pack("{s:s}", "error", error_last()));
		return 2;
	}
	if (flags->check) {
		dlog("info", "configuration is valid", config_summary(cfg));
		dconfig_free(cfg);
		return 0;
	}
	systemd_sockets(&s.unix_fd, &s.inet_fd);
	if (s.unix_fd < 0 && !cfg->socket && s.inet_fd < 0 && !cfg->listen) {
		dlog("error", "nothing to serve: set pysec.daemonSocket (hooks) or pysec.daemon.listen (webhooks)", NULL);
		dconfig_free(cfg);
		return 2;
	}
	if ((rc = serve_queue(&s, cfg)) != 0) {
		dconfig_free(cfg);
		return rc;
	}
	s.d.gen = gen_new(cfg);
	serve_signals(&sigs);
	if (serve_start(&s, cfg) < 0)
		return serve_stop(&s, 3);
	serve_ready(&s, cfg, flags->port_file);
	serve_loop(&s.d, flags, &sigs);
	return serve_stop(&s, 0);
}
