/*
 * test_focus.c: focused parsing (focus.c) finds exactly what a whole-file
 * parse finds on the touched lines.
 *
 * Every case scans the same file and touched lines twice, once focused and
 * once whole (file_scan.whole), and compares the findings field by field.
 * The hand-written cases also check that the focused path was taken, so
 * that a plan which always falls back to the whole file fails here.  The
 * differential part does the same over every tests/rules/ file and over
 * the larger files of a Python tree (PYSEC_FOCUS_CORPUS, default
 * /usr/lib/python3.11, skipped when absent), at pseudo-random touched lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec.h"
#include "util.h"
#include "engine.h"
#include "focus.h"
#include "needle.h"
#include "lines.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static pysec_engine *engine;

static int setup(void **state)
{
	return pysec_engine_new(&engine, NULL);
}

static int teardown(void **state)
{
	pysec_engine_free(engine);
	return 0;
}

static pysec_report *scan(const char *src, size_t len, const struct lineset *touched, int whole)
{
	struct file_scan f = { 0 };
	pysec_report *r;

	f.path = "t.py";
	f.data = src;
	f.len = len;
	f.python = 1;
	f.whole = whole;
	f.code = touched;
	assert_int_equal(pysec_report_new(&r), 0);
	assert_int_equal(engine_scan_file(engine, r, &f, 0), 0);
	pysec_report_sort(r);
	return r;
}

/* The findings as text, one "RULE line:col-line:col sev/conf fingerprint" line each. */
static char *findings(const pysec_report *r)
{
	struct buf b = BUF_INIT(1 << 24);
	size_t i;

	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *x = pysec_report_finding(r, i);
		buf_printf(&b, "%s %u:%u-%u:%u %d/%d %s\n", x->rule, x->line, x->column, x->end_line,
			x->end_column, (int)x->severity, (int)x->confidence, x->fingerprint);
	}
	return buf_detach(&b);
}

/*
 * Scan both ways and compare; returns whether the plan was focused: a
 * change's (focus_plan), or with every line touched a full scan's
 * (focus_plan_needles).
 */
static int check_same(const char *name, const char *src, size_t len, const struct lineset *touched)
{
	const struct pysec_engine *e = (const struct pysec_engine *)engine;
	pysec_report *whole = scan(src, len, touched, 1), *focused = scan(src, len, touched, 0);
	char *a = findings(whole), *b = findings(focused);
	struct focus plan;
	int was_focused = touched->all ? focus_plan_needles(&plan, src, len, engine_needles(e), &e->imported_words) :
					 focus_plan(&plan, src, len, touched, &e->imported_words);

	if (was_focused)
		focus_free(&plan);
	if (strcmp(a, b)) {
		print_error("%s: whole-file findings:\n%s\nfocused findings:\n%s\n", name, a, b);
		fail();
	}
	free(a);
	free(b);
	pysec_report_free(whole);
	pysec_report_free(focused);
	return was_focused;
}

/* The 1-based line of `src` that holds `marker`. */
static uint32_t line_of(const char *src, const char *marker)
{
	const char *at = strstr(src, marker), *p;
	uint32_t line = 1;

	assert_non_null(at);
	for (p = src; p < at; p++)
		line += *p == '\n';
	return line;
}

/*
 * Touch `count` lines from the one holding `marker`; expect the rule ids
 * `expect` (in report order), the same both ways, and the plan focused or not.
 */
static void expect_case(const char *src, const char *marker, uint32_t count, const char *expect, int must_focus)
{
	struct lineset t = { 0 };
	struct buf ids = BUF_INIT(1 << 20);
	pysec_report *r;
	size_t i;

	lineset_add(&t, line_of(src, marker), count);
	if (check_same(marker, src, strlen(src), &t) != must_focus)
		fail_msg("focus_plan() %s the case at '%s'", must_focus ? "did not focus" : "focused", marker);
	r = scan(src, strlen(src), &t, 0);
	for (i = 0; i < pysec_report_finding_count(r); i++)
		buf_printf(&ids, "%s%s", i ? " " : "", pysec_report_finding(r, i)->rule);
	assert_string_equal(buf_cstr(&ids), expect);
	buf_free(&ids);
	pysec_report_free(r);
	lineset_clear(&t);
}

