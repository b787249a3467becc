/*
 * queue_sqlite.c: the queue of one daemon on one machine, in a SQLite file
 * (WAL), the default.
 *
 *   deliveries(id PRIMARY KEY, received, job)     every accepted delivery, by
 *       "<forge>:<Idempotency-Key | X-Gitea-Delivery | X-GitHub-Delivery | sha256 of the body>":
 *       a delivery seen before is a duplicate and makes no job
 *   jobs(id, forge, project, number, head, state, attempts, not_before,
 *        created, updated, deliveries, error, result)
 *
 * The states are queue.c's.  At most one job a request is queued (a unique
 * partial index); the claim skips a request that has a job running.  A
 * delivery is committed (synchronous=FULL by default) before the forge
 * gets its 2xx.  After a crash, jobs left running are queued again (the
 * review lists what is posted before posting, so a rerun does not post
 * twice); the attempt was counted when claimed, so a job that kills the
 * daemon is parked.
 *
 * One daemon per queue: an exclusive lock beside the file ("<file>.lock",
 * saying whose it is), taken before the file is opened and held until the
 * exit, so a job left `running` that no worker of this daemon holds (the
 * in-flight set) is stuck.  That happens when a job's end could not be
 * written (a full disk): the queue then counts as failing (health,
 * /healthz), and the workers try queue_maintain() until a write succeeds
 * again and such jobs are queued again, without a restart.  The files are
 * the daemon's: never world-readable (SQLite gives the -wal and -shm files
 * the database's mode).
 */
#include "queue.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_IN_FLIGHT 64

struct sqlite_queue {
	struct queue base;
	sqlite3 *db;
	int lock_fd;		/* "<file>.lock", held until the exit */
	pthread_mutex_t lock;	/* every use of db, and what follows */
	unsigned attempts;
	int64_t in_flight[MAX_IN_FLIGHT];	/* the jobs this daemon's workers run now */
	size_t nin_flight;
	char write_error[256];	/* why the last write failed; "" once one succeeded */
	int stuck;		/* a job's end could not be written: it is left running */
};

#define SQ(q) ((struct sqlite_queue *)(q))

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
	/* one row, written by the health check: can the queue be written now? */
	"CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY CHECK (id = 1), checked INTEGER NOT NULL);";

/* A statement failed: remember why, for the health check (under q->lock). */
static void failed_write(struct sqlite_queue *q)
{
	snprintf(q->write_error, sizeof(q->write_error), "%s", sqlite3_errmsg(q->db));
}

static int exec(struct sqlite_queue *q, const char *sql)
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

static void rollback(struct sqlite_queue *q)
{
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * COMMIT, or ROLLBACK when it fails; 0 when the transaction is written.  One
 * that `wrote` rows shows the queue can be written again (a transaction that
 * changed nothing writes nothing, and shows nothing).
 */
static int commit(struct sqlite_queue *q, int wrote)
{
	if (exec(q, "COMMIT") < 0) {
		rollback(q);
		return -1;
	}
	if (wrote)
		q->write_error[0] = '\0';
	return 0;
}

static sqlite3_stmt *prep(struct sqlite_queue *q, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		dlog("error", "queue: cannot prepare", json_pack("{s:s,s:s}", "sql", sql, "error", sqlite3_errmsg(q->db)));
		failed_write(q);
		return NULL;
	}
	return st;
}

/* Bind text/int values given as a format: 's' text (NULL: null), 'i' int64. */
static void bind(sqlite3_stmt *st, const char *types, va_list ap)
{
	int i;

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
}

/* Run a statement with binds (see bind()); the rows it changed, or -1. */
static int run(struct sqlite_queue *q, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = prep(q, sql);
	va_list ap;
	int rc;

	if (!st)
		return -1;
	va_start(ap, types);
	bind(st, types, ap);
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

/* The first column of the first row of a query with binds (see bind()): NULL reads 0; -1 when it failed. */
static int64_t scalar(struct sqlite_queue *q, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = prep(q, sql);
	int64_t v = -1;
	va_list ap;

	if (!st)
		return -1;
	va_start(ap, types);
	bind(st, types, ap);
	va_end(ap);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Jobs left running that no worker of this daemon runs (after a crash, or
 * when their end could not be written): queued again, superseded by a
 * newer queued job, or parked when their attempts are spent.  Returns how
 * many, or -1 when that could not be written.  Under q->lock.
 */
static int recover(struct sqlite_queue *q)
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
		rollback(q);
		return -1;
	}
	return commit(q, parked + superseded + requeued) < 0 ? -1 : parked + superseded + requeued;
}

