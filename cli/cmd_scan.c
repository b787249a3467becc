/* cmd_scan.c: `git pysec scan`: the core on a rev range, the index, the working tree or paths. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

static const char usage[] =
	"usage: git pysec scan [options] [--] [<path>...] uncommitted changes (working tree and index)\n"
	"   or: git pysec scan [options] --staged [--] [<path>...]  what the index adds (pre-commit)\n"
	"   or: git pysec scan [options] <rev> [--] [<path>...]     a commit against its first parent\n"
	"   or: git pysec scan [options] <a>..<b> [--] [<path>...]  what b adds over a (<a>...<b>: over their merge base)\n"
	"   or: git pysec scan [options] --full [--no-ignore] [<path>...]  every line of every Python file\n"
	"                           (not what .gitignore ignores, unless --no-ignore)\n"
	"   or: git pysec scan [options] --pre-push <remote>  what a push sends (git's pre-push input on stdin)\n"
	"\n"
	"  --format FORMAT          the report on standard output: text (default), json, sarif,\n"
	"                           gitlab-codequality, gitlab-sast, junit, rdjson, github\n"
	"  --output FORMAT:PATH     also write a report to PATH ('-': standard output); repeatable\n"
	"  --quiet                  no report on standard output (--output still writes)\n"
	"  --show-suppressed        also report what '# nosec' suppresses (SARIF, JSON); never fails\n"
	"  --fail-on LEVEL          lowest severity that fails: low, medium, high (default medium)\n"
	"  --min-confidence LEVEL   ignore findings below this confidence (default medium)\n"
	"  --config FILE            a pysec config file (git-config syntax) over the others\n"
	"  --bandit-config FILE     the project's Bandit configuration (Bandit's -c: YAML, or TOML)\n"
	"  --baseline FILE          report only findings not in FILE (pysec's or Bandit's JSON report)\n"
	"  --write-baseline FILE    record every finding in FILE, for --baseline\n"
	"  --color auto|always|never\n"
	"  --jobs N                 scan with at most N threads (default: one per CPU)\n";

struct scan_args {
	int staged, full, no_ignore, quiet, show_suppressed, has_format;
	pysec_format format;
	struct cli_outputs outputs;
	const char *fail_on, *min_conf, *config, *bandit_config, *color, *pre_push, *baseline, *write_baseline;
	unsigned jobs;
	struct buf input;	/* --pre-push: git's input */
	char **rest;
	int nrest, dashdash;	/* the operands; how many came before "--" (-1: none) */
	const char *rev;	/* a diff scan's revision or range, or NULL */
	char **paths;		/* the paths, from the top of the working tree (or absolute, --full outside it) */
	size_t npaths;
};

enum {
	OPT_STAGED = 1, OPT_FULL, OPT_NO_IGNORE, OPT_PRE_PUSH, OPT_FORMAT, OPT_OUTPUT, OPT_QUIET, OPT_SHOW_SUPPRESSED, OPT_FAIL_ON,
	OPT_MIN_CONF, OPT_CONFIG, OPT_BANDIT_CONFIG, OPT_COLOR, OPT_JOBS, OPT_BASELINE, OPT_WRITE_BASELINE, OPT_HELP,
};

static const struct cli_option options[] = {
	{ "staged", 0, 0, OPT_STAGED },
	{ "cached", 0, 0, OPT_STAGED },
	{ "full", 0, 0, OPT_FULL },
	{ "no-ignore", 0, 0, OPT_NO_IGNORE },
	{ "pre-push", 0, 1, OPT_PRE_PUSH },
	{ "format", 0, 1, OPT_FORMAT },
	{ "output", 0, 1, OPT_OUTPUT },
	{ "quiet", 0, 0, OPT_QUIET },
	{ "show-suppressed", 0, 0, OPT_SHOW_SUPPRESSED },
	{ "fail-on", 0, 1, OPT_FAIL_ON },
	{ "min-confidence", 0, 1, OPT_MIN_CONF },
	{ "config", 0, 1, OPT_CONFIG },
	{ "bandit-config", 0, 1, OPT_BANDIT_CONFIG },
	{ "color", 0, 1, OPT_COLOR },
	{ "jobs", 0, 1, OPT_JOBS },
	{ "baseline", 0, 1, OPT_BASELINE },
	{ "write-baseline", 0, 1, OPT_WRITE_BASELINE },
	{ "help", 'h', 0, OPT_HELP },
};

