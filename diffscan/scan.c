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
#include <fnmatch.h>
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

static int excluded(const struct pysec_engine *e, const char *path)
{
	size_t i;

	for (i = 0; i < e->nexcludes; i++)
		if (fnmatch(e->excludes[i], path, 0) == 0)
			return 1;
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

struct wanted {
	const char *text;
	size_t len;
	pysec_finding *f;
	int found;
	unsigned hits;		/* parents of the current commit against which it is added */
};

struct attribution {
	struct wanted *v;
	size_t n, left;
	const char *hex;
};

static int on_added_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l, void *payload)
{
	struct attribution *a = payload;
	size_t i, len = l->content_len;

	if (l->origin != GIT_DIFF_LINE_ADDITION)
		return 0;
	while (len && (l->content[len - 1] == '\n' || l->content[len - 1] == '\r'))
		len--;
	for (i = 0; i < a->n; i++) {
		struct wanted *w = &a->v[i];
		if (!w->found && w->len == len && !memcmp(w->text, l->content, len))
			w->hits++;
	}
	return 0;
}

/*
 * Offer to `a` the lines `commit` adds to `path`: against its parent, or,
 * for a merge, against every parent (a line a merge only brings in from
 * one side was added by that side's commit).
 */
static void added_by_commit(git_repository *repo, git_commit *commit, const char *path, struct attribution *a)
{
	git_tree *new_tree = NULL;
	git_diff_options o;
	unsigned p, np = git_commit_parentcount(commit);
	char *paths[1];
	size_t i;

	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	o.context_lines = 0;
	o.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	paths[0] = (char *)path;
	o.pathspec.strings = paths;
	o.pathspec.count = 1;
	for (i = 0; i < a->n; i++)
		a->v[i].hits = 0;
	if (git_commit_tree(&new_tree, commit) < 0)
		return;
	for (p = 0; p < (np ? np : 1); p++) {
		git_commit *parent = NULL;
		git_tree *old_tree = NULL;
		git_diff *diff = NULL;
		if (np && git_commit_parent(&parent, commit, p) == 0)
			git_commit_tree(&old_tree, parent);
		if (git_diff_tree_to_tree(&diff, repo, old_tree, new_tree, &o) == 0)
			git_diff_foreach(diff, NULL, NULL, NULL, on_added_line, a);
		git_diff_free(diff);
		git_tree_free(old_tree);
		git_commit_free(parent);
	}
	for (i = 0; i < a->n; i++) {
		struct wanted *w = &a->v[i];
		if (!w->found && w->hits >= (np ? np : 1)) {
			w->found = 1;
			a->left--;
			free((char *)w->f->commit);
			w->f->commit = xstrdup(a->hex);
		}
	}
	git_tree_free(new_tree);
}

/*
 * Name the commit that added each new finding's line: walking the push's
 * new commits from the tip down, the first whose own diff adds that exact
 * line.  (libgit2's blame does the same job at many times the time and
 * memory on long histories.)
 */
static void attribute_by_history(struct pysec_report *r, size_t from, const struct change *c,
	git_repository *repo, const char *data, size_t len, double deadline)
{
	struct attribution a = { 0 };
	git_revwalk *walk = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	size_t i, steps = 0;

	if (!repo || from >= r->nfindings)
		return;
	a.v = xcalloc(r->nfindings - from, sizeof(*a.v));
	for (i = from; i < r->nfindings; i++) {
		struct wanted *w;
		if (r->findings[i].commit)
			continue;	/* an entry of the commit that added it said so already */
		w = &a.v[a.n++];
		w->f = &r->findings[i];
		w->text = line_text(data, len, w->f->line, &w->len);
	}
	a.left = a.n;
	a.hex = hex;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0 ||
	    git_revwalk_push(walk, &c->tip) < 0 || (!git_oid_is_zero(&c->base) && git_revwalk_hide(walk, &c->base) < 0))
		goto cleanup;
	while (a.left && git_revwalk_next(&id, walk) == 0) {
		git_commit *commit = NULL;
		if (++steps > 10000 || (deadline && clock_now() > deadline))
			break;
		if (git_commit_lookup(&commit, repo, &id) < 0)
			break;
		git_oid_tostr(hex, sizeof(hex), &id);
		added_by_commit(repo, commit, c->path, &a);
		git_commit_free(commit);
	}
cleanup:
	git_revwalk_free(walk);
	free(a.v);
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
static int scan_group(struct pysec_report *report, const struct pysec_engine *eng,
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
	if (rc == 0 && f.code && !code.all)
		judge_against_old(report, before, eng, group, n, o, deadline);
	if (n > 1)
		attribute(report, before, group, n);
	if (c->blame)
		attribute_by_history(report, before, c, o->repo, ct.data, ct.len, deadline);
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
		rc = scan_group(&wk->report, j->eng, j->order + j->starts[g], j->starts[g + 1] - j->starts[g],
			j->opts, j->deadline, &bytes);
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
		if (!excluded(eng, cs->v[i].path))
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
