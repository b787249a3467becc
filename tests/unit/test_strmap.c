/*
 * test_strmap.c: the string-keyed hash map of strmap.c.
 *
 * The map copies its keys and owns its values: a value that is replaced or
 * left in the map at strmap_clear() goes to free_value (when one is set).
 * Keys are (pointer, length) pairs, so a lookup may use part of a string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec.h"
#include "util.h"
#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>

static void *get(const struct strmap *m, const char *key)
{
	return strmap_get(m, key, strlen(key));
}

static void put(struct strmap *m, const char *key, void *value)
{
	strmap_put(m, key, strlen(key), value);
}

/* A free_value that counts its calls and remembers what it was given. */
static int freed;
static void *last_freed;

static void count_free(void *v)
{
	freed++;
	last_freed = v;
}

/* --- put and get ----------------------------------------------------------- */

static void get_on_empty_map_is_null(void **state)
{
	struct strmap m = { 0 };

	assert_null(get(&m, "x"));
	assert_null(get(&m, ""));
	strmap_clear(&m);
}

static void put_then_get(void **state)
{
	struct strmap m = { 0 };
	int a, b;

	put(&m, "alpha", &a);
	put(&m, "beta", &b);
	assert_int_equal(m.len, 2);
	assert_ptr_equal(get(&m, "alpha"), &a);
	assert_ptr_equal(get(&m, "beta"), &b);
	assert_null(get(&m, "gamma"));
	strmap_clear(&m);
}

static void keys_are_copied(void **state)
{
	struct strmap m = { 0 };
	char key[] = "mutable";
	int v;

	put(&m, key, &v);
	key[0] = 'M';
	assert_ptr_equal(get(&m, "mutable"), &v);
	assert_null(get(&m, "Mutable"));
	strmap_clear(&m);
}

static void keys_are_case_sensitive(void **state)
{
	struct strmap m = { 0 };
	int v;

	put(&m, "B602", &v);
	assert_ptr_equal(get(&m, "B602"), &v);
	assert_null(get(&m, "b602"));
	strmap_clear(&m);
}

static void empty_key(void **state)
{
	struct strmap m = { 0 };
	int v;

	put(&m, "", &v);
	assert_ptr_equal(get(&m, ""), &v);
	assert_null(get(&m, "x"));
	strmap_clear(&m);
}

static void key_length_counts_not_the_nul(void **state)
{
	struct strmap m = { 0 };
	int v;

	/* put "sub" from "subprocess", then look it up from other strings */
	strmap_put(&m, "subprocess", 3, &v);
	assert_ptr_equal(get(&m, "sub"), &v);
	assert_ptr_equal(strmap_get(&m, "subway", 3), &v);
	assert_null(get(&m, "subprocess"));
	assert_null(strmap_get(&m, "sub", 2));
	strmap_clear(&m);
}

static void keys_with_same_prefix_are_distinct(void **state)
{
	struct strmap m = { 0 };
	int a, b, c, d;

	put(&m, "os", &a);
	put(&m, "os.path", &b);
	put(&m, "os.path.join", &c);
	put(&m, "o", &d);
	assert_int_equal(m.len, 4);
	assert_ptr_equal(get(&m, "o"), &d);
	assert_ptr_equal(get(&m, "os"), &a);
	assert_ptr_equal(get(&m, "os.path"), &b);
	assert_ptr_equal(get(&m, "os.path.join"), &c);
	assert_null(get(&m, "os."));
	assert_null(get(&m, "os.path.join.x"));
	strmap_clear(&m);
}

/* --- replacing --------------------------------------------------------------- */

static void replace_keeps_one_entry(void **state)
{
	struct strmap m = { 0 };
	int a, b;

	put(&m, "k", &a);
	put(&m, "k", &b);
	assert_int_equal(m.len, 1);
	assert_ptr_equal(get(&m, "k"), &b);
	strmap_clear(&m);
}

static void replace_frees_the_old_value(void **state)
{
	struct strmap m = { 0 };
	int a, b;

	m.free_value = count_free;
	freed = 0;
	put(&m, "k", &a);
	assert_int_equal(freed, 0);
	put(&m, "k", &b);
	assert_int_equal(freed, 1);
	assert_ptr_equal(last_freed, &a);
	assert_ptr_equal(get(&m, "k"), &b);
	strmap_clear(&m);
	assert_int_equal(freed, 2);
	assert_ptr_equal(last_freed, &b);
}

