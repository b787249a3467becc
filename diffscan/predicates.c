/*
 * predicates.c: the semantic conditions a rule's `when` and `unless` lines
 * name.  Each is a small function of the node the clause matched; the
 * table at the bottom is the whole vocabulary (rules/README.md lists it).
 */
#include "internal.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>

#define K(kind) (1u << (kind))
#define ANY_KIND (K(KIND_CALL) | K(KIND_IMPORT) | K(KIND_ASSERT) | K(KIND_EXCEPT) | \
		  K(KIND_STRING) | K(KIND_KEYWORD) | K(KIND_DEFAULT) | K(KIND_SOURCE))

#define VALUE_MAX (64 * 1024)

static int re_search(struct walk *w, const pcre2_code *re, const char *s, size_t len)
{
	if (!w->md)
		w->md = pcre2_match_data_create(16, NULL);
	return pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, w->md, NULL) >= 0;
}

const struct buf *walk_string_value(struct walk *w, TSNode n)
{
	if (!ts_node_eq(n, w->str_node) || !w->str_value.max) {
		w->str_node = n;
		w->str_value.max = VALUE_MAX;
		w->str_value.len = 0;
		w->str_ok = node_is_string(w, n) && node_string_value(w, n, &w->str_value) == 0;
	}
	return w->str_ok ? &w->str_value : NULL;
}

