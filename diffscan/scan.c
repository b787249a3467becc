/*
 * scan.c: a changeset in, a report out.  Entries that share a blob and a
 * path are read and parsed once, with the union of their touched lines;
 * each finding then goes to the entry (and commit) whose lines it touches.
 * Then a push's new commits, each diffed in turn for the history rules
 * (secrets stay in history), so that a push of a whole history is never
 * held in memory; and last, each tip finding is named with the commit
 * that added its line.
 */
#include "arena.h"
#include "cache.h"
#include "changeset.h"
#include "error.h"
#include "engine.h"
#include "lines.h"
#include "report.h"
#include "source.h"
#include "strmap.h"

#include <git2/sys/repository.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct content {
	const char *data;
	size_t len;
	git_blob *blob;		/* holds data when read from the repository */
	char *owned;		/* holds data when read from disk */
};

static void content_release(struct content *c)
{
	git_blob_free(c->blob);
	free(c->owned);
	memset(c, 0, sizeof(*c));
}

/* Read a file without following a symbolic link; NULL data with *why set on refusal. */
static int read_disk(struct content *out, const char *path, size_t max, char **why)
{
	struct buf b = BUF_INIT(max);

	if (file_read(&b, path, FILE_NOFOLLOW | FILE_REGULAR) < 0) {
		if (errno == ELOOP)
			*why = xstrdup("cannot open: symbolic link, not followed");
		else if (errno == EINVAL)
			*why = xstrdup("not a regular file");
		else if (errno == EFBIG)
			*why = xasprintf("larger than %zu bytes", max);
		else
			*why = xasprintf("cannot open: %s", strerror(errno));
		buf_free(&b);
		return 0;
	}
	out->len = b.len;
	out->data = out->owned = buf_detach(&b);
	return 0;
}

static int read_blob(struct content *out, git_repository *repo, const git_oid *oid, size_t max, char **why)
{
	if (!repo)
		return error_set(PYSEC_EINVALID, "a changeset from git needs the repository to scan");
	if (git_blob_lookup(&out->blob, repo, oid) < 0)
		return error_from_git(PYSEC_EREPO, "cannot read a blob");
	if (git_blob_rawsize(out->blob) > (git_object_size_t)max) {
		*why = xasprintf("larger than %zu bytes", max);
		git_blob_free(out->blob);
		out->blob = NULL;
		return 0;
	}
	out->data = git_blob_rawcontent(out->blob);
	out->len = (size_t)git_blob_rawsize(out->blob);
	return 0;
}

static int same_group(const struct change *a, const struct change *b)
{
	if (a->source != b->source || strcmp(a->path, b->path))
		return 0;
	return a->source == SOURCE_BLOB ? git_oid_equal(&a->oid, &b->oid)
					: !strcmp(a->disk_path ? a->disk_path : "", b->disk_path ? b->disk_path : "");
}

/* Give each new finding the commit of the first entry of the group that knows its commit and whose lines it touches. */
static void attribute(struct pysec_report *r, size_t from, const struct change *const *group, size_t n)
{
	size_t i, k;

	for (i = from; i < r->nfindings; i++) {
		pysec_finding *f = &r->findings[i];
		for (k = 0; k < n; k++) {
			if (group[k]->commit[0] && lineset_hits(&group[k]->lines, f->line, f->end_line)) {
				free((char *)f->commit);
				f->commit = xstrdup(group[k]->commit);
				break;
			}
		}
	}
}

/* The text of line `line` (1-based) of `data`, without its end of line. */
static const char *line_text(const char *data, size_t len, uint32_t line, size_t *n)
{
	const char *s = data, *end = data + len, *e;

	while (--line && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		s = nl ? nl + 1 : end;
	}
	e = memchr(s, '\n', (size_t)(end - s));
	e = e ? e : end;
	if (e > s && e[-1] == '\r')
		e--;
	*n = (size_t)(e - s);
	return s;
}

/*
 * Naming the commit that added each new finding's line, for the findings on
 * what a ref's tip adds: walking the push's new commits from the tip down,
 * the first whose own diff adds that exact line (libgit2's blame does the
 * same job at many times the time and memory on long histories).  The
 * files are collected while scanning and attributed together after it,
 * one walk per tip, each commit diffed once on the files still waiting:
 * a push of a whole history has its thousands of commits walked once, not
 * once per file.  A commit the scan has already diffed for the history
 * rules is not diffed again: the lines it adds to those files were
 * compared with the waiting ones then (struct match).
 */
struct wanted {
	char *text;
	size_t len;
	size_t finding;		/* index in the worker's report */
	int found;
	unsigned hits;		/* parents of the current commit against which it is added */
	unsigned hit_parent;	/* the last of them (struct attribution's parent): a line added twice counts once */
	unsigned batch;		/* attribution_run()'s batch it is in */
};

