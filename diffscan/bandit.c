/*
 * bandit.c: a project's Bandit configuration, whatever format it came in,
 * and what each of its keys means to pysec.
 */
#include "bandit.h"
#include "util.h"

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

/*
 * Text that messages may show as it is: UTF-8 without control characters
 * or the ones that hide or reorder text (a pushed file's key ends up in the
 * pusher's terminal); a value may hold tabs and line breaks (TOML's
 * multi-line strings), which git prefixes again on the pusher's side.
 */
static int clean_text(const char *s, int is_value)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	while (*p) {
		if (*p < 0x80) {
			if ((*p < 0x20 && !(is_value && (*p == '\t' || *p == '\n'))) || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (!(n = text_utf8_decode(p, &cp)) || codepoint_is_sneaky(cp))
			return 0;
		p += n;
	}
	return 1;
}

int bandit_config_add(struct bandit_config *c, const char *key, const char *const *values, size_t nvalues,
	unsigned line)
{
	struct bandit_entry *e;
	size_t i;

	for (i = 0; i < nvalues; i++)
		if (!clean_text(values[i], 1))
			break;
	if (!clean_text(key, 0) || i < nvalues)
		return error_set(PYSEC_EINVALID, "%s:%u: a control character or bad UTF-8 in a key or value",
			c->path ? c->path : "", line);

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

/* .bandit's ignore-nosec, read as Bandit reads a flag there: any text but an empty one (or false) sets it. */
static int is_set(const struct bandit_entry *e)
{
	return e->nvalues && *e->values[0] && strcasecmp(e->values[0], "false") && strcmp(e->values[0], "0");
}

static char *unknown(const struct bandit_entry *e)
{
	struct suggest s;
	const char *close;
	size_t i;

	suggest_init(&s, e->key);
	for (i = 0; i < ARRAY_SIZE(mappings); i++)
		if (mappings[i].how != AS_NOTHING)
			suggest_try(&s, mappings[i].bandit);
	close = suggest_best(&s);
	return close ? xasprintf("unknown Bandit setting '%s' ignored; did you mean '%s'?", e->key, close) :
		xasprintf("unknown Bandit setting '%s' ignored", e->key);
}

void bandit_meaning_of(struct bandit_meaning *out, const struct bandit_entry *e)
{
	const struct mapping *m = mapping_find(e->key);

	memset(out, 0, sizeof(*out));
	if (!m)
		out->note = unknown(e);
	else if (m->how == AS_NOTHING)
		out->note = xasprintf("Bandit's '%s' ignored: %s", e->key, m->extra);
	else if (m->how == AS_NOSEC) {
		if (is_set(e)) {
			out->key = m->pysec;
			out->value = xstrdup("false");
		}
	} else {
		out->key = m->pysec;
		out->value = joined(e, m);
	}
}

void bandit_meaning_clear(struct bandit_meaning *m)
{
	free(m->value);
	free(m->note);
	memset(m, 0, sizeof(*m));
}
