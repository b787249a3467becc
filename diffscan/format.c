/* format.c: writing a report for people (text) and for programs (JSON). */
#include "report.h"
#include "common.h"

#include <jansson.h>
#include <stdlib.h>

static const char *color_of(pysec_level sev)
{
	return sev == PYSEC_LEVEL_HIGH ? "\033[1;31m" : sev == PYSEC_LEVEL_MEDIUM ? "\033[33m" : "\033[36m";
}

static const char *entry_word(pysec_entry_kind k)
{
	return k == PYSEC_ENTRY_ERROR ? "error" : k == PYSEC_ENTRY_SKIPPED ? "skipped" : "warning";
}

/* Control bytes from scanned content could drive the terminal: show them as '?'. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

char *pysec_path_quote(const char *path)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	const unsigned char *p;
	static const char letters[] = "abtnvfr";	/* \a to \r, as C writes them */
	int quote = 0;
	uint32_t c;
	size_t n;

	for (p = (const unsigned char *)path; *p; p += n) {
		n = utf8_decode(p, &c);
		if (!n || c < 0x20 || c == 0x7f || c == '"' || c == '\\' || codepoint_is_sneaky(c)) {
			quote = 1;
			break;
		}
	}
	if (!quote)
		return xstrdup(path);
	buf_puts(&b, "\"");
	for (p = (const unsigned char *)path; *p; p += n) {
		n = utf8_decode(p, &c);
		if (!n) {
			n = 1;
			buf_printf(&b, "\\%03o", *p);
		} else if (c >= '\a' && c <= '\r') {
			buf_printf(&b, "\\%c", letters[c - '\a']);
		} else if (c == '"' || c == '\\') {
			buf_printf(&b, "\\%c", (int)c);
		} else if (c < 0x20 || c == 0x7f || codepoint_is_sneaky(c)) {
			size_t i;
			for (i = 0; i < n; i++)
				buf_printf(&b, "\\%03o", p[i]);
		} else {
			buf_put(&b, p, n);
		}
	}
	buf_puts(&b, "\"");
	return buf_detach(&b);
}

/* A path as git shows it (pysec_path_quote). */
static void put_path(FILE *out, const char *path)
{
	char *q = pysec_path_quote(path);

	fputs(q, out);
	free(q);
}

static void write_text(const struct pysec_report *r, const pysec_write_options *o, FILE *out)
{
	const char *pre = o->line_prefix ? o->line_prefix : "";
	const char *on = "", *off = "";
	size_t i, shown = 0, blocking = 0;

	for (i = 0; i < r->nfindings; i++) {
		const pysec_finding *f = &r->findings[i];
		if (!pysec_finding_counts(f, &o->threshold))
			continue;
		shown++;
		blocking += pysec_finding_blocks(f, &o->threshold);
		if (o->color) {
			on = color_of(f->severity);
			off = "\033[0m";
		}
		fputs(pre, out);
		put_path(out, f->path);
		fprintf(out, ":%u:%u: %s%s%s [%s/%s] ", f->line, f->column, on, f->rule, off,
			pysec_level_name(f->severity), pysec_level_name(f->confidence));
		put_clean(out, f->message);
		if (f->commit)
			fprintf(out, " (commit %.12s)", f->commit);
		fputc('\n', out);
		if (f->code && *f->code) {
			fprintf(out, "%s    ", pre);
			put_clean(out, f->code);
			fputc('\n', out);
		}
		if (f->fix) {
			fprintf(out, "%s    fix: ", pre);
			put_clean(out, f->fix);
			fputc('\n', out);
		}
	}
	for (i = 0; i < r->nentries; i++) {
		const pysec_entry *e = &r->entries[i];
		fputs(pre, out);
		if (e->path) {
			put_path(out, e->path);
			if (e->line)
				fprintf(out, ":%u", e->line);
			fputs(": ", out);
		}
		fprintf(out, "%s: ", entry_word(e->kind));
		put_clean(out, e->message);
		fputc('\n', out);
	}
	fprintf(out, "%spysec: %zu finding%s, %zu at or above the threshold (severity %s, confidence %s)\n",
		pre, shown, shown == 1 ? "" : "s", blocking, pysec_level_name(o->threshold.fail_on),
		pysec_level_name(o->threshold.min_confidence));
}

/*
 * For a push: every finding on one line (blocking ones as errors, the rest
 * as warnings), short commit ids, each line behind the prefix, which
 * GitLab needs (GL-HOOK-ERR:) to show the line to a web user.
 */
