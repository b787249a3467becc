/*
 * changeset.c: what a scan looks at, from git (libgit2 diffs with zero
 * context lines, so each hunk's new side is exactly the added lines) or
 * from paths on disk.
 */
#include "changeset.h"
#include "error.h"
#include "lines.h"
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DIFF_MAX_SIZE (1024 * 1024)

struct change *changeset_add(struct pysec_changeset *cs, const char *path)
{
	struct change *c = ARRAY_PUSH(cs->v, cs->len, cs->cap);

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	c->scope = SCOPE_CODE | SCOPE_TEXT;
	c->maybe_python = source_maybe_python(path);
	return c;
}

void change_clear(struct change *c)
{
	free(c->path);
	free(c->old_path);
	free(c->disk_path);
	free(c->skip);
	free(c->hunks);
	lineset_clear(&c->lines);
}

struct change *changeset_add_copy(struct pysec_changeset *cs, const struct change *c)
{
	struct change *n = ARRAY_PUSH(cs->v, cs->len, cs->cap);

	*n = *c;
	n->path = xstrdup(c->path);
	n->old_path = c->old_path ? xstrdup(c->old_path) : NULL;
	n->disk_path = c->disk_path ? xstrdup(c->disk_path) : NULL;
	n->skip = c->skip ? xstrdup(c->skip) : NULL;
	memset(&n->lines, 0, sizeof(n->lines));
	lineset_union(&n->lines, &c->lines);
	n->hunks = c->nhunks ? xcalloc(c->nhunks, sizeof(*n->hunks)) : NULL;
	if (c->nhunks)
		memcpy(n->hunks, c->hunks, c->nhunks * sizeof(*n->hunks));
	n->hunks_cap = c->nhunks;
	return n;
}

struct pysec_changeset *changeset_dup(const struct pysec_changeset *cs)
{
	struct pysec_changeset *d = xcalloc(1, sizeof(*d));
	size_t i;

	for (i = 0; i < cs->len; i++)
		changeset_add_copy(d, &cs->v[i]);
	return d;
}

void pysec_changeset_free(pysec_changeset *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < cs->len; i++)
		change_clear(&cs->v[i]);
	free(cs->v);
	free(cs->commits);
	free(cs->ref_diffs);
	for (i = 0; i < cs->nlimits; i++)
		git_pathspec_free(cs->limits[i]);
	free(cs->limits);
	free(cs);
}

size_t pysec_changeset_count(const pysec_changeset *cs)
{
	return cs->len;
}

int pysec_changeset_adds(const pysec_changeset *cs, const char *path, uint32_t line)
{
	size_t i;

	for (i = 0; i < cs->len; i++)
		if (!cs->v[i].skip && !strcmp(cs->v[i].path, path) && lineset_hits(&cs->v[i].lines, line, line))
			return 1;
	return 0;
}

const char *pysec_changeset_old_path(const pysec_changeset *cs, const char *path)
{
	size_t i;

	for (i = 0; i < cs->len; i++)
		if (!strcmp(cs->v[i].path, path))
			return cs->v[i].old_path;
	return NULL;
}

void pysec_changeset_merge(pysec_changeset *dst, pysec_changeset *src)
{
	size_t i;

	for (i = 0; i < src->len; i++)
		*ARRAY_PUSH(dst->v, dst->len, dst->cap) = src->v[i];
	for (i = 0; i < src->ncommits; i++)
		*ARRAY_PUSH(dst->commits, dst->ncommits, dst->commits_cap) = src->commits[i];
	for (i = 0; i < src->nref_diffs; i++)
		*ARRAY_PUSH(dst->ref_diffs, dst->nref_diffs, dst->ref_diffs_cap) = src->ref_diffs[i];
	src->len = src->ncommits = src->nref_diffs = 0;
}

