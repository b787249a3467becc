/*
 * bandit_files.h: where a project's Bandit configuration is, and in which
 * format: Bandit's -c FILE, and the pyproject.toml and .bandit at the top
 * of a working tree or of a commit's tree.
 */
#ifndef PYSEC_BANDIT_FILES_H
#define PYSEC_BANDIT_FILES_H

#include "bandit.h"

#include <git2.h>

/* The project's files, in the order they are read. */
enum bandit_file {
	BANDIT_PYPROJECT,	/* pyproject.toml's [tool.bandit] */
	BANDIT_INI,		/* .bandit's [bandit] */
	BANDIT_FILES
};

/*
 * Each reads one file into `out` (zeroed by the caller, freed with
 * bandit_config_free() whatever the result); a pyproject.toml that does not
 * mention bandit is some other tool's and reads as empty, unparsed.
 */
/* Bandit's -c FILE (--bandit-config): YAML, or TOML when its name ends in .toml.  It must exist. */
int bandit_files_read_named(struct bandit_config *out, const char *path);
/* The project's file `which` at the top of the directory `dir`; PYSEC_ENOTFOUND when there is none. */
int bandit_files_read_dir(struct bandit_config *out, const char *dir, enum bandit_file which);
/* The same in `commit`'s tree, named "NAME (pushed)" in messages when `pushed`; PYSEC_ENOTFOUND when none. */
int bandit_files_read_commit(struct bandit_config *out, git_repository *repo, const git_oid *commit,
	enum bandit_file which, int pushed);

#endif
