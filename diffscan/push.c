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

/*
 * `rev-list <new tips> --not <every ref>` done the way git's revision.c
 * does it (limit_list): one walk by commit date from the pushed tips and
 * the existing refs at once, which stops as soon as every commit still
 * queued is reachable from a ref (and a few more, for clocks that
 * disagree).  So it reads the commits the push adds and about as many
 * again, not the whole history: libgit2 1.5's revwalk marks every
 * ancestor of every hidden ref first, all 40,000 commits of a large
 * project for a push of one.  Stopping early can only keep a commit that
 * a ref reaches as new (scanned, not skipped).
 */
struct wnode {
	git_oid id;
	int64_t time;
	uint64_t seq;		/* equal times: first queued, first out (libgit2's order) */
	unsigned parsed : 1, hidden : 1, queued : 1, popped : 1, missing : 1;
	unsigned nparents, visit, paint;	/* descends_from()'s marks */
	struct wnode **parents;
};

struct wheap {
	struct wnode **v;	/* newest first */
	size_t len, cap;
};

struct walk {
	git_repository *repo;
	git_odb *own;		/* the repository's own objects, without the push's quarantine */
	int quick;		/* refs not read: see new_commits() */
	struct strmap refs;	/* quick: the ids refs name, as they are and as packed-refs peels them */
	struct strmap nodes;	/* raw id -> struct wnode */
	struct wheap queue;
	uint64_t seq;
	unsigned visits;	/* descends_from()'s runs */
	struct wnode **out;	/* popped while not hidden, in walk order */
	size_t nout, outcap;
};

#define WALK_SLOP 5
#define WALK_RETRY 1	/* the quick walk met a commit it cannot judge */

static void wnode_free(void *p)
{
	struct wnode *n = p;

	free(n->parents);
	free(n);
}

static struct wnode *walk_node(struct walk *w, const git_oid *id)
{
	struct wnode *n = strmap_get(&w->nodes, (const char *)id->id, GIT_OID_RAWSZ);

	if (!n) {
		n = xcalloc(1, sizeof(*n));
		git_oid_cpy(&n->id, id);
		n->hidden = w->quick && strmap_get(&w->refs, (const char *)id->id, GIT_OID_RAWSZ) != NULL;
		strmap_put(&w->nodes, (const char *)id->id, GIT_OID_RAWSZ, n);
	}
	return n;
}

/* Read a commit's date and parents; -1 when it is not here (a shallow boundary). */
static int walk_parse(struct walk *w, struct wnode *n)
{
	git_commit *c = NULL;
	unsigned i;

	if (n->parsed)
		return 0;
	if (n->missing || git_commit_lookup(&c, w->repo, &n->id) < 0) {
		n->missing = 1;
		git_error_clear();
		return -1;
	}
	n->time = git_commit_time(c);
	n->nparents = git_commit_parentcount(c);
	n->parents = n->nparents ? xcalloc(n->nparents, sizeof(*n->parents)) : NULL;
	for (i = 0; i < n->nparents; i++)
		n->parents[i] = walk_node(w, git_commit_parent_id(c, i));
	n->parsed = 1;
	git_commit_free(c);
	return 0;
}

static int newer(const struct wnode *a, const struct wnode *b)
{
	return a->time != b->time ? a->time > b->time : a->seq < b->seq;
}

