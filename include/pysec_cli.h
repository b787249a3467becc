/*
 * pysec_cli.h: the front ends' common ground (cli/): the exit codes, the
 * command table and main loop, option parsing, and where the system policy
 * is, for the commands of cli/ and hook/ and the two executables of bin/:
 * git-pysec, with every command that needs no network library, and
 * pysec-net, with `review` and `serve`, which git-pysec executes for them.
 */
#ifndef PYSEC_CLI_H
#define PYSEC_CLI_H

#include <stddef.h>
#include "pysec.h"

/* Exit codes, for every command. */
enum {
	EXIT_CLEAN = 0,		/* nothing at or above the threshold */
	EXIT_FINDINGS = 1,	/* findings at or above the threshold (or a rejected push) */
	EXIT_USAGE = 2,		/* bad usage, configuration or rule file */
	EXIT_FAILED = 3,	/* the scan itself failed: repository, revision, budget */
};

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* NULL: the command is pysec-net's */
	const char *summary;
};

/* The commands of pysec-net, in both executables' tables and `git pysec help`. */
#define CLI_REVIEW_SUMMARY "review a merge request (GitLab) or pull request (Gitea, GitHub): comments and a status"
#define CLI_SERVE_SUMMARY "the daemon: warm scans for hooks, reviews from webhooks"

/*
 * The whole of main(): run the command of `cmds` that argv[1] names, between
 * libgit2's set-up and shutdown, and return its exit code; with no command,
 * print the list.  A command without a function is executed in pysec-net,
 * found next to the running executable, with the same argv (its messages
 * and exit codes are then pysec-net's); when that cannot be done, one line
 * says why and the result is EXIT_FAILED.
 */
int cli_main(const struct cli_cmd *cmds, size_t ncmds, int argc, char **argv);

/* Print the usage line, the commands of `cmds` and the exit codes. */
void cli_help(const struct cli_cmd *cmds, size_t ncmds);

/* The commands of cli/ (the hook's are in pysec_hook.h). */
int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/*
 * Options, for every command of both executables.  Long options are
 * matched in full only: getopt_long would take "--tok" for "--token-file",
 * and a token typed after a misspelt flag would then be read as a path and
 * printed in the error.  "--name=value" and "--name value" both work, short
 * options may be bundled ("-hv"), "--" ends the options, and operands may
 * come before, between and after options (they are kept, in order).  No
 * message ever holds an option's value: only its name.
 */
struct cli_option {
	const char *name;	/* the long name, without "--"; or NULL */
	int short_name;		/* 'v' for -v; or 0 */
	int takes_value;
	int id;			/* what cli_options_next() returns for it (> 0) */
};

struct cli_options {
	const char *cmd;	/* "scan", for messages: "git pysec scan: ..." */
	const struct cli_option *opts;
	size_t nopts;
	int argc;
	char **argv;		/* argv[0] is the command's name */
	int next;		/* the next argv index to look at */
	const char *bundle;	/* the rest of a bundle of short options ("-hv") */
	const char *value;	/* the current option's value */
	char **operands;	/* what is not an option, in order */
	int noperands;
	int dashdash;		/* how many operands came before "--"; -1: there was none */
};

void cli_options_init(struct cli_options *o, const char *cmd, const struct cli_option *opts, size_t nopts,
	int argc, char **argv);
/*
 * The id of the next option (its value in o->value), 0 when there are no
 * more (the operands are then in o->operands), or -1 after one line on
 * stderr saying what is wrong.
 */
int cli_options_next(struct cli_options *o);
void cli_options_clear(struct cli_options *o);

/* The most of a hook's input on stdin that is read (the ref updates, git's pre-push lines). */
#define CLI_STDIN_MAX (16 * 1024 * 1024)

/* The system-wide policy file: $PYSEC_CONFIG if set, else SYSCONFDIR/pysec.conf. */
const char *cli_system_config(void);

#endif
