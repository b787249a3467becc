/*
 * test_daemon_threads.c: the daemon's thread pools when a thread cannot be
 * started (EAGAIN: RLIMIT_NPROC, cgroup pids.max, memory).  The test is
 * linked with ld's --wrap=pthread_create and --wrap=pthread_join: the
 * wrappers fail the Nth creation, count the threads started, and refuse
 * (and count) a join of a thread that was never created, which would be
 * undefined behaviour with the real one.  After a failed start, every
 * thread that was started must have been joined, and nothing else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __wrap_pthread_join(pthread_t t, void **ret);

#define MAX_THREADS 64

static struct {
	pthread_mutex_t lock;
	unsigned calls;		/* pthread_create calls */
	unsigned fail_at;	/* the call that fails with EAGAIN (1-based); 0: none */
	pthread_t created[MAX_THREADS];
	int joined[MAX_THREADS];
	unsigned ncreated;
	unsigned bad_joins;	/* joins of a thread never created */
} w = { PTHREAD_MUTEX_INITIALIZER, 0, 0, { 0 }, { 0 }, 0, 0 };

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	int rc;

	pthread_mutex_lock(&w.lock);
	if (++w.calls == w.fail_at) {
		pthread_mutex_unlock(&w.lock);
		return EAGAIN;
	}
	rc = __real_pthread_create(t, attr, fn, arg);
	if (rc == 0) {
		assert_true(w.ncreated < MAX_THREADS);
		w.created[w.ncreated++] = *t;
	}
	pthread_mutex_unlock(&w.lock);
	return rc;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
	unsigned i;

	pthread_mutex_lock(&w.lock);
	for (i = 0; i < w.ncreated; i++)
		if (!w.joined[i] && pthread_equal(w.created[i], t))
			break;
	if (i == w.ncreated) {
		w.bad_joins++;
		pthread_mutex_unlock(&w.lock);
		return ESRCH;
	}
	w.joined[i] = 1;
	pthread_mutex_unlock(&w.lock);
	return __real_pthread_join(t, ret);
}

static void inject(unsigned fail_at)
{
	pthread_mutex_lock(&w.lock);
	w.calls = 0;
	w.fail_at = fail_at;
	w.ncreated = 0;
	w.bad_joins = 0;
	memset(w.joined, 0, sizeof(w.joined));
	pthread_mutex_unlock(&w.lock);
}

/* Every thread created was joined, and no join was of a thread never created. */
static void assert_all_joined(unsigned created)
{
	unsigned i;

	pthread_mutex_lock(&w.lock);
	assert_int_equal(w.ncreated, created);
	for (i = 0; i < w.ncreated; i++)
		assert_true(w.joined[i]);
	assert_int_equal(w.bad_joins, 0);
	pthread_mutex_unlock(&w.lock);
}

/* A daemon's state with one generation read from `conf`, in a directory of its own. */
struct fixture {
	char dir[64];
	char path[128];
	struct daemon d;
	struct generation gen;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static struct fixture *fixture_new(const char *conf)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	pysec_serve_options flags;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "%s/pysec-threads-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/pysec.conf", fx->dir);
	write_file(fx->path, conf);
	memset(&flags, 0, sizeof(flags));
	flags.config = fx->path;
	assert_int_equal(dconfig_load(&fx->gen.cfg, &flags), 0);
	fx->gen.refs = 1;
	pthread_mutex_init(&fx->d.lock, NULL);
	fx->d.gen = &fx->gen;
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	char cmd[128];

	dconfig_free(fx->gen.cfg);
	pthread_mutex_destroy(&fx->d.lock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
}

static int listening_socket(struct fixture *fx)
{
	char sock[128];
	int fd;

	snprintf(sock, sizeof(sock), "%s/s", fx->dir);
	assert_int_equal(hookd_listen(&fd, sock, NULL), 0);
	return fd;
}

/* Three workers and the acceptor: each of the four creations fails in turn. */
static void hooks_start_fails(void **state)
{
	struct fixture *fx = fixture_new("[pysec \"daemon\"]\n\tworkers = 3\n");
	unsigned k;

	for (k = 1; k <= 4; k++) {
		struct hookd *h = NULL;
		int fd = listening_socket(fx);

		inject(k);
		assert_int_equal(hookd_start(&h, &fx->d, fd), PYSEC_ERROR);
		assert_null(h);
		assert_non_null(strstr(error_last(), k < 4 ? "a worker" : "the acceptor"));
		assert_non_null(strstr(error_last(), strerror(EAGAIN)));
		assert_all_joined(k - 1);
		close(fd);
	}
	fixture_free(fx);
}

