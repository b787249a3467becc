/*
 * format_sarif.c: SARIF 2.1.0, as GitHub code scanning, GitLab and
 * DefectDojo read it: one run, whose tool lists the rules (with their help
 * and CWE, a reference into a CWE taxonomy), a result per finding with
 * pysec's fingerprint, the invocation with its exit code and the errors and
 * skipped files as notifications, and the commit scanned where it is known.
 *
 * Columns are counted in UTF-16 code units (columnKind utf16CodeUnits,
 * SARIF's default, which GitHub uses): the core reports both byte and
 * UTF-16 columns.  A relative path is a URI relative to the base id
 * SRCROOT (the top of the repository, or the directory of a --full scan);
 * an absolute one is a file: URI.
 */
#include "format_sarif.h"
#include "emit.h"

#include <stdlib.h>
#include <string.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SRCROOT "SRCROOT"
#define CWE_PAGE "https://cwe.mitre.org/data/definitions/%d.html"

static const char *level_of(pysec_level severity)
{
	return severity == PYSEC_LEVEL_HIGH ? "error" : severity == PYSEC_LEVEL_MEDIUM ? "warning" : "note";
}

/* GitHub's scale: 9 and over critical, 7 to 8.9 high, 4 to 6.9 medium, under 4 low. */
static const char *security_severity(pysec_level severity)
{
	return severity == PYSEC_LEVEL_HIGH ? "8.0" : severity == PYSEC_LEVEL_MEDIUM ? "5.0" : "2.0";
}

/* A message object; SARIF's plain text messages end with a period (the validator's SARIF2001). */
static json_t *message(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	json_t *m;
	char *t;

	if (n && strchr(".!?", s[n - 1]))
		return json_pack("{s:o}", "text", emit_json_string(s));
	t = xasprintf("%s.", s ? s : "");
	m = json_pack("{s:o}", "text", emit_json_string(t));
	free(t);
	return m;
}

/* Percent-encode every byte but RFC 3986's unreserved characters and '/'. */
static void put_uri_path(struct buf *b, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s;

	for (s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~/", *s)) {
			buf_put(b, s, 1);
		} else {
			char esc[3] = { '%', hex[*s >> 4], hex[*s & 15] };
			buf_put(b, esc, 3);
		}
	}
}

static json_t *file_uri(const char *dir)
{
	struct buf b = BUF_INIT(1u << 20);
	json_t *v;

	buf_puts(&b, "file://");
	put_uri_path(&b, dir);
	if (b.len && buf_cstr(&b)[b.len - 1] != '/')
		buf_puts(&b, "/");
	v = json_string(buf_cstr(&b));
	buf_free(&b);
	return v;
}

/* An artifactLocation: an absolute path as a file: URI, else relative to SRCROOT. */
static json_t *artifact_location(const char *path)
{
	struct buf b = BUF_INIT(1u << 20);
	json_t *loc;

	if (path[0] == '/')
		buf_puts(&b, "file://");
	else
		while (path[0] == '.' && path[1] == '/')
			path += 2;
	put_uri_path(&b, path);
	loc = json_pack("{s:s}", "uri", buf_cstr(&b));
	if (path[0] != '/')
		json_object_set_new(loc, "uriBaseId", json_string(SRCROOT));
	buf_free(&b);
	return loc;
}

/* --- rules and the CWE taxonomy ------------------------------------------- */

struct rules {
	const pysec_rule_info **v;	/* the engine's rules, or those the findings name */
	pysec_rule_info *own;		/* ... made from the findings when there is no engine */
	size_t len;
	int *cwes;			/* the taxa: distinct CWE ids, sorted */
	size_t ncwes;
};

static int int_order(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static long rule_index(const struct rules *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->len; i++)
		if (!strcmp(rs->v[i]->id, id))
			return (long)i;
	return -1;
}

static void rules_collect(struct rules *rs, const pysec_report *r, const pysec_write_options *o)
{
	const pysec_engine *e = o->run ? o->run->engine : NULL;
	size_t i, k, n = e ? pysec_engine_rule_count(e) : pysec_report_finding_count(r);

	rs->v = xcalloc(n + 1, sizeof(*rs->v));
	rs->own = xcalloc(n + 1, sizeof(*rs->own));
	rs->cwes = xcalloc(n + 1, sizeof(*rs->cwes));
	for (i = 0; i < n; i++) {
		const pysec_rule_info *info;
		if (e) {
			info = pysec_engine_rule(e, i);
			if (!info->enabled)
				continue;
		} else {
			const pysec_finding *f = pysec_report_finding(r, i);
			if (rule_index(rs, f->rule) >= 0)
				continue;
			rs->own[i].id = f->rule;
			rs->own[i].name = f->rule;
			rs->own[i].title = f->title;
			rs->own[i].message = f->message;
			rs->own[i].fix = f->fix;
			rs->own[i].severity = f->severity;
			rs->own[i].confidence = f->confidence;
			rs->own[i].cwe = f->cwe;
			info = &rs->own[i];
		}
		rs->v[rs->len++] = info;
		for (k = 0; k < rs->ncwes && rs->cwes[k] != info->cwe; k++)
			;
		if (info->cwe > 0 && k == rs->ncwes)
			rs->cwes[rs->ncwes++] = info->cwe;
	}
	qsort(rs->cwes, rs->ncwes, sizeof(*rs->cwes), int_order);
}

