/*
 * queue.c: the durable queue of review jobs, in SQLite (WAL).
 *
 *   deliveries(id PRIMARY KEY, received, job)     every accepted delivery, by
 *       "<forge>:<Idempotency-Key | X-Gitea-Delivery | X-GitHub-Delivery | sha256 of the body>":
 *       a delivery seen before is a duplicate and makes no job
 *   jobs(id, forge, project, number, head, state, attempts, not_before,
 *        created, updated, deliveries, error, result)
 *
 * A job's states:
 *
 *   queued --claim--> running --> done
 *      ^                 |  \---> parked      (attempts spent; error kept)
 *      |                 |   \--> superseded  (a newer job for the request is queued)
 *      +---- retry ------+        (after a backoff: not_before)
 *
 * At most one job a request is queued (a unique partial index): a delivery
 * for a request that has one updates its head, so pending deliveries
 * collapse to the newest.  A request never has two jobs running (the claim
 * skips it), so two workers never post to one request at once.  A delivery
 * is committed (synchronous=FULL by default) before the forge gets its 2xx.
 * After a crash, jobs left running are queued again (the review lists what
 * is posted before posting, so a rerun does not post twice); the attempt
 * was counted when claimed, so a job that kills the daemon is parked.
 */
#include "daemon.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct queue {
	sqlite3 *db;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t seq;		/* bumped by queue_notify(): a worker waits only if nothing happened since its claim */
	unsigned attempts;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS deliveries ("
	"  id TEXT PRIMARY KEY,"
	"  received INTEGER NOT NULL,"
	"  job INTEGER);"
	"CREATE TABLE IF NOT EXISTS jobs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  forge TEXT NOT NULL,"
	"  project TEXT NOT NULL,"
	"  number INTEGER NOT NULL,"
	"  head TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('queued','running','done','parked','superseded')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  not_before INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  deliveries INTEGER NOT NULL DEFAULT 1,"
	"  error TEXT,"
	"  result TEXT);"
	"CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_queued ON jobs(forge, project, number) WHERE state = 'queued';"
	"CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, not_before);";

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exec(struct queue *q, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		dlog("error", "queue: sql failed", json_pack("{s:s,s:s}", "sql", sql, "error", msg ? msg : "?"));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *prep(struct queue *q, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		dlog("error", "queue: cannot prepare", json_pack("{s:s,s:s}", "sql", sql, "error", sqlite3_errmsg(q->db)));
		return NULL;
	}
	return st;
}

/* Run a statement with text/int binds given as a format: 's' text, 'i' int64. */
static int run(struct queue *q, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = prep(q, sql);
	va_list ap;
	int i, rc;

	if (!st)
		return -1;
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		} else {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dlog("error", "queue: statement failed", json_pack("{s:s,s:s}", "sql", sql, "error", sqlite3_errmsg(q->db)));
		return -1;
	}
	return sqlite3_changes(q->db);
}

static const char *forge_name(pysec_forge_kind k)
{
	return pysec_forge_kind_name(k);
}

/* Jobs a crash left running: queued again, superseded by a newer queued job, or parked. */
static int recover(struct queue *q)
{
	int64_t t = now_ms();
	int n;

	if (exec(q, "BEGIN IMMEDIATE") < 0)
		return -1;
	run(q, "UPDATE jobs SET state = 'parked', updated = ?, error = 'the daemon stopped during this review ' || "
		"attempts || ' times' WHERE state = 'running' AND attempts >= ?", "ii", t, (int64_t)q->attempts);
	run(q, "UPDATE jobs SET state = 'superseded', updated = ? WHERE state = 'running' AND EXISTS (SELECT 1 FROM "
		"jobs AS n WHERE n.state = 'queued' AND n.forge = jobs.forge AND n.project = jobs.project AND "
		"n.number = jobs.number)", "i", t);
	n = run(q, "UPDATE jobs SET state = 'queued', updated = ? WHERE state = 'running'", "i", t);
	if (exec(q, "COMMIT") < 0)
		return -1;
	if (n > 0)
		dlog("info", "queue: jobs interrupted by the last stop are queued again", json_pack("{s:i}", "jobs", n));
	return 0;
}

