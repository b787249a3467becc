/*
 * scope.c: Python's scopes, read from a file's statements, and the names
 * they give a walk's nodes (scope.h says what, README's "Names" why).
 *
 * scope_build() reads statements only, never expressions (an assignment's
 * targets and, for an alias, its value; a walrus binds nothing here), so it
 * costs a fraction of the walk.  A binding holds from the end of its
 * statement (in `x = x.y` the value sees the x before), a def or class
 * from its first line.  A binding surely holds for the code after it in
 * its own block; elsewhere (after the if, loop or try it is in) the ones
 * before it may hold too, back to one that surely ran, and a name may
 * still be the builtin.  Of those candidates a module or function wins
 * (`try: import json` / `except ImportError: json = None` keeps json the
 * module).
 *
 * Module and class bindings are resolved as they are read, in file order,
 * which is the order they run in.  A function's bindings are resolved when
 * first asked for, once every table is complete: its code runs after the
 * module has run to its end.
 */
#include "scope.h"
#include "pysec.h"
#include "util.h"
#include "pyast.h"
#include "strmap.h"

#include <stdlib.h>

enum { SC_MODULE, SC_CLASS, SC_FUNCTION };

enum {
	B_OBJECT,	/* an object of the file's own: a def, a class, a parameter, `x = f()` */
	B_QUAL,		/* an import or alias: `qual` */
	B_LAZY,		/* an alias in a function, read when first asked for */
	B_GLOBAL,	/* `global name` in its scope */
	B_NONLOCAL,	/* `nonlocal name` in its scope */
};

struct scope_info {
	uint32_t start, end;	/* the def or class statement's bytes (the module: all) */
	uint32_t parent;
	uint8_t kind;
};

struct binding {
	uint32_t pos;		/* it holds from this byte on */
	uint32_t scope;		/* the scope it binds a name of */
	uint32_t rscope;	/* the scope its value is read in (a global's: its function) */
	uint32_t blk_start, blk_end;	/* it surely holds for code in these bytes after it */
	uint8_t kind;
	uint8_t busy;		/* being resolved: `a = b` / `b = a` ends there */
	uint8_t context;	/* its value is a node of the context tree */
	int64_t delta;		/* file position of a value node = its start + delta */
	char *qual;
	TSNode value;
};

/* A name's bindings, each list in file order: the module's, and every other scope's. */
struct name_entry {
	struct binding *mod, *loc;
	size_t nmod, capmod, nloc, caploc;
};

/* A lambda's parameters or a comprehension's targets, while the walk is inside it. */
struct light {
	uint32_t first, count;	/* its names in lnames */
	int lambda;		/* its body runs later, not where it is written */
};

struct scopes {
	struct scope_info *v;
	size_t n, cap;
	struct strmap names;	/* name -> struct name_entry */
	const char *src, *ctx_src;
	size_t len, ctx_len;
	struct light *light;
	size_t nlight, light_cap;
	struct { uint32_t start, len; } *lnames;
	size_t nlnames, lnames_cap;
	int depth;		/* nested resolutions */
};

/* How deep statements, targets and aliases are followed: past it a name is an object. */
#define SCOPE_DEPTH 100
#define RESOLVE_DEPTH 32

static void free_entry(void *p)
{
	struct name_entry *e = p;
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nmod; i++)
		free(e->mod[i].qual);
	for (i = 0; i < e->nloc; i++)
		free(e->loc[i].qual);
	free(e->mod);
	free(e->loc);
	free(e);
}

void scope_free(struct scopes *s)
{
	if (!s)
		return;
	free(s->v);
	strmap_clear(&s->names);
	free(s->light);
	free(s->lnames);
	free(s);
}

static int is_type(TSNode n, const char *type)
{
	return !strcmp(node_type(n), type);
}

/* --- resolving ------------------------------------------------------------- */

struct lookup {
	struct binding *b;	/* NULL: unbound here (a builtin, or a name as written) */
};

static size_t qualname_at(struct walk *w, TSNode n, uint32_t scope, int light, int64_t delta,
	char *out, size_t cap);

/* The binding's qualified name ("" for none: an object of the file's own), resolving a lazy one now. */
static const char *binding_qual(struct walk *w, struct binding *b)
{
	struct scopes *s = w->scopes;
	char qual[512];
	const char *src = w->src;
	size_t len = w->len, qlen;

	if (b->kind != B_LAZY)
		return b->kind == B_QUAL && b->qual ? b->qual : "";
	if (b->busy || s->depth >= RESOLVE_DEPTH)
		return "";
	b->busy = 1;
	s->depth++;
	w->src = b->context ? s->ctx_src : s->src;
	w->len = b->context ? s->ctx_len : s->len;
	qlen = qualname_at(w, b->value, b->rscope, 0, b->delta, qual, sizeof(qual));
	w->src = src;
	w->len = len;
	s->depth--;
	b->busy = 0;
	b->kind = qlen ? B_QUAL : B_OBJECT;
	b->qual = qlen ? xstrndup(qual, qlen) : NULL;
	return b->qual ? b->qual : "";
}