static void hooks_start_and_stop(void **state)
{
	struct fixture *fx = fixture_new("[pysec \"daemon\"]\n\tworkers = 3\n");
	struct hookd *h = NULL;
	unsigned queued, busy, workers;

	inject(0);
	assert_int_equal(hookd_start(&h, &fx->d, listening_socket(fx)), 0);
	hookd_stats(h, &queued, &busy, &workers);
	assert_int_equal(workers, 3);
	hookd_stop(h);
	assert_all_joined(4);
	fixture_free(fx);
}

static void reviews_start_fails(void **state)
{
	struct fixture *fx = fixture_new("[pysec \"daemon\"]\n\treviewWorkers = 3\n");
	char db[128], err[256];
	unsigned k;

	snprintf(db, sizeof(db), "%s/q.db", fx->dir);
	assert_int_equal(queue_open(&fx->d.queue, db, 0, 6, err, sizeof(err)), 0);
	for (k = 1; k <= 3; k++) {
		struct reviewd *r = NULL;

		inject(k);
		assert_int_equal(reviewd_start(&r, &fx->d, 3), PYSEC_ERROR);
		assert_null(r);
		assert_non_null(strstr(error_last(), "cannot start the review workers"));
		assert_all_joined(k - 1);
	}
	inject(0);
	{
		struct reviewd *r = NULL;

		assert_int_equal(reviewd_start(&r, &fx->d, 3), 0);
		reviewd_stop(r);
		assert_all_joined(3);
	}
	queue_close(fx->d.queue);
	fixture_free(fx);
}

/*
 * A daemon that kept running after all would wait for a signal: past 60 s,
 * the watchdog sends it SIGTERM, so that the test fails instead of hanging.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
} watch = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void *watchdog(void *arg)
{
	struct timespec deadline;
	sigset_t term;
	int fired;

	/* blocked here, the signal goes to the daemon's thread, which waits for it */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 60;
	pthread_mutex_lock(&watch.lock);
	while (!watch.done && pthread_cond_timedwait(&watch.cond, &watch.lock, &deadline) == 0)
		;
	fired = !watch.done;
	pthread_mutex_unlock(&watch.lock);
	if (fired)
		kill(getpid(), SIGTERM);
	return NULL;
}

/* The whole daemon: a hook worker that cannot start is an exit with status 3, the socket removed. */
static void serve_start_fails(void **state)
{
	struct fixture *fx;
	pysec_serve_options flags;
	char conf[512], sock[128];
	struct stat st;
	pthread_t dog;
	int rc;

	fx = fixture_new("");
	snprintf(sock, sizeof(sock), "%s/hooks.sock", fx->dir);
	snprintf(conf, sizeof(conf), "[pysec]\n\tdaemonSocket = %s\n[pysec \"daemon\"]\n\tworkers = 2\n", sock);
	write_file(fx->path, conf);
	memset(&flags, 0, sizeof(flags));
	flags.config = fx->path;
	assert_int_equal(__real_pthread_create(&dog, NULL, watchdog, NULL), 0);
	inject(2);
	rc = pysec_serve(&flags);
	pthread_mutex_lock(&watch.lock);
	watch.done = 1;
	pthread_cond_signal(&watch.cond);
	pthread_mutex_unlock(&watch.lock);
	__real_pthread_join(dog, NULL);
	assert_int_equal(rc, 3);
	assert_int_equal(lstat(sock, &st), -1);
	/* the first worker was joined; the stop ran in a thread of its own (the third creation) */
	pthread_mutex_lock(&w.lock);
	assert_int_equal(w.bad_joins, 0);
	assert_true(w.joined[0]);
	pthread_mutex_unlock(&w.lock);
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hooks_start_fails),
		cmocka_unit_test(hooks_start_and_stop),
		cmocka_unit_test(reviews_start_fails),
		cmocka_unit_test(serve_start_fails),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
