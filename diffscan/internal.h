/*
 * internal.h: the core's private model, shared by its modules and by the
 * unit tests, never by the front ends (they see pysec.h only).
 */
#ifndef PYSEC_INTERNAL_H
#define PYSEC_INTERNAL_H

#include <tree_sitter/api.h>

/*
 * tree-sitter's node accessors dereference a null node, and an error-
 * recovered tree of hostile input gives null nodes where a field is missing
 * (found by fuzz/fuzz_scan.c).  So every accessor pysec uses is null-safe:
 * on a null node these answer "nothing" (symbol 0, no children, no text).
 */
static inline TSSymbol safe_node_symbol(TSNode n) { return ts_node_is_null(n) ? 0 : ts_node_symbol(n); }
static inline const char *safe_node_type(TSNode n) { return ts_node_is_null(n) ? "" : ts_node_type(n); }
static inline uint32_t safe_node_end_byte(TSNode n) { return ts_node_is_null(n) ? ts_node_start_byte(n) : ts_node_end_byte(n); }
static inline TSPoint safe_node_end_point(TSNode n) { return ts_node_is_null(n) ? ts_node_start_point(n) : ts_node_end_point(n); }
static inline uint32_t safe_node_child_count(TSNode n) { return ts_node_is_null(n) ? 0 : ts_node_child_count(n); }
static inline uint32_t safe_node_named_child_count(TSNode n) { return ts_node_is_null(n) ? 0 : ts_node_named_child_count(n); }
static inline TSNode safe_node_child(TSNode n, uint32_t i) { return ts_node_is_null(n) ? n : ts_node_child(n, i); }
static inline TSNode safe_node_named_child(TSNode n, uint32_t i) { return ts_node_is_null(n) ? n : ts_node_named_child(n, i); }
static inline TSNode safe_node_child_by_field_id(TSNode n, TSFieldId f) { return ts_node_is_null(n) ? n : ts_node_child_by_field_id(n, f); }
static inline bool safe_node_has_error(TSNode n) { return !ts_node_is_null(n) && ts_node_has_error(n); }
static inline bool safe_node_is_missing(TSNode n) { return !ts_node_is_null(n) && ts_node_is_missing(n); }
static inline TSNode safe_node_parent(TSNode n) { return ts_node_is_null(n) ? n : ts_node_parent(n); }
#define ts_node_symbol safe_node_symbol
#define ts_node_type safe_node_type
#define ts_node_end_byte safe_node_end_byte
#define ts_node_end_point safe_node_end_point
#define ts_node_child_count safe_node_child_count
#define ts_node_named_child_count safe_node_named_child_count
#define ts_node_child safe_node_child
#define ts_node_named_child safe_node_named_child
#define ts_node_child_by_field_id safe_node_child_by_field_id
#define ts_node_has_error safe_node_has_error
#define ts_node_is_missing safe_node_is_missing
#define ts_node_parent safe_node_parent

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "common.h"

/* --- line sets (lines.c) ------------------------------------------------ */

/* Sorted, disjoint, 1-based half-open ranges [start, end); all=1 means every line. */
struct lineset {
	struct { uint32_t start, end; } *ranges;
	size_t len, cap;
	int all;
};
void lineset_add(struct lineset *set, uint32_t start, uint32_t count);
void lineset_union(struct lineset *dst, const struct lineset *src);
void lineset_intersect(struct lineset *set, const struct lineset *other);
/* True when some line in [first, last] (1-based, inclusive) is in the set. */
int lineset_hits(const struct lineset *set, uint32_t first, uint32_t last);
void lineset_clear(struct lineset *set);

/* --- string map (strmap.c): open addressing, keys and values owned ------ */

struct strmap {
	struct strmap_slot { char *key; void *value; uint64_t hash; } *slots;
	size_t cap, len;
	void (*free_value)(void *);
};
void *strmap_get(const struct strmap *m, const char *key, size_t keylen);
/* Insert or replace; the map takes `value` (and frees the old one). */
void strmap_put(struct strmap *m, const char *key, size_t keylen, void *value);
void strmap_clear(struct strmap *m);

/* --- configuration (config.c) ------------------------------------------- */

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
	int show_suppressed;		/* pysec.showSuppressed: report what `# nosec` covers, marked */
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

/* --- reports (report.c) ------------------------------------------------- */

struct pysec_report {
	pysec_finding *findings;
	size_t nfindings, fcap;
	pysec_entry *entries;
	size_t nentries, ecap;
};