static int binding_by(const void *b, const void *limit)
{
	return ((const struct binding *)b)->pos <= *(const uint32_t *)limit;
}

/* The index past the last binding of `v` at or before `limit`. */
static size_t upto(const struct binding *v, size_t n, uint32_t limit)
{
	return array_partition(v, n, sizeof(*v), &limit, binding_by);
}

/*
 * Of scope `scope`'s bindings in v[0, end), the one that holds for code at
 * `use`: the last, or, where that one may not have run (it is in a block
 * that does not hold `use`: an if, a loop, a try), the last module or
 * function among it and the ones before it back to one that surely ran.
 * *unbound: the name may be unbound yet (no binding surely ran).
 */
static struct binding *pick(struct walk *w, struct binding *v, size_t end, uint32_t scope,
	uint32_t floor, uint32_t use, int *unbound)
{
	struct binding *last = NULL, *named = NULL;
	size_t i = end;

	*unbound = 1;
	while (i-- > 0 && v[i].pos >= floor) {
		struct binding *b = &v[i];
		const char *q;
		if (b->scope != scope || b->kind == B_GLOBAL || b->kind == B_NONLOCAL)
			continue;
		if (!last)
			last = b;
		q = binding_qual(w, b);
		if (!named && *q && *q != '.')
			named = b;
		if (b->blk_start <= use && (use < b->blk_end || b->blk_end == UINT32_MAX)) {
			*unbound = 0;
			break;
		}
	}
	if (named)
		return named;
	return *unbound ? NULL : last;
}

static struct lookup module_lookup(struct walk *w, struct name_entry *e, uint32_t limit)
{
	struct lookup r = { NULL };
	int unbound;

	r.b = pick(w, e->mod, upto(e->mod, e->nmod, limit), 0, 0, limit, &unbound);
	return r;
}

/* What the non-module scope `sc` declares about the name: 0 nothing, 1 binds it, 2 global, 3 nonlocal. */
static int declares(struct name_entry *e, const struct scope_info *sc, uint32_t scope, size_t *end)
{
	size_t i = upto(e->loc, e->nloc, sc->start ? sc->start - 1 : 0), last = i;
	int what = 0;

	if (!sc->start)
		i = 0;
	for (; i < e->nloc && e->loc[i].pos < sc->end; i++) {
		if (e->loc[i].scope != scope)
			continue;
		if (e->loc[i].kind == B_GLOBAL)
			return 2;
		if (e->loc[i].kind == B_NONLOCAL)
			return 3;
		what = 1;
		last = i + 1;
	}
	*end = last;
	return what;
}

/*
 * The binding a name used at file position `pos` of static scope `scope`
 * refers to.  `light`: the walk's lambdas and comprehensions around it
 * count (a node of the walk's own tree, not a binding's value).
 */
static struct lookup resolve_name(struct walk *w, const char *name, size_t len, uint32_t scope,
	uint32_t pos, int light)
{
	struct scopes *s = w->scopes;
	struct lookup r = { NULL };
	struct name_entry *e;
	int deferred = 0, class_visible = 1;
	size_t i, k;

	if (light) {
		for (i = s->nlight; i-- > 0;) {
			const struct light *l = &s->light[i];
			for (k = 0; k < l->count; k++) {
				size_t at = l->first + k;
				if (s->lnames[at].len == len && !memcmp(s->src + s->lnames[at].start, name, len)) {
					static const struct binding object = { .kind = B_OBJECT };
					r.b = (struct binding *)&object;
					return r;
				}
			}
			deferred |= l->lambda;
			class_visible = 0;
		}
	}
	if (!(e = strmap_get(&s->names, name, len)))
		return r;
	while (scope < s->n) {
		const struct scope_info *sc = &s->v[scope];
		size_t end = 0;
		int what, unbound;
		if (sc->kind == SC_MODULE)
			return module_lookup(w, e, deferred ? UINT32_MAX : pos);
		what = declares(e, sc, scope, &end);
		if (what == 2)
			return module_lookup(w, e, UINT32_MAX);
		if (sc->kind == SC_CLASS) {
			if (class_visible && what == 1 &&
			    (r.b = pick(w, e->loc, upto(e->loc, end, pos), scope, sc->start, pos, &unbound)) != NULL)
				return r;
		} else if (what == 1) {
			/* a function's name: local wherever it is bound in it */
			if (!deferred)
				r.b = pick(w, e->loc, upto(e->loc, end, pos), scope, sc->start, pos, &unbound);
			if (!r.b)
				r.b = pick(w, e->loc, end, scope, sc->start, sc->end - 1, &unbound);
			if (!r.b) {
				static const struct binding object = { .kind = B_OBJECT };
				r.b = (struct binding *)&object;
			}
			return r;
		}
		if (sc->kind == SC_FUNCTION)
			deferred = 1;	/* the scopes around a function are seen when it runs */
		class_visible = 0;
		scope = sc->parent;
	}
	return r;
}

