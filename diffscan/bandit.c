/*
 * bandit.c: a project's Bandit configuration, whatever format it came in,
 * and how it maps onto pysec's policy.
 */
#include "bandit.h"
#include "config.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

void bandit_config_free(struct bandit_config *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->len; i++) {
		for (j = 0; j < c->entries[i].nvalues; j++)
			free(c->entries[i].values[j]);
		free(c->entries[i].values);
		free(c->entries[i].key);
	}
	free(c->entries);
	free(c->path);
	c->entries = NULL;
	c->path = NULL;
	c->len = 0;
}

static size_t count_values(const struct bandit_config *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->len; i++)
		n += c->entries[i].nvalues;
	return n;
}

int bandit_config_add(struct bandit_config *c, const char *key, const char *const *values, size_t nvalues,
	unsigned line)
{
	struct bandit_entry *e;
	size_t i;

	if (c->len >= BANDIT_MAX_ENTRIES || nvalues > BANDIT_MAX_VALUES - count_values(c))
		return error_set(PYSEC_ELIMIT, "%s:%u: more than %d settings or %d values", c->path ? c->path : "",
			line, BANDIT_MAX_ENTRIES, BANDIT_MAX_VALUES);
	c->entries = xrealloc(c->entries, (c->len + 1) * sizeof(*c->entries));
	e = &c->entries[c->len++];
	e->key = xstrdup(key);
	e->values = xcalloc(nvalues ? nvalues : 1, sizeof(*e->values));
	for (i = 0; i < nvalues; i++)
		e->values[i] = xstrdup(values[i]);
	e->nvalues = nvalues;
	e->line = line;
	return 0;
}

/* --- what each of Bandit's keys is to pysec ------------------------------------------- */

enum how {
	AS_IDS,		/* test ids, joined */
	AS_VALUES,	/* a rule's option: the values, joined */
	AS_PATHS,	/* Bandit's excluded paths, as .gitignore patterns */
	AS_EXTRA,	/* values added to the option's defaults (`extra`) */
	AS_NOSEC,	/* .bandit's ignore-nosec: true turns pysec.nosec off */
	AS_NOTHING,	/* a key of Bandit's with no meaning to pysec: `why` says so */
};

struct mapping {
	const char *bandit;	/* the dotted key; one ending in '.' matches every key under it */
	const char *pysec;
	enum how how;
	const char *extra;	/* AS_EXTRA: the defaults; AS_NOTHING: why */
};

