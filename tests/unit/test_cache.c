/*
 * test_cache.c: the scan cache (pysec_cache) through the public API only.
 *
 * A scan through the cache must report exactly what a scan without it
 * reports: the same findings, lines, fingerprints and commits, whether the
 * result was computed or kept.  Results are kept per set of lines scanned:
 * a blob's findings on some lines are not a filter of its findings on all
 * lines (the fingerprint numbers repeats among the lines scanned), which
 * the case with two identical lines shows.
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

static char dir[] = "/tmp/pysec-test-cache.XXXXXX";
static git_repository *repo;

/* A commit whose tree holds app.py with `text`, on `parent` (or a root). */
static void commit_file(git_oid *out, const char *text, const git_oid *parent)
{
	git_oid blob, tree_id;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *p = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];

	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "app.py", &blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "t", "t@example.com", 1700000000, 0), 0);
	if (parent)
		assert_int_equal(git_commit_lookup(&p, repo, parent), 0);
	parents[0] = p;
	assert_int_equal(git_commit_create(out, repo, NULL, sig, sig, NULL, "c", tree, p ? 1 : 0, parents), 0);
	git_commit_free(p);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
}

static int setup(void **state)
{
	git_libgit2_init();
	if (!mkdtemp(dir) || git_repository_init(&repo, dir, 1) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	git_repository_free(repo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	git_libgit2_shutdown();
	return 0;
}

/* "RULE:LINE:FINGERPRINT:COMMIT" for each finding, in order. */
static char *render(const pysec_report *r)
{
	static char out[4096];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *f = pysec_report_finding(r, i);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s:%u:%s:%.7s ", f->rule, f->line, f->fingerprint,
			f->commit ? f->commit : "-");
	}
	return strdup(out);
}

/* The fingerprint of the finding on `line` in a render()ed report. */
static void fp_at(char out[17], const char *text, unsigned line)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof(want), ":%u:", line);
	p = strstr(text, want);
	assert_non_null(p);
	snprintf(out, 17, "%s", p + strlen(want));
}

static char *scan_spec(const char *spec, const pysec_engine *engine, pysec_cache *cache)
{
	pysec_changeset *cs = NULL;
	pysec_report *r = NULL;
	pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
	char *text;

	assert_int_equal(pysec_changeset_from_revspec(&cs, repo, spec), 0);
	assert_int_equal(pysec_report_new(&r), 0);
	so.repo = repo;
	so.cache = cache;
	assert_int_equal(pysec_scan(r, engine, cs, &so), 0);
	pysec_report_sort(r);
	text = render(r);
	pysec_report_free(r);
	pysec_changeset_free(cs);
	return text;
}

static void test_cache__same_result_computed_or_kept(void **state)
{
	pysec_config *cfg = NULL;
	pysec_engine *plain = NULL;
	const pysec_engine *warm = NULL;
	pysec_cache *cache = NULL;
	pysec_cache_stats st;
	git_oid one, two, root;
	char spec_one[64], spec_root[64], hex[GIT_OID_HEXSZ + 1];
	char *want_one, *want_root, *got, fp_one[17], fp_root[17];

	/* the same final blob, scanned with its second line only, and with both lines */
	commit_file(&one, "eval(x)\n", NULL);
	commit_file(&two, "eval(x)\neval(x)\n", &one);
	commit_file(&root, "eval(x)\neval(x)\n", NULL);
	snprintf(spec_one, sizeof(spec_one), "%s", git_oid_tostr(hex, sizeof(hex), &two));
	snprintf(spec_root, sizeof(spec_root), "%s", git_oid_tostr(hex, sizeof(hex), &root));

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_engine_new(&plain, cfg), 0);
	want_one = scan_spec(spec_one, plain, NULL);
	want_root = scan_spec(spec_root, plain, NULL);
	/*
	 * The second line's finding is the first of its kind among the lines
	 * scanned in one case, the second in the other: its fingerprint differs,
	 * so a result for all lines filtered to line 2 would be wrong.
	 */
	fp_at(fp_one, want_one, 2);
	fp_at(fp_root, want_root, 2);
	assert_string_not_equal(fp_one, fp_root);

	assert_int_equal(pysec_cache_new(&cache, NULL), 0);
	assert_int_equal(pysec_cache_engine(&warm, cache, cfg), 0);
	got = scan_spec(spec_root, warm, cache);
	assert_string_equal(got, want_root);
	free(got);
	got = scan_spec(spec_root, warm, cache);	/* kept */
	assert_string_equal(got, want_root);
	free(got);
	got = scan_spec(spec_one, warm, cache);		/* other lines: computed, not filtered */
	assert_string_equal(got, want_one);
	free(got);
	got = scan_spec(spec_one, warm, cache);
	assert_string_equal(got, want_one);
	free(got);
	pysec_cache_stats_get(&st, cache);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.engines, 1);

	pysec_cache_engine_release(cache, warm);
	pysec_cache_free(cache);
	pysec_engine_free(plain);
	pysec_config_free(cfg);
	free(want_one);
	free(want_root);
}

static void test_cache__engines_by_policy(void **state)
{
	pysec_config *a = NULL, *b = NULL, *c = NULL;
	const pysec_engine *ea = NULL, *eb = NULL, *ec = NULL;
	pysec_cache *cache = NULL;
	pysec_cache_stats st;

	assert_int_equal(pysec_config_new(&a), 0);
	assert_int_equal(pysec_config_new(&b), 0);
	assert_int_equal(pysec_config_new(&c), 0);
	/* the gate's thresholds do not change the rules: one engine */
	pysec_config_set(b, "pysec.failOn", "high");
	pysec_config_set(c, "pysec.disable", "B307");
	assert_int_equal(pysec_cache_new(&cache, NULL), 0);
	assert_int_equal(pysec_cache_engine(&ea, cache, a), 0);
	assert_int_equal(pysec_cache_engine(&eb, cache, b), 0);
	assert_int_equal(pysec_cache_engine(&ec, cache, c), 0);
	assert_ptr_equal(ea, eb);
	assert_ptr_not_equal(ea, ec);
	assert_false(pysec_engine_rule_find(ec, "B307")->enabled);
	pysec_cache_stats_get(&st, cache);
	assert_int_equal(st.engines, 2);
	pysec_cache_engine_release(cache, ea);
	pysec_cache_engine_release(cache, eb);
	pysec_cache_engine_release(cache, ec);
	pysec_cache_free(cache);
	pysec_config_free(a);
	pysec_config_free(b);
	pysec_config_free(c);
}

static void test_cache__bounded(void **state)
{
	pysec_cache_options o = PYSEC_CACHE_OPTIONS_INIT;
	pysec_config *cfg = NULL;
	const pysec_engine *warm = NULL;
	pysec_cache *cache = NULL;
	pysec_cache_stats st;
	git_oid ids[5];
	char hex[GIT_OID_HEXSZ + 1], text[64];
	int i;

	o.max_entries = 2;
	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_cache_new(&cache, &o), 0);
	assert_int_equal(pysec_cache_engine(&warm, cache, cfg), 0);
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "eval(x%d)\n", i);
		commit_file(&ids[i], text, NULL);
		free(scan_spec(git_oid_tostr(hex, sizeof(hex), &ids[i]), warm, cache));
	}
	pysec_cache_stats_get(&st, cache);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evictions, 3);
	pysec_cache_engine_release(cache, warm);
	pysec_cache_free(cache);
	pysec_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache__same_result_computed_or_kept),
		cmocka_unit_test(test_cache__engines_by_policy),
		cmocka_unit_test(test_cache__bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
