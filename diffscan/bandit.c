/*
 * bandit.c: a project's Bandit configuration, whatever format it came in,
 * and how it maps onto pysec's policy.
 */
#include "bandit.h"
#include "config.h"
#include "util.h"

#include <stdlib.h>

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

int bandit_yaml_read(struct bandit_config *out, const char *path, const char *buf, size_t len)
{
	(void)out;
	(void)buf;
	(void)len;
	return error_set(PYSEC_EINVALID, "%s: reading YAML is not supported yet", path);
}

int bandit_ini_read(struct bandit_config *out, const char *path, const char *buf, size_t len)
{
	(void)out;
	(void)buf;
	(void)len;
	return error_set(PYSEC_EINVALID, "%s: reading .bandit is not supported yet", path);
}

int bandit_config_apply(pysec_config *cfg, const struct bandit_config *b, pysec_config_trust trust)
{
	(void)cfg;
	(void)b;
	(void)trust;
	return 0;
}
