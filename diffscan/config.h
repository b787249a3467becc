/*
 * config.h: the policy as the core reads it.  pysec.h's pysec_config_*
 * functions build it (config.c); these read it.
 */
#ifndef PYSEC_CONFIG_H
#define PYSEC_CONFIG_H

#include "pysec.h"
#include "util.h"

struct config_entry {
	char *key;	/* lower-case, "section.subsection.name" */
	char *value;
	char *origin;	/* file name, for messages */
};

struct pysec_config {
	struct config_entry *entries;
	size_t len, cap;
	struct buf notes;
};

/* Every value of a multi-valued key, in order; items split on commas and white space. */
size_t config_list(const struct pysec_config *cfg, const char *key, char ***out);
int config_bool(const struct pysec_config *cfg, const char *key, int fallback);

#endif
