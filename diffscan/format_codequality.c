/*
 * format_codequality.c: GitLab's Code Quality report (artifacts:reports:
 * codequality), an array of issues with the fields GitLab documents:
 * description, check_name, fingerprint, severity (info, minor, major,
 * critical or blocker), location.path and location.lines.begin; plus
 * categories and, for the issue's page, a body with the fix.
 */
#include "format_codequality.h"
#include "emit.h"

#include <string.h>

static const char *severity_of(pysec_level severity)
{
	return severity == PYSEC_LEVEL_HIGH ? "critical" : severity == PYSEC_LEVEL_MEDIUM ? "major" : "minor";
}

static json_t *issue_json(const pysec_finding *f)
{
	struct buf desc = BUF_INIT(1u << 20), body = BUF_INIT(1u << 20);
	json_t *issue;

	buf_printf(&desc, "%s: %s", f->rule, f->message ? f->message : "");
	buf_printf(&body, "%s", f->message ? f->message : "");
	if (f->fix)
		buf_printf(&body, "\n\nFix: %s", f->fix);
	issue = json_pack("{s:s, s:o, s:o, s:o, s:s, s:[s], s:{s:o, s:{s:i, s:i}}, s:{s:o}}",
		"type", "issue",
		"check_name", emit_json_string(f->rule),
		"description", emit_json_string(buf_cstr(&desc)),
		"fingerprint", emit_json_string(f->fingerprint),
		"severity", severity_of(f->severity),
		"categories", "Security",
		"location", "path", emit_json_string(f->path), "lines", "begin", (int)f->line, "end", (int)f->end_line,
		"content", "body", emit_json_string(buf_cstr(&body)));
	buf_free(&desc);
	buf_free(&body);
	return issue;
}

int format_codequality_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	json_t *issues = emit_json_each(r, o, issue_json);

	return emit_json_dump(issues, out);
}