/*
 * One daemon per queue: an exclusive lock on "<file>.lock", taken before
 * the queue is opened; the file says whose it is.  The descriptor, or -1
 * with the error set (another daemon has it).
 */
static int lock_file(const char *db)
{
	char path[4096], holder[32] = "";
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s.lock", db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return error_set(-1, "cannot open the queue's lock '%.512s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		if (ftruncate(fd, 0) == 0)
			dprintf(fd, "%d\n", (int)getpid());
		return fd;
	}
	e = errno;
	if ((n = pread(fd, holder, sizeof(holder) - 1, 0)) > 0)
		holder[strcspn(holder, "\n")] = '\0';
	close(fd);
	if (e != EWOULDBLOCK)
		return error_set(-1, "cannot lock '%.512s': %s", path, strerror(e));
	return error_set(-1, "another daemon%s%s%s holds the queue '%.400s' (its lock '%.400s'); this one stops "
		"without touching it", *holder ? " (pid " : "", holder, *holder ? ")" : "", db, path);
}

/*
 * The queue's files, made before SQLite opens them so that none is ever
 * world-readable: the database (its -wal and -shm get its mode when SQLite
 * makes them), and any left by an older run.
 */
static int private_files(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char name[4096];
	struct stat st;
	size_t i;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return error_set(-1, "cannot open the queue '%s': %s", path, strerror(errno));
	close(fd);
	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (lstat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0007) &&
		    chmod(name, st.st_mode & 0770) < 0)
			return error_set(-1, "'%s' is readable by everyone, and cannot be made private: %s", name,
				strerror(errno));
	}
	return 0;
}

static void sqlite_close(struct queue *base)
{
	struct sqlite_queue *q = SQ(base);

	sqlite3_close(q->db);
	if (q->lock_fd >= 0)
		close(q->lock_fd);
	pthread_mutex_destroy(&q->lock);
	queue_base_free(&q->base);
	free(q);
}

