/*
 * test_suggest.c: util's "did you mean" (util/text.c): the closest name
 * within one edit in four letters (at least one), case aside, a swap of
 * two neighbours one edit; nothing offered for a word that is no typo.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static const char *names[] = { "failOn", "minConfidence", "disable", "enable", "exclude", "B101", "B102", "B602" };

static const char *best_of(const char *word)
{
	static struct suggest s;
	size_t i;

	suggest_init(&s, word);
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		suggest_try(&s, names[i]);
	return suggest_best(&s);
}

static void typos(void **state)
{
	(void)state;
	assert_string_equal(best_of("fialOn"), "failOn");	/* a swap is one edit */
	assert_string_equal(best_of("fAILoM"), "failOn");	/* case aside, one edit */
	assert_string_equal(best_of("B1O1"), "B101");		/* one edit in a 4-letter word */
	assert_string_equal(best_of("disabel"), "disable");
	assert_string_equal(best_of("minConfidance"), "minConfidence");
}

static void no_typo(void **state)
{
	(void)state;
	assert_null(best_of("severe"));
	assert_null(best_of("failOn"));		/* the same name is no suggestion, */
	assert_null(best_of("FAILON"));		/* nor is it in other letters (keys are case-insensitive) */
	assert_null(best_of("B6O3"));		/* two edits in four letters */
	assert_null(best_of(""));
}

static void first_of_equals(void **state)
{
	(void)state;
	assert_string_equal(best_of("B10"), "B101");	/* B101 and B102 are both one edit: the first offered */
}

/* A hostile word: long, near nothing; every name is refused at once, and the answer is still right. */
static void long_words(void **state)
{
	char word[300];
	struct suggest s;

	(void)state;
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	assert_null(best_of(word));
	memset(word, 'a', 40);
	memcpy(word, "exclude", 7);
	word[40] = '\0';
	assert_null(best_of(word));
	/* 13 letters: three edits allowed; two found past a row that was over the cap */
	suggest_init(&s, "mXnconfXXence");
	suggest_try(&s, "minConfidence");
	assert_string_equal(suggest_best(&s), "minConfidence");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typos),
		cmocka_unit_test(no_typo),
		cmocka_unit_test(first_of_equals),
		cmocka_unit_test(long_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