/* A string literal argument's value, when it is a plain one. */
static int literal_arg(struct walk *w, TSNode a, struct buf *v)
{
	a = node_unparen(w, a);
	return node_symbol(a) == w->sym->string && !node_is_fstring(w, a) &&
	       node_string_value(w, a, v) == 0 && v->len && !memchr(v->ptr, '\0', v->len);
}

/* getattr(obj, "name"), importlib.import_module("m"), __import__("m"): what they name. */
static size_t call_qualname(struct walk *w, TSNode call, uint32_t scope, int light, int64_t delta,
	char *out, size_t cap)
{
	char callee[512];
	struct buf v = BUF_INIT(256);
	size_t len = 0, clen;
	TSNode a0 = call_positional(w, call, 0), a1;

	out[0] = '\0';
	clen = qualname_at(w, node_child_by_field_id(call, w->field->function), scope, light, delta,
		callee, sizeof(callee));
	if (!clen)
		return 0;
	if ((!strcmp(callee, "getattr") || !strcmp(callee, "builtins.getattr")) &&
	    call_positional_count(w, call) == 2 && literal_arg(w, (a1 = call_positional(w, call, 1)), &v)) {
		len = qualname_at(w, a0, scope, light, delta, out, cap);
		if (len && (name_append(out, cap, &len, ".", 1) < 0 || name_append(out, cap, &len, v.ptr, v.len) < 0))
			len = 0;
	} else if (!strcmp(callee, "importlib.import_module") && literal_arg(w, a0, &v) && v.ptr[0] != '.') {
		if (name_append(out, cap, &len, v.ptr, v.len) < 0)
			len = 0;
	} else if ((!strcmp(callee, "__import__") || !strcmp(callee, "builtins.__import__") ||
		    !strcmp(callee, "importlib.__import__")) && literal_arg(w, a0, &v)) {
		/* without a fromlist, __import__("a.b") is the package a */
		TSNode from = call_keyword(w, call, "fromlist");
		size_t n = v.len;
		if (ts_node_is_null(from))
			from = call_positional(w, call, 3);
		if (ts_node_is_null(from) || !node_truthy(w, from)) {
			const char *dot = memchr(v.ptr, '.', v.len);
			n = dot ? (size_t)(dot - v.ptr) : v.len;
		}
		if (n && name_append(out, cap, &len, v.ptr, n) < 0)
			len = 0;
	}
	buf_free(&v);
	return len;
}

/* The length of a dotted chain of ASCII names that `t` is whole (os.path.join), or 0. */
static size_t plain_chain_first(const char *t, size_t len)
{
	size_t i, first = 0;
	int at_start = 1;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '.') {
			if (at_start)
				return 0;
			if (!first)
				first = i;
			at_start = 1;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			   (!at_start && c >= '0' && c <= '9')) {
			at_start = 0;
		} else {
			return 0;
		}
	}
	return at_start ? 0 : first;
}

static size_t resolve_identifier(struct walk *w, const char *t, size_t tlen, uint32_t at, uint32_t scope,
	int light, char *out, size_t cap);
static size_t attribute_qualname(struct walk *w, TSNode n, uint32_t scope, int light, int64_t delta,
	char *out, size_t cap);

/*
 * An attribute chain written as plain dotted names, read off its text: its
 * first name resolved, then the rest as written, which is what going down
 * the chain node by node gives, without the lookups.  0 when it is not
 * such a chain (brackets, blanks, comments, non-ASCII names, a literal
 * first: None.x) or its name does not fit.
 */
static size_t plain_chain_qualname(struct walk *w, TSNode n, uint32_t scope, int light, int64_t delta,
	char *out, size_t cap)
{
	size_t tlen, first, len;
	const char *t;

	if (node_has_error(n))
		return 0;
	t = node_text(w, n, &tlen);
	first = plain_chain_first(t, tlen);
	if (!first || (first == 4 && (!memcmp(t, "None", 4) || !memcmp(t, "True", 4))) ||
	    (first == 5 && !memcmp(t, "False", 5)))
		return 0;
	len = resolve_identifier(w, t, first, (uint32_t)(ts_node_start_byte(n) + delta), scope, light, out, cap);
	if (!len || name_append(out, cap, &len, t + first, tlen - first) < 0)
		return out[0] = '\0', 0;
	return len;
}

/* The qualified name of identifier t[0, tlen) at file position `at`. */
static size_t resolve_identifier(struct walk *w, const char *t, size_t tlen, uint32_t at, uint32_t scope,
	int light, char *out, size_t cap)
{
	struct lookup r;
	const char *q;
	size_t len = 0;

	r = w->scopes ? resolve_name(w, t, tlen, scope, at, light) : (struct lookup){ NULL };
	if (!r.b)
		return name_append(out, cap, &len, t, tlen) < 0 ? 0 : len;
	q = binding_qual(w, r.b);
	if (*q)
		return name_append(out, cap, &len, q, strlen(q)) < 0 ? 0 : len;
	/* an object of the file's own: no module, as ".attr" for a chain rooted in a call */
	return name_append(out, cap, &len, ".", 1) < 0 || name_append(out, cap, &len, t, tlen) < 0 ? 0 : len;
}

