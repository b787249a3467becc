/*
 * scan.c: a changeset in, a report out.  Entries that share a blob and a
 * path are read and parsed once, with the union of their touched lines;
 * each finding then goes to the entry (and commit) whose lines it touches.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	size_t off = 0;

	if (fd < 0) {
		*why = xasprintf("cannot open: %s", errno == ELOOP ? "symbolic link, not followed" : strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = xstrdup("not a regular file");
		return 0;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		*why = xasprintf("larger than %zu bytes", max);
		return 0;
	}
	out->owned = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, out->owned + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	out->owned[off] = '\0';
	out->data = out->owned;
	out->len = off;
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

/* Give each new finding the commit of the first entry of the group whose lines it touches. */
static void attribute(struct pysec_report *r, size_t from, const struct change *const *group, size_t n)
{
	size_t i, k;

	for (i = from; i < r->nfindings; i++) {
		pysec_finding *f = &r->findings[i];
		for (k = 0; k < n; k++) {
			if (lineset_hits(&group[k]->lines, f->line, f->end_line)) {
				free((char *)f->commit);
				f->commit = group[k]->commit[0] ? xstrdup(group[k]->commit) : NULL;
				break;
			}
		}
	}
}

/* Name the commit that added each new finding's line: blame over base..tip, once per file. */
static void attribute_by_blame(struct pysec_report *r, size_t from, const struct change *c, git_repository *repo)
{
	git_blame_options o;
	git_blame *blame = NULL;
	size_t i, lo = SIZE_MAX, hi = 0;

	for (i = from; i < r->nfindings; i++) {
		if (r->findings[i].line < lo)
			lo = r->findings[i].line;
		if (r->findings[i].line > hi)
			hi = r->findings[i].line;
	}
	if (!repo || lo > hi)
		return;
	git_blame_options_init(&o, GIT_BLAME_OPTIONS_VERSION);
	o.newest_commit = c->tip;
	if (!git_oid_is_zero(&c->base))
		o.oldest_commit = c->base;
	o.min_line = lo;
	o.max_line = hi;
	if (git_blame_file(&blame, repo, c->path, &o) < 0)
		return;	/* the finding stands without a commit */
	for (i = from; i < r->nfindings; i++) {
		pysec_finding *f = &r->findings[i];
		const git_blame_hunk *h = git_blame_get_hunk_byline(blame, f->line);
		char hex[GIT_OID_HEXSZ + 1];
		if (!h || git_oid_is_zero(&h->final_commit_id))
			continue;
		git_oid_tostr(hex, sizeof(hex), &h->final_commit_id);
		free((char *)f->commit);
		f->commit = xstrdup(hex);
	}
	git_blame_free(blame);
}

static int scan_group(struct pysec_report *report, const struct pysec_engine *eng,
	const struct change *const *group, size_t n, const pysec_scan_options *o,
	TSParser *parser, double deadline)
{
	const struct change *c = group[0];
	struct content ct = { 0 };
	struct lineset lines = { 0 };
	char *why = NULL;
	const char *skip;
	size_t i, before = report->nfindings;
	int rc = 0;

	if (c->skip) {
		report_add_entry(report, PYSEC_ENTRY_SKIPPED, c->path, 0, "%s", c->skip);
		return 0;
	}
	rc = c->source == SOURCE_BLOB ? read_blob(&ct, o->repo, &c->oid, o->max_file_size, &why)
				      : read_disk(&ct, c->disk_path ? c->disk_path : c->path, o->max_file_size, &why);
	if (rc < 0 || why) {
		if (why)
			report_add_entry(report, PYSEC_ENTRY_SKIPPED, c->path, 0, "%s", why);
		free(why);
		content_release(&ct);
		return rc;
	}
	if (!c->python && !source_is_python(c->path, ct.data, ct.len)) {
		content_release(&ct);
		return 0;	/* an extension-less file that is not a Python script */
	}
	if ((skip = source_skip_reason(ct.data, ct.len)) != NULL) {
		report_add_entry(report, PYSEC_ENTRY_SKIPPED, c->path, 0, "%s", skip);
		content_release(&ct);
		return 0;
	}
	for (i = 0; i < n; i++)
		lineset_union(&lines, &group[i]->lines);
	rc = engine_scan_file(eng, report, c->path, ct.data, ct.len, &lines,
		n == 1 && c->commit[0] ? c->commit : NULL, parser, deadline);
	if (n > 1)
		attribute(report, before, group, n);
	if (c->blame)
		attribute_by_blame(report, before, c, o->repo);
	lineset_clear(&lines);
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

int pysec_scan(pysec_report *report, const pysec_engine *eng, const pysec_changeset *cs,
	const pysec_scan_options *opts)
{
	pysec_scan_options defaults = PYSEC_SCAN_OPTIONS_INIT;
	const struct change **order;
	TSParser *parser = ts_parser_new();
	double deadline;
	size_t i, n = 0;
	int rc = 0;

	if (!opts)
		opts = &defaults;
	deadline = opts->time_budget > 0 ? clock_now() + opts->time_budget : 0;
	order = xcalloc(cs->len ? cs->len : 1, sizeof(*order));
	for (i = 0; i < cs->len; i++)
		if (!excluded(eng, cs->v[i].path))
			order[n++] = &cs->v[i];
	qsort(order, n, sizeof(*order), change_order);
	if (!ts_parser_set_language(parser, eng->lang)) {
		rc = error_set(PYSEC_ERROR, "cannot load the Python grammar");
		goto cleanup;
	}
	for (i = 0; i < n && rc == 0;) {
		size_t k = i + 1;
		while (k < n && same_group(order[i], order[k]))
			k++;
		rc = scan_group(report, eng, order + i, k - i, opts, parser, deadline);
		if (rc == PYSEC_ELIMIT)
			report_add_entry(report, PYSEC_ENTRY_ERROR, NULL, 0,
				"%s; %zu of %zu files not scanned", pysec_error_last(), n - i, n);
		i = k;
	}
cleanup:
	ts_parser_delete(parser);
	free(order);
	return rc;
}

int pysec_scan_buffer(pysec_report *report, const pysec_engine *eng, const char *path,
	const char *data, size_t len)
{
	struct lineset all = { 0 };
	TSParser *parser = ts_parser_new();
	int rc;

	all.all = 1;
	if (!ts_parser_set_language(parser, eng->lang))
		rc = error_set(PYSEC_ERROR, "cannot load the Python grammar");
	else
		rc = engine_scan_file(eng, report, path, data, len, &all, NULL, parser, 0);
	ts_parser_delete(parser);
	return rc;
}
