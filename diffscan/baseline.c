/*
 * baseline.c: the findings a code base already had when it adopted pysec
 * (README, "Baselines"), so that a scan reports only the new ones.
 *
 * A baseline is a JSON report: pysec's own (`scan --write-baseline`, or
 * `--format json`), whose findings are matched by fingerprint, which stays
 * the same when lines move; or Bandit's (`bandit -f json`, what its `-b`
 * takes), whose results have no fingerprint and are matched as Bandit
 * matches them, by file and test id, counted: a file with one more B602
 * than the baseline has one new B602.
 */
#include "pysec.h"
#include "util.h"
#include "report.h"
#include "strmap.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

/* A baseline larger than this is not a report anyone wrote by hand or tool. */
#define BASELINE_MAX (256u << 20)

struct pysec_baseline {
	int bandit;		/* matched by path and rule, else by fingerprint */
	struct strmap counts;	/* key -> how many findings of the baseline have it (a count, not a pointer) */
};

/* Bandit names files as it was given them ("./app.py"); pysec as git does ("app.py"). */
static const char *path_plain(const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path;
}

static char *bandit_key(const char *path, const char *rule)
{
	return xasprintf("%s\n%s", path_plain(path), rule);
}

static void count_key(struct pysec_baseline *b, const char *key)
{
	uintptr_t n = (uintptr_t)strmap_get(&b->counts, key, strlen(key));

	strmap_put(&b->counts, key, strlen(key), (void *)(n + 1));
}

/* Count the findings of the list `items`; PYSEC_EINVALID naming the first one that has no key. */
static int load_items(struct pysec_baseline *b, const char *path, json_t *items)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it) {
		const char *fp = json_string_value(json_object_get(it, "fingerprint"));
		const char *file = json_string_value(json_object_get(it, "filename"));
		const char *test = json_string_value(json_object_get(it, "test_id"));
		char *key;
		if (!b->bandit && !fp)
			return error_set(PYSEC_EINVALID, "'%s': finding %zu has no \"fingerprint\"", path, i + 1);
		if (b->bandit && (!file || !test))
			return error_set(PYSEC_EINVALID, "'%s': result %zu has no \"filename\" or \"test_id\"",
				path, i + 1);
		key = b->bandit ? bandit_key(file, test) : xstrdup(fp);
		count_key(b, key);
		free(key);
	}
	return 0;
}

int pysec_baseline_load(pysec_baseline **out, const char *path)
{
	struct pysec_baseline *b = xcalloc(1, sizeof(*b));
	struct buf text = BUF_INIT(BASELINE_MAX);
	json_error_t je;
	json_t *root = NULL, *items;
	int rc;

	if (file_read(&text, path, FILE_REGULAR) < 0) {
		rc = error_set(PYSEC_EINVALID, "cannot read '%s': %s", path,
			errno == EFBIG ? "larger than 256 MiB" : strerror(errno));
		goto done;
	}
	if (!(root = json_loadb(text.ptr ? text.ptr : "", text.len, JSON_REJECT_DUPLICATES, &je))) {
		rc = error_set(PYSEC_EINVALID, "'%s':%d: not JSON: %s", path, je.line, je.text);
		goto done;
	}
	if (json_is_array(items = json_object_get(root, "findings"))) {
		b->bandit = 0;
	} else if (json_is_array(items = json_object_get(root, "results"))) {
		b->bandit = 1;
	} else {
		rc = error_set(PYSEC_EINVALID,
			"'%s' is neither pysec's JSON report (\"findings\") nor Bandit's (\"results\")", path);
		goto done;
	}
	rc = load_items(b, path, items);
done:
	json_decref(root);
	buf_free(&text);
	if (rc < 0) {
		pysec_baseline_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* Is `f` one of the baseline's findings not yet matched?  Then it is matched now. */
static int baseline_takes(struct pysec_baseline *b, const pysec_finding *f)
{
	char *key = b->bandit ? bandit_key(f->path, f->rule) : xstrdup(f->fingerprint ? f->fingerprint : "");
	uintptr_t n = (uintptr_t)strmap_get(&b->counts, key, strlen(key));

	if (n)
		strmap_put(&b->counts, key, strlen(key), (void *)(n - 1));
	free(key);
	return n > 0;
}

size_t pysec_baseline_filter(pysec_baseline *b, pysec_report *r)
{
	size_t i, kept = 0, dropped;

	for (i = 0; i < r->nfindings; i++) {
		if (baseline_takes(b, &r->findings[i]))
			continue;
		if (kept != i) {
			pysec_finding tmp = r->findings[kept];
			r->findings[kept] = r->findings[i];
			r->findings[i] = tmp;
		}
		kept++;
	}
	dropped = r->nfindings - kept;
	report_truncate(r, kept, r->nentries);
	return dropped;
}

void pysec_baseline_free(pysec_baseline *b)
{
	if (!b)
		return;
	strmap_clear(&b->counts);
	free(b);
}
