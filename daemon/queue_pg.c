/*
 * queue_pg.c: the queue of several daemons (a hook and a daemon on each git
 * node, webhooks behind a load balancer) in one PostgreSQL database, with
 * libpq.  pysec.daemon.queueDb is a URI or a conninfo; the password, when
 * there is one, comes from pysec.daemon.queuePasswordFile.
 *
 *   pysec_schema(version)                 the schema's version, migrated at start
 *   pysec_deliveries(id, received, job)   as SQLite's: a delivery seen before, by any
 *                                         daemon, is a duplicate
 *   pysec_jobs(..., daemon, lease, lease_until)
 *   pysec_daemons(daemon, seen)           the health check's probe write, by daemon
 *
 * The guarantees are SQLite's, across the cluster:
 *
 * - A delivery is committed (synchronous_commit) before its 2xx.  Two
 *   daemons given one delivery at once: the second's insert waits for the
 *   first's commit and finds it there.
 * - Pending deliveries collapse into the request's one queued job (a
 *   unique partial index; an insert that meets one updates it instead).
 * - At most one job a request runs at a time: the claim skips a request
 *   that has one running, and a second unique partial index makes a race
 *   fail rather than run twice.  Claims take rows FOR UPDATE SKIP LOCKED,
 *   so daemons claiming at once take different jobs without waiting.
 * - A claim is a lease (pysec.daemon.queueLease seconds), numbered from a
 *   sequence, that the daemon's keeper thread renews while the review
 *   runs.  A daemon that dies stops renewing; once the lease has expired,
 *   any daemon's next claim takes the job back (queued again, superseded,
 *   or parked when its attempts are spent), so nothing waits for "recover
 *   at start-up".  A daemon that cannot renew (the database away) stops
 *   its review well before the lease can expire (queue_lost), and every
 *   end is written only under the lease it was claimed with: a job taken
 *   over is never ended by the daemon that lost it.
 * - An end that cannot be written (the database away) is kept, with its
 *   lease renewed, and written when the database is back (queue_maintain);
 *   /healthz says not ok meanwhile.
 *
 * Wake-ups: a new or ended job is a NOTIFY on pysec_jobs, which the keeper
 * LISTENs to on its own connection and passes on to the workers; they poll
 * slowly besides (QUEUE_PG_POLL_MS).  The database away: deliveries get
 * 503, /healthz says why, hooks never touch the queue, and both
 * connections come back by themselves.
 */
#include "queue.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

/* a worker's job in flight (reviewWorkers is at most 64), and an end not written yet for each */
#define MAX_IN_FLIGHT 128
#define QUEUE_PG_POLL_MS 5000
#define CHANNEL "pysec_jobs"
/* pg_advisory_xact_lock()'s key for the schema's migration: "pysec" */
#define SCHEMA_LOCK "478560887139"

/* A job this daemon's workers run, under its lease. */
struct flight {
	int64_t id, lease;
	double deadline;	/* clock_now() past which the lease may have expired: lost */
	int lost;		/* taken over by another daemon, or may be soon: the review stops */
	int pending;		/* its end could not be written yet: */
	enum queue_end end;	/* ... this end */
	char *text;
	unsigned delay_ms;
};

struct pg_queue {
	struct queue base;
	char *conninfo;
	char *password;		/* secret, or NULL */
	unsigned attempts;
	int64_t lease_ms;
	pthread_mutex_t lock;	/* conn, and the requests on it */
	PGconn *conn;
	int schema_ok;		/* the schema was checked (and migrated) on some connection */
	double next_connect;	/* clock_now() before which no new connection is tried */
	char error[256];	/* why the last request failed */
	pthread_mutex_t flights_lock;
	struct flight flights[MAX_IN_FLIGHT];
	size_t nflights;
	pthread_t keeper;
	int keeper_started;
	int stop_pipe[2];
	int stop;		/* atomic */
};

#define PQ(q) ((struct pg_queue *)(q))

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE pysec_deliveries ("
	"  id text PRIMARY KEY,"
	"  received timestamptz NOT NULL DEFAULT now(),"
	"  job bigint);"
	"CREATE INDEX pysec_deliveries_received ON pysec_deliveries (received);"
	"CREATE TABLE pysec_jobs ("
	"  id bigserial PRIMARY KEY,"
	"  forge text NOT NULL,"
	"  project text NOT NULL,"
	"  number bigint NOT NULL,"
	"  head text NOT NULL,"
	"  state text NOT NULL CHECK (state IN ('queued','running','done','parked','superseded')),"
	"  attempts integer NOT NULL DEFAULT 0,"
	"  not_before timestamptz NOT NULL DEFAULT now(),"
	"  created timestamptz NOT NULL DEFAULT now(),"
	"  updated timestamptz NOT NULL DEFAULT now(),"
	"  deliveries integer NOT NULL DEFAULT 1,"
	"  error text,"
	"  result text,"
	"  daemon text,"		/* "host:pid" of the daemon that ran it last */
	"  lease bigint,"		/* the running claim's number */
	"  lease_until timestamptz);"
	"CREATE UNIQUE INDEX pysec_jobs_one_queued ON pysec_jobs (forge, project, number) WHERE state = 'queued';"
	"CREATE UNIQUE INDEX pysec_jobs_one_running ON pysec_jobs (forge, project, number) WHERE state = 'running';"
	"CREATE INDEX pysec_jobs_by_state ON pysec_jobs (state, not_before);"
	"CREATE SEQUENCE pysec_leases;"
	"CREATE TABLE pysec_daemons ("
	"  daemon text PRIMARY KEY,"
	"  seen timestamptz NOT NULL);",
};

