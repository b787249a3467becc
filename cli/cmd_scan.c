/* cmd_scan.c: `git pysec scan`: the core on a rev range, the index, the working tree or paths. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static const char usage[] =
	"usage: git pysec scan [options]                 uncommitted changes (working tree and index)\n"
	"   or: git pysec scan [options] --staged        what the index adds (pre-commit)\n"
	"   or: git pysec scan [options] <rev>           a commit against its first parent\n"
	"   or: git pysec scan [options] <a>..<b>        what b adds over a (<a>...<b>: over their merge base)\n"
	"   or: git pysec scan [options] --full [<path>...]  every line of every Python file\n"
	"   or: git pysec scan [options] --pre-push <remote>  what a push sends (git's pre-push input on stdin)\n"
	"\n"
	"  --format FORMAT          the report on standard output: text (default), json, sarif,\n"
	"                           gitlab-codequality, gitlab-sast, junit, rdjson, github\n"
	"  --output FORMAT:PATH     also write a report to PATH ('-': standard output); repeatable\n"
	"  --quiet                  no report on standard output (--output still writes)\n"
	"  --show-suppressed        also report what '# nosec' suppresses (SARIF, JSON); never fails\n"
	"  --fail-on LEVEL          lowest severity that fails: low, medium, high (default low)\n"
	"  --min-confidence LEVEL   ignore findings below this confidence (default low)\n"
	"  --config FILE            a pysec config file (git-config syntax) over the others\n"
	"  --color auto|always|never\n"
	"  --jobs N                 scan files read from disk with N threads (default: one per CPU)\n";

struct scan_args {
	int staged, full, quiet, show_suppressed, has_format;
	pysec_format format;
	struct cli_outputs outputs;
	const char *fail_on, *min_conf, *config, *color, *pre_push;
	unsigned jobs;
	struct buf input;	/* --pre-push: git's input */
	char **rest;
	int nrest;
};

enum {
	OPT_STAGED = 1, OPT_FULL, OPT_PRE_PUSH, OPT_FORMAT, OPT_OUTPUT, OPT_QUIET, OPT_SHOW_SUPPRESSED, OPT_FAIL_ON,
	OPT_MIN_CONF, OPT_CONFIG, OPT_COLOR, OPT_JOBS, OPT_HELP,
};

