/*
 * push.c: what a push adds (the pre-receive hook's view).
 *
 * git runs pre-receive before any ref moves, with the pushed objects in a
 * quarantine directory that only the environment names.  Which commits are
 * new is `rev-list <new tips> --not --all`: a revision walk that hides every
 * existing ref, one by one (a glob stops at the first dangling symref).
 */
#include "changeset.h"
#include "error.h"
#include "lines.h"
#include "report.h"
#include "strmap.h"

#include <ctype.h>
#include <stdlib.h>

struct pysec_push {
	pysec_ref_update *v;
	size_t len, cap;
};

#define MAX_REFNAME 4096

static int parse_oid(git_oid *out, const char *s, size_t len)
{
	size_t i;

	if (len != GIT_OID_HEXSZ)
		return -1;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	return git_oid_fromstrn(out, s, len);
}

/*
 * Split one input line into `n` fields at single spaces; the last field
 * (a ref name) takes the rest of the line.  0, or -1 when it does not fit.
 */
static int split_fields(const char **f, size_t *flen, size_t n, const char *s, size_t len)
{
	const char *end = s + len;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *sp = i + 1 < n ? memchr(s, ' ', (size_t)(end - s)) : end;
		if (!sp || sp == s)
			return -1;
		f[i] = s;
		flen[i] = (size_t)(sp - s);
		s = sp + (sp < end);
	}
	return 0;
}

/*
 * pre-receive: "<old> <new> <ref>"; pre-push: "<local ref> <local id>
 * <remote ref> <remote id>", where the remote's id is the old one and its
 * ref the one that moves.
 */
static int push_parse(pysec_push **out, const char *input, size_t len, int pre_push)
{
	struct pysec_push *p = xcalloc(1, sizeof(*p));
	const char *s = input, *end = input + len;
	const char *hook = pre_push ? "pre-push" : "pre-receive";
	unsigned line = 0;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		const char *next = eol ? eol + 1 : end;
		size_t n = (size_t)((eol ? eol : end) - s), flen[4];
		const char *f[4];
		int old = pre_push ? 3 : 0, new = 1, ref = 2;
		pysec_ref_update *u;

		line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (n == 0) {
			s = next;
			continue;
		}
		if (split_fields(f, flen, pre_push ? 4 : 3, s, n) < 0 || flen[ref] > MAX_REFNAME ||
		    memchr(f[ref], '\0', flen[ref])) {
			pysec_push_free(p);
			return error_set(PYSEC_EINVALID, "%s input line %u is not '%s'", hook, line,
				pre_push ? "<local ref> <local id> <remote ref> <remote id>" : "<old> <new> <ref>");
		}
		u = ARRAY_PUSH(p->v, p->len, p->cap);
		memset(u, 0, sizeof(*u));
		if (parse_oid(&u->old_id, f[old], flen[old]) < 0 || parse_oid(&u->new_id, f[new], flen[new]) < 0) {
			p->len--;
			pysec_push_free(p);
			return error_set(PYSEC_EINVALID, "%s input line %u: not an object id", hook, line);
		}
		u->refname = xstrndup(f[ref], flen[ref]);
		s = next;
	}
	*out = p;
	return 0;
}

int pysec_push_parse(pysec_push **out, const char *input, size_t len)
{
	return push_parse(out, input, len, 0);
}

int pysec_push_parse_pre_push(pysec_push **out, const char *input, size_t len)
{
	return push_parse(out, input, len, 1);
}

size_t pysec_push_count(const pysec_push *p)
{
	return p->len;
}

const pysec_ref_update *pysec_push_update(const pysec_push *p, size_t i)
{
	return i < p->len ? &p->v[i] : NULL;
}

void pysec_push_free(pysec_push *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->len; i++)
		free(p->v[i].refname);
	free(p->v);
	free(p);
}

/* --- which commits are new ------------------------------------------------- */

struct oidset {
	struct strmap map;
	git_oid *list;		/* in walk order */
	size_t len, cap;
};

static int oidset_has(const struct oidset *s, const git_oid *id)
{
	return strmap_get(&s->map, (const char *)id->id, GIT_OID_RAWSZ) != NULL;
}

