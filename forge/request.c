/*
 * request.c: one review from start to end, shared by `git pysec review`
 * and the daemon's review workers: the forge's commits, the policy, the
 * core's scan of base...head, then the posting (review.c).
 */
#include "forge.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

int pysec_forge_options_from_config(pysec_forge_options *fo, const pysec_config *cfg)
{
	static const struct {
		const char *key;
		unsigned long long max, scale;
		size_t offset;
	} nums[] = {
		{ "pysec.review.timeout", 3600, 1000, offsetof(pysec_forge_options, timeout_ms) },
		{ "pysec.review.connectTimeout", 3600, 1000, offsetof(pysec_forge_options, connect_timeout_ms) },
		{ "pysec.review.retries", 20, 1, offsetof(pysec_forge_options, retries) },
		{ "pysec.review.retryBaseMs", 600000, 1, offsetof(pysec_forge_options, retry_base_ms) },
		{ "pysec.review.retryMaxMs", 3600000, 1, offsetof(pysec_forge_options, retry_max_ms) },
		{ "pysec.review.maxWait", 3600, 1000, offsetof(pysec_forge_options, max_wait_ms) },
		{ "pysec.review.maxInFlight", 16, 1, offsetof(pysec_forge_options, max_in_flight) },
	};
	const char *login = pysec_config_get(cfg, "pysec.review.botLogin", NULL);
	const char *enc = pysec_config_get(cfg, "pysec.review.gitlabEncoding", NULL);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nums); i++) {
		const char *v = pysec_config_get(cfg, nums[i].key, NULL);
		unsigned long long n = 0;
		if (!v)
			continue;
		if (config_parse_uint(&n, v, nums[i].max) < 0)
			return error_set(PYSEC_EINVALID, "%s must be a whole number up to %llu, not '%s'", nums[i].key,
				nums[i].max, v);
		*(unsigned *)((char *)fo + nums[i].offset) = (unsigned)(n * nums[i].scale);
	}
	if (enc && strcmp(enc, "form") && strcmp(enc, "json"))
		return error_set(PYSEC_EINVALID, "pysec.review.gitlabEncoding is form or json");
	if (enc)
		fo->gitlab_json = !strcmp(enc, "json");
	if (pysec_config_get(cfg, "pysec.review.caBundle", NULL))
		fo->ca_bundle = pysec_config_get(cfg, "pysec.review.caBundle", NULL);
	if (login)
		fo->login = login;
	return 0;
}

/*
 * The policy: the system's, the repository's, the target's `.pysec` (at the
 * base commit: already accepted), the request's own `.pysec` only where it
 * is stricter (it is what is under review), the extra file, git -c, the flags.
 */
static int policy_config(pysec_config **out, git_repository *repo, const pysec_review_refs *refs,
	const pysec_review_request_options *o)
{
	static const char *const defaults[] = { "pysec.failOn", "medium", "pysec.minConfidence", "medium", NULL };
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	const char *flags[5];
	size_t n = 0;
	git_oid base, head;

	git_oid_fromstr(&base, refs->base);
	git_oid_fromstr(&head, refs->head);
	if (o->fail_on)
		flags[n++] = "pysec.failOn", flags[n++] = o->fail_on;
	if (o->min_confidence)
		flags[n++] = "pysec.minConfidence", flags[n++] = o->min_confidence;
	flags[n] = NULL;
	src.defaults = defaults;
	src.system_file = o->system_config;
	src.repo = repo;
	src.tree_commit = &base;
	src.strict_commits = &head;
	src.strict_count = 1;
	src.extra_file = o->extra_config;
	src.command_line = o->command_line;
	src.flags = flags;
	return pysec_config_load(out, &src);
}

/* Both commits must be here: the scan is local. */
static int have_commits(git_repository *repo, const pysec_review_refs *refs)
{
	const char *which[2] = { refs->base, refs->head };
	const char *names[2] = { "base", "head" };
	size_t i;

	for (i = 0; i < 2; i++) {
		git_oid id;
		git_commit *c = NULL;
		if (git_oid_fromstr(&id, which[i]) < 0 || git_commit_lookup(&c, repo, &id) < 0)
			return error_set(PYSEC_ENOTFOUND, "the request's %s commit %s is not in this repository; "
				"fetch it first (git fetch origin %s; in GitLab CI, GIT_DEPTH: 0)",
				names[i], which[i], which[i]);
		git_commit_free(c);
	}
	return 0;
}

