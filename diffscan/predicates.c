/*
 * predicates.c: the semantic conditions a rule's `when` and `unless` lines
 * name.  Each is a small function of the node the clause matched; the
 * table at the bottom is the whole vocabulary (rules/README.md lists it).
 */
#include "predicates.h"
#include "pysec.h"
#include "util.h"
#include "flow.h"
#include "pyast.h"
#include "scope.h"
#include "strmap.h"
#include "walk.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>

#define K(kind) (1u << (kind))
#define ANY_KIND (K(KIND_CALL) | K(KIND_IMPORT) | K(KIND_ASSERT) | K(KIND_EXCEPT) | \
		  K(KIND_STRING) | K(KIND_KEYWORD) | K(KIND_DEFAULT) | K(KIND_SOURCE))

/* Does `v` (a value node) stand for one of `want`: by its text, its qualified name, or its string value? */
static int value_is(struct walk *w, TSNode v, char *const *want, size_t nwant)
{
	char qual[512];
	struct buf sval = BUF_INIT(STRING_VALUE_MAX);
	size_t i, tlen, qlen = 0;
	const char *t;
	int is_str, hit = 0;

	if (ts_node_is_null(v))
		return 0;
	t = node_text(w, v, &tlen);
	is_str = node_is_string(w, v) && node_string_value(w, v, &sval) == 0;
	if (!is_str)
		qlen = node_qualname(w, v, qual, sizeof(qual));
	for (i = 0; i < nwant && !hit; i++) {
		const char *x = want[i];
		size_t xl = strlen(x);
		if (is_str)
			hit = sval.len == xl && !memcmp(buf_cstr(&sval), x, xl);
		else
			hit = (tlen == xl && !memcmp(t, x, xl)) || (qlen == xl && !memcmp(qual, x, xl));
	}
	buf_free(&sval);
	return hit;
}

/* --- calls ----------------------------------------------------------------- */

static int p_kwarg(struct walk *w, TSNode n, const struct pred *p)
{
	return !ts_node_is_null(call_keyword(w, n, p->args[0]));
}

/* What a predicate sees of an argument: the value that reaches it (flow.h), a null node when absent. */
static TSNode reaching_value(struct walk *w, TSNode a)
{
	return ts_node_is_null(a) ? a : flow_value(w, a);
}

static int p_kwarg_truthy(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = reaching_value(w, call_keyword(w, n, p->args[0]));

	return !ts_node_is_null(v) && node_truthy(w, v);
}

static int p_kwarg_is(struct walk *w, TSNode n, const struct pred *p)
{
	return value_is(w, reaching_value(w, call_keyword(w, n, p->args[0])), p->args + 1, p->nargs - 1);
}

static int p_arg_is(struct walk *w, TSNode n, const struct pred *p)
{
	if (p->number < 0)
		return 0;
	return value_is(w, reaching_value(w, call_positional(w, n, (uint32_t)p->number)), p->args + 1, p->nargs - 1);
}

/* A string built only from literals: a literal, or what only literals reach through names, +, %, .format, f-strings. */
static int p_arg_string(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a;

	if (p->number < 0)
		return 0;
	a = call_positional(w, n, (uint32_t)p->number);
	return !ts_node_is_null(a) && flow_literal(w, a) == 1;
}

/* Bandit's B607: a command named without a path ("ls", not "/bin/ls"). */
static int p_arg_partial_path(struct walk *w, TSNode n, const struct pred *p)
{
	struct buf v = BUF_INIT(STRING_VALUE_MAX);
	TSNode a;
	const char *s;
	int partial;

	if (p->number < 0)
		return 0;
	a = reaching_value(w, call_positional(w, n, (uint32_t)p->number));
	if (!ts_node_is_null(a) && (node_symbol(a) == w->sym->list ||
				    node_symbol(a) == w->sym->tuple))
		a = reaching_value(w, node_named_child(a, 0));
	if (ts_node_is_null(a) || !node_is_string(w, a) || node_is_fstring(w, a) ||
	    node_string_value(w, a, &v) < 0) {
		buf_free(&v);
		return 0;
	}
	s = buf_cstr(&v);
	partial = v.len > 0 && s[0] != '/' && s[0] != '\\' && s[0] != '.' &&
		  !(v.len > 1 && isalpha((unsigned char)s[0]) && s[1] == ':');
	buf_free(&v);
	return partial;
}

static int names_match(const char *name, char *const *globs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return 1;
	return 0;
}

/* The call's qualified name matches one of the globs; for a keyword, the name of its call. */
static int p_callee_in(struct walk *w, TSNode n, const struct pred *p)
{
	char qual[512];

	if (node_symbol(n) == w->sym->keyword_argument) {
		TSNode call = walk_ancestor(w, 2);
		return node_symbol(call) == w->sym->call &&
		       node_qualname(w, node_child_by_field_id(call, w->field->function), qual, sizeof(qual)) &&
		       names_match(qual, p->args, p->nargs);
	}
	return w->qualname_len && names_match(w->qualname, p->args, p->nargs);
}

/* Keyword NAME is passed a call of one of the functions (autoescape=select_autoescape()). */
static int p_kwarg_call(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = reaching_value(w, call_keyword(w, n, p->args[0]));
	char qual[512];

	if (ts_node_is_null(v) || node_symbol(v) != w->sym->call)
		return 0;
	if (!node_qualname(w, node_child_by_field_id(v, w->field->function), qual, sizeof(qual)))
		return 0;
	return names_match(qual, p->args + 1, p->nargs - 1);
}

static int p_nargs_lt(struct walk *w, TSNode n, const struct pred *p)
{
	return (long)call_positional_count(w, n) < p->number;
}

/* The last part of the call's qualified name matches one of the globs (Bandit's call_function_name). */
static int p_callee_name(struct walk *w, TSNode n, const struct pred *p)
{
	const char *last;

	if (!w->qualname_len)
		return 0;
	last = strrchr(w->qualname, '.');
	return names_match(last ? last + 1 : w->qualname, p->args, p->nargs);
}

/* --- call arguments named by ARG: a position (0, 1, ...) or a keyword ------ */

static TSNode call_arg_written(struct walk *w, TSNode call, const char *spec)
{
	TSNode a;

	if (isdigit((unsigned char)spec[0]))
		a = call_positional(w, call, (uint32_t)strtoul(spec, NULL, 10));
	else
		a = call_keyword(w, call, spec);
	return node_unparen(w, a);
}

