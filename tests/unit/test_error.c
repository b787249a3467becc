/*
 * test_error.c: util's error message (util/error.c): set once where the
 * failure is known, and wrapped on the way up with where it happened,
 * error_last() itself an argument ("cannot open x: <why>").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <pthread.h>

static void set_and_read(void **state)
{
	assert_int_equal(error_set(-4, "cannot read '%s': %s", "a", "gone"), -4);
	assert_string_equal(error_last(), "cannot read 'a': gone");
}

static void wrapped(void **state)
{
	error_set(-1, "no such file");
	assert_int_equal(error_set(-2, "cannot open %s: %s", "/srv/a.git", error_last()), -2);
	assert_string_equal(error_last(), "cannot open /srv/a.git: no such file");
	error_set(-2, "%s: %s", "review", error_last());
	assert_string_equal(error_last(), "review: cannot open /srv/a.git: no such file");
}

static void truncated(void **state)
{
	char big[4096];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_set(-1, "%s", big);
	assert_int_equal(strlen(error_last()), 1023);
	error_set(-1, "outer: %s", error_last());
	assert_int_equal(strncmp(error_last(), "outer: xxx", 10), 0);
	assert_int_equal(strlen(error_last()), 1023);
}

static void *other_thread(void *arg)
{
	error_set(-1, "the other thread's");
	return NULL;
}

/* each thread its own */
static void per_thread(void **state)
{
	pthread_t t;

	error_set(-1, "this thread's");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	assert_string_equal(error_last(), "this thread's");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_and_read),
		cmocka_unit_test(wrapped),
		cmocka_unit_test(truncated),
		cmocka_unit_test(per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
