/*
 * gate.c: the pre-receive gate: a push in, a verdict and its `remote:`
 * lines out.  `git pysec pre-receive` runs it in its own process; the
 * daemon runs the very same function for the hooks that call it.
 *
 * The policy comes only from the server: the system policy file and the
 * repository's git config.  Content being pushed can make it stricter at
 * most, and only where pysec.allowInTreeConfig says so.  When the scan
 * cannot finish (budget, limits, repository errors) the policy decides:
 * reject (fail closed, the default) or accept with a warning.
 */
#include "changeset.h"
#include "pysec.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define EXIT_ACCEPT 0
#define EXIT_REJECT 1

#define BYPASS_OPTION "pysec.skip"

struct gate {
	const pysec_gate_options *opts;
	FILE *out;
	const char *prefix;		/* "GL-HOOK-ERR: " under GitLab, else "" */
	pysec_config *cfg;
	git_repository *repo;
	pysec_push *push;
	const pysec_engine *engine;	/* owned_engine, or borrowed from opts->cache */
	pysec_engine *owned_engine;
	pysec_report *report;
	pysec_changeset *cs;
	const char *user;
	int bypass_asked;
	int error;		/* the code of the failure fail_policy() reports */
};

static void say(const struct gate *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct gate *h, const char *fmt, ...)
{
	va_list ap;

	fputs(h->prefix, h->out);
	fputs("pysec: ", h->out);
	va_start(ap, fmt);
	vfprintf(h->out, fmt, ap);
	va_end(ap);
	fputc('\n', h->out);
}

/*
 * The scan could not finish: say why in one line, then follow the policy.
 * Failing closed is the default: an unscanned push is not a clean one.
 */
static int fail_policy(const struct gate *h, const char *what, const char *detail)
{
	const char *policy = h->cfg ? pysec_config_get(h->cfg, "pysec.onError", "reject") : "reject";

	if (h->opts->defer_failures && h->error != PYSEC_ELIMIT) {
		error_set(h->error, "%s: %s", what, detail);
		return PYSEC_GATE_DEFERRED;
	}

	if (!strcmp(policy, "accept")) {
		say(h, "warning: %s: %s; push accepted without a complete scan (pysec.onError = accept)",
			what, detail);
		return EXIT_ACCEPT;
	}
	say(h, "error: %s: %s; push rejected (pysec.onError = reject)", what, detail);
	return EXIT_REJECT;
}

/* The pusher, as the hosting software names them, or as pysec.userVariable says. */
static const char *env(const struct gate *h, const char *name)
{
	const char *v = h->opts->getenv(name, h->opts->payload);

	return v && *v ? v : NULL;
}

static const char *pusher(const struct gate *h)
{
	static const char *const vars[] = { "GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN" };
	const char *custom = pysec_config_get(h->cfg, "pysec.userVariable", NULL);
	size_t i;

	if (custom && env(h, custom))
		return env(h, custom);
	for (i = 0; i < ARRAY_SIZE(vars); i++)
		if (env(h, vars[i]))
			return env(h, vars[i]);
	return NULL;
}

/* Push options reach the hook only where receive.advertisePushOptions is on; unset and 0 are alike. */
static int push_option_given(const struct gate *h, const char *option)
{
	const char *count = env(h, "GIT_PUSH_OPTION_COUNT");
	long n = count ? strtol(count, NULL, 10) : 0, i;

	for (i = 0; i < n && i < 1000; i++) {
		char name[64];
		const char *v;
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%ld", i);
		v = env(h, name);
		if (v && !strcmp(v, option))
			return 1;
	}
	return 0;
}

static int user_listed(const pysec_config *cfg, const char *user)
{
	const char *list = pysec_config_get(cfg, "pysec.bypassUsers", NULL);
	const char *s = list;
	size_t ul = user ? strlen(user) : 0;

	if (!user || !list)
		return 0;
	while (*s) {
		size_t n;
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, ", \t");
		if (n == ul && !strncmp(s, user, n))
			return 1;
		s += n;
	}
	return 0;
}

