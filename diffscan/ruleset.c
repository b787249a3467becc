/* ruleset.c: finding a rule of a compiled set by its id, its name or an alias (ruleset.h). */
#include "ruleset.h"

#include <string.h>
#include <strings.h>

static const struct rule *rule_by_id(const struct rule_set *set, const char *id, size_t len, int names)
{
	size_t i;

	for (i = 0; i < set->len; i++) {
		const pysec_rule_info *r = &set->rules[i].info;
		if ((strlen(r->id) == len && !strncasecmp(r->id, id, len)) ||
		    (names && strlen(r->name) == len && !strncmp(r->name, id, len)))
			return &set->rules[i];
	}
	return NULL;
}

const struct rule *rules_find(const struct rule_set *set, const char *id, size_t len)
{
	const struct rule *r = rule_by_id(set, id, len, 1);
	size_t i;

	for (i = 0; !r && i < set->naliases; i++)
		if (strlen(set->aliases[i].name) == len && !strncasecmp(set->aliases[i].name, id, len))
			r = rule_by_id(set, set->aliases[i].id, strlen(set->aliases[i].id), 0);
	return r;
}
