/*
 * test_format.c: the JSON report (pysec_report_write with PYSEC_FORMAT_JSON),
 * read back with jansson, and the fingerprints it carries.
 *
 * The format is the one README.md documents under "JSON": the keys below,
 * and no others, so that a consumer can rely on them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pysec.h>
#include "util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pysec_engine *engine;

static int engine_setup(void **state)
{
	return pysec_engine_new(&engine, NULL);
}

static int engine_teardown(void **state)
{
	pysec_engine_free(engine);
	return 0;
}

static pysec_report *scan_len(const char *path, const char *src, size_t len)
{
	pysec_report *r;

	assert_int_equal(pysec_report_new(&r), 0);
	assert_int_equal(pysec_scan_buffer(r, engine, path, src, len), 0);
	pysec_report_sort(r);
	return r;
}

static pysec_report *scan(const char *src)
{
	return scan_len("app/x.py", src, strlen(src));
}

/* The report as JSON, parsed back; the test fails if it is not valid JSON. */
static json_t *to_json_with(const pysec_report *r, const pysec_write_options *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_error_t err;
	json_t *root;

	assert_non_null(f);
	assert_int_equal(pysec_report_write(r, o, f), 0);
	assert_int_equal(fclose(f), 0);
	root = json_loadb(text, len, 0, &err);
	if (!root)
		fail_msg("not JSON (%s at line %d): %s", err.text, err.line, text);
	free(text);
	return root;
}

static json_t *to_json(const pysec_report *r)
{
	pysec_write_options o = PYSEC_WRITE_OPTIONS_INIT;

	o.format = PYSEC_FORMAT_JSON;
	return to_json_with(r, &o);
}

/* The object has exactly the keys of `keys` (NULL-terminated), in any order. */
static void assert_keys(const json_t *obj, const char *const *keys, const char *what)
{
	const char *key;
	json_t *value;
	size_t n = 0, i;

	assert_true(json_is_object(obj));
	for (i = 0; keys[i]; i++, n++)
		if (!json_object_get(obj, keys[i]))
			fail_msg("%s: no key \"%s\"", what, keys[i]);
	json_object_foreach((json_t *)obj, key, value) {
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i])
			fail_msg("%s: unexpected key \"%s\"", what, key);
	}
	assert_int_equal(json_object_size(obj), n);
}

static const char *const report_keys[] = {
	"version", "column_unit", "findings", "errors",
	"notes", "blocking",
	NULL
};

static const char *const finding_keys[] = {
	"rule", "severity", "confidence", "cwe", "path", "line", "column", "end_line",
	"end_column", "message", "fix", "commit", "fingerprint",
	"title", "code", "suggestion",
	NULL
};

static const char *const entry_keys[] = { "path", "line", "kind", "message", NULL };

static int is_level(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && (!strcmp(s, "low") || !strcmp(s, "medium") || !strcmp(s, "high"));
}

static int is_fingerprint(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i;

	if (!s || strlen(s) != 16)
		return 0;
	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static json_t *finding(json_t *root, size_t i)
{
	json_t *f = json_array_get(json_object_get(root, "findings"), i);

	assert_non_null(f);
	return f;
}

/* The first finding of `rule` in the JSON report. */
static json_t *finding_of(json_t *root, const char *rule)
{
	json_t *findings = json_object_get(root, "findings"), *f;
	size_t i;

	json_array_foreach(findings, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "rule")), rule))
			return f;
	fail_msg("no %s finding", rule);
	return NULL;
}