static void write_push(const struct pysec_report *r, const pysec_write_options *o, FILE *out)
{
	const char *pre = o->line_prefix ? o->line_prefix : "";
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const pysec_finding *f = &r->findings[i];
		fprintf(out, "%spysec: %s: ", pre, pysec_finding_blocks(f, &o->threshold) ? "error" : "warning");
		put_path(out, f->path);
		fprintf(out, ":%u: %s [%s/%s] ", f->line, f->rule, pysec_level_name(f->severity),
			pysec_level_name(f->confidence));
		put_clean(out, f->message);
		if (f->commit)
			fprintf(out, " (commit %.10s)", f->commit);
		fputc('\n', out);
	}
	for (i = 0; i < r->nentries; i++) {
		const pysec_entry *e = &r->entries[i];
		fprintf(out, "%spysec: %s: ", pre, entry_word(e->kind));
		if (e->path) {
			put_path(out, e->path);
			if (e->line)
				fprintf(out, ":%u", e->line);
			fputs(": ", out);
		}
		put_clean(out, e->message);
		fputc('\n', out);
	}
}

static json_t *str_or_null(const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	/* content is not always UTF-8; JSON strings must be */
	v = json_string(s);
	if (!v) {
		size_t n = strlen(s), i;
		char *clean = xstrndup(s, n);
		for (i = 0; i < n; i++)
			if ((unsigned char)clean[i] >= 0x80)
				clean[i] = '?';
		v = json_string(clean);
		free(clean);
	}
	return v ? v : json_null();
}

static json_t *finding_json(const pysec_finding *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "rule", str_or_null(f->rule));
	json_object_set_new(o, "title", str_or_null(f->title));
	json_object_set_new(o, "severity", json_string(pysec_level_name(f->severity)));
	json_object_set_new(o, "confidence", json_string(pysec_level_name(f->confidence)));
	json_object_set_new(o, "cwe", f->cwe ? json_integer(f->cwe) : json_null());
	json_object_set_new(o, "path", str_or_null(f->path));
	json_object_set_new(o, "line", json_integer(f->line));
	json_object_set_new(o, "column", json_integer(f->column));
	json_object_set_new(o, "end_line", json_integer(f->end_line));
	json_object_set_new(o, "end_column", json_integer(f->end_column));
	json_object_set_new(o, "message", str_or_null(f->message));
	json_object_set_new(o, "fix", str_or_null(f->fix));
	json_object_set_new(o, "code", str_or_null(f->code));
	json_object_set_new(o, "commit", str_or_null(f->commit));
	json_object_set_new(o, "fingerprint", str_or_null(f->fingerprint));
	json_object_set_new(o, "suggestion", str_or_null(f->suggestion));
	return o;
}

static json_t *entry_json(const pysec_entry *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", str_or_null(e->path));
	json_object_set_new(o, "line", e->line ? json_integer(e->line) : json_null());
	json_object_set_new(o, "kind", json_string(entry_word(e->kind)));
	json_object_set_new(o, "message", str_or_null(e->message));
	return o;
}

static int write_json(const struct pysec_report *r, const pysec_write_options *o, FILE *out)
{
	json_t *root = json_object(), *findings = json_array(), *errors = json_array(), *notes = json_array();
	size_t i;
	int rc;

	for (i = 0; i < r->nfindings; i++)
		if (pysec_finding_counts(&r->findings[i], &o->threshold))
			json_array_append_new(findings, finding_json(&r->findings[i]));
	for (i = 0; i < r->nentries; i++)
		json_array_append_new(r->entries[i].kind == PYSEC_ENTRY_ERROR ? errors : notes,
			entry_json(&r->entries[i]));
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "findings", findings);
	json_object_set_new(root, "errors", errors);
	json_object_set_new(root, "notes", notes);
	json_object_set_new(root, "blocking", json_integer((json_int_t)pysec_report_blocking(r, &o->threshold)));
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc == 0 ? 0 : error_set(PYSEC_ERROR, "cannot write JSON output");
}

int pysec_report_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	pysec_write_options defaults = PYSEC_WRITE_OPTIONS_INIT;

	if (!o)
		o = &defaults;
	if (o->format == PYSEC_FORMAT_JSON)
		return write_json(r, o, out);
	if (o->format == PYSEC_FORMAT_PUSH)
		write_push(r, o, out);
	else
		write_text(r, o, out);
	return ferror(out) ? error_set(PYSEC_ERROR, "cannot write the report") : 0;
}
