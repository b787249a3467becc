/*
 * cli.h: what the `git pysec` front ends share: the command table, the exit
 * codes and the one place that maps core errors to them, and loading the
 * policy and rules.  No scanning logic lives here or in any cmd_*.c.
 */
#ifndef PYSEC_CLI_H
#define PYSEC_CLI_H

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
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_pre_receive(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_serve(int argc, char **argv);

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

/* Open the repository the current directory is in (honouring GIT_DIR). */
int cli_open_repository(git_repository **out);

#endif