static void rules_release(struct rules *rs)
{
	free(rs->v);
	free(rs->own);
	free(rs->cwes);
}

static json_t *rule_help(const pysec_rule_info *info)
{
	struct buf text = BUF_INIT(1u << 20), md = BUF_INIT(1u << 20);
	json_t *help;

	buf_printf(&text, "%s", info->message ? info->message : "");
	buf_printf(&md, "%s", info->message ? info->message : "");
	if (info->why) {
		buf_printf(&text, "\n\nWhy: %s", info->why);
		buf_printf(&md, "\n\n**Why:** %s", info->why);
	}
	if (info->fix) {
		buf_printf(&text, "\n\nFix: %s", info->fix);
		buf_printf(&md, "\n\n**Fix:** %s", info->fix);
	}
	if (info->example) {
		buf_printf(&text, "\n\nExample:\n    %s", info->example);
		buf_printf(&md, "\n\n**Example:**\n\n```python\n%s\n```", info->example);
	}
	help = json_pack("{s:o, s:o}", "text", emit_json_string(buf_cstr(&text)),
		"markdown", emit_json_string(buf_cstr(&md)));
	buf_free(&text);
	buf_free(&md);
	return help;
}

static json_t *rule_json(const struct rules *rs, const pysec_rule_info *info)
{
	json_t *rule, *tags = json_array(), *props;
	size_t k;

	rule = json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:s}}",
		"id", emit_json_string(info->id),
		"name", emit_json_string(info->name),
		"shortDescription", message(info->title ? info->title : info->name),
		"fullDescription", message(info->why ? info->why : info->message),
		"help", rule_help(info),
		"defaultConfiguration", "level", level_of(info->severity));
	json_array_append_new(tags, json_string("security"));
	if (info->cwe > 0) {
		char tag[48];
		snprintf(tag, sizeof(tag), "external/cwe/cwe-%d", info->cwe);
		json_array_append_new(tags, json_string(tag));
		for (k = 0; k < rs->ncwes && rs->cwes[k] != info->cwe; k++)
			;
		snprintf(tag, sizeof(tag), "%d", info->cwe);
		json_object_set_new(rule, "relationships", json_pack("[{s:{s:s, s:I, s:{s:s, s:i}}, s:[s]}]",
			"target", "id", tag, "index", (json_int_t)k, "toolComponent", "name", "CWE", "index", 0,
			"kinds", "superset"));
	}
	props = json_pack("{s:o, s:s, s:s, s:s}", "tags", tags,
		"precision", pysec_level_name(info->confidence),
		"security-severity", security_severity(info->severity),
		"confidence", pysec_level_name(info->confidence));
	json_object_set_new(rule, "properties", props);
	return rule;
}

static json_t *cwe_taxonomy(const struct rules *rs)
{
	json_t *taxa = json_array();
	size_t i;

	for (i = 0; i < rs->ncwes; i++) {
		char id[16], page[80];
		snprintf(id, sizeof(id), "%d", rs->cwes[i]);
		snprintf(page, sizeof(page), CWE_PAGE, rs->cwes[i]);
		json_array_append_new(taxa, json_pack("{s:s, s:s}", "id", id, "helpUri", page));
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", "CWE", "organization", "MITRE",
		"informationUri", "https://cwe.mitre.org/",
		"shortDescription", message("The MITRE Common Weakness Enumeration"), "taxa", taxa);
}

/* --- results and notifications --------------------------------------------- */

static json_t *result_json(const struct rules *rs, const pysec_finding *f, const pysec_write_options *o)
{
	json_t *res, *region, *props;
	long idx = rule_index(rs, f->rule);

	region = json_pack("{s:i, s:i, s:i, s:i}", "startLine", (int)f->line,
		"startColumn", (int)(f->column_utf16 ? f->column_utf16 : f->column),
		"endLine", (int)f->end_line,
		"endColumn", (int)(f->end_column_utf16 ? f->end_column_utf16 : f->end_column));
	res = json_pack("{s:o, s:s, s:o, s:[{s:{s:o, s:o}}], s:{s:o}}",
		"ruleId", emit_json_string(f->rule),
		"level", level_of(f->severity),
		"message", message(f->message),
		"locations", "physicalLocation", "artifactLocation", artifact_location(f->path), "region", region,
		"partialFingerprints", "pysec/v1", emit_json_string(f->fingerprint));
	if (idx >= 0)
		json_object_set_new(res, "ruleIndex", json_integer(idx));
	/* a change-aware finding: the untouched call the touched line's value reaches */
	if (f->related_line)
		json_object_set_new(res, "relatedLocations", json_pack("[{s:i, s:{s:o, s:{s:i, s:i, s:i, s:i}}, s:{s:s}}]",
			"id", 1, "physicalLocation", "artifactLocation", artifact_location(f->path), "region",
			"startLine", (int)f->related_line, "startColumn", (int)f->related_column_utf16,
			"endLine", (int)f->related_end_line, "endColumn", (int)f->related_end_column_utf16,
			"message", "text", "the call this line's value reaches"));
	if (f->suppressed)
		json_object_set_new(res, "suppressions", json_pack("[{s:s, s:s}]", "kind", "inSource",
			"justification", "# nosec"));
	props = json_pack("{s:s, s:s, s:b}", "severity", pysec_level_name(f->severity),
		"confidence", pysec_level_name(f->confidence), "blocking", pysec_finding_blocks(f, &o->threshold));
	if (f->commit)
		json_object_set_new(props, "commit", emit_json_string(f->commit));
	json_object_set_new(res, "properties", props);
	return res;
}

