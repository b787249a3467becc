/*
 * daemon.h: what the files of `git pysec serve` share.
 *
 *   serve.c     the process: configuration generations, signals, start and stop
 *   config.c    the daemon's settings (git-config syntax, read by libgit2)
 *   hooks.c     the Unix socket: peer credentials, a bounded queue, workers
 *               that run the core's pysec_gate_run() for pre-receive hooks
 *   webhook.c   the HTTP listener (libmicrohttpd): webhooks, /healthz, /metrics
 *   delivery.c  what a webhook delivery asks for, from its headers and body alone
 *   queue.c     the durable job queue, one interface (queue.h) over SQLite
 *               (queue_sqlite.c) or PostgreSQL (queue_pg.c)
 *   reviews.c   workers that run the forge library's review for queued jobs
 *   metrics.c   counters and histograms in Prometheus' text format
 *   log.c       one JSON object a line on stderr
 *
 * No scanning or review logic lives here: the daemon calls the core
 * (pysec.h) and the forge library (pysec_forge.h) as the CLI does; its
 * face is pysec_daemon.h, and the hooks' protocol is pysec_proto.h.
 *
 * Errors as in the core: a function that can fail returns 0 (or what it
 * makes) or a negative PYSEC_E* code, with the message set once where the
 * failure is known (util's error_set(); error_last() reads it back, per
 * thread).
 */
#ifndef PYSEC_DAEMON_PRIVATE_H
#define PYSEC_DAEMON_PRIVATE_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <jansson.h>
#include "pysec.h"
#include "pysec_daemon.h"
#include "pysec_forge.h"
#include "pysec_proto.h"
#include "util.h"

/* --- config.c -------------------------------------------------------------- */

struct forge_conf {
	char *url;		/* the forge's API root or server URL */
	char *token;		/* read from tokenFile; secret */
	char *secret;		/* the webhook secret, read from secretFile; secret */
};

struct project_map {
	pysec_forge_kind kind;
	char *project;		/* GitLab: path_with_namespace (or the numeric id); Gitea, GitHub: owner/repo */
	char *path;		/* the repository on this machine */
};

struct dconfig {
	char *file;		/* the configuration file; also the system policy of every scan */
	char *socket;		/* pysec.daemonSocket: where hooks connect; NULL: no socket */
	char *socket_group;	/* the socket's group (mode 0660) */
	char **roots;		/* real paths: the repositories served live under these */
	size_t nroots, cap_roots;
	uid_t *users;		/* peers allowed on the socket, by user ... */
	size_t nusers, cap_users;
	gid_t *groups;		/* ... or by group (primary or supplementary) */
	size_t ngroups, cap_groups;
	unsigned workers;	/* hook workers */
	unsigned queue;		/* hook connections waiting for a worker */
	double request_timeout;	/* seconds to read a hook's request */
	pysec_cache_options cache;
	char *listen;		/* HTTP "host:port" or NULL */
	char *queue_db;		/* the job queue: a SQLite file, or a PostgreSQL URI or conninfo */
	int queue_sync_full;	/* SQLite: synchronous=FULL (every commit on disk) or NORMAL */
	char *queue_password;	/* PostgreSQL: read from queuePasswordFile; secret */
	unsigned queue_lease;	/* PostgreSQL: seconds a claim lasts unless its daemon renews it */
	size_t max_body;	/* bytes of a webhook body */
	size_t max_pending;	/* queued jobs; beyond, deliveries get 503 */
	unsigned review_workers;
	unsigned attempts;	/* a job that failed this often is parked */
	unsigned backoff_ms, backoff_max_ms;
	double stop_timeout;	/* seconds from SIGTERM to the exit, whatever is unfinished */
	struct forge_conf gitlab, gitea, github;
	struct project_map *projects;
	size_t nprojects, cap_projects;
};

/* Read the file and the flags: 0, or PYSEC_EINVALID saying what is wrong (error_last()). */
int dconfig_load(struct dconfig **out, const pysec_serve_options *flags);
void dconfig_free(struct dconfig *cfg);
/* The settings of one forge (pysec.gitlab.*, pysec.gitea.*, pysec.github.*). */
const struct forge_conf *dconfig_forge(const struct dconfig *cfg, pysec_forge_kind kind);
/* The repository a forge's project is mapped to, or NULL. */
const struct project_map *dconfig_project(const struct dconfig *cfg, pysec_forge_kind kind, const char *project,
	const char *alt);
/* True when `real` (a real path) is one of the roots or under one. */
int dconfig_under_roots(const struct dconfig *cfg, const char *real);

/* --- log.c ------------------------------------------------------------------ */

