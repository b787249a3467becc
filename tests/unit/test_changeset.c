/*
 * test_changeset.c: a diff of two trees (pysec_changeset_from_trees) first
 * finds the paths that differ without reading equal subtrees, then has
 * libgit2 diff only those.  Its changesets must be libgit2's whole diff's,
 * entry by entry: paths, renames, ids, modes, skips, lines and hunks.
 *
 * The trees are made at random from names chosen to sort close to each
 * other in git's order (a directory sorts as its name and '/': "a.b" and
 * "a-b" before the directory "a", "a0" after it), odd bytes (a space, a
 * newline, UTF-8), files that become directories and back, modes, symbolic
 * links, renames; and trees whose entries are out of order or repeated, as
 * a hostile push may carry them (git does not check them by default).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "changeset.h"
#include "util.h"
#include "lines.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/pysec-test-changeset.XXXXXX";
static git_repository *repo;

static const char *const names[] = { "a", "a.b", "a-b", "a0", "ab", "a b", "b", "\xc3\xbc.py", "new\nline.py",
	"x.py", "x.pyw", "z" };
#define NNAMES (sizeof(names) / sizeof(names[0]))
#define DEPTH 3

static unsigned seed = 1;

static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

/* A file's text: lines drawn from a small pool, so that versions share lines. */
static void blob_text(char *out, size_t len, unsigned variant)
{
	size_t n = 0;
	unsigned i, lines = 1 + variant % 40;

	out[0] = '\0';
	for (i = 0; i < lines && n + 64 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "value_%u = compute(%u)\n", (variant * 7 + i * 3) % 23, i);
}

static void make_blob(git_oid *out, unsigned variant)
{
	char text[4096];

	blob_text(text, sizeof(text), variant);
	assert_int_equal(git_blob_create_from_buffer(out, repo, text, strlen(text)), 0);
}

/* A random tree: each name absent, a file (of a few kinds), or a directory. */
static void make_tree(git_oid *out, int depth, unsigned salt)
{
	git_treebuilder *tb = NULL;
	size_t i;

	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	for (i = 0; i < NNAMES; i++) {
		unsigned kind = rnd(depth < DEPTH ? 7 : 5);
		git_oid id;
		if (kind == 0 || kind == 1)
			continue;
		if (kind == 2 || kind == 3) {
			make_blob(&id, (salt + rnd(3)) * 31 + (unsigned)i);
			assert_int_equal(git_treebuilder_insert(NULL, tb, names[i], &id, GIT_FILEMODE_BLOB), 0);
		} else if (kind == 4) {
			make_blob(&id, (salt + rnd(2)) * 17 + (unsigned)i);
			assert_int_equal(git_treebuilder_insert(NULL, tb, names[i], &id,
				rnd(2) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_LINK), 0);
		} else {
			make_tree(&id, depth + 1, salt + (unsigned)i);
			assert_int_equal(git_treebuilder_insert(NULL, tb, names[i], &id, GIT_FILEMODE_TREE), 0);
		}
	}
	assert_int_equal(git_treebuilder_write(out, tb), 0);
	git_treebuilder_free(tb);
}

static void same_lines(const struct lineset *a, const struct lineset *b)
{
	size_t i;

	assert_int_equal(a->all, b->all);
	assert_int_equal(a->len, b->len);
	for (i = 0; i < a->len; i++) {
		assert_int_equal(a->ranges[i].start, b->ranges[i].start);
		assert_int_equal(a->ranges[i].end, b->ranges[i].end);
	}
}

