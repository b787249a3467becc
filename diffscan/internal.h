/*
 * internal.h: the core's private model, shared by its modules and by the
 * unit tests, never by the front ends (they see pysec.h only).
 */
#ifndef PYSEC_INTERNAL_H
#define PYSEC_INTERNAL_H

#include <tree_sitter/api.h>
#include "node.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "common.h"
#include "arena.h"
#include "changeset.h"
#include "config.h"
#include "focus.h"
#include "lines.h"
#include "report.h"
#include "source.h"
#include "strmap.h"


/* --- rules (rules.c) ---------------------------------------------------- */

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
typedef int (*pred_fn)(struct walk *w, TSNode node, const struct pred *p);

struct pred_def {
	const char *name;
	unsigned kinds;		/* bit (1 << kind) for each kind it applies to */
	int min_args, max_args;	/* max -1: any */
	int number_arg;		/* the argument read as a number, or -1 */
	int regex_arg;		/* the argument compiled as a regex, or -1 */
	pred_fn fn;
	const char *help;
};

struct pred {
	const struct pred_def *def;
	int negate;		/* `unless` */
	char **args;
	size_t nargs;
	long number;		/* the first argument as a number, where one is expected */
	pcre2_code *re;		/* the first argument as a regex, where one is expected: use pred_regex() */
	int re_jitted;		/* pred_regex() has JIT-compiled it */
};

/*
 * The predicate's regex, JIT-compiled on its first use: a pre-receive hook
 * compiles every rule and uses few of their regexes, and JIT-compiling all
 * of them was 60% of compiling the rules.  Safe from several threads.
 */
const pcre2_code *pred_regex(const struct pred *p);
/* Does the predicate's regex match somewhere in s[0, len)?  (The walk's match data, made on first use.) */
int pred_search(struct walk *w, const struct pred *p, const char *s, size_t len);

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
	size_t rule;		/* index into engine->rules */
};

struct rule {
	pysec_rule_info info;
	struct clause *clauses;
	size_t nclauses;
	char *storage[12];	/* the strings info points at */
	int mask_strings;	/* `mask strings`: string literals on its code line are shown masked */
};

struct option {
	char *name;		/* "shell-injection.subprocess" */
	char **values;
	size_t nvalues;
	char *origin;
};

struct rule_set {
	struct rule *rules;
	size_t len, cap;
	struct option *options;
	size_t nopts, optcap;
};

/* Parse one rule file's text into `set`; `origin` names it in errors. */
int rules_parse(struct rule_set *set, const char *origin, const char *text, size_t len,
	const struct pysec_config *cfg);
void rules_clear(struct rule_set *set);
const struct pred_def *pred_lookup(const char *name);
extern const struct pred_def pred_table[];
/* The predicates of `line` clauses (secrets.c). */
const struct pred_def *line_pred_lookup(const char *name);
extern const struct pred_def line_pred_table[];
/* Run the `line` clauses over the touched lines of the walk's file (secrets.c). */
int lines_scan(struct walk *w, const struct lineset *lines);

/* The rule files compiled into the binary (rules/embed.sh). */
#include "builtin.h"

/* --- the engine (engine.c) ---------------------------------------------- */

struct clause_ref {
	const struct clause *clause;
};

struct glob_ref {
	const char *pattern;
	const struct clause *clause;
	const char *lit;	/* a run of the pattern that every match holds, */
	size_t litlen;
	enum { GLOB_AT_START, GLOB_AT_END, GLOB_INSIDE } anchor;	/* ...there */
	int same;		/* the same pattern as the one before (they are sorted) */
};

struct pysec_engine {
	struct rule_set set;
	const TSLanguage *lang;
	uint8_t *kind_of;		/* per TSSymbol: what the walk does there */
	uint8_t *opaque;		/* per TSSymbol: 1 if the walk need not look inside */
	uint32_t symbol_count;
	struct strmap call_exact;	/* qualified name -> struct clause_list */
	struct glob_ref *call_globs;
	size_t nglobs, globcap;
	struct clause_list { const struct clause **v; size_t len, cap; } by_kind[KIND_COUNT];
	int honour_nosec;
	char **excludes;		/* path globs (pysec.exclude) */
	size_t nexcludes;
	struct strmap known_ids;	/* every rule id and name, for `# nosec` checking */
	struct strmap imported_words;	/* the parts of every module an `imported` predicate names (focus.c) */
	struct { TSSymbol call, attribute, identifier, string, concatenated_string,
		argument_list, keyword_argument, comment, block, pass_statement,
		continue_statement, expression_statement, binary_operator, assignment,
		interpolation, string_start, string_content, string_end, escape_sequence,
		list, tuple, integer, float_, true_, false_, none, dictionary, pair,
		subscript, comparison_operator, parenthesized_expression,
		dotted_name, aliased_import, import_prefix, relative_import,
		wildcard_import, except_clause, function_definition, class_definition,
		parameters, default_parameter, typed_default_parameter, identifier_param,
		list_splat, dictionary_splat, augmented_assignment, as_pattern,
		as_pattern_target, lambda_parameters, module, error; } sym;
	struct { TSFieldId function, arguments, object, attribute, name, value, alias,
		module_name, left, right, key, subscript, type; } field;
};