/* One line per bypass: when, who, which repository and refs, and what it let through. */
static void log_bypass(const struct gate *h)
{
	const char *dir = git_repository_commondir(h->repo);
	const char *path = pysec_config_get(h->cfg, "pysec.bypassLog", NULL);
	char fallback[4096], stamp[32];
	time_t now = time(NULL);
	FILE *f;
	size_t i;

	if (!path) {
		snprintf(fallback, sizeof(fallback), "%spysec-bypass.log", dir);
		path = fallback;
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	f = fopen(path, "a");
	if (!f) {
		say(h, "warning: cannot write the bypass log %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%s user=%s repo=%s refs=", stamp, h->user, dir);
	for (i = 0; i < pysec_push_count(h->push); i++)
		fprintf(f, "%s%s", i ? "," : "", pysec_push_update(h->push, i)->refname);
	fprintf(f, " findings=%zu", pysec_report_finding_count(h->report));
	for (i = 0; i < pysec_report_finding_count(h->report); i++) {
		const pysec_finding *x = pysec_report_finding(h->report, i);
		fprintf(f, " %s:%s:%u", x->rule, x->path, x->line);
	}
	fputc('\n', f);
	fclose(f);
}

/*
 * The server's policy (the system file, the repository's config, the
 * environment the server runs the hook in: git -c), then, only where it
 * says pysec.allowInTreeConfig, each pushed tip's .pysec, which may only
 * make it stricter.
 */
static int load_policy(struct gate *h)
{
	/* the defaults, set so that the daemon's policy key holds them */
	static const char *const defaults[] = { "pysec.failOn", PYSEC_DEFAULT_FAIL_ON,
		"pysec.minConfidence", PYSEC_DEFAULT_MIN_CONFIDENCE, NULL };
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	git_oid *tips = xcalloc(pysec_push_count(h->push) + 1, sizeof(*tips));
	size_t i, n = 0;
	int rc;

	for (i = 0; i < pysec_push_count(h->push); i++)
		if (!git_oid_is_zero(&pysec_push_update(h->push, i)->new_id))
			git_oid_cpy(&tips[n++], &pysec_push_update(h->push, i)->new_id);
	src.defaults = defaults;
	src.system_file = h->opts->system_config;
	src.repo = h->repo;
	src.strict_commits = tips;
	src.strict_count = n;
	src.strict_if_allowed = 1;
	src.command_line = 1;
	src.getenv = h->opts->getenv;
	src.payload = h->opts->payload;
	rc = pysec_config_load(&h->cfg, &src);
	free(tips);
	return rc;
}

/*
 * The scan's time: pysec.timeBudget for any push, and pysec.timeBudgetPerFile
 * more for each file it reads (a file at a pushed tip, or the lines one new
 * commit adds to a file), so that a push that brings a whole history (an
 * import) has time in proportion to it, not a flat few seconds.
 */
static void time_budget(pysec_scan_options *so, const pysec_config *cfg, const struct pysec_changeset *cs)
{
	double base = pysec_config_seconds(cfg, "pysec.timeBudget", 4.0);
	double per_file = pysec_config_seconds(cfg, "pysec.timeBudgetPerFile", 0.01);

	so->time_budget = base > 0 ? base + per_file * (double)cs->len : 0;
	so->time_per_file = per_file;	/* for each file a new commit adds lines to, as the scan meets them */
}

static int only_deletes(const pysec_push *push)
{
	size_t i;

	for (i = 0; i < pysec_push_count(push); i++)
		if (!git_oid_is_zero(&pysec_push_update(push, i)->new_id))
			return 0;
	return 1;
}

/* Every finding and note so far, one `remote:` line each; returns how many block. */
static size_t show_report(const struct gate *h, pysec_threshold *t)
{
	pysec_write_options wo = PYSEC_WRITE_OPTIONS_INIT;

	wo.format = PYSEC_FORMAT_PUSH;
	wo.line_prefix = h->prefix;
	wo.threshold.fail_on = pysec_level_parse(pysec_config_get(h->cfg, "pysec.failOn", PYSEC_DEFAULT_FAIL_ON));
	wo.threshold.min_confidence = pysec_level_parse(pysec_config_get(h->cfg, "pysec.minConfidence",
		PYSEC_DEFAULT_MIN_CONFIDENCE));
	if (!wo.threshold.fail_on)
		wo.threshold.fail_on = PYSEC_LEVEL_MEDIUM;
	if (!wo.threshold.min_confidence)
		wo.threshold.min_confidence = PYSEC_LEVEL_MEDIUM;
	pysec_report_sort(h->report);
	pysec_report_write(h->report, &wo, h->out);
	*t = wo.threshold;
	return pysec_report_blocking(h->report, &wo.threshold);
}

static int verdict(struct gate *h, int allowed_bypass)
{
	pysec_write_options wo = PYSEC_WRITE_OPTIONS_INIT;
	size_t blocking = show_report(h, &wo.threshold);

	if (allowed_bypass) {
		log_bypass(h);
		say(h, "bypass by %s (-o %s): %zu blocking finding%s let through; this is logged",
			h->user, BYPASS_OPTION, blocking, blocking == 1 ? "" : "s");
		return EXIT_ACCEPT;
	}
	if (!blocking) {
		if (pysec_report_finding_count(h->report))
			say(h, "%zu warning%s, none at the threshold (severity %s, confidence %s): push accepted",
				pysec_report_finding_count(h->report), pysec_report_finding_count(h->report) == 1 ? "" : "s",
				pysec_level_name(wo.threshold.fail_on), pysec_level_name(wo.threshold.min_confidence));
		return EXIT_ACCEPT;
	}
	say(h, "push rejected: %zu finding%s at or above severity %s and confidence %s", blocking,
		blocking == 1 ? "" : "s", pysec_level_name(wo.threshold.fail_on),
		pysec_level_name(wo.threshold.min_confidence));
	say(h, "fix them and push again; `git pysec scan <old>..<new>` shows the same locally, "
		"`git pysec explain <rule>` says how to fix one");
	say(h, "a false positive: mark the line with `# nosec <rule>` and say why in the commit message");
	if (user_listed(h->cfg, h->user))
		say(h, "you may bypass this check with `git push -o %s` (logged)", BYPASS_OPTION);
	return EXIT_REJECT;
}

static void gate_release(struct gate *h)
{
	pysec_changeset_free(h->cs);
	pysec_report_free(h->report);
	if (h->engine && !h->owned_engine)
		pysec_cache_engine_release(h->opts->cache, h->engine);
	pysec_engine_free(h->owned_engine);
	pysec_push_free(h->push);
	pysec_config_free(h->cfg);
	git_repository_free(h->repo);
}


int pysec_gate_run(const char *input, size_t len, const pysec_gate_options *opts, FILE *out)
{
	struct gate h;
	pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
	pysec_push_options po = PYSEC_PUSH_OPTIONS_INIT;
	int allowed_bypass = 0, exit_code;

	memset(&h, 0, sizeof(h));
	h.opts = opts;
	h.out = out;
	h.prefix = env(&h, "GL_PROTOCOL") ? "GL-HOOK-ERR: " : "";
	if ((h.error = pysec_push_parse(&h.push, input, len)) < 0)
		return fail_policy(&h, "input", pysec_error_last());
	/* a push that only deletes refs has no quarantine and nothing to scan */
	if (only_deletes(h.push)) {
		pysec_push_free(h.push);
		return EXIT_ACCEPT;
	}
	if ((h.error = opts->open_repository(&h.repo, opts->payload)) < 0 || (h.error = load_policy(&h)) < 0) {
		exit_code = fail_policy(&h, "policy", pysec_error_last());
		goto done;
	}
	h.user = pusher(&h);
	h.bypass_asked = push_option_given(&h, BYPASS_OPTION);
	if (h.bypass_asked) {
		allowed_bypass = user_listed(h.cfg, h.user);
		if (!allowed_bypass)
			say(&h, "-o %s is not allowed for %s (pysec.bypassUsers); scanning as usual", BYPASS_OPTION,
				h.user ? h.user : "an unnamed user");
	}
	if (*pysec_config_notes(h.cfg)) {
		const char *s = pysec_config_notes(h.cfg);
		while (*s) {
			size_t n = strcspn(s, "\n");
			say(&h, "note: %.*s", (int)n, s);
			s += n + (s[n] ? 1 : 0);
		}
	}
	/*
	 * What the push adds first, as the history rules (secrets) read it: a
	 * push that adds no line (a tag, a branch on known commits, deleted
	 * lines) is accepted without compiling the rules.
	 */
	po.max_commits = (size_t)pysec_config_number(h.cfg, "pysec.maxCommits", SIZE_MAX, PYSEC_PUSH_MAX_COMMITS);
	po.history = 1;
	pysec_report_new(&h.report);
	if ((h.error = pysec_changeset_from_push(&h.cs, h.report, h.repo, h.push, &po)) < 0) {
		exit_code = fail_policy(&h, "push", pysec_error_last());
		goto done;
	}
	if (changeset_adds_nothing(h.cs, h.repo)) {
		exit_code = verdict(&h, allowed_bypass);
		goto done;
	}
	/* a daemon keeps the rules compiled, per policy */
	h.error = opts->cache ? pysec_cache_engine(&h.engine, opts->cache, h.cfg) : pysec_engine_new(&h.owned_engine, h.cfg);
	if (h.error < 0) {
		exit_code = fail_policy(&h, "rules", pysec_error_last());
		goto done;
	}
	if (h.owned_engine)
		h.engine = h.owned_engine;
	if (!pysec_engine_has_history_rules(h.engine))
		changeset_drop_history(h.cs);
	so.repo = h.repo;
	so.open_repository = opts->open_repository;
	so.open_payload = opts->payload;
	so.cache = opts->cache;
	time_budget(&so, h.cfg, h.cs);
	if ((h.error = pysec_scan(h.report, h.engine, h.cs, &so)) < 0 && !allowed_bypass) {
		/* what was found before the scan stopped is shown, then the policy decides */
		char why[1024];
		pysec_threshold t;
		snprintf(why, sizeof(why), "%s", pysec_error_last());
		show_report(&h, &t);
		exit_code = fail_policy(&h, "scan", why);
		goto done;
	}
	exit_code = verdict(&h, allowed_bypass);
done:
	gate_release(&h);
	fflush(out);
	return exit_code;
}