static size_t qualname_at(struct walk *w, TSNode n, uint32_t scope, int light, int64_t delta,
	char *out, size_t cap)
{
	size_t len = 0, tlen;
	const char *t;
	TSSymbol sym;

	out[0] = '\0';
	n = node_unparen(w, n);
	if (ts_node_is_null(n))
		return 0;
	/* only chains recurse, and one that cannot fit has no name: bounded depth */
	if (node_end_byte(n) - ts_node_start_byte(n) >= cap * 4)
		return 0;
	sym = node_symbol(n);
	if (sym == w->sym->identifier) {
		t = node_text(w, n, &tlen);
		return resolve_identifier(w, t, tlen, (uint32_t)(ts_node_start_byte(n) + delta), scope, light, out, cap);
	}
	if (sym == w->sym->call)
		return call_qualname(w, n, scope, light, delta, out, cap);
	if (sym != w->sym->attribute)
		return 0;
	len = plain_chain_qualname(w, n, scope, light, delta, out, cap);
#ifdef PYSEC_SELF_CHECK
	if (len) {
		char *slow = xmalloc(cap);
		size_t slow_len = attribute_qualname(w, n, scope, light, delta, slow, cap);
		SELF_CHECK(slow_len == len && !memcmp(slow, out, len));
		free(slow);
	}
#endif
	return len ? len : attribute_qualname(w, n, scope, light, delta, out, cap);
}

/* An attribute chain's name, node by node: its object's, a dot, its attribute. */
static size_t attribute_qualname(struct walk *w, TSNode n, uint32_t scope, int light, int64_t delta,
	char *out, size_t cap)
{
	size_t len, tlen;
	const char *t;

	len = qualname_at(w, node_child_by_field_id(n, w->field->object), scope, light, delta, out, cap);
	t = node_text(w, node_child_by_field_id(n, w->field->attribute), &tlen);
	if (name_append(out, cap, &len, ".", 1) < 0 || name_append(out, cap, &len, t, tlen) < 0)
		return out[0] = '\0', 0;
	return len;
}

size_t node_qualname(const struct walk *w, TSNode n, char *out, size_t cap)
{
	struct walk *mw = (struct walk *)w;	/* resolving fills in the scope tables' lazy entries */

	return qualname_at(mw, n, w->scope, 1, w->pos_delta, out, cap);
}

static int scope_starts_before(const void *sc, const void *at)
{
	return ((const struct scope_info *)sc)->start < *(const uint32_t *)at;
}

uint32_t scope_of(const struct walk *w, TSNode def)
{
	const struct scopes *s = w->scopes;
	uint32_t at = ts_node_start_byte(def);
	size_t lo = s ? array_partition(s->v, s->n, sizeof(*s->v), &at, scope_starts_before) : 0;

	if (lo == 0)
		lo = 1;	/* v[0], the module, starts at 0 too: a def that is the file's first byte is v[1] */
	return lo < (s ? s->n : 0) && s->v[lo].start == at ? (uint32_t)lo : w->scope;
}

/* --- lambdas and comprehensions ------------------------------------------- */

static void light_name(struct scopes *s, struct walk *w, TSNode id)
{
	if (node_symbol(id) != w->sym->identifier)
		return;
	ARRAY_PUSH(s->lnames, s->nlnames, s->lnames_cap);
	s->lnames[s->nlnames - 1].start = ts_node_start_byte(id);
	s->lnames[s->nlnames - 1].len = node_end_byte(id) - ts_node_start_byte(id);
}

static void light_targets(struct scopes *s, struct walk *w, TSNode t, int depth)
{
	uint32_t i, count;

	if (depth > SCOPE_DEPTH)
		return;
	if (node_symbol(t) == w->sym->identifier) {
		light_name(s, w, t);
		return;
	}
	count = node_named_child_count(t);
	for (i = 0; i < count; i++)
		light_targets(s, w, node_named_child(t, i), depth + 1);
}

static TSNode param_name(struct walk *w, TSNode c);

void scope_push_light(struct walk *w, TSNode n)
{
	struct scopes *s = w->scopes;
	struct light *l;
	uint32_t i, count;

	if (!s)
		return;
	l = ARRAY_PUSH(s->light, s->nlight, s->light_cap);
	l->first = (uint32_t)s->nlnames;
	l->lambda = node_symbol(n) == w->sym->lambda;
	if (l->lambda) {
		TSNode params = node_child_by_field_id(n, w->field->parameters);
		count = node_named_child_count(params);
		for (i = 0; i < count; i++)
			light_name(s, w, param_name(w, node_named_child(params, i)));
	} else {
		count = node_named_child_count(n);
		for (i = 0; i < count; i++) {
			TSNode c = node_named_child(n, i);
			if (node_symbol(c) == w->sym->for_in_clause)
				light_targets(s, w, node_child_by_field_id(c, w->field->left), 0);
		}
	}
	s->light[s->nlight - 1].count = (uint32_t)s->nlnames - s->light[s->nlight - 1].first;
}