static json_int_t int_of(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *str_of(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* --- the shape of the document ------------------------------------------------- */

static void report_has_exactly_the_documented_keys(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(cmd, shell=True)  # nosec B999\n"
		"def broken(:\n");
	json_t *root = to_json(r), *f, *e;
	size_t i;

	assert_keys(root, report_keys, "report");
	assert_int_equal(int_of(root, "version"), 1);
	assert_true(json_is_array(json_object_get(root, "findings")));
	assert_true(json_is_array(json_object_get(root, "errors")));
	assert_true(json_is_array(json_object_get(root, "notes")));
	assert_true(json_array_size(json_object_get(root, "findings")) > 0);
	json_array_foreach(json_object_get(root, "findings"), i, f)
		assert_keys(f, finding_keys, "finding");
	assert_int_equal(json_array_size(json_object_get(root, "errors")), 1);	/* the syntax error */
	json_array_foreach(json_object_get(root, "errors"), i, e)
		assert_keys(e, entry_keys, "error");
	assert_int_equal(json_array_size(json_object_get(root, "notes")), 1);	/* the nosec warning */
	json_array_foreach(json_object_get(root, "notes"), i, e)
		assert_keys(e, entry_keys, "note");
	json_decref(root);
	pysec_report_free(r);
}

static void finding_fields_have_their_types(void **state)
{
	pysec_report *r = scan("import subprocess\nsubprocess.call(cmd, shell=True)\n");
	json_t *root = to_json(r), *f;

	f = finding_of(root, "B602");
	assert_string_equal(str_of(f, "rule"), "B602");
	assert_true(is_level(json_object_get(f, "severity")));
	assert_string_equal(str_of(f, "severity"), "high");
	assert_true(is_level(json_object_get(f, "confidence")));
	assert_int_equal(int_of(f, "cwe"), 78);
	assert_string_equal(str_of(f, "path"), "app/x.py");
	assert_int_equal(int_of(f, "line"), 2);
	assert_int_equal(int_of(f, "end_line"), 2);
	assert_non_null(str_of(f, "message"));
	assert_non_null(str_of(f, "fix"));
	assert_true(json_is_null(json_object_get(f, "commit")));	/* a buffer has no commit */
	assert_true(is_fingerprint(json_object_get(f, "fingerprint")));
	assert_string_equal(str_of(f, "code"), "subprocess.call(cmd, shell=True)");
	json_decref(root);
	pysec_report_free(r);
}

static void empty_report(void **state)
{
	pysec_report *r = scan("x = 1\n");
	json_t *root = to_json(r);

	assert_keys(root, report_keys, "report");
	assert_int_equal(json_array_size(json_object_get(root, "findings")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "errors")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "notes")), 0);
	assert_int_equal(int_of(root, "blocking"), 0);
	json_decref(root);
	pysec_report_free(r);
}

static void syntax_error_entry(void **state)
{
	pysec_report *r = scan("x = 1\ndef broken(:\n    pass\n");
	json_t *root = to_json(r), *e;

	e = json_array_get(json_object_get(root, "errors"), 0);
	assert_non_null(e);
	assert_string_equal(str_of(e, "path"), "app/x.py");
	assert_int_equal(int_of(e, "line"), 2);
	assert_string_equal(str_of(e, "kind"), "error");
	assert_non_null(strstr(str_of(e, "message"), "syntax error"));
	json_decref(root);
	pysec_report_free(r);
}

/* --- places ------------------------------------------------------------------------ */

static void column_is_one_based(void **state)
{
	pysec_report *r = scan("eval(a)\n"
		"x = eval(b)\n"
		"\tassert c\n");
	json_t *root = to_json(r), *f;

	f = finding(root, 0);	/* eval(a): the first byte of the line */
	assert_string_equal(str_of(f, "rule"), "B307");
	assert_int_equal(int_of(f, "line"), 1);
	assert_int_equal(int_of(f, "column"), 1);
	assert_int_equal(int_of(f, "end_line"), 1);
	assert_int_equal(int_of(f, "end_column"), 8);	/* just past the ')' */
	f = finding(root, 1);	/* eval(b) after "x = " */
	assert_string_equal(str_of(f, "rule"), "B307");
	assert_int_equal(int_of(f, "line"), 2);
	assert_int_equal(int_of(f, "column"), 5);
	assert_int_equal(int_of(f, "end_column"), 12);
	json_decref(root);
	pysec_report_free(r);
}

static void columns_count_bytes(void **state)
{
	/* "é" is two bytes: the call starts at byte 10, column 11 */
	pysec_report *r = scan("s = \"\xc3\xa9\"; eval(s)\n");
	json_t *root = to_json(r), *f = finding_of(root, "B307");

	assert_int_equal(int_of(f, "column"), 11);
	json_decref(root);
	pysec_report_free(r);
}

/* The first finding of `rule` in `src`, from the report itself (the UTF-16 columns are not in JSON). */
static const pysec_finding *first_of(pysec_report *r, const char *rule)
{
	size_t i;

	for (i = 0; i < pysec_report_finding_count(r); i++)
		if (!strcmp(pysec_report_finding(r, i)->rule, rule))
			return pysec_report_finding(r, i);
	fail_msg("no %s finding", rule);
	return NULL;
}

static void utf16_columns_count_code_units(void **state)
{
	/* "é" (two bytes) is one unit, "😀" (four) two, "日" (three) one: eval starts after 17 bytes, 12 units */
	pysec_report *r = scan("s = \"\xc3\xa9\xf0\x9f\x98\x80\xe6\x97\xa5\"; eval(s)  # \xf0\x9f\x98\x80\n");
	const pysec_finding *f = first_of(r, "B307");

	assert_int_equal(f->column, 18);
	assert_int_equal(f->column_utf16, 13);
	assert_int_equal(f->end_column, 25);
	assert_int_equal(f->end_column_utf16, 20);
	pysec_report_free(r);
}