/* A line history commit `commit` (an index in cs->commits) adds is the text `w` waits for. */
struct match {
	size_t commit;
	struct wanted *w;
};

/* What attribute_batch() knows of the commits the history rules' scan diffed. */
struct history {
	struct strmap index;	/* raw commit id -> its index in cs->commits, plus one */
	struct match *matches;	/* by commit */
	size_t *starts;		/* commit i's are matches[starts[i]] .. matches[starts[i + 1] - 1] */
};

struct pending {
	const struct change *c;	/* the tip's change: path, tip, base */
	struct wanted *v;
	size_t n, left;
	int taken;
};

struct pendings {
	struct pending *v;
	size_t len, cap;
};

struct attribution {
	struct pending **batch;	/* the files of one tip */
	size_t nbatch;
	struct pending *cur;	/* the file of the delta being read */
	unsigned parent;	/* the diff against the current commit's parent number `parent - 1` */
};

/* Keep the new findings of `c` that no entry named a commit for, to attribute them after the scan. */
static void attribution_defer(struct pendings *p, const struct pysec_report *r, size_t from,
	const struct change *c, const char *data, size_t len)
{
	struct pending *pd;
	size_t i;

	if (from >= r->nfindings)
		return;
	pd = ARRAY_PUSH(p->v, p->len, p->cap);
	memset(pd, 0, sizeof(*pd));
	pd->c = c;
	pd->v = xcalloc(r->nfindings - from, sizeof(*pd->v));
	for (i = from; i < r->nfindings; i++) {
		struct wanted *w;
		const char *text;
		if (r->findings[i].commit)
			continue;	/* an entry of the commit that added it said so already */
		w = &pd->v[pd->n++];
		w->finding = i;
		text = line_text(data, len, r->findings[i].line, &w->len);
		w->text = xstrndup(text, w->len);
	}
	pd->left = pd->n;
}

static int on_delta(const git_diff_delta *d, float progress, void *payload)
{
	struct attribution *a = payload;
	size_t i;

	a->cur = NULL;
	for (i = 0; i < a->nbatch && !a->cur; i++)
		if (a->batch[i]->left && !strcmp(a->batch[i]->c->path, d->new_file.path))
			a->cur = a->batch[i];
	return 0;
}

static int on_added_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l, void *payload)
{
	struct attribution *a = payload;
	size_t i, len = l->content_len;

	if (l->origin != GIT_DIFF_LINE_ADDITION || !a->cur)
		return 0;
	while (len && (l->content[len - 1] == '\n' || l->content[len - 1] == '\r'))
		len--;
	for (i = 0; i < a->cur->n; i++) {
		struct wanted *w = &a->cur->v[i];
		if (!w->found && w->hit_parent != a->parent && w->len == len && !memcmp(w->text, l->content, len)) {
			w->hits++;
			w->hit_parent = a->parent;
		}
	}
	return 0;
}

/*
 * Offer to the batch's files the lines `commit` adds to them: against its
 * parent, or, for a merge, against every parent (a line a merge only
 * brings in from one side was added by that side's commit).  Returns how
 * many findings it named.
 */
static size_t added_by_commit(struct pysec_report *r, git_repository *repo, git_commit *commit,
	struct attribution *a, const char *hex)
{
	git_tree *new_tree = NULL;
	git_diff_options o;
	unsigned p, np = git_commit_parentcount(commit);
	char **paths = xcalloc(a->nbatch, sizeof(*paths));
	size_t i, k, named = 0;

	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	o.context_lines = 0;
	o.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	o.pathspec.strings = paths;
	for (i = 0; i < a->nbatch; i++) {
		if (a->batch[i]->left)
			paths[o.pathspec.count++] = (char *)a->batch[i]->c->path;
		for (k = 0; k < a->batch[i]->n; k++)
			a->batch[i]->v[k].hits = a->batch[i]->v[k].hit_parent = 0;
	}
	if (git_commit_tree(&new_tree, commit) < 0)
		goto cleanup;
	for (p = 0; p < (np ? np : 1); p++) {
		git_commit *parent = NULL;
		git_tree *old_tree = NULL;
		git_diff *diff = NULL;
		a->parent = p + 1;
		if (np && git_commit_parent(&parent, commit, p) == 0)
			git_commit_tree(&old_tree, parent);
		if (git_diff_tree_to_tree(&diff, repo, old_tree, new_tree, &o) == 0)
			git_diff_foreach(diff, on_delta, NULL, NULL, on_added_line, a);
		git_diff_free(diff);
		git_tree_free(old_tree);
		git_commit_free(parent);
	}
	for (i = 0; i < a->nbatch; i++) {
		struct pending *pd = a->batch[i];
		for (k = 0; k < pd->n; k++) {
			struct wanted *w = &pd->v[k];
			if (!w->found && w->hits >= (np ? np : 1)) {
				w->found = 1;
				pd->left--;
				named++;
				free((char *)r->findings[w->finding].commit);
				r->findings[w->finding].commit = xstrdup(hex);
			}
		}
	}
cleanup:
	git_tree_free(new_tree);
	free(paths);
	return named;
}

