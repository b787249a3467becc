/*
 * test_paths.c: the path matcher (diffscan/paths.c): .gitignore patterns
 * as git matches them (pysec.exclude, [pysec "path:PATTERN"], Bandit's
 * exclude_dirs once made patterns), against paths from the top.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "paths.h"

#include <git2.h>

static int matches(const char *pattern, const char *path)
{
	struct path_rules *r = NULL;
	char *p = (char *)pattern;
	int m;

	assert_int_equal(path_rules_new(&r, &p, 1), 0);
	m = path_rules_match(r, path);
	path_rules_free(r);
	return m;
}

static void a_name_matches_anywhere(void **state)
{
	assert_true(matches("tests", "tests/test_a.py"));
	assert_true(matches("tests", "app/tests/test_a.py"));
	assert_true(matches("tests", "tests"));
	assert_true(matches("tests/", "app/tests/deep/x.py"));
	assert_false(matches("tests/", "tests"));		/* a directory only: a file named so is not one */
	assert_false(matches("tests", "mytests/x.py"));
	assert_false(matches("tests", "tests.py"));
}

static void a_slash_anchors_at_the_top(void **state)
{
	assert_true(matches("/tests", "tests/x.py"));
	assert_false(matches("/tests", "app/tests/x.py"));
	assert_true(matches("path/to/file", "path/to/file"));
	assert_false(matches("path/to/file", "a/path/to/file"));
	assert_true(matches("tests", "./tests/x.py"));		/* a leading ./ is ignored */
}

static void globs(void **state)
{
	assert_true(matches("*.gen.py", "a/b/x.gen.py"));
	assert_false(matches("*.gen.py", "a/b/x.py"));
	assert_true(matches("docs/**/conf.py", "docs/conf.py"));
	assert_true(matches("docs/**/conf.py", "docs/a/b/conf.py"));
	assert_false(matches("docs/*/conf.py", "docs/a/b/conf.py"));	/* one * does not cross '/' */
	assert_true(matches("**/tests/**", "a/tests/b/x.py"));		/* Bandit's * /tests/ * */
	assert_true(matches("t?st.py", "test.py"));
	assert_true(matches("[ab].py", "b.py"));
}

static void negation_and_order(void **state)
{
	char *pats[] = { "*.py", "!keep.py" };
	struct path_rules *r = NULL;

	assert_int_equal(path_rules_new(&r, pats, 2), 0);
	assert_true(path_rules_match(r, "x.py"));
	assert_false(path_rules_match(r, "keep.py"));
	assert_false(path_rules_match(r, "x.txt"));
	path_rules_free(r);
}

static void no_patterns_match_nothing(void **state)
{
	struct path_rules *r = NULL;

	assert_int_equal(path_rules_new(&r, NULL, 0), 0);
	assert_false(path_rules_match(r, "x.py"));
	path_rules_free(r);
	assert_false(matches("", "x.py"));
	assert_false(matches("# a comment", "# a comment"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_name_matches_anywhere),
		cmocka_unit_test(a_slash_anchors_at_the_top),
		cmocka_unit_test(globs),
		cmocka_unit_test(negation_and_order),
		cmocka_unit_test(no_patterns_match_nothing),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