static void utf16_columns_count_a_stray_byte_as_one_unit(void **state)
{
	/* 0xff and a lone continuation byte are not UTF-8: a reader shows each as one U+FFFD */
	pysec_report *r = scan("s = \"\xff\x80\"; eval(s)\n");
	const pysec_finding *f = first_of(r, "B307");

	assert_int_equal(f->column, 11);
	assert_int_equal(f->column_utf16, 11);
	pysec_report_free(r);
}

static void utf16_end_column_on_a_later_line(void **state)
{
	pysec_report *r = scan("eval(\"\xe6\x97\xa5\" +\n     \"\xf0\x9f\x98\x80\")\n");
	const pysec_finding *f = first_of(r, "B307");

	assert_int_equal(f->end_line, 2);
	assert_int_equal(f->end_column, 13);		/* past 5 blanks, a quote, 4 bytes, a quote, a paren */
	assert_int_equal(f->end_column_utf16, 11);	/* the 4 bytes are 2 units */
	pysec_report_free(r);
}

/* A suppressed finding shown (pysec.showSuppressed) leaves the others' fingerprints as they were. */
static void suppressed_findings_keep_the_others_fingerprints(void **state)
{
	const char *src = "eval(a)  # nosec\neval(a)\n";
	pysec_config *cfg;
	pysec_engine *shows;
	pysec_report *plain = scan(src), *both;
	const pysec_finding *f;

	pysec_config_new(&cfg);
	pysec_config_set(cfg, "pysec.showSuppressed", "true");
	assert_int_equal(pysec_engine_new(&shows, cfg), 0);
	pysec_report_new(&both);
	assert_int_equal(pysec_scan_buffer(both, shows, "app/x.py", src, strlen(src)), 0);
	pysec_report_sort(both);
	assert_int_equal(pysec_report_finding_count(plain), 1);
	assert_int_equal(pysec_report_finding_count(both), 2);
	f = pysec_report_finding(both, 0);
	assert_true(f->suppressed);
	assert_false(pysec_finding_counts(f, &(pysec_threshold){ PYSEC_LEVEL_LOW, PYSEC_LEVEL_LOW }));
	assert_false(pysec_report_finding(both, 1)->suppressed);
	assert_string_equal(pysec_report_finding(both, 1)->fingerprint, pysec_report_finding(plain, 0)->fingerprint);
	pysec_report_free(both);
	pysec_report_free(plain);
	pysec_engine_free(shows);
	pysec_config_free(cfg);
}

/* --- fingerprints ---------------------------------------------------------------- */

/* The fingerprint of the first finding of `rule` when `src` is scanned. */
static char *fingerprint_of(const char *src, const char *rule, json_int_t *line)
{
	pysec_report *r = scan(src);
	json_t *root = to_json(r), *f = finding_of(root, rule);
	char *fp = strdup(str_of(f, "fingerprint"));

	if (line)
		*line = int_of(f, "line");
	json_decref(root);
	pysec_report_free(r);
	return fp;
}