/* Name the batch's findings that history commit `i` adds; returns how many. */
static size_t added_by_history_commit(struct pysec_report *r, const struct history *h, size_t i, unsigned batch,
	const char *hex)
{
	size_t k, named = 0;

	for (k = h->starts[i]; k < h->starts[i + 1]; k++) {
		struct wanted *w = h->matches[k].w;
		if (w->batch != batch || w->found)
			continue;
		w->found = 1;
		named++;
		free((char *)r->findings[w->finding].commit);
		r->findings[w->finding].commit = xstrdup(hex);
	}
	return named;
}

/* A named finding is no longer waiting: keep each file's count of those left. */
static size_t recount_left(struct attribution *a)
{
	size_t i, k, left = 0;

	for (i = 0; i < a->nbatch; i++) {
		struct pending *pd = a->batch[i];
		pd->left = 0;
		for (k = 0; k < pd->n; k++)
			pd->left += !pd->v[k].found;
		left += pd->left;
	}
	return left;
}

/* One walk from the batch's tip down to its base. */
static void attribute_batch(struct pysec_report *r, struct attribution *a, git_repository *repo,
	const struct history *h, unsigned batch, double deadline)
{
	const struct change *c = a->batch[0]->c;
	git_revwalk *walk = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	size_t i, hi, left = 0, steps = 0;

	for (i = 0; i < a->nbatch; i++)
		left += a->batch[i]->left;
	if (!left || git_revwalk_new(&walk, repo) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0 ||
	    git_revwalk_push(walk, &c->tip) < 0 || (!git_oid_is_zero(&c->base) && git_revwalk_hide(walk, &c->base) < 0))
		goto cleanup;
	while (left && git_revwalk_next(&id, walk) == 0) {
		git_commit *commit = NULL;
		if (++steps > PYSEC_PUSH_MAX_COMMITS || (deadline && clock_now() > deadline))
			break;
		git_oid_tostr(hex, sizeof(hex), &id);
		if ((hi = (size_t)strmap_get(&h->index, (const char *)id.id, GIT_OID_RAWSZ)) != 0) {
			if (added_by_history_commit(r, h, hi - 1, batch, hex))
				left = recount_left(a);
			continue;
		}
		if (git_commit_lookup(&commit, repo, &id) < 0)
			break;
		left -= added_by_commit(r, repo, commit, a, hex);
		git_commit_free(commit);
	}
cleanup:
	git_error_clear();
	git_revwalk_free(walk);
}

static int same_tip(const struct change *x, const struct change *y)
{
	return git_oid_equal(&x->tip, &y->tip) && git_oid_equal(&x->base, &y->base);
}

/* Attribute what attribution_defer() kept, one batch per tip and base, and free it. */
static void attribution_run(struct pysec_report *r, struct pendings *p, git_repository *repo,
	const struct history *h, double deadline)
{
	struct pending **batch = xcalloc(p->len ? p->len : 1, sizeof(*batch));
	unsigned nbatches = 0;
	size_t i, k, m;

	for (i = 0; i < p->len; i++) {
		struct attribution a = { batch, 0, NULL, 0 };
		if (p->v[i].taken)
			continue;
		nbatches++;
		for (k = i; k < p->len; k++) {
			if (!p->v[k].taken && same_tip(p->v[i].c, p->v[k].c)) {
				p->v[k].taken = 1;
				batch[a.nbatch++] = &p->v[k];
				for (m = 0; m < p->v[k].n; m++)
					p->v[k].v[m].batch = nbatches;
			}
		}
		if (repo)
			attribute_batch(r, &a, repo, h, nbatches, deadline);
	}
	for (i = 0; i < p->len; i++) {
		for (k = 0; k < p->v[i].n; k++)
			free(p->v[i].v[k].text);
		free(p->v[i].v);
	}
	free(p->v);
	free(batch);
	memset(p, 0, sizeof(*p));
}

/* Is the finding a code rule's (not a `line` rule's: a secret is in history whatever the old file had)? */
static int code_finding(const struct pysec_engine *eng, const pysec_finding *f)
{
	size_t i;

	for (i = 0; i < eng->set.len; i++)
		if (!strcmp(eng->set.rules[i].info.id, f->rule))
			return eng->set.rules[i].nclauses && eng->set.rules[i].clauses[0].kind != KIND_LINE;
	return 0;
}

/* The same finding, moved, renamed or reformatted: same rule, levels and message. */
static int same_finding(const pysec_finding *a, const pysec_finding *b)
{
	return !strcmp(a->rule, b->rule) && a->severity == b->severity && a->confidence == b->confidence &&
	       !strcmp(a->message, b->message);
}

