/*
 * metrics.c: what /metrics shows, in Prometheus' text format: requests,
 * verdicts, scan and review latency histograms, queue depths, the cache.
 */
#include "daemon.h"

#include <stdlib.h>
#include <string.h>

static const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct histogram {
	uint64_t counts[NBOUNDS + 1];	/* the last is +Inf */
	double sum;
	uint64_t n;
};

static struct {
	uint64_t hooks[HOOK_RESULT_COUNT];
	struct histogram hook_seconds;
	int64_t hook_queue;
	uint64_t deliveries[4][DELIVERY_RESULT_COUNT];	/* by pysec_forge_kind; 0: unknown */
	uint64_t reviews[REVIEW_RESULT_COUNT];
	struct histogram review_seconds;
	uint64_t http[4];
} m;

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const hook_names[] = { "accepted", "rejected", "refused_peer", "refused_path", "busy",
	"bad_request", "deferred" };
static const char *const delivery_names[] = { "queued", "merged", "duplicate", "ignored", "unauthorized",
	"bad_request", "too_large", "full", "error" };
static const char *const review_names[] = { "done", "retry", "parked" };
static const char *const routes[] = { "webhook", "healthz", "metrics", "other" };

static void observe(struct histogram *h, double v)
{
	size_t i;

	for (i = 0; i < NBOUNDS && v > bounds[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
	h->n++;
}

void metrics_hook(enum hook_result r, double seconds)
{
	pthread_mutex_lock(&metrics_lock);
	m.hooks[r]++;
	if (seconds >= 0)
		observe(&m.hook_seconds, seconds);
	pthread_mutex_unlock(&metrics_lock);
}

void metrics_hook_queue(int delta)
{
	pthread_mutex_lock(&metrics_lock);
	m.hook_queue += delta;
	pthread_mutex_unlock(&metrics_lock);
}

void metrics_delivery(pysec_forge_kind kind, enum delivery_result r)
{
	pthread_mutex_lock(&metrics_lock);
	m.deliveries[kind >= PYSEC_FORGE_GITLAB && kind <= PYSEC_FORGE_GITHUB ? kind : 0][r]++;
	pthread_mutex_unlock(&metrics_lock);
}

void metrics_review(enum review_result r, double seconds)
{
	pthread_mutex_lock(&metrics_lock);
	m.reviews[r]++;
	if (seconds >= 0)
		observe(&m.review_seconds, seconds);
	pthread_mutex_unlock(&metrics_lock);
}

void metrics_http(const char *route)
{
	size_t i;

	for (i = 0; i < 3 && strcmp(routes[i], route); i++)
		;
	pthread_mutex_lock(&metrics_lock);
	m.http[i]++;
	pthread_mutex_unlock(&metrics_lock);
}

static void histogram_write(FILE *f, const char *name, const char *help, const struct histogram *h)
{
	uint64_t cum = 0;
	size_t i;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < NBOUNDS; i++) {
		cum += h->counts[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
	}
	cum += h->counts[NBOUNDS];
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->n);
}

char *metrics_render(struct daemon *d, size_t *len)
{
	static const char *const forges[] = { "unknown", "gitlab", "gitea", "github" };
	static const char *const states[] = { "queued", "running", "done", "parked", "superseded" };
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	struct generation *g = daemon_gen_get(d);
	pysec_cache_stats cs;
	int64_t counts[5] = { 0 };
	unsigned queued = 0, busy = 0, workers = 0;
	size_t i, k;

	if (!f) {
		daemon_gen_put(d, g);
		return NULL;
	}
	pysec_cache_stats_get(&cs, g->cache);
	daemon_gen_put(d, g);
	if (d->queue)
		queue_counts(d->queue, counts);
	if (d->hooks)
		hookd_stats(d->hooks, &queued, &busy, &workers);

	pthread_mutex_lock(&metrics_lock);
	fprintf(f, "# HELP pysec_hook_requests_total Pre-receive requests over the socket, by outcome.\n"
		   "# TYPE pysec_hook_requests_total counter\n");
	for (i = 0; i < HOOK_RESULT_COUNT; i++)
		fprintf(f, "pysec_hook_requests_total{result=\"%s\"} %llu\n", hook_names[i], (unsigned long long)m.hooks[i]);
	fprintf(f, "# HELP pysec_verdicts_total Pushes judged, by verdict.\n# TYPE pysec_verdicts_total counter\n"
		   "pysec_verdicts_total{verdict=\"accept\"} %llu\npysec_verdicts_total{verdict=\"reject\"} %llu\n",
		(unsigned long long)m.hooks[HOOK_ACCEPTED], (unsigned long long)m.hooks[HOOK_REJECTED]);
	histogram_write(f, "pysec_hook_scan_seconds", "Time from a hook's connection to its verdict.", &m.hook_seconds);
	fprintf(f, "# HELP pysec_hook_queue_depth Hook connections waiting for a worker.\n"
		   "# TYPE pysec_hook_queue_depth gauge\npysec_hook_queue_depth %u\n"
		   "# HELP pysec_hook_workers_busy Hook workers running a gate.\n"
		   "# TYPE pysec_hook_workers_busy gauge\npysec_hook_workers_busy %u\n"
		   "# HELP pysec_hook_workers Hook workers.\n# TYPE pysec_hook_workers gauge\npysec_hook_workers %u\n",
		queued, busy, workers);
	fprintf(f, "# HELP pysec_http_requests_total HTTP requests, by route.\n# TYPE pysec_http_requests_total counter\n");
	for (i = 0; i < 4; i++)
		fprintf(f, "pysec_http_requests_total{route=\"%s\"} %llu\n", routes[i], (unsigned long long)m.http[i]);
	fprintf(f, "# HELP pysec_webhook_deliveries_total Webhook deliveries, by forge and outcome.\n"
		   "# TYPE pysec_webhook_deliveries_total counter\n");
	for (k = 0; k < 4; k++)
		for (i = 0; i < DELIVERY_RESULT_COUNT; i++)
			if (k || m.deliveries[k][i])
				fprintf(f, "pysec_webhook_deliveries_total{forge=\"%s\",result=\"%s\"} %llu\n", forges[k],
					delivery_names[i], (unsigned long long)m.deliveries[k][i]);
	fprintf(f, "# HELP pysec_reviews_total Review jobs run, by outcome.\n# TYPE pysec_reviews_total counter\n");
	for (i = 0; i < REVIEW_RESULT_COUNT; i++)
		fprintf(f, "pysec_reviews_total{result=\"%s\"} %llu\n", review_names[i], (unsigned long long)m.reviews[i]);
	histogram_write(f, "pysec_review_seconds", "Time a review job ran.", &m.review_seconds);
	pthread_mutex_unlock(&metrics_lock);

	fprintf(f, "# HELP pysec_queue_jobs Review jobs in the durable queue, by state.\n# TYPE pysec_queue_jobs gauge\n");
	for (i = 0; i < 5; i++)
		fprintf(f, "pysec_queue_jobs{state=\"%s\"} %lld\n", states[i], (long long)counts[i]);
	fprintf(f, "# HELP pysec_cache_lookups_total Blob result lookups, by outcome.\n"
		   "# TYPE pysec_cache_lookups_total counter\n"
		   "pysec_cache_lookups_total{result=\"hit\"} %llu\npysec_cache_lookups_total{result=\"miss\"} %llu\n"
		   "# HELP pysec_cache_hit_ratio Hits over lookups since the last reload.\n# TYPE pysec_cache_hit_ratio gauge\n"
		   "pysec_cache_hit_ratio %.4f\n"
		   "# HELP pysec_cache_evictions_total Blob results dropped for room.\n# TYPE pysec_cache_evictions_total counter\n"
		   "pysec_cache_evictions_total %llu\n"
		   "# HELP pysec_cache_entries Blob results kept.\n# TYPE pysec_cache_entries gauge\npysec_cache_entries %zu\n"
		   "# HELP pysec_cache_bytes Their approximate size.\n# TYPE pysec_cache_bytes gauge\npysec_cache_bytes %zu\n"
		   "# HELP pysec_cache_engines Compiled policies kept.\n# TYPE pysec_cache_engines gauge\npysec_cache_engines %zu\n",
		(unsigned long long)cs.hits, (unsigned long long)cs.misses,
		cs.hits + cs.misses ? (double)cs.hits / (double)(cs.hits + cs.misses) : 0.0,
		(unsigned long long)cs.evictions, cs.entries, cs.bytes, cs.engines);
	fprintf(f, "# HELP pysec_uptime_seconds Since the daemon started.\n# TYPE pysec_uptime_seconds gauge\n"
		   "pysec_uptime_seconds %.0f\n", (double)clock_wall_ms() / 1000.0 - d->started);
	fclose(f);
	return text;
}
