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
 *
 * One daemon per queue: serve.c holds an exclusive lock beside the file
 * before it opens it, so a job left `running` that no worker of this daemon
 * holds (the in-flight set) is stuck.  That happens when a job's end could
 * not be written (a full disk): the queue then counts as failing (health,
 * /healthz), and the workers try queue_maintain() until a write succeeds
 * again and such jobs are queued again, without a restart.  The files are
 * the daemon's: never world-readable (SQLite gives the -wal and -shm files
 * the database's mode).
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_IN_FLIGHT 64

struct queue {
	sqlite3 *db;
	pthread_mutex_t lock;	/* every use of db, and what follows */
	pthread_cond_t cond;
	uint64_t seq;		/* bumped by queue_notify(): a worker waits only if nothing happened since its claim */
	unsigned attempts;
	int64_t in_flight[MAX_IN_FLIGHT];	/* the jobs this daemon's workers run now */
	size_t nin_flight;
	char write_error[256];	/* why the last write failed; "" once one succeeded */
	int stuck;		/* a job's end could not be written: it is left running */
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
	"CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, not_before);"
	/* one row, written by queue_health(): can the queue be written now? */
	"CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY CHECK (id = 1), checked INTEGER NOT NULL);";

/* A statement failed: remember why, for queue_health() (under q->lock). */
static void failed_write(struct queue *q)
{
	snprintf(q->write_error, sizeof(q->write_error), "%s", sqlite3_errmsg(q->db));
}

static int exec(struct queue *q, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		dlog("error", "queue: sql failed", json_pack("{s:s,s:s}", "sql", sql, "error", msg ? msg : "?"));
		sqlite3_free(msg);
		failed_write(q);
		return -1;
	}
	return 0;
}

/*
 * COMMIT, or ROLLBACK when it fails; 0 when the transaction is written.  One
 * that `wrote` rows shows the queue can be written again (a transaction that
 * changed nothing writes nothing, and shows nothing).
 */
static int commit(struct queue *q, int wrote)
{
	if (exec(q, "COMMIT") < 0) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (wrote)
		q->write_error[0] = '\0';
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
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dlog("error", "queue: statement failed", json_pack("{s:s,s:s}", "sql", sql, "error", sqlite3_errmsg(q->db)));
		failed_write(q);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return sqlite3_changes(q->db);
}

static const char *forge_name(pysec_forge_kind k)
{
	return pysec_forge_kind_name(k);
}

/*
 * Jobs left running that no worker of this daemon runs (after a crash, or
 * when their end could not be written): queued again, superseded by a
 * newer queued job, or parked when their attempts are spent.  Returns how
 * many, or -1 when that could not be written.  Under q->lock.
 */
static int recover(struct queue *q)
{
	char stuck[64 + 24 * MAX_IN_FLIGHT];
	char sql[3][sizeof(stuck) + 320];
	int64_t t = clock_wall_ms();
	size_t i, n = 0;
	int parked, superseded, requeued;

	/* "state = 'running' AND id NOT IN (...)": the ids are this daemon's own integers */
	n += (size_t)snprintf(stuck, sizeof(stuck), "state = 'running' AND id NOT IN (-1");
	for (i = 0; i < q->nin_flight; i++)
		n += (size_t)snprintf(stuck + n, sizeof(stuck) - n, ",%lld", (long long)q->in_flight[i]);
	snprintf(stuck + n, sizeof(stuck) - n, ")");
	snprintf(sql[0], sizeof(sql[0]), "UPDATE jobs SET state = 'parked', updated = ?, error = 'the daemon stopped "
		"during this review ' || attempts || ' times' WHERE %s AND attempts >= ?", stuck);
	snprintf(sql[1], sizeof(sql[1]), "UPDATE jobs SET state = 'superseded', updated = ? WHERE %s AND EXISTS "
		"(SELECT 1 FROM jobs AS n WHERE n.state = 'queued' AND n.forge = jobs.forge AND n.project = jobs.project "
		"AND n.number = jobs.number)", stuck);
	snprintf(sql[2], sizeof(sql[2]), "UPDATE jobs SET state = 'queued', updated = ? WHERE %s", stuck);
	if (exec(q, "BEGIN IMMEDIATE") < 0)
		return -1;
	if ((parked = run(q, sql[0], "ii", t, (int64_t)q->attempts)) < 0 || (superseded = run(q, sql[1], "i", t)) < 0 ||
	    (requeued = run(q, sql[2], "i", t)) < 0) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return commit(q, parked + superseded + requeued) < 0 ? -1 : parked + superseded + requeued;
}