static void fingerprint_is_stable_when_lines_are_inserted_above(void **state)
{
	json_int_t before_line, after_line;
	char *before = fingerprint_of("import subprocess\n"
		"def deploy(cmd):\n"
		"    subprocess.call(cmd, shell=True)\n", "B602", &before_line);
	char *after = fingerprint_of("import subprocess\n"
		"import os\n"
		"\n"
		"# a comment, and a function above\n"
		"def helper():\n"
		"    return 1\n"
		"\n"
		"def deploy(cmd):\n"
		"    subprocess.call(cmd, shell=True)\n", "B602", &after_line);

	assert_int_equal(before_line, 3);
	assert_int_equal(after_line, 9);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void fingerprint_ignores_white_space_changes(void **state)
{
	char *a = fingerprint_of("eval(x)\n", "B307", NULL);
	char *b = fingerprint_of("eval( x )\n", "B307", NULL);

	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void fingerprint_differs_for_other_code_scope_path_or_rule(void **state)
{
	char *base = fingerprint_of("eval(x)\n", "B307", NULL);
	char *other_code = fingerprint_of("eval(y)\n", "B307", NULL);
	char *other_scope = fingerprint_of("def f():\n    eval(x)\n", "B307", NULL);
	pysec_report *r = scan_len("app/other.py", "eval(x)\n", 8);
	json_t *root = to_json(r);
	const char *other_path = str_of(finding_of(root, "B307"), "fingerprint");

	assert_string_not_equal(base, other_code);
	assert_string_not_equal(base, other_scope);
	assert_string_not_equal(base, other_path);
	json_decref(root);
	pysec_report_free(r);
	free(base);
	free(other_code);
	free(other_scope);
}

static void fingerprint_is_made_of_the_flagged_code_only(void **state)
{
	/* B107 flags the signature (line 1, columns 1-34), not the body */
	char a[32], b[32];
	char *before = fingerprint_of("def login(user, password=\"admin\"):\n"
		"    return check(user)\n", "B107", NULL);
	char *after = fingerprint_of("def login(user, password=\"admin\"):\n"
		"    log(\"login attempt\")\n"
		"    return check(user)\n", "B107", NULL);

	/*
	 * The fingerprint hashes the flagged span only, as README says ("made
	 * of ... the flagged code"), not the whole node it starts at: an edit
	 * to the body of a function whose default is flagged leaves the
	 * finding's fingerprint as it was.
	 */
	snprintf(a, sizeof(a), "%s", before);
	snprintf(b, sizeof(b), "%s", after);
	free(before);
	free(after);
	assert_string_equal(a, b);
}

static void identical_findings_in_one_file_differ(void **state)
{
	pysec_report *r = scan("eval(x)\n"
		"eval(x)\n"
		"eval(x)\n");
	json_t *root = to_json(r);
	const char *a, *b, *c;

	assert_int_equal(json_array_size(json_object_get(root, "findings")), 3);
	a = str_of(finding(root, 0), "fingerprint");
	b = str_of(finding(root, 1), "fingerprint");
	c = str_of(finding(root, 2), "fingerprint");
	assert_string_not_equal(a, b);
	assert_string_not_equal(b, c);
	assert_string_not_equal(a, c);
	json_decref(root);
	pysec_report_free(r);
}

static void identical_findings_keep_their_fingerprints_when_lines_are_inserted_above(void **state)
{
	pysec_report *r1 = scan("eval(x)\neval(x)\n");
	pysec_report *r2 = scan("import os\n\n\neval(x)\neval(x)\n");
	json_t *j1 = to_json(r1), *j2 = to_json(r2);

	assert_string_equal(str_of(finding(j1, 0), "fingerprint"), str_of(finding(j2, 0), "fingerprint"));
	assert_string_equal(str_of(finding(j1, 1), "fingerprint"), str_of(finding(j2, 1), "fingerprint"));
	assert_int_equal(int_of(finding(j2, 0), "line"), 4);
	json_decref(j1);
	json_decref(j2);
	pysec_report_free(r1);
	pysec_report_free(r2);
}

/* --- options and content ------------------------------------------------------------ */

static void findings_below_min_confidence_are_left_out(void **state)
{
	/* B604 has low confidence, B307 high */
	pysec_report *r = scan("utils.execute(cmd, shell=True)\neval(x)\n");
	pysec_write_options o = PYSEC_WRITE_OPTIONS_INIT;
	json_t *root;

	o.format = PYSEC_FORMAT_JSON;
	o.threshold.min_confidence = PYSEC_LEVEL_MEDIUM;
	o.threshold.fail_on = PYSEC_LEVEL_HIGH;
	root = to_json_with(r, &o);
	assert_int_equal(json_array_size(json_object_get(root, "findings")), 1);
	assert_string_equal(str_of(finding(root, 0), "rule"), "B307");
	assert_int_equal(int_of(root, "blocking"), 0);	/* B307 is medium severity */
	json_decref(root);
	pysec_report_free(r);
}

static void invalid_utf8_content_still_gives_valid_json(void **state)
{
	static const char src[] = "eval(x)  # \xff\xfe caf\xc3\n";
	pysec_report *r = scan_len("bad\xff.py", src, sizeof(src) - 1);
	json_t *root = to_json(r), *f = finding_of(root, "B307");

	/* jansson accepted the document, so every string in it is UTF-8 */
	assert_int_equal(int_of(f, "line"), 1);
	assert_non_null(str_of(f, "path"));
	assert_non_null(str_of(f, "code"));
	json_decref(root);
	pysec_report_free(r);
}

static void control_bytes_survive_the_round_trip(void **state)
{
	static const char src[] = "eval(x)  # \x1b[31m red \x07\r\n";
	pysec_report *r = scan_len("app/x.py", src, sizeof(src) - 1);
	json_t *root = to_json(r);

	assert_non_null(strstr(str_of(finding_of(root, "B307"), "code"), "\x1b[31m"));
	json_decref(root);
	pysec_report_free(r);
}

static void check_quote(const char *path, const char *want)
{
	char *got = pysec_path_quote(path);

	assert_string_equal(got, want);
	free(got);
}

/* git's quoting with core.quotePath false, plus what would show another name */
static void paths_are_quoted_as_git_does(void **state)
{
	check_quote("a/b c.py", "a/b c.py");
	check_quote("\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9.py", "\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9.py");
	check_quote("new\nline.py", "\"new\\nline.py\"");
	check_quote("tab\there", "\"tab\\there\"");
	check_quote("q\"b\\s", "\"q\\\"b\\\\s\"");
	check_quote("bell\a\x1b.py", "\"bell\\a\\033.py\"");
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066, and a byte that is not UTF-8 */
	check_quote("x\xe2\x80\xaey.py", "\"x\\342\\200\\256y.py\"");
	check_quote("\xe2\x81\xa6.py", "\"\\342\\201\\246.py\"");
	check_quote("bad\xff.py", "\"bad\\377.py\"");
}

static void numbers_are_digits_only(void **state)
{
	unsigned long long v = 0;

	assert_int_equal(parse_uint(&v, "42", 100), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_uint(&v, "18446744073709551615", UINT64_MAX), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_uint(&v, "18446744073709551616", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, " -1", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, "-1", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, "+1", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, " 1", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, "1 ", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, "0x10", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, "", UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, NULL, UINT64_MAX), -1);
	assert_int_equal(parse_uint(&v, "101", 100), -1);
	assert_int_equal(parse_uint(&v, "7", 5), -1);
	assert_int_equal(parse_uint(&v, "0", 0), 0);
}

/* Settings are numbers as git-config writes them: libgit2's parser, then the range. */
static void settings_are_git_config_numbers(void **state)
{
	unsigned long long v = 0;

	git_libgit2_init();	/* libgit2 keeps its error message per thread */
	assert_int_equal(config_parse_uint(&v, "42", 100), 0);
	assert_int_equal(v, 42);
	assert_int_equal(config_parse_uint(&v, "64k", 1 << 20), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(config_parse_uint(&v, "2m", 1 << 30), 0);
	assert_int_equal(v, 2 << 20);
	assert_int_equal(config_parse_uint(&v, "1g", UINT64_MAX), 0);
	assert_int_equal(v, 1 << 30);
	assert_int_equal(config_parse_uint(&v, "101", 100), -1);
	assert_int_equal(config_parse_uint(&v, "-1", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "ten", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "1kb", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, NULL, UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "99999999999999999999", UINT64_MAX), -1);
	/* libgit2 alone would wrap these to 0 and to 1 GiB */
	assert_int_equal(config_parse_uint(&v, "17179869184g", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "9007199254740993g", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "1kk", UINT64_MAX), -1);
	assert_int_equal(config_parse_uint(&v, "k", UINT64_MAX), -1);
	assert_int_equal(v, 1 << 30);	/* untouched by a failure */
	git_libgit2_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths_are_quoted_as_git_does),
		cmocka_unit_test(numbers_are_digits_only),
		cmocka_unit_test(settings_are_git_config_numbers),
		cmocka_unit_test(report_has_exactly_the_documented_keys),
		cmocka_unit_test(finding_fields_have_their_types),
		cmocka_unit_test(empty_report),
		cmocka_unit_test(syntax_error_entry),
		cmocka_unit_test(column_is_one_based),
		cmocka_unit_test(columns_count_bytes),
		cmocka_unit_test(utf16_columns_count_code_units),
		cmocka_unit_test(utf16_columns_count_a_stray_byte_as_one_unit),
		cmocka_unit_test(utf16_end_column_on_a_later_line),
		cmocka_unit_test(suppressed_findings_keep_the_others_fingerprints),
		cmocka_unit_test(fingerprint_is_stable_when_lines_are_inserted_above),
		cmocka_unit_test(fingerprint_ignores_white_space_changes),
		cmocka_unit_test(fingerprint_differs_for_other_code_scope_path_or_rule),
		cmocka_unit_test(fingerprint_is_made_of_the_flagged_code_only),
		cmocka_unit_test(identical_findings_in_one_file_differ),
		cmocka_unit_test(identical_findings_keep_their_fingerprints_when_lines_are_inserted_above),
		cmocka_unit_test(findings_below_min_confidence_are_left_out),
		cmocka_unit_test(invalid_utf8_content_still_gives_valid_json),
		cmocka_unit_test(control_bytes_survive_the_round_trip),
	};

	return cmocka_run_group_tests(tests, engine_setup, engine_teardown);
}