/*
 * One line of JSON on stderr: {"ts": ..., "level": ..., "msg": ..., fields...}.
 * `fields` (taken over) may be NULL.
 */
void dlog(const char *level, const char *msg, json_t *fields);

/* --- metrics.c ------------------------------------------------------------- */

enum hook_result {
	HOOK_ACCEPTED, HOOK_REJECTED, HOOK_REFUSED_PEER, HOOK_REFUSED_PATH, HOOK_BUSY, HOOK_BAD_REQUEST,
	HOOK_DEFERRED, HOOK_RESULT_COUNT
};
enum delivery_result {
	DELIVERY_QUEUED, DELIVERY_MERGED, DELIVERY_DUPLICATE, DELIVERY_IGNORED, DELIVERY_UNAUTHORIZED,
	DELIVERY_BAD_REQUEST, DELIVERY_TOO_LARGE, DELIVERY_FULL, DELIVERY_ERROR, DELIVERY_RESULT_COUNT
};
enum review_result { REVIEW_DONE, REVIEW_RETRY, REVIEW_PARKED, REVIEW_RESULT_COUNT };

void metrics_hook(enum hook_result r, double seconds);
void metrics_hook_queue(int delta);
void metrics_delivery(pysec_forge_kind kind, enum delivery_result r);
void metrics_review(enum review_result r, double seconds);
void metrics_http(const char *route);

struct daemon;
/* The Prometheus text exposition of everything, malloc'd. */
char *metrics_render(struct daemon *d, size_t *len);

/* --- queue.c (queue_sqlite.c, queue_pg.c) ------------------------------------ */

/*
 * The durable queue of review jobs: one interface, whatever keeps the jobs
 * (queue.h, behind it).  Every function returns 0 (or what it says), or -1
 * with the message in error_last().
 */
struct queue;

enum queue_add_result { QUEUE_ADDED, QUEUE_MERGED, QUEUE_DUPLICATE, QUEUE_FULL };
enum queue_state { QUEUE_QUEUED, QUEUE_RUNNING, QUEUE_DONE, QUEUE_PARKED, QUEUE_SUPERSEDED, QUEUE_STATES };

struct job {
	int64_t id;
	pysec_forge_kind kind;
	char project[512];
	uint64_t number;
	char head[64];
	unsigned attempts;	/* including this one */
	int64_t lease;		/* the claim's number, where the queue has leases; else 0 */
};

/* The queue pysec.daemon.queueDb names, set up for the daemon. */
int queue_open(struct queue **out, const struct dconfig *cfg);
void queue_close(struct queue *q);
/* Record a delivery and its job, durably, before the forge gets its 2xx. */
int queue_add(struct queue *q, const char *delivery, pysec_forge_kind kind, const char *project, uint64_t number,
	const char *head, size_t max_pending, enum queue_add_result *result, int64_t *job);
/*
 * 1 with a job now running, 0 when none is due (then *next_due_ms is the
 * next one's time, or 0); *seq is for queue_wait().
 */
int queue_claim(struct queue *q, struct job *out, int64_t *next_due_ms, uint64_t *seq);
/*
 * The end of a claimed job: done, failed (retried after `delay_ms`, or
 * parked with `error` when attempts are spent), or released (the daemon is
 * stopping, or the job is no longer its own: queued again, the attempt not
 * counted).  -1 when it could not be written: queue_maintain() then sees
 * to it once the queue can be written.
 */
int queue_done(struct queue *q, const struct job *job, const char *result);
int queue_failed(struct queue *q, const struct job *job, const char *error, unsigned delay_ms, int park);
int queue_release(struct queue *q, const struct job *job, const char *why);
/* 1 when the job may be run by another daemon now: its review is to stop. */
int queue_lost(struct queue *q, const struct job *job);
/* When a write failed: try again what it left undone; -1 while it cannot. */
int queue_maintain(struct queue *q);
/* 0 when the queue can be written now (a probe write) and nothing is stuck; else -1 with why. */
int queue_health(struct queue *q);
/* A stop past its deadline: the jobs in flight are released, and the queue is left locked for the exit. */
void queue_abandon(struct queue *q);
/* The queue's part of /metrics: jobs per state, which queue, which daemon. */
void queue_metrics(struct queue *q, FILE *f);
/* Forget finished jobs and deliveries older than `days`. */
void queue_prune(struct queue *q, int days);
/* Sleep until `until_ms` (at most a poll's time), unless queue_notify() came since the claim that gave `seq`. */
void queue_wait(struct queue *q, int64_t until_ms, const volatile int *stop, uint64_t seq);
/* Wake the review workers: a job was added or finished, or they are to stop. */
void queue_notify(struct queue *q);
/* "host:pid": this daemon, as the logs and the queue name it. */
const char *queue_daemon(const struct queue *q);