/* Argument ARG's value: what reaches it through names (flow.h). */
static TSNode call_arg(struct walk *w, TSNode call, const char *spec)
{
	return node_unparen(w, reaching_value(w, call_arg_written(w, call, spec)));
}

static int is_type(TSNode n, const char *type)
{
	return !strcmp(node_type(n), type);
}

/* A plain string literal: no f-string part (an implicit concatenation is one literal, as in Python). */
static int is_plain_string(struct walk *w, TSNode n)
{
	struct node_iter it;
	TSNode c;
	int plain = 1;

	if (node_symbol(n) == w->sym->string)
		return !node_is_fstring(w, n);
	if (node_symbol(n) != w->sym->concatenated_string)
		return 0;
	for (node_iter_init(&it, n); plain && node_iter_next_named(&it, &c);)
		plain = !node_is_fstring(w, c);
	node_iter_end(&it);
	return plain;
}

/* What Python's ast calls a Constant: a string or bytes literal, a number, True, False, None, `...`. */
static int is_constant(struct walk *w, TSNode n)
{
	TSSymbol s;

	n = node_unparen(w, n);
	if (ts_node_is_null(n))
		return 0;
	s = node_symbol(n);
	return is_plain_string(w, n) || s == w->sym->integer || s == w->sym->float_ ||
	       s == w->sym->true_ || s == w->sym->false_ || s == w->sym->none || is_type(n, "ellipsis");
}

/* A string literal, or a list, tuple, set or dict made only of string literals. */
static int is_strings(struct walk *w, TSNode n)
{
	struct node_iter it;
	TSNode c;
	int all = 1;

	n = node_unparen(w, n);
	if (ts_node_is_null(n))
		return 0;
	if (is_plain_string(w, n))
		return 1;
	if (node_symbol(n) != w->sym->list && node_symbol(n) != w->sym->tuple &&
	    node_symbol(n) != w->sym->dictionary && !is_type(n, "set"))
		return 0;
	for (node_iter_init(&it, n); all && node_iter_next_named(&it, &c);) {
		if (node_symbol(c) == w->sym->comment)
			continue;
		if (node_symbol(c) == w->sym->pair)
			all = is_plain_string(w, node_unparen(w, node_child_by_field_id(c, w->field->key))) &&
			      is_plain_string(w, node_unparen(w, node_child_by_field_id(c, w->field->value)));
		else
			all = is_plain_string(w, node_unparen(w, c));
	}
	node_iter_end(&it);
	return all;
}

/* An integer literal's value (0x, 0o, 0b, underscores); 0 when it is none or does not fit. */
static int int_value(struct walk *w, TSNode n, long long *out)
{
	char digits[64], *end;
	size_t len, i, k = 0;
	const char *t;
	int base = 10;

	if (ts_node_is_null(n) || node_symbol(n) != w->sym->integer)
		return 0;
	t = node_text(w, n, &len);
	if (len > 2 && t[0] == '0' && strchr("xXoObB", t[1])) {
		base = tolower((unsigned char)t[1]) == 'x' ? 16 : tolower((unsigned char)t[1]) == 'o' ? 8 : 2;
		t += 2;
		len -= 2;
	}
	for (i = 0; i < len; i++) {
		if (t[i] == '_')
			continue;
		if (k + 1 >= sizeof(digits))
			return 0;
		digits[k++] = t[i];
	}
	digits[k] = '\0';
	errno = 0;
	*out = strtoll(digits, &end, base);
	return k && !errno && !*end;
}

static int p_arg_constant(struct walk *w, TSNode n, const struct pred *p)
{
	return is_constant(w, call_arg(w, n, p->args[0]));
}

/* ARG is passed, as something other than a constant (a name, a call, an f-string...). */
static int p_arg_dynamic(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a = call_arg(w, n, p->args[0]);

	return !ts_node_is_null(a) && !is_constant(w, a);
}

static int p_arg_strings(struct walk *w, TSNode n, const struct pred *p)
{
	return is_strings(w, call_arg(w, n, p->args[0]));
}

/* ARG's text: a plain string literal's value, or a list's or tuple's string items each after a space (B609). */
static int p_arg_matches(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a = call_arg(w, n, p->args[0]);
	struct buf v = BUF_INIT(STRING_VALUE_MAX);
	int hit = 0, ok = 1;

	if (ts_node_is_null(a))
		return 0;
	if (is_plain_string(w, a)) {
		ok = node_string_value(w, a, &v) == 0;
	} else if (node_symbol(a) == w->sym->list || node_symbol(a) == w->sym->tuple) {
		struct node_iter it;
		TSNode c;
		for (node_iter_init(&it, a); ok && node_iter_next_named(&it, &c);) {
			c = node_unparen(w, c);
			if (node_symbol(c) == w->sym->comment)
				continue;
			ok = buf_put(&v, " ", 1) == 0 && (!is_plain_string(w, c) || node_string_value(w, c, &v) == 0);
		}
		node_iter_end(&it);
	} else {
		ok = 0;
	}
	if (ok)
		hit = pred_search(w, p, v.ptr ? v.ptr : "", v.len);
	buf_free(&v);
	return hit;
}

static int p_arg_int_lt(struct walk *w, TSNode n, const struct pred *p)
{
	long long v;

	return int_value(w, call_arg(w, n, p->args[0]), &v) && v < p->number;
}

static int p_arg_int_mask(struct walk *w, TSNode n, const struct pred *p)
{
	long long v;

	return int_value(w, call_arg(w, n, p->args[0]), &v) && (v & p->number);
}

/* The last part of ARG's name, or of the function it calls: AutoAddPolicy in paramiko.AutoAddPolicy(). */
static int p_arg_attr_in(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a = call_arg(w, n, p->args[0]);
	const char *t;
	size_t len, i;

	if (!ts_node_is_null(a) && node_symbol(a) == w->sym->call)
		a = node_unparen(w, node_child_by_field_id(a, w->field->function));
	if (!ts_node_is_null(a) && node_symbol(a) == w->sym->attribute)
		a = node_child_by_field_id(a, w->field->attribute);
	if (ts_node_is_null(a) || node_symbol(a) != w->sym->identifier)
		return 0;
	t = node_text(w, a, &len);
	for (i = 1; i < p->nargs; i++)
		if (strlen(p->args[i]) == len && !memcmp(p->args[i], t, len))
			return 1;
	return 0;
}

