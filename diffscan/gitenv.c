/*
 * gitenv.c: git's -c as it reaches a command git runs: through the
 * environment, which libgit2 does not read.  git-config(1) documents
 * GIT_CONFIG_COUNT with GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n>;
 * GIT_CONFIG_PARAMETERS is what `git -c` sets, read here as git's
 * config.c reads it (its quoting and its messages).
 */
#include "gitenv.h"
#include "pysec.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>

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

struct reader {
	gitenv_getenv_fn get;
	void *payload;
	gitenv_setting_fn setting;
	void *ctx;
};

/* One entry of git -c or the environment, its key checked as git checks it. */
static int add_pair(const struct reader *c, const char *key, const char *value, const char *origin)
{
	int rc;

	if ((rc = check_key(key)) < 0)
		return rc;
	return c->setting(key, value, origin, c->ctx);
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
static int add_old_style(const struct reader *c, char *word)
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
static int add_parameters(const struct reader *c, const char *env)
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
static int add_counted(const struct reader *c, const char *count)
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
		if (!(key = c->get(name, c->payload)))
			return error_set(PYSEC_EINVALID, "missing config key %s", name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%lu", i);
		if (!(value = c->get(name, c->payload)))
			return error_set(PYSEC_EINVALID, "missing config value %s", name);
		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%lu", i);
		if ((rc = add_pair(c, key, value, name)) < 0)
			return rc;
	}
	return 0;
}

/* git -c's settings, over every file: the counted ones first, then GIT_CONFIG_PARAMETERS, as git reads them. */
int gitenv_read(gitenv_getenv_fn get, void *payload, gitenv_setting_fn setting, void *ctx)
{
	const struct reader r = { get, payload, setting, ctx }, *c = &r;
	const char *count = get("GIT_CONFIG_COUNT", payload);
	const char *params = get("GIT_CONFIG_PARAMETERS", payload);
	int rc;

	if (count && (rc = add_counted(c, count)) < 0)
		return rc;
	if (params && (rc = add_parameters(c, params)) < 0)
		return rc;
	return 0;
}
