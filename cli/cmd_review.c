/*
 * cmd_review.c: `git pysec review`: one GitLab merge request, Gitea pull
 * request or GitHub pull request.  Settings come from the flags, then the
 * variables of GitLab CI, Gitea Actions or GitHub Actions, then the
 * configuration; the scan is the core's on base...head; posting is the
 * forge library's.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pysec_forge.h"

static const char usage[] =
	"usage: git pysec review [options]\n"
	"\n"
	"Scan what a merge request (GitLab) or pull request (Gitea, GitHub) adds and post\n"
	"the findings as inline comments, a summary and a commit status.  In GitLab CI the\n"
	"forge, URL, project and merge request come from CI_API_V4_URL, CI_PROJECT_ID and\n"
	"CI_MERGE_REQUEST_IID; in Gitea Actions from GITHUB_SERVER_URL, GITHUB_REPOSITORY and\n"
	"GITHUB_REF; in GitHub Actions from GITHUB_API_URL, GITHUB_REPOSITORY and the\n"
	"pull_request event (GITHUB_EVENT_PATH).\n"
	"\n"
	"  --forge gitlab|gitea|github  the forge (pysec.review.forge)\n"
	"  --url URL                its API root or server URL (pysec.review.url)\n"
	"  --project P              GitLab: id or group/project; Gitea, GitHub: owner/repo (pysec.review.project)\n"
	"  --mr N, --pr N           the merge request's iid / pull request's number\n"
	"  --token-file FILE        read the token from FILE (pysec.review.tokenFile); else from\n"
	"                           $PYSEC_TOKEN (pysec.review.tokenEnv names another variable)\n"
	"  --ca-bundle FILE         CA certificates to trust (pysec.review.caBundle); TLS is always verified\n"
	"  --max-comments N         inline comments per request (pysec.review.maxComments, default 25)\n"
	"  --fail-on LEVEL          lowest severity that fails the status (default medium)\n"
	"  --min-confidence LEVEL   ignore findings below this confidence (default medium)\n"
	"  --status-name NAME       the commit status's name (pysec.review.statusName, default pysec)\n"
	"  --target-url URL         the status's link (default: the CI job's)\n"
	"  --config FILE            a pysec config file (git-config syntax) over the others\n"
	"  --dry-run                read what is there, print what would be posted, post nothing\n"
	"  -v, --verbose            one line per request on stderr (never the token)\n"
	"  --quiet                  no progress line on a terminal\n"
	"\n"
	"Network settings: pysec.review.timeout and .connectTimeout (seconds), .retries,\n"
	".retryBaseMs, .retryMaxMs, .maxWait (seconds one request may wait for rate limits),\n"
	".maxInFlight, .gitlabEncoding (form or json).  pysec.review.botLogin names the user a\n"
	"token acts as where the forge will not say (GitHub Actions: github-actions[bot]).\n";

struct review_args {
	const char *forge, *url, *project, *number, *token_file, *ca_bundle, *max_comments;
	const char *fail_on, *min_conf, *status_name, *target_url, *config;
	int dry_run, verbose, quiet;
};

enum {
	OPT_FORGE = 1, OPT_URL, OPT_PROJECT, OPT_NUMBER, OPT_TOKEN_FILE, OPT_CA_BUNDLE, OPT_MAX_COMMENTS,
	OPT_FAIL_ON, OPT_MIN_CONF, OPT_STATUS_NAME, OPT_TARGET_URL, OPT_CONFIG, OPT_DRY_RUN, OPT_VERBOSE, OPT_QUIET,
	OPT_HELP,
};

static const struct cli_option options[] = {
	{ "forge", 0, 1, OPT_FORGE },
	{ "url", 0, 1, OPT_URL },
	{ "project", 0, 1, OPT_PROJECT },
	{ "mr", 0, 1, OPT_NUMBER },
	{ "pr", 0, 1, OPT_NUMBER },
	{ "request", 0, 1, OPT_NUMBER },
	{ "token-file", 0, 1, OPT_TOKEN_FILE },
	{ "ca-bundle", 0, 1, OPT_CA_BUNDLE },
	{ "max-comments", 0, 1, OPT_MAX_COMMENTS },
	{ "fail-on", 0, 1, OPT_FAIL_ON },
	{ "min-confidence", 0, 1, OPT_MIN_CONF },
	{ "status-name", 0, 1, OPT_STATUS_NAME },
	{ "target-url", 0, 1, OPT_TARGET_URL },
	{ "config", 0, 1, OPT_CONFIG },
	{ "dry-run", 0, 0, OPT_DRY_RUN },
	{ "verbose", 'v', 0, OPT_VERBOSE },
	{ "quiet", 0, 0, OPT_QUIET },
	{ "help", 'h', 0, OPT_HELP },
};

/* 0, 1 after --help, -1 on bad usage (said). */
static int parse_args(struct review_args *a, int argc, char **argv)
{
	struct cli_options o;
	int id, rc = 0;

	cli_options_init(&o, "review", options, ARRAY_SIZE(options), argc, argv);
	while (rc == 0 && (id = cli_options_next(&o)) > 0) {
		switch (id) {
		case OPT_FORGE: a->forge = o.value; break;
		case OPT_URL: a->url = o.value; break;
		case OPT_PROJECT: a->project = o.value; break;
		case OPT_NUMBER: a->number = o.value; break;
		case OPT_TOKEN_FILE: a->token_file = o.value; break;
		case OPT_CA_BUNDLE: a->ca_bundle = o.value; break;
		case OPT_MAX_COMMENTS: a->max_comments = o.value; break;
		case OPT_FAIL_ON: a->fail_on = o.value; break;
		case OPT_MIN_CONF: a->min_conf = o.value; break;
		case OPT_STATUS_NAME: a->status_name = o.value; break;
		case OPT_TARGET_URL: a->target_url = o.value; break;
		case OPT_CONFIG: a->config = o.value; break;
		case OPT_DRY_RUN: a->dry_run = 1; break;
		case OPT_VERBOSE: a->verbose = 1; break;
		case OPT_QUIET: a->quiet = 1; break;
		case OPT_HELP: fputs(usage, stdout); rc = 1; break;
		}
	}
	if (rc == 0 && (id < 0 || o.noperands))
		rc = -1;
	if (rc == 0 && ((a->fail_on && !pysec_level_parse(a->fail_on)) || (a->min_conf && !pysec_level_parse(a->min_conf)))) {
		fprintf(stderr, "git pysec review: --fail-on and --min-confidence are low, medium or high\n");
		rc = -1;
	}
	cli_options_clear(&o);
	if (rc < 0)
		fputs(usage, stderr);
	return rc;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* What the CI job pysec runs in says of the request; all NULL outside CI. */
struct ci {
	const char *forge;		/* "gitlab", "gitea", "github" */
	const char *url, *project, *number, *target_url;
	const char *login;		/* who the job's own token acts as, where the forge will not say */
	char number_buf[32];
	char target_buf[1024];
};

/* A pull request's number from its ref: refs/pull/<number>/head (Gitea) or /merge (GitHub). */
static const char *number_from_ref(struct ci *ci, const char *ref)
{
	if (!ref || strncmp(ref, "refs/pull/", 10))
		return NULL;
	snprintf(ci->number_buf, sizeof(ci->number_buf), "%.*s", (int)strcspn(ref + 10, "/"), ref + 10);
	return ci->number_buf;
}

/*
 * GitHub Actions: the pull request's number from the event that started
 * the workflow (GITHUB_EVENT_PATH: pull_request.number, or number), else
 * from GITHUB_REF.  A workflow run by another event reviews nothing.
 */
static const char *github_event_number(struct ci *ci)
{
	const char *path = env("GITHUB_EVENT_PATH");
	json_t *ev, *n;
	json_error_t jerr;

	if (path && (ev = json_load_file(path, 0, &jerr))) {
		n = json_object_get(json_object_get(ev, "pull_request"), "number");
		if (!json_is_integer(n))
			n = json_object_get(ev, "number");
		if (json_is_integer(n) && json_integer_value(n) > 0)
			snprintf(ci->number_buf, sizeof(ci->number_buf), "%lld", (long long)json_integer_value(n));
		json_decref(ev);
		if (*ci->number_buf)
			return ci->number_buf;
	}
	return number_from_ref(ci, env("GITHUB_REF"));
}

/* The run's page (GitHub and Gitea Actions): <server>/<owner>/<repo>/actions/runs/<id>. */
static const char *actions_run_url(struct ci *ci)
{
	if (!env("GITHUB_SERVER_URL") || !env("GITHUB_REPOSITORY") || !env("GITHUB_RUN_ID"))
		return NULL;
	snprintf(ci->target_buf, sizeof(ci->target_buf), "%s/%s/actions/runs/%s", env("GITHUB_SERVER_URL"),
		env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID"));
	return ci->target_buf;
}

static void ci_detect(struct ci *ci)
{
	memset(ci, 0, sizeof(*ci));
	if (env("GITLAB_CI") || env("CI_API_V4_URL")) {
		ci->forge = "gitlab";
		ci->url = env("CI_API_V4_URL");
		ci->project = env("CI_PROJECT_ID");
		ci->number = env("CI_MERGE_REQUEST_IID");
		ci->target_url = env("CI_JOB_URL");
	} else if (env("GITEA_ACTIONS")) {
		/* Gitea Actions sets GITHUB_ACTIONS too, for the actions it borrows: it is checked first */
		ci->forge = "gitea";
		ci->url = env("GITHUB_SERVER_URL");
		ci->project = env("GITHUB_REPOSITORY");
		ci->number = number_from_ref(ci, env("GITHUB_REF"));
		ci->target_url = actions_run_url(ci);
	} else if (env("GITHUB_ACTIONS")) {
		ci->forge = "github";
		ci->url = env("GITHUB_API_URL");
		ci->project = env("GITHUB_REPOSITORY");
		ci->number = github_event_number(ci);
		ci->target_url = actions_run_url(ci);
		/* the job's GITHUB_TOKEN may not read GET /user; it acts as this app's bot */
		ci->login = "github-actions[bot]";
	}
}

/* The first of: the flag, the CI variable, the configuration, the default. */
static const char *setting(const char *flag, const char *ci, const pysec_config *cfg, const char *key,
	const char *fallback)
{
	if (flag)
		return flag;
	if (ci)
		return ci;
	return pysec_config_get(cfg, key, fallback);
}

/* A count from a flag, the environment or the configuration; the message names `what`. */
static int parse_count(const char *what, const char *s, unsigned long long max, unsigned long long *out)
{
	if (parse_uint(out, s, max) < 0) {
		fprintf(stderr, "git pysec review: %s must be a whole number from 0 to %llu, not '%s'\n", what, max,
			s ? s : "");
		return -1;
	}
	return 0;
}

/* Read the token from `path`: the first line, without its line break. */
static char *read_token_file(const char *path)
{
	char *token;

	/* the file's name is not printed: a token given by mistake in its place would be */
	if (file_read_secret(&token, path, 0) < 0) {
		fprintf(stderr, "git pysec review: cannot read the token file (--token-file or "
			"pysec.review.tokenFile): %s\n", strerror(errno));
		return NULL;
	}
	if (!*token) {
		fprintf(stderr, "git pysec review: the token file (--token-file or pysec.review.tokenFile) is empty\n");
		secret_free(token);
		return NULL;
	}
	return token;
}

/*
 * Where to connect and with what may come only from the system policy, the
 * repository's own config and --config: never from a .pysec in the tree
 * under review, which could send the token to a server of its choosing.
 */
static int connection_config(pysec_config **out, git_repository *repo, const char *extra)
{
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	int rc;

	src.system_file = cli_system_config();
	src.repo = repo;
	src.extra_file = extra;
	src.command_line = 1;
	if ((rc = pysec_config_load(out, &src)) < 0) {
		pysec_config_free(*out);
		*out = NULL;
	}
	return rc;
}

struct printer {
	const char *forge;
	pysec_forge_kind kind;
	const char *project;
	uint64_t number;
};

static void print_indented(const char *text)
{
	const char *p = text;

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		printf("    %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* What a write does, by its kind and method: {to do, done}. */
static void action_verbs(const pysec_review_action *a, const char **todo, const char **done)
{
	const char *m = a->method ? a->method : "";

	*todo = "post", *done = "posted";
	if (a->kind == PYSEC_REVIEW_STATUS)
		*done = "set";
	else if (a->kind == PYSEC_REVIEW_WITHDRAW)
		*todo = "withdraw", *done = "withdrew";
	else if (!strcmp(m, "DELETE"))
		*todo = "delete", *done = "deleted";
	else if (!strcmp(m, "PUT") && a->kind != PYSEC_REVIEW_REVIEW)
		*todo = "resolve", *done = "resolved";
	else if (!strcmp(m, "PATCH"))
		*todo = "mark fixed", *done = "marked fixed";
}

static void on_action(const pysec_review_action *a, void *payload)
{
	const pysec_finding *f = a->finding;
	char what[1024];
	const char *todo, *done;

	if (f) {
		char *path = pysec_path_quote(f->path);
		snprintf(what, sizeof(what), "%s:%u %s", path, f->line, f->rule);
		free(path);
	} else if (a->kind == PYSEC_REVIEW_CLOSE) {
		snprintf(what, sizeof(what), "the comment on finding %s (gone)", a->fingerprint ? a->fingerprint : "?");
	} else if (a->kind == PYSEC_REVIEW_SUMMARY) {
		snprintf(what, sizeof(what), "%s", strcmp(a->method, "PUT") ? "the summary" : "the outdated summary");
	} else if (a->kind == PYSEC_REVIEW_REVIEW) {
		snprintf(what, sizeof(what), "the review");
	} else if (a->kind == PYSEC_REVIEW_WITHDRAW) {
		snprintf(what, sizeof(what), "pysec's request for changes (review %s): nothing blocks any more",
			a->fingerprint ? a->fingerprint : "?");
	} else if (a->kind == PYSEC_REVIEW_DROP) {
		snprintf(what, sizeof(what), "pysec's earlier review %s and its comments (their findings are gone, "
			"or it requested changes that nothing needs any more)", a->fingerprint ? a->fingerprint : "?");
	} else {
		snprintf(what, sizeof(what), "the commit status (%s)", a->text ? a->text : "");
	}
	action_verbs(a, &todo, &done);

	switch (a->outcome) {
	case PYSEC_REVIEW_DRY_RUN:
		if (a->kind == PYSEC_REVIEW_COMMENT && a->url && strstr(a->url, "/reviews")) {
			printf("would comment on %s (in the review)\n", what);
			print_indented(a->text);
			return;
		}
		printf("would %s %s: %s %s\n", todo, what, a->method, a->url);
		if (a->kind != PYSEC_REVIEW_STATUS)
			print_indented(a->text);
		return;
	case PYSEC_REVIEW_DONE:
		printf("%s %s\n", done, what);
		return;
	case PYSEC_REVIEW_MOVED:
		printf("moved %s to the summary: the forge refused its line\n", what);
		return;
	case PYSEC_REVIEW_FAILED:
		printf("FAILED %s: %s\n", what, a->error ? a->error : "?");
		return;
	case PYSEC_REVIEW_NOT_SENT:
		printf("NOT SENT %s: the forge had failed before\n", what);
		return;
	}
}

static int fill_forge_options(pysec_forge_options *fo, const struct review_args *a, const pysec_config *conn)
{
	if (pysec_forge_options_from_config(fo, conn) < 0) {
		fprintf(stderr, "git pysec: %s\n", pysec_error_last());
		return -1;
	}
	if (a->ca_bundle)
		fo->ca_bundle = a->ca_bundle;
	fo->trace = a->verbose ? stderr : NULL;
	return 0;
}

/* Before anything is posted: the findings, as `scan` prints them. */
static void on_scan(const pysec_review_refs *refs, const pysec_report *report, const pysec_threshold *t,
	const char *notes, void *payload)
{
	const struct printer *pr = payload;
	pysec_write_options wo = PYSEC_WRITE_OPTIONS_INIT;

	printf("pysec review: %s %s%llu of %s, %.10s...%.10s\n", pr->forge,
		pr->kind == PYSEC_FORGE_GITLAB ? "merge request !" : "pull request #", (unsigned long long)pr->number,
		pr->project, refs->base, refs->head);
	wo.threshold = *t;
	pysec_report_write(report, &wo, stdout);
	if (*notes)
		fputs(notes, stderr);
}

int cmd_review(int argc, char **argv)
{
	struct review_args a = { 0 };
	git_repository *repo = NULL;
	pysec_config *conn = NULL;
	pysec_forge *forge = NULL;
	pysec_forge_options fo = PYSEC_FORGE_OPTIONS_INIT;
	pysec_review_request_options rq = { 0 };
	struct cli_progress progress;
	pysec_review_request_result res;
	pysec_review_target target = { NULL, 0 };
	struct printer pr = { NULL, 0, NULL, 0 };
	struct ci ci;
	const char *kind_name, *number, *token_file, *token_env, *cap;
	char *token = NULL;
	unsigned long long n;
	int rc, exit_code = EXIT_CLEAN;

	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc > 0 ? EXIT_CLEAN : EXIT_USAGE;
	if (cli_open_repository(&repo) < 0)
		return EXIT_FAILED;
	if ((rc = connection_config(&conn, repo, a.config)) < 0) {
		exit_code = cli_fail(rc, "configuration");
		goto cleanup;
	}

	/* which forge, where, which request: the CI job's variables only when it runs on that forge */
	ci_detect(&ci);
	kind_name = setting(a.forge, NULL, conn, "pysec.review.forge", ci.forge);
	fo.kind = pysec_forge_kind_parse(kind_name);
	if (!fo.kind) {
		fprintf(stderr, "git pysec: review: which forge? --forge gitlab|gitea|github (or pysec.review.forge)\n");
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if (!ci.forge || strcmp(ci.forge, pysec_forge_kind_name(fo.kind)))
		memset(&ci, 0, sizeof(ci));
	fo.url = setting(a.url, ci.url, conn, "pysec.review.url", NULL);
	target.project = setting(a.project, ci.project, conn, "pysec.review.project", NULL);
	number = setting(a.number, ci.number, conn, "pysec.review.request", NULL);
	if (!fo.url || !target.project || !number) {
		fprintf(stderr, "git pysec: review: %s is missing (flags --url, --project, --%s)%s\n",
			!fo.url ? "the forge URL" : !target.project ? "the project" : "the request number",
			fo.kind == PYSEC_FORGE_GITLAB ? "mr" : "pr", !fo.url || !target.project || !ci.forge ? "" :
			fo.kind == PYSEC_FORGE_GITLAB ? "; is this a merge request pipeline?" :
			"; is this workflow run by a pull_request event?");
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if (parse_count("the request number", number, UINT64_MAX, &n) < 0) {
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if (!n) {
		fprintf(stderr, "git pysec review: the request number is 1 or more, not 0\n");
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	target.number = n;
	if (fill_forge_options(&fo, &a, conn) < 0) {
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if (!fo.login)
		fo.login = ci.login;
	rq.review = (pysec_review_options)PYSEC_REVIEW_OPTIONS_INIT;
	cap = a.max_comments ? a.max_comments : pysec_config_get(conn, "pysec.review.maxComments", NULL);
	if (cap) {
		if (parse_count("the comment cap", cap, 100000, &n) < 0) {
			exit_code = EXIT_USAGE;
			goto cleanup;
		}
		rq.review.max_comments = (size_t)n;
	}

	/* the token: from a file or the environment, never a flag (argv is public) */
	token_file = a.token_file ? a.token_file : pysec_config_get(conn, "pysec.review.tokenFile", NULL);
	token_env = pysec_config_get(conn, "pysec.review.tokenEnv", "PYSEC_TOKEN");
	if (token_file) {
		if (!(token = read_token_file(token_file))) {
			exit_code = EXIT_USAGE;
			goto cleanup;
		}
	} else if (env(token_env)) {
		token = xstrdup(env(token_env));
	}
	fo.token = token;
	if ((rc = pysec_forge_new(&forge, &fo)) < 0) {
		exit_code = cli_fail(rc, "review");
		goto cleanup;
	}
	if (!strncmp(pysec_forge_url(forge), "http://", 7) && !a.dry_run)
		fprintf(stderr, "git pysec: warning: %s is plain http: the token travels unencrypted\n",
			pysec_forge_url(forge));

	/* the scan of base...head under the policy, then the posting: the forge library's */
	pr.forge = pysec_forge_kind_name(fo.kind);
	pr.kind = fo.kind;
	pr.project = target.project;
	pr.number = target.number;
	rq.system_config = cli_system_config();
	rq.extra_config = a.config;
	rq.command_line = 1;
	rq.fail_on = a.fail_on;
	rq.min_confidence = a.min_conf;
	rq.review.dry_run = a.dry_run;
	rq.review.status_name = setting(a.status_name, NULL, conn, "pysec.review.statusName", "pysec");
	rq.review.target_url = setting(a.target_url, ci.target_url, conn, "pysec.review.targetUrl", NULL);
	rq.review.on_action = on_action;
	rq.review.payload = &pr;
	rq.on_scan = on_scan;
	rq.payload = &pr;
	if (cli_progress_wanted(&progress, a.quiet)) {
		rq.progress = cli_progress_update;
		rq.progress_payload = &progress;
	}
	rc = pysec_review_request_run(&res, forge, repo, &target, &rq);
	if (rc < 0 && !res.reviewed) {
		/* the scan did not happen or did not finish: nothing was posted */
		exit_code = cli_fail(rc, res.step);
		goto cleanup;
	}
	printf("pysec review: %zu finding%s (%zu blocking): %zu posted, %zu already there, %zu in the summary, "
		"%zu closed%s%s\n", res.result.findings, res.result.findings == 1 ? "" : "s", res.result.blocking,
		res.result.posted, res.result.kept, res.result.in_summary, res.result.closed,
		res.result.withdrawn ? ", its request for changes withdrawn" : "",
		a.dry_run ? " (dry run: nothing was sent)" : "");
	fflush(stdout);
	if (rc < 0)
		exit_code = cli_fail(rc, "review");
	else
		exit_code = res.result.blocking ? EXIT_FINDINGS : EXIT_CLEAN;
cleanup:
	pysec_forge_free(forge);
	pysec_config_free(conn);
	git_repository_free(repo);
	secret_free(token);
	return exit_code;
}
