/*
 * test_pool.c: the pools of util/alloc.c, which hold a rule set's strings
 * and vectors: every allocation aligned for any type, a request larger
 * than a block served whole, and everything gone at once with pool_clear().
 * Under ASan, a write past what was asked for is caught.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <stdalign.h>

static void allocations_are_aligned_and_distinct(void **state)
{
	struct pool p = POOL_INIT;
	unsigned char *prev = NULL;
	size_t i;

	for (i = 0; i < 5000; i++) {
		size_t n = 1 + i % 37;
		unsigned char *a = pool_alloc(&p, n);
		assert_int_equal((uintptr_t)a % alignof(max_align_t), 0);
		memset(a, (int)(i & 0xff), n);
		if (prev)
			assert_int_equal(prev[0], (i - 1) & 0xff);
		prev = a;
	}
	pool_clear(&p);
	assert_null(p.blocks);
}

static void a_request_larger_than_a_block_is_served_whole(void **state)
{
	struct pool p = POOL_INIT;
	char *small = pool_strndup(&p, "before", 6);
	char *big = pool_alloc(&p, 1 << 20);
	char *after;

	memset(big, 'b', 1 << 20);
	/* the big block goes behind the current one, which still serves small requests */
	after = pool_strndup(&p, "after", 5);
	assert_string_equal(small, "before");
	assert_string_equal(after, "after");
	assert_int_equal(big[(1 << 20) - 1], 'b');
	pool_clear(&p);

	/* and as the first request of an empty pool */
	big = pool_alloc(&p, 1 << 20);
	memset(big, 'c', 1 << 20);
	assert_string_equal(pool_strndup(&p, "next", 4), "next");
	pool_clear(&p);
}

static void strndup_copies_and_terminates(void **state)
{
	struct pool p = POOL_INIT;
	char *s = pool_strndup(&p, "abcdef", 3);

	assert_string_equal(s, "abc");
	assert_string_equal(pool_strndup(&p, "", 0), "");
	pool_clear(&p);
	/* a cleared pool is an empty one, ready again */
	assert_string_equal(pool_strndup(&p, "again", 5), "again");
	pool_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allocations_are_aligned_and_distinct),
		cmocka_unit_test(a_request_larger_than_a_block_is_served_whole),
		cmocka_unit_test(strndup_copies_and_terminates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
