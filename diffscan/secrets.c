/*
 * secrets.c: `match line` clauses, for secrets and anything else a regex
 * finds on one line of any text file.
 *
 * A line clause starts with `when line-matches REGEX`; that regex is run
 * once over the whole file (PCRE2, multi-line, JIT), not once per line, and
 * each match on a touched line is offered to the clause's other
 * predicates.  The matched secret (the regex's first group, or the whole
 * match) is never shown whole: findings carry the line with the secret
 * masked after its first characters.
 */
#include "secrets.h"
#include "pysec.h"
#include "util.h"
#include "finding.h"
#include "predicates.h"
#include "walk.h"

#include <math.h>
#include <stdlib.h>

#define K(kind) (1u << (kind))

/* As a later predicate: the matched line matches REGEX too (or not, with `unless`). */
static int p_line_matches(struct walk *w, TSNode n, const struct pred *p)
{
	return pred_search(w, p, w->src + w->line_start, w->line_end - w->line_start);
}

static int p_secret_matches(struct walk *w, TSNode n, const struct pred *p)
{
	return pred_search(w, p, w->src + w->secret_start, w->secret_end - w->secret_start);
}

static int p_secret_length(struct walk *w, TSNode n, const struct pred *p)
{
	return (long)(w->secret_end - w->secret_start) >= p->number;
}

/* Shannon entropy of the secret in bits per character, at least the argument. */
static int p_secret_entropy(struct walk *w, TSNode n, const struct pred *p)
{
	size_t counts[256] = { 0 }, len = w->secret_end - w->secret_start, i;
	const unsigned char *s = (const unsigned char *)w->src + w->secret_start;
	double bits = 0, want = strtod(p->args[0], NULL);

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		counts[s[i]]++;
	for (i = 0; i < 256; i++) {
		if (counts[i]) {
			double q = (double)counts[i] / (double)len;
			bits -= q * log2(q);
		}
	}
	return bits >= want;
}

static const struct pred_def line_pred_table[] = {
	{ "line-matches", K(KIND_LINE), 1, 1, -1, 0, p_line_matches,
	  "line-matches REGEX: first in a line clause, finds the secret (its first group, or the whole match); later, the line matches REGEX" },
	{ "secret-matches", K(KIND_LINE), 1, 1, -1, 0, p_secret_matches,
	  "secret-matches REGEX: the matched secret matches REGEX (a placeholder, with `unless`)" },
	{ "secret-length", K(KIND_LINE), 1, 1, 0, -1, p_secret_length,
	  "secret-length N: the secret has at least N bytes" },
	{ "secret-entropy", K(KIND_LINE), 1, 1, -1, -1, p_secret_entropy,
	  "secret-entropy BITS: the secret's Shannon entropy is at least BITS per character" },
	{ NULL, 0, 0, 0, -1, -1, NULL, NULL }
};

const struct pred_def *line_pred_lookup(const char *name)
{
	const struct pred_def *d;

	for (d = line_pred_table; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* The line with the secret masked: its first few bytes stay, the rest is '*'. */
static char *masked_line(const struct walk *w)
{
	size_t slen = w->secret_end - w->secret_start;
	size_t keep = slen >= 16 ? 4 : slen >= 8 ? 2 : 0;
	struct buf b = BUF_INIT(4096);
	const char *s = w->src + w->line_start, *e = w->src + w->line_end;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (s <= w->src + w->secret_start)
		buf_put(&b, s, (size_t)(w->src + w->secret_start - s));
	buf_put(&b, w->src + w->secret_start, keep);
	buf_puts(&b, "****");
	if (w->src + w->secret_end < e)
		buf_put(&b, w->src + w->secret_end, (size_t)(e - (w->src + w->secret_end)));
	return buf_detach(&b);
}

static int holds_after_trigger(struct walk *w, const struct clause *c)
{
	TSNode none = { { 0 }, 0, 0 };
	size_t i;

	for (i = 1; i < c->npreds; i++) {
		const struct pred *p = &c->preds[i];
		if ((p->def->fn(w, none, p) != 0) == p->negate)
			return 0;
	}
	return 1;
}

/*
 * The clause's predicates that depend on the file only (path-matches), judged
 * before its regex searches the file: a rule for settings files costs a
 * Python file nothing.
 */
static int holds_for_file(struct walk *w, const struct clause *c)
{
	TSNode none = { { 0 }, 0, 0 };
	size_t i;

	for (i = 1; i < c->npreds; i++) {
		const struct pred *p = &c->preds[i];
		if (pred_per_file(p) && (p->def->fn(w, none, p) != 0) == p->negate)
			return 0;
	}
	return 1;
}

struct done {
	size_t rule;
	uint32_t line;
};

static int already(const struct done *d, size_t n, size_t rule, uint32_t line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i].rule == rule && d[i].line == line)
			return 1;
	return 0;
}

