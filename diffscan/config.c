/*
 * config.c: the policy, in git-config syntax, read by libgit2.
 *
 * Every setting lives under the `pysec` section ([pysec] failOn = medium;
 * [pysec "shell-injection"] subprocess = ...).  pysec_config_load() reads
 * the sources in order of precedence; a source added as STRICT_ONLY
 * (content that is being pushed) may only make the policy stricter, and
 * what it tries beyond that is dropped with a note.  Values are read with
 * libgit2's own parsers, so that `yes`, `on`, `1` and `64k` mean what git
 * makes them mean.
 */
#include "config.h"
#include "error.h"

#include <ctype.h>
#include <limits.h>
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

int pysec_config_bool(const pysec_config *c, const char *key, int fallback)
{
	const char *v = pysec_config_get(c, key, NULL);
	int b;

	if (!v)
		return fallback;
	/* libgit2 sets its own error on failure: a bad value is the loader's to report */
	if (git_config_parse_bool(&b, v) < 0) {
		git_error_clear();
		return fallback;
	}
	return b;
}

unsigned long long pysec_config_number(const pysec_config *c, const char *key, unsigned long long max,
	unsigned long long fallback)
{
	const char *v = pysec_config_get(c, key, NULL);
	unsigned long long n;

	return v && config_parse_uint(&n, v, max) == 0 ? n : fallback;
}

/* Seconds with a fraction ("0.5"), up to a year. */
static int parse_seconds(double *out, const char *s)
{
	char *end;
	double d;

	/* git-config has no fractions: "0.5" is strtod's, in the C locale (a library never sets another) */
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	d = strtod(s, &end);
	if (end == s || *end || !(d >= 0 && d <= 86400.0 * 365))
		return -1;
	*out = d;
	return 0;
}

double pysec_config_seconds(const pysec_config *c, const char *key, double fallback)
{
	const char *v = pysec_config_get(c, key, NULL);
	double d;

	return v && parse_seconds(&d, v) == 0 ? d : fallback;
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
	int b;

	if (!strcasecmp(key, "pysec.enable"))
		return 1;
	if (!strcasecmp(key, "pysec.failon") || !strcasecmp(key, "pysec.minconfidence")) {
		pysec_level now = pysec_level_parse(pysec_config_get(c, key, "low"));
		pysec_level want = pysec_level_parse(value);
		return want && want <= now;
	}
	if (!strcasecmp(key, "pysec.nosec")) {
		if (git_config_parse_bool(&b, value) < 0) {
			git_error_clear();
			return 0;
		}
		return !b;
	}
	return 0;
}