/* Filler that makes focusing worth it: many methods nobody touched. */
#define FILLER \
	"    def f1(self):\n        return [x for x in range(10) if x % 2]\n\n" \
	"    def f2(self, a, b):\n        '''doc\nclass NotAClass:\n    def nope(): pass\n'''\n        return a + b\n\n" \
	"    def f3(self):\n        data = {'k': [1, 2, 3], 'v': (4, 5)}\n        return data\n\n" \
	"    def f4(self):\n        s = \"\"\"\ndef fake():\n\"\"\"\n        return s\n\n" \
	"    def f5(self):\n        for i in range(3):\n            if i:\n                continue\n        return 0\n\n" \
	"    def f6(self):\n        return sum(\n            x\n            for x in range(100)\n        )\n\n" \
	"    def f7(self):\n        return 7\n\n    def f8(self):\n        return 8\n\n"

static void test_method_in_class_through_import_alias(void **state)
{
	const char *src =
		"import subprocess as sp\n"
		"class C(object):\n"
		FILLER
		"    def g(self, cmd):\n"
		"        return sp.call(cmd, shell=True)\n"
		"\n"
		FILLER;
	expect_case(src, "sp.call(", 1, "B602", 1);
	expect_case(src, "def g(", 1, "", 1);	/* the def line: the call is not on a touched line */
	expect_case(src, "def f5", 1, "", 1);
}

/* A function's names are its own: another function's import and alias do not reach it. */
static void test_a_function_s_names_stay_in_it(void **state)
{
	const char *src =
		"def a():\n"
		"    from os import system\n"
		"    run = system\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    run(cmd)\n"
		"    system('ls ' + cmd)\n";
	expect_case(src, "run(cmd)", 2, "", 1);
}

/* A function sees the module's names as they are when it runs: bound after its def too. */
static void test_a_function_sees_later_module_bindings(void **state)
{
	const char *src =
		"import os\n"
		"def z(cmd):\n"
		"    run(cmd)\n"
		"class C:\n"
		FILLER
		"run = os.system\n"
		"class D:\n"
		FILLER;
	expect_case(src, "run(cmd)", 1, "B605", 1);
}

/* A class body's names reach its own statements, not its methods. */
static void test_class_body_names(void **state)
{
	const char *src =
		"from os import system as run\n"
		"class C:\n"
		"    run = print\n"
		FILLER
		"    x = run(cmd)\n"
		FILLER
		"    def m(self, cmd):\n"
		"        return run(cmd)\n"
		FILLER;
	expect_case(src, "x = run(cmd)", 1, "", 1);
	expect_case(src, "return run(cmd)", 1, "B605", 1);
}

/* What rebinds a name far above: a def of the builtin's name, a star import, a fallback import. */
static void test_bindings_far_above(void **state)
{
	const char *src =
		"def eval(expr):\n"
		"    return expr\n"
		"from subprocess import *\n"
		"try:\n"
		"    import yaml\n"
		"except ImportError:\n"
		"    yaml = None\n"
		"class C:\n"
		FILLER
		"def z(data, cmd):\n"
		"    eval(data)\n"
		"    call(cmd, shell=True)\n"
		"    yaml.load(data)\n";
	expect_case(src, "eval(data)", 1, "", 1);
	expect_case(src, "call(cmd", 1, "B602", 1);
	expect_case(src, "yaml.load", 1, "B506", 1);
}

/* A touched assignment of the module reaches a call below it that is not touched: parse whole. */
static void test_module_value_reaching_a_later_call(void **state)
{
	const char *src =
		"import os\n"
		"cmd = 'ls ' + user_input\n"
		"class C:\n"
		FILLER
		"os.system(cmd)\n";
	expect_case(src, "cmd = ", 1, "B605", 0);
}

