/*
 * test_bandit.c: a project's Bandit configuration: the YAML and .bandit
 * readers on Bandit's documented samples and on hostile bytes, and how the
 * result maps onto pysec's policy (pysec's own settings win; pushed files
 * only make it stricter; every key Bandit has that pysec does not use is
 * noted with its file and line).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bandit.h"
#include "config.h"

#include <git2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bandit's documentation (doc/source/config.rst), word for word. */
static const char doc_ini[] =
	"# FILE: .bandit\n"
	"[bandit]\n"
	"exclude = tests,path/to/file\n"
	"tests = B201,B301\n"
	"skips = B101,B601\n";

static const char doc_yaml[] =
	"# FILE: bandit.yaml\n"
	"exclude_dirs: ['tests', 'path/to/file']\n"
	"tests: ['B201', 'B301']\n"
	"skips: ['B101', 'B601']\n";

static const char doc_yaml_plugins[] =
	"### profile may optionally select or skip tests\n"
	"\n"
	"exclude_dirs: ['tests', 'path/to/file']\n"
	"\n"
	"# (optional) list included tests here:\n"
	"tests: ['B201', 'B301']\n"
	"\n"
	"# (optional) list skipped tests here:\n"
	"skips: ['B101', 'B601']\n"
	"\n"
	"### override settings - used to set settings for plugins to non-default values\n"
	"\n"
	"any_other_function_with_shell_equals_true:\n"
	"  no_shell: [os.execl, os.execle, os.execlp, os.execlpe, os.execv, os.execve,\n"
	"    os.execvp, os.execvpe, os.spawnl, os.spawnle, os.spawnlp, os.spawnlpe,\n"
	"    os.spawnv, os.spawnve, os.spawnvp, os.spawnvpe, os.startfile]\n"
	"  shell: [os.system, os.popen, os.popen2, os.popen3, os.popen4,\n"
	"    popen2.popen2, popen2.popen3, popen2.popen4, popen2.Popen3,\n"
	"    popen2.Popen4, commands.getoutput,  commands.getstatusoutput]\n"
	"  subprocess: [subprocess.Popen, subprocess.call, subprocess.check_call,\n"
	"    subprocess.check_output]\n";

static const struct bandit_entry *entry(const struct bandit_config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->len; i++)
		if (!strcmp(c->entries[i].key, key))
			return &c->entries[i];
	return NULL;
}

static void expect_values(const struct bandit_config *c, const char *key, unsigned line, const char *a,
	const char *b)
{
	const struct bandit_entry *e = entry(c, key);

	assert_non_null(e);
	assert_int_equal(e->line, line);
	assert_int_equal(e->nvalues, b ? 2 : 1);
	assert_string_equal(e->values[0], a);
	if (b)
		assert_string_equal(e->values[1], b);
}

static void ini_documented_sample(void **state)
{
	struct bandit_config c = { 0 };

	assert_int_equal(bandit_ini_read(&c, ".bandit", doc_ini, strlen(doc_ini)), 0);
	assert_int_equal(c.len, 3);
	expect_values(&c, "exclude", 3, "tests", "path/to/file");
	expect_values(&c, "tests", 4, "B201", "B301");
	expect_values(&c, "skips", 5, "B101", "B601");
	bandit_config_free(&c);
}

/* configparser's ways: other sections, key case, ':' for '=', a value continued on the next line. */
static void ini_as_configparser_reads_it(void **state)
{
	static const char text[] = "[flake8]\nskips = B999\n\n[BANDIT]\nSkips: B101 ,\n  B102\n; a comment\n";
	struct bandit_config c = { 0 };

	assert_int_equal(bandit_ini_read(&c, ".bandit", text, strlen(text)), 0);
	assert_int_equal(c.len, 2);
	expect_values(&c, "skips", 5, "B101", NULL);
	assert_string_equal(c.entries[1].key, "skips");	/* the continued line adds to it */
	assert_string_equal(c.entries[1].values[0], "B102");
	bandit_config_free(&c);
}