static void oidset_add(struct oidset *s, const git_oid *id)
{
	strmap_put(&s->map, (const char *)id->id, GIT_OID_RAWSZ, (void *)1);
	*ARRAY_PUSH(s->list, s->len, s->cap) = *id;
}

/*
 * Hide every existing ref that peels to a commit (only those under `prefix`
 * when it is set).  Refs are read one by one so that a dangling symref
 * hides nothing but itself.
 */
static int hide_existing_refs(git_revwalk *walk, git_repository *repo, const char *prefix)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc;

	if (git_reference_iterator_new(&it, repo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot list the refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		git_object *target = NULL;
		if ((!prefix || !strncmp(git_reference_name(ref), prefix, strlen(prefix))) &&
		    git_reference_peel(&target, ref, GIT_OBJECT_COMMIT) == 0)
			git_revwalk_hide(walk, git_object_id(target));
		git_object_free(target);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return rc == GIT_ITEROVER ? 0 : error_from_git(PYSEC_EREPO, "cannot list the refs");
}

/* The updates' old ids that are commits here: the receiving side has them. */
static void hide_old_ids(git_revwalk *walk, git_repository *repo, const pysec_push *push)
{
	size_t i;

	for (i = 0; i < push->len; i++) {
		git_commit *c = NULL;
		if (!git_oid_is_zero(&push->v[i].old_id) && git_commit_lookup(&c, repo, &push->v[i].old_id) == 0)
			git_revwalk_hide(walk, &push->v[i].old_id);
		git_commit_free(c);
	}
}

/* The new commits of the push, or PYSEC_ELIMIT past max. */
static int new_commits(struct oidset *out, size_t *count, git_repository *repo,
	const git_oid *tips, size_t ntips, const pysec_push *push, const pysec_push_options *opts)
{
	size_t max = opts->max_commits;
	git_revwalk *walk = NULL;
	git_oid id;
	size_t i;
	int rc;

	*count = 0;
	if (git_revwalk_new(&walk, repo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot walk the history");
	for (i = 0; i < ntips; i++)
		if (git_revwalk_push(walk, &tips[i]) < 0) {
			git_revwalk_free(walk);
			return error_from_git(PYSEC_EREPO, "cannot walk from a pushed commit");
		}
	if ((rc = hide_existing_refs(walk, repo, opts->known_refs)) < 0) {
		git_revwalk_free(walk);
		return rc;
	}
	hide_old_ids(walk, repo, push);
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		oidset_add(out, &id);
		if (max && ++*count > max) {
			git_revwalk_free(walk);
			return error_set(PYSEC_ELIMIT, "the push has more than %zu new commits (pysec.maxCommits)", max);
		}
	}
	git_revwalk_free(walk);
	if (rc == GIT_ITEROVER)
		return 0;
	/*
	 * A shallow push has commits whose parents are not here: the walk stops
	 * there.  What it found is new; the first-parent chain below stops at the
	 * same boundary and falls back to the empty tree, scanning more, not less.
	 */
	if (rc == GIT_ENOTFOUND)
		return 0;
	return error_from_git(PYSEC_EREPO, "cannot walk the history");
}

/* --- per ref --------------------------------------------------------------- */

/*
 * The base of a ref update: old when it is an ancestor of new; else the
 * first existing commit on new's first-parent chain; else none (empty tree).
 */
static int find_base(git_oid *base, int *has_base, git_repository *repo, const git_oid *old_id,
	const git_oid *new_id, const struct oidset *fresh)
{
	git_oid cur = *new_id;
	size_t steps = 0;

	*has_base = 0;
	if (!git_oid_is_zero(old_id) &&
	    (git_oid_equal(old_id, new_id) || git_graph_descendant_of(repo, new_id, old_id) == 1)) {
		*base = *old_id;
		*has_base = 1;
		return 0;
	}
	while (oidset_has(fresh, &cur)) {
		git_commit *c = NULL;
		int rc = git_commit_lookup(&c, repo, &cur);
		if (rc < 0)
			return error_from_git(PYSEC_EREPO, "cannot read a pushed commit");
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			return 0;	/* a new root: everything is new */
		}
		cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (++steps > 10000000)
			return error_set(PYSEC_ELIMIT, "first-parent chain too long");
	}
	/* a shallow boundary: the parent is not in the repository */
	{
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &cur) < 0)
			return 0;
		git_commit_free(c);
	}
	*base = cur;
	*has_base = 1;
	return 0;
}

