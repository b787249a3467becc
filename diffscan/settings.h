/*
 * settings.h: every pysec.* key that the core and the front ends read,
 * with the kind of value it takes, so that a key or a value that would do
 * nothing is an error instead.  The rules' options (pysec.<group>.<name>,
 * declared by the rule files) are the engine's to know.
 */
#ifndef PYSEC_SETTINGS_H
#define PYSEC_SETTINGS_H

#include <stddef.h>

enum setting_kind {
	SETTING_TEXT,		/* any text: a path, a name, a pattern */
	SETTING_BOOL,		/* git's booleans, read by libgit2 */
	SETTING_LEVEL,		/* low, medium or high */
	SETTING_NUMBER,		/* a whole number up to `max`, with git's k, m, g */
	SETTING_SECONDS,	/* seconds, with a fraction */
	SETTING_CHOICE,		/* one of `choices` */
	SETTING_RULES,		/* rule ids (the engine knows which there are) */
};

struct setting {
	const char *key;	/* "pysec.failOn", as the documentation writes it */
	enum setting_kind kind;
	unsigned long long max;	/* SETTING_NUMBER */
	const char *const *choices;	/* SETTING_CHOICE, ending in NULL */
	int list;		/* every value counts (pysec.disable), not only the last */
};

/* The setting `key` is (case aside), or NULL. */
const struct setting *setting_find(const char *key);
/* True when `key` is under a subsection of the front ends' own (review, daemon, the forges). */
int setting_in_own_section(const char *key);
/*
 * Is `value` one that `key` takes?  0, or PYSEC_EINVALID with what is
 * wanted in error_last() (to follow "bad value 'V' for 'K'": "(low,
 * medium or high)").
 */
int setting_check_value(const struct setting *s, const char *value);
/* Seconds with a fraction ("4", "0.5"), up to a year: 0, or -1 when `s` is not such a number. */
int setting_parse_seconds(double *out, const char *s);
/* The closest setting to an unknown `key`, for "did you mean", or NULL. */
const char *setting_suggest(const char *key);
/* Every setting, in the documentation's order. */
const struct setting *setting_at(size_t i);

#endif
