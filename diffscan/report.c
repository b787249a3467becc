/* report.c: the findings and entries of a scan, and the verdict over them. */
#include "report.h"
#include "pysec.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

int pysec_report_new(pysec_report **out)
{
	*out = xcalloc(1, sizeof(**out));
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void report_add_finding(struct pysec_report *r, const pysec_finding *f)
{
	pysec_finding *d = ARRAY_PUSH(r->findings, r->nfindings, r->fcap);

	*d = *f;
	d->rule = dup_or_null(f->rule);
	d->title = dup_or_null(f->title);
	d->path = dup_or_null(f->path);
	d->message = dup_or_null(f->message);
	d->fix = dup_or_null(f->fix);
	d->code = dup_or_null(f->code);
	d->commit = dup_or_null(f->commit);
	d->fingerprint = dup_or_null(f->fingerprint);
	d->suggestion = dup_or_null(f->suggestion);
	d->related_code = dup_or_null(f->related_code);
}

void report_add_entry(struct pysec_report *r, pysec_entry_kind kind, const char *path,
	uint32_t line, const char *fmt, ...)
{
	pysec_entry *e = ARRAY_PUSH(r->entries, r->nentries, r->ecap);
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->kind = kind;
	e->path = dup_or_null(path);
	e->line = line;
	e->message = xstrdup(msg);
}

static void finding_clear(pysec_finding *f)
{
	free((char *)f->rule);
	free((char *)f->title);
	free((char *)f->path);
	free((char *)f->message);
	free((char *)f->fix);
	free((char *)f->code);
	free((char *)f->commit);
	free((char *)f->fingerprint);
	free((char *)f->suggestion);
	free((char *)f->related_code);
}

void report_drop_finding(struct pysec_report *r, size_t i)
{
	finding_clear(&r->findings[i]);
	memmove(&r->findings[i], &r->findings[i + 1], (r->nfindings - i - 1) * sizeof(*r->findings));
	r->nfindings--;
}

void report_truncate(struct pysec_report *r, size_t findings, size_t entries)
{
	while (r->nfindings > findings)
		finding_clear(&r->findings[--r->nfindings]);
	while (r->nentries > entries) {
		r->nentries--;
		free((char *)r->entries[r->nentries].path);
		free((char *)r->entries[r->nentries].message);
	}
}

void report_clear(struct pysec_report *r)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		finding_clear(&r->findings[i]);
	for (i = 0; i < r->nentries; i++) {
		free((char *)r->entries[i].path);
		free((char *)r->entries[i].message);
	}
	free(r->findings);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}

void pysec_report_free(pysec_report *r)
{
	if (!r)
		return;
	report_clear(r);
	free(r);
}

size_t pysec_report_finding_count(const pysec_report *r)
{
	return r->nfindings;
}

const pysec_finding *pysec_report_finding(const pysec_report *r, size_t i)
{
	return i < r->nfindings ? &r->findings[i] : NULL;
}

size_t pysec_report_entry_count(const pysec_report *r)
{
	return r->nentries;
}

const pysec_entry *pysec_report_entry(const pysec_report *r, size_t i)
{
	return i < r->nentries ? &r->entries[i] : NULL;
}

static int finding_order(const void *a, const void *b)
{
	const pysec_finding *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	if ((c = strcmp(x->rule, y->rule)) != 0)
		return c;
	/* the same line in two commits' files: an order that does not depend on which thread found it */
	if ((c = strcmp(x->commit ? x->commit : "", y->commit ? y->commit : "")) != 0)
		return c;
	return strcmp(x->message ? x->message : "", y->message ? y->message : "");
}

static int entry_order(const void *a, const void *b)
{
	const pysec_entry *x = a, *y = b;
	int c = strcmp(x->path ? x->path : "", y->path ? y->path : "");

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->message, y->message);
}

void pysec_report_sort(pysec_report *r)
{
	if (r->nfindings > 1)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_order);
	if (r->nentries > 1)
		qsort(r->entries, r->nentries, sizeof(*r->entries), entry_order);
}

void report_move(struct pysec_report *dst, struct pysec_report *src)
{
	size_t i;

	for (i = 0; i < src->nfindings; i++)
		*ARRAY_PUSH(dst->findings, dst->nfindings, dst->fcap) = src->findings[i];
	for (i = 0; i < src->nentries; i++)
		*ARRAY_PUSH(dst->entries, dst->nentries, dst->ecap) = src->entries[i];
	src->nfindings = src->nentries = 0;
}

int pysec_finding_counts(const pysec_finding *f, const pysec_threshold *t)
{
	return !f->suppressed && f->confidence >= t->min_confidence;
}

int pysec_finding_blocks(const pysec_finding *f, const pysec_threshold *t)
{
	return pysec_finding_counts(f, t) && f->severity >= t->fail_on;
}

size_t pysec_report_blocking(const pysec_report *r, const pysec_threshold *t)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfindings; i++)
		n += pysec_finding_blocks(&r->findings[i], t);
	return n;
}