int pysec_changeset_limit(pysec_changeset *cs, const char *const *pathspecs, size_t count)
{
	git_strarray specs = { (char **)pathspecs, count };
	git_pathspec *ps = NULL;
	size_t i, kept = 0;

	if (git_pathspec_new(&ps, &specs) < 0)
		return error_from_git(PYSEC_EINVALID, "bad pathspec");
	for (i = 0; i < cs->len; i++) {
		if (!git_pathspec_matches_path(ps, 0, cs->v[i].path)) {
			change_clear(&cs->v[i]);
			continue;
		}
		cs->v[kept++] = cs->v[i];
	}
	cs->len = kept;
	if (cs->ncommits)
		*ARRAY_PUSH(cs->limits, cs->nlimits, cs->limits_cap) = ps;	/* for the commits' files, as the scan diffs them */
	else
		git_pathspec_free(ps);
	return 0;
}

int changeset_in_limits(const struct pysec_changeset *cs, const char *path)
{
	size_t i;

	for (i = 0; i < cs->nlimits; i++)
		if (!git_pathspec_matches_path(cs->limits[i], 0, path))
			return 0;
	return 1;
}

/* --- from diffs ------------------------------------------------------------ */

struct diff_walk {
	struct pysec_changeset *cs;
	git_repository *repo;
	const char *commit;
	struct change *cur;	/* the entry of the delta being read, or NULL */
};

static int on_file(const git_diff_delta *d, float progress, void *payload)
{
	struct diff_walk *dw = payload;
	struct change *c;
	const char *path = d->new_file.path;

	dw->cur = NULL;
	/* every file: the `line` rules (secrets) read any text */
	if (d->status == GIT_DELTA_DELETED || d->status == GIT_DELTA_UNMODIFIED ||
	    d->status == GIT_DELTA_IGNORED)
		return 0;
	c = changeset_add(dw->cs, path);
	if ((d->status == GIT_DELTA_RENAMED || d->status == GIT_DELTA_COPIED) && d->old_file.path &&
	    strcmp(d->old_file.path, path))
		c->old_path = xstrdup(d->old_file.path);
	c->mode = d->new_file.mode;
	c->python = 0;	/* decided by content */
	if (dw->commit)
		memcpy(c->commit, dw->commit, GIT_OID_HEXSZ + 1);
	if (d->new_file.mode == GIT_FILEMODE_LINK)
		c->skip = xstrdup("symbolic link, not followed");
	else if (d->new_file.mode == GIT_FILEMODE_COMMIT)
		c->skip = xstrdup("submodule, scanned in its own repository");
	else if (d->new_file.size > DIFF_MAX_SIZE)
		c->skip = xasprintf("larger than %d bytes", DIFF_MAX_SIZE);
	else if (d->flags & GIT_DIFF_FLAG_BINARY)
		c->skip = xstrdup("binary content, not Python source");
	/* the file as it was, to judge what the change adds against (scan.c) */
	if (d->status != GIT_DELTA_ADDED && d->status != GIT_DELTA_UNTRACKED &&
	    (d->old_file.flags & GIT_DIFF_FLAG_VALID_ID) && !git_oid_is_zero(&d->old_file.id) &&
	    d->old_file.mode != GIT_FILEMODE_LINK && d->old_file.mode != GIT_FILEMODE_COMMIT)
		git_oid_cpy(&c->old_oid, &d->old_file.id);
	/* a working-tree diff may lack ids; its entries are read from disk instead */
	if (d->new_file.flags & GIT_DIFF_FLAG_VALID_ID && !git_oid_is_zero(&d->new_file.id)) {
		c->source = SOURCE_BLOB;
		git_oid_cpy(&c->oid, &d->new_file.id);
	}
	dw->cur = c;
	return 0;
}

static int on_hunk(const git_diff_delta *d, const git_diff_hunk *h, void *payload)
{
	struct diff_walk *dw = payload;

	struct hunk *x;

	if (!dw->cur)
		return 0;
	if (h->new_lines > 0)
		lineset_add(&dw->cur->lines, (uint32_t)h->new_start, (uint32_t)h->new_lines);
	x = ARRAY_PUSH(dw->cur->hunks, dw->cur->nhunks, dw->cur->hunks_cap);
	x->old_start = (uint32_t)h->old_start;
	x->old_lines = (uint32_t)h->old_lines;
	x->new_start = (uint32_t)h->new_start;
	x->new_lines = (uint32_t)h->new_lines;
	return 0;
}