static const struct mapping mappings[] = {
	{ "skips", "pysec.disable", AS_IDS, NULL },
	{ "tests", "pysec.only", AS_IDS, NULL },
	{ "exclude_dirs", "pysec.exclude", AS_PATHS, NULL },
	{ "exclude", "pysec.exclude", AS_PATHS, NULL },
	{ "ignore-nosec", "pysec.nosec", AS_NOSEC, NULL },
	/* the plugins' options, under the names Bandit's plugins read them by (test.takes_config) */
	{ "assert_used.skips", "pysec.assert-used.skips", AS_VALUES, NULL },
	{ "hardcoded_tmp_directory.tmp_dirs", "pysec.hardcoded-tmp-directory.tmp-dirs", AS_VALUES, NULL },
	{ "shell_injection.subprocess", "pysec.shell-injection.subprocess", AS_VALUES, NULL },
	{ "shell_injection.shell", "pysec.shell-injection.shell", AS_VALUES, NULL },
	{ "shell_injection.no_shell", "pysec.shell-injection.no-shell", AS_VALUES, NULL },
	{ "ssl_with_bad_version.bad_protocol_versions", "pysec.ssl-with-bad-version.bad-protocol-versions",
		AS_VALUES, NULL },
	{ "try_except_pass.check_typed_exception", "pysec.try-except-pass.check-typed-exception", AS_VALUES, NULL },
	{ "try_except_continue.check_typed_exception", "pysec.try-except-continue.check-typed-exception",
		AS_VALUES, NULL },
	{ "weak_cryptographic_key.weak_key_size_dsa_high", "pysec.weak-cryptographic-key.dsa-high", AS_VALUES, NULL },
	{ "weak_cryptographic_key.weak_key_size_dsa_medium", "pysec.weak-cryptographic-key.dsa-medium", AS_VALUES,
		NULL },
	{ "weak_cryptographic_key.weak_key_size_rsa_high", "pysec.weak-cryptographic-key.rsa-high", AS_VALUES, NULL },
	{ "weak_cryptographic_key.weak_key_size_rsa_medium", "pysec.weak-cryptographic-key.rsa-medium", AS_VALUES,
		NULL },
	{ "markupsafe_xss.extend_markup_names", "pysec.markupsafe-xss.markup-names", AS_EXTRA,
		"markupsafe.Markup flask.Markup" },
	{ "markupsafe_xss.allowed_calls", "pysec.markupsafe-xss.allowed-calls", AS_VALUES, NULL },
	/* Bandit's, and nothing to pysec */
	{ "weak_cryptographic_key.weak_key_size_ec_high", NULL, AS_NOTHING,
		"pysec names the weak curves: pysec.weak-cryptographic-key.ec-high-curves" },
	{ "weak_cryptographic_key.weak_key_size_ec_medium", NULL, AS_NOTHING,
		"pysec names the weak curves: pysec.weak-cryptographic-key.ec-medium-curves" },
	{ "include", NULL, AS_NOTHING, "pysec reads every Python file" },
	{ "plugin_name_pattern", NULL, AS_NOTHING, "pysec's rules are files (pysec.rulesDir)" },
	{ "profiles.", NULL, AS_NOTHING, "Bandit's profiles are chosen with -p; use tests and skips" },
	{ "level", NULL, AS_NOTHING, "the threshold is pysec.failOn" },
	{ "confidence", NULL, AS_NOTHING, "the threshold is pysec.minConfidence" },
	{ "baseline", NULL, AS_NOTHING, "give it to git pysec scan --baseline" },
	{ "configfile", NULL, AS_NOTHING, "give it to git pysec scan --bandit-config" },
	{ "targets", NULL, AS_NOTHING, "what is scanned is the change, or scan --full's paths" },
	{ "recursive", NULL, AS_NOTHING, "scan --full is recursive" },
	{ "aggregate", NULL, AS_NOTHING, "an output option of Bandit's" },
	{ "number", NULL, AS_NOTHING, "an output option of Bandit's" },
	{ "profile", NULL, AS_NOTHING, "Bandit's profiles are legacy; use tests and skips" },
	{ "format", NULL, AS_NOTHING, "an output option of Bandit's (git pysec scan --format)" },
	{ "msg-template", NULL, AS_NOTHING, "an output option of Bandit's" },
	{ "output", NULL, AS_NOTHING, "an output option of Bandit's (git pysec scan --output)" },
	{ "verbose", NULL, AS_NOTHING, "an output option of Bandit's" },
	{ "debug", NULL, AS_NOTHING, "an output option of Bandit's" },
	{ "quiet", NULL, AS_NOTHING, "an output option of Bandit's (git pysec scan --quiet)" },
	{ "exit-zero", NULL, AS_NOTHING, "an output option of Bandit's" },
	/* the shell plugins read their options under shell_injection, whatever Bandit's documentation shows */
	{ "subprocess_popen_with_shell_equals_true.", NULL, AS_NOTHING, "Bandit reads these under shell_injection" },
	{ "subprocess_without_shell_equals_true.", NULL, AS_NOTHING, "Bandit reads these under shell_injection" },
	{ "any_other_function_with_shell_equals_true.", NULL, AS_NOTHING,
		"Bandit reads these under shell_injection" },
	{ "start_process_with_a_shell.", NULL, AS_NOTHING, "Bandit reads these under shell_injection" },
	{ "start_process_with_no_shell.", NULL, AS_NOTHING, "Bandit reads these under shell_injection" },
	{ "start_process_with_partial_path.", NULL, AS_NOTHING, "Bandit reads these under shell_injection" },
	{ "linux_commands_wildcard_injection.", NULL, AS_NOTHING, "Bandit reads these under shell_injection" },
};

static const struct mapping *mapping_find(const char *key)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(mappings); i++) {
		n = strlen(mappings[i].bandit);
		if (mappings[i].bandit[n - 1] == '.' ? !strncmp(key, mappings[i].bandit, n) :
		    !strcmp(key, mappings[i].bandit))
			return &mappings[i];
	}
	return NULL;
}

/*
 * Bandit's excluded path as a .gitignore pattern.  Bandit excludes a file
 * whose path (as walked from ".", so "./app/tests/x.py") matches the glob,
 * or contains the text: "./x" is x at the top ("/x"), and a `*` that
 * crosses '/' at either end is git's "**" (Bandit's * /tests/ * is
 * ** /tests/ **, without the blanks).
 */