size_t scope_light_depth(const struct walk *w)
{
	return w->scopes ? w->scopes->nlight : 0;
}

void scope_light_pop(struct walk *w, size_t depth)
{
	struct scopes *s = w->scopes;

	if (!s || depth >= s->nlight)
		return;
	s->nlight = depth;
	s->nlnames = depth ? s->light[depth - 1].first + s->light[depth - 1].count : 0;
}

/* --- reading the statements ------------------------------------------------ */

struct builder {
	struct walk *w;
	struct scopes *s;
	const struct strmap *exports;
	uint32_t scope;		/* the scope being read */
	uint32_t blk_start, blk_end;	/* the block being read (file positions) */
	int context;		/* reading the context tree */
	int64_t delta;		/* its file position = node position + delta */
	int depth;
};

static uint32_t file_pos(const struct builder *b, uint32_t at)
{
	return (uint32_t)(at + b->delta);
}

static struct binding *add(struct builder *b, const char *name, size_t len, uint32_t pos, int kind,
	int to_module)
{
	struct name_entry *e = strmap_get(&b->s->names, name, len);
	struct binding *x;

	if (!len || len >= 256)
		return NULL;
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		strmap_put(&b->s->names, name, len, e);
	}
	if (to_module || b->scope == 0)
		x = ARRAY_PUSH(e->mod, e->nmod, e->capmod);
	else
		x = ARRAY_PUSH(e->loc, e->nloc, e->caploc);
	memset(x, 0, sizeof(*x));
	x->pos = pos;
	x->scope = to_module ? 0 : b->scope;
	x->rscope = b->scope;
	x->kind = (uint8_t)kind;
	/* a function's `global x; x = ...` holds only once the function has run */
	x->blk_start = to_module && b->scope ? 0 : b->blk_start;
	x->blk_end = to_module && b->scope ? 0 : b->blk_end;
	x->context = (uint8_t)b->context;
	x->delta = b->delta;
	return x;
}

/* Does the function scope being read declare `name` global?  Its binding then goes to the module. */
static int declared_global(struct builder *b, const char *name, size_t len)
{
	struct name_entry *e;
	const struct scope_info *sc;
	size_t end;

	if (!b->scope || b->s->v[b->scope].kind != SC_FUNCTION || !(e = strmap_get(&b->s->names, name, len)))
		return 0;
	sc = &b->s->v[b->scope];
	return declares(e, sc, b->scope, &end) == 2;
}

/* Bind identifier `id` to `value` (a null node: an object) from `pos` on. */
static void bind(struct builder *b, TSNode id, TSNode value, uint32_t pos)
{
	struct walk *w = b->w;
	struct binding *x;
	const char *t;
	size_t len;
	int global;

	if (node_symbol(id) != w->sym->identifier)
		return;
	t = node_text(w, id, &len);
	global = declared_global(b, t, len);
	value = node_unparen(w, value);
	if (ts_node_is_null(value) || (node_symbol(value) != w->sym->identifier &&
				       node_symbol(value) != w->sym->attribute && node_symbol(value) != w->sym->call)) {
		add(b, t, len, pos, B_OBJECT, global);
		return;
	}
	if (!(x = add(b, t, len, pos, B_LAZY, global)))
		return;
	x->value = value;
	/* the module's and classes' code runs in file order: read its aliases now */
	if (b->scope == 0 || b->s->v[b->scope].kind == SC_CLASS)
		binding_qual(w, x);
}

static void bind_import(struct builder *b, const char *name, size_t len, const char *qual, size_t qlen,
	uint32_t pos)
{
	struct binding *x = add(b, name, len, pos, B_QUAL, declared_global(b, name, len));

	if (x)
		x->qual = xstrndup(qual, qlen);
}

/* Targets `t` of an assignment get `value` (element by element for a, b = x, y). */
static void bind_targets(struct builder *b, TSNode t, TSNode value, uint32_t pos, int depth)
{
	struct walk *w = b->w;
	TSNode none = { { 0 }, 0, 0 }, tc, vc;
	struct node_iter ti, vi;

	t = node_unparen(w, t);
	if (depth > SCOPE_DEPTH)
		return;
	if (node_symbol(t) == w->sym->identifier) {
		bind(b, t, value, pos);
		return;
	}
	if (is_type(t, "list_splat_pattern") || is_type(t, "list_splat")) {
		bind_targets(b, node_named_child(t, 0), none, pos, depth + 1);
		return;
	}
	if (!is_type(t, "pattern_list") && !is_type(t, "tuple_pattern") && !is_type(t, "list_pattern") &&
	    !is_type(t, "expression_list") && node_symbol(t) != w->sym->tuple && node_symbol(t) != w->sym->list)
		return;
	value = node_unparen(w, value);
	if (!(is_type(value, "expression_list") || node_symbol(value) == w->sym->tuple ||
	      node_symbol(value) == w->sym->list) || node_named_child_count(value) != node_named_child_count(t))
		value = none;
	/* element by element, the two side by side */
	node_iter_init(&ti, t);
	node_iter_init(&vi, value);
	while (node_iter_next_named(&ti, &tc)) {
		if (!node_iter_next_named(&vi, &vc))
			vc = none;
		bind_targets(b, tc, vc, pos, depth + 1);
	}
	node_iter_end(&vi);
}