/* ARG is a call of one of the functions (qualified names, globs allowed). */
static int p_arg_call(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a = call_arg(w, n, p->args[0]);
	char qual[512];

	if (ts_node_is_null(a) || node_symbol(a) != w->sym->call)
		return 0;
	if (!node_qualname(w, node_child_by_field_id(a, w->field->function), qual, sizeof(qual)))
		return 0;
	return names_match(qual, p->args + 1, p->nargs - 1);
}

/*
 * Bandit's B703: is a value built only from string literals?  A literal; a
 * "...".format() or "..." % of such values; or a local name (not a
 * parameter) that every assignment before the call's line, in the function
 * (or module) around it, sets to such a value.  LITERAL_DEPTH bounds how
 * far a value is followed, through names and nested blocks alike (a hostile
 * file nests deep).
 */
#define LITERAL_DEPTH 32

static int built_from_literals(struct walk *w, TSNode scope, TSNode v, uint32_t until_row, int depth);

static TSNode param_name(struct walk *w, TSNode c)
{
	const char *type = node_type(c);

	if (node_symbol(c) == w->sym->default_parameter ||
	    node_symbol(c) == w->sym->typed_default_parameter)
		return node_child_by_field_id(c, w->field->name);
	if (!strcmp(type, "typed_parameter") || !strcmp(type, "list_splat_pattern") ||
	    !strcmp(type, "dictionary_splat_pattern"))
		return param_name(w, node_named_child(c, 0));
	return c;
}

static TSNode child_of_type(TSNode n, const char *type)
{
	uint32_t i, count = node_named_child_count(n);
	TSNode none = { { 0 }, 0, 0 };

	for (i = 0; i < count; i++)
		if (is_type(node_named_child(n, i), type))
			return node_named_child(n, i);
	return none;
}

static int same_name(struct walk *w, TSNode a, TSNode b)
{
	size_t la, lb;
	const char *ta, *tb;

	if (node_symbol(a) != w->sym->identifier || node_symbol(b) != w->sym->identifier)
		return 0;
	ta = node_text(w, a, &la);
	tb = node_text(w, b, &lb);
	return la == lb && !memcmp(ta, tb, la);
}

static int is_param(struct walk *w, TSNode scope, TSNode name)
{
	TSNode params = child_of_type(scope, "parameters");
	uint32_t i, count = node_named_child_count(params);

	for (i = 0; i < count; i++)
		if (same_name(w, param_name(w, node_named_child(params, i)), name))
			return 1;
	return 0;
}

/* Does target `t` bind `name`?  Its value is `v` (or, in a pattern, the matching element of `v`). */
static int target_sets(struct walk *w, TSNode t, TSNode v, TSNode name, TSNode *value)
{
	uint32_t i, count;

	if (same_name(w, t, name)) {
		*value = v;
		return 1;
	}
	if (!is_type(t, "pattern_list") && !is_type(t, "tuple_pattern") && !is_type(t, "list_pattern"))
		return 0;
	count = node_named_child_count(t);
	for (i = 0; i < count; i++) {
		TSNode none = { { 0 }, 0, 0 }, sub = none;
		if (!ts_node_is_null(v) && (is_type(v, "expression_list") || node_symbol(v) == w->sym->tuple ||
					    node_symbol(v) == w->sym->list) &&
		    node_named_child_count(v) == count)
			sub = node_named_child(v, i);
		if (target_sets(w, node_named_child(t, i), sub, name, value))
			return 1;
	}
	return 0;
}

/* `except E as name`, `with x as name`: the as_pattern binds the name to something that is no literal. */
static int alias_binds(struct walk *w, TSNode as_pattern, TSNode name)
{
	TSNode target = node_child_by_field_id(as_pattern, w->field->alias), none = { { 0 }, 0, 0 }, value;

	return target_sets(w, node_named_child(target, 0), none, name, &value);
}

/* -1: a statement of `block` before the line sets `name` to something else; 1: only to literals; 0: not at all. */
static int block_sets(struct walk *w, TSNode scope, TSNode block, TSNode name, uint32_t until_row, int depth)
{
	uint32_t i, count = node_named_child_count(block);
	int state = 0;

	if (--depth <= 0)
		return -1;
	for (i = 0; i < count; i++) {
		TSNode st = node_named_child(block, i), value = { { 0 }, 0, 0 };
		const char *type = node_type(st);
		int r = 0;
		if (ts_node_start_point(st).row >= until_row)
			break;
		if (node_symbol(st) == w->sym->block) {
			r = block_sets(w, scope, st, name, until_row, depth);
		} else if (!strcmp(type, "as_pattern")) {
			r = alias_binds(w, st, name) ? -1 : 0;
		} else if (!strcmp(type, "expression_statement")) {
			TSNode a = node_named_child(st, 0);
			if (node_symbol(a) == w->sym->assignment) {
				/* a = b = "x": every target of the chain gets the last value */
				TSNode v = a, t;
				while (node_symbol(v) == w->sym->assignment)
					v = node_child_by_field_id(v, w->field->right);
				for (t = a; node_symbol(t) == w->sym->assignment;
				     t = node_child_by_field_id(t, w->field->right))
					if (target_sets(w, node_child_by_field_id(t, w->field->left), v, name, &value)) {
						r = ts_node_is_null(value) ? -1 :
						    built_from_literals(w, scope, value, ts_node_start_point(value).row, depth) ? 1 : -1;
						break;
					}
			} else if (is_type(a, "augmented_assignment") &&
				   same_name(w, node_child_by_field_id(a, w->field->left), name)) {
				TSNode right = node_child_by_field_id(a, w->field->right);
				r = built_from_literals(w, scope, right, ts_node_start_point(right).row, depth) ? 1 : -1;
			}
		} else if (!strcmp(type, "function_definition") || !strcmp(type, "class_definition") ||
			   !strcmp(type, "decorated_definition")) {
			r = 0;	/* a scope of its own */
		} else {
			/* compound statements: their blocks, clauses and with items in order; a for target is no literal */
			uint32_t k, cn = node_named_child_count(st);
			TSNode none = { { 0 }, 0, 0 };
			for (k = 0; k < cn && r >= 0; k++) {
				TSNode c = node_named_child(st, k);
				int sub = 0;
				if (node_symbol(c) == w->sym->block || strstr(node_type(c), "_clause") ||
				    is_type(c, "with_item"))
					sub = block_sets(w, scope, c, name, until_row, depth);
				else if (is_type(c, "as_pattern"))
					sub = alias_binds(w, c, name) ? -1 : 0;
				if (sub)
					r = sub;
			}
			if (!strcmp(type, "for_statement") &&
			    target_sets(w, node_child_by_field_id(st, w->field->left), none, name, &value))
				r = -1;
		}
		if (r < 0)
			return -1;
		if (r > 0)
			state = 1;
	}
	return state;
}

