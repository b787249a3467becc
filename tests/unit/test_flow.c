/*
 * test_flow.c: values followed to the calls they reach (flow.c), and the
 * change-aware findings they make (README, "What a change adds"): one case
 * per flow shape.
 *
 * Each case is a file, the line the change touches (marked `# touched`),
 * and what the scan must report: "RULE:LINE>CALL_LINE severity" for a
 * change-aware finding (at the touched line, the call it reaches beside
 * it), "RULE:LINE severity" for another, "" for nothing.  Both the focused
 * and the whole-file parse must say so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec.h"
#include "util.h"
#include "engine.h"
#include "lines.h"

#include <stdio.h>
#include <string.h>

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

struct flow_case {
	const char *name;
	const char *src;
	const char *expect;
};

#define SP "import subprocess\n"

static const struct flow_case cases[] = {
	{ "assignment", SP "def f(request):\n    cmd = request.args['d']  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>4 high" },
	{ "augmented assignment", SP "def f(request):\n    cmd = 'ls '\n    cmd += request.args['d']  # touched\n"
	  "    subprocess.call(cmd, shell=True)\n", "B602:4>5 high" },
	{ "concatenation", SP "def f(d):\n    cmd = 'ls ' + d  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>4 high" },
	{ "f-string", SP "def f(d):\n    cmd = f'ls {d}'  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>4 high" },
	{ "percent", SP "def f(d):\n    cmd = 'ls %s' % d  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>4 high" },
	{ "format", SP "def f(d):\n    cmd = 'ls {}'.format(d)  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>4 high" },
	{ "container", SP "def f(d):\n    cmd = ['ls', d]  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>4 high B607:3>4 low" },
	{ "simple alias", SP "def f(d):\n    c = 'ls ' + d  # touched\n    cmd = c\n    subprocess.call(cmd, shell=True)\n",
	  "B602:3>5 high" },
	{ "a branch may set it", SP "def f(d, x):\n    cmd = 'ls'\n    if x:\n        cmd = 'ls ' + d  # touched\n"
	  "    subprocess.call(cmd, shell=True)\n", "B602:5>6 high" },
	{ "the module's level", SP "cmd = 'ls ' + user  # touched\nsubprocess.call(cmd, shell=True)\n",
	  "B602:2>3 high" },
	{ "a later assignment hides it", SP "def f(d):\n    cmd = 'ls ' + d  # touched\n    cmd = 'ls'\n"
	  "    subprocess.call(cmd, shell=True)\n", "" },
	{ "after the call it reaches nothing", SP "def f(d):\n    subprocess.call(cmd, shell=True)\n"
	  "    cmd = 'ls ' + d  # touched\n", "" },
	{ "a literal adds nothing", SP "def f(d):\n    cmd = 'ls -l'  # touched\n    subprocess.call(cmd, shell=True)\n",
	  "" },
	{ "a literal through a name takes the literal clause", SP "def f():\n    cmd = 'ls -l'\n"
	  "    subprocess.call(cmd, shell=True)  # touched\n", "B602:4 low B607:4 low" },
	{ "only literals through +, %, format and containers", SP "def f():\n    a = 'ls' + ' -l'\n"
	  "    b = '%s %s' % ('ls', '-l')\n    c = '{} {}'.format('ls', '-l')\n    subprocess.call(a, shell=True)  # touched\n"
	  "    subprocess.call(b, shell=True)  # touched\n    subprocess.call(c, shell=True)  # touched\n",
	  "B602:6 low B602:7 low B602:8 low" },
	{ "an annotation without a value changes nothing", SP "def f():\n    cmd = 'ls -l'\n    cmd: str\n"
	  "    subprocess.call(cmd, shell=True)  # touched\n", "B602:5 low B607:5 low" },
	{ "a parameter keeps the full severity", SP "def f(cmd):\n    subprocess.call(cmd, shell=True)  # touched\n",
	  "B602:3 high" },
	{ "shell=False through a name", SP "def f(cmd):\n    sh = False\n    subprocess.call(cmd, shell=sh)  # touched\n",
	  "B603:4 low" },
	{ "another function's name is not followed", SP "def g():\n    cmd = 'ls ' + x  # touched\n"
	  "def f(cmd):\n    subprocess.call(cmd, shell=True)\n", "" },
	/* eval's verdict does not depend on its argument: the call had it before */
	{ "eval of a touched value", "def f(request):\n    expr = request.args['e']  # touched\n    return eval(expr)\n",
	  "" },
	{ "yaml loader through a name", "import yaml\ndef f(data):\n    loader = yaml.SafeLoader\n"
	  "    return yaml.load(data, Loader=loader)  # touched\n", "" },
	{ "a touched loader makes an untouched load unsafe", "import yaml\ndef f(data):\n"
	  "    loader = yaml.UnsafeLoader  # touched\n    return yaml.load(data, Loader=loader)\n", "B506:3>4 medium" },
};

static uint32_t touched_line(const char *src, uint32_t *count)
{
	const char *p = src, *at = strstr(src, "# touched");
	uint32_t line = 1, first = 0;

	*count = 0;
	for (; *p; p++) {
		if (p == at) {
			if (!first)
				first = line;
			++*count;
			at = strstr(p + 1, "# touched");
		}
		line += *p == '\n';
	}
	return first;
}

static char *scan(const char *src, int whole)
{
	struct lineset t = { 0 };
	struct file_scan f = { 0 };
	struct buf b = BUF_INIT(1 << 16);
	pysec_report *r;
	const char *p, *at;
	uint32_t line = 1;
	size_t i;

	for (p = src, at = strstr(src, "# touched"); *p; p++) {
		if (p == at) {
			lineset_add(&t, line, 1);
			at = strstr(p + 1, "# touched");
		}
		line += *p == '\n';
	}
	f.path = "t.py";
	f.data = src;
	f.len = strlen(src);
	f.python = 1;
	f.whole = whole;
	f.code = &t;
	assert_int_equal(pysec_report_new(&r), 0);
	assert_int_equal(engine_scan_file(engine, r, &f, 0), 0);
	pysec_report_sort(r);
	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *x = pysec_report_finding(r, i);
		if (!strcmp(x->rule, "B404"))
			continue;
		if (x->related_line)
			buf_printf(&b, "%s%s:%u>%u %s", b.len ? " " : "", x->rule, x->line, x->related_line,
				pysec_level_name(x->severity));
		else
			buf_printf(&b, "%s%s:%u %s", b.len ? " " : "", x->rule, x->line, pysec_level_name(x->severity));
	}
	pysec_report_free(r);
	lineset_clear(&t);
	return buf_detach(&b);
}

static void every_flow_shape(void **state)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t count;
		char *whole = scan(cases[i].src, 1), *focused = scan(cases[i].src, 0);
		assert_true(touched_line(cases[i].src, &count) > 0);
		if (strcmp(whole ? whole : "", cases[i].expect) || strcmp(focused ? focused : "", cases[i].expect)) {
			print_error("%s:\n%s  expected \"%s\", whole \"%s\", focused \"%s\"\n", cases[i].name, cases[i].src,
				cases[i].expect, whole ? whole : "", focused ? focused : "");
			failed = 1;
		}
		free(whole);
		free(focused);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_flow_shape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