static void heap_push(struct wheap *h, struct wnode *n)
{
	size_t i = h->len;

	*ARRAY_PUSH(h->v, h->len, h->cap) = n;
	while (i && newer(h->v[i], h->v[(i - 1) / 2])) {
		struct wnode *t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct wnode *heap_pop(struct wheap *h)
{
	struct wnode *top = h->v[0];
	size_t i = 0;

	h->v[0] = h->v[--h->len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct wnode *t;
		if (l < h->len && newer(h->v[l], h->v[m]))
			m = l;
		if (r < h->len && newer(h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
	return top;
}

static void walk_queue(struct walk *w, struct wnode *n)
{
	n->queued = 1;
	n->seq = w->seq++;
	heap_push(&w->queue, n);
}

/* A ref reaches `n`: so it reaches every ancestor of it read so far. */
static void walk_hide(struct wnode *n)
{
	struct wnode **stack = NULL;
	size_t len = 0, cap = 0;

	*ARRAY_PUSH(stack, len, cap) = n;
	while (len) {
		struct wnode *x = stack[--len];
		unsigned i;
		if (x->hidden)
			continue;
		x->hidden = 1;
		for (i = 0; x->parsed && i < x->nparents; i++)
			if (!x->parents[i]->hidden)
				*ARRAY_PUSH(stack, len, cap) = x->parents[i];
	}
	free(stack);
}

/* Queue a commit a ref reaches. */
static void walk_add_hidden(struct walk *w, const git_oid *id)
{
	struct wnode *n = walk_node(w, id);

	walk_hide(n);
	if (!n->queued && walk_parse(w, n) == 0)
		walk_queue(w, n);
}

/* git's still_interesting(): keep going while a queued commit could still be hidden or new. */
static int walk_slop(const struct walk *w, int64_t date, int slop)
{
	size_t i;

	if (!w->queue.len)
		return 0;
	if (date <= w->queue.v[0]->time)
		return WALK_SLOP;
	for (i = 0; i < w->queue.len; i++)
		if (!w->queue.v[i]->hidden)
			return WALK_SLOP;
	return slop - 1;
}

static int walk_run(struct walk *w, size_t max)
{
	int64_t date = INT64_MAX;
	size_t live = 0;
	int slop = WALK_SLOP;

	while (w->queue.len) {
		struct wnode *c = heap_pop(&w->queue);
		unsigned i;

		c->popped = 1;
		for (i = 0; i < c->nparents; i++) {
			struct wnode *p = c->parents[i];
			if (c->hidden)
				walk_hide(p);
			if (!p->queued && walk_parse(w, p) == 0)
				walk_queue(w, p);
		}
		if (c->hidden) {
			if (!(slop = walk_slop(w, date, slop)))
				break;
			continue;
		}
		if (w->quick && git_odb_exists(w->own, &c->id))
			return WALK_RETRY;
		date = c->time;
		*ARRAY_PUSH(w->out, w->nout, w->outcap) = c;
		if (max && ++live > max)
			return error_set(PYSEC_ELIMIT, "the push has more than %zu new commits (pysec.maxCommits)", max);
	}
	return 0;
}

/* Is the commit new to the repository (the walk found it, and no ref reaches it)? */
static int walk_fresh(const struct wnode *n)
{
	return n->popped && !n->hidden;
}

/*
 * Hide every existing ref that peels to a commit (only those under `prefix`
 * when it is set).  Refs are read one by one so that a dangling symref
 * hides nothing but itself.  A tag that packed-refs has peeled is not read.
 */
static int hide_existing_refs(struct walk *w, const char *prefix)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc;

	if (git_reference_iterator_new(&it, w->repo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot list the refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		git_object *target = NULL;
		const git_oid *id = git_reference_target_peel(ref);
		if (prefix && strncmp(git_reference_name(ref), prefix, strlen(prefix))) {
			git_reference_free(ref);
			continue;
		}
		if (!id && git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    walk_parse(w, walk_node(w, git_reference_target(ref))) == 0)
			id = git_reference_target(ref);	/* a commit */
		if (!id && git_reference_peel(&target, ref, GIT_OBJECT_COMMIT) == 0)
			id = git_object_id(target);
		if (id)
			walk_add_hidden(w, id);
		git_object_free(target);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_error_clear();
	return rc == GIT_ITEROVER ? 0 : error_from_git(PYSEC_EREPO, "cannot list the refs");
}

/* The updates' old ids that are commits here: the receiving side has them. */
static void hide_old_ids(struct walk *w, const pysec_push *push)
{
	size_t i;

	for (i = 0; i < push->len; i++)
		if (!git_oid_is_zero(&push->v[i].old_id) && walk_parse(w, walk_node(w, &push->v[i].old_id)) == 0)
			walk_add_hidden(w, &push->v[i].old_id);
}

/* The repository's own object database, without a quarantine; NULL when it cannot be opened. */
static void own_objects(git_odb **out, git_repository *repo)
{
	char *path = xasprintf("%sobjects", git_repository_commondir(repo));

	*out = NULL;
	if (git_odb_open(out, path) < 0) {
		*out = NULL;
		git_error_clear();
	}
	free(path);
}

/* Quick: the ids the refs name, none of them read (a symbolic ref names one of them). */
static int quick_refs(struct walk *w, const char *prefix)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc;

	if (git_reference_iterator_new(&it, w->repo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot list the refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref), *peeled = git_reference_target_peel(ref);
		if (!prefix || !strncmp(git_reference_name(ref), prefix, strlen(prefix))) {
			if (id)
				strmap_put(&w->refs, (const char *)id->id, GIT_OID_RAWSZ, (void *)1);
			if (peeled)
				strmap_put(&w->refs, (const char *)peeled->id, GIT_OID_RAWSZ, (void *)1);
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_error_clear();
	return rc == GIT_ITEROVER ? 0 : error_from_git(PYSEC_EREPO, "cannot list the refs");
}

static void walk_reset(struct walk *w)
{
	strmap_clear(&w->nodes);
	strmap_clear(&w->refs);
	free(w->queue.v);
	free(w->out);
	memset(&w->queue, 0, sizeof(w->queue));
	w->out = NULL;
	w->nout = w->outcap = 0;
	w->seq = 0;
	w->quick = 0;
}

static int walk_start(struct walk *w, const git_oid *tips, size_t ntips, const pysec_push *push)
{
	size_t i;

	for (i = 0; i < ntips; i++) {
		struct wnode *n = walk_node(w, &tips[i]);
		if (walk_parse(w, n) < 0)
			return error_from_git(PYSEC_EREPO, "cannot walk from a pushed commit");
		if (!n->queued)
			walk_queue(w, n);
	}
	hide_old_ids(w, push);
	return 0;
}

/*
 * `rev-list <tips> --not <every ref> <old ids>`: the push's new commits in
 * walk order (w->out, where walk_fresh() holds), or PYSEC_ELIMIT past max.
 *
 * First without reading the refs' commits, which costs as much as a small
 * push's diff in a repository with hundreds of tags: a commit that is only
 * in the push's quarantine cannot be reached by any ref (what the refs
 * reach is in the repository's own objects), so the quick walk goes
 * through those, stops at the old ids (and, on its second try, at the
 * commits a ref names directly), and gives up at the first other commit
 * the repository already had (a ref may reach it, or none), or when there
 * is no quarantine at all.  The first try reads no ref at all: a
 * fast-forward ends there, whatever the number of refs (a GitHub mirror
 * has tens of thousands).  Then the whole walk decides.
 */
static int new_commits(struct walk *w, const git_oid *tips, size_t ntips, const pysec_push *push,
	const pysec_push_options *opts)
{
	int rc, named;

	for (named = 0; named < 2 && w->own; named++) {
		w->quick = 1;
		if ((named && (rc = quick_refs(w, opts->known_refs)) < 0) || (rc = walk_start(w, tips, ntips, push)) < 0 ||
		    (rc = walk_run(w, opts->max_commits)) != WALK_RETRY)
			return rc;
		walk_reset(w);
	}
	if ((rc = walk_start(w, tips, ntips, push)) < 0 || (rc = hide_existing_refs(w, opts->known_refs)) < 0)
		return rc;
	/*
	 * A shallow push has commits whose parents are not here: the walk stops
	 * there.  What it found is new; the first-parent chain below stops at the
	 * same boundary and falls back to the empty tree, scanning more, not less.
	 */
	return walk_run(w, opts->max_commits);
}

static void walk_clear(struct walk *w)
{
	walk_reset(w);
	git_odb_free(w->own);
}

/*
 * Does `from` reach `to`?  git's paint_down_to_common(): a walk by date
 * from both that paints what each reaches, and stops when `to` is reached
 * from `from`, or when everything queued is reached from both (below a
 * common ancestor there is nothing more to learn).  It reads the commits
 * between the two, not the history below them.
 */
#define PAINT_FROM 1u
#define PAINT_TO 2u
#define PAINT_STALE 4u

static unsigned paint(const struct wnode *n, unsigned mark)
{
	return n->visit == mark ? n->paint : 0;
}

static void paint_add(struct wnode *n, unsigned mark, unsigned flags)
{
	if (n->visit != mark) {
		n->visit = mark;
		n->paint = 0;
	}
	n->paint |= flags;
}

static int nonstale(const struct wheap *h, unsigned mark)
{
	size_t i;

	for (i = 0; i < h->len; i++)
		if (!(paint(h->v[i], mark) & PAINT_STALE))
			return 1;
	return 0;
}

static int descends_from(struct walk *w, struct wnode *from, struct wnode *to)
{
	struct wheap h = { NULL, 0, 0 };
	unsigned mark = ++w->visits;

	if (from == to)
		return 1;
	if (walk_parse(w, from) < 0 || walk_parse(w, to) < 0)
		return 0;
	paint_add(from, mark, PAINT_FROM);
	paint_add(to, mark, PAINT_TO);
	heap_push(&h, from);
	heap_push(&h, to);
	while (nonstale(&h, mark) && !(paint(to, mark) & PAINT_FROM)) {
		struct wnode *c = heap_pop(&h);
		unsigned flags = paint(c, mark), i;
		if ((flags & (PAINT_FROM | PAINT_TO)) == (PAINT_FROM | PAINT_TO))
			flags |= PAINT_STALE;	/* a common ancestor: what is below it is both's */
		for (i = 0; i < c->nparents; i++) {
			struct wnode *p = c->parents[i];
			if ((paint(p, mark) & flags) == flags || walk_parse(w, p) < 0)
				continue;
			paint_add(p, mark, flags);
			heap_push(&h, p);
		}
	}
	free(h.v);
	return (paint(to, mark) & PAINT_FROM) != 0;
}

/* --- per ref --------------------------------------------------------------- */

/*
 * The base of a ref update: old when it is an ancestor of new; else the
 * first existing commit on new's first-parent chain; else none (empty tree).
 */
static int find_base(git_oid *base, int *has_base, struct walk *w, const git_oid *old_id, const git_oid *new_id)
{
	struct wnode *cur = walk_node(w, new_id);

	*has_base = 0;
	memset(base, 0, sizeof(*base));	/* none: zero, as the entries and the ref diff record it */
	if (!git_oid_is_zero(old_id) && descends_from(w, cur, walk_node(w, old_id))) {
		*base = *old_id;
		*has_base = 1;
		return 0;
	}
	while (walk_fresh(cur)) {
		if (!cur->nparents)
			return 0;	/* a new root: everything is new */
		cur = cur->parents[0];
	}
	/* a shallow boundary: the parent is not in the repository */
	if (walk_parse(w, cur) < 0)
		return 0;
	*base = cur->id;
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
 * The diffs of one push's refs, by the ids of their two trees: refs pushed
 * to the same commit from the same base share one.
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

static int ref_changes(struct pysec_changeset *cs, struct diff_memo *memo, struct walk *w,
	const git_oid *tip, const git_oid *old_id, int history)
{
	pysec_changeset *part = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_oid base;
	int has_base, rc;
	size_t i;

	git_repository *repo = w->repo;

	if ((rc = find_base(&base, &has_base, w, old_id, tip)) < 0)
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
		part->v[i].base = base;
	}
	pysec_changeset_merge(cs, part);
	if (history) {
		struct ref_diff *d = ARRAY_PUSH(cs->ref_diffs, cs->nref_diffs, cs->ref_diffs_cap);
		d->tip = *tip;
		d->base = base;
	}
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
 * A one-commit push diffs the same two trees for its ref (the code rules)
 * and for its commit (the history rules): copy the ref's diff, made by
 * ref_changes() with the commit as tip and its parent (none: the empty
 * tree) as base.  The entries of one diff are contiguous and in path
 * order, so a second ref with the same diff starts a new run.
 */
static int same_diff(const git_oid *tip, const git_oid *base, const struct ref_diff *d)
{
	return git_oid_equal(tip, &d->tip) && git_oid_equal(base, &d->base);
}

/* The ref diff that is commit `id`'s diff against `parent` (NULL: the empty tree), or NULL. */
static const struct ref_diff *ref_diff_of(const struct pysec_changeset *refs, const git_oid *id,
	const git_oid *parent)
{
	struct ref_diff want;
	size_t i;

	want.tip = *id;
	if (parent)
		want.base = *parent;
	else
		memset(&want.base, 0, sizeof(want.base));
	for (i = 0; i < refs->nref_diffs; i++)
		if (same_diff(&refs->ref_diffs[i].tip, &refs->ref_diffs[i].base, &want))
			return &refs->ref_diffs[i];
	return NULL;
}

static int reuse_ref_diff(struct pysec_changeset *out, const struct pysec_changeset *refs, const git_oid *id,
	const git_oid *parent)
{
	const struct ref_diff *d = ref_diff_of(refs, id, parent);
	const char *prev = NULL;
	size_t i;

	if (!d)
		return 0;	/* no ref's diff is this commit's */
	/* the diff's entries, none when it adds no line */
	for (i = 0; i < refs->len && !same_diff(&refs->v[i].tip, &refs->v[i].base, d); i++)
		;
	for (; i < refs->len && same_diff(&refs->v[i].tip, &refs->v[i].base, d) &&
	       (!prev || strcmp(prev, refs->v[i].path) < 0); i++) {
		struct change *c = changeset_add_copy(out, &refs->v[i]);
		c->blame = 0;
		memset(&c->tip, 0, sizeof(c->tip));
		memset(&c->base, 0, sizeof(c->base));
		prev = refs->v[i].path;
	}
	return 1;
}

/*
 * A ref diff that is the commit's diff against one of its parents (none:
 * a root), copied; NULL when there is none.  A merge's starts from that
 * parent (its other parents are diffed on the copy's paths only), unless
 * it has more than MERGE_REUSE_MAX_PATHS paths: then the merge starts from
 * the parent it differs least from, as changeset_from_pushed_commit() says.
 */
#define MERGE_REUSE_MAX_PATHS 256

static pysec_changeset *reused_diff(const struct pysec_changeset *refs, const git_commit *c, const git_oid *id,
	unsigned *pivot)
{
	unsigned np = git_commit_parentcount(c), p;
	pysec_changeset *part = xcalloc(1, sizeof(*part));

	for (p = 0; p < (np ? np : 1); p++) {
		if (!reuse_ref_diff(part, refs, id, np ? git_commit_parent_id(c, p) : NULL))
			continue;
		if (np > 1 && part->len > MERGE_REUSE_MAX_PATHS)
			break;
		*pivot = p;
		return part;
	}
	pysec_changeset_free(part);
	return NULL;
}

/* So many new commits are diffed rather than looked through for changeset_adds_nothing(). */
#define ADDS_NOTHING_MAX_COMMITS 16

int changeset_adds_nothing(const struct pysec_changeset *cs, git_repository *repo)
{
	size_t i;

	if (cs->len || cs->ncommits > ADDS_NOTHING_MAX_COMMITS)
		return 0;
	for (i = 0; i < cs->ncommits; i++) {
		git_commit *c;
		unsigned np;
		int found;
		if (git_commit_lookup(&c, repo, &cs->commits[i]) < 0)
			return 0;	/* the scan says why */
		np = git_commit_parentcount(c);	/* a merge is diffed */
		found = np <= 1 && ref_diff_of(cs, &cs->commits[i], np ? git_commit_parent_id(c, 0) : NULL);
		git_commit_free(c);
		if (!found)
			return 0;
	}
	return 1;
}

void changeset_drop_history(struct pysec_changeset *cs)
{
	size_t i;

	for (i = 0; i < cs->len; i++)
		cs->v[i].scope |= SCOPE_TEXT;
	cs->ncommits = 0;
	cs->nref_diffs = 0;
}

int changeset_from_pushed_commit(struct pysec_changeset **out, git_repository *repo, const struct pysec_changeset *refs,
	const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *tree = NULL, **ptrees = NULL;
	pysec_changeset *part = NULL;
	unsigned k, p, np = 0, pivot = 0;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, kept, least = SIZE_MAX;
	int rc;

	if (git_commit_lookup(&c, repo, id) < 0 || git_commit_tree(&tree, c) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot read a pushed commit");
		goto cleanup;
	}
	np = git_commit_parentcount(c);
	part = reused_diff(refs, c, id, &pivot);
	ptrees = xcalloc(np ? np : 1, sizeof(*ptrees));
	for (p = 0; p < np && (!part || np > 1); p++) {
		git_commit *parent = NULL;
		if (git_commit_parent(&parent, c, p) == 0)
			git_commit_tree(&ptrees[p], parent);
		git_commit_free(parent);
	}
	/*
	 * A merge starts from the parent it differs least from (no blob read to
	 * tell): a merge of main into a topic branch differs from main in the
	 * topic's few files, from the topic in all that main changed since.
	 */
	for (p = 0; np > 1 && !part && p < np; p++) {
		size_t n = changeset_paths_between(repo, ptrees[p], tree);
		if (n < least) {
			least = n;
			pivot = p;
		}
	}
	for (k = 0; k < (np ? np : 1); k++) {
		pysec_changeset *one = NULL;
		p = k == 0 ? pivot : k - 1 < pivot ? k - 1 : k;
		if (part && k == 0)
			continue;	/* the ref's diff */
		if (!part) {
			rc = changeset_from_trees(&one, repo, ptrees[p], tree, NULL, np > 1 ? 0 : CHANGESET_KEEP_MOVES);
		} else {
			/*
			 * Only the paths the first diff has can keep lines: a merge's
			 * diff against its other parents can span every file the two
			 * lines of history changed.
			 */
			char **paths = xcalloc(part->len ? part->len : 1, sizeof(*paths));
			for (i = 0; i < part->len; i++)
				paths[i] = part->v[i].path;
			rc = part->len ? changeset_from_trees_paths(&one, repo, ptrees[p], tree, NULL, paths, part->len, 0) : 0;
			free(paths);
		}
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
	for (i = kept = 0; i < part->len; i++) {
		struct change *e = &part->v[i];
		if (!changeset_in_limits(refs, e->path)) {
			change_clear(e);
			continue;
		}
		e->scope = SCOPE_TEXT;
		memcpy(e->commit, hex, sizeof(hex));
		if (np > 1) {
			free(e->old_path);	/* a merge adds what differs from every parent, moved or not */
			e->old_path = NULL;
		}
		part->v[kept++] = *e;
	}
	part->len = kept;
	*out = part;
	part = NULL;
	rc = 0;
cleanup:
	pysec_changeset_free(part);
	for (p = 0; ptrees && p < np; p++)
		git_tree_free(ptrees[p]);
	free(ptrees);
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
	struct walk w;
	struct diff_memo memo = { NULL, 0, 0 };
	git_oid *tips = xcalloc(push->len ? push->len : 1, sizeof(*tips));
	int *live = xcalloc(push->len ? push->len : 1, sizeof(*live));
	size_t i, ntips = 0;
	int rc = 0;

	if (!opts)
		opts = &defaults;
	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.nodes.free_value = wnode_free;
	own_objects(&w.own, repo);
	for (i = 0; i < push->len && rc == 0; i++) {
		if (git_oid_is_zero(&push->v[i].new_id))
			continue;	/* a deleted ref adds nothing */
		rc = peel_tip(&tips[i], &live[i], repo, &push->v[i], report);
	}
	for (i = 0; i < push->len && rc == 0; i++)
		if (live[i])
			tips[ntips++] = tips[i];
	if (rc == 0)
		rc = new_commits(&w, tips, ntips, push, opts);
	for (i = 0, ntips = 0; i < push->len && rc == 0; i++)
		if (live[i])
			rc = ref_changes(cs, &memo, &w, &tips[ntips++], &push->v[i].old_id, opts->history);
	/* the scan diffs each new commit for the history rules as it goes: changeset_from_pushed_commit() */
	for (i = 0; i < w.nout && rc == 0 && opts->history; i++)
		if (walk_fresh(w.out[i]))
			*ARRAY_PUSH(cs->commits, cs->ncommits, cs->commits_cap) = w.out[i]->id;
	memo_free(&memo);
	walk_clear(&w);
	free(tips);
	free(live);
	if (rc < 0) {
		pysec_changeset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}
