/*
 * focus.c: which parts of a Python file to parse for its touched lines.
 *
 * A push touches a few lines of files that are often 50 to 300 KB, and
 * parsing a whole file costs about 1 ms per 8 KB: most of a push's time.
 * The code rules only look at the statements that hold touched lines, at
 * the enclosing function (a local name's assignments, B703), and at what
 * the file imported or aliased before them.  So pysec parses:
 *
 *  - each touched statement whole: a function definition whole; a statement
 *    inside a class body on its own, under its class's header (recursively:
 *    classes hold the long bodies); any other compound statement whole
 *    (an `else:` cannot stand without its `if:`);
 *  - through tree-sitter's included ranges, so nodes keep their real byte
 *    offsets and rows, and the parser sees valid Python: complete
 *    statements and class headers, each starting at a line start;
 *  - and, in a second small buffer, the statements before and outside
 *    those ranges that can change what a name in them means: the imports
 *    and plain-name assignments that bind a name the ranges use (directly
 *    or through other such statements), and the imports of modules the
 *    rules ask about (`imported`).  The engine replays them in file order
 *    as its walk passes their offsets.
 *
 * The split comes from a small scanner of Python's logical lines (strings,
 * brackets, comments, continuations, indentation), not from a parse.  It
 * only has to cut at statement boundaries: when the parsed ranges come back
 * with a syntax error, the engine parses the whole file instead, and when
 * the structure looks odd (a clause without its statement, a deeper line
 * after a line that opens no block) it gives up here.  Either way the
 * answer is the whole-file answer; focusing only saves time.
 */
#include "focus.h"
#include "pysec.h"
#include "util.h"
#include "source.h"
#include "strmap.h"

#include <stdlib.h>

enum line_kind {
	LL_OTHER,
	LL_DEF,		/* def, async def */
	LL_CLASS,
	LL_DECORATOR,
	LL_CLAUSE,	/* elif, else, except, finally: part of the statement above */
	LL_IMPORT,	/* import, from */
	LL_ASSIGN,	/* name = ... */
	LL_GLOBAL,	/* global, nonlocal */
};

/* The scope a line's code runs in. */
enum { IN_MODULE, IN_CLASS, IN_FUNCTION };

/* A logical line: one statement line, physical lines joined by brackets, strings, backslashes. */
struct lline {
	uint32_t start, end;		/* bytes: its first line's start, past its last newline */
	uint32_t row, last_row;		/* 0-based rows of its first and last lines */
	uint32_t code;			/* byte of its first token */
	uint32_t indent;		/* columns, a tab to the next multiple of 8 */
	uint32_t name_len;		/* LL_ASSIGN: the target name at `code` */
	uint32_t value;			/* LL_ASSIGN: where the value (or annotation) starts */
	uint8_t kind;
	uint8_t opens_block;		/* ends with ':' */
	uint8_t has_import;		/* an `import` keyword outside brackets, __import__, import_module */
	uint8_t chained;		/* LL_ASSIGN: a = b = value binds more than one name */
	uint8_t annotated;		/* LL_ASSIGN: name: annotation (binds only with an `=` after it) */
	uint8_t several;		/* simple statements joined by ';' */
	uint8_t assigns;		/* an `=` (or `+=`, ...) outside brackets */
	uint8_t binder;			/* for, with, except, case: a header that may bind names */
	/* filled by structure() */
	uint8_t scope;			/* IN_MODULE, IN_CLASS (of `owner`), IN_FUNCTION */
	uint8_t cond;			/* inside an if, loop, try or with of its scope */
	uint32_t owner;			/* IN_CLASS: the class line whose body it is in */
	uint32_t parent;		/* the line whose block holds it, or NONE */
	uint32_t head;			/* the first line of its statement (decorator, if) */
	uint32_t next_le;		/* the next line at the same or a lower indent, or n */
};

#define NONE UINT32_MAX
/* Deeper than this, the structure is not worth following: parse the whole file. */
#define MAX_NESTING 100

struct plan {
	const char *s;
	size_t len;
	struct lline *v;
	size_t n, cap;
	uint32_t *ends;		/* statement_end() of each head, 0 until asked: an elif chain is walked once */
};