/* Does `v` (a value node) stand for one of `want`: by its text, its qualified name, or its string value? */
static int value_is(struct walk *w, TSNode v, char *const *want, size_t nwant)
{
	char qual[512];
	struct buf sval = BUF_INIT(VALUE_MAX);
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

static int p_kwarg_truthy(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = call_keyword(w, n, p->args[0]);

	return !ts_node_is_null(v) && node_truthy(w, v);
}

static int p_kwarg_is(struct walk *w, TSNode n, const struct pred *p)
{
	return value_is(w, call_keyword(w, n, p->args[0]), p->args + 1, p->nargs - 1);
}

static int p_arg_is(struct walk *w, TSNode n, const struct pred *p)
{
	if (p->number < 0)
		return 0;
	return value_is(w, call_positional(w, n, (uint32_t)p->number), p->args + 1, p->nargs - 1);
}

static int p_arg_string(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode a;

	if (p->number < 0)
		return 0;
	a = call_positional(w, n, (uint32_t)p->number);
	return !ts_node_is_null(a) && ts_node_symbol(a) == w->eng->sym.string && !node_is_fstring(w, a);
}

/* Bandit's B607: a command named without a path ("ls", not "/bin/ls"). */
static int p_arg_partial_path(struct walk *w, TSNode n, const struct pred *p)
{
	struct buf v = BUF_INIT(VALUE_MAX);
	TSNode a;
	const char *s;
	int partial;

	if (p->number < 0)
		return 0;
	a = call_positional(w, n, (uint32_t)p->number);
	if (!ts_node_is_null(a) && (ts_node_symbol(a) == w->eng->sym.list ||
				    ts_node_symbol(a) == w->eng->sym.tuple))
		a = ts_node_named_child(a, 0);
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

/* The call's qualified name matches one of the globs. */
static int p_callee_in(struct walk *w, TSNode n, const struct pred *p)
{
	return w->qualname_len && names_match(w->qualname, p->args, p->nargs);
}

/* Keyword NAME is passed a call of one of the functions (autoescape=select_autoescape()). */
static int p_kwarg_call(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = call_keyword(w, n, p->args[0]);
	char qual[512];

	if (ts_node_is_null(v) || ts_node_symbol(v) != w->eng->sym.call)
		return 0;
	if (!node_qualname(w, ts_node_child_by_field_id(v, w->eng->field.function), qual, sizeof(qual)))
		return 0;
	return names_match(qual, p->args + 1, p->nargs - 1);
}

static int p_nargs_lt(struct walk *w, TSNode n, const struct pred *p)
{
	return (long)call_positional_count(w, n) < p->number;
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

static int p_text_matches(struct walk *w, TSNode n, const struct pred *p)
{
	size_t len;
	const char *t = node_text(w, n, &len);

	return re_search(w, p->re, t, len);
}

/* --- strings --------------------------------------------------------------- */

static int p_equals(struct walk *w, TSNode n, const struct pred *p)
{
	const struct buf *v = walk_string_value(w, n);
	size_t i;

	for (i = 0; v && i < p->nargs; i++)
		if (strlen(p->args[i]) == v->len && !memcmp(v->ptr ? v->ptr : "", p->args[i], v->len))
			return 1;
	return 0;
}

static int p_starts_with(struct walk *w, TSNode n, const struct pred *p)
{
	const struct buf *v = walk_string_value(w, n);
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
	if (ts_node_symbol(name) == w->eng->sym.attribute)
		name = ts_node_child_by_field_id(name, w->eng->field.attribute);
	if (ts_node_symbol(name) != w->eng->sym.identifier)
		return 0;
	t = node_text(w, name, &len);
	return re_search(w, p->re, t, len);
}

/*
 * Bandit's B105: a string assigned to a password-like name (`password =
 * "x"`, `self.token = "x"`), or compared with one (`password == "x"`).
 */
static int p_password_target(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode parent = walk_ancestor(w, 1);
	TSSymbol ps = ts_node_symbol(parent);
	size_t k = 1;

	if (ts_node_symbol(n) != w->eng->sym.string)
		return 0;
	if (ps == w->eng->sym.assignment) {
		TSNode right = ts_node_child_by_field_id(parent, w->eng->field.right);
		if (!ts_node_eq(right, n))
			return 0;
		/* a = b = "x": every target of the chain counts */
		for (;;) {
			if (name_like(w, ts_node_child_by_field_id(parent, w->eng->field.left), p))
				return 1;
			parent = walk_ancestor(w, ++k);
			if (ts_node_symbol(parent) != w->eng->sym.assignment)
				return 0;
		}
	}
	if (ps == w->eng->sym.comparison_operator && ts_node_named_child_count(parent) == 2 &&
	    ts_node_eq(ts_node_named_child(parent, 1), n))
		return name_like(w, ts_node_named_child(parent, 0), p);
	return 0;
}

/*
 * Bandit's B608 statement: the string parts of a `+`/`%` chain, of a
 * "...".format() receiver, or of an f-string, joined with spaces.  The
 * wrapper is what holds the whole expression, so that an enclosing
 * execute() call can raise the confidence.
 */
static int sql_statement_of(struct walk *w, TSNode n, struct buf *stmt, TSNode *wrapper)
{
	TSNode parent = walk_ancestor(w, 1), top = n;
	const struct pysec_engine *e = w->eng;
	size_t k = 1;

	if (ts_node_symbol(parent) == e->sym.binary_operator) {
		TSNode *stack = NULL;
		size_t sp = 0, cap = 0;
		int rc = 0;
		while (ts_node_symbol(walk_ancestor(w, k)) == e->sym.binary_operator)
			top = walk_ancestor(w, k++);
		/* the chain is judged once, at its first string; Bandit judges it at every string */
		w->sql_chain_start = ts_node_start_byte(top);
		w->sql_chain_end = ts_node_end_byte(top);
		*ARRAY_PUSH(stack, sp, cap) = top;
		while (sp && rc == 0) {
			TSNode x = stack[--sp];
			if (ts_node_symbol(x) == e->sym.binary_operator) {
				TSNode l = ts_node_child_by_field_id(x, e->field.left);
				TSNode r = ts_node_child_by_field_id(x, e->field.right);
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
	if (ts_node_symbol(parent) == e->sym.attribute &&
	    node_text_eq(w, ts_node_child_by_field_id(parent, e->field.attribute), "format")) {
		*wrapper = walk_ancestor(w, 3);
		return node_string_value(w, n, stmt);
	}
	if (node_is_fstring(w, n)) {
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
				     ts_node_symbol(walk_ancestor(w, 1)) == w->eng->sym.binary_operator;
		w->sql_node = n;
		w->sql_stmt.max = VALUE_MAX;
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

	return stmt && re_search(w, p->re, stmt->ptr ? stmt->ptr : "", stmt->len);
}

/* The SQL expression is an argument of a call named like one of the args. */
static int p_sql_in_call(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode wrapper;
	char name[256];
	size_t i;
	int hit = 0;

	if (sql_statement(w, n, &wrapper)) {
		/* the wrapper of an argument is the argument list; its parent is the call */
		if (ts_node_symbol(wrapper) == w->eng->sym.argument_list)
			wrapper = ts_node_parent(wrapper);
		if (ts_node_symbol(wrapper) == w->eng->sym.call && call_short_name(w, wrapper, name, sizeof(name)))
			for (i = 0; i < p->nargs && !hit; i++)
				hit = !strcmp(name, p->args[i]);
	}
	return hit;
}

/* --- keyword arguments and parameter defaults ------------------------------ */

static int p_name_like(struct walk *w, TSNode n, const struct pred *p)
{
	return name_like(w, ts_node_child_by_field_id(n, w->eng->field.name), p);
}

static int p_value_string(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = ts_node_child_by_field_id(n, w->eng->field.value);

	return !ts_node_is_null(v) && node_is_string(w, v) && !node_is_fstring(w, v);
}

/* The value's last dotted part is one of the args (B503: ssl.PROTOCOL_SSLv3). */
static int p_value_attr_in(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode v = ts_node_child_by_field_id(n, w->eng->field.value);
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
	uint32_t count = ts_node_named_child_count(n);
	TSNode none = { { 0 }, 0, 0 };

	return count ? ts_node_named_child(n, count - 1) : none;
}

/* The handler's body is that one statement alone (`pass`, `continue`). */
static int p_body_is(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode body = except_body(w, n), stmt;
	uint32_t i, count, stmts = 0;

	if (ts_node_is_null(body) || ts_node_symbol(body) != w->eng->sym.block)
		return 0;
	count = ts_node_named_child_count(body);
	for (i = 0; i < count; i++) {
		TSNode c = ts_node_named_child(body, i);
		if (ts_node_symbol(c) != w->eng->sym.comment)
			stmts++, stmt = c;
	}
	if (stmts != 1)
		return 0;
	return !strcmp(ts_node_type(stmt), !strcmp(p->args[0], "pass") ? "pass_statement" :
		!strcmp(p->args[0], "continue") ? "continue_statement" : p->args[0]);
}

/*
 * A bare `except:` or `except Exception:`; with the argument "true"
 * (Bandit's check_typed_exception) every handler counts.
 */
static int p_catches_broad(struct walk *w, TSNode n, const struct pred *p)
{
	TSNode value = ts_node_child_by_field_id(n, w->eng->field.value);

	if (p->nargs && !strcasecmp(p->args[0], "true"))
		return 1;
	return ts_node_is_null(value) || node_text_eq(w, value, "Exception");
}

/* --- the file -------------------------------------------------------------- */

/* Unicode bidirectional controls (trojan source, CVE-2021-42574). */
static int p_contains_bidi(struct walk *w, TSNode n, const struct pred *p)
{
	const unsigned char *s = (const unsigned char *)w->src;
	size_t i;

	for (i = 0; i + 2 < w->len; i++) {
		if (s[i] != 0xe2)
			continue;
		/* U+202A..U+202E: e2 80 aa..ae; U+2066..U+2069: e2 81 a6..a9; U+200F: e2 80 8f */
		if ((s[i + 1] == 0x80 && ((s[i + 2] >= 0xaa && s[i + 2] <= 0xae) || s[i + 2] == 0x8f)) ||
		    (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)) {
			w->mark = (int64_t)i;
			return 1;
		}
	}
	return 0;
}

const struct pred_def pred_table[] = {
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
	{ "callee-in", K(KIND_CALL), 1, -1, -1, -1, p_callee_in,
	  "callee-in NAME...: the call's qualified name matches one of the names (globs allowed)" },
	{ "kwarg-call", K(KIND_CALL), 2, -1, -1, -1, p_kwarg_call,
	  "kwarg-call NAME FUNC...: keyword NAME is passed a call of one of the functions" },
	{ "nargs-lt", K(KIND_CALL), 1, 1, 0, -1, p_nargs_lt,
	  "nargs-lt N: fewer than N positional arguments" },
	{ "imported", ANY_KIND, 1, -1, -1, -1, p_imported,
	  "imported MODULE...: the file imports one of the modules (or a submodule)" },
	{ "text-matches", ANY_KIND, 1, 1, -1, 0, p_text_matches,
	  "text-matches REGEX: the node's source text matches REGEX" },
	{ "equals", K(KIND_STRING), 1, -1, -1, -1, p_equals,
	  "equals VALUE...: the string's value is one of the values" },
	{ "starts-with", K(KIND_STRING), 1, -1, -1, -1, p_starts_with,
	  "starts-with PREFIX...: the string's value starts with one of the prefixes" },
	{ "password-target", K(KIND_STRING), 1, 1, -1, 0, p_password_target,
	  "password-target REGEX: the string is assigned to, or compared with, a name matching REGEX" },
	{ "sql-expression", K(KIND_STRING), 1, 1, -1, 0, p_sql_expression,
	  "sql-expression REGEX: the string is built into a query (+, %, .format, f-string) matching REGEX" },
	{ "sql-in-call", K(KIND_STRING), 1, -1, -1, -1, p_sql_in_call,
	  "sql-in-call NAME...: that query is passed straight to a call named NAME" },
	{ "name-like", K(KIND_KEYWORD) | K(KIND_DEFAULT), 1, 1, -1, 0, p_name_like,
	  "name-like REGEX: the keyword or parameter name matches REGEX" },
	{ "value-string", K(KIND_KEYWORD) | K(KIND_DEFAULT), 0, 0, -1, -1, p_value_string,
	  "value-string: the keyword's or default's value is a string literal" },
	{ "value-attr-in", K(KIND_KEYWORD) | K(KIND_DEFAULT), 1, -1, -1, -1, p_value_attr_in,
	  "value-attr-in NAME...: the value's last dotted part is one of the names" },
	{ "body-is", K(KIND_EXCEPT), 1, 1, -1, -1, p_body_is,
	  "body-is STATEMENT: the handler's body is that one statement (pass, continue)" },
	{ "catches-broad", K(KIND_EXCEPT), 0, 1, -1, -1, p_catches_broad,
	  "catches-broad [TYPED]: a bare except or `except Exception`; TYPED true: any handler" },
	{ "contains-bidi", K(KIND_SOURCE), 0, 0, -1, -1, p_contains_bidi,
	  "contains-bidi: the file holds a Unicode bidirectional control character" },
	{ NULL, 0, 0, 0, -1, -1, NULL, NULL }
};

const struct pred_def *pred_lookup(const char *name)
{
	const struct pred_def *d;

	for (d = pred_table; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}