/*
 * The queue's files, made before SQLite opens them so that none is ever
 * world-readable: the database (its -wal and -shm get its mode when SQLite
 * makes them), and any left by an older run.
 */
static int private_files(const char *path, char *err, size_t errlen)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char name[4096];
	struct stat st;
	size_t i;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open the queue '%s': %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (lstat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0007) &&
		    chmod(name, st.st_mode & 0770) < 0) {
			snprintf(err, errlen, "'%s' is readable by everyone, and cannot be made private: %s", name,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

int queue_open(struct queue **out, const char *path, int sync_full, unsigned attempts, char *err, size_t errlen)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	int n;

	q->attempts = attempts;
	if (private_files(path, err, errlen) < 0) {
		free(q);
		return -1;
	}
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the queue '%s': %s", path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
		sqlite3_close(q->db);
		free(q);
		return -1;
	}
	sqlite3_busy_timeout(q->db, 5000);
	if (exec(q, "PRAGMA journal_mode = WAL") < 0 ||
	    exec(q, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") < 0 ||
	    exec(q, schema) < 0 || (n = recover(q)) < 0) {
		snprintf(err, errlen, "cannot set up the queue '%s': %s", path, sqlite3_errmsg(q->db));
		sqlite3_close(q->db);
		free(q);
		return -1;
	}
	if (n > 0)
		dlog("info", "queue: jobs interrupted by the last stop are queued again", json_pack("{s:i}", "jobs", n));
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
	int64_t t = clock_wall_ms(), pending;
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
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
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
	if (commit(q, *result != QUEUE_DUPLICATE) < 0)
		goto fail;
	pthread_mutex_unlock(&q->lock);
	if (*result == QUEUE_ADDED || *result == QUEUE_MERGED)
		queue_notify(q);
	return 0;
rollback:
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	pthread_mutex_unlock(&q->lock);
	return -1;
}

int queue_claim(struct queue *q, struct job *out, int64_t *next_due_ms, uint64_t *seq)
{
	sqlite3_stmt *st;
	int64_t t = clock_wall_ms();
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
	if (found && (found = run(q, "UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = ? "
		"WHERE id = ?", "ii", t, out->id) == 1) && q->nin_flight == MAX_IN_FLIGHT)
		found = 0;	/* cannot happen: there are fewer workers */
	if (!found)
		*next_due_ms = scalar(q, "SELECT min(not_before) FROM jobs WHERE state = 'queued'", "", NULL, NULL, 0);
	if (commit(q, found) < 0)
		found = 0;
	if (found)
		q->in_flight[q->nin_flight++] = out->id;
	pthread_mutex_unlock(&q->lock);
	return found;
}

/* The job is no longer this daemon's to run (under q->lock). */
static void landed(struct queue *q, int64_t id)
{
	size_t i;

	for (i = 0; i < q->nin_flight; i++) {
		if (q->in_flight[i] == id) {
			q->in_flight[i] = q->in_flight[--q->nin_flight];
			break;
		}
	}
}

/* End job `id` with `sql`, which binds the time, a text and the id; 0 when written (under q->lock). */
static int finish_locked(struct queue *q, int64_t id, const char *sql, int64_t t, const char *text)
{
	if (exec(q, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (run(q, sql, "isi", t, text, id) < 0) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return commit(q, 1);
}

/* The same, for a worker: when it cannot be written, the job is left stuck until queue_maintain(). */
static int finish(struct queue *q, int64_t id, const char *what, const char *sql, int64_t t, const char *text)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = finish_locked(q, id, sql, t, text);
	landed(q, id);
	if (rc < 0) {
		q->stuck = 1;
		dlog("error", "queue: cannot record the end of a job; it is queued again once the queue can be written",
			json_pack("{s:I,s:s,s:s}", "job", (json_int_t)id, "end", what, "error", q->write_error));
	}
	pthread_mutex_unlock(&q->lock);
	/* a job for the same request may have waited for this one */
	queue_notify(q);
	return rc;
}

/* superseded when a newer job for the request is queued, else queued again */
#define REQUEUED "CASE WHEN EXISTS (SELECT 1 FROM jobs AS n WHERE n.state = 'queued' AND n.forge = jobs.forge AND " \
	"n.project = jobs.project AND n.number = jobs.number) THEN 'superseded' ELSE 'queued' END"
/* a job the daemon's stop interrupted: the attempt was not the job's, and is not counted */
static const char release_sql[] = "UPDATE jobs SET updated = ?, error = ?, attempts = max(attempts - 1, 0), "
	"not_before = 0, state = " REQUEUED " WHERE id = ?";

int queue_done(struct queue *q, int64_t id, const char *result)
{
	return finish(q, id, "done", "UPDATE jobs SET state = 'done', updated = ?, error = NULL, result = ? WHERE id = ?",
		clock_wall_ms(), result);
}

int queue_failed(struct queue *q, const struct job *job, const char *error, unsigned delay_ms, int park)
{
	int64_t t = clock_wall_ms();
	char sql[512];

	if (park)
		return finish(q, job->id, "parked", "UPDATE jobs SET state = 'parked', updated = ?, error = ? WHERE id = ?",
			t, error);
	snprintf(sql, sizeof(sql), "UPDATE jobs SET updated = ?, error = ?, not_before = %lld, state = " REQUEUED
		" WHERE id = ?", (long long)(t + (int64_t)delay_ms));
	return finish(q, job->id, "retry", sql, t, error);
}

int queue_release(struct queue *q, const struct job *job)
{
	return finish(q, job->id, "released", release_sql, clock_wall_ms(), "interrupted by the daemon's stop");
}

int queue_maintain(struct queue *q)
{
	int n = 0;

	pthread_mutex_lock(&q->lock);
	if (q->stuck && (n = recover(q)) >= 0) {
		q->stuck = 0;
		dlog("info", "queue: it can be written again; the jobs whose end could not be written are queued again",
			json_pack("{s:i}", "jobs", n));
	}
	pthread_mutex_unlock(&q->lock);
	if (n > 0)
		queue_notify(q);
	return n < 0 ? -1 : 0;
}

int queue_health(struct queue *q, char *why, size_t whylen)
{
	int rc;

	queue_maintain(q);
	pthread_mutex_lock(&q->lock);
	rc = exec(q, "BEGIN IMMEDIATE") < 0 || run(q, "INSERT OR REPLACE INTO health (id, checked) VALUES (1, ?)", "i",
		clock_wall_ms()) < 0 ? -1 : 0;
	if (rc < 0)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = commit(q, 1);
	if (rc == 0 && q->stuck) {
		snprintf(q->write_error, sizeof(q->write_error), "jobs whose end could not be written are not queued again yet");
		rc = -1;
	}
	if (rc < 0)
		snprintf(why, whylen, "%s", q->write_error);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void queue_abandon(struct queue *q)
{
	size_t i;

	/* the lock is kept: nothing writes to the queue after this */
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->nin_flight; i++)
		if (finish_locked(q, q->in_flight[i], release_sql, clock_wall_ms(), "interrupted by the daemon's stop") == 0)
			dlog("warning", "stop: an unfinished review is queued again", json_pack("{s:I}", "job",
				(json_int_t)q->in_flight[i]));
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
	int64_t before = clock_wall_ms() - (int64_t)days * 86400000;

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
	int64_t t = clock_wall_ms(), wait = until_ms > t ? until_ms - t : 0;

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
