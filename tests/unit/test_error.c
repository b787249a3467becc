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
#include <stdlib.h>

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

/* A message holds any length: a 5000-byte path survives whole, and so does its wrapping. */
static void long_path(void **state)
{
	char path[5001], *want;

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	want = xasprintf("cannot open '%s': gone", path);
	error_set(-1, "cannot open '%s': %s", path, "gone");
	assert_string_equal(error_last(), want);
	error_set(-2, "outer: %s", error_last());
	assert_int_equal(strncmp(error_last(), "outer: ", 7), 0);
	assert_string_equal(error_last() + 7, want);
	free(want);
}

/* a long message, freed when the thread ends (ASan's leak check would say otherwise) */
static void *other_thread(void *arg)
{
	char path[5001];

	memset(path, 'q', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	error_set(-1, "the other thread's: %s", path);
	return strlen(error_last()) == strlen(path) + 20 ? arg : NULL;
}

/* each thread its own */
static void per_thread(void **state)
{
	static int marker;
	pthread_t t;
	void *ok = NULL;

	error_set(-1, "this thread's");
	assert_int_equal(pthread_create(&t, NULL, other_thread, &marker), 0);
	pthread_join(t, &ok);
	assert_ptr_equal(ok, &marker);	/* it saw its own message whole */
	assert_string_equal(error_last(), "this thread's");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_and_read),
		cmocka_unit_test(wrapped),
		cmocka_unit_test(long_path),
		cmocka_unit_test(per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