static int is_word_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_word(unsigned char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9');
}

static size_t word_end(const char *s, size_t len, size_t i)
{
	while (i < len && is_word((unsigned char)s[i]))
		i++;
	return i;
}

static int word_is(const char *s, size_t from, size_t to, const char *w)
{
	size_t n = strlen(w);

	return to - from == n && !memcmp(s + from, w, n);
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
		i++;
	return i;
}

static uint32_t count_newlines(const char *s, size_t from, size_t to)
{
	uint32_t n = 0;
	const char *p = s + from, *end = s + to;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Python's hard keywords that can start a statement: `try:` is no annotation. */
static int is_keyword(const char *s, size_t from, size_t to)
{
	static const char *const words[] = { "assert", "await", "break", "continue", "del", "for", "global",
		"if", "lambda", "nonlocal", "not", "pass", "raise", "return", "try", "while", "with", "yield",
		"None", "True", "False" };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(words); k++)
		if (word_is(s, from, to, words[k]))
			return 1;
	return 0;
}

/* What a logical line is, from its first token at s[i]. */
static void classify(struct lline *l, const char *s, size_t len, size_t i)
{
	size_t e, j;

	l->kind = LL_OTHER;
	if (s[i] == '@') {
		l->kind = LL_DECORATOR;
		return;
	}
	if (!is_word_start((unsigned char)s[i]))
		return;
	e = word_end(s, len, i);
	if (word_is(s, i, e, "def") || word_is(s, i, e, "class")) {
		l->kind = s[i] == 'd' ? LL_DEF : LL_CLASS;
	} else if (word_is(s, i, e, "async")) {
		j = skip_blanks(s, len, e);
		if (word_is(s, j, word_end(s, len, j), "def"))
			l->kind = LL_DEF;
		l->binder = word_is(s, j, word_end(s, len, j), "for") || word_is(s, j, word_end(s, len, j), "with");
	} else if (word_is(s, i, e, "elif") || word_is(s, i, e, "else") || word_is(s, i, e, "except") ||
		   word_is(s, i, e, "finally")) {
		l->kind = LL_CLAUSE;
		l->binder = s[i] == 'e' && s[i + 1] == 'x';
	} else if (word_is(s, i, e, "import") || word_is(s, i, e, "from")) {
		l->kind = LL_IMPORT;
	} else if (word_is(s, i, e, "global") || word_is(s, i, e, "nonlocal")) {
		l->kind = LL_GLOBAL;
	} else if (word_is(s, i, e, "for") || word_is(s, i, e, "with") || word_is(s, i, e, "case")) {
		l->binder = 1;
	} else if (!is_keyword(s, i, e)) {
		/* `name = value` or `name: annotation [= value]` */
		j = skip_blanks(s, len, e);
		if (j + 1 < len && ((s[j] == '=' && s[j + 1] != '=') || s[j] == ':')) {
			size_t v = skip_blanks(s, len, j + 1), ve = word_end(s, len, v), k = skip_blanks(s, len, ve);
			l->kind = LL_ASSIGN;
			l->name_len = (uint32_t)(e - i);
			l->value = (uint32_t)v;
			l->chained = s[j] == '=' && ve > v && k + 1 < len && s[k] == '=' && s[k + 1] != '=';
			l->annotated = s[j] == ':';
		}
	}
}

/* Read the logical line whose first token is at s[i]; returns the index past it. */
static size_t read_statement(struct plan *p, struct lline *l, size_t i, uint32_t *row)
{
	const char *s = p->s;
	size_t len = p->len, depth = 0;
	char last = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			++*row;
			i++;
			if (!depth)
				break;
		} else if (c == '\\' && i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
			i += s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n' ? 3 : 2;
			++*row;
		} else if (c == '#') {
			const char *nl = memchr(s + i, '\n', len - i);
			i = nl ? (size_t)(nl - s) : len;
		} else if (c == '"' || c == '\'') {
			size_t j = source_skip_string(s, len, i);
			*row += count_newlines(s, i, j);
			i = j;
			last = (char)c;
		} else if (is_word_start(c)) {
			size_t e = word_end(s, len, i);
			if ((!depth && word_is(s, i, e, "import")) || word_is(s, i, e, "__import__") ||
			    word_is(s, i, e, "import_module"))
				l->has_import = 1;
			i = e;
			last = 'a';
		} else {
			if (c == '(' || c == '[' || c == '{')
				depth++;
			else if ((c == ')' || c == ']' || c == '}') && depth)
				depth--;
			else if (c == ';' && !depth)
				l->several = 1;
			else if (c == '=' && !depth && (i + 1 >= len || s[i + 1] != '=') &&
				 !strchr("=<>!:", last))
				l->assigns = 1;
			if (c != ' ' && c != '\t' && c != '\r' && c != '\f')
				last = (char)c;
			i++;
		}
	}
	l->opens_block = last == ':';
	return i;
}

