/*
 * test_needle.c: what a clause needs of a statement (needle.c): the
 * needles read off regexes, and every built-in rule's clauses telling
 * theirs (a clause that cannot makes every full scan parse whole).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec.h"
#include "util.h"
#include "engine.h"
#include "needle.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A group as text: alternatives split by " | ", needles by "&", edges as < and > around a needle. */
static char *group_text(const struct needle_set *s, const struct needle_group *g)
{
	struct buf b = BUF_INIT(1 << 16);
	size_t a, k;

	for (a = 0; a < g->nalts; a++) {
		if (a)
			buf_puts(&b, " | ");
		for (k = 0; k < g->alts[a][0]; k++) {
			const struct needle *n = &s->v[g->alts[a][k + 1]];
			buf_printf(&b, "%s%s%.*s%s", k ? "&" : "", (n->edges & NEEDLE_EDGE_LEFT) ? "<" : "", (int)n->len,
				n->text, (n->edges & NEEDLE_EDGE_RIGHT) ? ">" : "");
		}
	}
	return buf_detach(&b);
}

static void expect_regex(const char *pattern, const char *expect)
{
	struct needle_set s;
	struct needle_group g;
	char *got;

	memset(&s, 0, sizeof(s));
	if (needles_from_regex(&s, pattern, NEEDLE_NAME, &g) < 0) {
		got = xstrdup("(nothing)");
	} else {
		got = group_text(&s, &g);
		while (g.nalts)
			free(g.alts[--g.nalts]);
		free(g.alts);
	}
	if (strcmp(got, expect))
		fail_msg("regex %s: expected \"%s\", got \"%s\"", pattern, expect, got);
	free(got);
	needles_free(&s);
}

static void regex_runs_alternatives_and_groups(void **state)
{
	expect_regex("abc", "abc");
	expect_regex("a+bc", "bc");
	expect_regex("abc?d", "ab");
	expect_regex("(foo|bar)baz", "foo&baz | bar&baz");
	expect_regex("x(foo|bar)?yz", "yz");
	expect_regex("(?i)select\\s.*from\\s|update\\s.*set\\s", "select&from | update&set");
	expect_regex("(?:ab)+cd", "ab&cd");
	expect_regex("a\\.b", "a.b");
	/* the same alternative in several branches is kept once */
	expect_regex("^(pwd)$|_(pwd)_", "<pwd>");
}

static void regex_edges_come_from_anchors_and_punctuation(void **state)
{
	expect_regex("^token$", "<token>");
	expect_regex("\\btoken\\b", "<token>");
	expect_regex("_(token)_", "<token>");
	expect_regex("^pas+word", "<pas&word");
	expect_regex("xtoken", "xtoken");
	/* a repeated group's needle stands beside its own repetitions */
	expect_regex("^(ab)+$", "ab");
}

static void regex_without_certain_needles_gives_nothing(void **state)
{
	expect_regex(".*", "(nothing)");
	expect_regex("a?", "(nothing)");
	expect_regex("abc|.*", "(nothing)");
	expect_regex("[abc]+", "(nothing)");
	expect_regex("\\Qabc\\E", "(nothing)");
	expect_regex("(?x) a b c", "(nothing)");
	expect_regex("\\x41bc", "(nothing)");
	expect_regex("(abc", "(nothing)");
	expect_regex("abc)", "(nothing)");
}

/* The needles of a user's call rule, as the engine reads it from a rules directory. */
static char *call_rule_needles(const char *glob)
{
	pysec_config *cfg;
	pysec_engine *e;
	char dir[] = "/tmp/pysec-needle-XXXXXX";
	char *path, *got;
	const struct needle_set *s;
	size_t c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/X901.rule", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "rule X901\nname a_call\ntitle a call\nseverity low\nconfidence low\nmessage a call\n"
		   "why a test\nfix none\nexample f()\nmatch call %s\n", glob);
	fclose(f);
	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.rulesDir", dir), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.enable", "X901"), 0);
	assert_int_equal(pysec_engine_new(&e, cfg), 0);
	s = engine_needles(e);
	got = xstrdup("(none)");
	for (c = 0; c < s->nclauses; c++) {
		const struct needle_clause *nc = &s->clauses[c];
		if (nc->ngroups == 1 && nc->groups[0].nalts == 1 && c == s->nclauses - 1) {
			free(got);
			got = group_text(s, &nc->groups[0]);
		}
	}
	pysec_engine_free(e);
	pysec_config_free(cfg);
	unlink(path);
	rmdir(dir);
	free(path);
	return got;
}

/* A glob's literal runs, not what is inside a class or past an escape */
static void glob_needles_are_certain(void **state)
{
	char *got = call_rule_needles("pkg.spawn[lv]*");

	assert_string_equal(got, "pkg&<spawn");
	free(got);
	got = call_rule_needles("pkg.[abcdef]x");
	assert_string_equal(got, "pkg");
	free(got);
	got = call_rule_needles("pkg.*Server");
	assert_string_equal(got, "pkg&server>");
	free(got);
}

static void builtin_rules_tell_their_needles(void **state)
{
	pysec_engine *e;

	assert_int_equal(pysec_engine_new(&e, NULL), 0);
	/* a rule whose clause says nothing certain would make every full scan parse every file whole */
	assert_int_equal(engine_needles(e)->unfocusable, 0);
	assert_true(engine_needles(e)->nclauses > 50);
	pysec_engine_free(e);
}

static void a_user_rule_that_needs_nothing_parses_whole(void **state)
{
	pysec_config *cfg;
	pysec_engine *e;
	char dir[] = "/tmp/pysec-needle-XXXXXX";
	char *path;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/X900.rule", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("rule X900\nname any_call\ntitle any call\nseverity low\nconfidence low\nmessage a call\n"
	      "why a test\nfix none\nexample f()\nmatch call *\n", f);
	fclose(f);
	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.rulesDir", dir), 0);
	assert_int_equal(pysec_engine_new(&e, cfg), 0);
	assert_int_equal(engine_needles(e)->unfocusable, 1);
	pysec_engine_free(e);
	pysec_config_free(cfg);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regex_runs_alternatives_and_groups),
		cmocka_unit_test(regex_edges_come_from_anchors_and_punctuation),
		cmocka_unit_test(regex_without_certain_needles_gives_nothing),
		cmocka_unit_test(glob_needles_are_certain),
		cmocka_unit_test(builtin_rules_tell_their_needles),
		cmocka_unit_test(a_user_rule_that_needs_nothing_parses_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
