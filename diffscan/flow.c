/*
 * flow.c: the values that reach a call's arguments (flow.h says what).
 *
 * The assignments that may reach a use are found on the tree, walking up
 * from the use: in each block around it, the statements before it, last
 * first; an assignment of the name at that level surely ran before the use
 * and hides the ones before it; one inside an if, loop, try or with may
 * have run, and is taken with the others.  A function's parameters, a
 * lambda's, and the start of a class body end the search: what is bound
 * there is unknown.  At the module's level in a focused parse, where the
 * module's statements are not all parsed, the scan is done again whole.
 */
#include "flow.h"
#include "pyast.h"

#define FLOW_DEPTH 16
#define FLOW_DEFS 32

/* The assignments that may reach a use: each value (a null node: unknown) and its statement. */
struct defs {
	TSNode value[FLOW_DEFS], stmt[FLOW_DEFS];
	size_t n;
	int unknown;		/* something unknown may reach it too */
};

static int is_type(TSNode n, const char *type)
{
	return !strcmp(node_type(n), type);
}

static int is_name(struct walk *w, TSNode id, const char *name, size_t len)
{
	size_t l;
	const char *t;

	if (node_symbol(id) != w->sym->identifier)
		return 0;
	t = node_text(w, id, &l);
	return l == len && !memcmp(t, name, len);
}

static void add_def(struct defs *d, TSNode value, TSNode stmt)
{
	if (ts_node_is_null(value) || d->n >= FLOW_DEFS) {
		d->unknown = 1;
		return;
	}
	d->value[d->n] = value;
	d->stmt[d->n++] = stmt;
}

static void record(struct walk *w, TSNode stmt)
{
	if (w->recording)
		*ARRAY_PUSH(w->sources, w->nsources, w->sources_cap) = stmt;
}

/* Does target `t` bind the name?  Then its value is `v`'s matching part (null: unknown). 1: bound plainly. */
static int target_binds(struct walk *w, TSNode t, TSNode v, const char *name, size_t len, TSNode *value, int depth)
{
	TSNode none = { { 0 }, 0, 0 };
	uint32_t i, count;

	t = node_unparen(w, t);
	if (is_name(w, t, name, len)) {
		*value = v;
		return 1;
	}
	if (depth > FLOW_DEPTH || !(is_type(t, "pattern_list") || is_type(t, "tuple_pattern") ||
				    is_type(t, "list_pattern") || node_symbol(t) == w->sym->tuple ||
				    node_symbol(t) == w->sym->list || is_type(t, "list_splat_pattern")))
		return 0;
	v = node_unparen(w, v);
	count = node_named_child_count(t);
	if (!(is_type(v, "expression_list") || node_symbol(v) == w->sym->tuple || node_symbol(v) == w->sym->list) ||
	    node_named_child_count(v) != count || is_type(t, "list_splat_pattern"))
		v = none;
	for (i = 0; i < count; i++)
		if (target_binds(w, node_named_child(t, i), ts_node_is_null(v) ? none : node_named_child(v, i),
				 name, len, value, depth + 1))
			return 1;
	return 0;
}

static void collect_block(struct walk *w, TSNode block, const char *name, size_t len, struct defs *d, int depth);

/*
 * The assignments of the name in statement `st` (not in a def or class
 * inside it).  Returns 1 when `st` itself is a plain assignment of it: it
 * hides what came before.
 */
