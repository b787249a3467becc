/*
 * test_daemon_queue.c: the queue's state machine through its one interface
 * (daemon.h), the same tests for each implementation: SQLite in a
 * temporary file, and PostgreSQL when PYSEC_TEST_QUEUE_DB names a database
 * (tests/t/t46-daemon-postgresql.sh runs this program against the server it
 * starts, with PYSEC_TEST_QUEUE_PASSWORD).  Deliveries: new, duplicate,
 * merged into the pending job at the newest head, refused when the queue is
 * full; claims: one job a request at a time; ends: done, retried after a
 * backoff, parked, released without counting the attempt, superseded by a
 * newer pending job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

static char dir[PATH_MAX];
static unsigned serial;

/* A fresh queue: a new SQLite file, or the PostgreSQL database emptied. */
static struct queue *fresh(void)
{
	const char *pg = getenv("PYSEC_TEST_QUEUE_DB");
	struct dconfig cfg;
	struct queue *q = NULL;
	char path[PATH_MAX + 32];

	memset(&cfg, 0, sizeof(cfg));
	cfg.attempts = 3;
	cfg.queue_lease = 30;
	cfg.queue_sync_full = 1;
	cfg.queue_password = (char *)getenv("PYSEC_TEST_QUEUE_PASSWORD");
	snprintf(path, sizeof(path), "%s/q%u.db", dir, serial++);
	cfg.queue_db = (char *)(pg ? pg : path);
	if (queue_open(&q, &cfg) < 0)
		fail_msg("queue_open: %s", error_last());
	if (pg) {
		/* the tests below count from nothing: the schema is the queue's, the rows go */
		const char *keys[] = { "dbname", "password", NULL }, *values[] = { pg, cfg.queue_password, NULL };
		PGconn *c = PQconnectdbParams(keys, values, 1);
		PGresult *r = PQexec(c, "TRUNCATE pysec_jobs, pysec_deliveries");

		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("truncate: %s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	}
	return q;
}

static enum queue_add_result add(struct queue *q, const char *delivery, uint64_t number, const char *head,
	int64_t *job)
{
	enum queue_add_result r;
	int64_t id = 0;

	if (queue_add(q, delivery, PYSEC_FORGE_GITLAB, "group/proj", number, head, 100, &r, &id) < 0)
		fail_msg("queue_add: %s", error_last());
	if (job)
		*job = id;
	return r;
}

static int claim(struct queue *q, struct job *job)
{
	int64_t next = 0;
	uint64_t seq = 0;

	return queue_claim(q, job, &next, &seq);
}

/* The count of jobs in `state`, from /metrics. */
static long long jobs_in(struct queue *q, const char *state)
{
	char *text = NULL, want[64], *at;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	long long n = -1;

	assert_non_null(f);
	queue_metrics(q, f);
	fclose(f);
	snprintf(want, sizeof(want), "pysec_queue_jobs{state=\"%s\"} ", state);
	if ((at = strstr(text, want)) != NULL)
		n = strtoll(at + strlen(want), NULL, 10);
	free(text);
	return n;
}

static void deliveries(void **state)
{
	struct queue *q = fresh();
	int64_t a, b, c;

	assert_int_equal(add(q, "gitlab:d1", 1, "aaa", &a), QUEUE_ADDED);
	assert_int_equal(add(q, "gitlab:d1", 1, "aaa", &b), QUEUE_DUPLICATE);
	assert_int_equal(b, a);
	assert_int_equal(add(q, "gitlab:d2", 1, "bbb", &c), QUEUE_MERGED);
	assert_int_equal(c, a);
	assert_int_equal(add(q, "gitlab:d3", 2, "ccc", &b), QUEUE_ADDED);
	assert_true(b != a);
	assert_int_equal(jobs_in(q, "queued"), 2);
	assert_int_equal(queue_health(q), 0);
	queue_close(q);
}

static void full(void **state)
{
	struct queue *q = fresh();
	enum queue_add_result r;
	int64_t id;

	assert_int_equal(queue_add(q, "gitlab:f1", PYSEC_FORGE_GITLAB, "group/proj", 1, "a", 1, &r, &id), 0);
	assert_int_equal(r, QUEUE_ADDED);
	assert_int_equal(queue_add(q, "gitlab:f2", PYSEC_FORGE_GITLAB, "group/proj", 2, "a", 1, &r, &id), 0);
	assert_int_equal(r, QUEUE_FULL);
	/* not recorded: sent again once there is room, it is new */
	assert_int_equal(queue_add(q, "gitlab:f2", PYSEC_FORGE_GITLAB, "group/proj", 2, "a", 2, &r, &id), 0);
	assert_int_equal(r, QUEUE_ADDED);
	/* a delivery for a request already pending joins it, full or not */
	assert_int_equal(queue_add(q, "gitlab:f3", PYSEC_FORGE_GITLAB, "group/proj", 1, "b", 1, &r, &id), 0);
	assert_int_equal(r, QUEUE_MERGED);
	queue_close(q);
}

static void one_review_a_request(void **state)
{
	struct queue *q = fresh();
	struct job first, second, other;
	int64_t id;

	add(q, "gitlab:o1", 7, "head1", &id);
	assert_int_equal(claim(q, &first), 1);
	assert_int_equal(first.number, 7);
	assert_string_equal(first.head, "head1");
	assert_int_equal(first.attempts, 1);
	assert_int_equal(queue_lost(q, &first), 0);
	/* a delivery while it runs: a new job, which waits for the first */
	assert_int_equal(add(q, "gitlab:o2", 7, "head2", NULL), QUEUE_ADDED);
	assert_int_equal(add(q, "gitlab:o3", 8, "head3", NULL), QUEUE_ADDED);
	assert_int_equal(claim(q, &other), 1);
	assert_int_equal(other.number, 8);
	assert_int_equal(claim(q, &second), 0);
	assert_int_equal(queue_done(q, &first, "reviewed"), 0);
	assert_int_equal(claim(q, &second), 1);
	assert_int_equal(second.number, 7);
	assert_string_equal(second.head, "head2");
	assert_int_equal(queue_done(q, &second, "reviewed"), 0);
	assert_int_equal(queue_done(q, &other, "reviewed"), 0);
	assert_int_equal(jobs_in(q, "done"), 3);
	queue_close(q);
}

static void retries_and_parking(void **state)
{
	struct queue *q = fresh();
	struct job job;
	int64_t next = 0;
	uint64_t seq;
	unsigned i;

	add(q, "gitlab:r1", 3, "h", NULL);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(claim(q, &job), 1);
		assert_int_equal(job.attempts, i);
		assert_int_equal(queue_failed(q, &job, "HTTP 500", 0, i == 3), 0);
	}
	assert_int_equal(claim(q, &job), 0);
	assert_int_equal(jobs_in(q, "parked"), 1);
	/* a backoff: the job is not due before it ends, and the claim says when it is */
	add(q, "gitlab:r2", 4, "h", NULL);
	assert_int_equal(claim(q, &job), 1);
	assert_int_equal(queue_failed(q, &job, "HTTP 502", 60000, 0), 0);
	assert_int_equal(queue_claim(q, &job, &next, &seq), 0);
	assert_true(next > clock_wall_ms() + 50000);
	queue_close(q);
}

static void release_and_supersede(void **state)
{
	struct queue *q = fresh();
	struct job job, again;

	add(q, "gitlab:s1", 5, "h1", NULL);
	assert_int_equal(claim(q, &job), 1);
	/* the daemon stops: queued again, the attempt not counted */
	assert_int_equal(queue_release(q, &job, "interrupted by the daemon's stop"), 0);
	assert_int_equal(claim(q, &again), 1);
	assert_int_equal(again.id, job.id);
	assert_int_equal(again.attempts, 1);
	/* a newer delivery while it runs: the failed run is superseded by the pending job */
	add(q, "gitlab:s2", 5, "h2", NULL);
	assert_int_equal(queue_failed(q, &again, "HTTP 500", 0, 0), 0);
	assert_int_equal(jobs_in(q, "superseded"), 1);
	assert_int_equal(claim(q, &job), 1);
	assert_string_equal(job.head, "h2");
	assert_int_equal(queue_done(q, &job, "reviewed"), 0);
	queue_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deliveries),
		cmocka_unit_test(full),
		cmocka_unit_test(one_review_a_request),
		cmocka_unit_test(retries_and_parking),
		cmocka_unit_test(release_and_supersede),
	};
	char cmd[PATH_MAX + 16];
	int rc;

	snprintf(dir, sizeof(dir), "%s/pysec-queue-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
