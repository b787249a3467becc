/*
 * scan.c: a changeset in, a report out.  Entries that share a blob and a
 * path are read and parsed once, with the union of their touched lines;
 * each finding then goes to the entry (and commit) whose lines it touches.
 */
#include "arena.h"
#include "cache.h"
#include "changeset.h"
#include "error.h"
#include "engine.h"
#include "lines.h"
#include "report.h"
#include "source.h"

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
 * once per file.
 */
struct wanted {
	char *text;
	size_t len;
	size_t finding;		/* index in the worker's report */
	int found;
	unsigned hits;		/* parents of the current commit against which it is added */
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
		if (!w->found && w->len == len && !memcmp(w->text, l->content, len))
			w->hits++;
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
			a->batch[i]->v[k].hits = 0;
	}
	if (git_commit_tree(&new_tree, commit) < 0)
		goto cleanup;
	for (p = 0; p < (np ? np : 1); p++) {
		git_commit *parent = NULL;
		git_tree *old_tree = NULL;
		git_diff *diff = NULL;
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

/* One walk from the batch's tip down to its base. */
static void attribute_batch(struct pysec_report *r, struct attribution *a, git_repository *repo, double deadline)
{
	const struct change *c = a->batch[0]->c;
	git_revwalk *walk = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	size_t i, left = 0, steps = 0;

	for (i = 0; i < a->nbatch; i++)
		left += a->batch[i]->left;
	if (!left || git_revwalk_new(&walk, repo) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0 ||
	    git_revwalk_push(walk, &c->tip) < 0 || (!git_oid_is_zero(&c->base) && git_revwalk_hide(walk, &c->base) < 0))
		goto cleanup;
	while (left && git_revwalk_next(&id, walk) == 0) {
		git_commit *commit = NULL;
		if (++steps > PYSEC_PUSH_MAX_COMMITS || (deadline && clock_now() > deadline))
			break;
		if (git_commit_lookup(&commit, repo, &id) < 0)
			break;
		git_oid_tostr(hex, sizeof(hex), &id);
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
static void attribution_run(struct pysec_report *r, struct pendings *p, git_repository *repo, double deadline)
{
	struct pending **batch = xcalloc(p->len ? p->len : 1, sizeof(*batch));
	size_t i, k;

	for (i = 0; i < p->len; i++) {
		struct attribution a = { batch, 0, NULL };
		if (p->v[i].taken)
			continue;
		for (k = i; k < p->len; k++) {
			if (!p->v[k].taken && same_tip(p->v[i].c, p->v[k].c)) {
				p->v[k].taken = 1;
				batch[a.nbatch++] = &p->v[k];
			}
		}
		if (repo)
			attribute_batch(r, &a, repo, deadline);
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
	const struct change *const *group, size_t n, const pysec_scan_options *o, double deadline)
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

	if (!o->repo || git_oid_is_zero(&c->old_oid) || from >= r->nfindings)
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
	if (!lines.len || read_blob(&ct, o->repo, &c->old_oid, o->max_file_size, &why) < 0 || why)
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

/* Scan the changes of one file; what was read is added to `*bytes`. */
static int scan_group(struct pysec_report *report, struct pendings *pending, const struct pysec_engine *eng,
	const struct change *const *group, size_t n, const pysec_scan_options *o,
	double deadline, uint64_t *bytes)
{
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
	rc = c->source == SOURCE_BLOB ? read_blob(&ct, o->repo, &c->oid, o->max_file_size, &why)
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
		judge_against_old(report, before, eng, group, n, o, deadline);
	if (n > 1)
		attribute(report, before, group, n);
	if (c->blame)
		attribution_defer(pending, report, before, c, ct.data, ct.len);
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

/*
 * The groups of one scan, handed out to workers one at a time.  Files read
 * from disk are scanned by several threads (the engine is immutable and each
 * worker has its own report); blobs are read by one thread, as a
 * libgit2 repository is not shared between threads.
 */
struct job {
	const struct pysec_engine *eng;
	const struct change **order;
	size_t *starts;		/* group g is order[starts[g]] .. order[starts[g + 1] - 1] */
	size_t ngroups, next, done;
	const pysec_scan_options *opts;
	double deadline, start;
	pysec_scan_progress progress;
	pthread_mutex_t lock;
	int rc;
	char error[1024];
};

struct worker {
	struct job *job;
	struct pysec_report report;
	struct pendings pending;	/* findings whose commit is named after the scan */
	pthread_t thread;
};

static void *work(void *arg)
{
	struct worker *wk = arg;
	struct job *j = wk->job;
	for (;;) {
		size_t g;
		uint64_t bytes = 0;
		int rc;
		pthread_mutex_lock(&j->lock);
		g = j->rc ? j->ngroups : j->next++;
		pthread_mutex_unlock(&j->lock);
		if (g >= j->ngroups)
			break;
		rc = scan_group(&wk->report, &wk->pending, j->eng, j->order + j->starts[g],
			j->starts[g + 1] - j->starts[g], j->opts, j->deadline, &bytes);
		pthread_mutex_lock(&j->lock);
		if (rc < 0 && !j->rc) {
			j->rc = rc;
			snprintf(j->error, sizeof(j->error), "%s", pysec_error_last());
		}
		j->done += rc == 0;
		j->progress.files_done++;
		j->progress.bytes += bytes;
		if (j->opts->progress) {
			j->progress.seconds = clock_now() - j->start;
			j->opts->progress(&j->progress, j->opts->progress_payload);
		}
		pthread_mutex_unlock(&j->lock);
	}
	/* blobs are scanned by one thread only (thread_count()): the repository is not shared */
	attribution_run(&wk->report, &wk->pending, j->opts->repo, j->deadline);
	arena_release_spares();
	return NULL;
}

static unsigned thread_count(const pysec_scan_options *o, const struct pysec_changeset *cs, size_t ngroups)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = o->threads ? o->threads : (unsigned)(cpus > 0 ? cpus : 1);
	size_t i;

	for (i = 0; i < cs->len; i++)
		if (cs->v[i].source == SOURCE_BLOB)
			return 1;
	if (n > 16)
		n = 16;
	return ngroups < n ? (unsigned)(ngroups ? ngroups : 1) : n;
}

int pysec_scan(pysec_report *report, const pysec_engine *eng, const pysec_changeset *cs,
	const pysec_scan_options *opts)
{
	pysec_scan_options defaults = PYSEC_SCAN_OPTIONS_INIT;
	struct job j;
	struct worker *workers;
	unsigned nthreads, t;
	size_t i, n = 0;

	if (!opts)
		opts = &defaults;
	memset(&j, 0, sizeof(j));
	j.eng = eng;
	j.opts = opts;
	j.start = clock_now();
	j.deadline = opts->time_budget > 0 ? j.start + opts->time_budget : 0;
	j.order = xcalloc(cs->len ? cs->len : 1, sizeof(*j.order));
	j.starts = xcalloc(cs->len + 1, sizeof(*j.starts));
	for (i = 0; i < cs->len; i++)
		if (!engine_excluded(eng, cs->v[i].path))
			j.order[n++] = &cs->v[i];
	qsort(j.order, n, sizeof(*j.order), change_order);
	for (i = 0; i < n; i++)
		if (i == 0 || !same_group(j.order[i - 1], j.order[i]))
			j.starts[j.ngroups++] = i;
	j.starts[j.ngroups] = n;
	j.progress.files_total = j.ngroups;
	pthread_mutex_init(&j.lock, NULL);
	nthreads = thread_count(opts, cs, j.ngroups);
	workers = xcalloc(nthreads, sizeof(*workers));
	for (t = 0; t < nthreads; t++) {
		workers[t].job = &j;
		if (t == 0 || pthread_create(&workers[t].thread, NULL, work, &workers[t]) != 0)
			workers[t].thread = 0;
	}
	work(&workers[0]);	/* this thread is a worker too */
	for (t = 1; t < nthreads; t++)
		if (workers[t].thread)
			pthread_join(workers[t].thread, NULL);
	for (t = 0; t < nthreads; t++) {
		report_move(report, &workers[t].report);
		free(workers[t].report.findings);
		free(workers[t].report.entries);
	}
	if (opts->progress) {
		j.progress.seconds = clock_now() - j.start;
		j.progress.finished = 1;
		opts->progress(&j.progress, opts->progress_payload);
	}
	if (j.rc) {
		error_set(j.rc, "%s", j.error);
		if (j.rc == PYSEC_ELIMIT)
			report_add_entry(report, PYSEC_ENTRY_ERROR, NULL, 0, "%s; %zu of %zu files not scanned",
				j.error, j.ngroups - j.done, j.ngroups);
	}
	pthread_mutex_destroy(&j.lock);
	free(workers);
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