static int tree_of(git_tree **out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	int rc = git_commit_lookup(&c, repo, commit);

	if (rc == 0)
		rc = git_commit_tree(out, c);
	git_commit_free(c);
	return rc < 0 ? error_from_git(PYSEC_EREPO, "cannot read a tree") : 0;
}

/*
 * The diffs of one push, by the ids of their two trees.  A push of one
 * commit diffs the same two trees for its ref (the code rules) and for its
 * commit (the history rules): libgit2 reads, inflates and compares those
 * blobs once.
 */
struct diff_memo {
	struct memo_entry {
		git_oid old_tree, new_tree;	/* old_tree zero: the empty tree */
		pysec_changeset *cs;
	} *v;
	size_t len, cap;
};

static int memo_diff(struct diff_memo *m, pysec_changeset **out, git_repository *repo,
	git_tree *old_tree, git_tree *new_tree)
{
	git_oid zero;
	const git_oid *o = old_tree ? git_tree_id(old_tree) : &zero;
	struct memo_entry *e;
	pysec_changeset *cs = NULL;
	size_t i;
	int rc;

	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < m->len; i++) {
		if (git_oid_equal(&m->v[i].old_tree, o) && git_oid_equal(&m->v[i].new_tree, git_tree_id(new_tree))) {
			*out = changeset_dup(m->v[i].cs);
			return 0;
		}
	}
	if ((rc = pysec_changeset_from_trees(&cs, repo, old_tree, new_tree, NULL)) < 0)
		return rc;
	e = ARRAY_PUSH(m->v, m->len, m->cap);
	git_oid_cpy(&e->old_tree, o);
	git_oid_cpy(&e->new_tree, git_tree_id(new_tree));
	e->cs = cs;
	*out = changeset_dup(cs);
	return 0;
}

static void memo_free(struct diff_memo *m)
{
	size_t i;

	for (i = 0; i < m->len; i++)
		pysec_changeset_free(m->v[i].cs);
	free(m->v);
}

static int ref_changes(struct pysec_changeset *cs, struct diff_memo *memo, git_repository *repo,
	const git_oid *tip, const git_oid *old_id, const struct oidset *fresh, int history)
{
	pysec_changeset *part = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_oid base;
	int has_base, rc;
	size_t i;

	if ((rc = find_base(&base, &has_base, repo, old_id, tip, fresh)) < 0)
		return rc;
	if (has_base && git_oid_equal(&base, tip))
		return 0;	/* nothing new on this ref */
	if ((has_base && (rc = tree_of(&old_tree, repo, &base)) < 0) || (rc = tree_of(&new_tree, repo, tip)) < 0)
		goto cleanup;
	if ((rc = memo_diff(memo, &part, repo, old_tree, new_tree)) < 0)
		goto cleanup;
	for (i = 0; i < part->len; i++) {
		part->v[i].blame = 1;
		part->v[i].scope = history ? SCOPE_CODE : SCOPE_CODE | SCOPE_TEXT;
		part->v[i].tip = *tip;
		if (has_base)
			part->v[i].base = base;
	}
	pysec_changeset_merge(cs, part);
cleanup:
	pysec_changeset_free(part);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return rc;
}

/* Keep, of each entry of `cs`, only the lines that `other` adds to the same path too. */
static void intersect_by_path(struct pysec_changeset *cs, const struct pysec_changeset *other)
{
	size_t i, k;

	for (i = 0; i < cs->len; i++) {
		struct change *c = &cs->v[i];
		int found = 0;
		for (k = 0; k < other->len && !found; k++) {
			if (!strcmp(other->v[k].path, c->path)) {
				lineset_intersect(&c->lines, &other->v[k].lines);
				found = 1;
			}
		}
		if (!found)
			lineset_clear(&c->lines);
	}
}

/*
 * The lines one new commit adds, for the history rules: against its first
 * parent (a root, or a parent beyond a shallow boundary: the empty tree);
 * a merge adds only the lines that differ from every parent.
 */
