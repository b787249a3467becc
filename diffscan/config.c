/*
 * config.c: the policy, in git-config syntax, read by libgit2.
 *
 * Every setting lives under the `pysec` section ([pysec] failOn = medium;
 * [pysec "shell-injection"] subprocess = ...).  Sources are added in order
 * of precedence; a source added as STRICT_ONLY (content that is being
 * pushed) may only make the policy stricter, and what it tries beyond that
 * is dropped with a note.
 */
#include "config.h"
#include "error.h"

#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

int pysec_config_new(pysec_config **out)
{
	struct pysec_config *c = xcalloc(1, sizeof(*c));

	c->notes.max = 64 * 1024;
	*out = c;
	return 0;
}

void pysec_config_free(pysec_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->len; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
		free(c->entries[i].origin);
	}
	free(c->entries);
	buf_free(&c->notes);
	free(c);
}

static void add_entry(struct pysec_config *c, const char *key, const char *value, const char *origin)
{
	struct config_entry *e = ARRAY_PUSH(c->entries, c->len, c->cap);

	e->key = xstrdup(key);
	e->value = xstrdup(value ? value : "true");
	e->origin = xstrdup(origin);
}

const char *pysec_config_get(const pysec_config *c, const char *key, const char *fallback)
{
	size_t i;

	for (i = c ? c->len : 0; i-- > 0;)
		if (!strcasecmp(c->entries[i].key, key))
			return c->entries[i].value;
	return fallback;
}

int config_bool(const struct pysec_config *c, const char *key, int fallback)
{
	const char *v = pysec_config_get(c, key, NULL);

	if (!v)
		return fallback;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		return 0;
	return fallback;
}

/* Options named *.pattern hold one regex each; other lists split on commas and blanks. */
static int splits(const char *key)
{
	size_t n = strlen(key);

	return !(n >= 8 && !strcasecmp(key + n - 8, ".pattern"));
}

size_t config_list(const struct pysec_config *c, const char *key, char ***out)
{
	char **v = NULL;
	size_t i, n = 0;
	int split = splits(key);

	for (i = 0; c && i < c->len; i++) {
		const char *s = c->entries[i].value;
		if (strcasecmp(c->entries[i].key, key))
			continue;
		if (!split) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xstrdup(s);
			continue;
		}
		while (*s) {
			const char *t;
			while (*s == ',' || isspace((unsigned char)*s))
				s++;
			for (t = s; *t && *t != ',' && !isspace((unsigned char)*t); t++)
				;
			if (t > s) {
				v = xrealloc(v, (n + 1) * sizeof(*v));
				v[n++] = xstrndup(s, (size_t)(t - s));
			}
			s = t;
		}
	}
	*out = v;
	return n;
}

const char *pysec_config_notes(const pysec_config *c)
{
	return buf_cstr((struct buf *)&c->notes);
}

/* Is `value` for `key` stricter than (or as strict as) what is set now? */
static int stricter(const struct pysec_config *c, const char *key, const char *value)
{
	if (!strcasecmp(key, "pysec.enable"))
		return 1;
	if (!strcasecmp(key, "pysec.failon") || !strcasecmp(key, "pysec.minconfidence")) {
		pysec_level now = pysec_level_parse(pysec_config_get(c, key, "low"));
		pysec_level want = pysec_level_parse(value);
		return want && want <= now;
	}
	if (!strcasecmp(key, "pysec.nosec"))
		return !strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "no");
	return 0;
}

struct collect {
	struct pysec_config *cfg;
	const char *origin;
	pysec_config_trust trust;
	int all_sections;
};

static int collect_entry(const git_config_entry *e, void *payload)
{
	struct collect *co = payload;

	if (strncasecmp(e->name, "pysec.", 6) != 0)
		return 0;
	if (co->trust == PYSEC_CONFIG_STRICT_ONLY && !stricter(co->cfg, e->name, e->value ? e->value : "true")) {
		buf_printf(&co->cfg->notes, "%s: '%s' ignored: this file may only make the policy stricter\n",
			co->origin, e->name);
		return 0;
	}
	add_entry(co->cfg, e->name, e->value, co->origin);
	return 0;
}