uint32_t change_old_line(const struct change *c, uint32_t line)
{
	int64_t delta = 0;
	size_t i;

	for (i = 0; i < c->nhunks; i++) {
		const struct hunk *h = &c->hunks[i];
		/* a hunk that only removes lines has new_start the line before them */
		uint32_t end = h->new_lines ? h->new_start + h->new_lines : h->new_start + 1;
		if (line < end)
			break;
		delta += (int64_t)h->old_lines - (int64_t)h->new_lines;
	}
	return delta < 0 && (int64_t)line + delta < 1 ? 1 : (uint32_t)((int64_t)line + delta);
}

void change_removed_lines(const struct change *c, struct lineset *out)
{
	size_t i;

	for (i = 0; i < c->nhunks; i++)
		if (c->hunks[i].old_lines)
			lineset_add(out, c->hunks[i].old_start, c->hunks[i].old_lines);
}

static int on_binary(const git_diff_delta *d, const git_diff_binary *b, void *payload)
{
	struct diff_walk *dw = payload;

	if (dw->cur && !dw->cur->skip)
		dw->cur->skip = xstrdup("binary content, not Python source");
	return 0;
}

static void diff_options(git_diff_options *o)
{
	git_diff_options_init(o, GIT_DIFF_OPTIONS_VERSION);
	o->context_lines = 0;
	o->interhunk_lines = 0;
	/* generated giants are treated as binary: never read megabytes into a diff */
	o->max_size = DIFF_MAX_SIZE;
}

/*
 * Turn a diff into entries.  Renames are found explicitly (a moved file is
 * not a wall of new lines).  Entries with no added lines are dropped,
 * unless skipped, so the report can say why, or moved with
 * CHANGESET_KEEP_MOVES.
 */
