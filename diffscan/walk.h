/*
 * walk.h: the state of one file's walk, and what predicates read from it.
 *
 * engine.c starts a walk for each file, visits its nodes, and hands each
 * to the clauses that can match it; the predicates (predicates.c,
 * secrets.c) read the walk through pyast.h and this header, and a clause
 * that holds becomes a finding (finding.c).  Those modules sit below the
 * engine: what they need of it (the grammar's ids, the rules, the rule ids
 * `# nosec` may name) the walk carries, so they never see the engine.
 */
#ifndef PYSEC_WALK_H
#define PYSEC_WALK_H

#include "pysec.h"
#include "util.h"
#include "lines.h"
#include "node.h"
#include "report.h"
#include "ruleset.h"
#include "strmap.h"

/* The node kinds of tree-sitter-python the core tests for, looked up by name once per engine. */
struct walk_symbols {
	TSSymbol call, attribute, identifier, string, concatenated_string, argument_list,
		keyword_argument, comment, block, binary_operator, assignment, string_start,
		string_content, list, tuple, integer, float_, true_, false_, none, dictionary, pair,
		subscript, comparison_operator, parenthesized_expression, dotted_name,
		aliased_import, relative_import, wildcard_import, import_statement,
		import_from_statement, assert_statement, except_clause, function_definition,
		class_definition, default_parameter, typed_default_parameter, list_splat,
		dictionary_splat, module, error, expression_statement, augmented_assignment,
		decorated_definition, global_statement, nonlocal_statement, if_statement, for_statement,
		while_statement, try_statement, with_statement, match_statement, lambda, for_in_clause,
		list_comprehension, set_comprehension, dictionary_comprehension, generator_expression,
		parameters;
};

/* Its field names, likewise. */
struct walk_fields {
	TSFieldId function, arguments, object, attribute, name, value, alias, module_name, left,
		right, key, subscript, operator, body, parameters, definition;
};

/* Look the symbols and fields up in `lang`. */
void walk_grammar_init(struct walk_symbols *sym, struct walk_fields *field, const TSLanguage *lang);

/* A `# nosec` comment (finding.c reads them). */
struct nosec {
	uint32_t line;
	int blanket;
	char **ids;
	size_t nids;
};

struct replay;
struct scopes;

/* What the walk restores when it leaves a node: the scopes it was in. */
struct walk_frame {
	uint32_t scope;
	uint32_t light;
};

struct walk {
	const struct pysec_engine *eng;	/* the engine running it: only engine.c looks inside */
	const struct walk_symbols *sym;
	const struct walk_fields *field;
	const struct rule_set *rules;	/* a clause's rule is rules->rules[clause->rule] */
	int honour_nosec;		/* pysec.nosec */
	int show_suppressed;		/* pysec.showSuppressed: what `# nosec` covers is reported, marked */
	const char *src;
	size_t len;
	const char *path;
	const struct lineset *touched;
	struct scopes *scopes;		/* the file's scopes and bindings (scope.c) */
	uint32_t scope;			/* the scope of the node being visited */
	int64_t pos_delta;		/* a node's file position is its start + this (a replayed statement's) */
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
	struct walk_frame *frames;	/* frames[k]: the scopes in effect at anc[k] */
	size_t depth, anc_cap, frames_cap;
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
	/* while a call's clauses are judged: the statements its values were read from (flow.c) */
	int recording;
	TSNode *sources;
	size_t nsources, sources_cap;
	int change_aware;		/* untouched calls are judged too, for what touched lines make them get */
	struct strmap passed;		/* "scope:name" -> 2 if the name is passed to a call in that scope, else 1 */
};

/* The k-th ancestor of the node being visited (1: its parent), or a null node. */
static inline TSNode walk_ancestor(const struct walk *w, size_t k)
{
	TSNode none = { { 0 }, 0, 0 };

	return k && k <= w->depth ? w->anc[w->depth - k] : none;
}

/*
 * The predicate's regex, to search len bytes with.  It is JIT-compiled once
 * it has been asked to search PRED_JIT_AFTER bytes: JIT-compiling one of the
 * secret rules' regexes costs about as much as interpreting it over 4 KiB
 * (callgrind), and a small push searches a few lines.  Safe from several
 * threads.
 */
#define PRED_JIT_AFTER (4 * 1024)
const pcre2_code *pred_regex(const struct pred *p, size_t len);
/* Does the predicate's regex match somewhere in s[0, len)?  (The walk's match data, made on first use.) */
int pred_search(struct walk *w, const struct pred *p, const char *s, size_t len);

#endif
