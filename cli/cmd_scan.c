/* cmd_scan.c: `git pysec scan`: the core on a rev range, the index, the working tree or paths. */
#include <errno.h>
#include <getopt.h>
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
	char *input;		/* --pre-push: git's input */
	size_t input_len;
	char **rest;
	int nrest;
};

static int parse_args(struct scan_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "staged", no_argument, NULL, 's' },
		{ "cached", no_argument, NULL, 's' },
		{ "full", no_argument, NULL, 'F' },
		{ "pre-push", required_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "show-suppressed", no_argument, NULL, 'S' },
		{ "fail-on", required_argument, NULL, 'x' },
		{ "min-confidence", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'C' },
		{ "color", required_argument, NULL, 'k' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': a->staged = 1; break;
		case 'F': a->full = 1; break;
		case 'P':
			if (strlen(optarg) > 512)
				goto bad;
			a->pre_push = optarg;
			break;
		case 'f':
			if (pysec_format_parse(&a->format, optarg) < 0) {
				fprintf(stderr, "git pysec: no format '%s' (%s)\n", optarg, pysec_format_names());
				goto bad;
			}
			a->has_format = 1;
			break;
		case 'o':
			if (cli_outputs_parse(&a->outputs, optarg) < 0)
				goto bad;
			break;
		case 'q': a->quiet = 1; break;
		case 'S': a->show_suppressed = 1; break;
		case 'x': a->fail_on = optarg; break;
		case 'c': a->min_conf = optarg; break;
		case 'C': a->config = optarg; break;
		case 'k': a->color = optarg; break;
		case 'j': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || n < 1 || n > 64)
				goto bad;
			a->jobs = (unsigned)n;
			break;
		}
		case 'h': fputs(usage, stdout); return 1;
		default: goto bad;
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
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
	int rc;

	if ((rc = pysec_push_parse_pre_push(&push, a->input, a->input_len)) < 0)
		return rc;
	snprintf(known, sizeof(known), "refs/remotes/%s/", a->pre_push);
	po.known_refs = known;
	po.max_commits = strtoul(pysec_config_get(cfg, "pysec.maxCommits", "5000"), NULL, 10);
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
	struct scan_args a = { 0 };
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
	run.info.start_time = cli_now();
	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc > 0 ? EXIT_CLEAN : EXIT_USAGE;
	if (a.pre_push && cli_read_stdin(&a.input, &a.input_len) < 0) {
		fprintf(stderr, "git pysec: cannot read the pre-push input: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	if (a.full) {
		/* a full scan works outside a repository too; inside one it takes its config */
		if (git_repository_open_ext(&repo, ".", 0, NULL) < 0)
			repo = NULL;
	} else if (cli_open_repository(&repo) < 0) {
		return EXIT_FAILED;
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
	run.info.end_time = cli_now();
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
	free(a.input);
	return exit_code;
}