static int built_from_literals(struct walk *w, TSNode scope, TSNode v, uint32_t until_row, int depth)
{
	TSNode parts = { { 0 }, 0, 0 };
	uint32_t i, count;

	v = node_unparen(w, v);
	if (ts_node_is_null(v) || depth <= 0)
		return 0;
	if (is_plain_string(w, v))
		return 1;
	if (node_symbol(v) == w->sym->identifier) {
		TSNode body = node_symbol(scope) == w->sym->module ? scope : child_of_type(scope, "block");
		if (node_symbol(scope) != w->sym->module && is_param(w, scope, v))
			return 0;
		return block_sets(w, scope, body, v, until_row, depth - 1) > 0;
	}
	if (node_symbol(v) == w->sym->call) {
		/* "...".format(literal, ...), without keywords */
		TSNode f = node_child_by_field_id(v, w->field->function);
		TSNode args = node_child_by_field_id(v, w->field->arguments);
		if (node_symbol(f) != w->sym->attribute ||
		    !is_plain_string(w, node_unparen(w, node_child_by_field_id(f, w->field->object))) ||
		    !node_text_eq(w, node_child_by_field_id(f, w->field->attribute), "format") ||
		    node_symbol(args) != w->sym->argument_list)
			return 0;
		parts = args;
	} else if (node_symbol(v) == w->sym->binary_operator) {
		/* "..." % (literal, ...) */
		TSNode op = node_child_by_field_id(v, w->field->operator);
		if (!node_text_eq(w, op, "%") ||
		    !is_plain_string(w, node_unparen(w, node_child_by_field_id(v, w->field->left))))
			return 0;
		parts = node_unparen(w, node_child_by_field_id(v, w->field->right));
		if (node_symbol(parts) != w->sym->tuple)
			return built_from_literals(w, scope, parts, until_row, depth - 1);
	} else {
		return 0;
	}
	count = node_named_child_count(parts);
	for (i = 0; i < count; i++) {
		TSNode c = node_named_child(parts, i);
		if (node_symbol(c) == w->sym->comment)
			continue;
		if (node_symbol(c) == w->sym->keyword_argument || node_symbol(c) == w->sym->dictionary_splat)
			return 0;
		if (node_symbol(c) == w->sym->list_splat) {
			/* *["a", "b"] */
			TSNode l = node_unparen(w, node_named_child(c, 0));
			uint32_t k, n = node_named_child_count(l);
			if (node_symbol(l) != w->sym->list && node_symbol(l) != w->sym->tuple)
				return 0;
			for (k = 0; k < n; k++)
				if (!built_from_literals(w, scope, node_named_child(l, k), until_row, depth - 1))
					return 0;
			continue;
		}
		if (!built_from_literals(w, scope, c, until_row, depth - 1))
			return 0;
	}
	return 1;
}

static int p_arg_from_literals(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a = call_arg_written(w, n, p->args[0]), scope = { { 0 }, 0, 0 };
	size_t k;

	for (k = 1; k <= w->depth; k++) {
		TSNode anc = walk_ancestor(w, k);
		if (node_symbol(anc) == w->sym->function_definition || node_symbol(anc) == w->sym->module) {
			scope = anc;
			break;
		}
	}
	/* a focused tree holds only some of the module's statements: ask for the whole file */
	if (w->focused && node_symbol(scope) == w->sym->module) {
		w->needs_whole = 1;
		return 0;
	}
	return !ts_node_is_null(scope) &&
	       built_from_literals(w, scope, a, ts_node_start_point(n).row, LITERAL_DEPTH);
}

/* --- any node -------------------------------------------------------------- */

/* The file imports one of the modules, or something inside one. */
static int p_imported(struct walk *w, TSNode n, const struct pred *p)
{
	size_t i, k;

	for (i = 0; i < p->nargs; i++) {
		const char *m = p->args[i];
		size_t ml = strlen(m);
		if (strmap_get(&w->imports, m, ml))
			return 1;
		for (k = 0; k < w->imports.cap; k++) {
			const char *key = w->imports.slots[k].key;
			if (key && !strncmp(key, m, ml) && key[ml] == '.')
				return 1;
		}
	}
	return 0;
}

/* The scanned file's path matches one of the globs (`*` crosses `/`); none given: never. */
static int p_path_matches(struct walk *w, TSNode n, const struct pred *p)
{
	size_t i;

	for (i = 0; i < p->nargs; i++)
		if (fnmatch(p->args[i], w->path, 0) == 0)
			return 1;
	return 0;
}

int pred_per_file(const struct pred *p)
{
	return p->def->fn == p_path_matches;
}

static int p_text_matches(struct walk *w, TSNode n, const struct pred *p)
{
	size_t len;
	const char *t = node_text(w, n, &len);

	return pred_search(w, p, t, len);
}

/* --- strings --------------------------------------------------------------- */

static int p_equals(struct walk *w, TSNode n, const struct pred *p)
{
	const struct buf *v = node_string_value_cached(w, n);
	size_t i;

	for (i = 0; v && i < p->nargs; i++)
		if (strlen(p->args[i]) == v->len && !memcmp(v->ptr ? v->ptr : "", p->args[i], v->len))
			return 1;
	return 0;
}

static int p_starts_with(struct walk *w, TSNode n, const struct pred *p)
{
	const struct buf *v = node_string_value_cached(w, n);
	size_t i;

	for (i = 0; v && i < p->nargs; i++) {
		size_t l = strlen(p->args[i]);
		if (v->len >= l && !memcmp(v->ptr, p->args[i], l))
			return 1;
	}
	return 0;
}

static int name_like(struct walk *w, TSNode name, const struct pred *p)
{
	size_t len;
	const char *t;

	if (ts_node_is_null(name))
		return 0;
	if (node_symbol(name) == w->sym->attribute)
		name = node_child_by_field_id(name, w->field->attribute);
	if (node_symbol(name) != w->sym->identifier)
		return 0;
	t = node_text(w, name, &len);
	return pred_search(w, p, t, len);
}