static void replace_with_same_value_does_not_free_it(void **state)
{
	struct strmap m = { 0 };
	int a;

	m.free_value = count_free;
	freed = 0;
	put(&m, "k", &a);
	put(&m, "k", &a);
	assert_int_equal(freed, 0);
	assert_ptr_equal(get(&m, "k"), &a);
	strmap_clear(&m);
	assert_int_equal(freed, 1);
}

static void replace_with_heap_values_does_not_leak(void **state)
{
	struct strmap m = { 0 };

	/* under ASan/LSan a missing free() here is a failure */
	m.free_value = free;
	put(&m, "k", xstrdup("one"));
	put(&m, "k", xstrdup("two"));
	put(&m, "k", NULL);
	assert_null(get(&m, "k"));
	put(&m, "k", xstrdup("three"));
	assert_string_equal(get(&m, "k"), "three");
	strmap_clear(&m);
}

/* --- clear ------------------------------------------------------------------- */

static void clear_frees_every_value_once(void **state)
{
	struct strmap m = { 0 };
	int values[50];
	char key[16];
	int i;

	m.free_value = count_free;
	freed = 0;
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&m, key, &values[i]);
	}
	assert_int_equal(freed, 0);
	strmap_clear(&m);
	assert_int_equal(freed, 50);
	assert_null(m.slots);
	assert_int_equal(m.len, 0);
	assert_int_equal(m.cap, 0);
}

static void clear_without_free_value(void **state)
{
	struct strmap m = { 0 };
	int v;

	put(&m, "k", &v);
	strmap_clear(&m);	/* values are not the map's to free */
	assert_null(get(&m, "k"));
}

static void map_is_reusable_after_clear(void **state)
{
	struct strmap m = { 0 };
	int a, b;

	put(&m, "k", &a);
	strmap_clear(&m);
	assert_null(get(&m, "k"));
	put(&m, "k", &b);
	assert_ptr_equal(get(&m, "k"), &b);
	assert_int_equal(m.len, 1);
	strmap_clear(&m);
	strmap_clear(&m);	/* clearing an empty map is harmless */
}

/* --- growth ------------------------------------------------------------------ */

static void many_keys_survive_growth(void **state)
{
	enum { N = 10000 };
	struct strmap m = { 0 };
	static int values[N];
	char key[32];
	int i;

	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "module%d.func", i);
		put(&m, key, &values[i]);
	}
	assert_int_equal(m.len, N);
	assert_true(m.cap >= N);
	assert_true(m.len * 4 <= m.cap * 3);	/* load stays at or below 3/4 */
	assert_int_equal(m.cap & (m.cap - 1), 0);	/* a power of two */
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "module%d.func", i);
		assert_ptr_equal(get(&m, key), &values[i]);
	}
	assert_null(get(&m, "module10000.func"));
	assert_null(get(&m, "module1.fun"));
	strmap_clear(&m);
}

static void replacing_after_growth(void **state)
{
	enum { N = 1000 };
	struct strmap m = { 0 };
	static int first[N], second[N];
	char key[32];
	int i;

	m.free_value = count_free;
	freed = 0;
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "%d", i);
		put(&m, key, &first[i]);
	}
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "%d", i);
		put(&m, key, &second[i]);
	}
	assert_int_equal(m.len, N);
	assert_int_equal(freed, N);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "%d", i);
		assert_ptr_equal(get(&m, key), &second[i]);
	}
	strmap_clear(&m);
	assert_int_equal(freed, 2 * N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_on_empty_map_is_null),
		cmocka_unit_test(put_then_get),
		cmocka_unit_test(keys_are_copied),
		cmocka_unit_test(keys_are_case_sensitive),
		cmocka_unit_test(empty_key),
		cmocka_unit_test(key_length_counts_not_the_nul),
		cmocka_unit_test(keys_with_same_prefix_are_distinct),
		cmocka_unit_test(replace_keeps_one_entry),
		cmocka_unit_test(replace_frees_the_old_value),
		cmocka_unit_test(replace_with_same_value_does_not_free_it),
		cmocka_unit_test(replace_with_heap_values_does_not_leak),
		cmocka_unit_test(clear_frees_every_value_once),
		cmocka_unit_test(clear_without_free_value),
		cmocka_unit_test(map_is_reusable_after_clear),
		cmocka_unit_test(many_keys_survive_growth),
		cmocka_unit_test(replacing_after_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