/*
 * What the change adds, judged against the file before it (README, "What
 * a change adds").  The old file is scanned on the lines the change
 * removed or rewrote, on the old lines of each finding's untouched part
 * (a line inserted into a call), and on the old place of each untouched
 * call a change-aware finding is about.  A finding on touched lines that
 * the old file had too (same rule, levels and message: moved, renamed,
 * reformatted) is not the change's; one such old finding answers for one
 * new finding.  A change-aware finding stands only if the call's old
 * verdict was none, or of a lower severity.
 */
static void judge_against_old(struct pysec_report *r, size_t from, const struct pysec_engine *eng,
	const struct change *const *group, size_t n, const pysec_scan_options *o, git_repository *repo,
	double deadline)
{
	const struct change *c = group[0];
	struct lineset lines = { 0 }, pool = { 0 };
	struct pysec_report old = { 0 };
	struct content ct = { 0 };
	struct file_scan f = { 0 };
	char *why = NULL;
	uint8_t *used = NULL;
	size_t i, k;
	uint32_t l;

	if (!repo || git_oid_is_zero(&c->old_oid) || from >= r->nfindings)
		return;
	for (k = 1; k < n; k++)
		if (!git_oid_equal(&group[k]->old_oid, &c->old_oid))
			return;	/* pushed onto different bases: each alone would be judged apart */
	change_removed_lines(c, &lines);
	change_removed_lines(c, &pool);
	for (i = from; i < r->nfindings; i++) {
		const pysec_finding *x = &r->findings[i];
		if (!code_finding(eng, x))
			continue;
		if (x->related_line) {
			for (l = x->related_line; l <= x->related_end_line && l - x->related_line < 1000; l++)
				lineset_add(&lines, change_old_line(c, l), 1);
			continue;
		}
		for (l = x->line; l <= x->end_line && l - x->line < 1000; l++) {
			if (lineset_hits(&c->lines, l, l))
				continue;
			lineset_add(&lines, change_old_line(c, l), 1);
			lineset_add(&pool, change_old_line(c, l), 1);
		}
	}
	if (!lines.len || read_blob(&ct, repo, &c->old_oid, o->max_file_size, &why) < 0 || why)
		goto done;
	f.path = c->old_path ? c->old_path : c->path;
	f.data = ct.data;
	f.len = ct.len;
	f.python = 1;
	f.code = &lines;
	if (engine_scan_file(eng, &old, &f, deadline) < 0)
		goto done;
	used = xcalloc(old.nfindings + 1, 1);
	for (i = from; i < r->nfindings;) {
		const pysec_finding *x = &r->findings[i];
		int drop = 0;
		if (code_finding(eng, x)) {
			for (k = 0; k < old.nfindings && !drop; k++) {
				const pysec_finding *y = &old.findings[k];
				if (y->related_line || used[k])
					continue;
				if (x->related_line)
					drop = !strcmp(x->rule, y->rule) && y->line == change_old_line(c, x->related_line) &&
					       y->severity >= x->severity;
				else if ((drop = same_finding(x, y) && lineset_hits(&pool, y->line, y->end_line)))
					used[k] = 1;
			}
		}
		if (drop)
			report_drop_finding(r, i);
		else
			i++;
	}
done:
	free(why);
	free(used);
	report_clear(&old);
	content_release(&ct);
	lineset_clear(&lines);
	lineset_clear(&pool);
}

/*
 * The work of one scan, handed out to workers one piece at a time: the
 * entries' groups, then the push's new commits, each diffed and scanned
 * for the history rules by the worker that takes it.  The engine is
 * immutable; each worker has its own report and, as a libgit2 repository
 * is not shared between threads, its own handle on the repository
 * (worker_repository()).
 */
struct job {
	const struct pysec_engine *eng;
	const struct pysec_changeset *cs;
	const struct change **order;
	size_t *starts;		/* group g is order[starts[g]] .. order[starts[g + 1] - 1] */
	size_t ngroups, next, groups_over, next_commit, done;
	const pysec_scan_options *opts;
	double deadline, start;	/* the deadline grows with the commits' files (time_per_file) */
	pysec_scan_progress progress;
	pthread_mutex_t lock;
	pthread_cond_t groups_done;	/* every group is scanned (or the scan failed) */
	struct worker *workers;
	unsigned nworkers;
	/*
	 * Once every group is scanned: path -> struct waiting, the tips' files
	 * whose findings wait for a commit to be named.
	 */
	struct strmap waiting;
	int waiting_ready;
	int rc;
	char error[1024];
};

struct waiting {
	struct pending **v;
	size_t len, cap;
};

