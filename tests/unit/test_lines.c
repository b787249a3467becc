/*
 * test_lines.c: the touched-line sets of lines.c.
 *
 * A lineset holds sorted, disjoint, 1-based half-open ranges [start, end):
 * lineset_add(set, 5, 3) adds lines 5, 6 and 7.  Ranges that overlap or
 * touch are merged, so the set is always in its smallest form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lines.h"

#include <stdio.h>

/* The set as "[a,b) [c,d)" (or "all"), for readable comparisons. */
static const char *show(const struct lineset *set)
{
	static char out[1024];
	size_t i, n = 0;

	out[0] = '\0';
	if (set->all)
		return "all";
	for (i = 0; i < set->len; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s[%u,%u)", i ? " " : "",
			set->ranges[i].start, set->ranges[i].end);
	return out;
}

/* --- lineset_add ------------------------------------------------------------ */

static void add_to_empty_set(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 3);
	assert_string_equal(show(&s), "[5,8)");
	lineset_clear(&s);
}

static void add_count_zero_adds_nothing(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 0);
	assert_int_equal(s.len, 0);
	lineset_add(&s, 5, 3);
	lineset_add(&s, 20, 0);
	lineset_add(&s, 8, 0);	/* would touch [5,8) if it held a line */
	assert_string_equal(show(&s), "[5,8)");
	lineset_clear(&s);
}

static void add_adjacent_after_merges(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 3);	/* 5..7 */
	lineset_add(&s, 8, 2);	/* 8..9 touches it */
	assert_string_equal(show(&s), "[5,10)");
	lineset_clear(&s);
}

static void add_adjacent_before_merges(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 3);
	lineset_add(&s, 3, 2);	/* 3..4 ends where 5 starts */
	assert_string_equal(show(&s), "[3,8)");
	lineset_clear(&s);
}

static void add_with_gap_stays_separate(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 3);	/* 5..7 */
	lineset_add(&s, 9, 1);	/* 9: line 8 is between them */
	assert_string_equal(show(&s), "[5,8) [9,10)");
	lineset_clear(&s);
}

static void add_overlapping_merges(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 5);	/* 5..9 */
	lineset_add(&s, 7, 10);	/* 7..16 */
	assert_string_equal(show(&s), "[5,17)");
	lineset_add(&s, 6, 2);	/* inside */
	assert_string_equal(show(&s), "[5,17)");
	lineset_add(&s, 1, 30);	/* around */
	assert_string_equal(show(&s), "[1,31)");
	lineset_clear(&s);
}

static void add_out_of_order_keeps_ranges_sorted(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 50, 1);
	lineset_add(&s, 10, 1);
	lineset_add(&s, 30, 1);
	lineset_add(&s, 1, 1);
	lineset_add(&s, 40, 1);
	assert_string_equal(show(&s), "[1,2) [10,11) [30,31) [40,41) [50,51)");
	lineset_clear(&s);
}

static void add_bridging_range_merges_all_it_touches(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 1, 2);		/* [1,3) */
	lineset_add(&s, 5, 2);		/* [5,7) */
	lineset_add(&s, 9, 2);		/* [9,11) */
	lineset_add(&s, 20, 2);		/* [20,22) */
	lineset_add(&s, 3, 6);		/* [3,9): touches the first three */
	assert_string_equal(show(&s), "[1,11) [20,22)");
	lineset_clear(&s);
}

static void add_near_uint32_max_does_not_wrap(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, UINT32_MAX - 2, 10);
	assert_int_equal(s.len, 1);
	assert_int_equal(s.ranges[0].start, UINT32_MAX - 2);
	assert_int_equal(s.ranges[0].end, UINT32_MAX);
	lineset_clear(&s);
}

static void add_to_all_set_changes_nothing(void **state)
{
	struct lineset s = { 0 };

	s.all = 1;
	lineset_add(&s, 5, 3);
	assert_int_equal(s.len, 0);
	assert_true(s.all);
	lineset_clear(&s);
}

/* --- lineset_hits ----------------------------------------------------------- */

static void hits_on_empty_set_is_false(void **state)
{
	struct lineset s = { 0 };

	assert_false(lineset_hits(&s, 1, 1));
	assert_false(lineset_hits(&s, 1, UINT32_MAX));
}

static void hits_respects_half_open_edges(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 3);	/* lines 5, 6, 7 */
	assert_false(lineset_hits(&s, 4, 4));	/* just before */
	assert_true(lineset_hits(&s, 5, 5));	/* first line */
	assert_true(lineset_hits(&s, 7, 7));	/* last line */
	assert_false(lineset_hits(&s, 8, 8));	/* `end` is not in the set */
	lineset_clear(&s);
}

static void hits_spans_are_inclusive(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 5, 3);	/* lines 5..7 */
	assert_true(lineset_hits(&s, 1, 5));	/* a span ending on the first line */
	assert_true(lineset_hits(&s, 7, 100));	/* a span starting on the last line */
	assert_true(lineset_hits(&s, 1, 100));	/* a span around the range */
	assert_false(lineset_hits(&s, 1, 4));
	assert_false(lineset_hits(&s, 8, 100));
	lineset_clear(&s);
}

