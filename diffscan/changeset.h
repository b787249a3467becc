/*
 * changeset.h: what a scan looks at: files with their touched lines, from
 * git's diffs or from disk.  pysec.h's pysec_changeset_* functions build
 * and merge them (changeset.c, push.c).
 */
#ifndef PYSEC_CHANGESET_H
#define PYSEC_CHANGESET_H

#include "pysec.h"
#include "lines.h"

enum source_kind {
	SOURCE_BLOB = 1,	/* content is the blob `oid` in the repository */
	SOURCE_FILE,		/* content is the file `disk_path` */
};

/* A hunk of the diff a change comes from (zero context lines): old lines replaced by new ones. */
struct hunk {
	uint32_t old_start, old_lines, new_start, new_lines;
};

struct change {
	char *path;		/* repository-relative (or as given, for --full) */
	char *old_path;		/* a renamed or copied file: its name before; else NULL */
	enum source_kind source;
	git_oid oid;
	char *disk_path;
	uint32_t mode;		/* git file mode; 0 for plain files on disk */
	struct lineset lines;
	char commit[GIT_OID_HEXSZ + 1];	/* "" when unknown */
	char *skip;		/* set: not scanned, with this reason */
	int python;		/* 1: Python whatever its content says (a file named on the command line) */
	unsigned scope;		/* SCOPE_CODE | SCOPE_TEXT: which rules these lines are for */
	int maybe_python;	/* the name says Python (or may: no extension) */
	int blame;		/* 1: name each finding's commit by blame over base..tip */
	git_oid base, tip;	/* base is zero for the empty tree */
	git_oid old_oid;	/* the file before the change (the diff's old side: HEAD's for the index and
				   the working tree), zero when it is new */
	struct hunk *hunks;	/* in file order */
	size_t nhunks, hunks_cap;
};

enum {
	SCOPE_CODE = 1,		/* the Python rules */
	SCOPE_TEXT = 2,		/* the `line` rules (secrets), on any text file */
};

/* A diff of two commits' trees: `base` zero for the empty tree. */
struct ref_diff {
	git_oid tip, base;
};

struct pysec_changeset {
	struct change *v;
	size_t len, cap;
	/*
	 * A push's new commits, whose added lines the history rules read: the
	 * scan diffs each one as it goes (changeset_from_pushed_commit), so that a push
	 * of a whole history is never held in memory at once.
	 */
	git_oid *commits;
	size_t ncommits, commits_cap;
	struct ref_diff *ref_diffs;	/* the ref diffs the entries come from, empty ones too (see changeset_from_pushed_commit) */
	size_t nref_diffs, ref_diffs_cap;
	git_pathspec **limits;	/* pysec_changeset_limit()'s, kept for the commits' files */
	size_t nlimits, limits_cap;
};

struct change *changeset_add(struct pysec_changeset *cs, const char *path);
/* Free what `c` holds (not `c`). */
void change_clear(struct change *c);
/* Append a deep copy of `c` (path, line set, hunks). */
struct change *changeset_add_copy(struct pysec_changeset *cs, const struct change *c);
enum {
	CHANGESET_KEEP_MOVES = 1,	/* keep a file renamed with no line added (a commit's move, for naming it) */
};

/* pysec_changeset_from_trees() with CHANGESET_* flags. */
int changeset_from_trees(pysec_changeset **out, git_repository *repo, git_tree *old_tree, git_tree *new_tree,
	const git_oid *commit, unsigned flags);
/* changeset_from_trees() for `paths` only (exact names; NULL: every path). */
int changeset_from_trees_paths(pysec_changeset **out, git_repository *repo, git_tree *old_tree,
	git_tree *new_tree, const git_oid *commit, char **paths, size_t npaths, unsigned flags);
/*
 * How many paths two trees differ in, found as pysec_changeset_from_trees()
 * finds them (no blob read); SIZE_MAX when it cannot tell cheaply (the
 * empty tree, too many paths, entries out of git's order).
 */
size_t changeset_paths_between(git_repository *repo, const git_tree *old_tree, const git_tree *new_tree);
/* The line of the old file that untouched line `line` of the new one was (1-based). */
uint32_t change_old_line(const struct change *c, uint32_t line);
/* Add the lines the change removed (or rewrote) from the old file to `out`. */
void change_removed_lines(const struct change *c, struct lineset *out);
/* A deep copy of the entries: paths, line sets (not the commits). */
struct pysec_changeset *changeset_dup(const struct pysec_changeset *cs);
/*
 * The lines commit `id` adds, for the history rules (push.c): against its
 * first parent (a root, or a parent beyond a shallow boundary: the empty
 * tree); a merge adds only the lines that differ from every parent.  A
 * diff `refs` already holds (a ref whose tip is the commit and whose base
 * is its parent, or for a merge one of its parents) is copied, not made
 * again.  Entries outside refs' limits are left out.
 */
int changeset_from_pushed_commit(struct pysec_changeset **out, git_repository *repo, const struct pysec_changeset *refs,
	const git_oid *id);
/*
 * Does the push `cs` was made from (with the history rules) add no line at
 * all?  True when it has no entry and each new commit's diff is a ref diff,
 * all of which are empty (a push that only deletes lines, a tag or a branch
 * on commits the repository has); false when telling would mean diffing.
 */
int changeset_adds_nothing(const struct pysec_changeset *cs, git_repository *repo);
/*
 * Turn a push's changeset made for the history rules into the one made
 * without them: the tips' lines are then read by the text rules too, and
 * no commit is diffed on its own.
 */
void changeset_drop_history(struct pysec_changeset *cs);
/* Does `path` match every pathspec pysec_changeset_limit() was given? */
int changeset_in_limits(const struct pysec_changeset *cs, const char *path);

#endif