static char *exclude_pattern(const char *bandit)
{
	size_t len = strlen(bandit);
	const char *start = bandit, *end = bandit + len;
	const char *lead = "", *trail = "";

	if (!strncmp(start, "./", 2)) {
		start += 2;
		lead = "/";
	} else if (!strncmp(start, "*/", 2)) {
		start += 2;
		lead = "**/";
	}
	if (end - start >= 2 && !strcmp(end - 2, "/*")) {
		end -= 2;
		trail = "/**";
	}
	return xasprintf("%s%.*s%s", lead, (int)(end - start), start, trail);
}

/* The values of `e`, as pysec writes a list: separated by blanks (or commas, in Bandit's ids). */
static char *joined(const struct bandit_entry *e, const struct mapping *m)
{
	struct buf b = BUF_INIT(4 * BANDIT_MAX_FILE);
	size_t i;

	if (m->how == AS_EXTRA)
		buf_puts(&b, m->extra);
	for (i = 0; i < e->nvalues; i++) {
		char *v = m->how == AS_PATHS ? exclude_pattern(e->values[i]) : xstrdup(e->values[i]);
		if (*v)
			buf_printf(&b, "%s%s", b.len ? ", " : "", v);
		free(v);
	}
	return buf_detach(&b);
}

/* A note naming the Bandit file's line, as messages name a place. */
static void note(pysec_config *cfg, const struct bandit_config *b, const struct bandit_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(pysec_config *cfg, const struct bandit_config *b, const struct bandit_entry *e, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e->line)
		buf_printf(&cfg->notes, "%s:%u: %s\n", b->path, e->line, what);
	else
		buf_printf(&cfg->notes, "%s: %s\n", b->path, what);
}

static void note_unknown(pysec_config *cfg, const struct bandit_config *b, const struct bandit_entry *e)
{
	struct suggest s;
	const char *close;
	size_t i;

	suggest_init(&s, e->key);
	for (i = 0; i < ARRAY_SIZE(mappings); i++)
		if (mappings[i].how != AS_NOTHING)
			suggest_try(&s, mappings[i].bandit);
	close = suggest_best(&s);
	if (close)
		note(cfg, b, e, "unknown Bandit setting '%s' ignored; did you mean '%s'?", e->key, close);
	else
		note(cfg, b, e, "unknown Bandit setting '%s' ignored", e->key);
}

/* .bandit's ignore-nosec, read as Bandit reads a flag there: any text but an empty one (or false) sets it. */
static int is_set(const struct bandit_entry *e)
{
	return e->nvalues && *e->values[0] && strcasecmp(e->values[0], "false") && strcmp(e->values[0], "0");
}

static int apply_entry(pysec_config *cfg, const struct bandit_config *b, const struct bandit_entry *e,
	size_t source, pysec_config_trust trust)
{
	const struct mapping *m = mapping_find(e->key);
	size_t own;
	char *value, *where;
	int rc;

	if (!m) {
		note_unknown(cfg, b, e);
		return 0;
	}
	if (m->how == AS_NOTHING) {
		note(cfg, b, e, "Bandit's '%s' ignored: %s", e->key, m->extra);
		return 0;
	}
	if (m->how == AS_NOSEC && !is_set(e))
		return 0;
	if ((own = config_own_entry(cfg, m->pysec)) != SIZE_MAX) {
		where = config_where(cfg, own);
		note(cfg, b, e, "Bandit's '%s' not used: %s is set in %s", e->key, m->pysec, where);
		free(where);
		return 0;
	}
	value = m->how == AS_NOSEC ? xstrdup("false") : joined(e, m);
	rc = config_take_foreign(cfg, m->pysec, value, source, e->line, trust);
	free(value);
	return rc;
}

int bandit_config_apply(pysec_config *cfg, const struct bandit_config *b, pysec_config_trust trust)
{
	size_t source, i;
	int rc = 0;

	if (!b->len)
		return 0;
	source = config_add_foreign_source(cfg, b->path);
	for (i = 0; i < b->len && rc == 0; i++)
		rc = apply_entry(cfg, b, &b->entries[i], source, trust);
	return rc;
}

/* --- finding the files ----------------------------------------------------------------- */

enum bandit_format { FORMAT_YAML, FORMAT_INI, FORMAT_TOML };

/* The project's files Bandit reads, in the order they are applied. */
static const struct {
	const char *name;
	enum bandit_format format;
} project_files[] = {
	{ "pyproject.toml", FORMAT_TOML },
	{ ".bandit", FORMAT_INI },
};

