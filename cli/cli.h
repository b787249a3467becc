/*
 * cli.h: what the `git pysec` front ends share: the command table, the exit
 * codes and the one place that maps core errors to them, and loading the
 * policy and rules (common.c).  No scanning logic lives here or in any
 * cmd_*.c.  There are two executables: git-pysec (main.c) with every
 * command that needs no network library, and pysec-net (net_main.c) with
 * `review` and `serve`, which git-pysec executes for them.
 */
#ifndef PYSEC_CLI_H
#define PYSEC_CLI_H

#include "pysec.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

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

int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_pre_receive(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/*
 * Reports to write (output.c): `--format FORMAT` (to standard output) and
 * `--output FORMAT:PATH` (PATH '-' is standard output).
 */
#define CLI_MAX_OUTPUTS 16
struct cli_outputs {
	struct cli_output {
		pysec_format format;
		const char *path;	/* "-": standard output */
	} v[CLI_MAX_OUTPUTS];
	size_t len;
};

/* Add a report in `format` to `path` (which must outlive `outs`); -1 after saying why not. */
int cli_outputs_add(struct cli_outputs *outs, pysec_format format, const char *path);
/* Add "FORMAT:PATH" (an argument: PATH points into it); -1 after saying what is wrong with it. */
int cli_outputs_parse(struct cli_outputs *outs, const char *spec);
/*
 * Write the report in each output's format; a file is written beside its
 * path and renamed into place.  `color` colours text on standard output.
 * 0, or -1 after saying which could not be written (the others are).
 */
int cli_outputs_write(const struct cli_outputs *outs, const pysec_report *r, const pysec_write_options *wo,
	int color);

/* What the reports say about a run, with the strings it points to. */
struct cli_run {
	pysec_run_info info;
	char root[4096];
	char revision[GIT_OID_HEXSZ + 1];
	char *uri, *branch;
};

/*
 * Describe a scan of `repo` (NULL: files outside a repository): the
 * directory its paths start from (the working tree, or the current
 * directory), the repository's URI, and the commit scanned: the tip of
 * `revspec` ("A..B": B), else HEAD and its branch.
 */
void cli_run_describe(struct cli_run *run, git_repository *repo, const char *revspec);
void cli_run_release(struct cli_run *run);

/* git_libgit2_init() and the options every command wants (libgit2_setup.c says why). */
void cli_libgit2_init(void);

/* Print "git pysec: <what>: <pysec_error_last()>" and return the exit code for `error`. */
int cli_fail(int error, const char *what);

/* The system-wide policy file: $PYSEC_CONFIG if set, else SYSCONFDIR/pysec.conf. */
const char *cli_system_config(void);

/*
 * The configuration a local command uses, in increasing precedence: the
 * system policy, the repository's git config (pysec.*), the `.pysec` file at
 * the top of the working tree, `--config FILE`, then single settings.
 */
int cli_config_local(pysec_config **out, git_repository *repo, const char *extra_file);

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

/*
 * Read all of stdin (a hook's input) into a new buffer, at most
 * CLI_STDIN_MAX bytes (past it: -1 with errno EFBIG).  -1 and errno on failure.
 */
#define CLI_STDIN_MAX (16 * 1024 * 1024)
int cli_read_stdin(char **out, size_t *len);

/* Seconds since the epoch, with a fraction. */
double cli_now(void);

/* Open the repository the current directory is in (honouring GIT_DIR). */
int cli_open_repository(git_repository **out);

#endif
