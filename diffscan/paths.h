/*
 * paths.h: gitignore patterns (pysec.exclude, a [pysec "path:PATTERN"]
 * section), matched as git matches them: by libgit2's own ignore rules,
 * in a repository of their own held in memory, so that no .gitignore,
 * info/exclude or core.excludesFile takes part.  Safe to share between
 * threads.
 */
#ifndef PYSEC_PATHS_H
#define PYSEC_PATHS_H

#include <stddef.h>

struct path_rules;

/* Rules from `n` patterns, one gitignore line each; PYSEC_EINVALID names the one libgit2 refuses. */
int path_rules_new(struct path_rules **out, char *const *patterns, size_t n);
/*
 * Does `path` (relative to the top: of the repository, or of a --full
 * scan) match, as a file or as a path under a matched directory?  A
 * leading "./" is ignored.  0 or 1.
 */
int path_rules_match(struct path_rules *r, const char *path);
void path_rules_free(struct path_rules *r);

#endif