/* `global x` in a function the change does not touch can rebind a name the change uses: parse whole. */
static void test_global_elsewhere_parses_whole(void **state)
{
	const char *src =
		"import os\n"
		"def setup():\n"
		"    global run\n"
		"    run = os.system\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    run(cmd)\n";
	expect_case(src, "run(cmd)", 1, "B605", 0);
}

static void test_rebinding_clears_an_alias(void **state)
{
	const char *src =
		"from subprocess import call\n"
		"call = make_caller()\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    call(cmd, shell=True)\n";
	expect_case(src, "call(cmd", 1, "B604", 1);	/* no longer subprocess.call: any call with shell=True */
}

/* Two touched statements of the module: each sees the binding of `run` in force where it is. */
static void test_each_range_sees_its_own_bindings(void **state)
{
	const char *src =
		"from os import system as run\n"
		"class C:\n"
		FILLER
		"run(cmd)  # first\n"
		"class D:\n"
		FILLER
		"run = print\n"
		"class E:\n"
		FILLER
		"run(cmd)  # second\n";
	struct lineset t = { 0 };
	pysec_report *r;

	lineset_add(&t, line_of(src, "run(cmd)  # first"), 1);
	lineset_add(&t, line_of(src, "run(cmd)  # second"), 1);
	assert_int_equal(check_same("two ranges", src, strlen(src), &t), 1);
	r = scan(src, strlen(src), &t, 0);
	assert_int_equal(pysec_report_finding_count(r), 1);
	assert_string_equal(pysec_report_finding(r, 0)->rule, "B605");
	assert_int_equal(pysec_report_finding(r, 0)->line, line_of(src, "run(cmd)  # first"));
	pysec_report_free(r);
	lineset_clear(&t);
}

/* Annotated, chained and ';'-joined assignments bind names too. */
static void test_annotated_and_chained_bindings(void **state)
{
	const char *annotated =
		"import subprocess\n"
		"runner: object = subprocess.call\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    runner(cmd, shell=True)\n";
	/* `runner: object` binds nothing: the alias above it holds */
	const char *annotation_only =
		"import subprocess\n"
		"runner = subprocess.call\n"
		"runner: object\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    runner(cmd, shell=True)\n";
	const char *chained =
		"import subprocess\n"
		"first = runner = subprocess.call\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    runner(cmd, shell=True)\n";

	const char *joined =
		"import subprocess\n"
		"first = 1; runner = subprocess.call\n"
		"class C:\n"
		FILLER
		"def z(cmd):\n"
		"    runner(cmd, shell=True)\n";

	expect_case(annotated, "runner(cmd", 1, "B602", 1);
	expect_case(annotation_only, "runner(cmd", 1, "B602", 1);
	expect_case(chained, "runner(cmd", 1, "B602", 1);
	expect_case(joined, "runner(cmd", 1, "B602", 1);
}

static void test_imported_module_far_above(void **state)
{
	/* B202 asks whether the file imports tarfile, whatever names the call uses */
	const char *src =
		"import tarfile as unrelated_name\n"
		"class C:\n"
		FILLER
		"def z(archive):\n"
		"    archive.extractall('/tmp')\n";
	const char *dynamic =
		"mod = __import__('tarfile')\n"
		"class C:\n"
		FILLER
		"def z(archive):\n"
		"    archive.extractall('/tmp')\n";

	expect_case(src, "archive.extractall", 1, "B202 B108", 1);
	expect_case(dynamic, "archive.extractall", 1, "B202 B108", 1);
}

static void test_clauses_and_decorators(void **state)
{
	const char *src =
		"import pickle\n"
		"class C:\n"
		FILLER
		"    if True:\n"
		"        pass\n"
		"    else:\n"
		"        pickle.loads(b)\n"
		"    @property\n"
		"    def p(self, password='hunter2'):\n"
		"        try:\n"
		"            pass\n"
		"        except Exception:\n"
		"            pass\n";
	expect_case(src, "pickle.loads", 1, "B301", 1);
	expect_case(src, "@property", 1, "", 1);
	expect_case(src, "def p(", 1, "B107", 1);
	expect_case(src, "except Exception", 2, "B110", 1);
}

