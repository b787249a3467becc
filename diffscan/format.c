/*
 * format.c: writing a report for people (text), for programs (JSON) and for
 * a push (remote: lines); the helpers every writer shares; and
 * pysec_report_write(), which picks the writer (format_*.h are the others).
 */
#include "report.h"
#include "emit.h"
#include "format_sarif.h"
#include "format_codequality.h"
#include "format_sast.h"
#include "format_junit.h"
#include "format_rdjson.h"
#include "format_github.h"

#include <stdlib.h>

static const char *color_of(pysec_level sev)
{
	return sev == PYSEC_LEVEL_HIGH ? "\033[1;31m" : sev == PYSEC_LEVEL_MEDIUM ? "\033[33m" : "\033[36m";
}

static const struct {
	const char *name;
	pysec_format format;
} formats[] = {
	{ "text", PYSEC_FORMAT_TEXT },
	{ "json", PYSEC_FORMAT_JSON },
	{ "sarif", PYSEC_FORMAT_SARIF },
	{ "gitlab-codequality", PYSEC_FORMAT_GITLAB_CODEQUALITY },
	{ "gitlab-sast", PYSEC_FORMAT_GITLAB_SAST },
	{ "junit", PYSEC_FORMAT_JUNIT },
	{ "rdjson", PYSEC_FORMAT_RDJSON },
	{ "github", PYSEC_FORMAT_GITHUB },
};

int pysec_format_parse(pysec_format *out, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		if (!strcmp(formats[i].name, name)) {
			*out = formats[i].format;
			return 0;
		}
	}
	return -1;
}

const char *pysec_format_names(void)
{
	return "text|json|sarif|gitlab-codequality|gitlab-sast|junit|rdjson|github";
}


/*
 * Scanned content on a terminal: control bytes could drive it, so they show
 * as '?'; characters that reorder or hide text (bidi overrides, C1
 * controls: "Trojan Source") show as <U+XXXX>, so that the line a reviewer
 * reads is the line the file holds.
 */
static void put_clean(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	for (; *p; p += n) {
		n = text_utf8_decode(p, &c);
		if (!n) {
			n = 1;
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
		} else if (c < 0x20 || c == 0x7f) {
			fputc('?', out);
		} else if (codepoint_is_sneaky(c)) {
			fprintf(out, "<U+%04X>", (unsigned)c);
		} else {
			fwrite(p, 1, n, out);
		}
	}
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
		n = text_utf8_decode(p, &c);
		if (!n || c < 0x20 || c == 0x7f || c == '"' || c == '\\' || codepoint_is_sneaky(c)) {
			quote = 1;
			break;
		}
	}
	if (!quote)
		return xstrdup(path);
	buf_puts(&b, "\"");
	for (p = (const unsigned char *)path; *p; p += n) {
		n = text_utf8_decode(p, &c);
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
		fprintf(out, ":%u:%u: %s%s%s [%s/%s] ", f->line, f->column_char ? f->column_char : f->column, on, f->rule, off,
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
		fprintf(out, "%s: ", emit_entry_word(e->kind));
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
		fprintf(out, "%spysec: %s: ", pre, emit_entry_word(e->kind));
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

static json_t *finding_json(const pysec_finding *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "rule", emit_json_string(f->rule));
	json_object_set_new(o, "title", emit_json_string(f->title));
	json_object_set_new(o, "severity", json_string(pysec_level_name(f->severity)));
	json_object_set_new(o, "confidence", json_string(pysec_level_name(f->confidence)));
	json_object_set_new(o, "cwe", f->cwe ? json_integer(f->cwe) : json_null());
	json_object_set_new(o, "path", emit_json_string(f->path));
	json_object_set_new(o, "line", json_integer(f->line));
	json_object_set_new(o, "column", json_integer(f->column));
	json_object_set_new(o, "end_line", json_integer(f->end_line));
	json_object_set_new(o, "end_column", json_integer(f->end_column));
	json_object_set_new(o, "message", emit_json_string(f->message));
	json_object_set_new(o, "fix", emit_json_string(f->fix));
	json_object_set_new(o, "code", emit_json_string(f->code));
	json_object_set_new(o, "commit", emit_json_string(f->commit));
	json_object_set_new(o, "fingerprint", emit_json_string(f->fingerprint));
	json_object_set_new(o, "suggestion", emit_json_string(f->suggestion));
	if (f->suppressed)
		json_object_set_new(o, "suppressed", json_true());
	/* a change-aware finding: the untouched call the touched line's value reaches */
	if (f->related_line)
		json_object_set_new(o, "related", json_pack("[{s:o, s:i, s:i, s:i, s:i, s:o, s:s}]",
			"path", emit_json_string(f->path), "line", (json_int_t)f->related_line,
			"column", (json_int_t)f->related_column, "end_line", (json_int_t)f->related_end_line,
			"end_column", (json_int_t)f->related_end_column, "code", emit_json_string(f->related_code),
			"message", "the call this line's value reaches"));
	return o;
}

static json_t *entry_json(const pysec_entry *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", emit_json_string(e->path));
	json_object_set_new(o, "line", e->line ? json_integer(e->line) : json_null());
	json_object_set_new(o, "kind", json_string(emit_entry_word(e->kind)));
	json_object_set_new(o, "message", emit_json_string(e->message));
	return o;
}

static int write_json(const struct pysec_report *r, const pysec_write_options *o, FILE *out)
{
	json_t *root = json_object(), *findings = json_array(), *errors = json_array(), *notes = json_array();
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const pysec_finding *f = &r->findings[i];
		if (pysec_finding_counts(f, &o->threshold) || (f->suppressed && f->confidence >= o->threshold.min_confidence))
			json_array_append_new(findings, finding_json(f));
	}
	for (i = 0; i < r->nentries; i++)
		json_array_append_new(r->entries[i].kind == PYSEC_ENTRY_ERROR ? errors : notes,
			entry_json(&r->entries[i]));
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "column_unit", json_string("bytes"));	/* text's count characters, SARIF's UTF-16 units */
	json_object_set_new(root, "findings", findings);
	json_object_set_new(root, "errors", errors);
	json_object_set_new(root, "notes", notes);
	json_object_set_new(root, "blocking", json_integer((json_int_t)pysec_report_blocking(r, &o->threshold)));
	return emit_json_dump(root, out);
}

int pysec_report_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	pysec_write_options defaults = PYSEC_WRITE_OPTIONS_INIT;

	if (!o)
		o = &defaults;
	switch (o->format) {
	case PYSEC_FORMAT_JSON: return write_json(r, o, out);
	case PYSEC_FORMAT_SARIF: return format_sarif_write(r, o, out);
	case PYSEC_FORMAT_GITLAB_CODEQUALITY: return format_codequality_write(r, o, out);
	case PYSEC_FORMAT_GITLAB_SAST: return format_sast_write(r, o, out);
	case PYSEC_FORMAT_JUNIT: return format_junit_write(r, o, out);
	case PYSEC_FORMAT_RDJSON: return format_rdjson_write(r, o, out);
	case PYSEC_FORMAT_GITHUB: return format_github_write(r, o, out);
	case PYSEC_FORMAT_PUSH: write_push(r, o, out); break;
	case PYSEC_FORMAT_TEXT: write_text(r, o, out); break;
	}
	return ferror(out) ? error_set(PYSEC_ERROR, "cannot write the report") : 0;
}