/* --- one file's walk (engine.c, predicates.c, pyast.c) ------------------ */

struct nosec {
	uint32_t line;
	int blanket;
	char **ids;
	size_t nids;
};

struct walk {
	const struct pysec_engine *eng;
	const char *src;
	size_t len;
	const char *path;
	const struct lineset *touched;
	struct strmap aliases;		/* local name -> qualified name */
	struct strmap imports;		/* every module imported so far -> (void*)1 */
	struct nosec *nosec;		/* sorted by line */
	size_t nnosec, nosec_cap;
	struct pysec_report *report;
	const char *commit;
	/* the call being looked at, computed once per candidate call */
	TSNode call;
	char qualname[512];
	size_t qualname_len;
	/* per-file scratch */
	uint32_t string_skip_end;	/* strings inside an implicit concatenation */
	int64_t mark;			/* where a `source` predicate found its match, or -1 */
	/* the line a `line` clause matched: [line_start, line_end) and the secret in it */
	size_t line_start, line_end, secret_start, secret_end;
	/* the ancestors of the node being visited: anc[depth - 1] is its parent */
	TSNode *anc;
	size_t depth, anc_cap;
	double deadline;		/* clock_now() limit, 0 = none */
	uint64_t *fps;			/* fingerprints so far, to number repeats */
	size_t nfps, fps_cap;
	pcre2_match_data *md;		/* for every regex of this walk */
	/* the decoded value of the last string asked for, so each string is decoded once */
	TSNode str_node;
	struct buf str_value;
	int str_ok;
	/* the SQL statement of the `+`/`%` chain judged last (B608), judged once per chain */
	TSNode sql_node;
	struct buf sql_stmt;
	TSNode sql_wrapper;
	uint32_t sql_chain_start, sql_chain_end;
	int sql_ok;
	/* a focused parse: the context statements still to replay, and the offset of the next one */
	struct replay *replay;
	uint32_t replay_before;
	int whole;			/* parse the whole file, never focused */
	int focused;			/* the tree holds only focus.c's ranges */
	int needs_whole;		/* a predicate needed what a focused tree lacks: scan again, whole */
};

/* The value of string node `n` (cached for the node being visited); NULL if it has none. */
const struct buf *walk_string_value(struct walk *w, TSNode n);

/* The k-th ancestor of the node being visited (1: its parent), or a null node. */
TSNode walk_ancestor(const struct walk *w, size_t k);

/* Node helpers over tree-sitter-python (pyast.c). */
const char *node_text(const struct walk *w, TSNode n, size_t *len);
int node_text_eq(const struct walk *w, TSNode n, const char *s);
/* A dotted name for identifier/attribute chains, "" otherwise. Returns its length. */
size_t node_dotted(const struct walk *w, TSNode n, char *out, size_t cap);
/* The dotted name with the first component(s) resolved through imports and aliases. */
size_t node_qualname(const struct walk *w, TSNode n, char *out, size_t cap);
/* The decoded value of a string or concatenated_string (interpolations dropped). */
int node_string_value(const struct walk *w, TSNode n, struct buf *out);
int node_is_string(const struct walk *w, TSNode n);
int node_is_fstring(const struct walk *w, TSNode n);
/* Positional argument `i` of a call, or a null node. */
TSNode call_positional(const struct walk *w, TSNode call, uint32_t i);
uint32_t call_positional_count(const struct walk *w, TSNode call);
/* The value of keyword argument `name`, or a null node. */
TSNode call_keyword(const struct walk *w, TSNode call, const char *name);
/* Python truthiness of a literal as Bandit judges `shell=`: non-literals are true. */
int node_truthy(const struct walk *w, TSNode n);
/* The name a called function is known by: the last part of its dotted name. */
size_t call_short_name(const struct walk *w, TSNode call, char *out, size_t cap);

/* Record a finding of clause `c` spanning `node`'s start to `last`'s end, unless a `# nosec` covers it (finding.c). */
void walk_report(struct walk *w, const struct clause *c, TSNode node, TSNode last);
void report_at(struct walk *w, const struct clause *c, size_t byte, TSPoint start, TSPoint end,
	const char *code, const char *fp_text, size_t fp_len);
/* Read every `# nosec` comment of the file, warning about ids that are not rules (finding.c). */
void nosec_collect(struct walk *w, TSNode root);

/* --- engine entry for one file (engine.c) ------------------------------- */

struct file_scan {
	const char *path;
	const char *data;
	size_t len;
	int python;			/* parse it and run the code rules */
	int whole;			/* parse it whole, never focused (focus.c): for tests */
	const struct lineset *code;	/* lines for the code rules */
	const struct lineset *text;	/* lines for the `line` rules (any text file) */
	const char *commit;
};

/*
 * Scan one file; `deadline` is a clock_now() limit or 0.  Findings and
 * entries (syntax errors, nosec warnings) go to `report`.  Safe to call
 * from several threads at once.
 */
int engine_scan_file(const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, double deadline);

/* engine_scan_file() of blob `oid` through the cache (cache.c): a kept result, or a scan that is then kept. */
int cache_scan(pysec_cache *cache, const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, const git_oid *oid, double deadline);

#endif