static int changeset_from_diff(struct pysec_changeset *cs, git_repository *repo, git_diff *diff,
	const char *commit, unsigned flags)
{
	git_diff_find_options fo;
	struct diff_walk dw = { cs, repo, commit, NULL };
	size_t first = cs->len, i, kept;

	git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
	fo.flags = GIT_DIFF_FIND_RENAMES;
	if (git_diff_find_similar(diff, &fo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot detect renames");
	if (git_diff_foreach(diff, on_file, on_binary, on_hunk, NULL, &dw) < 0)
		return error_from_git(PYSEC_EREPO, "cannot read the diff");
	for (i = kept = first; i < cs->len; i++) {
		if (!cs->v[i].lines.len && !cs->v[i].skip && !(cs->v[i].old_path && (flags & CHANGESET_KEEP_MOVES))) {
			change_clear(&cs->v[i]);
			continue;
		}
		cs->v[kept++] = cs->v[i];
	}
	cs->len = kept;
	return 0;
}

int changeset_from_trees_paths(pysec_changeset **out, git_repository *repo, git_tree *old_tree,
	git_tree *new_tree, const git_oid *commit, char **paths, size_t npaths, unsigned flags)
{
	struct pysec_changeset *cs = xcalloc(1, sizeof(*cs));
	git_diff_options o;
	git_diff *diff = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	diff_options(&o);
	if (paths) {
		/* exact paths: a name with '*' or '[' in it is not a pattern */
		o.pathspec.strings = paths;
		o.pathspec.count = npaths;
		o.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	}
	if (git_diff_tree_to_tree(&diff, repo, old_tree, new_tree, &o) < 0) {
		pysec_changeset_free(cs);
		return error_from_git(PYSEC_EREPO, "cannot diff the trees");
	}
	if (commit)
		git_oid_tostr(hex, sizeof(hex), commit);
	rc = changeset_from_diff(cs, repo, diff, commit ? hex : NULL, flags);
	git_diff_free(diff);
	if (rc < 0) {
		pysec_changeset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

/* --- which paths two trees differ in ------------------------------------------ */

/*
 * libgit2 1.5's tree-to-tree diff reads every subtree of both sides, equal
 * or not: all of a large project's directories for a one-line change.  So
 * the paths that differ are found first, as git's diff-tree finds them
 * (a subtree with the same id on both sides is not read), and libgit2
 * then diffs those paths only (rename detection sees the same deltas: an
 * unchanged file is in neither list).  Trees whose entries are not in git's
 * order, nest too deep or differ in too many paths get libgit2's whole diff.
 */
#define TREE_PATHS_MAX 2000
#define TREE_DEPTH_MAX 256
#define TREE_FALLBACK 1

struct pathlist {
	char **v;
	size_t len, cap;
};

static void pathlist_free(struct pathlist *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		free(l->v[i]);
	free(l->v);
}

/* git's tree order: names compared bytewise, a tree's as if it ended in '/'. */
static int entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb), n = la < lb ? la : lb;
	int c = memcmp(na, nb, n);
	unsigned ca, cb;

	if (c)
		return c;
	ca = la > n ? (unsigned char)na[n] : git_tree_entry_filemode(a) == GIT_FILEMODE_TREE ? '/' : 0;
	cb = lb > n ? (unsigned char)nb[n] : git_tree_entry_filemode(b) == GIT_FILEMODE_TREE ? '/' : 0;
	return ca < cb ? -1 : ca > cb;
}

static int add_path(struct pathlist *out, const char *prefix, const git_tree_entry *e)
{
	if (out->len >= TREE_PATHS_MAX)
		return TREE_FALLBACK;
	*ARRAY_PUSH(out->v, out->len, out->cap) = xasprintf("%s%s", prefix, git_tree_entry_name(e));
	return 0;
}

static int tree_paths(struct pathlist *out, git_repository *repo, const git_tree *a, const git_tree *b,
	const char *prefix, int depth);

/* The paths under subtrees `ida` and `idb` (either may be NULL: one side only). */
static int subtree_paths(struct pathlist *out, git_repository *repo, const git_oid *ida, const git_oid *idb,
	const char *prefix, const char *name, int depth)
{
	git_tree *ta = NULL, *tb = NULL;
	char *sub;
	int rc;

	if ((ida && git_tree_lookup(&ta, repo, ida) < 0) || (idb && git_tree_lookup(&tb, repo, idb) < 0)) {
		git_error_clear();
		git_tree_free(ta);
		return TREE_FALLBACK;	/* libgit2's own diff says what is wrong */
	}
	sub = xasprintf("%s%s/", prefix, name);
	rc = tree_paths(out, repo, ta, tb, sub, depth + 1);
	free(sub);
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}

/* An entry on one side only: its path, or every path under it. */
static int one_side(struct pathlist *out, git_repository *repo, const git_tree_entry *e, const char *prefix,
	int depth, int old_side)
{
	if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE)
		return add_path(out, prefix, e);
	return subtree_paths(out, repo, old_side ? git_tree_entry_id(e) : NULL, old_side ? NULL : git_tree_entry_id(e),
		prefix, git_tree_entry_name(e), depth);
}

static int tree_paths(struct pathlist *out, git_repository *repo, const git_tree *a, const git_tree *b,
	const char *prefix, int depth)
{
	size_t i = 0, j = 0, na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	const git_tree_entry *pa = NULL, *pb = NULL;
	int rc = 0;

	if (depth > TREE_DEPTH_MAX)
		return TREE_FALLBACK;
	while (rc == 0 && (i < na || j < nb)) {
		const git_tree_entry *ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int c;

		/* a merge join needs each side in strict order: else libgit2 sorts it out */
		if ((ea && pa && entry_cmp(pa, ea) >= 0) || (eb && pb && entry_cmp(pb, eb) >= 0))
			return TREE_FALLBACK;
		c = !ea ? 1 : !eb ? -1 : entry_cmp(ea, eb);
		if (c < 0)
			rc = one_side(out, repo, ea, prefix, depth, 1);
		else if (c > 0)
			rc = one_side(out, repo, eb, prefix, depth, 0);
		else if (git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
			 git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
			rc = 0;	/* the same: not read */
		else if (git_tree_entry_filemode(ea) == GIT_FILEMODE_TREE && git_tree_entry_filemode(eb) == GIT_FILEMODE_TREE)
			rc = subtree_paths(out, repo, git_tree_entry_id(ea), git_tree_entry_id(eb), prefix,
				git_tree_entry_name(ea), depth);
		else
			rc = add_path(out, prefix, ea);
		if (c <= 0)
			pa = ea, i++;
		if (c >= 0)
			pb = eb, j++;
	}
	return rc;
}

size_t changeset_paths_between(git_repository *repo, const git_tree *old_tree, const git_tree *new_tree)
{
	struct pathlist paths = { NULL, 0, 0 };
	size_t n = SIZE_MAX;

	if (old_tree && new_tree && tree_paths(&paths, repo, old_tree, new_tree, "", 0) == 0)
		n = paths.len;
	pathlist_free(&paths);
	return n;
}

int pysec_changeset_from_trees(pysec_changeset **out, git_repository *repo,
	git_tree *old_tree, git_tree *new_tree, const git_oid *commit)
{
	return changeset_from_trees(out, repo, old_tree, new_tree, commit, 0);
}

int changeset_from_trees(pysec_changeset **out, git_repository *repo, git_tree *old_tree, git_tree *new_tree,
	const git_oid *commit, unsigned flags)
{
	struct pathlist paths = { NULL, 0, 0 };
	int rc = TREE_FALLBACK;

	/* a tree against the empty tree is a diff of every path: nothing to skip */
	if (old_tree && new_tree)
		rc = tree_paths(&paths, repo, old_tree, new_tree, "", 0);
	if (rc == TREE_FALLBACK)
		rc = changeset_from_trees_paths(out, repo, old_tree, new_tree, commit, NULL, 0, flags);
	else if (paths.len)
		rc = changeset_from_trees_paths(out, repo, old_tree, new_tree, commit, paths.v, paths.len, flags);
	else
		*out = xcalloc(1, sizeof(**out));	/* the same trees */
	pathlist_free(&paths);
	return rc;
}

static int commit_tree(git_tree **out, git_object *obj, const char *what)
{
	git_commit *c = NULL;
	int rc;

	if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0)
		return error_from_git(PYSEC_ENOTFOUND, what);
	rc = git_commit_tree(out, c);
	git_commit_free(c);
	return rc < 0 ? error_from_git(PYSEC_EREPO, what) : 0;
}

/* One commit against its first parent (a root commit against the empty tree). */
static int changeset_from_commit(pysec_changeset **out, git_repository *repo, git_object *obj)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	int rc;

	if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0)
		return error_from_git(PYSEC_ENOTFOUND, "not a commit");
	if ((rc = git_commit_tree(&new_tree, c)) < 0)
		goto cleanup;
	if (git_commit_parentcount(c) > 0) {
		if ((rc = git_commit_parent(&parent, c, 0)) < 0 ||
		    (rc = git_commit_tree(&old_tree, parent)) < 0)
			goto cleanup;
	}
	rc = pysec_changeset_from_trees(out, repo, old_tree, new_tree, git_commit_id(c));
	goto done;