static void read_import(struct builder *b, TSNode n)
{
	struct walk *w = b->w;
	uint32_t pos = file_pos(b, node_end_byte(n));
	TSNode mod = node_child_by_field_id(n, w->field->module_name), c;
	struct node_iter it;
	const char *mt = NULL;
	size_t mlen = 0;

	if (node_symbol(n) == w->sym->import_from_statement)
		mt = import_from_module(w, n, &mlen);
	for (node_iter_init(&it, n); node_iter_next_named(&it, &c);) {
		TSNode name = c, alias = { { 0 }, 0, 0 };
		char full[512];
		const char *t, *a;
		size_t len, alen, flen;
		if (ts_node_eq(c, mod))
			continue;
		if (node_symbol(c) == w->sym->wildcard_import) {
			char *const *names = mt && b->exports ? strmap_get(b->exports, mt, mlen) : NULL;
			for (; names && *names; names++) {
				flen = (size_t)snprintf(full, sizeof(full), "%.*s.%s", (int)mlen, mt, *names);
				if (flen < sizeof(full))
					bind_import(b, *names, strlen(*names), full, flen, pos);
			}
			continue;
		}
		if (node_symbol(c) == w->sym->aliased_import) {
			name = node_child_by_field_id(c, w->field->name);
			alias = node_child_by_field_id(c, w->field->alias);
		} else if (node_symbol(c) != w->sym->dotted_name) {
			continue;
		}
		t = node_text(w, name, &len);
		if (node_symbol(n) == w->sym->import_statement) {
			/* `import a.b` binds a; `import a.b as c` binds c to a.b */
			if (!ts_node_is_null(alias)) {
				a = node_text(w, alias, &alen);
				bind_import(b, a, alen, t, len, pos);
			} else {
				const char *dot = memchr(t, '.', len);
				size_t first = dot ? (size_t)(dot - t) : len;
				bind_import(b, t, first, t, first, pos);
			}
			continue;
		}
		flen = (size_t)snprintf(full, sizeof(full), "%.*s%s%.*s", (int)mlen, mt ? mt : "",
			mt ? "." : "", (int)len, t);
		if (flen >= sizeof(full))
			continue;
		if (!ts_node_is_null(alias)) {
			a = node_text(w, alias, &alen);
			bind_import(b, a, alen, full, flen, pos);
		} else {
			bind_import(b, t, len, full, flen, pos);
		}
	}
}

static TSNode param_name(struct walk *w, TSNode c)
{
	if (node_symbol(c) == w->sym->default_parameter || node_symbol(c) == w->sym->typed_default_parameter)
		return node_child_by_field_id(c, w->field->name);
	if (is_type(c, "typed_parameter") || is_type(c, "list_splat_pattern") ||
	    is_type(c, "dictionary_splat_pattern"))
		return param_name(w, node_named_child(c, 0));
	return c;
}

static void read_block(struct builder *b, TSNode block);

static uint32_t new_scope(struct builder *b, TSNode def, int kind)
{
	struct scope_info *sc = ARRAY_PUSH(b->s->v, b->s->n, b->s->cap);

	sc->start = ts_node_start_byte(def);
	sc->end = node_end_byte(def);
	sc->parent = b->scope;
	sc->kind = (uint8_t)kind;
	return (uint32_t)(b->s->n - 1);
}

/* Read with `blk` as the block whose code a binding surely holds for. */
static void enter_block(struct builder *b, TSNode blk, uint32_t saved[2])
{
	saved[0] = b->blk_start;
	saved[1] = b->blk_end;
	b->blk_start = file_pos(b, ts_node_start_byte(blk));
	b->blk_end = file_pos(b, node_end_byte(blk));
}

static void leave_block(struct builder *b, const uint32_t saved[2])
{
	b->blk_start = saved[0];
	b->blk_end = saved[1];
}

/* A def or class statement `n`, starting at `start` (its first decorator). */
static void read_definition(struct builder *b, TSNode n, uint32_t start)
{
	struct walk *w = b->w;
	TSNode none = { { 0 }, 0, 0 }, body = node_child_by_field_id(n, w->field->body), c;
	uint32_t outer = b->scope, scope, saved[2];

	bind(b, node_child_by_field_id(n, w->field->name), none, file_pos(b, start));
	if (b->context)
		return;	/* a stub of focus.c: only its name */
	scope = new_scope(b, n, node_symbol(n) == w->sym->class_definition ? SC_CLASS : SC_FUNCTION);
	b->scope = scope;
	if (node_symbol(n) == w->sym->function_definition) {
		TSNode params = node_child_by_field_id(n, w->field->parameters);
		uint32_t pos = ts_node_start_byte(body);
		struct node_iter it;
		enter_block(b, body, saved);
		for (node_iter_init(&it, params); node_iter_next_named(&it, &c);)
			bind_targets(b, param_name(w, c), none, pos, 0);
		leave_block(b, saved);
	}
	read_block(b, body);
	b->scope = outer;
}

