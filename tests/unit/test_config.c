/*
 * test_config.c: the policy loader (pysec_config_load) through the public
 * API only: the order of its sources, git's -c as git passes it on
 * (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT), values read as git reads them
 * (libgit2's parsers), and the strict-only rule for pushed content.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pysec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fake environment: NAME=VALUE strings, ending in NULL. */
static const char *fake_getenv(const char *name, void *payload)
{
	const char *const *env = payload;
	size_t n = strlen(name);

	for (; *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static pysec_config *load_env(const char *const *env, int want)
{
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;

	src.command_line = 1;
	src.getenv = fake_getenv;
	src.payload = (void *)env;
	assert_int_equal(pysec_config_load(&cfg, &src), want);
	assert_non_null(cfg);
	return cfg;
}

static void expect_error(const char *const *env, const char *message)
{
	pysec_config_free(load_env(env, PYSEC_EINVALID));
	assert_string_equal(pysec_error_last(), message);
}

static char *write_file(const char *text)
{
	char *path = strdup("/tmp/pysec-test-config.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/*
 * As `git -c pysec.failOn=high -c pysec.nosec -c pysec.exclude= -c "pysec.bypassUsers=it's"
 * -c 'pysec.userVariable=a!b'` sets it (git 2.39).
 */
static void new_style_parameters(void **state)
{
	static const char *const env[] = {
		"GIT_CONFIG_PARAMETERS='pysec.failOn'='high' 'pysec.nosec'= 'pysec.exclude'='' "
		"'pysec.bypassUsers'='it'\\''s' 'pysec.userVariable'='a'\\!'b'", NULL };
	pysec_config *cfg = load_env(env, 0);

	assert_string_equal(pysec_config_get(cfg, "pysec.failon", NULL), "high");
	assert_int_equal(pysec_config_bool(cfg, "pysec.nosec", 0), 1);	/* no value: true */
	assert_string_equal(pysec_config_get(cfg, "pysec.exclude", NULL), "");
	assert_string_equal(pysec_config_get(cfg, "pysec.bypassUsers", NULL), "it's");
	assert_string_equal(pysec_config_get(cfg, "pysec.userVariable", NULL), "a!b");
	pysec_config_free(cfg);
}

/* Before git 2.31 a whole 'key=value' was one quoted word; a word without '=' is true. */
static void old_style_parameters(void **state)
{
	static const char *const env[] = {
		"GIT_CONFIG_PARAMETERS='pysec.failOn=medium'\t'pysec.nosec'\n'pysec.bypassUsers = b=c'", NULL };
	pysec_config *cfg = load_env(env, 0);

	assert_string_equal(pysec_config_get(cfg, "pysec.failOn", NULL), "medium");
	assert_string_equal(pysec_config_get(cfg, "pysec.nosec", NULL), "true");
	assert_string_equal(pysec_config_get(cfg, "pysec.bypassUsers", NULL), " b=c");
	pysec_config_free(cfg);
}

static void other_sections_are_checked_not_kept(void **state)
{
	static const char *const env[] = { "GIT_CONFIG_PARAMETERS='core.bare'='true' 'my.Sub Section.key'='v'", NULL };
	pysec_config *cfg = load_env(env, 0);

	assert_null(pysec_config_get(cfg, "core.bare", NULL));
	pysec_config_free(cfg);
}

/* What git says of each, word for word. */
static void bogus_parameters(void **state)
{
	static const char *const unterminated[] = { "GIT_CONFIG_PARAMETERS='pysec.a'='b", NULL };
	static const char *const unquoted[] = { "GIT_CONFIG_PARAMETERS=pysec.a=b", NULL };
	static const char *const trailing[] = { "GIT_CONFIG_PARAMETERS='pysec.a'='b'x", NULL };
	static const char *const bare_value[] = { "GIT_CONFIG_PARAMETERS='pysec.a'=b", NULL };
	static const char *const no_section[] = { "GIT_CONFIG_PARAMETERS='failOn'='high'", NULL };
	static const char *const no_name[] = { "GIT_CONFIG_PARAMETERS='pysec.'='high'", NULL };
	static const char *const bad_name[] = { "GIT_CONFIG_PARAMETERS='pysec.1x'='high'", NULL };
	static const char *const empty[] = { "GIT_CONFIG_PARAMETERS=''='high'", NULL };

	expect_error(unterminated, "bogus format in GIT_CONFIG_PARAMETERS");
	expect_error(unquoted, "bogus format in GIT_CONFIG_PARAMETERS");
	expect_error(trailing, "bogus format in GIT_CONFIG_PARAMETERS");
	expect_error(bare_value, "bogus format in GIT_CONFIG_PARAMETERS");
	expect_error(no_section, "key does not contain a section: failOn");
	expect_error(no_name, "key does not contain variable name: pysec.");
	expect_error(bad_name, "invalid key: pysec.1x");
	expect_error(empty, "empty config key");
}

/* GIT_CONFIG_COUNT's pairs come first: -c overrides them (git-config(1)). */
static void counted_pairs_under_parameters(void **state)
{
	static const char *const env[] = { "GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=pysec.failOn",
		"GIT_CONFIG_VALUE_0=low", "GIT_CONFIG_KEY_1=pysec.minConfidence", "GIT_CONFIG_VALUE_1=high",
		"GIT_CONFIG_PARAMETERS='pysec.failOn'='medium'", NULL };
	pysec_config *cfg = load_env(env, 0);

	assert_string_equal(pysec_config_get(cfg, "pysec.failOn", NULL), "medium");
	assert_string_equal(pysec_config_get(cfg, "pysec.minConfidence", NULL), "high");
	pysec_config_free(cfg);
}

static void bogus_counts(void **state)
{
	static const char *const empty[] = { "GIT_CONFIG_COUNT=", NULL };
	static const char *const word[] = { "GIT_CONFIG_COUNT=two", NULL };
	static const char *const huge[] = { "GIT_CONFIG_COUNT=4294967296", NULL };
	static const char *const no_key[] = { "GIT_CONFIG_COUNT=1", "GIT_CONFIG_VALUE_0=x", NULL };
	static const char *const no_value[] = { "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=pysec.a", NULL };

	pysec_config_free(load_env(empty, 0));	/* as 0 */
	expect_error(word, "bogus count in GIT_CONFIG_COUNT");
	expect_error(huge, "too many entries in GIT_CONFIG_COUNT");
	expect_error(no_key, "missing config key GIT_CONFIG_KEY_0");
	expect_error(no_value, "missing config value GIT_CONFIG_VALUE_0");
}

/* defaults < system < in-tree file < --config < git -c < flags; lists take every value. */
static void sources_in_order(void **state)
{
	static const char *const defaults[] = { "pysec.failOn", "medium", "pysec.minConfidence", "medium",
		"pysec.timeBudget", "4", NULL };
	static const char *const flags[] = { "pysec.nosec", "false", NULL };
	static const char *const env[] = { "GIT_CONFIG_PARAMETERS='pysec.onError'='accept' 'pysec.nosec'='true'", NULL };
	char *sys = write_file("[pysec]\n\tfailOn = high\n\tdisable = B101\n\tonError = reject\n");
	char *tree = write_file("[pysec]\n\tminConfidence = low\n\tdisable = B102\n");
	char *extra = write_file("[pysec]\n\tfailOn = low\n");
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;

	src.defaults = defaults;
	src.system_file = sys;
	src.tree_file = tree;
	src.extra_file = extra;
	src.command_line = 1;
	src.getenv = fake_getenv;
	src.payload = (void *)env;
	src.flags = flags;
	assert_int_equal(pysec_config_load(&cfg, &src), 0);
	assert_string_equal(pysec_config_get(cfg, "pysec.failOn", NULL), "low");
	assert_string_equal(pysec_config_get(cfg, "pysec.minConfidence", NULL), "low");
	assert_string_equal(pysec_config_get(cfg, "pysec.timeBudget", NULL), "4");
	assert_string_equal(pysec_config_get(cfg, "pysec.onError", NULL), "accept");
	assert_int_equal(pysec_config_bool(cfg, "pysec.nosec", 1), 0);
	pysec_config_free(cfg);
	unlink(sys), unlink(tree), unlink(extra);
	free(sys), free(tree), free(extra);
}

/* Missing optional files are fine; a missing --config is not; a broken file is named. */
static void missing_and_broken_files(void **state)
{
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;
	char *broken = write_file("[pysec\n\tfailOn = high\n");

	src.system_file = "/nonexistent/pysec.conf";
	src.tree_file = "/nonexistent/.pysec";
	assert_int_equal(pysec_config_load(&cfg, &src), 0);
	pysec_config_free(cfg);
	src.extra_file = "/nonexistent/extra.conf";
	assert_int_equal(pysec_config_load(&cfg, &src), PYSEC_ENOTFOUND);
	pysec_config_free(cfg);
	src.extra_file = broken;
	assert_int_equal(pysec_config_load(&cfg, &src), PYSEC_EINVALID);
	assert_non_null(strstr(pysec_error_last(), broken));
	pysec_config_free(cfg);
	unlink(broken);
	free(broken);
}

/* The failure policy of the sources read before a broken one is still there. */
static void failed_load_keeps_what_came_before(void **state)
{
	static const char *const env[] = { "GIT_CONFIG_PARAMETERS='pysec.a", NULL };
	char *sys = write_file("[pysec]\n\tonError = accept\n");
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;

	src.system_file = sys;
	src.command_line = 1;
	src.getenv = fake_getenv;
	src.payload = (void *)env;
	assert_int_equal(pysec_config_load(&cfg, &src), PYSEC_EINVALID);
	assert_string_equal(pysec_config_get(cfg, "pysec.onError", NULL), "accept");
	pysec_config_free(cfg);
	unlink(sys);
	free(sys);
}

/* Values as git reads them, through libgit2's parsers. */
static void values_as_git_reads_them(void **state)
{
	char *f = write_file("[pysec]\n\tnosec = off\n\tshowSuppressed = yes\n\tallowInTreeConfig = 1\n"
		"\tmaxCommits = 5k\n\ttimeBudget = 0.5\n");
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;

	src.system_file = f;
	assert_int_equal(pysec_config_load(&cfg, &src), 0);
	assert_int_equal(pysec_config_bool(cfg, "pysec.nosec", 1), 0);
	assert_int_equal(pysec_config_bool(cfg, "pysec.showSuppressed", 0), 1);
	assert_int_equal(pysec_config_bool(cfg, "pysec.allowInTreeConfig", 0), 1);
	assert_int_equal(pysec_config_bool(cfg, "pysec.unset", 1), 1);
	assert_int_equal(pysec_config_number(cfg, "pysec.maxCommits", 1000000, 5000), 5120);
	assert_int_equal(pysec_config_number(cfg, "pysec.maxCommits", 1000, 5000), 5000);	/* over max */
	assert_true(pysec_config_seconds(cfg, "pysec.timeBudget", 4) == 0.5);
	assert_true(pysec_config_seconds(cfg, "pysec.nosec", 4) == 4);
	pysec_config_free(cfg);
	unlink(f);
	free(f);
}

/* Load `text` as the system file; the error it gives, with the file's name as FILE. */
static const char *file_error(const char *text, char *out, size_t outlen)
{
	char *f = write_file(text), *at;
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;
	pysec_engine *e = NULL;
	size_t n = strlen(f);

	src.system_file = f;
	if (pysec_config_load(&cfg, &src) == 0 && pysec_engine_new(&e, cfg) == 0) {
		pysec_engine_free(e);
		snprintf(out, outlen, "no error");
	} else {
		const char *msg = pysec_error_last();
		at = strstr(msg, f);
		if (at)
			snprintf(out, outlen, "%.*sFILE%s", (int)(at - msg), msg, at + n);
		else
			snprintf(out, outlen, "%s", msg);
	}
	pysec_config_free(cfg);
	unlink(f);
	free(f);
	return out;
}

/* Every key is known, every value is one it takes; the message names the file, the line and the value. */
static void mistakes_are_named(void **state)
{
	char buf[512];

	assert_string_equal(file_error("[pysec]\n\tfailOn = high\n\n# a comment\n\tfialOn = low\n", buf, sizeof(buf)),
		"FILE:5: unknown key 'pysec.fialon' (set to 'low'); did you mean 'pysec.failOn'?");
	assert_string_equal(file_error("[pysec]\n\tnosec = maybe\n", buf, sizeof(buf)),
		"FILE:2: bad value 'maybe' for 'pysec.nosec' (true or false)");
	assert_string_equal(file_error("[pysec]\nfailOn = severe\n", buf, sizeof(buf)),
		"FILE:2: bad value 'severe' for 'pysec.failOn' (low, medium or high)");
	assert_string_equal(file_error("[pysec]\n\tonError = never\n", buf, sizeof(buf)),
		"FILE:2: bad value 'never' for 'pysec.onError' (reject or accept)");
	assert_string_equal(file_error("[pysec]\n\tmaxCommits = lots\n", buf, sizeof(buf)),
		"FILE:2: bad value 'lots' for 'pysec.maxCommits' (a whole number up to 100000000; k, m and g multiply by 1024)");
	assert_string_equal(file_error("[pysec]\n\ttimeBudget = 4s\n", buf, sizeof(buf)),
		"FILE:2: bad value '4s' for 'pysec.timeBudget' (seconds, such as 4 or 0.5)");
	assert_string_equal(file_error("[pysec \"review\"]\n\tforge = gitbucket\n", buf, sizeof(buf)),
		"FILE:2: bad value 'gitbucket' for 'pysec.review.forge' (gitlab, gitea or github)");
	assert_string_equal(file_error("[pysec \"review\"]\n\turl = x\n\ttimeuot = 3\n", buf, sizeof(buf)),
		"FILE:3: unknown key 'pysec.review.timeuot' (set to '3'); did you mean 'pysec.review.timeout'?");
	assert_string_equal(file_error("[pysec]\n\tcolour = blue\n", buf, sizeof(buf)),
		"FILE:2: unknown key 'pysec.colour' (set to 'blue')");
	/* a line continued onto the next, and entries of other sections before it, are counted right */
	assert_string_equal(file_error("[core]\n\tbare = false\n[pysec]\n\texclude = a \\\n  b\n\tnosec = perhaps\n",
		buf, sizeof(buf)), "FILE:6: bad value 'perhaps' for 'pysec.nosec' (true or false)");
	/* the engine knows the rules: their ids and their options */
	assert_string_equal(file_error("[pysec]\n\tdisable = B101, B1O1\n", buf, sizeof(buf)),
		"FILE:2: 'B1O1' in 'pysec.disable' is not a rule; did you mean 'B101'?");
	assert_string_equal(file_error("[pysec]\n\tenable = all\n\tenable = b602\n", buf, sizeof(buf)), "no error");
	assert_string_equal(file_error("[pysec \"shell-injection\"]\n\tsubproces = x\n", buf, sizeof(buf)),
		"FILE:2: unknown key 'pysec.shell-injection.subproces' (set to 'x'); "
		"did you mean 'pysec.shell-injection.subprocess'?");
	assert_string_equal(file_error("[pysec \"shell-injection\"]\n\tsubprocess = x\n", buf, sizeof(buf)), "no error");
}

/* git -c and the environment are named as such. */
static void command_line_mistakes_are_named(void **state)
{
	static const char *const param[] = { "GIT_CONFIG_PARAMETERS='pysec.fialOn'='low'", NULL };
	static const char *const count[] = { "GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=pysec.failOn", "GIT_CONFIG_VALUE_0=low",
		"GIT_CONFIG_KEY_1=pysec.nosec", "GIT_CONFIG_VALUE_1=maybe", NULL };

	expect_error(param, "git -c: unknown key 'pysec.fialOn' (set to 'low'); did you mean 'pysec.failOn'?");
	expect_error(count, "GIT_CONFIG_KEY_1: bad value 'maybe' for 'pysec.nosec' (true or false)");
}

/* A pushed file is checked too, before what it may do is: it cannot pass a typo off as nothing. */
static void strict_only_files_are_checked(void **state)
{
	static const char bad[] = "[pysec]\n\tfailOn = low\n\tnosek = false\n";
	static const char weak[] = "[pysec]\n\tfailOn = high\n\tdisable = B602\n\tnosec = no\n";
	pysec_config *cfg = NULL;

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.failOn", "medium"), 0);
	assert_int_equal(pysec_config_add_buffer(cfg, ".pysec (pushed)", bad, strlen(bad), PYSEC_CONFIG_STRICT_ONLY),
		PYSEC_EINVALID);
	assert_string_equal(pysec_error_last(),
		".pysec (pushed):3: unknown key 'pysec.nosek' (set to 'false'); did you mean 'pysec.nosec'?");
	pysec_config_free(cfg);

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.failOn", "medium"), 0);
	assert_int_equal(pysec_config_add_buffer(cfg, ".pysec (pushed)", weak, strlen(weak), PYSEC_CONFIG_STRICT_ONLY), 0);
	assert_string_equal(pysec_config_get(cfg, "pysec.failOn", NULL), "medium");
	assert_null(pysec_config_get(cfg, "pysec.disable", NULL));
	assert_int_equal(pysec_config_bool(cfg, "pysec.nosec", 1), 0);
	assert_non_null(strstr(pysec_config_notes(cfg), ".pysec (pushed): 'pysec.failon' ignored"));
	pysec_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_style_parameters),
		cmocka_unit_test(old_style_parameters),
		cmocka_unit_test(other_sections_are_checked_not_kept),
		cmocka_unit_test(bogus_parameters),
		cmocka_unit_test(counted_pairs_under_parameters),
		cmocka_unit_test(bogus_counts),
		cmocka_unit_test(sources_in_order),
		cmocka_unit_test(missing_and_broken_files),
		cmocka_unit_test(failed_load_keeps_what_came_before),
		cmocka_unit_test(values_as_git_reads_them),
		cmocka_unit_test(mistakes_are_named),
		cmocka_unit_test(command_line_mistakes_are_named),
		cmocka_unit_test(strict_only_files_are_checked),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