static int collect(struct walk *w, TSNode st, const char *name, size_t len, struct defs *d, int depth)
{
	TSSymbol s = node_symbol(st);
	TSNode value = { { 0 }, 0, 0 };
	uint32_t i, count;

	if (depth > FLOW_DEPTH) {
		d->unknown = 1;
		return 0;
	}
	if (s == w->sym->expression_statement) {
		TSNode a = node_named_child(st, 0);
		if (node_symbol(a) == w->sym->assignment) {
			TSNode v = a, t;
			while (node_symbol(v) == w->sym->assignment)
				v = node_child_by_field_id(v, w->field->right);
			if (ts_node_is_null(v))
				return 0;	/* `x: int` gives x no value, nor takes the one it had */
			for (t = a; node_symbol(t) == w->sym->assignment; t = node_child_by_field_id(t, w->field->right))
				if (target_binds(w, node_child_by_field_id(t, w->field->left), v, name, len, &value, 0)) {
					add_def(d, value, st);
					return 1;
				}
		} else if (node_symbol(a) == w->sym->augmented_assignment &&
			   is_name(w, node_child_by_field_id(a, w->field->left), name, len)) {
			/* cmd += x: x, and whatever cmd was before */
			add_def(d, node_child_by_field_id(a, w->field->right), st);
		}
		return 0;
	}
	if (s == w->sym->function_definition || s == w->sym->class_definition || s == w->sym->decorated_definition) {
		TSNode def = s == w->sym->decorated_definition ? node_child_by_field_id(st, w->field->definition) : st;
		if (is_name(w, node_child_by_field_id(def, w->field->name), name, len)) {
			d->unknown = 1;
			return 1;
		}
		return 0;
	}
	if (s == w->sym->import_statement || s == w->sym->import_from_statement) {
		size_t tl;
		const char *t = node_text(w, st, &tl);
		/* an import that may bind it: unknown (a module is no string) */
		if (tl >= len && memmem(t, tl, name, len))
			d->unknown = 1;
		return 0;
	}
	if (s == w->sym->for_statement &&
	    target_binds(w, node_child_by_field_id(st, w->field->left), value, name, len, &value, 0))
		d->unknown = 1;
	count = node_named_child_count(st);
	for (i = 0; i < count; i++) {
		TSNode c = node_named_child(st, i);
		if (node_symbol(c) == w->sym->block)
			collect_block(w, c, name, len, d, depth + 1);
		else if (is_type(c, "as_pattern") || is_type(c, "with_clause") || is_type(c, "with_item") ||
			 strstr(node_type(c), "_clause"))
			collect(w, c, name, len, d, depth + 1);
	}
	if (is_type(st, "as_pattern") &&
	    target_binds(w, node_named_child(node_child_by_field_id(st, w->field->alias), 0), value, name, len, &value, 0))
		d->unknown = 1;
	return 0;
}

/* Every assignment of the name in a block that may not run as a whole: all of them may reach. */
static void collect_block(struct walk *w, TSNode block, const char *name, size_t len, struct defs *d, int depth)
{
	uint32_t i, count = node_named_child_count(block);

	for (i = 0; i < count; i++)
		collect(w, node_named_child(block, i), name, len, d, depth);
}

/* The assignments of identifier `use`'s name that may reach it. */
static void reaching(struct walk *w, TSNode use, struct defs *d)
{
	size_t len;
	const char *name = node_text(w, use, &len);
	TSNode cur = use, p;
	int depth = 0;

	memset(d, 0, sizeof(*d));
	while (!ts_node_is_null(p = node_parent(cur)) && depth++ < 256) {
		TSSymbol s = node_symbol(p);
		if (s == w->sym->block || s == w->sym->module) {
			uint32_t i = node_named_child_count(p);
			if (s == w->sym->module && w->focused) {
				/* the module's statements before it are not all parsed */
				w->needs_whole = 1;
				d->unknown = 1;
				return;
			}
			while (i-- > 0) {
				TSNode st = node_named_child(p, i);
				if (ts_node_start_byte(st) >= ts_node_start_byte(cur))
					continue;
				if (collect(w, st, name, len, d, 0))
					return;
			}
			if (s == w->sym->module) {
				d->unknown = 1;	/* a builtin, or bound where this cannot see */
				return;
			}
		} else if (s == w->sym->function_definition) {
			d->unknown = 1;	/* a parameter, or a name of the scopes around */
			return;
		} else if (s == w->sym->lambda || s == w->sym->class_definition) {
			d->unknown = 1;
			return;
		} else if (s == w->sym->list_comprehension || s == w->sym->set_comprehension ||
			   s == w->sym->dictionary_comprehension || s == w->sym->generator_expression) {
			uint32_t i, count = node_named_child_count(p);
			TSNode none = { { 0 }, 0, 0 }, v;
			for (i = 0; i < count; i++) {
				TSNode c = node_named_child(p, i);
				if (node_symbol(c) == w->sym->for_in_clause &&
				    target_binds(w, node_child_by_field_id(c, w->field->left), none, name, len, &v, 0)) {
					d->unknown = 1;
					return;
				}
			}
		}
		cur = p;
	}
	d->unknown = 1;
}

static TSNode value_at(struct walk *w, TSNode n, int depth)
{
	struct defs d;

	n = node_unparen(w, n);
	if (depth > FLOW_DEPTH || node_symbol(n) != w->sym->identifier)
		return n;
	reaching(w, n, &d);
	if (d.n != 1 || d.unknown)
		return n;
	record(w, d.stmt[0]);
	return value_at(w, d.value[0], depth + 1);
}