/* 0, 1 after --help, -1 on bad usage (said).  The operands stay in `o` until cli_options_clear(). */
static int parse_args(struct scan_args *a, struct cli_options *o, int argc, char **argv)
{
	unsigned long long n;
	int id;

	cli_options_init(o, "scan", options, ARRAY_SIZE(options), argc, argv);
	while ((id = cli_options_next(o)) > 0) {
		switch (id) {
		case OPT_STAGED: a->staged = 1; break;
		case OPT_FULL: a->full = 1; break;
		case OPT_NO_IGNORE: a->no_ignore = 1; break;
		case OPT_PRE_PUSH:
			if (strlen(o->value) > 512)
				goto bad;
			a->pre_push = o->value;
			break;
		case OPT_FORMAT:
			if (pysec_format_parse(&a->format, o->value) < 0) {
				fprintf(stderr, "git pysec scan: --format: '%s' is not a format (%s)\n", o->value,
					pysec_format_names());
				goto bad;
			}
			a->has_format = 1;
			break;
		case OPT_OUTPUT:
			if (cli_outputs_parse(&a->outputs, o->value) < 0)
				goto bad;
			break;
		case OPT_QUIET: a->quiet = 1; break;
		case OPT_SHOW_SUPPRESSED: a->show_suppressed = 1; break;
		case OPT_FAIL_ON: a->fail_on = o->value; break;
		case OPT_MIN_CONF: a->min_conf = o->value; break;
		case OPT_CONFIG: a->config = o->value; break;
		case OPT_BANDIT_CONFIG: a->bandit_config = o->value; break;
		case OPT_COLOR: a->color = o->value; break;
		case OPT_BASELINE: a->baseline = o->value; break;
		case OPT_WRITE_BASELINE: a->write_baseline = o->value; break;
		case OPT_JOBS:
			if (parse_uint(&n, o->value, 64) < 0 || n < 1)
				goto bad;
			a->jobs = (unsigned)n;
			break;
		case OPT_HELP: fputs(usage, stdout); return 1;
		}
	}
	if (id < 0)
		goto bad;
	a->rest = o->operands;
	a->nrest = o->noperands;
	a->dashdash = o->dashdash;
	if (a->fail_on && !pysec_level_parse(a->fail_on)) {
		fprintf(stderr, "git pysec scan: --fail-on: '%s' is not a level (low, medium or high)\n", a->fail_on);
		goto bad;
	}
	if (a->min_conf && !pysec_level_parse(a->min_conf)) {
		fprintf(stderr, "git pysec scan: --min-confidence: '%s' is not a level (low, medium or high)\n",
			a->min_conf);
		goto bad;
	}
	if (a->staged + a->full + !!a->pre_push > 1 || (a->pre_push && a->nrest) || (a->no_ignore && !a->full))
		goto bad;
	/* the report on standard output: --format's, or text when nothing else is asked for */
	if (!a->quiet && (a->has_format || !a->outputs.len) &&
	    cli_outputs_add(&a->outputs, a->has_format ? a->format : PYSEC_FORMAT_TEXT, "-") < 0)
		goto bad;
	return 0;
bad:
	fputs(usage, stderr);
	return -1;
}

/* The flags that are settings, as "key", "value" pairs ending in NULL, in `out` (room for 7). */
static const char *const *flag_settings(const char **out, const struct scan_args *a)
{
	size_t n = 0;

	if (a->fail_on)
		out[n++] = "pysec.failOn", out[n++] = a->fail_on;
	if (a->min_conf)
		out[n++] = "pysec.minConfidence", out[n++] = a->min_conf;
	if (a->show_suppressed)
		out[n++] = "pysec.showSuppressed", out[n++] = "true";
	out[n] = NULL;
	return out;
}

/*
 * A push from this clone (git's pre-push hook, its input in `a->input`):
 * what the remote has is what its remote-tracking refs and the updates'
 * old ids reach; the rest is new.
 */
static int changeset_pre_push(pysec_changeset **out, const struct scan_args *a, git_repository *repo,
	pysec_report *report, const pysec_config *cfg, const pysec_engine *engine)
{
	pysec_push_options po = PYSEC_PUSH_OPTIONS_INIT;
	pysec_push *push = NULL;
	char known[1024];
	int rc;

	if ((rc = pysec_push_parse_pre_push(&push, buf_cstr(&a->input), a->input.len)) < 0)
		return rc;
	snprintf(known, sizeof(known), "refs/remotes/%s/", a->pre_push);
	po.known_refs = known;
	po.max_commits = (size_t)pysec_config_number(cfg, "pysec.maxCommits", SIZE_MAX, PYSEC_PUSH_MAX_COMMITS);
	po.history = pysec_engine_has_history_rules(engine);
	rc = pysec_changeset_from_push(out, report, repo, push, &po);
	pysec_push_free(push);
	return rc;
}

static int is_revision(git_repository *repo, const char *spec)
{
	git_revspec rs;

	if (git_revparse(&rs, repo, spec) < 0)
		return 0;
	git_object_free(rs.from);
	git_object_free(rs.to);
	return 1;
}