static void expect_ini_error(const char *text, size_t len, const char *message)
{
	struct bandit_config c = { 0 };

	assert_int_equal(bandit_ini_read(&c, ".bandit", text, len), PYSEC_EINVALID);
	assert_string_equal(pysec_error_last(), message);
	bandit_config_free(&c);
}

static void ini_mistakes_are_named(void **state)
{
	static const char nul[] = "[bandit]\nskips = B1\0 01\n";
	char *long_line = malloc(20000);

	expect_ini_error("[bandit\nskips = B101\n", 21, ".bandit:1: not INI: expected [section] or key = value");
	expect_ini_error("[bandit]\nskips\n", 15, ".bandit:2: not INI: expected [section] or key = value");
	expect_ini_error("[bandit]\nskips = B101\nskips = B102\n", 35,
		".bandit:3: 'skips' is set twice in [bandit] (first on line 2)");
	expect_ini_error(nul, sizeof(nul) - 1, ".bandit:2: a NUL byte");
	expect_ini_error("[bandit]\nsk\x1b[2Jips = B101\n", 26, ".bandit:2: a control character or bad UTF-8 in a key or value");
	expect_ini_error("[bandit]\nskips = B101\xe2\x80\xae\n", 25,
		".bandit:2: a control character or bad UTF-8 in a key or value");
	expect_ini_error("[bandit]\nskips = B101\xff\n", 23, ".bandit:2: a control character or bad UTF-8 in a key or value");
	memset(long_line, 'B', 19999);
	memcpy(long_line, "[bandit]\nskips = ", 17);
	expect_ini_error(long_line, 19999, ".bandit:2: a line longer than 16382 bytes");
	free(long_line);
}

/* A long list on one line, binary junk, CRLF, a BOM: read or refused, never more. */
static void ini_odd_bytes(void **state)
{
	static const char crlf[] = "\xef\xbb\xbf[bandit]\r\nskips = B101,B102\r\n";
	struct bandit_config c = { 0 };
	char junk[4096];
	size_t i;

	assert_int_equal(bandit_ini_read(&c, ".bandit", crlf, strlen(crlf)), 0);
	expect_values(&c, "skips", 2, "B101", "B102");
	bandit_config_free(&c);
	srand(7);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(rand() % 255 + 1);
	memset(&c, 0, sizeof(c));
	(void)bandit_ini_read(&c, ".bandit", junk, sizeof(junk));
	bandit_config_free(&c);
}

static void yaml_documented_samples(void **state)
{
	struct bandit_config c = { 0 };

	assert_int_equal(bandit_yaml_read(&c, "bandit.yaml", doc_yaml, strlen(doc_yaml)), 0);
	assert_int_equal(c.len, 3);
	expect_values(&c, "exclude_dirs", 2, "tests", "path/to/file");
	expect_values(&c, "tests", 3, "B201", "B301");
	expect_values(&c, "skips", 4, "B101", "B601");
	bandit_config_free(&c);

	memset(&c, 0, sizeof(c));
	assert_int_equal(bandit_yaml_read(&c, "bandit.yaml", doc_yaml_plugins, strlen(doc_yaml_plugins)), 0);
	assert_int_equal(c.len, 6);
	assert_non_null(entry(&c, "any_other_function_with_shell_equals_true.no_shell"));
	assert_int_equal(entry(&c, "any_other_function_with_shell_equals_true.no_shell")->nvalues, 17);
	assert_int_equal(entry(&c, "any_other_function_with_shell_equals_true.subprocess")->line, 20);
	bandit_config_free(&c);
}

