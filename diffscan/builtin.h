/* builtin.h: the rule files that rules/embed.sh compiles into the binary. */
#ifndef PYSEC_BUILTIN_H
#define PYSEC_BUILTIN_H

struct builtin_file {
	const char *name;	/* "python/B602.rule" */
	const char *origin;	/* "builtin:python/B602.rule", as its rules and errors name it */
	const char *text;
};

/* Terminated by an entry whose name is NULL. */
extern const struct builtin_file builtin_rule_files[];

#endif