static int commit_changes(struct pysec_changeset *cs, struct diff_memo *memo, git_repository *repo,
	const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	pysec_changeset *part = NULL;
	unsigned p, np;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int rc;

	if (git_commit_lookup(&c, repo, id) < 0 || git_commit_tree(&tree, c) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot read a pushed commit");
		goto cleanup;
	}
	np = git_commit_parentcount(c);
	for (p = 0; p < (np ? np : 1); p++) {
		git_commit *parent = NULL;
		git_tree *ptree = NULL;
		pysec_changeset *one = NULL;
		if (np && git_commit_parent(&parent, c, p) == 0)
			git_commit_tree(&ptree, parent);
		if (!part) {
			rc = memo_diff(memo, &one, repo, ptree, tree);
		} else {
			/*
			 * Only the paths the first parent's diff has can keep lines: a
			 * merge's diff against its other parents can span every file the
			 * two lines of history changed.
			 */
			char **paths = xcalloc(part->len ? part->len : 1, sizeof(*paths));
			for (i = 0; i < part->len; i++)
				paths[i] = part->v[i].path;
			rc = part->len ? changeset_from_trees_paths(&one, repo, ptree, tree, NULL, paths, part->len) : 0;
			free(paths);
		}
		git_tree_free(ptree);
		git_commit_free(parent);
		if (rc < 0)
			goto cleanup;
		if (!part) {
			part = one;
		} else if (one) {
			intersect_by_path(part, one);
			pysec_changeset_free(one);
		}
	}
	git_oid_tostr(hex, sizeof(hex), id);
	for (i = 0; i < part->len; i++) {
		part->v[i].scope = SCOPE_TEXT;
		memcpy(part->v[i].commit, hex, sizeof(hex));
	}
	pysec_changeset_merge(cs, part);
	rc = 0;
cleanup:
	pysec_changeset_free(part);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* Peel the pushed object to a commit; 0 with *ok = 0 for a blob or tree (noted). */
static int peel_tip(git_oid *out, int *ok, git_repository *repo, const pysec_ref_update *u,
	struct pysec_report *report)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc;

	*ok = 0;
	if (git_object_lookup(&obj, repo, &u->new_id, GIT_OBJECT_ANY) < 0)
		return error_from_git(PYSEC_EREPO, "cannot read a pushed object");
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc == 0) {
		*out = *git_object_id(peeled);
		*ok = 1;
	} else {
		report_add_entry(report, PYSEC_ENTRY_SKIPPED, NULL, 0, "%s points at a %s, not a commit: nothing to scan",
			u->refname, git_object_type2string(git_object_type(obj)));
		rc = 0;
	}
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

int pysec_changeset_from_push(pysec_changeset **out, pysec_report *report, git_repository *repo,
	const pysec_push *push, const pysec_push_options *opts)
{
	pysec_push_options defaults = PYSEC_PUSH_OPTIONS_INIT;
	struct pysec_changeset *cs = xcalloc(1, sizeof(*cs));
	struct oidset fresh;
	struct diff_memo memo = { NULL, 0, 0 };
	git_oid *tips = xcalloc(push->len ? push->len : 1, sizeof(*tips));
	int *live = xcalloc(push->len ? push->len : 1, sizeof(*live));
	size_t i, ntips = 0, count;
	int rc = 0;

	if (!opts)
		opts = &defaults;
	memset(&fresh, 0, sizeof(fresh));
	for (i = 0; i < push->len && rc == 0; i++) {
		if (git_oid_is_zero(&push->v[i].new_id))
			continue;	/* a deleted ref adds nothing */
		rc = peel_tip(&tips[i], &live[i], repo, &push->v[i], report);
	}
	for (i = 0; i < push->len && rc == 0; i++)
		if (live[i])
			tips[ntips++] = tips[i];
	if (rc == 0)
		rc = new_commits(&fresh, &count, repo, tips, ntips, push, opts);
	for (i = 0, ntips = 0; i < push->len && rc == 0; i++)
		if (live[i])
			rc = ref_changes(cs, &memo, repo, &tips[ntips++], &push->v[i].old_id, &fresh, opts->history);
	for (i = 0; i < fresh.len && rc == 0 && opts->history; i++)
		rc = commit_changes(cs, &memo, repo, &fresh.list[i]);
	memo_free(&memo);
	strmap_clear(&fresh.map);
	free(fresh.list);
	free(tips);
	free(live);
	if (rc < 0) {
		pysec_changeset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}
