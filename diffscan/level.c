/* level.c: the names of severity and confidence levels (pysec.h). */
#include "pysec.h"

#include <strings.h>

const char *pysec_level_name(pysec_level level)
{
	switch (level) {
	case PYSEC_LEVEL_LOW: return "low";
	case PYSEC_LEVEL_MEDIUM: return "medium";
	case PYSEC_LEVEL_HIGH: return "high";
	default: return "unset";
	}
}

pysec_level pysec_level_parse(const char *name)
{
	if (!name)
		return PYSEC_LEVEL_UNSET;
	if (!strcasecmp(name, "low"))
		return PYSEC_LEVEL_LOW;
	if (!strcasecmp(name, "medium"))
		return PYSEC_LEVEL_MEDIUM;
	if (!strcasecmp(name, "high"))
		return PYSEC_LEVEL_HIGH;
	return PYSEC_LEVEL_UNSET;
}