/* Split the file into logical lines, skipping blank and comment-only lines. */
static void scan_lines(struct plan *p)
{
	const char *s = p->s;
	size_t len = p->len, i = 0;
	uint32_t row = 0;

	while (i < len) {
		size_t line = i;
		uint32_t col = 0;
		struct lline l;
		for (; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'); i++)
			col = s[i] == '\t' ? (col / 8 + 1) * 8 : s[i] == '\f' ? 0 : col + 1;
		if (i < len && (s[i] == '\n' || s[i] == '\r' || s[i] == '#')) {
			const char *nl = memchr(s + i, '\n', len - i);
			if (!nl)
				break;
			i = (size_t)(nl - s) + 1;
			row++;
			continue;
		}
		if (i >= len)
			break;
		memset(&l, 0, sizeof(l));
		l.start = (uint32_t)line;
		l.row = row;
		l.code = (uint32_t)i;
		l.indent = col;
		classify(&l, s, len, i);
		i = read_statement(p, &l, i, &row);
		l.end = (uint32_t)i;
		l.last_row = s[i - 1] == '\n' ? row - 1 : row;
		*ARRAY_PUSH(p->v, p->n, p->cap) = l;
	}
}

/* The scope a line runs in, from its parent's. */
static void set_scope(const struct plan *p, struct lline *l)
{
	const struct lline *x = l->parent != NONE ? &p->v[l->parent] : NULL;

	l->owner = NONE;
	if (!x) {
		l->scope = IN_MODULE;
	} else if (x->kind == LL_DEF || x->scope == IN_FUNCTION) {
		l->scope = IN_FUNCTION;
	} else if (x->kind == LL_CLASS) {
		l->scope = IN_CLASS;
		l->owner = l->parent;
	} else {
		l->scope = x->scope;
		l->owner = x->owner;
		l->cond = 1;
	}
}

/*
 * Parents, statement heads and where each line's statement ends, with a
 * stack of the lines still open (indents strictly increasing).  Returns -1
 * on a shape Python would reject: then the whole file is parsed.
 */
static int structure(struct plan *p)
{
	uint32_t *stack = NULL;
	size_t cap = 0, sp = 0, i;
	int rc = 0;

	for (i = 0; i < p->n; i++) {
		struct lline *l = &p->v[i];
		uint32_t prev = NONE;
		while (sp && p->v[stack[sp - 1]].indent > l->indent)
			p->v[stack[--sp]].next_le = (uint32_t)i;
		if (sp && p->v[stack[sp - 1]].indent == l->indent) {
			prev = stack[--sp];
			p->v[prev].next_le = (uint32_t)i;
		}
		l->parent = sp ? stack[sp - 1] : NONE;
		if (l->parent != NONE && !p->v[l->parent].opens_block)
			rc = -1;	/* an indented line under a line that opens no block */
		set_scope(p, l);
		l->head = (uint32_t)i;
		if (l->kind == LL_CLAUSE) {
			if (prev == NONE)
				rc = -1;
			else
				l->head = p->v[prev].head;
		} else if ((l->kind == LL_DEF || l->kind == LL_CLASS || l->kind == LL_DECORATOR) &&
			   prev != NONE && p->v[prev].kind == LL_DECORATOR) {
			l->head = p->v[prev].head;
		}
		if (sp >= MAX_NESTING)
			rc = -1;
		*ARRAY_PUSH(stack, sp, cap) = (uint32_t)i;
	}
	while (sp)
		p->v[stack[--sp]].next_le = (uint32_t)p->n;
	free(stack);
	return rc;
}

/* The byte where the statement headed by line h ends (its clauses and decorated definition included). */
static uint32_t statement_end(const struct plan *p, uint32_t h)
{
	uint32_t j = p->v[h].next_le;

	if (p->ends[h])
		return p->ends[h];
	while (j < p->n && p->v[j].head == h)
		j = p->v[j].next_le;
	return p->ends[h] = j < p->n ? p->v[j].start : (uint32_t)p->len;
}

static int lline_starts_by(const void *l, const void *byte)
{
	return ((const struct lline *)l)->start <= *(const uint32_t *)byte;
}

/* Row and column of `byte`, counted from the logical line at or before it. */
static TSPoint point_of(const struct plan *p, uint32_t byte)
{
	size_t lo = array_partition(p->v, p->n, sizeof(*p->v), &byte, lline_starts_by);
	uint32_t from = 0, row = 0;
	const char *nl;
	TSPoint pt;

	if (lo) {
		from = p->v[lo - 1].start;
		row = p->v[lo - 1].row;
	}
	pt.row = row + count_newlines(p->s, from, byte);
	nl = byte ? memrchr(p->s, '\n', byte) : NULL;
	pt.column = (uint32_t)(byte - (nl ? (size_t)(nl - p->s) + 1 : 0));
	return pt;
}

static void add_range(struct focus *f, const struct plan *p, uint32_t from, uint32_t to)
{
	TSRange *r;

	/* the lines of one statement ask for it one after another */
	if (f->nranges && f->ranges[f->nranges - 1].start_byte == from && f->ranges[f->nranges - 1].end_byte == to)
		return;
	r = ARRAY_PUSH(f->ranges, f->nranges, f->ranges_cap);

	r->start_byte = from;
	r->end_byte = to;
	r->start_point = point_of(p, from);
	r->end_point = point_of(p, to);
}

/*
 * The ranges that hold line i's statement: down through the classes
 * around it (their headers only), then the first enclosing statement that
 * is not a class, whole.
 */
static void add_unit(struct focus *f, const struct plan *p, uint32_t i)
{
	uint32_t chain[MAX_NESTING + 1], depth = 0, k, a;

	for (a = p->v[i].parent; a != NONE && depth < ARRAY_SIZE(chain); a = p->v[a].parent)
		chain[depth++] = a;
	for (k = depth; k-- > 0;) {
		const struct lline *c = &p->v[chain[k]];
		if (c->kind != LL_CLASS) {
			add_range(f, p, p->v[c->head].start, statement_end(p, c->head));
			return;
		}
		add_range(f, p, p->v[c->head].start, c->end);
	}
	add_range(f, p, p->v[p->v[i].head].start, statement_end(p, p->v[i].head));
}

static int range_order(const void *a, const void *b)
{
	const TSRange *x = a, *y = b;

	if (x->start_byte != y->start_byte)
		return x->start_byte < y->start_byte ? -1 : 1;
	return x->end_byte < y->end_byte ? -1 : x->end_byte > y->end_byte;
}

/* Sort and merge: a class header inside a unit that holds the whole class disappears into it. */
static void merge_ranges(struct focus *f)
{
	size_t i, out = 0;

	if (!f->nranges)
		return;
	qsort(f->ranges, f->nranges, sizeof(*f->ranges), range_order);
	for (i = 1; i < f->nranges; i++) {
		TSRange *last = &f->ranges[out];
		if (f->ranges[i].start_byte <= last->end_byte) {
			if (f->ranges[i].end_byte > last->end_byte) {
				last->end_byte = f->ranges[i].end_byte;
				last->end_point = f->ranges[i].end_point;
			}
		} else {
			f->ranges[++out] = f->ranges[i];
		}
	}
	f->nranges = out + 1;
}

static int range_ends_by(const void *range, const void *byte)
{
	return ((const TSRange *)range)->end_byte <= *(const uint32_t *)byte;
}

/* Is `byte` in one of the first `n` ranges (sorted)? */
static int in_ranges(const struct focus *f, size_t n, uint32_t byte)
{
	size_t lo = array_partition(f->ranges, n, sizeof(*f->ranges), &byte, range_ends_by);

	return lo < n && f->ranges[lo].start_byte <= byte;
}

/* The next identifier-like word of s[*at, to) (in strings too: more words is harmless); 0 at the end. */
static size_t next_word(const char *s, size_t *at, size_t to, size_t *len)
{
	size_t k = *at, e;

	while (k < to && !is_word_start((unsigned char)s[k]))
		k++;
	if (k >= to)
		return 0;
	e = word_end(s, to, k);
	*at = e;
	*len = e - k;
	return k + 1;	/* 1-based, so that 0 means none */
}

static void put_words(struct strmap *m, const char *s, size_t from, size_t to)
{
	size_t at = from, w, n;

	while ((w = next_word(s, &at, to, &n)) != 0)
		strmap_put(m, s + w - 1, n, (void *)1);
}

static int mentions(const struct plan *p, const struct lline *l, const struct strmap *needed)
{
	size_t at = l->code, w, n;

	while ((w = next_word(p->s, &at, l->end, &n)) != 0)
		if (strmap_get(needed, p->s + w - 1, n))
			return 1;
	return 0;
}

/* A simple statement that may bind a name: an import, an assignment, or `a = 1; b = x`. */
static int may_bind(const struct lline *l)
{
	return !l->opens_block && (l->kind == LL_IMPORT || l->has_import || l->kind == LL_ASSIGN ||
				   l->several || l->assigns);
}

/* Does the header of a for, with, except or case statement bind (maybe) one of the names? */
static int header_binds(const struct plan *p, const struct lline *l, const struct strmap *names)
{
	const char *s = p->s;
	size_t at = l->code, w, n;
	int targets = 0, first = 1;

	while ((w = next_word(s, &at, l->end, &n)) != 0) {
		const char *t = s + w - 1;
		if (first && n == 4 && !memcmp(t, "case", 4))
			return mentions(p, l, names);	/* a pattern's captures: any name may be one */
		if (first && ((n == 3 && !memcmp(t, "for", 3)) || (n == 5 && !memcmp(t, "async", 5)))) {
			targets = 1;
		} else if (n == 2 && !memcmp(t, "as", 2)) {
			targets = 1;
		} else if (n == 2 && !memcmp(t, "in", 2)) {
			targets = 0;
		} else if (targets && strmap_get(names, t, n)) {
			return 1;
		}
		first = 0;
	}
	return 0;
}

/* The name a def or class line binds: s[*at, *at + return). */
static size_t defined_name(const struct plan *p, const struct lline *l, size_t *at)
{
	size_t k = l->code, n = 0, w;

	for (;;) {
		if (!(w = next_word(p->s, &k, l->end, &n)))
			return 0;
		if (!(n == 5 && !memcmp(p->s + w - 1, "async", 5)) && !(n == 3 && !memcmp(p->s + w - 1, "def", 3)) &&
		    !(n == 5 && !memcmp(p->s + w - 1, "class", 5)))
			break;
	}
	*at = w - 1;
	return n;
}

/* What the backward walk of collect_context() has pending: names, per scope. */
struct pending {
	struct strmap module;		/* the module's names needed as of the walk's place */
	struct { uint32_t owner; struct strmap names; } *cls;	/* a class body's, per class line */
	size_t ncls, clscap;
	struct strmap ever;		/* every name ever needed (a `global` of one: parse it whole) */
	struct strmap globals;		/* names declared global outside the parsed ranges */
};

static struct strmap *class_pending(struct pending *pd, uint32_t owner, int create)
{
	size_t i;

	for (i = 0; i < pd->ncls; i++)
		if (pd->cls[i].owner == owner)
			return &pd->cls[i].names;
	if (!create)
		return NULL;
	ARRAY_PUSH(pd->cls, pd->ncls, pd->clscap);
	memset(&pd->cls[pd->ncls - 1], 0, sizeof(pd->cls[0]));
	pd->cls[pd->ncls - 1].owner = owner;
	return &pd->cls[pd->ncls - 1].names;
}

static void need(struct pending *pd, struct strmap *m, const char *s, size_t from, size_t to)
{
	put_words(m, s, from, to);
	put_words(&pd->ever, s, from, to);
}

/* The logical line that starts at or before byte `at`. */
static size_t line_at(const struct plan *p, uint32_t at)
{
	size_t lo = array_partition(p->v, p->n, sizeof(*p->v), &at, lline_starts_by);

	return lo ? lo - 1 : 0;
}

/*
 * A range's names are needed where it starts, in its scope (a statement
 * of a class body: that class's; else the module's), and at the end of
 * the module: the functions in it run after the module has run.
 */
static void need_range(struct pending *pd, const struct plan *p, const TSRange *r)
{
	size_t i = line_at(p, r->start_byte);
	const struct lline *l = &p->v[i];
	uint32_t end = r->end_byte;

	if (l->scope != IN_CLASS) {
		need(pd, &pd->module, p->s, r->start_byte, end);
		return;
	}
	/* a method's body does not see its class: only its decorators and def line do */
	while (p->v[i].kind == LL_DECORATOR && i + 1 < p->n && p->v[i + 1].start < end)
		i++;
	if (p->v[i].kind == LL_DEF)
		end = p->v[i].end;
	need(pd, class_pending(pd, l->owner, 1), p->s, r->start_byte, end);
}

enum { KEEP_NOT, KEEP_TEXT, KEEP_STUB, KEEP_REPLAY };

/*
 * A statement outside the ranges, walking backwards: does it bind one of
 * the names pending in `m` (then it is kept: as it is, or as a stub `def
 * name(): pass`), and which names does it need in turn?  An unconditional
 * `name = value` of a pending name settles it: earlier bindings no longer
 * matter.  Returns -1 for a for, with or except header that may bind a
 * pending name (its targets cannot be replayed apart from its body).
 */
static int binds_pending(struct pending *pd, struct strmap *m, const struct plan *p, const struct lline *l)
{
	size_t at, n;

	if (l->binder && header_binds(p, l, m))
		return -1;
	if (l->kind == LL_DEF || l->kind == LL_CLASS) {
		if (!(n = defined_name(p, l, &at)) || !strmap_get(m, p->s + at, n))
			return KEEP_NOT;
		if (!l->cond)
			strmap_put(m, p->s + at, n, NULL);
		return KEEP_STUB;
	}
	if (!may_bind(l) || (l->kind == LL_ASSIGN && l->annotated && !l->assigns && !l->several))
		return KEEP_NOT;	/* `x: int` binds nothing in a module or class */
	if (l->kind == LL_IMPORT && memchr(p->s + l->code, '*', l->end - l->code))
		return KEEP_TEXT;	/* from x import *: what it binds is the rules' data */
	if (l->kind == LL_ASSIGN && !l->has_import && !l->chained && !l->several) {
		if (!strmap_get(m, p->s + l->code, l->name_len))
			return KEEP_NOT;
		if (!l->cond)
			strmap_put(m, p->s + l->code, l->name_len, NULL);
		need(pd, m, p->s, l->value, l->end);
		return KEEP_TEXT;
	}
	if (!mentions(p, l, m))
		return KEEP_NOT;
	if (l->kind != LL_IMPORT)
		need(pd, m, p->s, l->code, l->end);
	return KEEP_TEXT;
}

/*
 * A touched assignment of the module may reach a call of the module below
 * it that the change does not touch (a change-aware finding, flow.c): when
 * a statement of the module outside the ranges, after the first, mentions
 * a name that the module's statements in the ranges assign, parse whole.
 */
static int flows_out(const struct focus *f, const struct plan *p)
{
	struct strmap bound = { 0 };
	size_t i;
	int rc = 0;

	if (!f->nranges)
		return 0;
	for (i = 0; i < p->n; i++) {
		const struct lline *l = &p->v[i];
		if (l->scope != IN_MODULE || !in_ranges(f, f->nranges, l->start))
			continue;
		if (l->kind == LL_ASSIGN && !l->chained && !l->several)
			strmap_put(&bound, p->s + l->code, l->name_len, (void *)1);
		else if (l->assigns || l->several || l->chained)
			put_words(&bound, p->s, l->code, l->end);
	}
	for (i = 0; bound.len && i < p->n && rc == 0; i++) {
		const struct lline *l = &p->v[i];
		if (l->scope == IN_MODULE && l->start > f->ranges[0].start_byte && !in_ranges(f, f->nranges, l->start) &&
		    mentions(p, l, &bound))
			rc = -1;
	}
	strmap_clear(&bound);
	return rc;
}

/*
 * The context of the ranges, found walking backwards from the end of the
 * file (what comes after the ranges binds what the functions in them see
 * when they run): the module's statements that bind a name the ranges use
 * (directly or through other such statements) are copied, each on its own
 * line, into focus.text, kept in file order; a def or class is copied as
 * a stub.  A class body's statements that bind a name a range in that
 * class body uses become ranges themselves (they are parsed in place, in
 * their class).  A function's statements bind nothing outside it, except
 * through `global`: a global of a needed name outside the ranges makes the
 * file be parsed whole.  The imports of modules the rules ask about
 * (`imported`) are replayed wherever they are.  Returns -1: parse the
 * whole file.
 */
static int collect_context(struct focus *f, const struct plan *p, const struct strmap *always)
{
	struct pending pd;
	uint8_t *keep = NULL;
	size_t i, k, nranges = f->nranges, c;
	int rc = 0;

	memset(&pd, 0, sizeof(pd));
	if (flows_out(f, p) < 0)
		return -1;
	keep = xcalloc(p->n ? p->n : 1, 1);
	for (k = 0; k < nranges; k++)
		need(&pd, &pd.module, p->s, f->ranges[k].start_byte, f->ranges[k].end_byte);
	k = nranges;
	for (i = p->n; rc == 0 && i-- > 0;) {
		const struct lline *l = &p->v[i];
		struct strmap *cm;
		/* a range needs its names as of where it starts */
		for (; k > 0 && f->ranges[k - 1].start_byte > l->start; k--)
			need_range(&pd, p, &f->ranges[k - 1]);
		/* a class body's pending names are the module's at the class statement */
		if (l->kind == LL_CLASS && (cm = class_pending(&pd, (uint32_t)i, 0)) != NULL) {
			for (c = 0; c < cm->cap; c++)
				if (cm->slots[c].key && cm->slots[c].value)
					need(&pd, &pd.module, cm->slots[c].key, 0, strlen(cm->slots[c].key));
		}
		if (in_ranges(f, nranges, l->start))
			continue;
		if (l->scope == IN_MODULE) {
			int r = binds_pending(&pd, &pd.module, p, l);
			if (r < 0)
				rc = -1;
			else if (r)
				keep[i] = (uint8_t)r;
			else if ((l->kind == LL_IMPORT || l->has_import) && always && mentions(p, l, always))
				keep[i] = KEEP_TEXT;
		} else if (l->scope == IN_CLASS && (cm = class_pending(&pd, l->owner, 0)) != NULL &&
			   binds_pending(&pd, cm, p, l) != KEEP_NOT) {
			/* parsed in place, in its class: its whole statement of the class body */
			size_t before = f->nranges;
			add_unit(f, p, (uint32_t)i);
			for (c = before; c < f->nranges; c++)
				need(&pd, cm, p->s, f->ranges[c].start_byte, f->ranges[c].end_byte);
		} else if (l->scope == IN_FUNCTION && l->kind == LL_GLOBAL) {
			put_words(&pd.globals, p->s, l->code, l->end);
		}
		if (!keep[i] && l->scope != IN_MODULE && (l->kind == LL_IMPORT || l->has_import) && always &&
		    mentions(p, l, always))
			keep[i] = KEEP_REPLAY;
	}
	for (c = 0; rc == 0 && c < pd.globals.cap; c++)
		if (pd.globals.slots[c].key && strmap_get(&pd.ever, pd.globals.slots[c].key, strlen(pd.globals.slots[c].key)))
			rc = -1;	/* `global x` outside the ranges, of a name they need */
	for (i = 0; rc == 0 && i < p->n; i++) {
		const struct lline *l = &p->v[i];
		struct focus_context *ctx;
		size_t at = 0, n = 0;
		if (!keep[i])
			continue;
		ctx = ARRAY_PUSH(f->context, f->ncontext, f->context_cap);
		ctx->file_offset = l->start;
		ctx->file_code = keep[i] == KEEP_STUB ? p->v[l->head].code : l->code;
		ctx->offset = (uint32_t)f->text.len;
		ctx->cond = l->cond;
		ctx->bind = keep[i] != KEEP_REPLAY;
		if (keep[i] == KEEP_STUB) {
			n = defined_name(p, l, &at);
			buf_printf(&f->text, "%s %.*s%s: pass\n", l->kind == LL_CLASS ? "class" : "def", (int)n,
				p->s + at, l->kind == LL_CLASS ? "" : "()");
			continue;
		}
		buf_put(&f->text, p->s + l->code, l->end - l->code);
		if (!f->text.len || f->text.ptr[f->text.len - 1] != '\n')
			buf_put(&f->text, "\n", 1);
	}
	free(keep);
	strmap_clear(&pd.module);
	for (c = 0; c < pd.ncls; c++)
		strmap_clear(&pd.cls[c].names);
	free(pd.cls);
	strmap_clear(&pd.ever);
	strmap_clear(&pd.globals);
	/* the class statements added above, in order */
	merge_ranges(f);
	return rc;
}

/*
 * Touched rows (0-based, inclusive): the statements of the logical lines
 * they meet.  A touched blank or comment line also counts for the statement
 * before it: a node spanning that line (an except clause and its body)
 * holds the logical line before it.
 */
static int lline_ends_before(const void *l, const void *row)
{
	return ((const struct lline *)l)->last_row < *(const uint32_t *)row;
}

static void add_touched(struct focus *f, const struct plan *p, uint32_t first, uint32_t last)
{
	size_t lo = array_partition(p->v, p->n, sizeof(*p->v), &first, lline_ends_before), i;

	if (lo > 0 && (lo == p->n || p->v[lo].row > first))
		add_unit(f, p, (uint32_t)(lo - 1));
	for (i = lo; i < p->n && p->v[i].row <= last; i++)
		add_unit(f, p, (uint32_t)i);
}

/* Does the change touch half the file's lines or more (a new file)?  Then parse it whole, unplanned. */
static int touches_most(const char *src, size_t len, const struct lineset *touched)
{
	uint64_t rows = (uint64_t)count_newlines(src, 0, len) + 1, lines = 0;
	size_t i;

	for (i = 0; i < touched->len; i++) {
		uint64_t a = touched->ranges[i].start, b = touched->ranges[i].end;
		if (b > rows + 1)
			b = rows + 1;
		if (b > a)
			lines += b - a;
	}
	return lines * 2 >= rows;
}

int focus_plan(struct focus *f, const char *src, size_t len, const struct lineset *touched,
	const struct strmap *always)
{
	struct plan p;
	size_t i, bytes = 0;
	int focused = 0;

	memset(f, 0, sizeof(*f));
	f->text.max = SIZE_MAX / 2;
	if (touched->all || len >= UINT32_MAX || touches_most(src, len, touched))
		return 0;
	memset(&p, 0, sizeof(p));
	p.s = src;
	p.len = len;
	scan_lines(&p);
	p.ends = xcalloc(p.n ? p.n : 1, sizeof(*p.ends));
	if (structure(&p) < 0)
		goto done;
	for (i = 0; i < touched->len; i++) {
		uint32_t a = touched->ranges[i].start, b = touched->ranges[i].end;
		if (a && b > a)
			add_touched(f, &p, a - 1, b - 2);
	}
	merge_ranges(f);
	if (collect_context(f, &p, always) < 0)
		goto done;
	for (i = 0; i < f->nranges; i++)
		bytes += f->ranges[i].end_byte - f->ranges[i].start_byte;
	/* past half the file, the whole parse is as cheap and simpler */
	focused = (bytes + f->text.len) * 2 < len;
done:
	free(p.v);
	free(p.ends);
	if (!focused)
		focus_free(f);
	return focused;
}

void focus_free(struct focus *f)
{
	free(f->ranges);
	free(f->context);
	buf_free(&f->text);
	memset(f, 0, sizeof(*f));
}
