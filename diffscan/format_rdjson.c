/*
 * format_rdjson.c: reviewdog's Diagnostic Format (rdjson: `reviewdog
 * -f=rdjson`), a DiagnosticResult with a diagnostic per finding: message,
 * location with a range (columns count bytes, as rdjson's do), severity,
 * code (the rule id, linked to its CWE), and, where the rule rewrites the
 * line, a suggestion that replaces the whole line.
 */
#include "format_rdjson.h"
#include "emit.h"

#include <string.h>

static const char *severity_of(pysec_level severity)
{
	return severity == PYSEC_LEVEL_HIGH ? "ERROR" : severity == PYSEC_LEVEL_MEDIUM ? "WARNING" : "INFO";
}

static json_t *position(uint32_t line, uint32_t column)
{
	return json_pack("{s:i, s:i}", "line", (int)line, "column", (int)column);
}

static json_t *diagnostic_json(const pysec_finding *f)
{
	struct buf msg = BUF_INIT(1u << 20);
	json_t *d, *code;

	buf_printf(&msg, "%s [%s/%s] %s", f->rule, pysec_level_name(f->severity), pysec_level_name(f->confidence),
		f->message ? f->message : "");
	if (f->fix)
		buf_printf(&msg, "\nfix: %s", f->fix);
	code = json_pack("{s:o}", "value", emit_json_string(f->rule));
	if (f->cwe > 0) {
		char url[80];
		snprintf(url, sizeof(url), "https://cwe.mitre.org/data/definitions/%d.html", f->cwe);
		json_object_set_new(code, "url", json_string(url));
	}
	d = json_pack("{s:o, s:{s:o, s:{s:o, s:o}}, s:s, s:{s:s}, s:o}",
		"message", emit_json_string(buf_cstr(&msg)),
		"location", "path", emit_json_string(f->path),
		"range", "start", position(f->line, f->column), "end", position(f->end_line, f->end_column),
		"severity", severity_of(f->severity),
		"source", "name", "pysec",
		"code", code);
	buf_free(&msg);
	if (f->suggestion) {
		/* the line from its first column to the start of the next: the whole line and its newline */
		char *text = xasprintf("%s\n", f->suggestion);
		json_object_set_new(d, "suggestions", json_pack("[{s:{s:o, s:o}, s:o}]",
			"range", "start", position(f->line, 1), "end", position(f->line + 1, 1),
			"text", emit_json_string(text)));
		free(text);
	}
	return d;
}

int format_rdjson_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	json_t *diags = emit_json_each(r, o, diagnostic_json);

	return emit_json_dump(json_pack("{s:{s:s}, s:o}", "source", "name", "pysec", "diagnostics", diags), out);
}