int queue_open(struct queue **out, const char *path, int sync_full, unsigned attempts, char *err, size_t errlen)
{
	struct queue *q = dcheck(calloc(1, sizeof(*q)));

	q->attempts = attempts;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the queue '%s': %s", path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
		sqlite3_close(q->db);
		free(q);
		return -1;
	}
	sqlite3_busy_timeout(q->db, 5000);
	if (exec(q, "PRAGMA journal_mode = WAL") < 0 ||
	    exec(q, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") < 0 ||
	    exec(q, schema) < 0 || recover(q) < 0) {
		snprintf(err, errlen, "cannot set up the queue '%s': %s", path, sqlite3_errmsg(q->db));
		sqlite3_close(q->db);
		free(q);
		return -1;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	*out = q;
	return 0;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	sqlite3_close(q->db);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}

static int64_t scalar(struct queue *q, const char *sql, const char *types, const char *s1, const char *s2, int64_t i3)
{
	sqlite3_stmt *st = prep(q, sql);
	int64_t v = -1;
	int k = 1;

	if (!st)
		return -1;
	for (; *types; types++) {
		if (*types == 's')
			sqlite3_bind_text(st, k, k == 1 ? s1 : s2, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, k, i3);
		k++;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int queue_add(struct queue *q, const char *delivery, pysec_forge_kind kind, const char *project, uint64_t number,
	const char *head, size_t max_pending, enum queue_add_result *result, int64_t *job)
{
	int64_t t = now_ms(), pending;
	const char *forge = forge_name(kind);
	int n;

	pthread_mutex_lock(&q->lock);
	if (exec(q, "BEGIN IMMEDIATE") < 0)
		goto fail;
	n = run(q, "INSERT OR IGNORE INTO deliveries (id, received) VALUES (?, ?)", "si", delivery, t);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		*result = QUEUE_DUPLICATE;
		*job = scalar(q, "SELECT job FROM deliveries WHERE id = ?", "s", delivery, NULL, 0);
		goto commit;
	}
	n = run(q, "UPDATE jobs SET head = ?, updated = ?, deliveries = deliveries + 1 WHERE state = 'queued' AND "
		"forge = ? AND project = ? AND number = ?", "sissi", head, t, forge, project, (int64_t)number);
	if (n < 0)
		goto rollback;
	if (n > 0) {
		*result = QUEUE_MERGED;
	} else {
		pending = scalar(q, "SELECT count(*) FROM jobs WHERE state = 'queued'", "", NULL, NULL, 0);
		if (pending >= (int64_t)max_pending) {
			/* back-pressure: the forge retries later; the delivery is not recorded */
			exec(q, "ROLLBACK");
			pthread_mutex_unlock(&q->lock);
			*result = QUEUE_FULL;
			return 0;
		}
		if (run(q, "INSERT INTO jobs (forge, project, number, head, state, created, updated) VALUES "
			"(?, ?, ?, ?, 'queued', ?, ?)", "ssisii", forge, project, (int64_t)number, head, t, t) < 0)
			goto rollback;
		*result = QUEUE_ADDED;
	}
	*job = scalar(q, "SELECT id FROM jobs WHERE state = 'queued' AND forge = ? AND project = ? AND number = ?",
		"ssi", forge, project, (int64_t)number);
	if (run(q, "UPDATE deliveries SET job = ? WHERE id = ?", "is", *job, delivery) < 0)
		goto rollback;
commit:
	if (exec(q, "COMMIT") < 0)
		goto rollback;
	pthread_mutex_unlock(&q->lock);
	if (*result == QUEUE_ADDED || *result == QUEUE_MERGED)
		queue_notify(q);
	return 0;
rollback:
	exec(q, "ROLLBACK");
fail:
	pthread_mutex_unlock(&q->lock);
	return -1;
}

int queue_claim(struct queue *q, struct job *out, int64_t *next_due_ms, uint64_t *seq)
{
	sqlite3_stmt *st;
	int64_t t = now_ms();
	int found = 0;

	*next_due_ms = 0;
	pthread_mutex_lock(&q->lock);
	*seq = q->seq;
	if (exec(q, "BEGIN IMMEDIATE") < 0) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	st = prep(q, "SELECT id, forge, project, number, head, attempts FROM jobs AS j WHERE state = 'queued' AND "
		"not_before <= ? AND NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.state = 'running' AND "
		"r.forge = j.forge AND r.project = j.project AND r.number = j.number) ORDER BY not_before, id LIMIT 1");
	if (st) {
		sqlite3_bind_int64(st, 1, t);
		if (sqlite3_step(st) == SQLITE_ROW) {
			memset(out, 0, sizeof(*out));
			out->id = sqlite3_column_int64(st, 0);
			out->kind = pysec_forge_kind_parse((const char *)sqlite3_column_text(st, 1));
			snprintf(out->project, sizeof(out->project), "%s", (const char *)sqlite3_column_text(st, 2));
			out->number = (uint64_t)sqlite3_column_int64(st, 3);
			snprintf(out->head, sizeof(out->head), "%s", (const char *)sqlite3_column_text(st, 4));
			out->attempts = (unsigned)sqlite3_column_int64(st, 5) + 1;
			found = 1;
		}
		sqlite3_finalize(st);
	}
	if (found)
		found = run(q, "UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = ? WHERE id = ?", "ii",
			t, out->id) == 1;
	else
		*next_due_ms = scalar(q, "SELECT min(not_before) FROM jobs WHERE state = 'queued'", "", NULL, NULL, 0);
	if (exec(q, "COMMIT") < 0) {
		exec(q, "ROLLBACK");
		found = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return found;
}

void queue_done(struct queue *q, int64_t id, const char *result)
{
	pthread_mutex_lock(&q->lock);
	run(q, "UPDATE jobs SET state = 'done', updated = ?, error = NULL, result = ? WHERE id = ?", "isi", now_ms(),
		result, id);
	pthread_mutex_unlock(&q->lock);
	/* a job for the same request may have waited for this one */
	queue_notify(q);
}

void queue_failed(struct queue *q, const struct job *job, const char *error, unsigned delay_ms, int park)
{
	int64_t t = now_ms();

	pthread_mutex_lock(&q->lock);
	exec(q, "BEGIN IMMEDIATE");
	if (park)
		run(q, "UPDATE jobs SET state = 'parked', updated = ?, error = ? WHERE id = ?", "isi", t, error, job->id);
	else if (run(q, "UPDATE jobs SET state = 'superseded', updated = ?, error = ? WHERE id = ? AND EXISTS "
		     "(SELECT 1 FROM jobs AS n WHERE n.state = 'queued' AND n.forge = jobs.forge AND "
		     "n.project = jobs.project AND n.number = jobs.number)", "isi", t, error, job->id) == 0)
		run(q, "UPDATE jobs SET state = 'queued', updated = ?, not_before = ?, error = ? WHERE id = ?", "iisi", t,
			t + (int64_t)delay_ms, error, job->id);
	exec(q, "COMMIT");
	pthread_mutex_unlock(&q->lock);
	queue_notify(q);
}

void queue_counts(struct queue *q, int64_t counts[5])
{
	static const char *const states[] = { "queued", "running", "done", "parked", "superseded" };
	size_t i;

	pthread_mutex_lock(&q->lock);
	for (i = 0; i < 5; i++)
		counts[i] = scalar(q, "SELECT count(*) FROM jobs WHERE state = ?", "s", states[i], NULL, 0);
	pthread_mutex_unlock(&q->lock);
}

void queue_prune(struct queue *q, int days)
{
	int64_t before = now_ms() - (int64_t)days * 86400000;

	pthread_mutex_lock(&q->lock);
	run(q, "DELETE FROM jobs WHERE state IN ('done', 'superseded') AND updated < ?", "i", before);
	run(q, "DELETE FROM deliveries WHERE received < ?", "i", before);
	pthread_mutex_unlock(&q->lock);
}

void queue_notify(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->seq++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void queue_wait(struct queue *q, int64_t until_ms, const volatile int *stop, uint64_t seq)
{
	struct timespec ts;
	int64_t t = now_ms(), wait = until_ms > t ? until_ms - t : 0;

	if (wait <= 0 || wait > 1000)
		wait = 1000;	/* wake up now and then anyway: a retry may come due */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(wait / 1000);
	ts.tv_nsec += (long)(wait % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->lock);
	if (!*stop && q->seq == seq)
		pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	pthread_mutex_unlock(&q->lock);
}