TSNode flow_value(struct walk *w, TSNode n)
{
	return value_at(w, n, 0);
}

static int literal_at(struct walk *w, TSNode n, int depth);

/* Every interpolation of an f-string (or of the f-strings of a concatenation) is a constant. */
static int interpolations_literal(struct walk *w, TSNode n, int depth)
{
	uint32_t i, count = node_named_child_count(n);

	for (i = 0; i < count; i++) {
		TSNode c = node_named_child(n, i);
		if (node_symbol(c) == w->sym->string) {
			if (!interpolations_literal(w, c, depth))
				return 0;
		} else if (is_type(c, "interpolation")) {
			if (!literal_at(w, node_named_child(c, 0), depth + 1))
				return 0;
		}
	}
	return 1;
}

static int literal_at(struct walk *w, TSNode n, int depth)
{
	TSSymbol s;

	n = node_unparen(w, n);
	if (ts_node_is_null(n) || depth > FLOW_DEPTH)
		return 0;
	s = node_symbol(n);
	if (s == w->sym->string || s == w->sym->concatenated_string)
		return interpolations_literal(w, n, depth) ? 1 : 0;
	if (s == w->sym->integer || s == w->sym->float_ || s == w->sym->true_ || s == w->sym->false_ ||
	    s == w->sym->none)
		return 2;
	if (s == w->sym->binary_operator) {
		TSNode op = node_child_by_field_id(n, w->field->operator);
		TSNode r = node_unparen(w, node_child_by_field_id(n, w->field->right));
		int a = literal_at(w, node_child_by_field_id(n, w->field->left), depth + 1), b;
		if (!a)
			return 0;
		if (node_text_eq(w, op, "%") && (node_symbol(r) == w->sym->tuple || node_symbol(r) == w->sym->dictionary)) {
			uint32_t i, count = node_named_child_count(r);
			for (i = 0; i < count; i++) {
				TSNode c = node_named_child(r, i);
				if (node_symbol(c) == w->sym->pair)
					c = node_child_by_field_id(c, w->field->value);
				if (node_symbol(c) != w->sym->comment && !literal_at(w, c, depth + 1))
					return 0;
			}
			return a;
		}
		if (!node_text_eq(w, op, "+") && !node_text_eq(w, op, "%") && !node_text_eq(w, op, "*"))
			return 0;
		b = literal_at(w, r, depth + 1);
		return b ? (a == 1 || b == 1 ? 1 : 2) : 0;
	}
	if (s == w->sym->call) {
		/* "...".format(constants) */
		TSNode f = node_child_by_field_id(n, w->field->function);
		TSNode args = node_child_by_field_id(n, w->field->arguments);
		uint32_t i, count;
		if (node_symbol(f) != w->sym->attribute ||
		    !node_text_eq(w, node_child_by_field_id(f, w->field->attribute), "format") ||
		    literal_at(w, node_child_by_field_id(f, w->field->object), depth + 1) != 1 ||
		    node_symbol(args) != w->sym->argument_list)
			return 0;
		count = node_named_child_count(args);
		for (i = 0; i < count; i++) {
			TSNode c = node_named_child(args, i);
			if (node_symbol(c) == w->sym->keyword_argument)
				c = node_child_by_field_id(c, w->field->value);
			if (node_symbol(c) != w->sym->comment && !literal_at(w, c, depth + 1))
				return 0;
		}
		return 1;
	}
	if (s == w->sym->list || s == w->sym->tuple || is_type(n, "set")) {
		/* ["ls", "-l"]: only literals */
		uint32_t i, count = node_named_child_count(n);
		for (i = 0; i < count; i++) {
			TSNode c = node_named_child(n, i);
			if (node_symbol(c) != w->sym->comment && !literal_at(w, c, depth + 1))
				return 0;
		}
		return count ? 1 : 2;
	}
	if (s == w->sym->identifier) {
		struct defs d;
		size_t i;
		int kind = 2;
		reaching(w, n, &d);
		if (d.unknown || !d.n)
			return 0;
		for (i = 0; i < d.n; i++) {
			int k;
			record(w, d.stmt[i]);
			if (!(k = literal_at(w, d.value[i], depth + 1)))
				return 0;
			if (k == 1)
				kind = 1;
		}
		return kind;
	}
	return 0;
}

int flow_literal(struct walk *w, TSNode n)
{
	return literal_at(w, n, 0);
}
