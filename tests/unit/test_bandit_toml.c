/*
 * test_bandit_toml.c: `[tool.bandit]` read from a pyproject.toml
 * (bandit_toml.c, with the tree-sitter TOML grammar): Bandit's documented
 * examples, what TOML says a key and a string are, and the errors, each
 * naming the file, the line and the column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bandit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read `text` as pyproject.toml; the result code, with the entries in `c`. */
static int read_text(struct bandit_config *c, const char *text)
{
	memset(c, 0, sizeof(*c));
	return bandit_toml_read(c, "pyproject.toml", text, strlen(text));
}

/* The entries as "key=[a|b]@line ...", for readable comparisons. */
static const char *show(const struct bandit_config *c)
{
	static char out[4096];
	size_t i, j, n = 0;

	out[0] = '\0';
	for (i = 0; i < c->len; i++) {
		const struct bandit_entry *e = &c->entries[i];
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s=[", i ? " " : "", e->key);
		for (j = 0; j < e->nvalues; j++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", j ? "|" : "", e->values[j]);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "]@%u", e->line);
	}
	return out;
}

/* Read `text` and compare the entries with `want`. */
static void expect_entries(const char *text, const char *want)
{
	struct bandit_config c;
	int rc = read_text(&c, text);

	if (rc != 0)
		fail_msg("%s", pysec_error_last());
	assert_string_equal(show(&c), want);
	bandit_config_free(&c);
}

/* Read `text` and compare the error (code and message) with what is expected. */
static void expect_error(const char *text, int code, const char *want)
{
	struct bandit_config c;
	int rc = read_text(&c, text);

	assert_int_equal(rc, code);
	assert_string_equal(pysec_error_last(), want);
	bandit_config_free(&c);
}

/* --- Bandit's documented examples ------------------------------------------- */

/* docs/source/config.rst, "Bandit Settings": the pyproject.toml sample */
static void bandit_docs_settings(void **state)
{
	expect_entries("# FILE: pyproject.toml\n"
		"[tool.bandit]\n"
		"exclude_dirs = [\"tests\", \"path/to/file\"]\n"
		"tests = [\"B201\", \"B301\"]\n"
		"skips = [\"B101\", \"B601\"]\n",
		"exclude_dirs=[tests|path/to/file]@3 tests=[B201|B301]@4 skips=[B101|B601]@5");
}

/* a plugin's options in a table of its own, as the plugins' docs give them in YAML */
static void plugin_options_in_subtables(void **state)
{
	expect_entries("[project]\n"
		"name = \"app\"\n"
		"\n"
		"[tool.bandit]\n"
		"exclude_dirs = [\"tests\"]\n"
		"\n"
		"[tool.bandit.assert_used]\n"
		"skips = ['*_test.py', '*/test_*.py']\n"
		"\n"
		"[tool.bandit.hardcoded_tmp_directory]\n"
		"tmp_dirs = ['/tmp', '/var/tmp', '/dev/shm']\n"
		"\n"
		"[tool.bandit.any_other_function_with_shell_equals_true]\n"
		"no_shell = [\n"
		"  \"os.execl\",\n"
		"  \"os.execle\",   # a comment in the list\n"
		"  # a comment on its own line\n"
		"  \"os.spawnv\",\n"
		"]\n"
		"\n"
		"[tool.black]\n"
		"line-length = 88\n",
		"exclude_dirs=[tests]@5 assert_used.skips=[*_test.py|*/test_*.py]@8 "
		"hardcoded_tmp_directory.tmp_dirs=[/tmp|/var/tmp|/dev/shm]@11 "
		"any_other_function_with_shell_equals_true.no_shell=[os.execl|os.execle|os.spawnv]@14");
}

/* --- keys ----------------------------------------------------------------- */

static void dotted_keys_anywhere_on_the_path(void **state)
{
	expect_entries("tool.bandit.skips = [\"B101\"]\n"
		"[tool]\n"
		"bandit.tests = [\"B201\"]\n"
		"[tool.bandit]\n"
		"assert_used.skips = [\"*_test.py\"]\n"
		"[tool . bandit . hardcoded_tmp_directory]\n"
		"tmp_dirs = [\"/tmp\"]\n",
		"skips=[B101]@1 tests=[B201]@3 assert_used.skips=[*_test.py]@5 "
		"hardcoded_tmp_directory.tmp_dirs=[/tmp]@7");
}

static void inline_tables(void **state)
{
	expect_entries("tool = { bandit = { skips = [\"B101\"], assert_used = { skips = [\"t/*\"] } } }\n",
		"skips=[B101]@1 assert_used.skips=[t/*]@1");
	expect_entries("[tool.bandit]\nassert_used = { skips = [\"*_test.py\"] }\nempty = {}\n",
		"assert_used.skips=[*_test.py]@2");
}

/* a quoted key is the string it spells; one with a dot in it is one key, not two */
static void quoted_keys(void **state)
{
	expect_entries("[\"tool\".'bandit']\n"
		"\"skips\" = ['B101']\n"
		"\"assert_used.skips\" = ['x']\n"
		"\"has space\" = 'y'\n"
		"\"\\u0071\" = 'z'\n",
		"skips=[B101]@2 \"assert_used.skips\"=[x]@3 \"has space\"=[y]@4 q=[z]@5");
}

static void other_tables_are_not_bandit(void **state)
{
	expect_entries("[tool.banditx]\nskips = [\"B101\"]\n[tools.bandit]\nskips = [\"B102\"]\n"
		"[tool.bandit-extra]\nskips = [\"B103\"]\nbandit.skips = [\"B104\"]\n", "");
	/* Bandit's [tool.bandit] is nested under tool, not one key named "tool.bandit" */
	expect_entries("[\"tool.bandit\"]\nskips = [\"B101\"]\n", "");
}

/* --- values ----------------------------------------------------------------- */

static void strings_decoded(void **state)
{
	expect_entries("[tool.bandit]\n"
		"basic = \"tab\\there \\\"q\\\" back\\\\slash \\u00e9 \\U0001F600\"\n"
		"literal = 'C:\\temp\\*.py'\n"
		"empty = \"\"\n",
		"basic=[tab\there \"q\" back\\slash \xc3\xa9 \xf0\x9f\x98\x80]@2 literal=[C:\\temp\\*.py]@3 empty=[]@4");
}

static void multi_line_strings(void **state)
{
	expect_entries("[tool.bandit]\n"
		"a = \"\"\"\n"
		"first\n"
		"second\"\"\"\n"
		"b = \"\"\"one \\\n"
		"      two\"\"\"\n"
		"c = '''\n"
		"raw \\n'''\n"
		"d = \"\"\"ends in a quote\"\"\"\"\n",
		"a=[first\nsecond]@2 b=[one two]@5 c=[raw \\n]@7 d=[ends in a quote\"]@9");
}

static void numbers_and_booleans_as_written(void **state)
{
	expect_entries("[tool.bandit]\n"
		"show_progress_every = 50\n"
		"flag = true\n"
		"ratio = 1.5e3\n"
		"mixed = [\"a\", 0x1F, false]\n"
		"when = 2026-11-29\n",
		"show_progress_every=[50]@2 flag=[true]@3 ratio=[1.5e3]@4 mixed=[a|0x1F|false]@5 when=[2026-11-29]@6");
}

static void arrays_over_lines_and_empty(void **state)
{
	expect_entries("[tool.bandit]\r\n"
		"skips = [\r\n"
		"\t\"B101\" ,\r\n"
		"\r\n"
		"\t\"B102\" , ]\r\n"
		"tests = []\r\n",
		"skips=[B101|B102]@2 tests=[]@6");
}

static void no_bandit_table_is_no_entries(void **state)
{
	expect_entries("", "");
	expect_entries("# only a comment\n", "");
	expect_entries("[tool.black]\nline-length = 88\n[[tool.mypy.overrides]]\nmodule = [\"x.*\"]\n", "");
	expect_entries("[tool.bandit]\n", "");
	expect_entries("tool = \"not a table\"\n", "");
}

/* --- errors ----------------------------------------------------------------- */

static void syntax_error_names_line_and_column(void **state)
{
	expect_error("[tool.bandit]\nskips = [\"B101\" \"B102\"]\n", PYSEC_EINVALID,
		"pyproject.toml:2:10: invalid TOML");
	expect_error("[tool.bandit\nskips = []\n", PYSEC_EINVALID, "pyproject.toml:1:13: invalid TOML");
	expect_error("x = 1\n[tool.bandit.]\n", PYSEC_EINVALID, "pyproject.toml:2:14: invalid TOML: a key or value is missing");
	/* the column counts characters, as editors do, not bytes */
	expect_error("a = [\"\xc3\xa9\xc3\xa9\", \"x\" \"y\"]\n", PYSEC_EINVALID, "pyproject.toml:1:12: invalid TOML");
}

static void not_utf8_or_nul(void **state)
{
	static const char nul[] = "[tool.bandit]\nskips = [\"B1\0\"]\n";
	struct bandit_config c = { 0 };

	expect_error("[tool.bandit]\nskips = [\"\xc3\xa9\xff\"]\n", PYSEC_EINVALID,
		"pyproject.toml:2:12: not valid UTF-8");
	expect_error("a = \"\xe2\x82", PYSEC_EINVALID, "pyproject.toml:1:6: not valid UTF-8");
	assert_int_equal(bandit_toml_read(&c, "pyproject.toml", nul, sizeof(nul) - 1), PYSEC_EINVALID);
	assert_string_equal(pysec_error_last(), "pyproject.toml:2:13: a NUL byte (TOML has none)");
	bandit_config_free(&c);
}

static void escapes_that_are_not_characters(void **state)
{
	expect_error("[tool.bandit]\nskips = [\"B101\\u0000\"]\n", PYSEC_EINVALID,
		"pyproject.toml:2:10: an escape that is NUL or not a Unicode character (\\u0000)");
	expect_error("[tool.bandit]\nskips = \"\\uD800\"\n", PYSEC_EINVALID,
		"pyproject.toml:2:9: an escape that is NUL or not a Unicode character (\\uD800)");
	expect_error("[tool.bandit]\nskips = \"\\U00110000\"\n", PYSEC_EINVALID,
		"pyproject.toml:2:9: an escape that is NUL or not a Unicode character (\\U00110000)");
}

static void lists_of_lists_or_tables(void **state)
{
	expect_error("[tool.bandit]\nskips = [\"B101\", [\"B102\"]]\n", PYSEC_EINVALID,
		"pyproject.toml:2:18: 'tool.bandit.skips' holds a list or table inside a list: "
		"Bandit's settings are lists of strings");
	expect_error("[tool.bandit]\nskips = [{ id = \"B101\" }]\n", PYSEC_EINVALID,
		"pyproject.toml:2:10: 'tool.bandit.skips' holds a list or table inside a list: "
		"Bandit's settings are lists of strings");
	expect_error("[[tool.bandit.assert_used]]\nskips = []\n", PYSEC_EINVALID,
		"pyproject.toml:1:1: an array of tables in tool.bandit: Bandit's settings are lists of strings");
	expect_error("tool.bandit = [\"B101\"]\n", PYSEC_EINVALID, "pyproject.toml:1:15: 'tool.bandit' is not a table");
}

/* what tomllib refuses, and Bandit with it */
static void keys_defined_twice(void **state)
{
	expect_error("[tool.bandit]\nskips = [\"B101\"]\n\"skips\" = [\"B102\"]\n", PYSEC_EINVALID,
		"pyproject.toml:3: 'tool.bandit.skips' is set twice (first on line 2)");
	expect_error("[tool.bandit]\nskips = []\n[tool.black]\n[tool.bandit]\ntests = []\n", PYSEC_EINVALID,
		"pyproject.toml:4:2: table defined twice (first on line 1)");
	expect_error("[tool.bandit]\nassert_used = \"x\"\nassert_used.skips = []\n", PYSEC_EINVALID,
		"pyproject.toml:3: 'tool.bandit.assert_used' is a value (line 2) and a table (line 3)");
	expect_error("[tool.bandit]\nassert_used = \"x\"\n[tool.bandit.assert_used]\nskips = []\n", PYSEC_EINVALID,
		"pyproject.toml:3: 'tool.bandit.assert_used' is a value (line 2) and a table (line 3)");
}

/* --- hostile input ------------------------------------------------------------ */

static void too_large(void **state)
{
	size_t len = BANDIT_MAX_FILE + 1;
	char *big = malloc(len);
	struct bandit_config c = { 0 };

	memset(big, '#', len);
	assert_int_equal(bandit_toml_read(&c, "pyproject.toml", big, len), PYSEC_ELIMIT);
	assert_string_equal(pysec_error_last(), "pyproject.toml: larger than 1048576 bytes");
	bandit_config_free(&c);
	free(big);
}

/* nesting: deep inline tables under tool.bandit are refused; elsewhere they are not walked */
static void deep_nesting(void **state)
{
	struct bandit_config c = { 0 };
	char *text = malloc(1024 * 1024);
	size_t n = 0, i;

	n += (size_t)sprintf(text + n, "[tool.bandit]\na = ");
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(text + n, "{ b = ");
	n += (size_t)sprintf(text + n, "1");
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(text + n, " }");
	text[n++] = '\n';
	assert_int_equal(bandit_toml_read(&c, "pyproject.toml", text, n), PYSEC_ELIMIT);
	assert_string_equal(pysec_error_last(), "pyproject.toml:2:101: tables nested deeper than 16");
	bandit_config_free(&c);

	/* 100,000 nested arrays and a key of 100,000 parts outside tool.bandit: read, nothing taken */
	n = (size_t)sprintf(text, "x = ");
	for (i = 0; i < 100000; i++)
		text[n++] = '[';
	for (i = 0; i < 100000; i++)
		text[n++] = ']';
	text[n++] = '\n';
	for (i = 0; i < 100000; i++)
		n += (size_t)sprintf(text + n, "k.");
	n += (size_t)sprintf(text + n, "k = 1\n[tool.bandit]\nskips = [\"B101\"]\n");
	memset(&c, 0, sizeof(c));
	assert_int_equal(bandit_toml_read(&c, "pyproject.toml", text, n), 0);
	assert_string_equal(show(&c), "skips=[B101]@4");
	bandit_config_free(&c);
	free(text);
}

/*
 * Broken input costs tree-sitter's error recovery time that grows faster
 * than its size (a second for 32 KiB of this): a megabyte of it stops at
 * the parse's own limit, with an error.
 */
static void broken_input_is_an_error(void **state)
{
	size_t len = BANDIT_MAX_FILE, i;
	char *text = malloc(len);
	struct bandit_config c = { 0 };

	for (i = 0; i < len; i++)
		text[i] = "[{=\"'.,\n a]}"[i * 7 % 12];
	assert_int_equal(bandit_toml_read(&c, "pyproject.toml", text, len), PYSEC_ELIMIT);
	assert_string_equal(pysec_error_last(), "pyproject.toml: parsing took longer than 2 s (broken TOML is slow to parse)");
	bandit_config_free(&c);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bandit_docs_settings),
		cmocka_unit_test(plugin_options_in_subtables),
		cmocka_unit_test(dotted_keys_anywhere_on_the_path),
		cmocka_unit_test(inline_tables),
		cmocka_unit_test(quoted_keys),
		cmocka_unit_test(other_tables_are_not_bandit),
		cmocka_unit_test(strings_decoded),
		cmocka_unit_test(multi_line_strings),
		cmocka_unit_test(numbers_and_booleans_as_written),
		cmocka_unit_test(arrays_over_lines_and_empty),
		cmocka_unit_test(no_bandit_table_is_no_entries),
		cmocka_unit_test(syntax_error_names_line_and_column),
		cmocka_unit_test(not_utf8_or_nul),
		cmocka_unit_test(escapes_that_are_not_characters),
		cmocka_unit_test(lists_of_lists_or_tables),
		cmocka_unit_test(keys_defined_twice),
		cmocka_unit_test(too_large),
		cmocka_unit_test(deep_nesting),
		cmocka_unit_test(broken_input_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
