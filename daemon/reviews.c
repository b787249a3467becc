/*
 * reviews.c: the workers that turn queued jobs into reviews.  Each runs the
 * forge library's pysec_review_request_run(), the very review of `git pysec
 * review`, on the repository this machine keeps for the project, with the
 * daemon's warm rules and blob results.  A failure is retried after a
 * backoff that doubles (with jitter) up to a cap; a job that failed
 * pysec.daemon.attempts times is parked with its error.
 */
#include "daemon.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reviewd {
	struct daemon *d;
	pthread_t *threads;
	unsigned n;		/* workers started */
	volatile int stop;
	int cancel;		/* the daemon is stopping: transfers in flight are aborted (atomic) */
};

/* A review in flight, for its cancel callback. */
struct running {
	struct reviewd *r;
	const struct job *job;
};

/*
 * pysec_forge_options.cancel: a review in flight ends when the daemon
 * stops, or when its job may be another daemon's now (a lease the queue
 * could not renew).
 */
static int canceled(void *payload)
{
	const struct running *run = payload;

	return __atomic_load_n(&run->r->cancel, __ATOMIC_RELAXED) || queue_lost(run->r->d->queue, run->job);
}

static unsigned backoff(const struct dconfig *cfg, unsigned attempts, unsigned *seed)
{
	double ms = cfg->backoff_ms;
	unsigned i;

	for (i = 1; i < attempts && ms < cfg->backoff_max_ms; i++)
		ms *= 2;
	if (ms > cfg->backoff_max_ms)
		ms = cfg->backoff_max_ms;
	/* jitter: 75% to 125%, so that jobs failed together do not come back together */
	return (unsigned)(ms * (0.75 + 0.5 * (double)rand_r(seed) / RAND_MAX));
}

/* A new client for `kind` learns who its token is from an earlier one of the generation, if any. */
static void user_recall(struct generation *g, pysec_forge_kind kind, pysec_forge *forge)
{
	if ((unsigned)kind >= ARRAY_SIZE(g->users))
		return;
	pthread_mutex_lock(&g->users_lock);
	if (g->user_known[kind])
		pysec_forge_user_set(forge, &g->users[kind]);
	pthread_mutex_unlock(&g->users_lock);
}

/*
 * After a review that went well, remember who the token is, if the forge
 * said it; not a login taken because the forge would not say
 * (pysec.review.botLogin): a repository's own configuration may name
 * another.
 */
static void user_remember(struct generation *g, pysec_forge_kind kind, const pysec_forge *forge)
{
	pysec_forge_user u;

	if ((unsigned)kind >= ARRAY_SIZE(g->users) || pysec_forge_user_get(&u, forge) < 0 || u.id < 0)
		return;
	pthread_mutex_lock(&g->users_lock);
	g->users[kind] = u;
	g->user_known[kind] = 1;
	pthread_mutex_unlock(&g->users_lock);
}

/* Run one job: 0 with what it did in `result`, or an error. */
static int run_job(struct running *run, struct generation *g, const struct job *job, char *result, size_t reslen)
{
	const struct dconfig *cfg = g->cfg;
	const struct forge_conf *fc = dconfig_forge(cfg, job->kind);
	const struct project_map *map = dconfig_project(cfg, job->kind, job->project, NULL);
	pysec_forge_options fo = PYSEC_FORGE_OPTIONS_INIT;
	pysec_review_request_options rq;
	pysec_review_request_result res;
	pysec_review_target target;
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *conn = NULL;
	git_repository *repo = NULL;
	pysec_forge *forge = NULL;
	const char *cap;
	int rc;

	if (!map)
		return error_set(PYSEC_ENOTFOUND, "no repository is mapped to %s project %s",
			pysec_forge_kind_name(job->kind), job->project);
	if (!fc->url || !fc->token)
		return error_set(PYSEC_EINVALID, "pysec.%s.url and pysec.%s.tokenFile are needed",
			pysec_forge_kind_name(job->kind), pysec_forge_kind_name(job->kind));
	if ((rc = pysec_repository_open(&repo, map->path, GIT_REPOSITORY_OPEN_NO_SEARCH)) < 0)
		return error_set(rc, "cannot open %s: %s", map->path, error_last());
	/* network settings: the daemon's file, then the repository's own config (pysec.review.*) */
	src.system_file = cfg->file;
	src.repo = repo;
	if ((rc = pysec_config_load(&conn, &src)) < 0 || (rc = pysec_forge_options_from_config(&fo, conn)) < 0) {
		rc = error_set(rc, "configuration: %s", error_last());
		goto cleanup;
	}
	fo.kind = job->kind;
	fo.url = fc->url;
	fo.token = fc->token;
	fo.cancel = canceled;
	fo.cancel_payload = run;
	if ((rc = pysec_forge_new(&forge, &fo)) < 0)
		goto cleanup;
	user_recall(g, job->kind, forge);
	memset(&rq, 0, sizeof(rq));
	rq.review = (pysec_review_options)PYSEC_REVIEW_OPTIONS_INIT;
	if ((cap = pysec_config_get(conn, "pysec.review.maxComments", NULL)) != NULL)
		rq.review.max_comments = (size_t)pysec_config_number(conn, "pysec.review.maxComments", 100000, 25);
	rq.review.status_name = pysec_config_get(conn, "pysec.review.statusName", "pysec");
	rq.review.target_url = pysec_config_get(conn, "pysec.review.targetUrl", NULL);
	rq.system_config = cfg->file;
	rq.cache = g->cache;
	target.project = job->project;
	target.number = job->number;
	if ((rc = pysec_review_request_run(&res, forge, repo, &target, &rq)) < 0) {
		rc = error_set(rc, "%s: %s", res.step, error_last());
		goto cleanup;
	}
	snprintf(result, reslen, "head %.12s: %zu findings (%zu blocking), %zu posted, %zu already there, "
		"%zu in the summary, %zu closed", res.refs.head, res.result.findings, res.result.blocking,
		res.result.posted, res.result.kept, res.result.in_summary, res.result.closed);
	user_remember(g, job->kind, forge);
cleanup:
	pysec_forge_free(forge);
	pysec_config_free(conn);
	git_repository_free(repo);
	return rc;
}