static void test_syntax_error_parses_the_whole_file(void **state)
{
	const char *src =
		"import os\n"
		"class C:\n"
		FILLER
		"    def g(self, cmd):\n"
		"        os.system(cmd\n"
		FILLER;
	struct lineset t = { 0 };

	lineset_add(&t, line_of(src, "os.system(cmd"), 1);
	check_same("unclosed bracket", src, strlen(src), &t);
	lineset_clear(&t);
}

static void test_odd_files(void **state)
{
	/* CRLF, tabs, a last line without a newline, a backslash continuation, a bidi comment */
	const char *crlf = "import os\r\nclass C:\r\n    def a(self):\r\n        return 1\r\n"
			   "    def b(self, c):\r\n        os.system(c)\r\n    def d(self):\r\n        return 2\r\n"
			   "    def e(self):\r\n        return 3\r\n    def f(self):\r\n        return 4\r\n";
	const char *tabs = "import os\nclass C:\n\tdef a(self):\n\t\treturn 1\n\tdef b(self, c):\n\t\tos.system(c)\n"
			   "\tdef d(self):\n\t\treturn [1,\n\t\t\t2]\n\tdef e(self):\n\t\treturn 3\n\tdef f(self):\n\t\treturn 4\n";
	const char *eof = "import os\nclass C:\n    def a(self):\n        return 1\n    def d(self):\n        return 2\n"
			  "    def e(self):\n        return 3\n    def f(self):\n        return 4\n"
			  "x = 1 + \\\n    2\nos.system(x)";
	const char *bidi = "import os\nclass C:\n    def a(self):\n        return 1\n    def d(self):\n        return 2\n"
			   "    def e(self):\n        return 3\n    def f(self):\n        return 4\n"
			   "# evil \xe2\x80\xae comment\n";
	struct lineset t = { 0 };

	lineset_add(&t, 6, 1);
	check_same("crlf", crlf, strlen(crlf), &t);
	check_same("tabs", tabs, strlen(tabs), &t);
	lineset_clear(&t);
	lineset_add(&t, 13, 1);
	check_same("no newline at the end", eof, strlen(eof), &t);
	lineset_clear(&t);
	lineset_add(&t, 11, 1);
	check_same("bidi comment", bidi, strlen(bidi), &t);
	lineset_clear(&t);
}

/*
 * Hostile shapes: a 40,000-clause if/elif chain with a third of its lines
 * touched (each touched line's statement is the whole chain: planned once,
 * not once per line), and a file where nearly every line is touched.
 */
static void test_long_chains_stay_linear(void **state)
{
	struct buf b = BUF_INIT(1 << 26);
	struct lineset t = { 0 };
	size_t i, rows;

	buf_puts(&b, "import os\n");
	for (i = 0; i < 40000; i++)
		buf_printf(&b, "%s x == %zu:\n    pass\n", i ? "elif" : "if", i);
	buf_puts(&b, "else:\n    os.system(x)\n");
	rows = 2 + 2 * 40000 + 2;
	for (i = 2; i < rows; i += 3)
		lineset_add(&t, (uint32_t)i, 1);
	check_same("elif chain", b.ptr, b.len, &t);
	lineset_clear(&t);
	lineset_add(&t, 2, (uint32_t)rows - 2);
	assert_int_equal(check_same("nearly every line", b.ptr, b.len, &t), 0);
	lineset_clear(&t);
	buf_free(&b);
}

/* --- full scans: the statements that hold needles (needle.c) ------------- */

/* Scan `src` with every line touched both ways; returns whether the full scan's plan was focused. */
static int check_same_full(const char *name, const char *src, size_t len)
{
	struct lineset all = { 0 };

	all.all = 1;
	return check_same(name, src, len, &all);
}

