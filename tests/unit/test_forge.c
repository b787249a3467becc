/*
 * test_forge.c: the parts of the forge library that need no server: which
 * API root a URL gives on each forge, the forges' names, and the markers
 * pysec finds its own comments by.  (What pysec sends and how it reads the
 * answers is tested against the stand-in forge: tests/t/t30 to t32.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec_forge.h"
#include "forge.h"

#include <stdlib.h>

static void check_root(pysec_forge_kind kind, const char *url, const char *want)
{
	pysec_forge_options o = PYSEC_FORGE_OPTIONS_INIT;
	pysec_forge *f = NULL;

	o.kind = kind;
	o.url = url;
	o.token = "t0ken";
	assert_int_equal(pysec_forge_new(&f, &o), 0);
	assert_string_equal(pysec_forge_url(f), want);
	pysec_forge_free(f);
}

static void api_roots(void **state)
{
	check_root(PYSEC_FORGE_GITLAB, "https://gitlab.example.com", "https://gitlab.example.com/api/v4");
	check_root(PYSEC_FORGE_GITLAB, "https://gitlab.example.com/api/v4/", "https://gitlab.example.com/api/v4");
	check_root(PYSEC_FORGE_GITEA, "https://gitea.example.com/", "https://gitea.example.com/api/v1");
	/* github.com's API is on a host of its own; GitHub Enterprise Server's is /api/v3 */
	check_root(PYSEC_FORGE_GITHUB, "https://github.com", "https://api.github.com");
	check_root(PYSEC_FORGE_GITHUB, "https://GitHub.com/", "https://api.github.com");
	check_root(PYSEC_FORGE_GITHUB, "https://api.github.com", "https://api.github.com");
	check_root(PYSEC_FORGE_GITHUB, "https://ghe.example.com", "https://ghe.example.com/api/v3");
	check_root(PYSEC_FORGE_GITHUB, "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3");
	/* only the forge's own host: a look-alike is a server like any other */
	check_root(PYSEC_FORGE_GITHUB, "https://github.com.example.org", "https://github.com.example.org/api/v3");
	check_root(PYSEC_FORGE_GITEA, "https://github.com", "https://github.com/api/v1");
}

static void names(void **state)
{
	assert_int_equal(pysec_forge_kind_parse("github"), PYSEC_FORGE_GITHUB);
	assert_int_equal(pysec_forge_kind_parse("GitLab"), PYSEC_FORGE_GITLAB);
	assert_int_equal(pysec_forge_kind_parse("gitea"), PYSEC_FORGE_GITEA);
	assert_int_equal(pysec_forge_kind_parse("git"), 0);
	assert_int_equal(pysec_forge_kind_parse(NULL), 0);
	assert_string_equal(pysec_forge_kind_name(PYSEC_FORGE_GITHUB), "github");
}

static void bad_options(void **state)
{
	pysec_forge_options o = PYSEC_FORGE_OPTIONS_INIT;
	pysec_forge *f = NULL;

	o.kind = PYSEC_FORGE_GITHUB;
	o.url = "https://ghe.example.com";
	o.token = "tok en";
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	o.token = "token";
	o.login = "bad\nlogin";
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	o.login = "github-actions[bot]";
	o.kind = 9;
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	assert_null(f);
}

static void markers(void **state)
{
	char v[65];

	assert_int_equal(comment_marker_get("<!-- pysec:fp=abc123 closed -->\nfixed", "fp", v, sizeof(v)), 0);
	assert_string_equal(v, "abc123");
	assert_int_equal(comment_marker_get("<!-- pysec:fp=abc123 closed -->\nfixed", "closed", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(comment_marker_get("<!-- pysec:review summary=none verdict=block unplaced=a1,b2 -->", "verdict", v,
		sizeof(v)), 0);
	assert_string_equal(v, "block");
	assert_int_equal(comment_marker_get("<!-- pysec:review summary=none verdict=block unplaced=a1,b2 -->", "unplaced", v,
		sizeof(v)), 0);
	assert_string_equal(v, "a1,b2");
	/* only at the very start of a body, on its first line */
	assert_int_equal(comment_marker_get("quoted: <!-- pysec:fp=abc -->", "fp", v, sizeof(v)), -1);
	assert_int_equal(comment_marker_get("<!-- pysec:fp=abc\n -->", "fp", v, sizeof(v)), -1);
	assert_int_equal(comment_marker_get("<!-- pysec:fp=a\"b -->", "fp", v, sizeof(v)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api_roots),
		cmocka_unit_test(names),
		cmocka_unit_test(bad_options),
		cmocka_unit_test(markers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