static int apply_text(pysec_config *cfg, enum bandit_format format, const char *name, const char *text, size_t len,
	pysec_config_trust trust)
{
	struct bandit_config b = { 0 };
	int rc;

	/* a pyproject.toml that does not mention Bandit is some other tool's: not even parsed */
	if (format == FORMAT_TOML && !memmem(text, len, "bandit", 6))
		return 0;
	if (format == FORMAT_YAML)
		rc = bandit_yaml_read(&b, name, text, len);
	else if (format == FORMAT_INI)
		rc = bandit_ini_read(&b, name, text, len);
	else
		rc = bandit_toml_read(&b, name, text, len);
	if (rc == 0)
		rc = bandit_config_apply(cfg, &b, trust);
	bandit_config_free(&b);
	return rc;
}

/* The file at `path`, in `format`; a missing one is PYSEC_ENOTFOUND. */
static int apply_file(pysec_config *cfg, const char *path, enum bandit_format format)
{
	struct buf b = BUF_INIT(BANDIT_MAX_FILE);
	int rc;

	if (file_read(&b, path, FILE_REGULAR) < 0) {
		int e = errno;
		buf_free(&b);
		if (e == ENOENT)
			return error_set(PYSEC_ENOTFOUND, "cannot read '%s': %s", path, strerror(e));
		if (e == EFBIG)
			return error_set(PYSEC_ELIMIT, "%s: over %d bytes", path, BANDIT_MAX_FILE);
		return error_set(PYSEC_EINVALID, "cannot read '%s': %s", path, e == EINVAL ? "not a file" : strerror(e));
	}
	rc = apply_text(cfg, format, path, b.ptr ? b.ptr : "", b.len, PYSEC_CONFIG_NORMAL);
	buf_free(&b);
	return rc;
}

int bandit_load_file(pysec_config *cfg, const char *path)
{
	size_t len = strlen(path);

	/* as Bandit's -c: TOML by its name, else YAML */
	return apply_file(cfg, path, len >= 5 && !strcmp(path + len - 5, ".toml") ? FORMAT_TOML : FORMAT_YAML);
}

int bandit_load_dir(pysec_config *cfg, const char *dir, int with_pyproject)
{
	size_t i, len = strlen(dir);
	int rc = 0;

	for (i = with_pyproject ? 0 : 1; i < ARRAY_SIZE(project_files) && rc == 0; i++) {
		char *path = xasprintf("%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", project_files[i].name);
		rc = apply_file(cfg, path, project_files[i].format);
		if (rc == PYSEC_ENOTFOUND)
			rc = 0;
		free(path);
	}
	return rc;
}

/* One of the project's files in `tree`: a missing one is fine, a link or a directory is noted and left. */
static int apply_committed(pysec_config *cfg, git_repository *repo, git_tree *tree, size_t which,
	pysec_config_trust trust)
{
	const char *path = project_files[which].name;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *name = trust == PYSEC_CONFIG_STRICT_ONLY ? xasprintf("%s (pushed)", path) : xstrdup(path);
	int rc = 0;

	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		git_error_clear();
		goto cleanup;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
		buf_printf(&cfg->notes, "%s: not read: not a file\n", name);
		goto cleanup;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot read the tree's Bandit configuration");
		goto cleanup;
	}
	if (git_blob_rawsize(blob) > BANDIT_MAX_FILE) {
		rc = error_set(PYSEC_ELIMIT, "%s: over %d bytes", name, BANDIT_MAX_FILE);
		goto cleanup;
	}
	rc = apply_text(cfg, project_files[which].format, name, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob), trust);
cleanup:
	free(name);
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return rc;
}

int bandit_load_commit(pysec_config *cfg, git_repository *repo, const git_oid *commit, int with_pyproject,
	pysec_config_trust trust)
{
	git_commit *cm = NULL;
	git_tree *tree = NULL;
	size_t i;
	int rc = 0;

	if (git_commit_lookup(&cm, repo, commit) < 0 || git_commit_tree(&tree, cm) < 0)
		rc = error_from_git(PYSEC_EREPO, "cannot read the tree's Bandit configuration");
	for (i = with_pyproject ? 0 : 1; i < ARRAY_SIZE(project_files) && rc == 0; i++)
		rc = apply_committed(cfg, repo, tree, i, trust);
	git_tree_free(tree);
	git_commit_free(cm);
	return rc;
}