/* A full scan of `src` reports `expect` (rule ids in report order), as the whole parse does; focused or not. */
static void expect_full(const char *src, const char *expect, int must_focus)
{
	struct lineset all = { 0 };
	struct buf ids = BUF_INIT(1 << 20);
	pysec_report *r;
	size_t i;

	if (check_same_full(expect, src, strlen(src)) != must_focus)
		fail_msg("focus_plan_needles() %s the case expecting '%s'", must_focus ? "did not focus" : "focused", expect);
	all.all = 1;
	r = scan(src, strlen(src), &all, 0);
	for (i = 0; i < pysec_report_finding_count(r); i++)
		buf_printf(&ids, "%s%s", i ? " " : "", pysec_report_finding(r, i)->rule);
	assert_string_equal(buf_cstr(&ids), expect);
	buf_free(&ids);
	pysec_report_free(r);
}

/* What a call's name is written with may be on the line that bound the name, or further back. */
static void test_full_scan_follows_names_to_their_needles(void **state)
{
	expect_full("from os import system as run\nclass C:\n" FILLER "def z(cmd):\n    run(cmd)\n", "B605", 1);
	expect_full("import subprocess\np = subprocess.Popen\nclass C:\n" FILLER "q = p\ndef z(cmd):\n    q(cmd, shell=True)\n",
		"B404 B602", 1);
	expect_full("def z(cmd):\n    r(cmd, shell=True)\nclass C:\n" FILLER "import subprocess as sp\nr = sp.call\n",
		"B602 B404", 1);
	expect_full("sp = __import__('subprocess')\nclass C:\n" FILLER "def z(cmd):\n    sp.call(cmd, shell=True)\n",
		"B404 B602", 1);
	/* what `from m import *` binds is the rules' data: the file is parsed whole */
	expect_full("from subprocess import *\nclass C:\n" FILLER "def z(cmd):\n    call(cmd, shell=True)\n",
		"B404 B602", 0);
	/* flask's run(debug=True), where the file imports flask anywhere */
	expect_full("import flask\nclass C:\n" FILLER "def z(app):\n    app.run(debug=True)\n", "B201", 1);
}

/* A string's value is what Python makes of its text: joined, escapes read, an f-string's fields left out. */
static void test_full_scan_reads_string_values(void **state)
{
	expect_full("class C:\n" FILLER "def z():\n    open('/t' 'mp/x', 'w')\n", "B108", 1);
	expect_full("class C:\n" FILLER "def z():\n    open('\\x2ftmp/x', 'w')\n", "B108", 1);
	expect_full("class C:\n" FILLER "def z():\n    open(('/t'  # a comment\n          'mp/x'), 'w')\n", "B108", 1);
	expect_full("class C:\n" FILLER "def z(cur, u):\n    cur.execute(f\"SEL{''}ECT * FROM t WHERE id = {u}\")\n",
		"B608", 1);
	expect_full("class C:\n" FILLER "def z(cur, u):\n    cur.execute(f\"SEL{{ECT * FROM t WHERE id = {u}\")\n",
		"", 1);
	/* B105, B106, B107: a name or key that the password pattern matches */
	expect_full("class C:\n" FILLER "def z(password='hunter2'):\n    return {'db_passwd': 'x'}\n", "B107 B105", 1);
	expect_full("class C:\n" FILLER "def z(c):\n    c.login(user='u', my_token='abc')\n", "B106", 1);
	/* nothing any clause needs: nothing parsed */
	expect_full("class C:\n" FILLER "def z(c):\n    return c.compass(bypass=1)\n", "", 1);
}

/* --- differential: every file, pseudo-random touched lines -------------- */

static uint64_t rng = 88172645463325252ULL;

static uint32_t next_random(uint32_t below)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return below ? (uint32_t)(rng % below) : 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *data;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || st.st_size <= 0 || st.st_size > 4 * 1024 * 1024) {
		fclose(f);
		return NULL;
	}
	data = malloc((size_t)st.st_size);
	*len = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	return data;
}

