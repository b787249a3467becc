/*
 * bandit.h: a project's Bandit configuration, read from any of its formats
 * (`[tool.bandit]` in pyproject.toml, `.bandit`, a YAML file given with
 * --bandit-config), as a list of dotted keys with their values, and put into
 * pysec's policy where pysec's own settings say nothing.
 */
#ifndef PYSEC_BANDIT_H
#define PYSEC_BANDIT_H

#include "pysec.h"

#include <stddef.h>

/* The largest configuration file read, and the most entries and values kept: hostile input stays small. */
#define BANDIT_MAX_FILE (1024 * 1024)
#define BANDIT_MAX_ENTRIES 1024
#define BANDIT_MAX_VALUES 4096

struct bandit_entry {
	char *key;	/* dotted, under the tool's table: "skips", "assert_used.skips", "exclude_dirs" */
	char **values;	/* a string is a list of one; numbers and booleans as their text */
	size_t nvalues;
	unsigned line;	/* 1-based line in the file, 0 if unknown */
};

struct bandit_config {
	char *path;	/* the file it came from, for messages */
	struct bandit_entry *entries;
	size_t len;
};

/*
 * Each reader fills `out` (zeroed by the caller, freed with
 * bandit_config_free() whatever the result) from `len` bytes of `buf` read
 * from `path`.  0, or PYSEC_EINVALID with "PATH:LINE: what is wrong".
 */
int bandit_yaml_read(struct bandit_config *out, const char *path, const char *buf, size_t len);
int bandit_ini_read(struct bandit_config *out, const char *path, const char *buf, size_t len);
int bandit_toml_read(struct bandit_config *out, const char *path, const char *buf, size_t len);
void bandit_config_free(struct bandit_config *c);

/* Add an entry (the readers' one way to do it); values are copied.  PYSEC_ELIMIT past the bounds above. */
int bandit_config_add(struct bandit_config *c, const char *key, const char *const *values, size_t nvalues,
	unsigned line);

/* What one entry means to pysec: a setting, or a note saying why it is none (both NULL: nothing). */
struct bandit_meaning {
	const char *key;	/* pysec's setting ("pysec.disable"), or NULL */
	char *value;		/* its value, in pysec's words */
	char *note;		/* without a key: why ("unknown Bandit setting 'skpis' ignored; did you mean 'skips'?") */
};

void bandit_meaning_of(struct bandit_meaning *out, const struct bandit_entry *e);
void bandit_meaning_clear(struct bandit_meaning *m);

#endif