/* The key string `n` is password-like: its value matches the pattern. */
static int key_like(struct walk *w, TSNode n, const struct pred *p)
{
	const struct buf *v = node_string_value_cached(w, n);

	return v && pred_search(w, p, v->ptr ? v->ptr : "", v->len);
}

/*
 * Bandit's B105: a string assigned to a password-like name (`password =
 * "x"`, `self.token = "x"`), or compared with one (`password == "x"`); or a
 * password-like key given a string (`{"password": "x"}`, `d["password"] =
 * "x"`, reported at the key).  Unlike Bandit, a key given a number or None
 * is not a password.
 */
static int p_password_target(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode parent = walk_ancestor(w, 1);
	TSSymbol ps = node_symbol(parent);
	size_t k = 1;

	if (node_symbol(n) != w->sym->string)
		return 0;
	if (ps == w->sym->pair && ts_node_eq(node_child_by_field_id(parent, w->field->key), n))
		return is_plain_string(w, node_unparen(w, node_child_by_field_id(parent, w->field->value))) &&
		       key_like(w, n, p);
	if (ps == w->sym->subscript && ts_node_eq(node_child_by_field_id(parent, w->field->subscript), n)) {
		TSNode assign = walk_ancestor(w, 2), right;
		if (node_symbol(assign) != w->sym->assignment ||
		    !ts_node_eq(node_child_by_field_id(assign, w->field->left), parent))
			return 0;
		/* d["password"] = other = "x": the value at the end of the chain */
		right = node_child_by_field_id(assign, w->field->right);
		while (node_symbol(right) == w->sym->assignment)
			right = node_child_by_field_id(right, w->field->right);
		return is_plain_string(w, node_unparen(w, right)) && key_like(w, n, p);
	}
	if (ps == w->sym->assignment) {
		TSNode right = node_child_by_field_id(parent, w->field->right);
		if (!ts_node_eq(right, n))
			return 0;
		/* a = b = "x": every target of the chain counts */
		for (;;) {
			if (name_like(w, node_child_by_field_id(parent, w->field->left), p))
				return 1;
			parent = walk_ancestor(w, ++k);
			if (node_symbol(parent) != w->sym->assignment)
				return 0;
		}
	}
	/* password == "x", and "x" == password */
	if (ps == w->sym->comparison_operator && node_named_child_count(parent) == 2) {
		if (ts_node_eq(node_named_child(parent, 1), n))
			return name_like(w, node_named_child(parent, 0), p);
		if (ts_node_eq(node_named_child(parent, 0), n))
			return name_like(w, node_named_child(parent, 1), p);
	}
	return 0;
}

/*
 * Is identifier `name` passed to a call (itself, as an argument or a
 * keyword's value) in `scope`'s subtree?  The walk down keeps each node's
 * parent at hand (ts_node_parent() would search for it from the root).
 */
static int name_passed(struct walk *w, TSNode scope, TSNode name)
{
	TSTreeCursor cur = ts_tree_cursor_new(scope);
	TSNode *up = NULL, none = { { 0 }, 0, 0 };
	size_t depth = 0, cap = 0;
	char key[300];
	size_t len;
	const char *t = node_text(w, name, &len);
	int found = 0, n;

	n = snprintf(key, sizeof(key), "%u:%.*s", ts_node_start_byte(scope), (int)(len > 256 ? 256 : len), t);
	if (strmap_get(&w->passed, key, (size_t)n))
		return strmap_get(&w->passed, key, (size_t)n) == (void *)2;
	for (;;) {
		TSNode c = ts_tree_cursor_current_node(&cur);
		if (node_symbol(c) == w->sym->identifier) {
			TSNode parent = depth ? up[depth - 1] : none;
			if ((node_symbol(parent) == w->sym->argument_list ||
			     (node_symbol(parent) == w->sym->keyword_argument &&
			      ts_node_eq(node_child_by_field_id(parent, w->field->value), c))) &&
			    node_end_byte(c) - ts_node_start_byte(c) == len &&
			    !memcmp(w->src + ts_node_start_byte(c), t, len)) {
				found = 1;
				break;
			}
		}
		if (ts_tree_cursor_goto_first_child(&cur)) {
			*ARRAY_PUSH(up, depth, cap) = c;
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&cur)) {
			if (!ts_tree_cursor_goto_parent(&cur))
				goto done;
			depth--;
		}
	}
done:
	free(up);
	ts_tree_cursor_delete(&cur);
	strmap_put(&w->passed, key, (size_t)n, found ? (void *)2 : (void *)1);
	return found;
}

/*
 * B104, B108: the string can act as an address or a path: it is assigned
 * (to a name, an attribute, a subscript or a default), passed to a call,
 * or returned, also as a part of `+`, `%`, `.format()`, an f-string or a
 * conditional; or it is an item of a list, tuple, set or dict that is
 * passed to a call (`bind(("", port))`, `run(["cp", f, "/tmp/x"])`), or
 * assigned to a name that is passed to a call.  Not when it is an item of
 * a data literal that goes nowhere near a call (`MOUNTS = ("/", "/tmp")`),
 * or of one nested deeper (a table of test data), an operand of a
 * comparison, or a statement of its own.  With the argument "true"
 * (Bandit's behaviour), anywhere.
 */