/* The block a compound statement's (or clause's) targets hold in: its body. */
static TSNode compound_body(struct walk *w, TSNode n)
{
	TSNode body;
	uint32_t i, count;

	if (is_type(n, "with_item"))
		n = node_parent(n);
	if (is_type(n, "with_clause"))
		n = node_parent(n);
	body = node_child_by_field_id(n, w->field->body);
	if (!ts_node_is_null(body))
		return body;
	count = node_named_child_count(n);
	for (i = 0; i < count; i++)
		if (node_symbol(node_named_child(n, i)) == w->sym->block)
			return node_named_child(n, i);
	return body;
}

/* `except E as e`, `with x as y`: the names after `as` are objects, surely bound in the body. */
static void read_as(struct builder *b, TSNode as, TSNode body)
{
	TSNode none = { { 0 }, 0, 0 }, target = node_child_by_field_id(as, b->w->field->alias);
	uint32_t saved[2];

	enter_block(b, body, saved);
	bind_targets(b, node_named_child(target, 0), none, file_pos(b, node_end_byte(as)), 0);
	leave_block(b, saved);
}

/* An if, for, while, try, with or match statement, or one of its clauses. */
static void read_compound(struct builder *b, TSNode n)
{
	struct walk *w = b->w;
	uint32_t saved[2];
	TSNode body = compound_body(w, n), c;
	struct node_iter it;

	if (++b->depth > SCOPE_DEPTH)
		goto done;
	if (node_symbol(n) == w->sym->for_statement) {
		TSNode none = { { 0 }, 0, 0 };
		enter_block(b, body, saved);
		bind_targets(b, node_child_by_field_id(n, w->field->left), none,
			file_pos(b, ts_node_start_byte(body)), 0);
		leave_block(b, saved);
	}
	for (node_iter_init(&it, n); node_iter_next_named(&it, &c);) {
		const char *type = node_type(c);
		if (node_symbol(c) == w->sym->block)
			read_block(b, c);
		else if (is_type(c, "as_pattern"))
			read_as(b, c, body);
		else if (strstr(type, "_clause") || is_type(c, "with_item"))
			read_compound(b, c);
	}
done:
	b->depth--;
}

/* One statement. */
static void read_statement(struct builder *b, TSNode st)
{
	struct walk *w = b->w;
	TSSymbol s = node_symbol(st);

	if (s == w->sym->expression_statement) {
		TSNode a, none = { { 0 }, 0, 0 };
		uint32_t pos;
		size_t len;
		const char *t = node_text(w, st, &len);
		/* a call, a docstring: only an assignment binds, and it has its `=` (or, `x: int`, its `:`) */
		if (!memchr(t, '=', len) && !memchr(t, ':', len)) {
#ifdef PYSEC_SELF_CHECK
			SELF_CHECK(node_symbol(node_named_child(st, 0)) != w->sym->assignment &&
				   node_symbol(node_named_child(st, 0)) != w->sym->augmented_assignment);
#endif
			return;
		}
		a = node_named_child(st, 0);
		pos = file_pos(b, node_end_byte(st));
		if (node_symbol(a) == w->sym->assignment) {
			/* a = b = value: every target of the chain gets the last value */
			TSNode v, tt, kept[4];	/* the first targets: not looked up twice */
			size_t n = 0, i;
			for (v = a; node_symbol(v) == w->sym->assignment; v = node_child_by_field_id(v, w->field->right), n++)
				if (n < ARRAY_SIZE(kept))
					kept[n] = node_child_by_field_id(v, w->field->left);
			/* `x: int` binds nothing; only in a function does it make x local (and unbound) */
			if (ts_node_is_null(v) && b->s->v[b->scope].kind != SC_FUNCTION)
				return;
			for (i = 0; i < n && i < ARRAY_SIZE(kept); i++)
				bind_targets(b, kept[i], v, pos, 0);
			for (i = 0, tt = a; n > ARRAY_SIZE(kept) && i < n; i++, tt = node_child_by_field_id(tt, w->field->right))
				if (i >= ARRAY_SIZE(kept))
					bind_targets(b, node_child_by_field_id(tt, w->field->left), v, pos, 0);
		} else if (node_symbol(a) == w->sym->augmented_assignment) {
			bind_targets(b, node_child_by_field_id(a, w->field->left), none, pos, 0);
		}
	} else if (s == w->sym->import_statement || s == w->sym->import_from_statement) {
		read_import(b, st);
	} else if (s == w->sym->function_definition || s == w->sym->class_definition) {
		read_definition(b, st, ts_node_start_byte(st));
	} else if (s == w->sym->decorated_definition) {
		TSNode d = node_child_by_field_id(st, w->field->definition);
		read_definition(b, d, ts_node_start_byte(st));
	} else if (s == w->sym->global_statement || s == w->sym->nonlocal_statement) {
		struct node_iter it;
		TSNode id;
		if (!b->scope)
			return;	/* `global x` in the module changes nothing */
		for (node_iter_init(&it, st); node_iter_next_named(&it, &id);) {
			size_t len;
			const char *t;
			if (node_symbol(id) != w->sym->identifier)
				continue;
			t = node_text(w, id, &len);
			/* anywhere in its scope, it holds for the whole of it */
			add(b, t, len, file_pos(b, ts_node_start_byte(st)),
				s == w->sym->global_statement ? B_GLOBAL : B_NONLOCAL, 0);
		}
	} else if (s == w->sym->if_statement || s == w->sym->for_statement || s == w->sym->while_statement ||
		   s == w->sym->try_statement || s == w->sym->with_statement || s == w->sym->match_statement ||
		   strstr(node_type(st), "_clause")) {
		read_compound(b, st);
	}
}