/*
 * A forge that does not state the merge base (GitHub) still shows the diff
 * from it (base...head): find it here.
 */
static int find_merge_base(pysec_review_refs *refs, git_repository *repo)
{
	git_oid start, head, base;
	pysec_review_refs probe = *refs;
	int rc;

	/* both must be here first; the message says how to fetch them */
	memcpy(probe.base, refs->start, sizeof(probe.base));
	if ((rc = have_commits(repo, &probe)) < 0)
		return rc;
	git_oid_fromstr(&start, refs->start);
	git_oid_fromstr(&head, refs->head);
	if (git_merge_base(&base, repo, &start, &head) < 0)
		return error_set(PYSEC_ENOTFOUND, "the request's base %.12s and head %.12s have no common ancestor "
			"here (a shallow clone? fetch the whole history)", refs->start, refs->head);
	git_oid_tostr(refs->base, sizeof(refs->base), &base);
	return 0;
}

static int failed(pysec_review_request_result *out, const char *step, int rc)
{
	snprintf(out->step, sizeof(out->step), "%s", step);
	return rc;
}

int pysec_review_request_run(pysec_review_request_result *out, pysec_forge *forge, git_repository *repo,
	const pysec_review_target *target, const pysec_review_request_options *opts)
{
	pysec_config *cfg = NULL;
	const pysec_engine *engine = NULL;
	pysec_engine *owned = NULL;
	pysec_changeset *cs = NULL;
	pysec_report *report = NULL;
	pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
	pysec_review_options ro = opts->review;
	pysec_threshold t;
	char spec[128];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pysec_review_refs_get(&out->refs, forge, target)) < 0)
		return failed(out, "review", rc);
	if (!*out->refs.base && (rc = find_merge_base(&out->refs, repo)) < 0)
		return failed(out, "review", rc);
	if ((rc = have_commits(repo, &out->refs)) < 0)
		return failed(out, "review", rc);
	if ((rc = policy_config(&cfg, repo, &out->refs, opts)) < 0) {
		failed(out, "configuration", rc);
		goto cleanup;
	}
	t.fail_on = pysec_level_parse(pysec_config_get(cfg, "pysec.failOn", PYSEC_DEFAULT_FAIL_ON));
	t.min_confidence = pysec_level_parse(pysec_config_get(cfg, "pysec.minConfidence", PYSEC_DEFAULT_MIN_CONFIDENCE));
	if (!t.fail_on || !t.min_confidence) {
		rc = failed(out, "configuration", error_set(PYSEC_EINVALID,
			"pysec.failOn and pysec.minConfidence are low, medium or high"));
		goto cleanup;
	}
	rc = opts->cache ? pysec_cache_engine(&engine, opts->cache, cfg) : pysec_engine_new(&owned, cfg);
	if (rc < 0) {
		failed(out, "rules", rc);
		goto cleanup;
	}
	if (owned)
		engine = owned;
	snprintf(spec, sizeof(spec), "%s...%s", out->refs.base, out->refs.head);
	if ((rc = pysec_changeset_from_revspec(&cs, repo, spec)) < 0) {
		failed(out, spec, rc);
		goto cleanup;
	}
	pysec_report_new(&report);
	so.repo = repo;
	so.cache = opts->cache;
	so.progress = opts->progress;
	so.progress_payload = opts->progress_payload;
	if ((rc = pysec_scan(report, engine, cs, &so)) < 0) {
		failed(out, "scan", rc);
		goto cleanup;
	}
	pysec_report_sort(report);
	if (opts->on_scan)
		opts->on_scan(&out->refs, report, &t, pysec_config_notes(cfg), opts->payload);
	ro.threshold = t;
	ro.engine = engine;
	out->reviewed = 1;
	if ((rc = pysec_review_run(&out->result, forge, target, &out->refs, report, cs, &ro)) < 0)
		failed(out, "review", rc);
cleanup:
	pysec_report_free(report);
	pysec_changeset_free(cs);
	if (engine && !owned)
		pysec_cache_engine_release(opts->cache, engine);
	pysec_engine_free(owned);
	pysec_config_free(cfg);
	return rc;
}