static int p_in_use(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode cur = n;
	size_t k;
	int element = 0;

	if (p->nargs && !strcasecmp(p->args[0], "true"))
		return 1;
	for (k = 1; k <= w->depth; k++) {
		TSNode parent = walk_ancestor(w, k);
		TSSymbol ps = node_symbol(parent);
		const char *type = node_type(parent);
		if (ps == w->sym->parenthesized_expression || ps == w->sym->concatenated_string ||
		    ps == w->sym->binary_operator || !strcmp(type, "boolean_operator") ||
		    !strcmp(type, "interpolation") || ps == w->sym->string) {
			cur = parent;
		} else if (!strcmp(type, "conditional_expression")) {
			if (ts_node_eq(node_named_child(parent, 1), cur))
				return 0;	/* the condition */
			cur = parent;
		} else if (ps == w->sym->attribute && ts_node_eq(node_child_by_field_id(parent, w->field->object), cur) &&
			   node_text_eq(w, node_child_by_field_id(parent, w->field->attribute), "format") &&
			   node_symbol(walk_ancestor(w, k + 1)) == w->sym->call) {
			cur = walk_ancestor(w, ++k);	/* "/tmp/{}".format(x) */
		} else if (ps == w->sym->pair) {
			cur = parent;	/* the dict around it counts */
		} else if (ps == w->sym->list || ps == w->sym->tuple || ps == w->sym->dictionary ||
			   !strcmp(type, "set") || !strcmp(type, "expression_list")) {
			element++;
			cur = parent;
		} else if (ps == w->sym->argument_list || ps == w->sym->keyword_argument) {
			return element <= 1;
		} else if (ps == w->sym->assignment || ps == w->sym->augmented_assignment) {
			TSNode left = node_child_by_field_id(parent, w->field->left), scope = { { 0 }, 0, 0 };
			size_t j;
			if (ts_node_eq(left, cur) || element > 1)
				return 0;
			if (!element)
				return 1;
			if (node_symbol(left) != w->sym->identifier)
				return 0;
			/* a literal assigned to a name: used when that name is passed to a call */
			for (j = k + 1; j <= w->depth && ts_node_is_null(scope); j++)
				if (node_symbol(walk_ancestor(w, j)) == w->sym->function_definition ||
				    node_symbol(walk_ancestor(w, j)) == w->sym->module)
					scope = walk_ancestor(w, j);
			if (w->focused && node_symbol(scope) == w->sym->module) {
				w->needs_whole = 1;	/* the module's other statements are not all parsed */
				return 0;
			}
			return !ts_node_is_null(scope) && name_passed(w, scope, left);
		} else if (ps == w->sym->default_parameter || ps == w->sym->typed_default_parameter ||
			   !strcmp(type, "return_statement") || !strcmp(type, "yield") || ps == w->sym->lambda) {
			return !element;
		} else {
			return 0;
		}
	}
	return 0;
}

/*
 * B104: the string is the host of the address a call named NAME (the last
 * part of its name, globs) is given: its first argument, or the first item
 * of a tuple that is (`sock.bind(("", port))`, `make_server("", port, app)`).
 */
static int p_bind_address(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode cur = n, parent, call;
	size_t k = 1;
	char name[256];

	while (node_symbol(parent = walk_ancestor(w, k)) == w->sym->parenthesized_expression)
		cur = parent, k++;
	if (node_symbol(parent) == w->sym->tuple) {
		if (!ts_node_eq(node_named_child(parent, 0), cur))
			return 0;
		cur = parent;
		k++;
		while (node_symbol(parent = walk_ancestor(w, k)) == w->sym->parenthesized_expression)
			cur = parent, k++;
	}
	if (node_symbol(parent) != w->sym->argument_list)
		return 0;
	call = walk_ancestor(w, k + 1);
	if (node_symbol(call) != w->sym->call || !ts_node_eq(call_positional(w, call, 0), cur) ||
	    !call_short_name(w, call, name, sizeof(name)))
		return 0;
	return names_match(name, p->args, p->nargs);
}

/*
 * Bandit's B608 statement: the string parts of a `+`/`%` chain, of a
 * "...".format() or .replace() receiver, or of an f-string, joined with
 * spaces.  The wrapper is what holds the whole expression, so that an
 * enclosing execute() call can raise the confidence.
 */
static int sql_statement_of(struct walk *w, TSNode n, struct buf *stmt, TSNode *wrapper)
{
	TSNode parent = walk_ancestor(w, 1), top = n;
	size_t k = 1;

	if (node_symbol(parent) == w->sym->binary_operator) {
		TSNode *stack = NULL;
		size_t sp = 0, cap = 0;
		int rc = 0;
		while (node_symbol(walk_ancestor(w, k)) == w->sym->binary_operator)
			top = walk_ancestor(w, k++);
		/* the chain is judged once, at its first string; Bandit judges it at every string */
		w->sql_chain_start = ts_node_start_byte(top);
		w->sql_chain_end = node_end_byte(top);
		*ARRAY_PUSH(stack, sp, cap) = top;
		while (sp && rc == 0) {
			TSNode x = stack[--sp];
			if (node_symbol(x) == w->sym->binary_operator) {
				TSNode l = node_child_by_field_id(x, w->field->left);
				TSNode r = node_child_by_field_id(x, w->field->right);
				if (!ts_node_is_null(r))
					*ARRAY_PUSH(stack, sp, cap) = r;
				if (!ts_node_is_null(l))
					*ARRAY_PUSH(stack, sp, cap) = l;
			} else if (node_is_string(w, x)) {
				/* past the cap the statement is long enough to judge */
				if ((stmt->len && buf_put(stmt, " ", 1) < 0) || node_string_value(w, x, stmt) < 0)
					break;
			}
		}
		free(stack);
		*wrapper = walk_ancestor(w, k);
		return rc;
	}
	if (node_symbol(parent) == w->sym->attribute) {
		TSNode method = node_child_by_field_id(parent, w->field->attribute);
		if (node_text_eq(w, method, "format")) {
			*wrapper = walk_ancestor(w, 3);
			return node_string_value(w, n, stmt);
		}
		/* "...".replace(): judged, but never with an execute() call's confidence (Bandit 1.7.7) */
		if (node_text_eq(w, method, "replace")) {
			TSNode none = { { 0 }, 0, 0 };
			*wrapper = none;
			return node_string_value(w, n, stmt);
		}
	}
	/* an f-string, also one joined to plain strings ("SELECT ..." f"WHERE id = {uid}"), as Python's ast joins them */
	if (node_is_fstring(w, n) || (node_symbol(n) == w->sym->concatenated_string && !is_plain_string(w, n))) {
		*wrapper = parent;
		return node_string_value(w, n, stmt);
	}
	return -1;
}

/*
 * Bandit's B608 statement: the string parts of a `+`/`%` chain, of a
 * "...".format() receiver, or of an f-string, joined with spaces.  The
 * wrapper is what holds the whole expression, so that an enclosing
 * execute() call can raise the confidence.  Cached for the node.
 */