/* Errors, skipped files and warnings: notifications of the invocation. */
static json_t *notification_json(const pysec_entry *e)
{
	const char *level = e->kind == PYSEC_ENTRY_ERROR ? "error" : e->kind == PYSEC_ENTRY_WARNING ? "warning" : "note";
	json_t *n = json_pack("{s:s, s:o, s:{s:s}}", "level", level, "message", message(e->message),
		"descriptor", "id", emit_entry_word(e->kind));

	if (e->path) {
		json_t *phys = json_pack("{s:o}", "artifactLocation", artifact_location(e->path));
		if (e->line)
			json_object_set_new(phys, "region", json_pack("{s:i}", "startLine", (int)e->line));
		json_object_set_new(n, "locations", json_pack("[{s:o}]", "physicalLocation", phys));
	}
	return n;
}

static json_t *invocation_json(const pysec_report *r, const pysec_run_info *run)
{
	json_t *inv, *notes = json_array();
	size_t i;

	for (i = 0; i < pysec_report_entry_count(r); i++)
		json_array_append_new(notes, notification_json(pysec_report_entry(r, i)));
	inv = json_pack("{s:b, s:o}", "executionSuccessful", !run || run->exit_code < 2,
		"toolExecutionNotifications", notes);
	if (run) {
		char when[32];
		json_object_set_new(inv, "exitCode", json_integer(run->exit_code));
		if (run->start_time > 0) {
			emit_utc(when, run->start_time, 1);
			json_object_set_new(inv, "startTimeUtc", json_string(when));
		}
		if (run->end_time > 0) {
			emit_utc(when, run->end_time, 1);
			json_object_set_new(inv, "endTimeUtc", json_string(when));
		}
		if (run->root)
			json_object_set_new(inv, "workingDirectory", json_pack("{s:o}", "uri", file_uri(run->root)));
	}
	return inv;
}

int format_sarif_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	const pysec_run_info *run = o->run;
	struct rules rs;
	json_t *root, *runj, *rules = json_array(), *results = json_array(), *driver;
	size_t i;

	memset(&rs, 0, sizeof(rs));
	rules_collect(&rs, r, o);
	for (i = 0; i < rs.len; i++)
		json_array_append_new(rules, rule_json(&rs, rs.v[i]));
	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *f = pysec_report_finding(r, i);
		if (emit_shows(f, o) || (f->suppressed && f->confidence >= o->threshold.min_confidence))
			json_array_append_new(results, result_json(&rs, f, o));
	}
	driver = json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", "pysec", "version", PYSEC_VERSION,
		"semanticVersion", PYSEC_VERSION, "informationUri", PYSEC_URL, "rules", rules);
	if (rs.ncwes)
		json_object_set_new(driver, "supportedTaxonomies", json_pack("[{s:s, s:i}]", "name", "CWE", "index", 0));
	runj = json_pack("{s:{s:o}, s:[o], s:s, s:o}", "tool", "driver", driver,
		"invocations", invocation_json(r, run), "columnKind", "utf16CodeUnits", "results", results);
	if (rs.ncwes)
		json_object_set_new(runj, "taxonomies", json_pack("[o]", cwe_taxonomy(&rs)));
	if (run && run->root)
		json_object_set_new(runj, "originalUriBaseIds", json_pack("{s:{s:o}}", SRCROOT, "uri", file_uri(run->root)));
	if (run && run->repository_uri && run->revision) {
		json_t *vcs = json_pack("{s:o, s:o, s:{s:s}}", "repositoryUri", emit_json_string(run->repository_uri),
			"revisionId", emit_json_string(run->revision), "mappedTo", "uriBaseId", SRCROOT);
		if (run->branch)
			json_object_set_new(vcs, "branch", emit_json_string(run->branch));
		json_object_set_new(runj, "versionControlProvenance", json_pack("[o]", vcs));
	}
	root = json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", runj);
	rules_release(&rs);
	return emit_json_dump(root, out);
}
