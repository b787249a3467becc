/*
 * config.h: the policy as the core reads it.  pysec.h's pysec_config_*
 * functions build it (config.c); these read it.
 */
#ifndef PYSEC_CONFIG_H
#define PYSEC_CONFIG_H

#include "pysec.h"
#include "util.h"

/* Where entries came from, for messages: a file, git -c, a variable of the environment. */
struct config_source {
	char *name;	/* as messages say it: a path, ".pysec (pushed)", "git -c", "GIT_CONFIG_KEY_0" */
	char *path;	/* the file its entries are in, to find their lines; NULL: none */
	char *text;	/* or the file's text (a pushed file, gone from disk once read); NULL: none */
	size_t len;
	int level;	/* a repository's config: libgit2's level; else 0 */
	int bandit;	/* a project's Bandit configuration (bandit.c): below pysec's own settings */
};

struct config_entry {
	char *key;	/* "section.subsection.name", as written */
	char *value;
	size_t source;	/* in pysec_config.sources */
	size_t ordinal;	/* its place among its file's own entries (0-based); SIZE_MAX: not in a file */
	unsigned line;	/* its line where the reader knew it (a Bandit file's); 0: found from `ordinal` */
};

struct pysec_config {
	struct config_entry *entries;
	size_t len, cap;
	struct config_source *sources;
	size_t nsources, sources_cap;
	struct buf notes;
};

/* Every value of a multi-valued key, in order; items split on commas and white space. */
size_t config_list(const struct pysec_config *cfg, const char *key, char ***out);
/* The items of entry `i`'s value, split as config_list() splits them. */
size_t config_entry_items(const struct pysec_config *cfg, size_t i, char ***out);
/* True when `key` is one of the core's or front ends' settings; else it can only be a rule's option. */
int config_is_setting(const char *key);

#endif
