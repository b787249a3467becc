/*
 * test_suggest.c: util's "did you mean" (suggest_init, suggest_try,
 * suggest_best): the closest name, when it is close enough to be a typo.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

static const char *best_of(const char *word, const char *const *names)
{
	struct suggest s;

	suggest_init(&s, word);
	for (; *names; names++)
		suggest_try(&s, *names);
	return suggest_best(&s);
}

static void typos_are_found(void **state)
{
	static const char *const ids[] = { "B102", "B101", "B110", NULL };
	static const char *const keys[] = { "pysec.minConfidence", "pysec.failOn", "pysec.nosec", NULL };
	static const char *const bandit[] = { "exclude_dirs", "skips", "tests", NULL };

	assert_string_equal(best_of("B1O1", ids), "B101");		/* a letter for a digit */
	assert_string_equal(best_of("pysec.fialOn", keys), "pysec.failOn");	/* two letters swapped: one edit */
	assert_string_equal(best_of("pysec.nsec", keys), "pysec.nosec");	/* one left out */
	assert_string_equal(best_of("skpis", bandit), "skips");
	assert_string_equal(best_of("exclude_dir", bandit), "exclude_dirs");
	assert_string_equal(best_of("PYSEC.FAILON2", keys), "pysec.failOn");	/* case aside */
}

static void far_words_are_not(void **state)
{
	static const char *const levels[] = { "low", "medium", "high", NULL };
	static const char *const ids[] = { "B101", "B602", NULL };
	static const char *const none[] = { NULL };

	assert_null(best_of("severe", levels));
	assert_null(best_of("B6", ids));			/* two edits in two letters */
	assert_null(best_of("B9O1", ids));		/* two edits in four letters: one at most */
	assert_null(best_of("anything", none));
}

/* The word itself, in another case, is no typo of it; the first of equally close names wins. */
static void exact_and_ties(void **state)
{
	static const char *const keys[] = { "pysec.failOn", NULL };
	static const char *const ties[] = { "B102", "B103", NULL };

	assert_null(best_of("PYSEC.FAILON", keys));
	assert_string_equal(best_of("B104", ties), "B102");
}

/* Long words are not compared (bounded work for hostile input); one edit a quarter of the word. */
static void bounds(void **state)
{
	char longer[300], other[300];
	const char *names[] = { other, NULL };
	static const char *const eight[] = { "abcdefgh", NULL };

	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(other, longer, sizeof(other));
	other[0] = 'b';
	assert_null(best_of(longer, names));
	assert_string_equal(best_of("abcdefXY", eight), "abcdefgh");	/* 2 edits in 8 letters */
	assert_null(best_of("abcdeXYZ", eight));			/* 3 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typos_are_found),
		cmocka_unit_test(far_words_are_not),
		cmocka_unit_test(exact_and_ties),
		cmocka_unit_test(bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