static void *worker(void *arg)
{
	struct reviewd *r = arg;
	unsigned seed = (unsigned)(clock_wall_ms() ^ (int64_t)(uintptr_t)&seed);

	while (!r->stop) {
		struct generation *g;
		struct job job;
		struct running run = { r, &job };
		const char *daemon = queue_daemon(r->d->queue);
		int64_t next = 0;
		uint64_t seq = 0;
		char error[1024], result[512];
		double started;
		int rc;

		/* after a write failed: the jobs it left running are queued again once writes work */
		queue_maintain(r->d->queue);
		if (!queue_claim(r->d->queue, &job, &next, &seq)) {
			queue_wait(r->d->queue, next, &r->stop, seq);
			continue;
		}
		g = daemon_gen_get(r->d);
		started = (double)clock_wall_ms() / 1000.0;
		dlog("info", "review started", json_pack("{s:I,s:s,s:s,s:I,s:i,s:s}", "job", (json_int_t)job.id,
			"forge", pysec_forge_kind_name(job.kind), "project", job.project, "request", (json_int_t)job.number,
			"attempt", (int)job.attempts, "daemon", daemon));
		result[0] = '\0';
		rc = run_job(&run, g, &job, result, sizeof(result));
		/* kept: the queue's calls below may set errors of their own */
		snprintf(error, sizeof(error), "%s", rc < 0 ? error_last() : "");
		if (rc < 0 && canceled(&run)) {
			/* not the job's failure: it goes back to the queue, for the next start or another daemon */
			int stop = __atomic_load_n(&r->cancel, __ATOMIC_RELAXED);
			queue_release(r->d->queue, &job, stop ? "interrupted by the daemon's stop" : "its lease was lost");
			dlog("warning", stop ? "review interrupted by the stop; queued again" :
				"review stopped: its lease was lost, another daemon may run it", json_pack("{s:I,s:s,s:I,s:s,s:s}",
				"job", (json_int_t)job.id, "project", job.project, "request", (json_int_t)job.number,
				"error", error, "daemon", daemon));
		} else if (rc == 0) {
			queue_done(r->d->queue, &job, result);
			metrics_review(REVIEW_DONE, (double)clock_wall_ms() / 1000.0 - started);
			dlog("info", "review done", json_pack("{s:I,s:s,s:I,s:s,s:s}", "job", (json_int_t)job.id, "project",
				job.project, "request", (json_int_t)job.number, "result", result, "daemon", daemon));
		} else {
			int park = job.attempts >= g->cfg->attempts;
			unsigned delay = park ? 0 : backoff(g->cfg, job.attempts, &seed);
			queue_failed(r->d->queue, &job, error, delay, park);
			metrics_review(park ? REVIEW_PARKED : REVIEW_RETRY, (double)clock_wall_ms() / 1000.0 - started);
			dlog(park ? "error" : "warning", park ? "review parked" : "review failed, will retry",
				json_pack("{s:I,s:s,s:I,s:i,s:s,s:i,s:s}", "job", (json_int_t)job.id, "project", job.project,
					"request", (json_int_t)job.number, "attempt", (int)job.attempts, "error", error,
					"retry_ms", (int)delay, "daemon", daemon));
		}
		daemon_gen_put(r->d, g);
	}
	return NULL;
}

int reviewd_start(struct reviewd **out, struct daemon *d, unsigned workers)
{
	struct reviewd *r = xcalloc(1, sizeof(*r));
	int e = 0, rc;

	r->d = d;
	r->threads = xcalloc(workers, sizeof(*r->threads));
	/* r->n counts the workers started: the only ones reviewd_stop() joins */
	while (r->n < workers && (e = pthread_create(&r->threads[r->n], NULL, worker, r)) == 0)
		r->n++;
	if (e) {
		rc = error_set(PYSEC_ERROR, "cannot start the review workers: %s", strerror(e));
		reviewd_stop(r);
		return rc;
	}
	*out = r;
	return 0;
}

void reviewd_cancel(struct reviewd *r)
{
	if (!r)
		return;
	__atomic_store_n(&r->cancel, 1, __ATOMIC_RELAXED);
	r->stop = 1;
	queue_notify(r->d->queue);
}

void reviewd_stop(struct reviewd *r)
{
	unsigned i;

	if (!r)
		return;
	r->stop = 1;
	queue_notify(r->d->queue);
	for (i = 0; i < r->n; i++)
		pthread_join(r->threads[i], NULL);
	free(r->threads);
	free(r);
}
