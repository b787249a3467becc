/*
 * queue.c: the durable queue of review jobs, as the rest of the daemon sees
 * it: one interface (daemon.h) over a table of operations (queue.h), as the
 * forge library's forge_ops, two implementations, chosen by
 * pysec.daemon.queueDb:
 *
 *   /var/lib/pysec/queue.db                  SQLite (queue_sqlite.c): one daemon, one machine
 *   postgresql://pysec@db.example.com/pysec  PostgreSQL (queue_pg.c): every daemon of a
 *   host=db.example.com dbname=pysec         cluster on one queue (a URI or a libpq conninfo)
 *
 * A job's states, in both:
 *
 *   queued --claim--> running --> done
 *      ^                 |  \---> parked      (attempts spent; error kept)
 *      |                 |   \--> superseded  (a newer job for the request is queued)
 *      +---- retry ------+        (after a backoff)
 *
 * At most one job a request is queued: a delivery for a request that has
 * one updates its head, so pending deliveries collapse to the newest.  A
 * request never has two jobs running, so two workers never post to one
 * request at once.  A delivery is committed before the forge gets its 2xx,
 * and one seen before (by its id, or the hash of its body) is a duplicate.
 *
 * What is shared here: waking the review workers (queue_notify, from this
 * process or, with PostgreSQL, from another daemon's NOTIFY) and the
 * daemon's name, "host:pid", which the logs and /metrics give for each job.
 */
#include "queue.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const queue_state_names[QUEUE_STATES] = { "queued", "running", "done", "parked", "superseded" };

/* A libpq connection string: a URI, or "keyword=value ..." (a file's name has no '=' after its first word). */
static int names_postgresql(const char *db)
{
	size_t word = strspn(db, "abcdefghijklmnopqrstuvwxyz_");

	return !strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11) ||
	       (word > 0 && db[word + strspn(db + word, " \t")] == '=');
}

int queue_open(struct queue **out, const struct dconfig *cfg)
{
	const struct queue_ops *ops = names_postgresql(cfg->queue_db) ? &queue_pg : &queue_sqlite;

	*out = NULL;
	return ops->open(out, cfg);
}

void queue_base_init(struct queue *q, const struct queue_ops *ops, int64_t poll_ms)
{
	char host[256] = "";

	q->ops = ops;
	q->poll_ms = poll_ms;
	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		snprintf(host, sizeof(host), "localhost");
	snprintf(q->daemon, sizeof(q->daemon), "%s:%d", host, (int)getpid());
	pthread_mutex_init(&q->wake_lock, NULL);
	pthread_cond_init(&q->wake, NULL);
}

void queue_base_free(struct queue *q)
{
	pthread_mutex_destroy(&q->wake_lock);
	pthread_cond_destroy(&q->wake);
}

void queue_close(struct queue *q)
{
	if (q)
		q->ops->close(q);
}

const char *queue_daemon(const struct queue *q)
{
	return q->daemon;
}

int queue_add(struct queue *q, const char *delivery, pysec_forge_kind kind, const char *project, uint64_t number,
	const char *head, size_t max_pending, enum queue_add_result *result, int64_t *job)
{
	int rc = q->ops->add(q, delivery, kind, project, number, head, max_pending, result, job);

	if (rc == 0 && (*result == QUEUE_ADDED || *result == QUEUE_MERGED))
		queue_notify(q);
	return rc;
}

int queue_claim(struct queue *q, struct job *out, int64_t *next_due_ms, uint64_t *seq)
{
	pthread_mutex_lock(&q->wake_lock);
	*seq = q->seq;
	pthread_mutex_unlock(&q->wake_lock);
	*next_due_ms = 0;
	return q->ops->claim(q, out, next_due_ms) == 1;
}

/* The end of a claimed job; a job for the same request may have waited for it. */
static int finish(struct queue *q, const struct job *job, enum queue_end end, const char *text, unsigned delay_ms)
{
	int rc = q->ops->finish(q, job, end, text, delay_ms);

	queue_notify(q);
	return rc;
}

int queue_done(struct queue *q, const struct job *job, const char *result)
{
	return finish(q, job, QUEUE_END_DONE, result, 0);
}

int queue_failed(struct queue *q, const struct job *job, const char *error, unsigned delay_ms, int park)
{
	return finish(q, job, park ? QUEUE_END_PARK : QUEUE_END_RETRY, error, delay_ms);
}

int queue_release(struct queue *q, const struct job *job, const char *why)
{
	return finish(q, job, QUEUE_END_RELEASE, why, 0);
}

int queue_lost(struct queue *q, const struct job *job)
{
	return q->ops->lost(q, job);
}

int queue_maintain(struct queue *q)
{
	return q->ops->maintain(q);
}

int queue_health(struct queue *q)
{
	return q->ops->health(q);
}

void queue_abandon(struct queue *q)
{
	q->ops->abandon(q);
}

void queue_prune(struct queue *q, int days)
{
	q->ops->prune(q, days);
}

void queue_metrics(struct queue *q, FILE *f)
{
	int64_t counts[QUEUE_STATES] = { 0 };
	size_t i;

	q->ops->counts(q, counts);
	fprintf(f, "# HELP pysec_queue_jobs Review jobs in the durable queue, by state.\n# TYPE pysec_queue_jobs gauge\n");
	for (i = 0; i < QUEUE_STATES; i++)
		fprintf(f, "pysec_queue_jobs{state=\"%s\"} %lld\n", queue_state_names[i], (long long)counts[i]);
	fprintf(f, "# HELP pysec_queue_info The queue this daemon works on, and the name it gives itself there.\n"
		   "# TYPE pysec_queue_info gauge\npysec_queue_info{queue=\"%s\",daemon=\"%s\"} 1\n", q->ops->name,
		q->daemon);
	if (q->ops->metrics)
		q->ops->metrics(q, f);
}

void queue_notify(struct queue *q)
{
	pthread_mutex_lock(&q->wake_lock);
	q->seq++;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->wake_lock);
}

void queue_wait(struct queue *q, int64_t until_ms, const volatile int *stop, uint64_t seq)
{
	struct timespec ts;
	int64_t t = clock_wall_ms(), wait = until_ms > t ? until_ms - t : 0;

	/* wake up now and then anyway: a retry may come due, or a wake-up may have been missed */
	if (wait <= 0 || wait > q->poll_ms)
		wait = q->poll_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(wait / 1000);
	ts.tv_nsec += (long)(wait % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->wake_lock);
	if (!*stop && q->seq == seq)
		pthread_cond_timedwait(&q->wake, &q->wake_lock, &ts);
	pthread_mutex_unlock(&q->wake_lock);
}