static void read_block(struct builder *b, TSNode block)
{
	TSTreeCursor cur;
	uint32_t saved[2];

	if (ts_node_is_null(block) || ++b->depth > SCOPE_DEPTH) {
		b->depth--;
		return;
	}
	enter_block(b, block, saved);
	cur = ts_tree_cursor_new(block);
	if (ts_tree_cursor_goto_first_child(&cur)) {
		do {
			TSNode st = ts_tree_cursor_current_node(&cur);
			if (ts_node_is_named(st))
				read_statement(b, st);
		} while (ts_tree_cursor_goto_next_sibling(&cur));
	}
	ts_tree_cursor_delete(&cur);
	leave_block(b, saved);
	b->depth--;
}

/* The context statements of a focused parse that come before file position `before`. */
struct context_reader {
	const struct focus *focus;
	TSTreeCursor cur;
	int more;
	size_t stmt;
};

static void read_context_until(struct builder *b, struct context_reader *r, uint32_t before)
{
	struct walk *w = b->w;
	const char *src = w->src;
	size_t len = w->len;

	if (!r->focus)
		return;
	w->src = b->s->ctx_src;
	w->len = b->s->ctx_len;
	b->context = 1;
	while (r->more) {
		TSNode st = ts_tree_cursor_current_node(&r->cur);
		uint32_t at = ts_node_start_byte(st);
		const struct focus_context *fc;
		while (r->stmt + 1 < r->focus->ncontext && r->focus->context[r->stmt + 1].offset <= at)
			r->stmt++;
		fc = &r->focus->context[r->stmt];
		if (fc->file_offset >= before)
			break;
		b->delta = (int64_t)fc->file_code - (int64_t)fc->offset;
		/* a statement inside an if, loop or try of the module: none of the ranges is in its block */
		b->blk_start = 0;
		b->blk_end = fc->cond ? 0 : UINT32_MAX;
		if (ts_node_is_named(st) && fc->bind)
			read_statement(b, st);
		r->more = ts_tree_cursor_goto_next_sibling(&r->cur);
	}
	b->context = 0;
	b->delta = 0;
	b->blk_start = 0;
	b->blk_end = UINT32_MAX;
	w->src = src;
	w->len = len;
}

void scope_build(struct walk *w, TSNode root, const struct focus *focus, TSNode context,
	const struct strmap *exports)
{
	struct scopes *s = xcalloc(1, sizeof(*s));
	struct builder b;
	struct context_reader r;
	TSTreeCursor cur;
	struct scope_info *module;

	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	s->names.free_value = free_entry;
	s->src = w->src;
	s->len = w->len;
	module = ARRAY_PUSH(s->v, s->n, s->cap);
	module->start = 0;
	module->end = UINT32_MAX;
	module->parent = UINT32_MAX;
	module->kind = SC_MODULE;
	w->scopes = s;
	w->scope = 0;
	b.w = w;
	b.s = s;
	b.exports = exports;
	b.blk_end = UINT32_MAX;
	if (focus && !ts_node_is_null(context)) {
		s->ctx_src = focus->text.ptr;
		s->ctx_len = focus->text.len;
		r.focus = focus;
		r.cur = ts_tree_cursor_new(context);
		r.more = ts_tree_cursor_goto_first_child(&r.cur);
	}
	/* the module's statements in file order, the context's among them */
	cur = ts_tree_cursor_new(root);
	if (ts_tree_cursor_goto_first_child(&cur)) {
		do {
			TSNode st = ts_tree_cursor_current_node(&cur);
			read_context_until(&b, &r, ts_node_start_byte(st));
			if (ts_node_is_named(st))
				read_statement(&b, st);
		} while (ts_tree_cursor_goto_next_sibling(&cur));
	}
	read_context_until(&b, &r, UINT32_MAX);
	ts_tree_cursor_delete(&cur);
	if (r.focus)
		ts_tree_cursor_delete(&r.cur);
}