struct worker {
	struct job *job;
	git_repository *repo;	/* opts->repo for the first worker, its own handle for the others */
	struct pysec_report report;
	struct pendings pending;	/* findings whose commit is named after the scan */
	struct match *matches;	/* what the history commits it scanned add that findings wait for */
	size_t nmatches, matches_cap;
	size_t commit;		/* the history commit being scanned (index in cs->commits); SIZE_MAX: none */
	pthread_t thread;
};

/*
 * A history commit's file was read: note which of the lines it adds are
 * lines the tips' findings wait for (found or not, whatever the tip).  A
 * file renamed or copied to its path adds every line to that path, as
 * the walk's own diffs (without rename detection) would have it: the
 * commit that moved a file is named, not none.
 */
static void match_waiting(struct worker *wk, const struct change *c, const char *data, size_t len)
{
	const struct waiting *wt = strmap_get(&wk->job->waiting, c->path, strlen(c->path));
	const char *s = data, *end = data + len;
	int all = c->lines.all || c->old_path;
	size_t r = 0, i, k;
	uint32_t line = 1;

	if (!wt)
		return;
	for (; s < end && (all || r < c->lines.len); line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end;
		size_t n;
		while (r < c->lines.len && c->lines.ranges[r].end <= line)
			r++;
		if (all || (r < c->lines.len && c->lines.ranges[r].start <= line)) {
			n = (size_t)(e - s) - (e > s && e[-1] == '\r');
			for (i = 0; i < wt->len; i++) {
				for (k = 0; k < wt->v[i]->n; k++) {
					struct wanted *w = &wt->v[i]->v[k];
					struct match *m;
					if (w->len != n || memcmp(w->text, s, n))
						continue;
					m = ARRAY_PUSH(wk->matches, wk->nmatches, wk->matches_cap);
					m->commit = wk->commit;
					m->w = w;
				}
			}
		}
		s = nl ? nl + 1 : end;
	}
}

/* Scan the changes of one file; what was read is added to `*bytes`. */
static int scan_group(struct worker *wk, const struct change *const *group, size_t n, double deadline,
	uint64_t *bytes)
{
	struct pysec_report *report = &wk->report;
	const struct pysec_engine *eng = wk->job->eng;
	const pysec_scan_options *o = wk->job->opts;
	git_repository *repo = wk->repo;
	const struct change *c = group[0];
	struct content ct = { 0 };
	struct lineset code = { 0 }, text = { 0 };
	struct file_scan f = { 0 };
	int wants_text = eng->by_kind[KIND_LINE].len > 0;
	char *why = NULL;
	const char *skip;
	size_t i, before = report->nfindings;
	int rc = 0;

	/* a file that is not Python matters only to the `line` rules */
	if (!c->python && !c->maybe_python && !wants_text)
		return 0;
	if (c->skip) {
		if (c->python || c->maybe_python)
			report_add_entry(report, PYSEC_ENTRY_SKIPPED, c->path, 0, "%s", c->skip);
		return 0;
	}
	rc = c->source == SOURCE_BLOB ? read_blob(&ct, repo, &c->oid, o->max_file_size, &why)
				      : read_disk(&ct, c->disk_path ? c->disk_path : c->path, o->max_file_size, &why);
	if (rc < 0 || why) {
		if (why && (c->python || c->maybe_python))
			report_add_entry(report, PYSEC_ENTRY_SKIPPED, c->path, 0, "%s", why);
		free(why);
		content_release(&ct);
		return rc;
	}
	*bytes += ct.len;
	f.python = c->python || source_is_python(c->path, ct.data, ct.len);
	if ((skip = source_skip_reason(ct.data, ct.len)) != NULL) {
		if (f.python)
			report_add_entry(report, PYSEC_ENTRY_SKIPPED, c->path, 0, "%s", skip);
		content_release(&ct);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (group[i]->scope & SCOPE_CODE)
			lineset_union(&code, &group[i]->lines);
		if (group[i]->scope & SCOPE_TEXT)
			lineset_union(&text, &group[i]->lines);
	}
	f.path = c->path;
	f.data = ct.data;
	f.len = ct.len;
	f.code = f.python && (code.len || code.all) ? &code : NULL;
	f.text = wants_text && (text.len || text.all) ? &text : NULL;
	f.commit = n == 1 && c->commit[0] ? c->commit : NULL;
	if ((f.code || f.text) && o->cache && c->source == SOURCE_BLOB)
		rc = cache_scan(o->cache, eng, report, &f, &c->oid, deadline);
	else if (f.code || f.text)
		rc = engine_scan_file(eng, report, &f, deadline);
	engine_drop_path_disabled(eng, report, before, c->path);
	if (rc == 0 && f.code && !code.all)
		judge_against_old(report, before, eng, group, n, o, repo, deadline);
	if (n > 1)
		attribute(report, before, group, n);
	if (c->blame)
		attribution_defer(&wk->pending, report, before, c, ct.data, ct.len);
	if (wk->commit != SIZE_MAX)
		match_waiting(wk, c, ct.data, ct.len);
	lineset_clear(&code);
	lineset_clear(&text);
	content_release(&ct);
	return rc;
}