static const struct cli_option options[] = {
	{ "staged", 0, 0, OPT_STAGED },
	{ "cached", 0, 0, OPT_STAGED },
	{ "full", 0, 0, OPT_FULL },
	{ "pre-push", 0, 1, OPT_PRE_PUSH },
	{ "format", 0, 1, OPT_FORMAT },
	{ "output", 0, 1, OPT_OUTPUT },
	{ "quiet", 0, 0, OPT_QUIET },
	{ "show-suppressed", 0, 0, OPT_SHOW_SUPPRESSED },
	{ "fail-on", 0, 1, OPT_FAIL_ON },
	{ "min-confidence", 0, 1, OPT_MIN_CONF },
	{ "config", 0, 1, OPT_CONFIG },
	{ "color", 0, 1, OPT_COLOR },
	{ "jobs", 0, 1, OPT_JOBS },
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
		case OPT_PRE_PUSH:
			if (strlen(o->value) > 512)
				goto bad;
			a->pre_push = o->value;
			break;
		case OPT_FORMAT:
			if (pysec_format_parse(&a->format, o->value) < 0) {
				fprintf(stderr, "git pysec scan: --format: not a format (%s)\n", pysec_format_names());
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
		case OPT_COLOR: a->color = o->value; break;
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
	if ((a->fail_on && !pysec_level_parse(a->fail_on)) || (a->min_conf && !pysec_level_parse(a->min_conf)))
		goto bad;
	if (a->staged + a->full + !!a->pre_push > 1 || ((a->staged || a->pre_push) && a->nrest) ||
	    (!a->full && a->nrest > 1))
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
	const char *max = pysec_config_get(cfg, "pysec.maxCommits", NULL);
	int rc;

	if ((rc = pysec_push_parse_pre_push(&push, buf_cstr(&a->input), a->input.len)) < 0)
		return rc;
	snprintf(known, sizeof(known), "refs/remotes/%s/", a->pre_push);
	po.known_refs = known;
	po.max_commits = max ? strtoul(max, NULL, 10) : PYSEC_PUSH_MAX_COMMITS;
	po.history = pysec_engine_has_history_rules(engine);
	rc = pysec_changeset_from_push(out, report, repo, push, &po);
	pysec_push_free(push);
	return rc;
}

static int build_changeset(pysec_changeset **out, const struct scan_args *a, git_repository *repo,
	pysec_report *report, const pysec_config *cfg, const pysec_engine *engine)
{
	if (a->full) {
		static const char *const here[] = { "." };
		return a->nrest ? pysec_changeset_from_paths(out, (const char *const *)a->rest, (size_t)a->nrest)
				: pysec_changeset_from_paths(out, here, 1);
	}
	if (a->pre_push)
		return changeset_pre_push(out, a, repo, report, cfg, engine);
	if (a->staged)
		return pysec_changeset_from_index(out, repo);
	if (a->nrest)
		return pysec_changeset_from_revspec(out, repo, a->rest[0]);
	return pysec_changeset_from_workdir(out, repo);
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
	pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
	pysec_write_options wo = PYSEC_WRITE_OPTIONS_INIT;
	struct cli_run run;
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
	if ((rc = cli_config_local(&cfg, repo, a.config)) < 0) {
		exit_code = cli_fail(rc, "configuration");
		goto cleanup;
	}
	if (a.fail_on)
		pysec_config_set(cfg, "pysec.failOn", a.fail_on);
	if (a.min_conf)
		pysec_config_set(cfg, "pysec.minConfidence", a.min_conf);
	if (a.show_suppressed)
		pysec_config_set(cfg, "pysec.showSuppressed", "true");
	wo.threshold.fail_on = pysec_level_parse(pysec_config_get(cfg, "pysec.failOn", "low"));
	wo.threshold.min_confidence = pysec_level_parse(pysec_config_get(cfg, "pysec.minConfidence", "low"));
	if (!wo.threshold.fail_on || !wo.threshold.min_confidence) {
		fprintf(stderr, "git pysec: pysec.failOn and pysec.minConfidence are low, medium or high\n");
		exit_code = EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = pysec_engine_new(&engine, cfg)) < 0) {
		exit_code = cli_fail(rc, "rules");
		goto cleanup;
	}
	pysec_report_new(&report);
	if ((rc = build_changeset(&cs, &a, repo, report, cfg, engine)) < 0) {
		exit_code = cli_fail(rc, a.nrest && !a.full ? a.rest[0] : a.pre_push ? "push" : "changes");
		goto cleanup;
	}
	so.repo = repo;
	so.threads = a.jobs;
	rc = pysec_scan(report, engine, cs, &so);
	pysec_report_sort(report);
	/* the exit code is known before the reports are written: they carry it (SARIF, GitLab SAST) */
	exit_code = rc < 0 ? (rc == PYSEC_EINVALID ? EXIT_USAGE : EXIT_FAILED)
		: pysec_report_blocking(report, &wo.threshold) ? EXIT_FINDINGS : EXIT_CLEAN;
	cli_run_describe(&run, repo, a.full || a.pre_push || a.staged ? NULL : a.nrest ? a.rest[0] : NULL);
	if (a.full && getcwd(run.root, sizeof(run.root)))	/* --full's paths start here */
		run.info.root = run.root;
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
	pysec_changeset_free(cs);
	pysec_engine_free(engine);
	pysec_config_free(cfg);
	git_repository_free(repo);
	cli_run_release(&run);
	buf_free(&a.input);
	cli_options_clear(&o);
	return exit_code;
}