static int add_git_config(struct pysec_config *c, git_config *gc, const char *origin, pysec_config_trust trust)
{
	struct collect co = { c, origin, trust, 0 };
	int rc = git_config_foreach(gc, collect_entry, &co);

	return rc < 0 ? error_from_git(PYSEC_EINVALID, origin) : 0;
}

/* Read `path` as a git-config file, naming it `origin` in notes and errors. */
static int add_file_as(struct pysec_config *c, const char *path, const char *origin,
	pysec_config_trust trust)
{
	git_config *gc = NULL;
	int rc = 0;

	if (git_config_new(&gc) < 0 ||
	    git_config_add_file_ondisk(gc, path, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
		const git_error *e = git_error_last();
		const char *msg = e && e->message ? e->message : "invalid config";
		const char *at = strstr(msg, path);
		/* libgit2 names the file it read; say the name the user knows */
		if (at)
			rc = error_set(PYSEC_EINVALID, "%s: %.*s%s%s", origin, (int)(at - msg), msg, origin,
				at + strlen(path));
		else
			rc = error_set(PYSEC_EINVALID, "%s: %s", origin, msg);
	} else {
		rc = add_git_config(c, gc, origin, trust);
	}
	git_config_free(gc);
	return rc;
}

int pysec_config_add_file(pysec_config *c, const char *path, pysec_config_trust trust)
{
	if (access(path, R_OK) != 0)
		return error_set(PYSEC_ENOTFOUND, "cannot read config file '%s'", path);
	return add_file_as(c, path, path, trust);
}

int pysec_config_add_buffer(pysec_config *c, const char *name, const char *text, size_t len,
	pysec_config_trust trust)
{
	char tmpl[] = "/tmp/pysec-config-XXXXXX";
	int fd = mkstemp(tmpl), rc;
	size_t off = 0;

	/* libgit2 parses config files only from disk */
	if (fd < 0)
		return error_set(PYSEC_ERROR, "cannot create a temporary file for %s", name);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	rc = off < len ? error_set(PYSEC_ERROR, "cannot write a temporary file for %s", name)
		       : add_file_as(c, tmpl, name, trust);
	unlink(tmpl);
	return rc;
}

int pysec_config_add_repository(pysec_config *c, git_repository *repo)
{
	git_config *gc = NULL;
	int rc;

	if (git_repository_config_snapshot(&gc, repo) < 0)
		return error_from_git(PYSEC_EREPO, "cannot read the repository's config");
	rc = add_git_config(c, gc, "repository config", PYSEC_CONFIG_NORMAL);
	git_config_free(gc);
	return rc;
}

int pysec_config_set(pysec_config *c, const char *key, const char *value)
{
	if (strncasecmp(key, "pysec.", 6) != 0)
		return error_set(PYSEC_EINVALID, "config key '%s' is not in the pysec section", key);
	add_entry(c, key, value, "command line");
	return 0;
}

int pysec_config_add_committed_file(pysec_config *c, git_repository *repo, const git_oid *commit,
	const char *path, pysec_config_trust trust)
{
	git_commit *cm = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *name = NULL;
	int rc;

	if (git_commit_lookup(&cm, repo, commit) < 0 || git_commit_tree(&tree, cm) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot read the pushed tree");
		goto cleanup;
	}
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		rc = error_set(PYSEC_ENOTFOUND, "no %s in the tree", path);
		goto cleanup;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		rc = error_set(PYSEC_EINVALID, "%s in the pushed tree is not a file", path);
		goto cleanup;
	}
	if (git_blob_rawsize(blob) > 64 * 1024) {
		rc = error_set(PYSEC_EINVALID, "%s in the pushed tree is over 64 KiB", path);
		goto cleanup;
	}
	name = xasprintf("%s (pushed)", path);
	rc = pysec_config_add_buffer(c, name, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), trust);
cleanup:
	free(name);
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(cm);
	return rc;
}