/* The first line of libpq's message, for logs and /healthz. */
static void keep_error(struct pg_queue *q, const char *what, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	snprintf(q->error, sizeof(q->error), "%s: %.*s", what, (int)n, msg);
}

/* libpq's notices ("relation exists, skipping") are not the daemon's log. */
static void quiet(void *arg, const char *message)
{
}

/* A new connection, or NULL with error_last() saying why. */
static PGconn *pg_connect(struct pg_queue *q)
{
	const char *keys[12], *values[12];
	char appname[64 + sizeof(q->base.daemon)];
	PGconn *c;
	PGresult *r;
	size_t n = 0;

	snprintf(appname, sizeof(appname), "pysec serve %s", q->base.daemon);
	/* first the database's own string; what follows overrides it */
	keys[n] = "dbname", values[n++] = q->conninfo;
	if (q->password)
		keys[n] = "password", values[n++] = q->password;
	keys[n] = "application_name", values[n++] = appname;
	keys[n] = "connect_timeout", values[n++] = "5";
	/* a database that vanishes from the network is noticed in seconds, not at TCP's two hours */
	keys[n] = "keepalives_idle", values[n++] = "10";
	keys[n] = "keepalives_interval", values[n++] = "5";
	keys[n] = "keepalives_count", values[n++] = "3";
	keys[n] = "tcp_user_timeout", values[n++] = "20000";
	keys[n] = NULL, values[n] = NULL;
	c = PQconnectdbParams(keys, values, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		error_set(-1, "%.*s", (int)strcspn(c ? PQerrorMessage(c) : "out of memory", "\n"),
			c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	/* nothing the queue does waits long: a lock held by a daemon gone bad ends in an error, not a hang */
	r = PQexec(c, "SET lock_timeout = '10s'; SET statement_timeout = '30s'");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		error_set(-1, "%.*s", (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

/* A request's result when it succeeded, else NULL with q->error set.  Under q->lock. */
static PGresult *request(struct pg_queue *q, PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = n ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0) : PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	keep_error(q, "postgresql", r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	return NULL;
}

#define PARAMS(...) (int)ARRAY_SIZE(((const char *const[]){ __VA_ARGS__ })), (const char *const[]){ __VA_ARGS__ }

/* A request whose result is not needed: 0, or -1. */
static int command(struct pg_queue *q, const char *sql, int n, const char *const *params)
{
	PGresult *r = request(q, q->conn, sql, n, params);

	PQclear(r);
	return r ? 0 : -1;
}

static void rollback(struct pg_queue *q)
{
	if (PQstatus(q->conn) == CONNECTION_OK)
		PQclear(PQexec(q->conn, "ROLLBACK"));
}

static int commit(struct pg_queue *q)
{
	PGresult *r = request(q, q->conn, "COMMIT", 0, NULL);
	int rc = r && !strcmp(PQcmdStatus(r), "COMMIT") ? 0 : -1;

	if (r && rc < 0)
		snprintf(q->error, sizeof(q->error), "postgresql: the transaction was rolled back");
	PQclear(r);
	return rc;
}

/*
 * The schema, created or migrated to the version this daemon knows, in one
 * transaction under an advisory lock: daemons starting together take turns,
 * and the second finds the work done.  0, or -1 with q->error.
 */
static int migrate(struct pg_queue *q)
{
	char want[16];
	PGresult *r;
	int have, i;

	if (command(q, "BEGIN", 0, NULL) < 0)
		return -1;
	if (command(q, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")", 0, NULL) < 0 ||
	    command(q, "CREATE TABLE IF NOT EXISTS pysec_schema (version integer NOT NULL)", 0, NULL) < 0 ||
	    !(r = request(q, q->conn, "SELECT coalesce(max(version), 0) FROM pysec_schema", 0, NULL)))
		goto rollback;
	have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have > (int)ARRAY_SIZE(migrations)) {
		snprintf(q->error, sizeof(q->error), "the queue's schema is version %d, newer than this pysec knows (%d)",
			have, (int)ARRAY_SIZE(migrations));
		goto rollback;
	}
	for (i = have; i < (int)ARRAY_SIZE(migrations); i++)
		if (command(q, migrations[i], 0, NULL) < 0)
			goto rollback;
	snprintf(want, sizeof(want), "%d", (int)ARRAY_SIZE(migrations));
	if (have < (int)ARRAY_SIZE(migrations) && (command(q, "DELETE FROM pysec_schema", 0, NULL) < 0 ||
	    command(q, "INSERT INTO pysec_schema (version) VALUES ($1)", PARAMS(want)) < 0))
		goto rollback;
	if (commit(q) < 0)
		goto rollback;
	if (have < (int)ARRAY_SIZE(migrations))
		dlog("info", "queue: schema migrated", json_pack("{s:i,s:i}", "from", have, "to", (int)ARRAY_SIZE(migrations)));
	q->schema_ok = 1;
	return 0;
rollback:
	rollback(q);
	return -1;
}

/*
 * The connection for a request: the one there is, or a new one (at most
 * one try a second, so that a database away costs a delivery one refused
 * connection, not a wait).  0, or -1 with q->error (-2: connected, but the
 * schema cannot be made: the queue's own fault, not the network's).  Under
 * q->lock.
 */
static int ready(struct pg_queue *q)
{
	double now = clock_now();

	if (q->conn && PQstatus(q->conn) == CONNECTION_OK && PQtransactionStatus(q->conn) != PQTRANS_IDLE)
		rollback(q);	/* cannot happen: every transaction ends where it began */
	if (q->conn && PQstatus(q->conn) == CONNECTION_OK && PQtransactionStatus(q->conn) == PQTRANS_IDLE)
		return 0;
	if (q->conn) {
		PQfinish(q->conn);
		q->conn = NULL;
		dlog("warning", "queue: the connection to postgresql was lost", json_pack("{s:s}", "error", q->error));
	}
	if (now < q->next_connect)
		return -1;
	q->next_connect = now + 1;
	if (!(q->conn = pg_connect(q))) {
		snprintf(q->error, sizeof(q->error), "cannot connect to postgresql: %s", error_last());
		return -1;
	}
	if (!q->schema_ok && migrate(q) < 0) {
		PQfinish(q->conn);
		q->conn = NULL;
		return -2;
	}
	dlog("info", "queue: connected to postgresql", NULL);
	return 0;
}

/* The flight of a job claimed here, or NULL.  Under q->flights_lock. */
static struct flight *flight_of(struct pg_queue *q, const struct job *job)
{
	size_t i;

	for (i = 0; i < q->nflights; i++)
		if (q->flights[i].id == job->id && q->flights[i].lease == job->lease)
			return &q->flights[i];
	return NULL;
}

static void flight_drop(struct pg_queue *q, struct flight *f)
{
	free(f->text);
	*f = q->flights[--q->nflights];
}

/* The lease's last renewal was sent at `sent`: past this, it may have expired, and the review stops. */
static double lease_deadline(const struct pg_queue *q, double sent)
{
	return sent + (double)q->lease_ms * 2 / 3 / 1000;
}

static void fmt_i64(char *out, size_t len, int64_t v)
{
	snprintf(out, len, "%lld", (long long)v);
}

/*
 * A delivery's key as PostgreSQL's text takes it: a header may carry any
 * bytes, and a key that is not UTF-8 would be refused by the database for
 * ever (and the forge would send it again for ever): such a key is kept in
 * hex.
 */
static const char *as_text(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n, i;

	for (; *p; p += n)
		if (!(n = text_utf8_decode(p, &cp)))
			break;
	if (!*p)
		return s;
	n = (size_t)snprintf(buf, len, "hex:");
	for (i = 0; s[i] && n + 3 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%02x", (unsigned char)s[i]);
	return buf;
}

static int pg_add(struct queue *base, const char *delivery, pysec_forge_kind kind, const char *project,
	uint64_t number, const char *head, size_t max_pending, enum queue_add_result *result, int64_t *job)
{
	struct pg_queue *q = PQ(base);
	const char *forge = pysec_forge_kind_name(kind);
	char num[24], max[24], id[24], key[640];
	PGresult *r = NULL;
	int rc = -1;

	delivery = as_text(delivery, key, sizeof(key));
	fmt_i64(num, sizeof(num), (int64_t)number);
	fmt_i64(max, sizeof(max), (int64_t)max_pending);
	pthread_mutex_lock(&q->lock);
	if (ready(q) < 0 || command(q, "BEGIN", 0, NULL) < 0)
		goto cleanup;
	if (!(r = request(q, q->conn, "INSERT INTO pysec_deliveries (id) VALUES ($1) ON CONFLICT DO NOTHING",
			  PARAMS(delivery))))
		goto rollback;
	if (!strcmp(PQcmdTuples(r), "0")) {
		PQclear(r);
		if (!(r = request(q, q->conn, "SELECT coalesce(job, 0) FROM pysec_deliveries WHERE id = $1",
				  PARAMS(delivery))))
			goto rollback;
		*result = QUEUE_DUPLICATE;
		*job = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
		goto commit;
	}
	PQclear(r);
	if (!(r = request(q, q->conn, "UPDATE pysec_jobs SET head = $4, updated = now(), deliveries = deliveries + 1 "
			  "WHERE state = 'queued' AND forge = $1 AND project = $2 AND number = $3 RETURNING id",
			  PARAMS(forge, project, num, head))))
		goto rollback;
	if (PQntuples(r) == 0) {
		PQclear(r);
		if (!(r = request(q, q->conn, "SELECT count(*) >= $1 FROM pysec_jobs WHERE state = 'queued'",
				  PARAMS(max))))
			goto rollback;
		if (!strcmp(PQgetvalue(r, 0, 0), "t")) {
			/* back-pressure: the forge retries later; the delivery is not recorded */
			*result = QUEUE_FULL;
			rollback(q);
			rc = 0;
			goto cleanup;
		}
		PQclear(r);
		/* another daemon may have queued one since: then it is updated instead */
		if (!(r = request(q, q->conn, "INSERT INTO pysec_jobs (forge, project, number, head, state) VALUES "
				  "($1, $2, $3, $4, 'queued') ON CONFLICT (forge, project, number) WHERE state = 'queued' "
				  "DO UPDATE SET head = EXCLUDED.head, updated = now(), deliveries = pysec_jobs.deliveries + 1 "
				  "RETURNING id, xmax = 0", PARAMS(forge, project, num, head))))
			goto rollback;
	}
	*result = PQnfields(r) > 1 && !strcmp(PQgetvalue(r, 0, 1), "t") ? QUEUE_ADDED : QUEUE_MERGED;
	*job = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	fmt_i64(id, sizeof(id), *job);
	if (command(q, "UPDATE pysec_deliveries SET job = $1 WHERE id = $2", PARAMS(id, delivery)) < 0 ||
	    command(q, "NOTIFY " CHANNEL, 0, NULL) < 0)
		goto rollback;
commit:
	if (commit(q) == 0)
		rc = 0;
	goto cleanup;
rollback:
	rollback(q);
cleanup:
	PQclear(r);
	if (rc < 0)
		error_set(-1, "the queue cannot be written: %s", q->error);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/*
 * Jobs whose lease expired (their daemon died or lost the database): queued
 * again, superseded by a newer queued job, or parked when their attempts
 * are spent.  In the claim's transaction.
 */
static int take_back(struct pg_queue *q, const char *attempts)
{
	PGresult *r = request(q, q->conn, "UPDATE pysec_jobs AS j SET state = CASE WHEN j.attempts >= $1 THEN 'parked' "
		"WHEN EXISTS (SELECT 1 FROM pysec_jobs AS n WHERE n.state = 'queued' AND n.forge = j.forge AND "
		"n.project = j.project AND n.number = j.number) THEN 'superseded' ELSE 'queued' END, "
		"error = 'the lease of ' || coalesce(j.daemon, '?') || ' expired during this review (attempt ' || "
		"j.attempts || ')', lease = NULL, lease_until = NULL, updated = now() "
		"WHERE j.state = 'running' AND j.lease_until < now() RETURNING j.id, j.state, j.daemon", PARAMS(attempts));
	int i;

	if (!r)
		return -1;
	/* the other daemons' workers may take what was taken back */
	if (PQntuples(r) > 0 && command(q, "NOTIFY " CHANNEL, 0, NULL) < 0) {
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++)
		dlog("warning", "queue: a lease expired; the job is taken back", json_pack("{s:I,s:s,s:s}", "job",
			(json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10), "state", PQgetvalue(r, i, 1), "from",
			PQgetvalue(r, i, 2)));
	PQclear(r);
	return 0;
}

static int pg_claim(struct queue *base, struct job *out, int64_t *next_due_ms)
{
	struct pg_queue *q = PQ(base);
	char attempts[16], lease[24], id[24];
	PGresult *r = NULL;
	double sent = clock_now();
	int rc = -1;

	snprintf(attempts, sizeof(attempts), "%u", q->attempts);
	fmt_i64(lease, sizeof(lease), q->lease_ms);
	pthread_mutex_lock(&q->lock);
	if (ready(q) < 0 || command(q, "BEGIN", 0, NULL) < 0)
		goto cleanup;
	if (take_back(q, attempts) < 0)
		goto rollback;
	/* one job, of a request with none running; one another daemon is taking is skipped, not waited for */
	if (!(r = request(q, q->conn, "SELECT id, forge, project, number, head, attempts FROM pysec_jobs AS j "
			  "WHERE state = 'queued' AND not_before <= now() AND NOT EXISTS (SELECT 1 FROM pysec_jobs AS r "
			  "WHERE r.state = 'running' AND r.forge = j.forge AND r.project = j.project AND r.number = j.number) "
			  "ORDER BY not_before, id LIMIT 1 FOR UPDATE OF j SKIP LOCKED", 0, NULL)))
		goto rollback;
	if (PQntuples(r) == 1) {
		memset(out, 0, sizeof(*out));
		out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		out->kind = pysec_forge_kind_parse(PQgetvalue(r, 0, 1));
		snprintf(out->project, sizeof(out->project), "%s", PQgetvalue(r, 0, 2));
		out->number = strtoull(PQgetvalue(r, 0, 3), NULL, 10);
		snprintf(out->head, sizeof(out->head), "%s", PQgetvalue(r, 0, 4));
		out->attempts = (unsigned)atoi(PQgetvalue(r, 0, 5)) + 1;
		PQclear(r);
		fmt_i64(id, sizeof(id), out->id);
		if (!(r = request(q, q->conn, "UPDATE pysec_jobs SET state = 'running', attempts = attempts + 1, "
				  "updated = now(), daemon = $2, lease = nextval('pysec_leases'), "
				  "lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 RETURNING lease",
				  PARAMS(id, q->base.daemon, lease))))
			goto rollback;
		out->lease = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		rc = 1;
	} else {
		/* none now: when one may be (a retry's backoff ends, a lease expires), in this machine's clock */
		PQclear(r);
		if (!(r = request(q, q->conn, "SELECT (extract(epoch FROM least((SELECT min(not_before) FROM pysec_jobs "
				  "WHERE state = 'queued'), (SELECT min(lease_until) FROM pysec_jobs WHERE state = 'running')) "
				  "- now()) * 1000)::bigint", 0, NULL)))
			goto rollback;
		if (!PQgetisnull(r, 0, 0))
			*next_due_ms = clock_wall_ms() + strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		rc = 0;
	}
	if (commit(q) < 0) {
		rc = -1;
		goto cleanup;
	}
	if (rc == 1) {
		pthread_mutex_lock(&q->flights_lock);
		if (q->nflights < MAX_IN_FLIGHT) {
			struct flight *f = &q->flights[q->nflights++];
			memset(f, 0, sizeof(*f));
			f->id = out->id;
			f->lease = out->lease;
			f->deadline = lease_deadline(q, sent);
		}
		pthread_mutex_unlock(&q->flights_lock);
	}
	goto cleanup;
rollback:
	rollback(q);
	rc = -1;
cleanup:
	PQclear(r);
	if (rc < 0)
		error_set(-1, "the queue failed: %s", q->error);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static const char *const end_names[] = { "done", "retry", "parked", "released" };

/* superseded when a newer job for the request is queued, else queued again */
#define REQUEUED "CASE WHEN EXISTS (SELECT 1 FROM pysec_jobs AS n WHERE n.state = 'queued' AND n.forge = j.forge AND " \
	"n.project = j.project AND n.number = j.number) THEN 'superseded' ELSE 'queued' END"
#define UNLEASED "lease = NULL, lease_until = NULL, updated = now()"

/*
 * Write a flight's end, under its lease: 1 written, 0 when the lease was
 * lost (another daemon has taken the job back: the end is not this
 * daemon's to write), -1 when it could not be written.  Under q->lock.
 */
static int write_end(struct pg_queue *q, int64_t job, int64_t lease, enum queue_end end, const char *text,
	unsigned delay_ms)
{
	static const char *const sql[] = {
		[QUEUE_END_DONE] = "UPDATE pysec_jobs AS j SET state = 'done', error = NULL, result = $3, " UNLEASED
			" WHERE id = $1 AND lease = $2 AND state = 'running'",
		[QUEUE_END_RETRY] = "UPDATE pysec_jobs AS j SET error = $3, not_before = now() + $4 * interval "
			"'1 millisecond', state = " REQUEUED ", " UNLEASED " WHERE id = $1 AND lease = $2 AND state = 'running'",
		[QUEUE_END_PARK] = "UPDATE pysec_jobs AS j SET state = 'parked', error = $3, " UNLEASED
			" WHERE id = $1 AND lease = $2 AND state = 'running'",
		/* the attempt was not the job's, and is not counted */
		[QUEUE_END_RELEASE] = "UPDATE pysec_jobs AS j SET error = $3, attempts = greatest(attempts - 1, 0), "
			"not_before = now(), state = " REQUEUED ", " UNLEASED " WHERE id = $1 AND lease = $2 AND "
			"state = 'running'",
	};
	char id[24], ls[24], delay[16];
	PGresult *r;
	int written;

	fmt_i64(id, sizeof(id), job);
	fmt_i64(ls, sizeof(ls), lease);
	snprintf(delay, sizeof(delay), "%u", delay_ms);
	if (ready(q) < 0)
		return -1;
	r = end == QUEUE_END_RETRY ? request(q, q->conn, sql[end], PARAMS(id, ls, text, delay)) :
		request(q, q->conn, sql[end], PARAMS(id, ls, text));
	if (!r)
		return -1;
	written = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	/* a job of the same request may wait for this one, on any daemon */
	PQclear(PQexec(q->conn, "NOTIFY " CHANNEL));
	if (!written)
		dlog("warning", "queue: the job's lease was lost; another daemon has it, and this end is not recorded",
			json_pack("{s:I,s:s}", "job", (json_int_t)job, "end", end_names[end]));
	return written;
}

static int pg_finish(struct queue *base, const struct job *job, enum queue_end end, const char *text,
	unsigned delay_ms)
{
	struct pg_queue *q = PQ(base);
	struct flight *f;
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = write_end(q, job->id, job->lease, end, text, delay_ms);
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_lock(&q->flights_lock);
	if ((f = flight_of(q, job)) != NULL) {
		if (rc >= 0) {
			flight_drop(q, f);
		} else {
			/* kept, its lease renewed, until queue_maintain() can write it */
			f->pending = 1;
			f->end = end;
			f->text = xstrdup(text ? text : "");
			f->delay_ms = delay_ms;
		}
	}
	pthread_mutex_unlock(&q->flights_lock);
	if (rc < 0) {
		dlog("error", "queue: cannot record the end of a job; it is written once postgresql answers again",
			json_pack("{s:I,s:s,s:s}", "job", (json_int_t)job->id, "end", end_names[end], "error", q->error));
		return error_set(-1, "the queue cannot be written: %s", q->error);
	}
	return 0;
}

static int pg_lost(struct queue *base, const struct job *job)
{
	struct pg_queue *q = PQ(base);
	struct flight *f;
	int lost;

	pthread_mutex_lock(&q->flights_lock);
	if ((f = flight_of(q, job)) != NULL) {
		if (!f->lost && clock_now() > f->deadline)
			f->lost = 1;	/* for good: a renewal that comes late does not start the review again */
		lost = f->lost;
	} else {
		lost = 1;	/* a job whose lease nothing renews is not run: it would expire under the review */
	}
	pthread_mutex_unlock(&q->flights_lock);
	return lost;
}

/* The ends that could not be written, written now where the database answers.  -1 while some are left. */
static int pg_maintain(struct queue *base)
{
	struct pg_queue *q = PQ(base);
	struct flight todo[MAX_IN_FLIGHT];
	size_t i, n = 0;
	int left = 0;

	pthread_mutex_lock(&q->flights_lock);
	for (i = 0; i < q->nflights; i++)
		if (q->flights[i].pending) {
			todo[n] = q->flights[i];
			todo[n++].text = xstrdup(q->flights[i].text);
		}
	pthread_mutex_unlock(&q->flights_lock);
	for (i = 0; i < n; i++) {
		struct job job = { .id = todo[i].id, .lease = todo[i].lease };
		struct flight *f;
		int rc;

		pthread_mutex_lock(&q->lock);
		rc = write_end(q, todo[i].id, todo[i].lease, todo[i].end, todo[i].text, todo[i].delay_ms);
		pthread_mutex_unlock(&q->lock);
		free(todo[i].text);
		if (rc < 0) {
			left = 1;
			continue;
		}
		dlog("info", "queue: the end of a job is recorded, late", json_pack("{s:I,s:s}", "job",
			(json_int_t)todo[i].id, "end", end_names[todo[i].end]));
		pthread_mutex_lock(&q->flights_lock);
		if ((f = flight_of(q, &job)) != NULL)
			flight_drop(q, f);
		pthread_mutex_unlock(&q->flights_lock);
		queue_notify(base);
	}
	return left ? -1 : 0;
}

/* 0 when the queue can be written now (a probe write) and no end waits to be written; else -1 with why. */
static int pg_health(struct queue *base)
{
	struct pg_queue *q = PQ(base);
	size_t i, pending = 0;
	int rc;

	pg_maintain(base);
	pthread_mutex_lock(&q->lock);
	rc = ready(q) < 0 || command(q, "INSERT INTO pysec_daemons (daemon, seen) VALUES ($1, now()) ON CONFLICT (daemon) "
		"DO UPDATE SET seen = now()", PARAMS(q->base.daemon)) < 0 ? -1 : 0;
	if (rc < 0)
		error_set(-1, "%s", q->error);
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_lock(&q->flights_lock);
	for (i = 0; i < q->nflights; i++)
		pending += q->flights[i].pending;
	pthread_mutex_unlock(&q->flights_lock);
	if (rc == 0 && pending)
		rc = error_set(-1, "the ends of %zu jobs could not be written yet", pending);
	return rc;
}

/*
 * Renew the leases of the jobs in flight, on the keeper's connection.
 * Those the database no longer holds under this daemon's lease were taken
 * back: lost.
 */
static void renew(struct pg_queue *q, PGconn *c)
{
	struct buf list = BUF_INIT(32 * MAX_IN_FLIGHT);
	int64_t asked[MAX_IN_FLIGHT];
	char lease[24];
	double sent = clock_now();
	PGresult *r;
	size_t i, k, nasked = 0;

	pthread_mutex_lock(&q->flights_lock);
	for (i = 0; i < q->nflights; i++)
		if (!q->flights[i].lost) {
			asked[nasked++] = q->flights[i].lease;
			buf_printf(&list, "%s%lld", list.len ? "," : "{", (long long)q->flights[i].lease);
		}
	pthread_mutex_unlock(&q->flights_lock);
	if (!list.len)
		return;
	buf_puts(&list, "}");
	fmt_i64(lease, sizeof(lease), q->lease_ms);
	r = PQexecParams(c, "UPDATE pysec_jobs SET lease_until = now() + $2 * interval '1 millisecond' "
		"WHERE state = 'running' AND lease = ANY ($1::bigint[]) RETURNING lease", 2, NULL,
		(const char *const[]){ buf_cstr(&list), lease }, NULL, NULL, 0);
	buf_free(&list);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		/* the deadlines stand: past them, the reviews stop */
		PQclear(r);
		return;
	}
	pthread_mutex_lock(&q->flights_lock);
	for (i = 0; i < q->nflights; i++) {
		struct flight *f = &q->flights[i];
		int was_asked = 0, held = 0;
		for (k = 0; k < nasked && !was_asked; k++)
			was_asked = asked[k] == f->lease;
		for (k = 0; k < (size_t)PQntuples(r) && !held; k++)
			held = strtoll(PQgetvalue(r, (int)k, 0), NULL, 10) == f->lease;
		/* a job claimed since the list was made is not judged by this answer */
		if (f->lost || !was_asked)
			continue;
		if (held && sent < f->deadline) {
			f->deadline = lease_deadline(q, sent);
		} else if (!held && f->deadline > sent) {
			f->lost = 1;
			dlog("warning", "queue: another daemon took back a job running here; its review stops",
				json_pack("{s:I}", "job", (json_int_t)f->id));
		}
	}
	pthread_mutex_unlock(&q->flights_lock);
	PQclear(r);
}

/* The keeper's connection, listening; NULL while the database is away. */
static PGconn *keeper_connect(struct pg_queue *q)
{
	PGconn *c = pg_connect(q);
	PGresult *r;

	if (!c)
		return NULL;
	r = PQexec(c, "LISTEN " CHANNEL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

/*
 * The keeper: renews the leases of the jobs in flight (four times a lease),
 * and passes the NOTIFYs of every daemon on to this one's workers.
 */
static void *keeper(void *arg)
{
	struct pg_queue *q = arg;
	PGconn *c = NULL;
	double next_renew = 0, next_connect = 0;
	double every = (double)q->lease_ms / 4 / 1000;

	while (!__atomic_load_n(&q->stop, __ATOMIC_RELAXED)) {
		struct pollfd fds[2] = { { q->stop_pipe[0], POLLIN, 0 }, { -1, POLLIN, 0 } };
		double now = clock_now(), wait;
		PGnotify *n;
		int woken = 0;

		if (!c && now >= next_connect) {
			next_connect = now + 1;
			if ((c = keeper_connect(q)) != NULL)
				queue_notify(&q->base);	/* a NOTIFY may have come while it was away */
		}
		if (c && now >= next_renew) {
			renew(q, c);
			next_renew = now + every;
		}
		if (c && PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = NULL;
		}
		wait = c ? next_renew - clock_now() : next_connect - clock_now();
		fds[1].fd = c ? PQsocket(c) : -1;
		if (poll(fds, 2, wait > 0 ? (int)(wait * 1000) + 1 : 0) > 0 && c && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (!PQconsumeInput(c)) {
				PQfinish(c);
				c = NULL;
				continue;
			}
			while ((n = PQnotifies(c)) != NULL) {
				PQfreemem(n);
				woken = 1;
			}
			if (woken)
				queue_notify(&q->base);
		}
	}
	PQfinish(c);
	return NULL;
}

static void pg_close(struct queue *base)
{
	struct pg_queue *q = PQ(base);
	size_t i;

	if (q->keeper_started) {
		__atomic_store_n(&q->stop, 1, __ATOMIC_RELAXED);
		if (write(q->stop_pipe[1], "x", 1) < 0)
			dlog("warning", "queue: cannot wake the keeper", NULL);
		pthread_join(q->keeper, NULL);
	}
	if (q->stop_pipe[0] >= 0)
		close(q->stop_pipe[0]);
	if (q->stop_pipe[1] >= 0)
		close(q->stop_pipe[1]);
	PQfinish(q->conn);
	for (i = 0; i < q->nflights; i++)
		free(q->flights[i].text);
	free(q->conninfo);
	secret_free(q->password);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->flights_lock);
	queue_base_free(&q->base);
	free(q);
}

static int pg_open(struct queue **out, const struct dconfig *cfg)
{
	struct pg_queue *q = xcalloc(1, sizeof(*q));
	PQconninfoOption *opts;
	char *why = NULL;
	int rc = -1;

	queue_base_init(&q->base, &queue_pg, QUEUE_PG_POLL_MS);
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->flights_lock, NULL);
	q->stop_pipe[0] = q->stop_pipe[1] = -1;
	q->conninfo = xstrdup(cfg->queue_db);
	q->password = cfg->queue_password ? xstrdup(cfg->queue_password) : NULL;
	q->attempts = cfg->attempts;
	q->lease_ms = (int64_t)cfg->queue_lease * 1000;
	/* a string libpq cannot read is the configuration's error, told now; an unreachable database is not */
	if (!(opts = PQconninfoParse(cfg->queue_db, &why))) {
		error_set(-1, "pysec.daemon.queueDb: %.*s", (int)strcspn(why ? why : "out of memory", "\n"),
			why ? why : "out of memory");
		PQfreemem(why);
		goto cleanup;
	}
	PQconninfoFree(opts);
	if (pipe2(q->stop_pipe, O_CLOEXEC) < 0) {
		error_set(-1, "cannot make a pipe: %s", strerror(errno));
		goto cleanup;
	}
	pthread_mutex_lock(&q->lock);
	if ((rc = ready(q)) < 0) {
		if (rc == -2) {
			/* a database that answers and refuses the schema (rights, a newer version) is not waited for */
			rc = error_set(-1, "cannot set up the queue: %s", q->error);
			pthread_mutex_unlock(&q->lock);
			goto cleanup;
		}
		rc = -1;
		/* the daemon serves its hooks meanwhile, and the queue comes when the database does */
		dlog("warning", "queue: postgresql is not reachable yet; deliveries get 503 until it is",
			json_pack("{s:s}", "error", q->error));
	}
	pthread_mutex_unlock(&q->lock);
	if (pthread_create(&q->keeper, NULL, keeper, q) != 0) {
		rc = error_set(-1, "cannot start the queue's keeper thread");
		goto cleanup;
	}
	q->keeper_started = 1;
	*out = &q->base;
	rc = 0;
cleanup:
	if (rc < 0)
		pg_close(&q->base);
	return rc;
}

/*
 * A stop past its deadline: the jobs in flight are released where the
 * connection is free; otherwise their leases expire and another daemon
 * takes them.
 */
static void pg_abandon(struct queue *base)
{
	struct pg_queue *q = PQ(base);
	size_t i;

	if (pthread_mutex_trylock(&q->lock) != 0)
		return;
	pthread_mutex_lock(&q->flights_lock);
	for (i = 0; i < q->nflights; i++)
		if (write_end(q, q->flights[i].id, q->flights[i].lease, QUEUE_END_RELEASE, "interrupted by the daemon's stop",
			      0) > 0)
			dlog("warning", "stop: an unfinished review is queued again", json_pack("{s:I}", "job",
				(json_int_t)q->flights[i].id));
	/* both locks are kept: nothing writes to the queue after this */
}

static int pg_counts(struct queue *base, int64_t counts[QUEUE_STATES])
{
	struct pg_queue *q = PQ(base);
	PGresult *r = NULL;
	int i, k;

	pthread_mutex_lock(&q->lock);
	if (ready(q) == 0)
		r = request(q, q->conn, "SELECT state, count(*) FROM pysec_jobs GROUP BY state", 0, NULL);
	pthread_mutex_unlock(&q->lock);
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		for (k = 0; k < QUEUE_STATES; k++)
			if (!strcmp(PQgetvalue(r, i, 0), queue_state_names[k]))
				counts[k] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	PQclear(r);
	return 0;
}

/* A Prometheus label value: the daemon names come from the database, and are quoted with care. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* Which daemon runs what: the jobs running now, by daemon, across the cluster. */
static void pg_metrics(struct queue *base, FILE *f)
{
	struct pg_queue *q = PQ(base);
	PGresult *r = NULL;
	int i;

	pthread_mutex_lock(&q->lock);
	if (ready(q) == 0)
		r = request(q, q->conn, "SELECT daemon, count(*) FROM pysec_jobs WHERE state = 'running' GROUP BY daemon "
			"ORDER BY daemon", 0, NULL);
	pthread_mutex_unlock(&q->lock);
	fprintf(f, "# HELP pysec_queue_running_jobs Review jobs running now in the whole cluster, by the daemon "
		   "(host:pid) that runs each.\n# TYPE pysec_queue_running_jobs gauge\n");
	for (i = 0; r && i < PQntuples(r); i++) {
		fputs("pysec_queue_running_jobs{daemon=\"", f);
		label(f, PQgetvalue(r, i, 0));
		fprintf(f, "\"} %s\n", PQgetvalue(r, i, 1));
	}
	PQclear(r);
}

static void pg_prune(struct queue *base, int days)
{
	struct pg_queue *q = PQ(base);
	char d[16];

	snprintf(d, sizeof(d), "%d", days);
	pthread_mutex_lock(&q->lock);
	if (ready(q) == 0) {
		command(q, "DELETE FROM pysec_jobs WHERE state IN ('done', 'superseded') AND updated < now() - $1 * "
			"interval '1 day'", PARAMS(d));
		command(q, "DELETE FROM pysec_deliveries WHERE received < now() - $1 * interval '1 day'", PARAMS(d));
		command(q, "DELETE FROM pysec_daemons WHERE seen < now() - $1 * interval '1 day'", PARAMS(d));
	}
	pthread_mutex_unlock(&q->lock);
}

const struct queue_ops queue_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.add = pg_add,
	.claim = pg_claim,
	.finish = pg_finish,
	.lost = pg_lost,
	.maintain = pg_maintain,
	.health = pg_health,
	.abandon = pg_abandon,
	.counts = pg_counts,
	.metrics = pg_metrics,
	.prune = pg_prune,
};