cleanup:
	rc = error_from_git(PYSEC_EREPO, "cannot read the commit");
done:
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_commit_free(parent);
	git_commit_free(c);
	return rc;
}

int pysec_changeset_from_revspec(pysec_changeset **out, git_repository *repo, const char *spec)
{
	git_revspec rs;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_object *base = NULL;
	int rc;

	if ((rc = git_revparse(&rs, repo, spec)) < 0)
		return rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EAMBIGUOUS
			? error_set(PYSEC_ENOTFOUND, "unknown revision '%s': no branch, tag or commit has that name, "
				"or the history is shorter", spec)
			: error_from_git(PYSEC_EREPO, spec);
	if (rs.flags & GIT_REVSPEC_SINGLE) {
		rc = changeset_from_commit(out, repo, rs.from);
		git_object_free(rs.from);
		return rc;
	}
	if (rs.flags & GIT_REVSPEC_MERGE_BASE) {
		git_oid mb;
		git_oid a = *git_object_id(rs.from), b = *git_object_id(rs.to);
		git_object *pa = NULL, *pb = NULL;
		/* peel tags first: merge_base wants commits */
		if (git_object_peel(&pa, rs.from, GIT_OBJECT_COMMIT) == 0 &&
		    git_object_peel(&pb, rs.to, GIT_OBJECT_COMMIT) == 0) {
			a = *git_object_id(pa);
			b = *git_object_id(pb);
		}
		git_object_free(pa);
		git_object_free(pb);
		if (git_merge_base(&mb, repo, &a, &b) < 0) {
			rc = error_from_git(PYSEC_ENOTFOUND, "no merge base");
			goto cleanup;
		}
		if (git_object_lookup(&base, repo, &mb, GIT_OBJECT_COMMIT) < 0) {
			rc = error_from_git(PYSEC_EREPO, "cannot read the merge base");
			goto cleanup;
		}
	}
	if ((rc = commit_tree(&old_tree, base ? base : rs.from, spec)) < 0 ||
	    (rc = commit_tree(&new_tree, rs.to, spec)) < 0)
		goto cleanup;
	rc = pysec_changeset_from_trees(out, repo, old_tree, new_tree, NULL);
cleanup:
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_object_free(base);
	git_object_free(rs.from);
	git_object_free(rs.to);
	return rc;
}