/* Free what the report holds and empty it (the struct itself stays). */
void report_clear(struct pysec_report *r);
/* Drop the findings and entries past the first `findings` and `entries`. */
void report_truncate(struct pysec_report *r, size_t findings, size_t entries);
/* Move every finding and entry of `src` to the end of `dst`. */
void report_move(struct pysec_report *dst, struct pysec_report *src);
/* Append a finding; the report copies every string. */
void report_add_finding(struct pysec_report *r, const pysec_finding *f);
void report_add_entry(struct pysec_report *r, pysec_entry_kind kind, const char *path,
	uint32_t line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* --- changesets (changeset.c) ------------------------------------------- */

enum source_kind {
	SOURCE_BLOB = 1,	/* content is the blob `oid` in the repository */
	SOURCE_FILE,		/* content is the file `disk_path` */
};

struct change {
	char *path;		/* repository-relative (or as given, for --full) */
	enum source_kind source;
	git_oid oid;
	char *disk_path;
	uint32_t mode;		/* git file mode; 0 for plain files on disk */
	struct lineset lines;
	char commit[GIT_OID_HEXSZ + 1];	/* "" when unknown */
	char *skip;		/* set: not scanned, with this reason */
	int python;		/* 1: Python whatever its content says (a file named on the command line) */
	unsigned scope;		/* SCOPE_CODE | SCOPE_TEXT: which rules these lines are for */
	int maybe_python;	/* the name says Python (or may: no extension) */
	int blame;		/* 1: name each finding's commit by blame over base..tip */
	git_oid base, tip;	/* base is zero for the empty tree */
};

enum {
	SCOPE_CODE = 1,		/* the Python rules */
	SCOPE_TEXT = 2,		/* the `line` rules (secrets), on any text file */
};

struct pysec_changeset {
	struct change *v;
	size_t len, cap;
};

struct change *changeset_add(struct pysec_changeset *cs, const char *path);
/* pysec_changeset_from_trees() for `paths` only (exact names; NULL: every path). */
int changeset_from_trees_paths(pysec_changeset **out, git_repository *repo, git_tree *old_tree,
	git_tree *new_tree, const git_oid *commit, char **paths, size_t npaths);
/* A deep copy: entries, paths, line sets. */
struct pysec_changeset *changeset_dup(const struct pysec_changeset *cs);

/* --- source classification (source.c) ----------------------------------- */

/* By name alone: *.py, *.pyw, or an extension-less name (which may have a shebang). */
int source_maybe_python(const char *path);
/* True for *.py, *.pyw, and extension-less files with a python shebang. */
int source_is_python(const char *path, const char *data, size_t len);
/*
 * The deepest nesting of brackets outside strings and comments, counted up
 * to just past `limit`.  Python's tokenizer refuses more than 200 levels;
 * libtree-sitter 0.20.7 frees memory twice after some 100,000 unclosed ones.
 */
size_t source_bracket_depth(const char *data, size_t len, size_t limit);
/*
 * Skip the string literal whose quote is at s[i] (triple quotes too; a
 * backslash keeps the next character in, even in a raw string); returns the
 * index past it.  Unterminated, a one-quote string ends with its line.
 */
size_t source_skip_string(const char *s, size_t len, size_t i);
/* NULL when scannable, else why not ("binary", "Git LFS pointer", ...). */
const char *source_skip_reason(const char *data, size_t len);

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

/* --- focused parsing (focus.c) ------------------------------------------ */

/* A statement outside the parsed ranges that can change how names resolve. */
struct focus_context {
	uint32_t file_offset;		/* where it is in the file */
	uint32_t offset;		/* where its copy starts in focus.text */
};

struct focus {
	TSRange *ranges;		/* the parts of the file to parse: sorted, disjoint */
	size_t nranges, ranges_cap;
	struct focus_context *context;	/* in file order */
	size_t ncontext, context_cap;
	struct buf text;		/* the context statements, one per line, unindented */
};

/*
 * Which parts of Python file `src` to parse for the `touched` lines;
 * `always` holds the words of the modules the rules' `imported` predicates
 * name (their imports are always replayed).  Returns 1 when parsing only
 * those parts is worth it (then focus_free() `f`), 0 when the whole file
 * should be parsed.
 */
int focus_plan(struct focus *f, const char *src, size_t len, const struct lineset *touched,
	const struct strmap *always);
void focus_free(struct focus *f);

/* --- tree-sitter's memory (arena.c) ------------------------------------- */

struct arena;
/* Route tree-sitter's allocations through this module (once, before any parse). */
void arena_install(void);
/* From now until arena_end(), this thread's tree-sitter allocations come from a new arena. */
struct arena *arena_begin(void);
/* Release everything allocated in the arena at once (its memory is kept for the thread's next arena). */
void arena_end(struct arena *a);
/* Give the memory kept for this thread's next arena back (before the thread ends). */
void arena_release_spares(void);

#endif