static const struct buf *sql_statement(struct walk *w, TSNode n, TSNode *wrapper)
{
	uint32_t at = ts_node_start_byte(n);

	if (!ts_node_eq(n, w->sql_node) || !w->sql_stmt.max) {
		int later_in_chain = at > w->sql_chain_start && at < w->sql_chain_end &&
				     node_symbol(walk_ancestor(w, 1)) == w->sym->binary_operator;
		w->sql_node = n;
		w->sql_stmt.max = STRING_VALUE_MAX;
		w->sql_stmt.len = 0;
		w->sql_ok = !later_in_chain && sql_statement_of(w, n, &w->sql_stmt, &w->sql_wrapper) == 0;
	}
	*wrapper = w->sql_wrapper;
	return w->sql_ok ? &w->sql_stmt : NULL;
}

static int p_sql_expression(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode wrapper;
	const struct buf *stmt = sql_statement(w, n, &wrapper);

	return stmt && pred_search(w, p, stmt->ptr ? stmt->ptr : "", stmt->len);
}

/* The SQL expression is an argument of a call named like one of the args. */
static int p_sql_in_call(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode wrapper;
	char name[256];
	size_t i;
	int hit = 0;

	if (sql_statement(w, n, &wrapper) && !ts_node_is_null(wrapper)) {
		/* the wrapper of an argument is the argument list; its parent is the call */
		if (node_symbol(wrapper) == w->sym->argument_list)
			wrapper = node_parent(wrapper);
		if (node_symbol(wrapper) == w->sym->call && call_short_name(w, wrapper, name, sizeof(name)))
			for (i = 0; i < p->nargs && !hit; i++)
				hit = !strcmp(name, p->args[i]);
	}
	return hit;
}

/* --- keyword arguments and parameter defaults ------------------------------ */

static int p_name_like(struct walk *w, TSNode n, const struct pred *p)
{
	return name_like(w, node_child_by_field_id(n, w->field->name), p);
}

static int p_name_in(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode name = node_child_by_field_id(n, w->field->name);
	size_t i;

	for (i = 0; !ts_node_is_null(name) && i < p->nargs; i++)
		if (node_text_eq(w, name, p->args[i]))
			return 1;
	return 0;
}

static int p_value_string(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = node_child_by_field_id(n, w->field->value);

	return !ts_node_is_null(v) && node_is_string(w, v) && !node_is_fstring(w, v);
}

/* The value's last dotted part is one of the args (B503: ssl.PROTOCOL_SSLv3). */
static int p_value_attr_in(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = node_child_by_field_id(n, w->field->value);
	char name[512];
	const char *last;
	size_t i;

	if (ts_node_is_null(v) || !node_dotted(w, v, name, sizeof(name)))
		return 0;
	last = strrchr(name, '.');
	last = last ? last + 1 : name;
	for (i = 0; i < p->nargs; i++)
		if (!strcmp(last, p->args[i]))
			return 1;
	return 0;
}

/* --- except clauses -------------------------------------------------------- */

static TSNode except_body(struct walk *w, TSNode n)
{
	uint32_t count = node_named_child_count(n);
	TSNode none = { { 0 }, 0, 0 };

	return count ? node_named_child(n, count - 1) : none;
}

/* The handler's body is that one statement alone (`pass`, `continue`). */
static int p_body_is(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode body = except_body(w, n), stmt;
	uint32_t i, count, stmts = 0;

	if (ts_node_is_null(body) || node_symbol(body) != w->sym->block)
		return 0;
	count = node_named_child_count(body);
	for (i = 0; i < count; i++) {
		TSNode c = node_named_child(body, i);
		if (node_symbol(c) != w->sym->comment)
			stmts++, stmt = c;
	}
	if (stmts != 1)
		return 0;
	return !strcmp(node_type(stmt), !strcmp(p->args[0], "pass") ? "pass_statement" :
		!strcmp(p->args[0], "continue") ? "continue_statement" : p->args[0]);
}

/*
 * A bare `except:` or `except Exception:`; with the argument "true"
 * (Bandit's check_typed_exception) every handler counts.
 */
static int p_catches_broad(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode value = node_child_by_field_id(n, w->field->value);

	if (p->nargs && !strcasecmp(p->args[0], "true"))
		return 1;
	/* `except Exception as e:` holds the type in an as_pattern */
	if (!ts_node_is_null(value) && !strcmp(node_type(value), "as_pattern"))
		value = node_named_child(value, 0);
	value = node_unparen(w, value);
	return ts_node_is_null(value) || node_text_eq(w, value, "Exception");
}

/* --- the file -------------------------------------------------------------- */

/* Unicode bidirectional controls (trojan source, CVE-2021-42574). */
static int p_contains_bidi(struct walk *w, TSNode n, const struct pred *p)
{
	const unsigned char *s = (const unsigned char *)w->src, *at;
	size_t i;

	for (i = 0; i + 2 < w->len; i++) {
		/* every one of them starts with the byte e2 */
		if (!(at = memchr(s + i, 0xe2, w->len - 2 - i)))
			break;
		i = (size_t)(at - s);
		/* U+202A..U+202E: e2 80 aa..ae; U+2066..U+2069: e2 81 a6..a9; U+200F: e2 80 8f */
		if ((s[i + 1] == 0x80 && ((s[i + 2] >= 0xaa && s[i + 2] <= 0xae) || s[i + 2] == 0x8f)) ||
		    (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)) {
			w->mark = (int64_t)i;
			return 1;
		}
	}
	return 0;
}