static int change_order(const void *a, const void *b)
{
	const struct change *x = *(const struct change *const *)a, *y = *(const struct change *const *)b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	c = x->source == SOURCE_BLOB ? git_oid_cmp(&x->oid, &y->oid) : 0;
	if (c)
		return c;
	/* keep changeset order (commit order) within a group */
	return x < y ? -1 : x > y;
}

#define COMMITS_PER_TAKE 8

static void waiting_free(void *p)
{
	struct waiting *wt = p;

	free(wt->v);
	free(wt);
}

/* With the lock held, once: index the workers' waiting files by path. */
static void waiting_index(struct job *j)
{
	unsigned t;
	size_t i;

	j->waiting.free_value = waiting_free;
	for (t = 0; t < j->nworkers; t++) {
		struct pendings *p = &j->workers[t].pending;
		for (i = 0; i < p->len; i++) {
			const char *path = p->v[i].c->path;
			struct waiting *wt = strmap_get(&j->waiting, path, strlen(path));
			if (!wt) {
				wt = xcalloc(1, sizeof(*wt));
				strmap_put(&j->waiting, path, strlen(path), wt);
			}
			*ARRAY_PUSH(wt->v, wt->len, wt->cap) = &p->v[i];
		}
	}
	j->waiting_ready = 1;
}

/* The history commits need the tips' waiting findings: wait for every group to be scanned. */
static void wait_for_groups(struct job *j)
{
	pthread_mutex_lock(&j->lock);
	while (j->groups_over < j->ngroups && !j->rc)
		pthread_cond_wait(&j->groups_done, &j->lock);
	if (!j->waiting_ready)
		waiting_index(j);
	pthread_mutex_unlock(&j->lock);
}

/* With the lock held: a piece of work is over (rc, the files and bytes it read). */
static void job_done(struct job *j, int rc, size_t files, uint64_t bytes)
{
	if (rc < 0 && !j->rc) {
		j->rc = rc;
		snprintf(j->error, sizeof(j->error), "%s", pysec_error_last());
		pthread_cond_broadcast(&j->groups_done);
	}
	j->done += rc == 0 ? files : 0;
	j->progress.files_done += files;
	j->progress.bytes += bytes;
	if (j->opts->progress) {
		j->progress.seconds = clock_now() - j->start;
		j->opts->progress(&j->progress, j->opts->progress_payload);
	}
}

static void scan_groups(struct worker *wk)
{
	struct job *j = wk->job;

	for (;;) {
		size_t g;
		uint64_t bytes = 0;
		double deadline;
		int rc;
		pthread_mutex_lock(&j->lock);
		g = j->rc ? j->ngroups : j->next++;
		deadline = j->deadline;
		pthread_mutex_unlock(&j->lock);
		if (g >= j->ngroups)
			break;
		rc = scan_group(wk, j->order + j->starts[g], j->starts[g + 1] - j->starts[g], deadline, &bytes);
		pthread_mutex_lock(&j->lock);
		job_done(j, rc, 1, bytes);
		if (++j->groups_over == j->ngroups)
			pthread_cond_broadcast(&j->groups_done);
		pthread_mutex_unlock(&j->lock);
	}
}

/* A file a history commit moved, with no line added: the lines the tips' findings wait for, if any. */
static int match_moved(struct worker *wk, const struct change *c)
{
	struct content ct = { 0 };
	char *why = NULL;
	int rc = 0;

	if (strmap_get(&wk->job->waiting, c->path, strlen(c->path)) &&
	    (rc = read_blob(&ct, wk->repo, &c->oid, wk->job->opts->max_file_size, &why)) == 0 && !why)
		match_waiting(wk, c, ct.data, ct.len);
	free(why);
	content_release(&ct);
	return rc;
}

