/*
 * cli.h: what the files of cli/ share beyond their face (pysec_cli.h):
 * the one place that maps core errors to exit codes, loading the policy,
 * the reports to write and what they say about a run.  No scanning logic
 * lives here or in any cmd_*.c.
 */
#ifndef PYSEC_CLI_PRIVATE_H
#define PYSEC_CLI_PRIVATE_H

#include "pysec.h"
#include "pysec_cli.h"
#include "util.h"

/*
 * The progress of a scan on a terminal (output.c), as git draws its own:
 * once the scan has taken PYSEC_PROGRESS_DELAY seconds (default 1, as
 * GIT_PROGRESS_DELAY is git's), a line on standard error redrawn at most
 * ten times a second, and a closing line with the files, bytes and
 * seconds; never in a pipe, nor when quiet.
 */
struct cli_progress {
	double delay, drawn;
	int shown;
};
/* 1 when the line is wanted: then give cli_progress_update and `p` to the scan. */
int cli_progress_wanted(struct cli_progress *p, int quiet);
void cli_progress_update(const pysec_scan_progress *sp, void *payload);

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

/* Print "git pysec: <what>: <pysec_error_last()>" (`what` NULL: without it) and return the exit code for `error`. */
int cli_fail(int error, const char *what);

/*
 * The configuration a local command uses (pysec_config_load()), in
 * increasing precedence: the defaults (PYSEC_DEFAULT_FAIL_ON and
 * PYSEC_DEFAULT_MIN_CONFIDENCE), the system policy, the repository's git config
 * (pysec.*), the `.pysec` file at the top of the working tree (outside a
 * repository, of the current directory), `--config FILE`, git's -c, then
 * `flags` ("key", "value", ..., NULL; may be NULL); under them all, the
 * project's Bandit configuration (`bandit_file`, --bandit-config, or the
 * pyproject.toml and .bandit beside that `.pysec`).  *out is set only on
 * success.
 */
int cli_config_local(pysec_config **out, git_repository *repo, const char *extra_file, const char *bandit_file,
	const char *const *flags);

/*
 * An operand naming a path as the user sees it (relative to the current
 * directory) as git names it: relative to the top of `repo`'s working tree
 * ("." for the top itself), or absolute when outside it (or `repo` is NULL
 * or bare).  Lexical: "." and ".." are resolved, symbolic links are not.
 * A new string, or NULL when out of memory or the current directory is gone.
 */
char *cli_path_from_top(git_repository *repo, const char *operand);

/* Open the repository the current directory is in (honouring GIT_DIR); -1 once it said why not. */
int cli_open_repository(git_repository **out);
/*
 * The repository the current directory is in, or NULL outside one (for the
 * commands that work anywhere); -1 once it said why one that is there
 * cannot be opened (another user's).
 */
int cli_open_repository_if_any(git_repository **out);

#endif
