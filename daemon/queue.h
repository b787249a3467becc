/*
 * queue.h: the queue's implementations behind the one interface of
 * daemon.h (queue_*), as forge_ops are behind the forge library: queue.c
 * chooses one from pysec.daemon.queueDb and holds what they share (waking
 * the review workers, the daemon's name); queue_sqlite.c keeps the queue of
 * one machine in a file, queue_pg.c the queue of several daemons in
 * PostgreSQL.  Nothing else in the daemon includes this file.
 */
#ifndef PYSEC_DAEMON_QUEUE_H
#define PYSEC_DAEMON_QUEUE_H

#include "daemon.h"

/* How a claimed job ends. */
enum queue_end {
	QUEUE_END_DONE,		/* reviewed: `text` is the result */
	QUEUE_END_RETRY,	/* failed: queued again after `delay_ms`, with `text` as its error */
	QUEUE_END_PARK,		/* failed for good: parked with `text` as its error */
	QUEUE_END_RELEASE,	/* not the job's failure (a stop, a lost lease): queued again, the attempt not counted */
};

struct queue_ops {
	const char *name;	/* "sqlite", "postgresql": /metrics */
	/* `base` of a new queue, from the daemon's settings; 0, or an error code with error_set() */
	int (*open)(struct queue **out, const struct dconfig *cfg);
	void (*close)(struct queue *q);
	int (*add)(struct queue *q, const char *delivery, pysec_forge_kind kind, const char *project, uint64_t number,
		const char *head, size_t max_pending, enum queue_add_result *result, int64_t *job);
	/* 1 with a job, 0 with none due (*next_due_ms: when one may be, or 0), -1 when the queue failed */
	int (*claim)(struct queue *q, struct job *out, int64_t *next_due_ms);
	int (*finish)(struct queue *q, const struct job *job, enum queue_end end, const char *text, unsigned delay_ms);
	/* 1 when the job may be another daemon's now: its review is to stop */
	int (*lost)(struct queue *q, const struct job *job);
	int (*maintain)(struct queue *q);
	int (*health)(struct queue *q);
	void (*abandon)(struct queue *q);
	/* jobs per state (enum queue_state); -1 when the queue cannot be read */
	int (*counts)(struct queue *q, int64_t counts[QUEUE_STATES]);
	/* more for /metrics, or NULL */
	void (*metrics)(struct queue *q, FILE *f);
	void (*prune)(struct queue *q, int days);
};

extern const struct queue_ops queue_sqlite, queue_pg;

/* What every implementation starts with. */
struct queue {
	const struct queue_ops *ops;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	uint64_t seq;		/* bumped by queue_notify(): a worker waits only if nothing happened since its claim */
	int64_t poll_ms;	/* the longest a worker waits without a wake-up */
	char daemon[300];	/* "host:pid": who handles the jobs this process claims */
};

/* The part of `q` that queue.c sets up, before the implementation's open() returns it. */
void queue_base_init(struct queue *q, const struct queue_ops *ops, int64_t poll_ms);
void queue_base_free(struct queue *q);

extern const char *const queue_state_names[QUEUE_STATES];

#endif