/* One new commit: the lines it adds, each file scanned for the history rules. */
static int scan_commit(struct worker *wk, size_t index)
{
	struct job *j = wk->job;
	const git_oid *id = &j->cs->commits[index];
	pysec_changeset *part = NULL;
	double deadline;
	size_t i;
	int rc;

	pthread_mutex_lock(&j->lock);
	deadline = j->deadline;
	pthread_mutex_unlock(&j->lock);
	if (deadline && clock_now() > deadline)
		return error_set(PYSEC_ELIMIT, "time budget spent before commit %.12s", git_oid_tostr_s(id));
	if ((rc = changeset_from_pushed_commit(&part, wk->repo, j->cs, id)) < 0)
		return rc;
	pthread_mutex_lock(&j->lock);
	if (j->deadline)
		j->deadline += j->opts->time_per_file * (double)part->len;
	deadline = j->deadline;
	j->progress.files_total += part->len;
	pthread_mutex_unlock(&j->lock);
	wk->commit = index;
	for (i = 0; i < part->len; i++) {
		const struct change *c = &part->v[i];
		uint64_t bytes = 0;
		if (rc == 0 && !c->lines.len && !c->skip)
			rc = match_moved(wk, c);	/* a move adds nothing to scan */
		else if (rc == 0 && !engine_excluded(j->eng, c->path))
			rc = scan_group(wk, &c, 1, deadline, &bytes);
		pthread_mutex_lock(&j->lock);
		job_done(j, rc, 1, bytes);
		pthread_mutex_unlock(&j->lock);
	}
	wk->commit = SIZE_MAX;
	pysec_changeset_free(part);
	return rc;
}

static void scan_commits(struct worker *wk)
{
	struct job *j = wk->job;
	const struct pysec_changeset *cs = j->cs;

	if (!cs->ncommits)
		return;
	wait_for_groups(j);
	for (;;) {
		size_t first, n, i;
		int rc = 0;
		pthread_mutex_lock(&j->lock);
		first = j->rc ? cs->ncommits : j->next_commit;
		n = first + COMMITS_PER_TAKE <= cs->ncommits ? COMMITS_PER_TAKE : cs->ncommits - first;
		j->next_commit = first + n;
		pthread_mutex_unlock(&j->lock);
		if (!n)
			break;
		for (i = first; i < first + n && rc == 0; i++)
			rc = scan_commit(wk, i);
		if (rc < 0) {
			pthread_mutex_lock(&j->lock);
			job_done(j, rc, 0, 0);
			pthread_mutex_unlock(&j->lock);
		}
	}
}

static void *work(void *arg)
{
	struct worker *wk = arg;

	scan_groups(wk);
	scan_commits(wk);
	arena_release_spares();
	return NULL;
}

/*
 * The workers' reports into `merged`, and their findings waiting for a
 * commit into `p`, so that one walk of the history names them all.
 */
static void workers_merge(struct pysec_report *merged, struct pendings *p, struct job *j)
{
	size_t i, k;
	unsigned t;

	for (t = 0; t < j->nworkers; t++) {
		struct worker *wk = &j->workers[t];
		for (i = 0; i < wk->pending.len; i++) {
			for (k = 0; k < wk->pending.v[i].n; k++)
				wk->pending.v[i].v[k].finding += merged->nfindings;
			*ARRAY_PUSH(p->v, p->len, p->cap) = wk->pending.v[i];
		}
		free(wk->pending.v);
		report_move(merged, &wk->report);
		free(wk->report.findings);
		free(wk->report.entries);
	}
}

/* What the workers' history commits add that findings wait for, by commit, into `h`. */
static void history_index(struct history *h, struct job *j)
{
	size_t i, n = 0, *at;
	unsigned t;

	for (t = 0; t < j->nworkers; t++)
		n += j->workers[t].nmatches;
	for (i = 0; i < j->cs->ncommits; i++)
		strmap_put(&h->index, (const char *)j->cs->commits[i].id, GIT_OID_RAWSZ, (void *)(i + 1));
	/* a counting sort of the matches by commit */
	h->starts = xcalloc(j->cs->ncommits + 1, sizeof(*h->starts));
	h->matches = xcalloc(n ? n : 1, sizeof(*h->matches));
	for (t = 0; t < j->nworkers; t++)
		for (i = 0; i < j->workers[t].nmatches; i++)
			h->starts[j->workers[t].matches[i].commit + 1]++;
	for (i = 0; i < j->cs->ncommits; i++)
		h->starts[i + 1] += h->starts[i];
	at = xcalloc(j->cs->ncommits + 1, sizeof(*at));
	memcpy(at, h->starts, (j->cs->ncommits + 1) * sizeof(*at));
	for (t = 0; t < j->nworkers; t++) {
		for (i = 0; i < j->workers[t].nmatches; i++)
			h->matches[at[j->workers[t].matches[i].commit]++] = j->workers[t].matches[i];
		free(j->workers[t].matches);
	}
	free(at);
}

/*
 * Blobs are shared out only when there is enough of them to repay a thread
 * and a repository handle; files on disk, one group per thread at least.
 */
#define BLOBS_PER_THREAD 32

static unsigned thread_count(const pysec_scan_options *o, const struct pysec_changeset *cs, size_t ngroups)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = o->threads ? o->threads : (unsigned)(cpus > 0 ? cpus : 1);
	size_t i, work = ngroups;
	int blobs = cs->ncommits > 0;

	for (i = 0; i < cs->len && !blobs; i++)
		blobs = cs->v[i].source == SOURCE_BLOB;
	if (blobs)
		work = 1 + (ngroups + cs->ncommits) / BLOBS_PER_THREAD;
	if (n > 16)
		n = 16;
	return work < n ? (unsigned)(work ? work : 1) : n;
}