static int sqlite_open(struct queue **out, const struct dconfig *cfg)
{
	struct sqlite_queue *q = xcalloc(1, sizeof(*q));
	const char *path = cfg->queue_db;
	int n, rc = -1;

	queue_base_init(&q->base, &queue_sqlite, 1000);
	pthread_mutex_init(&q->lock, NULL);
	q->attempts = cfg->attempts;
	/* first the lock, then the queue: a second daemon changes nothing */
	if ((q->lock_fd = lock_file(path)) < 0 || private_files(path) < 0)
		goto cleanup;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		error_set(-1, "cannot open the queue '%s': %s", path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
		goto cleanup;
	}
	sqlite3_busy_timeout(q->db, 5000);
	if (exec(q, "PRAGMA journal_mode = WAL") < 0 ||
	    exec(q, cfg->queue_sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") < 0 ||
	    exec(q, schema) < 0 || (n = recover(q)) < 0) {
		error_set(-1, "cannot set up the queue '%s': %s", path, sqlite3_errmsg(q->db));
		goto cleanup;
	}
	if (n > 0)
		dlog("info", "queue: jobs interrupted by the last stop are queued again", json_pack("{s:i}", "jobs", n));
	*out = &q->base;
	rc = 0;
cleanup:
	if (rc < 0)
		sqlite_close(&q->base);
	return rc;
}

static int sqlite_add(struct queue *base, const char *delivery, pysec_forge_kind kind, const char *project,
	uint64_t number, const char *head, size_t max_pending, enum queue_add_result *result, int64_t *job)
{
	struct sqlite_queue *q = SQ(base);
	int64_t t = clock_wall_ms();
	const char *forge = pysec_forge_kind_name(kind);
	int n, rc = -1;

	pthread_mutex_lock(&q->lock);
	if (exec(q, "BEGIN IMMEDIATE") < 0)
		goto cleanup;
	if ((n = run(q, "INSERT OR IGNORE INTO deliveries (id, received) VALUES (?, ?)", "si", delivery, t)) < 0)
		goto rollback;
	if (n == 0) {
		*result = QUEUE_DUPLICATE;
		*job = scalar(q, "SELECT job FROM deliveries WHERE id = ?", "s", delivery);
		goto commit;
	}
	n = run(q, "UPDATE jobs SET head = ?, updated = ?, deliveries = deliveries + 1 WHERE state = 'queued' AND "
		"forge = ? AND project = ? AND number = ?", "sissi", head, t, forge, project, (int64_t)number);
	if (n < 0)
		goto rollback;
	if (n > 0) {
		*result = QUEUE_MERGED;
	} else {
		if (scalar(q, "SELECT count(*) FROM jobs WHERE state = 'queued'", "") >= (int64_t)max_pending) {
			/* back-pressure: the forge retries later; the delivery is not recorded */
			*result = QUEUE_FULL;
			rollback(q);
			rc = 0;
			goto cleanup;
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
	if (commit(q, *result != QUEUE_DUPLICATE) == 0)
		rc = 0;
	goto cleanup;
rollback:
	rollback(q);
cleanup:
	if (rc < 0)
		error_set(-1, "the queue cannot be written: %s", q->write_error);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int sqlite_claim(struct queue *base, struct job *out, int64_t *next_due_ms)
{
	struct sqlite_queue *q = SQ(base);
	sqlite3_stmt *st;
	int64_t t = clock_wall_ms();
	int found = 0;

	pthread_mutex_lock(&q->lock);
	if (exec(q, "BEGIN IMMEDIATE") < 0) {
		pthread_mutex_unlock(&q->lock);
		return -1;
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
		*next_due_ms = scalar(q, "SELECT min(not_before) FROM jobs WHERE state = 'queued'", "");
	if (commit(q, found) < 0)
		found = 0;
	if (found)
		q->in_flight[q->nin_flight++] = out->id;
	pthread_mutex_unlock(&q->lock);
	return found;
}

/* The job is no longer this daemon's to run (under q->lock). */
static void landed(struct sqlite_queue *q, int64_t id)
{
	size_t i;

	for (i = 0; i < q->nin_flight; i++) {
		if (q->in_flight[i] == id) {
			q->in_flight[i] = q->in_flight[--q->nin_flight];
			break;
		}
	}
}

/* superseded when a newer job for the request is queued, else queued again */
#define REQUEUED "CASE WHEN EXISTS (SELECT 1 FROM jobs AS n WHERE n.state = 'queued' AND n.forge = jobs.forge AND " \
	"n.project = jobs.project AND n.number = jobs.number) THEN 'superseded' ELSE 'queued' END"

/* End job `id` as `end` says; 0 when written (under q->lock). */
static int finish_locked(struct sqlite_queue *q, int64_t id, enum queue_end end, const char *text, unsigned delay_ms)
{
	static const char *const sql[] = {
		[QUEUE_END_DONE] = "UPDATE jobs SET state = 'done', updated = ?, error = NULL, result = ? WHERE id = ?",
		[QUEUE_END_RETRY] = "UPDATE jobs SET updated = ?1, error = ?2, not_before = ?1 + ?4, state = " REQUEUED
			" WHERE id = ?3",
		[QUEUE_END_PARK] = "UPDATE jobs SET state = 'parked', updated = ?, error = ? WHERE id = ?",
		/* the attempt was not the job's, and is not counted */
		[QUEUE_END_RELEASE] = "UPDATE jobs SET updated = ?, error = ?, attempts = max(attempts - 1, 0), "
			"not_before = 0, state = " REQUEUED " WHERE id = ?",
	};

	if (exec(q, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (run(q, sql[end], end == QUEUE_END_RETRY ? "isii" : "isi", clock_wall_ms(), text, id, (int64_t)delay_ms) < 0) {
		rollback(q);
		return -1;
	}
	return commit(q, 1);
}

static const char *const end_names[] = { "done", "retry", "parked", "released" };

/* For a worker: when the end cannot be written, the job is left stuck until queue_maintain(). */
static int sqlite_finish(struct queue *base, const struct job *job, enum queue_end end, const char *text,
	unsigned delay_ms)
{
	struct sqlite_queue *q = SQ(base);
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = finish_locked(q, job->id, end, text, delay_ms);
	landed(q, job->id);
	if (rc < 0) {
		q->stuck = 1;
		dlog("error", "queue: cannot record the end of a job; it is queued again once the queue can be written",
			json_pack("{s:I,s:s,s:s}", "job", (json_int_t)job->id, "end", end_names[end], "error", q->write_error));
		error_set(-1, "the queue cannot be written: %s", q->write_error);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* One daemon per file: a job it claimed is its own until it ends. */
static int sqlite_lost(struct queue *base, const struct job *job)
{
	return 0;
}

static int sqlite_maintain(struct queue *base)
{
	struct sqlite_queue *q = SQ(base);
	int n = 0;

	pthread_mutex_lock(&q->lock);
	if (q->stuck && (n = recover(q)) >= 0) {
		q->stuck = 0;
		dlog("info", "queue: it can be written again; the jobs whose end could not be written are queued again",
			json_pack("{s:i}", "jobs", n));
	}
	pthread_mutex_unlock(&q->lock);
	if (n > 0)
		queue_notify(base);
	return n < 0 ? -1 : 0;
}

/* 0 when the queue can be written now (a probe write) and nothing is stuck; else -1 with why. */
static int sqlite_health(struct queue *base)
{
	struct sqlite_queue *q = SQ(base);
	int rc;

	sqlite_maintain(base);
	pthread_mutex_lock(&q->lock);
	rc = exec(q, "BEGIN IMMEDIATE") < 0 || run(q, "INSERT OR REPLACE INTO health (id, checked) VALUES (1, ?)", "i",
		clock_wall_ms()) < 0 ? -1 : 0;
	if (rc < 0)
		rollback(q);
	else
		rc = commit(q, 1);
	if (rc == 0 && q->stuck) {
		snprintf(q->write_error, sizeof(q->write_error), "jobs whose end could not be written are not queued again yet");
		rc = -1;
	}
	if (rc < 0)
		error_set(-1, "%s", q->write_error);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static void sqlite_abandon(struct queue *base)
{
	struct sqlite_queue *q = SQ(base);
	size_t i;

	/* the lock is kept: nothing writes to the queue after this */
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->nin_flight; i++)
		if (finish_locked(q, q->in_flight[i], QUEUE_END_RELEASE, "interrupted by the daemon's stop", 0) == 0)
			dlog("warning", "stop: an unfinished review is queued again", json_pack("{s:I}", "job",
				(json_int_t)q->in_flight[i]));
}

static int sqlite_counts(struct queue *base, int64_t counts[QUEUE_STATES])
{
	struct sqlite_queue *q = SQ(base);
	size_t i;

	pthread_mutex_lock(&q->lock);
	for (i = 0; i < QUEUE_STATES; i++)
		counts[i] = scalar(q, "SELECT count(*) FROM jobs WHERE state = ?", "s", queue_state_names[i]);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static void sqlite_prune(struct queue *base, int days)
{
	struct sqlite_queue *q = SQ(base);
	int64_t before = clock_wall_ms() - (int64_t)days * 86400000;

	pthread_mutex_lock(&q->lock);
	run(q, "DELETE FROM jobs WHERE state IN ('done', 'superseded') AND updated < ?", "i", before);
	run(q, "DELETE FROM deliveries WHERE received < ?", "i", before);
	pthread_mutex_unlock(&q->lock);
}

const struct queue_ops queue_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.add = sqlite_add,
	.claim = sqlite_claim,
	.finish = sqlite_finish,
	.lost = sqlite_lost,
	.maintain = sqlite_maintain,
	.health = sqlite_health,
	.abandon = sqlite_abandon,
	.counts = sqlite_counts,
	.prune = sqlite_prune,
};