/* The bytes of the touched lines: [start, end) with the row of `start` (1-based). */
struct span {
	size_t start, end;
	uint32_t line;
};

/* The touched lines as byte spans, from one pass over the line starts. */
static struct span *touched_spans(const struct walk *w, const struct lineset *lines, size_t *count)
{
	struct span *v = NULL;
	size_t n = 0, cap = 0, at = 0, i;
	uint32_t line = 1;

	if (lines->all) {
		v = xcalloc(1, sizeof(*v));
		v->end = w->len;
		v->line = 1;
		*count = 1;
		return v;
	}
	for (i = 0; i < lines->len && at < w->len; i++) {
		struct span *sp;
		const char *nl;
		while (line < lines->ranges[i].start && (nl = memchr(w->src + at, '\n', w->len - at)) != NULL) {
			at = (size_t)(nl - w->src) + 1;
			line++;
		}
		if (line < lines->ranges[i].start)
			break;
		sp = ARRAY_PUSH(v, n, cap);
		sp->start = at;
		sp->line = line;
		while (line < lines->ranges[i].end && at < w->len) {
			nl = memchr(w->src + at, '\n', w->len - at);
			at = nl ? (size_t)(nl - w->src) + 1 : w->len;
			line++;
		}
		sp->end = at;
	}
	*count = n;
	return v;
}

/*
 * One clause over one span: the trigger regex finds candidates, one a line;
 * the rest of the clause judges each.  Returns -1 when the budget ran out.
 */
static int scan_span(struct walk *w, const struct clause *c, const struct span *sp,
	struct done **done, size_t *ndone)
{
	size_t off = sp->start, counted = sp->start;
	uint32_t line = sp->line;
	/* the span's bytes count once toward the regex's JIT, however many lines match */
	const pcre2_code *re = pred_regex(&c->preds[0], sp->end - sp->start);

	while (off < sp->end && pcre2_match(re, (PCRE2_SPTR)w->src, sp->end, off, 0, w->md, NULL) >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
		size_t ms = ov[0], me = ov[1];
		const char *nl;
		char *code;
		TSPoint start, end;

		/* count the lines up to the match, incrementally */
		while ((nl = memchr(w->src + counted, '\n', ms - counted)) != NULL) {
			line++;
			counted = (size_t)(nl - w->src) + 1;
		}
		w->line_start = counted;
		nl = memchr(w->src + ms, '\n', w->len - ms);
		w->line_end = nl ? (size_t)(nl - w->src) : w->len;
		off = w->line_end + 1;	/* one finding per line and clause */
		if (me <= ms || already(*done, *ndone, c->rule, line))
			continue;
		w->secret_start = ov[2] != PCRE2_UNSET && ov[3] > ov[2] ? ov[2] : ms;
		w->secret_end = ov[2] != PCRE2_UNSET && ov[3] > ov[2] ? ov[3] : me;
		/* a regex whose blanks ran into the next line: that is not this line's secret */
		if (w->secret_end > w->line_end)
			w->secret_end = w->line_end;
		if (w->secret_start >= w->secret_end || !holds_after_trigger(w, c))
			continue;
		start.row = end.row = line - 1;
		start.column = (uint32_t)(w->secret_start - w->line_start);
		end.column = (uint32_t)(w->secret_end - w->line_start);
		code = masked_line(w);
		finding_add_at(w, c, w->secret_start, start, end, code, code, strlen(code));
		free(code);
		*done = xrealloc(*done, (*ndone + 1) * sizeof(**done));
		(*done)[*ndone].rule = c->rule;
		(*done)[(*ndone)++].line = line;
		if (w->deadline && clock_now() > w->deadline)
			return -1;
	}
	return 0;
}

/* The `line` clauses over the touched lines only: a push touches a few lines of large files. */
int secrets_scan(struct walk *w, const struct clause_list *l, const struct lineset *lines)
{
	struct done *done = NULL;
	size_t ndone = 0, nspans = 0, k, i;
	struct span *spans;
	int rc = 0;

	if (!l->len)
		return 0;
	if (!w->md)
		w->md = pcre2_match_data_create(16, NULL);
	spans = touched_spans(w, lines, &nspans);
	for (k = 0; k < l->len && rc == 0; k++) {
		if (!holds_for_file(w, l->v[k]))
			continue;	/* judged once a file, not once a span */
		for (i = 0; i < nspans && rc == 0; i++)
			if (scan_span(w, l->v[k], &spans[i], &done, &ndone) < 0)
				rc = error_set(PYSEC_ELIMIT, "time budget spent while scanning %s", w->path);
	}
	free(spans);
	free(done);
	return rc;
}
