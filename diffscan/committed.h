/*
 * committed.h: a configuration file as a commit's tree holds it (a pushed
 * .pysec, pyproject.toml or .bandit): a regular file only, bounded in size.
 */
#ifndef PYSEC_COMMITTED_H
#define PYSEC_COMMITTED_H

#include <git2.h>
#include <stddef.h>

/*
 * The blob at `path` in `commit`'s tree, in *out for the caller to free.
 * PYSEC_ENOTFOUND when there is none; PYSEC_EINVALID, naming it, when it is
 * a link (it could point anywhere on the server), a directory or over `max`
 * bytes; PYSEC_EREPO when the tree cannot be read.
 */
int committed_file_read(git_blob **out, git_repository *repo, const git_oid *commit, const char *path, size_t max);

#endif
