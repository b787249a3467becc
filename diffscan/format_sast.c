/*
 * format_sast.c: GitLab's security report for SAST (artifacts:reports:
 * sast), schema version 15.0.7 (security-report-schemas'
 * dist/sast-report-format.json): the scan (analyzer and scanner, times,
 * status, and the errors and skipped files as messages) and a
 * vulnerability per finding, whose identifiers are the rule (the primary
 * one) and its CWE.  A vulnerability's id is a UUID made from the
 * finding's fingerprint and path, so it is the same from run to run.
 */
#include "format_sast.h"
#include "emit.h"

#include <string.h>

#define SAST_VERSION "15.0.7"
#define SAST_SCHEMA "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v" \
	SAST_VERSION "/dist/sast-report-format.json"

static const char *severity_of(pysec_level severity)
{
	return severity == PYSEC_LEVEL_HIGH ? "High" : severity == PYSEC_LEVEL_MEDIUM ? "Medium" : "Low";
}

/* A version 5 style UUID (RFC 4122 layout) from two 64-bit hashes of the finding's identity. */
static void stable_uuid(char out[37], const pysec_finding *f)
{
	uint64_t a = hash_bytes(f->path, strlen(f->path) + 1, HASH_SEED);
	uint64_t b;

	a = hash_bytes(f->fingerprint ? f->fingerprint : "", f->fingerprint ? strlen(f->fingerprint) : 0, a);
	b = hash_bytes(f->rule, strlen(f->rule), a ^ 0x9e3779b97f4a7c15ULL);
	snprintf(out, 37, "%08x-%04x-5%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		(unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		(unsigned long long)(b & 0xffffffffffffULL));
}

static json_t *vulnerability_json(const pysec_finding *f)
{
	char id[37];
	json_t *v, *ids;

	stable_uuid(id, f);
	ids = json_pack("[{s:s, s:o, s:o}]", "type", "pysec_rule_id",
		"name", emit_json_string(f->title ? f->title : f->rule), "value", emit_json_string(f->rule));
	if (f->cwe > 0) {
		char name[32], value[16], url[80];
		snprintf(name, sizeof(name), "CWE-%d", f->cwe);
		snprintf(value, sizeof(value), "%d", f->cwe);
		snprintf(url, sizeof(url), "https://cwe.mitre.org/data/definitions/%d.html", f->cwe);
		json_array_append_new(ids, json_pack("{s:s, s:s, s:s, s:s}", "type", "cwe", "name", name,
			"value", value, "url", url));
	}
	v = json_pack("{s:s, s:o, s:o, s:s, s:o, s:{s:o, s:i, s:i}}",
		"id", id,
		"name", emit_json_string(f->title ? f->title : f->rule),
		"description", emit_json_string(f->message),
		"severity", severity_of(f->severity),
		"identifiers", ids,
		"location", "file", emit_json_string(f->path), "start_line", (int)f->line, "end_line", (int)f->end_line);
	if (f->fix)
		json_object_set_new(v, "solution", emit_json_string(f->fix));
	if (f->code)
		json_object_set_new(v, "raw_source_code_extract", emit_json_string(f->code));
	return v;
}

static json_t *scan_json(const pysec_report *r, const pysec_run_info *run)
{
	char start[32], end[32];
	json_t *messages = json_array(), *tool;
	size_t i;

	for (i = 0; i < pysec_report_entry_count(r); i++) {
		const pysec_entry *e = pysec_report_entry(r, i);
		struct buf text = BUF_INIT(1u << 20);
		if (e->path)
			buf_printf(&text, e->line ? "%s:%u: " : "%s: ", e->path, e->line);
		buf_printf(&text, "%s: %s", emit_entry_word(e->kind), e->message);
		json_array_append_new(messages, json_pack("{s:s, s:o}", "level",
			e->kind == PYSEC_ENTRY_SKIPPED ? "info" : "warn", "value", emit_json_string(buf_cstr(&text))));
		buf_free(&text);
	}
	emit_utc(start, run ? run->start_time : 0, 0);
	emit_utc(end, run ? run->end_time : 0, 0);
	tool = json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", "pysec", "name", "pysec", "version", PYSEC_VERSION,
		"vendor", "name", "pysec");
	return json_pack("{s:O, s:o, s:s, s:s, s:s, s:s, s:o}", "analyzer", tool, "scanner", tool,
		"type", "sast", "start_time", start, "end_time", end,
		"status", run && run->exit_code >= 2 ? "failure" : "success", "messages", messages);
}

int format_sast_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	json_t *vulns = emit_json_each(r, o, vulnerability_json);

	return emit_json_dump(json_pack("{s:s, s:s, s:o, s:o}", "version", SAST_VERSION, "schema", SAST_SCHEMA,
		"scan", scan_json(r, o->run), "vulnerabilities", vulns), out);
}