static size_t count_rows(const char *s, size_t len)
{
	size_t n = 1, i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Does the whole file parse without a syntax error? */
static int parses(const char *src, size_t len)
{
	struct lineset all = { 0 };
	pysec_report *r;
	size_t i;
	int ok = 1;

	all.all = 1;
	r = scan(src, len, &all, 1);
	for (i = 0; i < pysec_report_entry_count(r); i++)
		ok &= pysec_report_entry(r, i)->kind != PYSEC_ENTRY_ERROR;
	pysec_report_free(r);
	return ok;
}

/*
 * 12 single lines and 4 runs of up to 40 lines; returns how many plans were
 * focused.  Files with a syntax error are left out: tree-sitter's error
 * recovery can change how a whole file's statements nest, and a focused
 * parse that never sees the error can find more.
 */
static int differential_file(const char *path)
{
	size_t len = 0, rows;
	char *src = read_file(path, &len);
	int focused = 0, k;

	if (!src)
		return 0;
	if (!parses(src, len)) {
		free(src);
		return 0;
	}
	rows = count_rows(src, len);
	for (k = 0; k < 16; k++) {
		struct lineset t = { 0 };
		uint32_t at = 1 + next_random((uint32_t)rows);
		lineset_add(&t, at, k < 12 ? 1 : 1 + next_random(40));
		if (k == 15)
			lineset_add(&t, 1 + next_random((uint32_t)rows), 3);
		focused += check_same(path, src, len, &t);
		lineset_clear(&t);
	}
	focused += check_same_full(path, src, len);
	free(src);
	return focused;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.py files directly in `dir` of at least `min_size` bytes, sorted; at most `max` of them. */
static size_t list_py(const char *dir, size_t min_size, char ***out, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		struct stat st;
		char *path;
		if (l < 4 || strcmp(e->d_name + l - 3, ".py"))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < min_size) {
			free(path);
			continue;
		}
		*ARRAY_PUSH(v, n, cap) = path;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), by_name);
	while (n > max)
		free(v[--n]);
	*out = v;
	return n;
}

static void differential(const char *dir, size_t min_size, size_t max)
{
	char **files;
	size_t n = list_py(dir, min_size, &files, max), i;
	int focused = 0;

	for (i = 0; i < n; i++) {
		focused += differential_file(files[i]);
		free(files[i]);
	}
	free(files);
	if (n)
		assert_true(focused > 0);
}

static void test_differential_rule_cases(void **state)
{
	differential("tests/rules", 0, 1000);	/* run from the top of the source tree, as make check does */
}

static void test_differential_corpus(void **state)
{
	const char *dir = getenv("PYSEC_FOCUS_CORPUS");

	differential(dir && *dir ? dir : "/usr/lib/python3.11", 20000, dir && *dir ? 100000 : 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_in_class_through_import_alias),
		cmocka_unit_test(test_a_function_s_names_stay_in_it),
		cmocka_unit_test(test_a_function_sees_later_module_bindings),
		cmocka_unit_test(test_class_body_names),
		cmocka_unit_test(test_bindings_far_above),
		cmocka_unit_test(test_global_elsewhere_parses_whole),
		cmocka_unit_test(test_module_value_reaching_a_later_call),
		cmocka_unit_test(test_rebinding_clears_an_alias),
		cmocka_unit_test(test_each_range_sees_its_own_bindings),
		cmocka_unit_test(test_annotated_and_chained_bindings),
		cmocka_unit_test(test_imported_module_far_above),
		cmocka_unit_test(test_clauses_and_decorators),
		cmocka_unit_test(test_syntax_error_parses_the_whole_file),
		cmocka_unit_test(test_full_scan_follows_names_to_their_needles),
		cmocka_unit_test(test_full_scan_reads_string_values),
		cmocka_unit_test(test_odd_files),
		cmocka_unit_test(test_long_chains_stay_linear),
		cmocka_unit_test(test_differential_rule_cases),
		cmocka_unit_test(test_differential_corpus),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
