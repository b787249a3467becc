/* rules.h: reading rule files (their format is in rules.c and rules/README.md). */
#ifndef PYSEC_RULES_H
#define PYSEC_RULES_H

#include "config.h"
#include "ruleset.h"

/* Parse one rule file's text into `set`; `origin` names it in errors. */
int rules_parse(struct rule_set *set, const char *origin, const char *text, size_t len,
	const struct pysec_config *cfg);
void rules_clear(struct rule_set *set);


#endif