/* --- the daemon (serve.c) --------------------------------------------------- */

/*
 * A generation: one reading of the configuration and its warm state (the
 * compiled rules and blob results).  SIGHUP makes a new one; work already
 * running keeps the generation it started with until it ends.
 */
struct generation {
	unsigned refs;
	struct dconfig *cfg;
	pysec_cache *cache;
	/* who each forge's token acts as (by pysec_forge_kind), once a review found out: asked once a generation */
	pthread_mutex_t users_lock;
	pysec_forge_user users[4];
	int user_known[4];
};

struct hookd;
struct webhookd;
struct reviewd;

struct daemon {
	pthread_mutex_t lock;
	struct generation *gen;		/* the current one */
	struct queue *queue;		/* NULL when webhooks are off */
	struct hookd *hooks;
	struct webhookd *web;
	struct reviewd *reviews;
	volatile int stopping;
	double started;
};

struct generation *daemon_gen_get(struct daemon *d);
void daemon_gen_put(struct daemon *d, struct generation *g);

/* --- hooks.c ---------------------------------------------------------------- */

/* Listen on `fd` (bound and listening) with the generation's workers. */
int hookd_start(struct hookd **out, struct daemon *d, int fd);
/* Stop accepting, finish every connection accepted, and free. */
void hookd_stop(struct hookd *h);
void hookd_stats(struct hookd *h, unsigned *queued, unsigned *busy, unsigned *workers);
/* A listening Unix socket at `path`, mode 0660 (a stale one is replaced, a live one refused). */
int hookd_listen(int *fd, const char *path, const char *group);

/* --- delivery.c ------------------------------------------------------------- */

enum delivery_verdict {
	DELIVERY_UNAUTHENTIC,	/* no or a wrong secret or signature: 401 */
	DELIVERY_NOT_FOR_US,	/* another event or action: 2xx, ignored */
	DELIVERY_MALFORMED,	/* authentic, but not the event it says it is: 400 */
	DELIVERY_TO_REVIEW,	/* a request to review: queue it */
};

struct delivery {
	pysec_forge_kind kind;
	const char *event;	/* the event header, or NULL */
	const char *project;	/* GitLab path_with_namespace, Gitea full_name (points into root) */
	char alt[32];		/* GitLab: the numeric project id */
	uint64_t number;	/* the merge request's iid, the pull request's number */
	const char *head;	/* the head commit the event names, or NULL */
	const char *action;
	const char *why;	/* for anything but DELIVERY_TO_REVIEW */
	char jerror[160];	/* DELIVERY_MALFORMED: the JSON parser's message, or "" */
	char id[300];		/* "<forge>:<delivery id | sha256 of the body>": a second delivery of it is a duplicate */
	char digest[65];
	json_t *root;		/* the parsed body */
};

/* A request header's value (any case of its name), or NULL. */
typedef const char *(*delivery_header_fn)(const char *name, void *payload);

/*
 * Read one delivery for `kind`: its authentication with `secret` (GitLab's
 * X-Gitlab-Token, compared in constant time; Gitea's X-Gitea-Signature or
 * X-Hub-Signature-256, GitHub's X-Hub-Signature-256: the HMAC-SHA256 of
 * the raw body) before anything else, then its event and body.  `out` is
 * filled in whatever the verdict; delivery_clear() releases it.
 */
enum delivery_verdict delivery_read(struct delivery *out, pysec_forge_kind kind, const char *secret,
	delivery_header_fn header, void *payload, const char *body, size_t len);
void delivery_clear(struct delivery *dv);
/* The forge whose webhooks are delivered at `path` ("/webhook/gitlab"), or 0. */
pysec_forge_kind delivery_kind_of_path(const char *path);

/* --- webhook.c -------------------------------------------------------------- */

/* Listen on `addr` ("host:port"), or on `fd` when >= 0; *port is the port bound. */
int webhookd_start(struct webhookd **out, struct daemon *d, const char *addr, int fd, unsigned *port);
void webhookd_stop(struct webhookd *w);

/* --- reviews.c -------------------------------------------------------------- */

int reviewd_start(struct reviewd **out, struct daemon *d, unsigned workers);
/* Abort the reviews in flight (their transfers, within a second): they go back to the queue. */
void reviewd_cancel(struct reviewd *r);
/* Wait for the workers and free; queued jobs stay in the queue for the next start. */
void reviewd_stop(struct reviewd *r);

#endif