static const struct pred_def pred_table[] = {
	{ "kwarg", K(KIND_CALL), 1, 1, -1, -1, p_kwarg,
	  "kwarg NAME: the call passes keyword NAME" },
	{ "kwarg-truthy", K(KIND_CALL), 1, 1, -1, -1, p_kwarg_truthy,
	  "kwarg-truthy NAME: keyword NAME is passed a value that is not a false literal" },
	{ "kwarg-is", K(KIND_CALL), 2, -1, -1, -1, p_kwarg_is,
	  "kwarg-is NAME VALUE...: keyword NAME is one of the values (text, qualified name or string value)" },
	{ "arg-is", K(KIND_CALL), 2, -1, 0, -1, p_arg_is,
	  "arg-is N VALUE...: positional argument N (from 0) is one of the values" },
	{ "arg-string", K(KIND_CALL), 1, 1, 0, -1, p_arg_string,
	  "arg-string N: positional argument N is a plain string literal" },
	{ "arg-partial-path", K(KIND_CALL), 1, 1, 0, -1, p_arg_partial_path,
	  "arg-partial-path N: argument N (or its first element) names a program without a path" },
	{ "callee-in", K(KIND_CALL) | K(KIND_KEYWORD), 1, -1, -1, -1, p_callee_in,
	  "callee-in NAME...: the call's (a keyword's call's) qualified name matches one of the names (globs allowed)" },
	{ "callee-name", K(KIND_CALL), 1, -1, -1, -1, p_callee_name,
	  "callee-name GLOB...: the last part of the call's qualified name matches one of the globs" },
	{ "arg-constant", K(KIND_CALL), 1, 1, -1, -1, p_arg_constant,
	  "arg-constant ARG: argument ARG (a position or a keyword) is a constant: string, number, True, False, None" },
	{ "arg-dynamic", K(KIND_CALL), 1, 1, -1, -1, p_arg_dynamic,
	  "arg-dynamic ARG: argument ARG is passed, and is not a constant" },
	{ "arg-strings", K(KIND_CALL), 1, 1, -1, -1, p_arg_strings,
	  "arg-strings ARG: argument ARG is a string literal, or a list, tuple, set or dict of string literals" },
	{ "arg-matches", K(KIND_CALL), 2, 2, -1, 1, p_arg_matches,
	  "arg-matches ARG REGEX: argument ARG is a string literal (or a list of them) whose value matches REGEX" },
	{ "arg-int-lt", K(KIND_CALL), 2, 2, 1, -1, p_arg_int_lt,
	  "arg-int-lt ARG N: argument ARG is an integer literal below N" },
	{ "arg-int-mask", K(KIND_CALL), 2, 2, 1, -1, p_arg_int_mask,
	  "arg-int-mask ARG MASK: argument ARG is an integer literal with one of the bits of MASK set" },
	{ "arg-attr-in", K(KIND_CALL), 1, -1, -1, -1, p_arg_attr_in,
	  "arg-attr-in ARG NAME...: the last part of argument ARG's name (or of the function it calls) is one of the names" },
	{ "arg-from-literals", K(KIND_CALL), 1, 1, -1, -1, p_arg_from_literals,
	  "arg-from-literals ARG: argument ARG is built only from string literals (literal, format, %, local names)" },
	{ "arg-call", K(KIND_CALL), 1, -1, -1, -1, p_arg_call,
	  "arg-call ARG FUNC...: argument ARG is a call of one of the functions (globs allowed)" },
	{ "kwarg-call", K(KIND_CALL), 2, -1, -1, -1, p_kwarg_call,
	  "kwarg-call NAME FUNC...: keyword NAME is passed a call of one of the functions" },
	{ "nargs-lt", K(KIND_CALL), 1, 1, 0, -1, p_nargs_lt,
	  "nargs-lt N: fewer than N positional arguments" },
	{ "imported", ANY_KIND, 1, -1, -1, -1, p_imported,
	  "imported MODULE...: the file imports one of the modules (or a submodule)" },
	{ "path-matches", ANY_KIND | K(KIND_LINE), 0, -1, -1, -1, p_path_matches,
	  "path-matches GLOB...: the file's path matches one of the globs (none given: never)" },
	{ "text-matches", ANY_KIND, 1, 1, -1, 0, p_text_matches,
	  "text-matches REGEX: the node's source text matches REGEX" },
	{ "equals", K(KIND_STRING), 1, -1, -1, -1, p_equals,
	  "equals VALUE...: the string's value is one of the values" },
	{ "starts-with", K(KIND_STRING), 1, -1, -1, -1, p_starts_with,
	  "starts-with PREFIX...: the string's value starts with one of the prefixes" },
	{ "password-target", K(KIND_STRING), 1, 1, -1, 0, p_password_target,
	  "password-target REGEX: the string is assigned to, or compared with, a name matching REGEX, or is such a key given a string" },
	{ "in-use", K(KIND_STRING), 0, 1, -1, -1, p_in_use,
	  "in-use [ANYWHERE]: the string is assigned, passed to a call (or in a literal passed to one) or returned; ANYWHERE true: always" },
	{ "bind-address", K(KIND_STRING), 1, -1, -1, -1, p_bind_address,
	  "bind-address NAME...: the string is the host of the address given to a call named NAME (the first argument, or its tuple's first item)" },
	{ "sql-expression", K(KIND_STRING), 1, 1, -1, 0, p_sql_expression,
	  "sql-expression REGEX: the string is built into a query (+, %, .format, f-string) matching REGEX" },
	{ "sql-in-call", K(KIND_STRING), 1, -1, -1, -1, p_sql_in_call,
	  "sql-in-call NAME...: that query is passed straight to a call named NAME" },
	{ "name-like", K(KIND_KEYWORD) | K(KIND_DEFAULT), 1, 1, -1, 0, p_name_like,
	  "name-like REGEX: the keyword or parameter name matches REGEX" },
	{ "name-in", K(KIND_KEYWORD) | K(KIND_DEFAULT), 1, -1, -1, -1, p_name_in,
	  "name-in NAME...: the keyword or parameter name is one of the names" },
	{ "value-string", K(KIND_KEYWORD) | K(KIND_DEFAULT), 0, 0, -1, -1, p_value_string,
	  "value-string: the keyword's or default's value is a string literal" },
	{ "value-attr-in", K(KIND_KEYWORD) | K(KIND_DEFAULT), 1, -1, -1, -1, p_value_attr_in,
	  "value-attr-in NAME...: the value's last dotted part is one of the names" },
	{ "body-is", K(KIND_EXCEPT), 1, 1, -1, -1, p_body_is,
	  "body-is STATEMENT: the handler's body is that one statement (pass, continue)" },
	{ "catches-broad", K(KIND_EXCEPT), 0, 1, -1, -1, p_catches_broad,
	  "catches-broad [TYPED]: a bare except or `except Exception` (as e); TYPED true: any handler" },
	{ "contains-bidi", K(KIND_SOURCE), 0, 0, -1, -1, p_contains_bidi,
	  "contains-bidi: the file holds a Unicode bidirectional control character" },
	{ NULL, 0, 0, 0, -1, -1, NULL, NULL }
};

const struct pred_def *pred_lookup(const char *name)
{
	const struct pred_def *d;

	/* the first byte first: most names are told apart by it, without a call */
	for (d = pred_table; d->name; d++)
		if (d->name[0] == name[0] && !strcmp(d->name, name))
			return d;
	return NULL;
}