/* The changesets of the fast diff and of libgit2's whole diff are the same. */
static void compare(git_tree *old_tree, git_tree *new_tree)
{
	pysec_changeset *fast = NULL, *whole = NULL;
	size_t i, k;

	assert_int_equal(pysec_changeset_from_trees(&fast, repo, old_tree, new_tree, NULL), 0);
	assert_int_equal(changeset_from_trees_paths(&whole, repo, old_tree, new_tree, NULL, NULL, 0, 0), 0);
	assert_int_equal(fast->len, whole->len);
	for (i = 0; i < fast->len; i++) {
		const struct change *a = &fast->v[i], *b = &whole->v[i];
		assert_string_equal(a->path, b->path);
		assert_true((a->old_path == NULL) == (b->old_path == NULL));
		if (a->old_path)
			assert_string_equal(a->old_path, b->old_path);
		assert_true((a->skip == NULL) == (b->skip == NULL));
		if (a->skip)
			assert_string_equal(a->skip, b->skip);
		assert_true(git_oid_equal(&a->oid, &b->oid));
		assert_true(git_oid_equal(&a->old_oid, &b->old_oid));
		assert_int_equal(a->mode, b->mode);
		same_lines(&a->lines, &b->lines);
		assert_int_equal(a->nhunks, b->nhunks);
		for (k = 0; k < a->nhunks; k++)
			assert_memory_equal(&a->hunks[k], &b->hunks[k], sizeof(a->hunks[k]));
	}
	pysec_changeset_free(fast);
	pysec_changeset_free(whole);
}

static git_tree *tree(const git_oid *id)
{
	git_tree *t = NULL;

	assert_int_equal(git_tree_lookup(&t, repo, id), 0);
	return t;
}

static void test_random_trees(void **state)
{
	unsigned round;

	for (round = 0; round < 120; round++) {
		git_oid a, b;
		git_tree *ta, *tb;
		seed = round + 1;
		make_tree(&a, 0, round);
		/* the second tree: mostly the first one's draws again, so they share subtrees */
		seed = round % 3 ? round + 1 : round + 7919;
		make_tree(&b, 0, round + (round % 5 == 0));
		ta = tree(&a);
		tb = tree(&b);
		compare(ta, tb);
		compare(tb, ta);
		compare(ta, ta);
		git_tree_free(ta);
		git_tree_free(tb);
	}
}

/* A raw tree object with the entries as given, in that order. */
static void raw_tree(git_oid *out, const char *const *entry_names, const git_oid *ids, size_t n)
{
	char buf[4096];
	size_t len = 0, i;
	git_odb *odb = NULL;

	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "100644 %s", entry_names[i]) + 1;
		memcpy(buf + len, ids[i].id, GIT_OID_RAWSZ);
		len += GIT_OID_RAWSZ;
	}
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_write(out, odb, buf, len, GIT_OBJECT_TREE), 0);
	git_odb_free(odb);
}

static void test_hostile_order(void **state)
{
	static const char *const sorted[] = { "a.py", "b.py", "c.py" };
	static const char *const unsorted[] = { "c.py", "a.py", "b.py" };
	static const char *const repeated[] = { "a.py", "b.py", "b.py" };
	git_oid ids[3], ids2[3], t1, t2, t3, t4;
	git_tree *a, *b, *c, *d;

	make_blob(&ids[0], 1);
	make_blob(&ids[1], 2);
	make_blob(&ids[2], 3);
	make_blob(&ids2[0], 4);
	ids2[1] = ids[1];
	make_blob(&ids2[2], 5);
	raw_tree(&t1, sorted, ids, 3);
	raw_tree(&t2, unsorted, ids2, 3);
	raw_tree(&t3, repeated, ids2, 3);
	raw_tree(&t4, sorted, ids2, 3);
	a = tree(&t1);
	b = tree(&t2);
	c = tree(&t3);
	d = tree(&t4);
	compare(a, b);
	compare(b, a);
	compare(a, c);
	compare(c, d);
	compare(a, d);
	git_tree_free(a);
	git_tree_free(b);
	git_tree_free(c);
	git_tree_free(d);
}

/* Objects are written to memory: thousands of loose files would be most of the test's time. */
static int setup(void **state)
{
	git_odb *odb = NULL;
	git_odb_backend *mem = NULL;
	int rc;

	git_libgit2_init();
	if (!mkdtemp(dir) || git_repository_init(&repo, dir, 1) < 0)
		return -1;
	if (git_repository_odb(&odb, repo) < 0)
		return -1;
	rc = git_mempack_new(&mem) < 0 || git_odb_add_backend(odb, mem, 1000) < 0 ? -1 : 0;
	git_odb_free(odb);
	return rc;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_hostile_order),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