static void yaml_plugin_options(void **state)
{
	static const char text[] = "assert_used:\n  skips: ['*_test.py', '*/tests/*']\n"
		"hardcoded_tmp_directory:\n  tmp_dirs: /scratch\n"
		"try_except_pass:\n  check_typed_exception: True\n";
	struct bandit_config c = { 0 };

	assert_int_equal(bandit_yaml_read(&c, "b.yaml", text, strlen(text)), 0);
	expect_values(&c, "assert_used.skips", 2, "*_test.py", "*/tests/*");
	expect_values(&c, "hardcoded_tmp_directory.tmp_dirs", 4, "/scratch", NULL);
	expect_values(&c, "try_except_pass.check_typed_exception", 6, "True", NULL);
	bandit_config_free(&c);
}

static void expect_yaml_error(const char *text, size_t len, int code, const char *message)
{
	struct bandit_config c = { 0 };

	assert_int_equal(bandit_yaml_read(&c, "b.yaml", text, len), code);
	assert_string_equal(pysec_error_last(), message);
	bandit_config_free(&c);
}

static void yaml_mistakes_are_named(void **state)
{
	static const char nul[] = "skips: [B101]\n\0\n";
	struct buf deep = BUF_INIT(1 << 20), laughs = BUF_INIT(1 << 20);
	int i;

	expect_yaml_error("", 0, PYSEC_EINVALID,
		"b.yaml:1: a Bandit configuration is a mapping (exclude_dirs: ..., skips: ...)");
	expect_yaml_error("- B101\n", 7, PYSEC_EINVALID,
		"b.yaml:1: a Bandit configuration is a mapping (exclude_dirs: ..., skips: ...)");
	expect_yaml_error("skips: [B101\n", 13, PYSEC_EINVALID,
		"b.yaml:2: not YAML: did not find expected ',' or ']' while parsing a flow sequence");
	expect_yaml_error("skips: [[B101]]\n", 16, PYSEC_EINVALID,
		"b.yaml:1: expected a list of strings for 'skips'");
	expect_yaml_error("a:\n  b:\n    c: 1\n", 17, PYSEC_EINVALID, "b.yaml:3: too deep a mapping for 'a.b'");
	expect_yaml_error("skips: [B101]\n---\nskips: [B102]\n", 31, PYSEC_EINVALID,
		"b.yaml: more than one YAML document");
	expect_yaml_error(nul, sizeof(nul) - 1, PYSEC_EINVALID,
		"b.yaml:2: not YAML: control characters are not allowed");
	expect_yaml_error("skips: \xff\xfe\n", 10, PYSEC_EINVALID, "b.yaml:1: not YAML: invalid leading UTF-8 octet");
	expect_yaml_error("? [a]\n: b\n", 10, PYSEC_EINVALID, "b.yaml:1: a key that is not a string");

	/* 100,000 nested lists: refused, no stack overflow */
	for (i = 0; i < 100000; i++)
		buf_puts(&deep, "[");
	{
		struct bandit_config c = { 0 };
		char *text = buf_detach(&deep);
		assert_true(bandit_yaml_read(&c, "b.yaml", text, strlen(text)) < 0);
		bandit_config_free(&c);
		free(text);
	}
	/* aliases are not expanded: a billion laughs is a few values, then the bound */
	buf_puts(&laughs, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 0; i < 9; i++)
		buf_printf(&laughs, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", 'b' + i, 'b' + i,
			'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i);
	{
		struct bandit_config c = { 0 };
		char *text = buf_detach(&laughs);
		assert_int_equal(bandit_yaml_read(&c, "b.yaml", text, strlen(text)), PYSEC_EINVALID);
		assert_string_equal(pysec_error_last(), "b.yaml:2: expected a list of strings for 'b'");
		bandit_config_free(&c);
		free(text);
	}
}

static void sizes_are_bounded(void **state)
{
	struct bandit_config c = { 0 };
	struct buf b = BUF_INIT(4 << 20);
	char *text;
	int i;

	buf_puts(&b, "skips: [");
	for (i = 0; i < BANDIT_MAX_VALUES + 1; i++)
		buf_puts(&b, "B101, ");
	buf_puts(&b, "B101]\n");
	text = buf_detach(&b);
	assert_int_equal(bandit_yaml_read(&c, "b.yaml", text, strlen(text)), PYSEC_ELIMIT);
	assert_string_equal(pysec_error_last(), "b.yaml:1: more than 4096 values for 'skips'");
	bandit_config_free(&c);
	free(text);

	memset(&c, 0, sizeof(c));
	for (i = 0; i < BANDIT_MAX_ENTRIES + 1; i++)
		buf_printf(&b, "k%d: v\n", i);
	text = buf_detach(&b);
	assert_int_equal(bandit_yaml_read(&c, "b.yaml", text, strlen(text)), PYSEC_ELIMIT);
	bandit_config_free(&c);
	free(text);
}

/* --- onto pysec's policy --------------------------------------------------------------- */

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	path = xasprintf("%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static pysec_config *load(const char *dir, const char *bandit_file, const char *extra_file, int want)
{
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;

	src.bandit_dir = dir;
	src.bandit_file = bandit_file;
	src.extra_file = extra_file;
	if (pysec_config_load(&cfg, &src) != want)
		fail_msg("%s", pysec_error_last());
	return cfg;
}

static char *where(const pysec_config *cfg, const char *key)
{
	size_t i;

	for (i = pysec_config_count(cfg); i-- > 0;) {
		pysec_config_item it;
		pysec_config_entry(cfg, i, &it);
		if (!strcmp(it.key, key))
			return pysec_config_where(cfg, i);
	}
	return NULL;
}

static void maps_onto_settings_with_their_lines(void **state)
{
	char dir[] = "/tmp/pysec-test-bandit.XXXXXX";
	char *ini, *yaml, *w;
	pysec_config *cfg;

	assert_non_null(mkdtemp(dir));
	ini = write_file(dir, ".bandit", doc_ini);
	yaml = write_file(dir, "b.yaml", "assert_used:\n  skips: ['*_test.py']\nhardcoded_tmp_directory:\n"
		"  tmp_dirs: [/scratch]\nmarkupsafe_xss:\n  extend_markup_names: [webhelpers.html.literal]\n"
		"shell_injection:\n  no_shell: [os.execl]\nweak_cryptographic_key:\n  weak_key_size_ec_high: 160\n");
	cfg = load(dir, yaml, NULL, 0);
	assert_string_equal(pysec_config_get(cfg, "pysec.disable", NULL), "B101, B601");
	assert_string_equal(pysec_config_get(cfg, "pysec.only", NULL), "B201, B301");
	assert_string_equal(pysec_config_get(cfg, "pysec.exclude", NULL), "tests, path/to/file");
	assert_string_equal(pysec_config_get(cfg, "pysec.assert-used.skips", NULL), "*_test.py");
	assert_string_equal(pysec_config_get(cfg, "pysec.hardcoded-tmp-directory.tmp-dirs", NULL), "/scratch");
	assert_string_equal(pysec_config_get(cfg, "pysec.markupsafe-xss.markup-names", NULL),
		"markupsafe.Markup flask.Markup, webhelpers.html.literal");
	assert_string_equal(pysec_config_get(cfg, "pysec.shell-injection.no-shell", NULL), "os.execl");
	w = where(cfg, "pysec.disable");
	assert_true(strstr(w, "/.bandit:5") && !strncmp(w, dir, strlen(dir)));
	free(w);
	w = where(cfg, "pysec.hardcoded-tmp-directory.tmp-dirs");
	assert_true(strstr(w, "/b.yaml:4") != NULL);
	free(w);
	assert_non_null(strstr(pysec_config_notes(cfg), "/b.yaml:10: Bandit's 'weak_cryptographic_key."
		"weak_key_size_ec_high' ignored: pysec names the weak curves"));
	pysec_config_free(cfg);
	unlink(ini);
	unlink(yaml);
	free(ini);
	free(yaml);
	rmdir(dir);
}

/* pysec's own setting of a key wins over the whole of Bandit's, with a note saying where it is set. */
static void pysec_settings_win(void **state)
{
	char dir[] = "/tmp/pysec-test-bandit.XXXXXX";
	char *ini, *conf;
	pysec_config *cfg;

	assert_non_null(mkdtemp(dir));
	ini = write_file(dir, ".bandit", doc_ini);
	conf = write_file(dir, "conf", "[pysec]\n\tdisable = B102\n");
	cfg = load(dir, NULL, conf, 0);
	assert_string_equal(pysec_config_get(cfg, "pysec.disable", NULL), "B102");
	assert_string_equal(pysec_config_get(cfg, "pysec.only", NULL), "B201, B301");
	assert_non_null(strstr(pysec_config_notes(cfg), "/.bandit:5: Bandit's 'skips' not used: pysec.disable is set "
		"in "));
	assert_non_null(strstr(pysec_config_notes(cfg), "/conf:2\n"));
	pysec_config_free(cfg);
	unlink(conf);
	free(conf);
	/* pysec.banditConfig = false: the project's files are not read */
	conf = write_file(dir, "conf", "[pysec]\n\tbanditConfig = false\n");
	cfg = load(dir, NULL, conf, 0);
	assert_null(pysec_config_get(cfg, "pysec.disable", NULL));
	pysec_config_free(cfg);
	unlink(conf);
	unlink(ini);
	free(conf);
	free(ini);
	rmdir(dir);
}

/* A broken file, or a missing --bandit-config, is the loader's error, naming it. */
static void errors_name_the_file(void **state)
{
	char dir[] = "/tmp/pysec-test-bandit.XXXXXX";
	char *ini, *msg;
	pysec_config *cfg;

	assert_non_null(mkdtemp(dir));
	ini = write_file(dir, ".bandit", "[bandit]\nskips\n");
	cfg = load(dir, NULL, NULL, PYSEC_EINVALID);
	msg = xasprintf("%s/.bandit:2: not INI: expected [section] or key = value", dir);
	assert_string_equal(pysec_error_last(), msg);
	pysec_config_free(cfg);
	unlink(ini);
	cfg = load(dir, "/nonexistent/b.yaml", NULL, PYSEC_EINVALID);
	assert_string_equal(pysec_error_last(), "cannot read '/nonexistent/b.yaml': No such file or directory");
	pysec_config_free(cfg);
	/* the rules' checks name the Bandit file's line too */
	free(write_file(dir, ".bandit", "[bandit]\n\nskips = B1O1\n"));
	cfg = load(dir, NULL, NULL, 0);
	{
		pysec_engine *engine = NULL;
		assert_int_equal(pysec_engine_new(&engine, cfg), PYSEC_EINVALID);
		free(msg);
		msg = xasprintf("%s/.bandit:3: 'B1O1' in 'pysec.disable' is not a rule; did you mean 'B101'?", dir);
		assert_string_equal(pysec_error_last(), msg);
		pysec_engine_free(engine);
	}
	pysec_config_free(cfg);
	unlink(ini);
	free(ini);
	free(msg);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ini_documented_sample),
		cmocka_unit_test(ini_as_configparser_reads_it),
		cmocka_unit_test(ini_mistakes_are_named),
		cmocka_unit_test(ini_odd_bytes),
		cmocka_unit_test(yaml_documented_samples),
		cmocka_unit_test(yaml_plugin_options),
		cmocka_unit_test(yaml_mistakes_are_named),
		cmocka_unit_test(sizes_are_bounded),
		cmocka_unit_test(maps_onto_settings_with_their_lines),
		cmocka_unit_test(pysec_settings_win),
		cmocka_unit_test(errors_name_the_file),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
