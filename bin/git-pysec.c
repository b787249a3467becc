/*
 * git-pysec.c: `git pysec <command>`: the command table of git-pysec.
 *
 * git-pysec links only what scanning needs (libgit2, tree-sitter, jansson,
 * PCRE2), as the pre-receive hook starts it for every push.  `review` and
 * `serve` need libcurl, libmicrohttpd, SQLite and libcrypto: they live in
 * pysec-net (pysec-net.c), which git-pysec executes for them.
 */
#include <stdio.h>
#include <string.h>
#include "pysec_cli.h"
#include "pysec_hook.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "scan", cmd_scan, "scan the lines a change adds (default: uncommitted changes)" },
	{ "rules", cmd_rules, "list the rules" },
	{ "explain", cmd_explain, "explain one rule: what, why, how to fix" },
	{ "pre-receive", cmd_pre_receive, "the server-side hook: reject pushes that add defects" },
	{ "install", cmd_install, "install the pre-receive hook into a repository" },
	{ "review", NULL, CLI_REVIEW_SUMMARY },
	{ "serve", NULL, CLI_SERVE_SUMMARY },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this list" },
};

/* `-h` prints the usage and succeeds; anything else is a usage error (-1: go on). */
static int no_args(int argc, char **argv, const char *usage)
{
	if (argc < 2)
		return -1;
	if (argc == 2 && !strcmp(argv[1], "-h")) {
		puts(usage);
		return EXIT_CLEAN;
	}
	fprintf(stderr, "%s\n", usage);
	return EXIT_USAGE;
}

static int cmd_version(int argc, char **argv)
{
	int major, minor, rev, rc;

	if ((rc = no_args(argc, argv, "usage: git pysec version")) >= 0)
		return rc;
	git_libgit2_version(&major, &minor, &rev);
	printf("git-pysec %s (libgit2 %d.%d.%d)\n", PYSEC_VERSION, major, minor, rev);
	return EXIT_CLEAN;
}

static int cmd_help(int argc, char **argv)
{
	int rc;

	if ((rc = no_args(argc, argv, "usage: git pysec help [<command>]")) >= 0)
		return rc;
	cli_help(commands, sizeof(commands) / sizeof(commands[0]));
	return EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	return cli_main(commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
