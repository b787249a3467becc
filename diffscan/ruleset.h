/*
 * ruleset.h: the rules as their files compile them (rules.c reads the
 * files, engine.c indexes them, the walk runs them): rules made of
 * clauses, a clause a kind of node and the predicates that must hold.
 * Types, and finding a rule by id (ruleset.c): what each module does with
 * them is in its own header.
 */
#ifndef PYSEC_RULESET_H
#define PYSEC_RULESET_H

#include <tree_sitter/api.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "pysec.h"
#include "strmap.h"
#include "util.h"

enum match_kind {
	KIND_CALL = 1,	/* a call, dispatched by its qualified name */
	KIND_IMPORT,	/* an imported module name (import, from, __import__, importlib) */
	KIND_ASSERT,
	KIND_EXCEPT,	/* an except clause */
	KIND_STRING,	/* a string literal (an implicit concatenation counts once) */
	KIND_KEYWORD,	/* a keyword argument of a call */
	KIND_DEFAULT,	/* a parameter default of a function */
	KIND_SOURCE,	/* the file as bytes */
	KIND_LINE,	/* a touched line of any text file, found by a regex (secrets) */
	KIND_COUNT
};

struct walk;
struct pred;
/* Does the predicate hold at `node` of the walk?  (predicates.c, secrets.c) */
typedef int (*pred_fn)(struct walk *w, TSNode node, const struct pred *p);

/* A predicate of the vocabulary: its name in rule files, where it applies, its arguments. */
struct pred_def {
	const char *name;
	unsigned kinds;		/* bit (1 << kind) for each kind it applies to */
	int min_args, max_args;	/* max -1: any */
	int number_arg;		/* the argument read as a number, or -1 */
	int regex_arg;		/* the argument compiled as a regex, or -1 */
	pred_fn fn;
	const char *help;
};

/* A `when` or `unless` line of a clause. */
struct pred {
	const struct pred_def *def;
	int negate;		/* `unless` */
	char **args;
	size_t nargs;
	long number;		/* the first argument as a number, where one is expected */
	struct regex *re;	/* the argument read as a regex, where one is expected: use pred_regex() */
};

/*
 * A regex of a rule set, compiled once however many predicates name it
 * (the secret rules share their placeholder pattern).
 */
struct regex {
	pcre2_code *code;
	pcre2_code *fast;	/* a JIT-compiled copy of code, or code where JIT failed; made by pred_regex() */
	size_t read;		/* the bytes code has been asked to search, while there is no fast */
};

struct clause {
	enum match_kind kind;
	char **names;		/* call: qualified-name globs; import: module names */
	size_t nnames;
	struct pred *preds;
	size_t npreds;
	pysec_level severity, confidence;	/* the rule's unless overridden */
	char *message;				/* likewise */
	pcre2_code *suggest_re;			/* `suggest FROM TO`: a rewrite of the line */
	char *suggest_to;
	size_t rule;		/* index into its rule_set's rules */
};

struct rule {
	pysec_rule_info info;	/* its strings are in the set's pool */
	struct clause *clauses;
	size_t nclauses;
	int mask_strings;	/* `mask strings`: string literals on its code line are shown masked */
};

/* `option NAME VALUE...`: a default the configuration may replace. */
struct option {
	char *name;		/* "shell-injection.subprocess" */
	char **values;		/* NULL-terminated */
	size_t nvalues;
};

/* `alias NAME ID`: another tool's id for a rule (Ruff's S602 for B602). */
struct alias {
	char *name;
	char *id;
};

/*
 * Rules, options and aliases as their files define them.  Every string and
 * argument vector they hold is in `pool` (rules.c says why), and lives as
 * long as the set.
 */
struct rule_set {
	struct pool pool;
	struct rule *rules;
	size_t len, cap;
	struct strmap regexes;	/* pattern -> struct regex */
	struct option *options;
	size_t nopts, optcap;
	struct alias *aliases;
	size_t naliases, aliascap;
};

/*
 * The rule that `id` (`len` bytes) names: its id (any case), its name, or
 * an alias of its id (any case); NULL when none does (ruleset.c).
 */
const struct rule *rules_find(const struct rule_set *set, const char *id, size_t len);

/* Clauses to offer a node, in rule order. */
struct clause_list {
	const struct clause **v;
	size_t len, cap;
};

#endif
