/* main.c: `git pysec <command>`: the command table and the common set-up. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "scan", cmd_scan, "scan the lines a change adds (default: uncommitted changes)" },
	{ "rules", cmd_rules, "list the rules" },
	{ "explain", cmd_explain, "explain one rule: what, why, how to fix" },
	{ "pre-receive", cmd_pre_receive, "the server-side hook: reject pushes that add defects" },
	{ "install", cmd_install, "install the pre-receive hook into a repository" },
	{ "review", cmd_review, "review a merge request (GitLab) or pull request (Gitea): comments and a status" },
	{ "serve", cmd_serve, "the daemon: warm scans for hooks, reviews from webhooks" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this list" },
};

static int cmd_version(int argc, char **argv)
{
	int major, minor, rev;

	git_libgit2_version(&major, &minor, &rev);
	printf("git-pysec %s (libgit2 %d.%d.%d)\n", PYSEC_VERSION, major, minor, rev);
	return EXIT_CLEAN;
}

static int cmd_help(int argc, char **argv)
{
	size_t i;

	printf("usage: git pysec <command> [<args>]\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-12s %s\n", commands[i].name, commands[i].summary);
	printf("\nExit codes: 0 clean, 1 findings at or above the threshold, 2 usage or\n"
	       "configuration error, 3 the scan failed.  `git pysec <command> -h` for options.\n");
	return EXIT_CLEAN;
}

int cli_fail(int error, const char *what)
{
	fprintf(stderr, "git pysec: %s: %s\n", what, pysec_error_last());
	switch (error) {
	case PYSEC_EINVALID:
		return EXIT_USAGE;
	default:
		return EXIT_FAILED;
	}
}

const char *cli_system_config(void)
{
	const char *env = getenv("PYSEC_CONFIG");

	return env && *env ? env : PYSEC_SYSCONFDIR "/pysec.conf";
}

int cli_open_repository(git_repository **out)
{
	if (git_repository_open_ext(out, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0) {
		const git_error *e = git_error_last();
		fprintf(stderr, "git pysec: not in a git repository (%s)\n", e ? e->message : "?");
		return -1;
	}
	return 0;
}

int cli_config_local(pysec_config **out, git_repository *repo, const char *extra_file)
{
	pysec_config *cfg = NULL;
	const char *sys = cli_system_config();
	int rc;

	pysec_config_new(&cfg);
	if (access(sys, F_OK) == 0 && (rc = pysec_config_add_file(cfg, sys, PYSEC_CONFIG_NORMAL)) < 0)
		goto fail;
	if (repo && (rc = pysec_config_add_repository(cfg, repo)) < 0)
		goto fail;
	if (repo && git_repository_workdir(repo)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s.pysec", git_repository_workdir(repo));
		if (access(path, F_OK) == 0 && (rc = pysec_config_add_file(cfg, path, PYSEC_CONFIG_NORMAL)) < 0)
			goto fail;
	} else if (!repo && access(".pysec", F_OK) == 0 &&
		   (rc = pysec_config_add_file(cfg, ".pysec", PYSEC_CONFIG_NORMAL)) < 0) {
		goto fail;
	}
	if (extra_file && (rc = pysec_config_add_file(cfg, extra_file, PYSEC_CONFIG_NORMAL)) < 0)
		goto fail;
	*out = cfg;
	return 0;
fail:
	pysec_config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	const char *name;
	size_t i;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc, argv) == 0 && argc < 2 ? EXIT_USAGE : EXIT_CLEAN;
	name = argv[1];
	if (!strcmp(name, "--version"))
		name = "version";
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name))
			continue;
		cli_libgit2_init();
		rc = commands[i].fn(argc - 1, argv + 1);
		git_libgit2_shutdown();
		return rc;
	}
	fprintf(stderr, "git pysec: '%s' is not a command; see 'git pysec help'\n", name);
	return EXIT_USAGE;
}