/*
 * A worker's own handle on the scan's repository: opts->open_repository's;
 * else the same directory and configuration with opts->repo's object
 * database itself (libgit2's is safe to share between threads, and holds
 * a hook's quarantine, but it reads a pack one object at a time).  NULL
 * when it cannot be had: that worker is not started.
 */
static git_repository *worker_repository(const pysec_scan_options *o)
{
	git_repository *r = NULL;
	git_odb *odb = NULL;

	if (o->open_repository && o->open_repository(&r, o->open_payload) == 0)
		return r;
	if (git_repository_open_ext(&r, git_repository_path(o->repo), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_repository_odb(&odb, o->repo) < 0 || git_repository_set_odb(r, odb) < 0) {
		git_repository_free(r);
		r = NULL;
	}
	git_odb_free(odb);
	git_error_clear();
	return r;
}

static void job_order(struct job *j, const struct pysec_changeset *cs)
{
	size_t i, n = 0;

	j->order = xcalloc(cs->len ? cs->len : 1, sizeof(*j->order));
	j->starts = xcalloc(cs->len + 1, sizeof(*j->starts));
	for (i = 0; i < cs->len; i++)
		if (!engine_excluded(j->eng, cs->v[i].path))
			j->order[n++] = &cs->v[i];
	qsort(j->order, n, sizeof(*j->order), change_order);
	for (i = 0; i < n; i++)
		if (i == 0 || !same_group(j->order[i - 1], j->order[i]))
			j->starts[j->ngroups++] = i;
	j->starts[j->ngroups] = n;
}

int pysec_scan(pysec_report *report, const pysec_engine *eng, const pysec_changeset *cs,
	const pysec_scan_options *opts)
{
	pysec_scan_options defaults = PYSEC_SCAN_OPTIONS_INIT;
	struct pysec_report merged = { 0 };
	struct pendings pending = { 0 };
	struct history history;
	struct job j;
	unsigned t;

	if (!opts)
		opts = &defaults;
	memset(&j, 0, sizeof(j));
	memset(&history, 0, sizeof(history));
	j.eng = eng;
	j.cs = cs;
	j.opts = opts;
	j.start = clock_now();
	j.deadline = opts->time_budget > 0 ? j.start + opts->time_budget : 0;
	job_order(&j, cs);
	j.progress.files_total = j.ngroups;
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.groups_done, NULL);
	j.nworkers = thread_count(opts, cs, j.ngroups);
	j.workers = xcalloc(j.nworkers, sizeof(*j.workers));
	for (t = 0; t < j.nworkers; t++) {
		struct worker *wk = &j.workers[t];
		wk->job = &j;
		wk->commit = SIZE_MAX;
		wk->repo = t == 0 || !opts->repo ? opts->repo : worker_repository(opts);
		if (t > 0 && ((opts->repo && !wk->repo) || pthread_create(&wk->thread, NULL, work, wk) != 0))
			wk->thread = 0;
	}
	work(&j.workers[0]);	/* this thread is a worker too */
	for (t = 1; t < j.nworkers; t++) {
		if (j.workers[t].thread)
			pthread_join(j.workers[t].thread, NULL);
		git_repository_free(j.workers[t].repo);
	}
	workers_merge(&merged, &pending, &j);
	history_index(&history, &j);
	attribution_run(&merged, &pending, opts->repo, &history, j.deadline);
	report_move(report, &merged);
	free(merged.findings);
	free(merged.entries);
	if (opts->progress) {
		j.progress.seconds = clock_now() - j.start;
		j.progress.finished = 1;
		opts->progress(&j.progress, opts->progress_payload);
	}
	if (j.rc) {
		error_set(j.rc, "%s", j.error);
		if (j.rc == PYSEC_ELIMIT)
			report_add_entry(report, PYSEC_ENTRY_ERROR, NULL, 0, "%s; %zu of %zu files not scanned",
				j.error, j.progress.files_total - j.done, j.progress.files_total);
	}
	strmap_clear(&history.index);
	free(history.matches);
	free(history.starts);
	strmap_clear(&j.waiting);
	pthread_cond_destroy(&j.groups_done);
	pthread_mutex_destroy(&j.lock);
	free(j.workers);
	free(j.order);
	free(j.starts);
	return j.rc;
}

int pysec_scan_buffer(pysec_report *report, const pysec_engine *eng, const char *path,
	const char *data, size_t len)
{
	struct lineset all = { 0 };
	struct file_scan f = { 0 };

	all.all = 1;
	f.path = path;
	f.data = data;
	f.len = len;
	f.python = 1;
	f.code = f.text = &all;
	return engine_scan_file(eng, report, &f, 0);
}