static void hits_between_ranges_is_false(void **state)
{
	struct lineset s = { 0 };

	lineset_add(&s, 1, 2);		/* 1, 2 */
	lineset_add(&s, 10, 2);		/* 10, 11 */
	lineset_add(&s, 20, 2);		/* 20, 21 */
	assert_false(lineset_hits(&s, 3, 9));
	assert_false(lineset_hits(&s, 12, 19));
	assert_true(lineset_hits(&s, 12, 20));
	assert_true(lineset_hits(&s, 11, 11));
	assert_true(lineset_hits(&s, 21, 21));
	assert_false(lineset_hits(&s, 22, 22));
	lineset_clear(&s);
}

static void hits_many_ranges(void **state)
{
	struct lineset s = { 0 };
	uint32_t line;

	/* every even line from 2 to 2000, added backwards */
	for (line = 2000; line >= 2; line -= 2)
		lineset_add(&s, line, 1);
	assert_int_equal(s.len, 1000);
	for (line = 1; line <= 2001; line++)
		assert_int_equal(lineset_hits(&s, line, line), line % 2 == 0);
	lineset_clear(&s);
}

static void hits_all_set_hits_everything(void **state)
{
	struct lineset s = { 0 };

	s.all = 1;
	assert_true(lineset_hits(&s, 1, 1));
	assert_true(lineset_hits(&s, 123456, 123456));
	assert_true(lineset_hits(&s, UINT32_MAX, UINT32_MAX));
	lineset_clear(&s);
}

/* --- lineset_union and lineset_clear ---------------------------------------- */

static void union_merges_ranges(void **state)
{
	struct lineset a = { 0 }, b = { 0 };

	lineset_add(&a, 1, 3);		/* [1,4) */
	lineset_add(&a, 20, 5);		/* [20,25) */
	lineset_add(&b, 4, 2);		/* [4,6): touches [1,4) */
	lineset_add(&b, 10, 1);		/* [10,11) */
	lineset_add(&b, 22, 10);	/* [22,32): overlaps [20,25) */
	lineset_union(&a, &b);
	assert_string_equal(show(&a), "[1,6) [10,11) [20,32)");
	assert_string_equal(show(&b), "[4,6) [10,11) [22,32)");	/* src is left alone */
	lineset_clear(&a);
	lineset_clear(&b);
}

static void union_with_empty_set(void **state)
{
	struct lineset a = { 0 }, empty = { 0 };

	lineset_union(&a, &empty);
	assert_int_equal(a.len, 0);
	assert_false(a.all);
	lineset_add(&a, 3, 1);
	lineset_union(&a, &empty);
	assert_string_equal(show(&a), "[3,4)");
	lineset_union(&empty, &a);
	assert_string_equal(show(&empty), "[3,4)");
	lineset_clear(&a);
	lineset_clear(&empty);
}

static void union_with_all_makes_all(void **state)
{
	struct lineset a = { 0 }, all = { 0 };

	all.all = 1;
	lineset_add(&a, 3, 1);
	lineset_union(&a, &all);
	assert_true(a.all);
	assert_true(lineset_hits(&a, 1000, 1000));
	lineset_clear(&a);
	lineset_clear(&all);
}

static void clear_empties_the_set(void **state)
{
	struct lineset s = { 0 };

	s.all = 1;
	lineset_clear(&s);
	lineset_add(&s, 3, 1);
	assert_string_equal(show(&s), "[3,4)");
	lineset_clear(&s);
	assert_null(s.ranges);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.cap, 0);
	assert_false(s.all);
	assert_false(lineset_hits(&s, 3, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_to_empty_set),
		cmocka_unit_test(add_count_zero_adds_nothing),
		cmocka_unit_test(add_adjacent_after_merges),
		cmocka_unit_test(add_adjacent_before_merges),
		cmocka_unit_test(add_with_gap_stays_separate),
		cmocka_unit_test(add_overlapping_merges),
		cmocka_unit_test(add_out_of_order_keeps_ranges_sorted),
		cmocka_unit_test(add_bridging_range_merges_all_it_touches),
		cmocka_unit_test(add_near_uint32_max_does_not_wrap),
		cmocka_unit_test(add_to_all_set_changes_nothing),
		cmocka_unit_test(hits_on_empty_set_is_false),
		cmocka_unit_test(hits_respects_half_open_edges),
		cmocka_unit_test(hits_spans_are_inclusive),
		cmocka_unit_test(hits_between_ranges_is_false),
		cmocka_unit_test(hits_many_ranges),
		cmocka_unit_test(hits_all_set_hits_everything),
		cmocka_unit_test(union_merges_ranges),
		cmocka_unit_test(union_with_empty_set),
		cmocka_unit_test(union_with_all_makes_all),
		cmocka_unit_test(clear_empties_the_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