/* HEAD's tree, or NULL on an unborn branch (everything is new). */
static int head_tree(git_tree **out, git_repository *repo)
{
	git_object *head = NULL;
	int rc;

	*out = NULL;
	rc = git_revparse_single(&head, repo, "HEAD^{tree}");
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
		return 0;
	if (rc < 0)
		return error_from_git(PYSEC_EREPO, "cannot read HEAD");
	*out = (git_tree *)head;
	return 0;
}

int pysec_changeset_from_index(pysec_changeset **out, git_repository *repo)
{
	struct pysec_changeset *cs = xcalloc(1, sizeof(*cs));
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	int rc;

	diff_options(&o);
	if ((rc = head_tree(&tree, repo)) < 0)
		goto cleanup;
	if (git_diff_tree_to_index(&diff, repo, tree, NULL, &o) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot diff the index");
		goto cleanup;
	}
	rc = changeset_from_diff(cs, repo, diff, NULL, 0);
cleanup:
	git_diff_free(diff);
	git_tree_free(tree);
	if (rc < 0) {
		pysec_changeset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

int pysec_changeset_from_workdir(pysec_changeset **out, git_repository *repo)
{
	struct pysec_changeset *cs = xcalloc(1, sizeof(*cs));
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	const char *wd = git_repository_workdir(repo);
	size_t i;
	int rc;

	if (!wd) {
		pysec_changeset_free(cs);
		return error_set(PYSEC_EINVALID, "a bare repository has no working tree; name a revision");
	}
	diff_options(&o);
	/* new files are uncommitted changes too */
	o.flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		   GIT_DIFF_SHOW_UNTRACKED_CONTENT;
	if ((rc = head_tree(&tree, repo)) < 0)
		goto cleanup;
	if (git_diff_tree_to_workdir_with_index(&diff, repo, tree, &o) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot diff the working tree");
		goto cleanup;
	}
	rc = changeset_from_diff(cs, repo, diff, NULL, 0);
	/* the content to scan is what is on disk now */
	for (i = 0; rc == 0 && i < cs->len; i++) {
		cs->v[i].source = SOURCE_FILE;
		cs->v[i].disk_path = xasprintf("%s%s", wd, cs->v[i].path);
	}
cleanup:
	git_diff_free(diff);
	git_tree_free(tree);
	if (rc < 0) {
		pysec_changeset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

/* --- from paths ------------------------------------------------------------ */

static int skipped_dir(const char *name)
{
	static const char *const names[] = { ".git", ".hg", ".svn", "CVS", ".bzr", "__pycache__",
		".tox", ".eggs", ".venv", "node_modules" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* Where `path` (a name from `root`, or absolute) is on disk; `root` NULL: the current directory. */
static char *disk_path(const char *root, const char *path)
{
	if (!root || path[0] == '/')
		return xstrdup(path);
	return xasprintf("%s%s", root, strcmp(path, ".") ? path : "");
}

static void add_file(struct pysec_changeset *cs, const char *root, const char *path)
{
	struct change *c = changeset_add(cs, path);

	c->source = SOURCE_FILE;
	c->disk_path = disk_path(root, path);
	c->lines.all = 1;
}

/* A walk over directories: what it adds to, and the repository whose ignore rules leave entries out (NULL: none). */
struct walk {
	struct pysec_changeset *cs;
	git_repository *ignores;
};

/* Does git ignore `abs` (an absolute path; a directory with its '/')?  A path outside the working tree is not. */
static int git_ignores(const struct walk *w, const char *abs)
{
	int ignored = 0;

	if (!w->ignores || !abs)
		return 0;
	if (git_ignore_path_is_ignored(&ignored, w->ignores, abs) < 0) {
		git_error_clear();
		return 0;
	}
	return ignored;
}

/* `dir` as named (from `root`, or NULL: as is), and as an absolute path (NULL: nothing is ignored). */
static int walk_dir(struct walk *w, const char *root, const char *dir, const char *abs, int depth)
{
	struct dirent **names = NULL;
	char *disk = disk_path(root, dir);
	int n, i, rc = 0;

	if (depth > 64) {
		free(disk);
		return error_set(PYSEC_ELIMIT, "'%s': directories nested deeper than 64", dir);
	}
	n = scandir(disk, &names, NULL, alphasort);
	free(disk);
	if (n < 0) {
		/* as an unreadable file is: skipped with a note, the rest is scanned */
		struct change *c = changeset_add(w->cs, dir);
		c->skip = xasprintf("cannot open directory: %s", strerror(errno));
		c->maybe_python = 1;	/* it may hold Python: the note is shown */
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat st;
		char *path, *abs_path;

		if (rc < 0 || !strcmp(name, ".") || !strcmp(name, "..") || skipped_dir(name)) {
			free(names[i]);
			continue;
		}
		path = strcmp(dir, ".") ? xasprintf("%s/%s", dir, name) : xstrdup(name);
		abs_path = abs ? xasprintf("%s/%s", strcmp(abs, "/") ? abs : "", name) : NULL;
		disk = disk_path(root, path);
		if (lstat(disk, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				char *as_dir = abs_path ? xasprintf("%s/", abs_path) : NULL;
				if (!git_ignores(w, as_dir))
					rc = walk_dir(w, root, path, abs_path, depth + 1);
				free(as_dir);
			} else if (git_ignores(w, abs_path)) {
				;	/* .gitignore says so */
			} else if (S_ISLNK(st.st_mode)) {
				if (source_maybe_python(path) && strchr(name, '.'))
					changeset_add(w->cs, path)->skip = xstrdup("symbolic link, not followed");
			} else if (S_ISREG(st.st_mode)) {
				/* every file, as a push's: the `line` rules (secrets) read any text */
				add_file(w->cs, root, path);
			}
		}
		free(abs_path);
		free(disk);
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int pysec_changeset_from_paths_in(pysec_changeset **out, git_repository *ignores, const char *root,
	const char *const *paths, size_t count)
{
	struct pysec_changeset *cs = xcalloc(1, sizeof(*cs));
	struct walk w = { cs, ignores && git_repository_workdir(ignores) ? ignores : NULL };
	size_t i;
	int rc = 0;

	for (i = 0; i < count && rc == 0; i++) {
		char *disk = disk_path(root, paths[i]);
		struct stat st;
		if (lstat(disk, &st) < 0) {
			rc = error_set(PYSEC_ENOTFOUND, "cannot scan '%s': %s", paths[i], strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			char *abs = w.ignores ? realpath(disk, NULL) : NULL;
			rc = walk_dir(&w, root, paths[i], abs, 0);
			free(abs);
		} else if (S_ISLNK(st.st_mode)) {
			changeset_add(cs, paths[i])->skip = xstrdup("symbolic link, not followed");
		} else {
			add_file(cs, root, paths[i]), cs->v[cs->len - 1].python = 1;	/* named: Python whatever its name */
		}
		free(disk);
	}
	if (rc < 0) {
		pysec_changeset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

int pysec_changeset_from_paths(pysec_changeset **out, git_repository *ignores, const char *const *paths,
	size_t count)
{
	return pysec_changeset_from_paths_in(out, ignores, NULL, paths, count);
}