static int add_path(struct scan_args *a, git_repository *repo, const char *operand)
{
	/* a bare repository has no current directory within it: its pathspecs are from the top */
	char *p = !a->full && !git_repository_workdir(repo) ? xstrdup(operand) : cli_path_from_top(repo, operand);

	if (!p) {
		fprintf(stderr, "git pysec: '%s': %s\n", operand, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	a->paths = xrealloc(a->paths, (a->npaths + 1) * sizeof(*a->paths));
	a->paths[a->npaths++] = p;
	if (p[0] == '/' && !a->full) {
		fprintf(stderr, "git pysec: '%s' is outside the repository (%s)\n", operand,
			git_repository_workdir(repo) ? git_repository_workdir(repo) : "bare");
		return -1;
	}
	return 0;
}

/*
 * The operands as git reads those of `git diff [<rev>] [--] [<path>...]`:
 * after "--", paths; before it, a revision or range first (not with
 * --staged), then paths; without "--", an operand that is no revision but
 * is on disk starts the paths.  Paths are named from the top of the
 * working tree (git's names), whatever the current directory, --full's
 * too.  -1 once it said what is wrong.
 */
static int split_operands(struct scan_args *a, git_repository *repo)
{
	int before = a->dashdash < 0 ? a->nrest : a->dashdash, i = 0;
	struct stat st;

	if (!a->full && !a->staged && !a->pre_push && before > 0 &&
	    (a->dashdash >= 0 || is_revision(repo, a->rest[0]) || lstat(a->rest[0], &st) < 0))
		a->rev = a->rest[i++];
	if (a->dashdash >= 0 && i < before && !a->full) {
		fprintf(stderr, "git pysec scan: '%s': one revision or range before '--', the paths after it\n",
			a->rest[i]);
		return -1;
	}
	if (a->full && (!repo || !git_repository_workdir(repo))) {
		a->paths = (char **)a->rest;	/* outside a working tree: as they are given */
		a->npaths = (size_t)a->nrest;
		return 0;
	}
	for (; i < a->nrest; i++)
		if (add_path(a, repo, a->rest[i]) < 0)
			return -1;
	/* --full in a working tree: what the current directory is */
	if (a->full && !a->nrest && add_path(a, repo, ".") < 0)
		return -1;
	return 0;
}

static void free_paths(struct scan_args *a)
{
	size_t i;

	if (a->paths == (char **)a->rest)
		return;
	for (i = 0; i < a->npaths; i++)
		free(a->paths[i]);
	free(a->paths);
}

static int build_changeset(pysec_changeset **out, const struct scan_args *a, git_repository *repo,
	pysec_report *report, const pysec_config *cfg, const pysec_engine *engine)
{
	static const char *const here[] = { "." };
	int rc;

	git_repository *ignores = a->no_ignore ? NULL : repo;

	if (a->full && a->npaths)
		return pysec_changeset_from_paths_in(out, ignores, repo ? git_repository_workdir(repo) : NULL,
			(const char *const *)a->paths, a->npaths);
	if (a->full)
		return pysec_changeset_from_paths(out, ignores, here, 1);
	if (a->pre_push)
		rc = changeset_pre_push(out, a, repo, report, cfg, engine);
	else if (a->staged)
		rc = pysec_changeset_from_index(out, repo);
	else if (a->rev)
		rc = pysec_changeset_from_revspec(out, repo, a->rev);
	else
		rc = pysec_changeset_from_workdir(out, repo);
	if (rc == 0 && a->npaths && (rc = pysec_changeset_limit(*out, (const char *const *)a->paths, a->npaths)) < 0)
		pysec_changeset_free(*out);
	return rc;
}

/*
 * --write-baseline: every finding the scan found, whatever the threshold,
 * as pysec's JSON report; then drop the findings `baseline` has (NULL:
 * none).  -1 once it said why not.
 */
static int apply_baselines(const struct scan_args *a, pysec_report *report, pysec_baseline *baseline)
{
	pysec_write_options all = PYSEC_WRITE_OPTIONS_INIT;
	struct cli_outputs out = { .len = 0 };
	size_t n;

	all.format = PYSEC_FORMAT_JSON;
	if (a->write_baseline && (cli_outputs_add(&out, PYSEC_FORMAT_JSON, a->write_baseline) < 0 ||
				  cli_outputs_write(&out, report, &all, 0) < 0))
		return -1;
	if (baseline && (n = pysec_baseline_filter(baseline, report)) > 0 && !a->quiet)
		fprintf(stderr, "git pysec: %zu finding%s of the baseline '%s' not shown\n", n, n == 1 ? "" : "s",
			a->baseline);
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = { .input = BUF_INIT(CLI_STDIN_MAX) };
	struct cli_options o;
	git_repository *repo = NULL;
	pysec_config *cfg = NULL;
	pysec_engine *engine = NULL;
	pysec_changeset *cs = NULL;
	pysec_report *report = NULL;
	pysec_baseline *baseline = NULL;
	struct cli_progress progress;
	pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
	pysec_write_options wo = PYSEC_WRITE_OPTIONS_INIT;
	struct cli_run run;
	const char *flags[7];
	int rc, exit_code = EXIT_CLEAN, color;

	memset(&run, 0, sizeof(run));
	run.info.start_time = clock_wall_ms() / 1000.0;
	if ((rc = parse_args(&a, &o, argc, argv)) != 0) {
		cli_options_clear(&o);
		return rc > 0 ? EXIT_CLEAN : EXIT_USAGE;
	}
	if (a.pre_push && fd_read_all(&a.input, STDIN_FILENO) < 0) {
		fprintf(stderr, "git pysec: cannot read the pre-push input: %s\n", strerror(errno));
		exit_code = EXIT_FAILED;
		goto cleanup;
	}
	if (a.full) {
		/* a full scan works outside a repository too; inside one it takes its config */
		if (cli_open_repository_if_any(&repo) < 0)
			return EXIT_FAILED;
	} else if (cli_open_repository(&repo) < 0) {
		exit_code = EXIT_FAILED;
		goto cleanup;
	}
	if (split_operands(&a, repo) < 0) {
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = cli_config_local(&cfg, repo, a.config, a.bandit_config, flag_settings(flags, &a))) < 0) {
		exit_code = cli_fail(rc, "configuration");
		goto cleanup;
	}
	wo.threshold.fail_on = pysec_level_parse(pysec_config_get(cfg, "pysec.failOn", PYSEC_DEFAULT_FAIL_ON));
	wo.threshold.min_confidence = pysec_level_parse(pysec_config_get(cfg, "pysec.minConfidence",
		PYSEC_DEFAULT_MIN_CONFIDENCE));
	if (!wo.threshold.fail_on || !wo.threshold.min_confidence) {
		fprintf(stderr, "git pysec: pysec.failOn and pysec.minConfidence are low, medium or high\n");
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if (a.baseline && (rc = pysec_baseline_load(&baseline, a.baseline)) < 0) {
		exit_code = cli_fail(rc, "--baseline");
		goto cleanup;
	}
	if ((rc = pysec_engine_new(&engine, cfg)) < 0) {
		exit_code = cli_fail(rc, "rules");
		goto cleanup;
	}
	pysec_report_new(&report);
	if ((rc = build_changeset(&cs, &a, repo, report, cfg, engine)) < 0) {
		exit_code = cli_fail(rc, a.pre_push ? "push" : NULL);	/* the message names the revision or path */
		goto cleanup;
	}
	so.repo = repo;
	so.threads = a.jobs;
	if (cli_progress_wanted(&progress, a.quiet)) {
		so.progress = cli_progress_update;
		so.progress_payload = &progress;
	}
	rc = pysec_scan(report, engine, cs, &so);
	pysec_report_sort(report);
	if (rc == 0 && (rc = apply_baselines(&a, report, baseline)) < 0) {
		exit_code = EXIT_FAILED;
		goto cleanup;
	}
	/* the exit code is known before the reports are written: they carry it (SARIF, GitLab SAST) */
	exit_code = rc < 0 ? (rc == PYSEC_EINVALID ? EXIT_USAGE : EXIT_FAILED)
		: pysec_report_blocking(report, &wo.threshold) ? EXIT_FINDINGS : EXIT_CLEAN;
	cli_run_describe(&run, repo, a.rev);
	if (a.full && (!repo || !git_repository_workdir(repo)) && getcwd(run.root, sizeof(run.root)))
		run.info.root = run.root;	/* outside a working tree, --full's paths start here */
	run.info.engine = engine;
	run.info.exit_code = exit_code;
	run.info.end_time = clock_wall_ms() / 1000.0;
	wo.run = &run.info;
	color = a.color ? !strcmp(a.color, "always") : isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (cli_outputs_write(&a.outputs, report, &wo, color) < 0)
		exit_code = EXIT_FAILED;
	else if (rc < 0)
		exit_code = cli_fail(rc, "scan");
	if (*pysec_config_notes(cfg))
		fputs(pysec_config_notes(cfg), stderr);
cleanup:
	pysec_report_free(report);
	pysec_baseline_free(baseline);
	pysec_changeset_free(cs);
	pysec_engine_free(engine);
	pysec_config_free(cfg);
	git_repository_free(repo);
	cli_run_release(&run);
	buf_free(&a.input);
	free_paths(&a);
	cli_options_clear(&o);
	return exit_code;
}