struct collect {
	struct pysec_config *cfg;
	const char *origin;
	pysec_config_trust trust;
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
	struct collect co = { c, origin, trust };
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

static int set_from(struct pysec_config *c, const char *key, const char *value, const char *origin)
{
	if (strncasecmp(key, "pysec.", 6) != 0)
		return error_set(PYSEC_EINVALID, "config key '%s' is not in the pysec section", key);
	add_entry(c, key, value, origin);
	return 0;
}

int pysec_config_set(pysec_config *c, const char *key, const char *value)
{
	return set_from(c, key, value, "command line");
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

/* --- git -c: GIT_CONFIG_PARAMETERS and GIT_CONFIG_COUNT ------------------------ */

/*
 * libgit2 reads neither, so this follows git's config.c: a key is
 * section[.subsection].name, the section and the name of letters, digits
 * and '-', the name starting with a letter, the subsection anything but a
 * line break; the messages are git's.
 */
static int check_key(const char *key)
{
	const char *last = strrchr(key, '.'), *first = strchr(key, '.'), *p;

	if (!*key)
		return error_set(PYSEC_EINVALID, "empty config key");
	if (!last || last == key)
		return error_set(PYSEC_EINVALID, "key does not contain a section: %s", key);
	if (!last[1])
		return error_set(PYSEC_EINVALID, "key does not contain variable name: %s", key);
	for (p = key; *p; p++) {
		int outside = p < first || p > last;
		if (outside && (!(isalnum((unsigned char)*p) || *p == '-') || (p == last + 1 && !isalpha((unsigned char)*p))))
			return error_set(PYSEC_EINVALID, "invalid key: %s", key);
		if (!outside && *p == '\n')
			return error_set(PYSEC_EINVALID, "invalid key (newline): %s", key);
	}
	return 0;
}

/* One entry of git -c or the environment: a pysec.* key is taken, any other only checked as git checks it. */
static int add_pair(struct pysec_config *c, const char *key, const char *value, const char *origin)
{
	int rc;

	if ((rc = check_key(key)) < 0)
		return rc;
	if (!strncasecmp(key, "pysec.", 6))
		add_entry(c, key, value, origin);
	return 0;
}

/*
 * git's sq_dequote_step(): the single-quoted word at `s`, unquoted in
 * place ('\'' and '\!' between quoted parts stand for ' and !).  Returns
 * it, with *next at what follows it (NULL at the end), or NULL when `s`
 * is not such a word.
 */
static char *dequote_step(char *s, char **next)
{
	char *dst = s, *src = s;

	if (*src != '\'')
		return NULL;
	for (;;) {
		char c = *++src;
		if (!c)
			return NULL;
		if (c != '\'') {
			*dst++ = c;
			continue;
		}
		if (!src[1]) {
			*dst = '\0';
			*next = NULL;
			return s;
		}
		if (src[1] == '\\' && (src[2] == '\'' || src[2] == '!') && src[3] == '\'') {
			*dst++ = src[2];
			src += 3;
			continue;
		}
		*dst = '\0';
		*next = src + 1;
		return s;
	}
}

/* An old-style parameter, 'key=value' in one word ('key' alone is true), as git reads it. */
static int add_old_style(struct pysec_config *c, char *word)
{
	char *eq = strchr(word, '='), *end;
	const char *value = NULL;

	if (eq) {
		*eq = '\0';
		value = eq + 1;
	}
	while (isspace((unsigned char)*word))
		word++;
	for (end = word + strlen(word); end > word && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	if (!*word)
		return error_set(PYSEC_EINVALID, "bogus config parameter: %s", word);
	return add_pair(c, word, value, "git -c");
}

static int bogus(void)
{
	return error_set(PYSEC_EINVALID, "bogus format in GIT_CONFIG_PARAMETERS");
}

/* GIT_CONFIG_PARAMETERS, as `git -c key=value` sets it: 'key'='value' words, or old-style 'key=value'. */
static int add_parameters(struct pysec_config *c, const char *env)
{
	char *copy = xstrdup(env), *cur = copy;
	int rc = 0;

	while (cur && *cur && rc == 0) {
		char *key = dequote_step(cur, &cur);
		if (!key) {
			rc = bogus();
		} else if (!cur || isspace((unsigned char)*cur)) {
			rc = add_old_style(c, key);
		} else if (*cur == '=') {
			char *value = NULL;
			cur++;
			if (*cur == '\'') {
				if (!(value = dequote_step(cur, &cur)) || (cur && !isspace((unsigned char)*cur))) {
					rc = bogus();
					break;
				}
			} else if (*cur && !isspace((unsigned char)*cur)) {
				rc = bogus();
				break;
			}
			rc = add_pair(c, key, value, "git -c");
		} else {
			rc = bogus();
		}
		while (rc == 0 && cur && isspace((unsigned char)*cur))
			cur++;
	}
	free(copy);
	return rc;
}

/* GIT_CONFIG_COUNT with GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n>, as git-config(1) documents them. */
static int add_counted(struct pysec_config *c, const pysec_config_sources *src, const char *count)
{
	char *end, name[64];
	unsigned long n = strtoul(count, &end, 10), i;

	if (*end)
		return error_set(PYSEC_EINVALID, "bogus count in GIT_CONFIG_COUNT");
	if (n > INT_MAX)
		return error_set(PYSEC_EINVALID, "too many entries in GIT_CONFIG_COUNT");
	for (i = 0; i < n; i++) {
		const char *key, *value;
		int rc;
		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%lu", i);
		if (!(key = src->getenv(name, src->payload)))
			return error_set(PYSEC_EINVALID, "missing config key %s", name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%lu", i);
		if (!(value = src->getenv(name, src->payload)))
			return error_set(PYSEC_EINVALID, "missing config value %s", name);
		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%lu", i);
		if ((rc = add_pair(c, key, value, name)) < 0)
			return rc;
	}
	return 0;
}

/* git -c's settings, over every file: the counted ones first, then GIT_CONFIG_PARAMETERS, as git reads them. */
static int add_command_line(struct pysec_config *c, const pysec_config_sources *src)
{
	const char *count = src->getenv("GIT_CONFIG_COUNT", src->payload);
	const char *params = src->getenv("GIT_CONFIG_PARAMETERS", src->payload);
	int rc;

	if (count && (rc = add_counted(c, src, count)) < 0)
		return rc;
	if (params && (rc = add_parameters(c, params)) < 0)
		return rc;
	return 0;
}

/* --- the loader ------------------------------------------------------------- */

static const char *process_getenv(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

static int add_pairs(struct pysec_config *c, const char *const *pairs, const char *origin)
{
	int rc;

	for (; pairs && pairs[0]; pairs += 2)
		if ((rc = set_from(c, pairs[0], pairs[1], origin)) < 0)
			return rc;
	return 0;
}

/* A file that may be missing: only one that is there is read. */
static int add_optional_file(struct pysec_config *c, const char *path)
{
	return access(path, F_OK) == 0 ? pysec_config_add_file(c, path, PYSEC_CONFIG_NORMAL) : 0;
}

static int add_optional_commit(struct pysec_config *c, git_repository *repo, const git_oid *commit,
	pysec_config_trust trust)
{
	int rc = pysec_config_add_committed_file(c, repo, commit, ".pysec", trust);

	return rc == PYSEC_ENOTFOUND ? 0 : rc;
}

static int add_strict_commits(struct pysec_config *c, const pysec_config_sources *src)
{
	size_t i;
	int rc;

	if (src->strict_if_allowed && !pysec_config_bool(c, "pysec.allowInTreeConfig", 0))
		return 0;
	for (i = 0; i < src->strict_count; i++)
		if ((rc = add_optional_commit(c, src->repo, &src->strict_commits[i], PYSEC_CONFIG_STRICT_ONLY)) < 0)
			return rc;
	return 0;
}

static int load_sources(struct pysec_config *c, const pysec_config_sources *src)
{
	int rc;

	if ((rc = add_pairs(c, src->defaults, "default")) < 0)
		return rc;
	if (src->system_file && (rc = add_optional_file(c, src->system_file)) < 0)
		return rc;
	if (src->repo && (rc = pysec_config_add_repository(c, src->repo)) < 0)
		return rc;
	if (src->tree_file && (rc = add_optional_file(c, src->tree_file)) < 0)
		return rc;
	if (src->repo && src->tree_commit &&
	    (rc = add_optional_commit(c, src->repo, src->tree_commit, PYSEC_CONFIG_NORMAL)) < 0)
		return rc;
	if (src->repo && (rc = add_strict_commits(c, src)) < 0)
		return rc;
	if (src->extra_file && (rc = pysec_config_add_file(c, src->extra_file, PYSEC_CONFIG_NORMAL)) < 0)
		return rc;
	if (src->command_line && (rc = add_command_line(c, src)) < 0)
		return rc;
	return add_pairs(c, src->flags, "command line");
}

int pysec_config_load(pysec_config **out, const pysec_config_sources *sources)
{
	pysec_config_sources src = *sources;

	if (!src.getenv)
		src.getenv = process_getenv;
	pysec_config_new(out);
	return load_sources(*out, &src);
}
