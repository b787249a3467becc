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
#include "needle.h"

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
	int broken;		/* an unterminated string, an unclosed or unopened bracket: Python refuses the file */
};

static int is_word_start(unsigned char c)
{
	return (unsigned)((c | 0x20) - 'a') < 26 || c == '_' || c >= 0x80;
}

static int is_word(unsigned char c)
{
	return is_word_start(c) || (unsigned)(c - '0') < 10;
}

/* Is s[from, to) a string prefix (r, b, u, f, and pairs), a quote following it? */
static int is_string_prefix(const char *s, size_t from, size_t to)
{
	size_t i;

	if (to - from > 2)
		return 0;
	for (i = from; i < to; i++)
		if (!strchr("rRbBuUfF", s[i]))
			return 0;
	return 1;
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

static int is_keyword(const char *s, size_t from, size_t to)
{
	return source_is_keyword(s + from, to - from);
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
			if (j == i + 1 || s[j - 1] != (char)c)
				p->broken = 1;	/* it ran to its line's end, or the file's */
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
			else if (c == ')' || c == ']' || c == '}')
				depth ? depth-- : (p->broken = 1);
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
	if (depth)
		p->broken = 1;	/* the file ended inside brackets */
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

/* --- the tokens of a logical line ----------------------------------------- */

/* Past blanks, line ends, continuations and comments from s[i]: the next code byte's index, or `to`. */
static size_t skip_to_code(const char *s, size_t i, size_t to)
{
	while (i < to) {
		if (s[i] == '#') {
			const char *nl = memchr(s + i, '\n', to - i);
			i = nl ? (size_t)(nl - s) : to;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\f' || s[i] == '\r' || s[i] == '\n' || s[i] == '\\') {
			i++;
		} else {
			return i;
		}
	}
	return to;
}

/* A word's flags for needles_match_word(): what follows it. */
static int word_flags(const char *s, size_t to, size_t end)
{
	size_t next = skip_to_code(s, to, end);

	return (next < end && s[next] == '(' ? NEEDLE_CALLED : 0) | (next < end && s[next] == ':' ? NEEDLE_COLONED : 0);
}

/* What a token walk over a logical line reports: each word of code, each run of strings (value NULL: not read). */
struct token_walk {
	const char *s;
	void (*word)(struct token_walk *t, size_t from, size_t to, int flags);
	void (*value)(struct token_walk *t, const char *v, size_t len);
	struct buf view;	/* a run's value: its strings joined, escapes read, f-strings' fields left out */
	int odd;		/* a string the walk could not read: take the statement */
};

/* The words of an f-string's text: its fields are code (their calls are walked). */
static void fstring_words(struct token_walk *t, size_t from, size_t to)
{
	size_t i = from;

	while (i < to) {
		if (is_word_start((unsigned char)t->s[i])) {
			size_t e = word_end(t->s, to, i);
			t->word(t, i, e, word_flags(t->s, e, to));
			i = e;
		} else {
			i++;
		}
	}
}

/* An f-string's value as the tree gives it: its text without its fields (and without {{ and }}). */
static void fstring_value(struct token_walk *t, size_t from, size_t to, int raw)
{
	const char *s = t->s;
	size_t i = from, lit = from;

	while (i < to) {
		if (s[i] != '{' && s[i] != '}') {
			i++;
			continue;
		}
		source_decode_string(s + lit, i - lit, raw, &t->view);
		if (i + 1 < to && s[i + 1] == s[i]) {
			i += 2;
		} else if (s[i] == '}') {
			i++;
		} else {
			size_t depth = 1;
			for (i++; i < to && depth; i++) {
				if (s[i] == '"' || s[i] == '\'')
					i = source_skip_string(s, to, i) - 1;
				else if (s[i] == '{' || s[i] == '[' || s[i] == '(')
					depth++;
				else if (s[i] == '}' || s[i] == ']' || s[i] == ')')
					depth--;
			}
			if (depth)
				t->odd = 1;
		}
		lit = i;
	}
	source_decode_string(s + lit, to - lit, raw, &t->view);
}

/*
 * The run of strings from s[i] (a prefix or a quote) on: adjacent strings
 * are one value, as Python joins them.  Returns the index past the run.
 */
static size_t walk_strings(struct token_walk *t, size_t i, size_t to)
{
	const char *s = t->s;

	t->view.len = 0;
	for (;;) {
		size_t q = i, e, open, close;
		int raw = 0, f = 0;
		while (q < to && s[q] != '"' && s[q] != '\'') {
			raw |= s[q] == 'r' || s[q] == 'R';
			f |= s[q] == 'f' || s[q] == 'F';
			q++;
		}
		if (q >= to)
			break;
		e = source_skip_string(s, to, q);
		open = q + (q + 2 < to && s[q + 1] == s[q] && s[q + 2] == s[q] ? 3 : 1);
		close = e >= open + (open - q) && s[e - 1] == s[q] ? e - (open - q) : e;
		if (close < open)
			close = open;	/* unterminated */
		if (f && t->value)
			fstring_value(t, open, close, raw);
		if (f)
			fstring_words(t, open, close);
		else if (t->value)
			source_decode_string(s + open, close - open, raw, &t->view);
		i = e;
		/* another string next to it, past blanks, line ends and comments? */
		e = skip_to_code(s, i, to);
		if (e < to && is_word_start((unsigned char)s[e])) {
			size_t w = word_end(s, to, e);
			if (!(w < to && (s[w] == '"' || s[w] == '\'') && is_string_prefix(s, e, w)))
				break;
		} else if (e >= to || (s[e] != '"' && s[e] != '\'')) {
			break;
		}
		i = e;
	}
	if (t->value)
		t->value(t, t->view.ptr ? t->view.ptr : "", t->view.len);
	return i;
}

/* Walk the tokens of s[from, to): words and runs of strings; comments are skipped. */
static void walk_tokens(struct token_walk *t, size_t from, size_t to)
{
	const char *s = t->s;
	size_t i = from;

	while (i < to) {
		unsigned char c = (unsigned char)s[i];
		if (c == '#') {
			const char *nl = memchr(s + i, '\n', to - i);
			i = nl ? (size_t)(nl - s) : to;
		} else if (c == '"' || c == '\'') {
			i = walk_strings(t, i, to);
		} else if (is_word_start(c)) {
			size_t e = word_end(s, to, i);
			if (e < to && (s[e] == '"' || s[e] == '\'') && is_string_prefix(s, i, e)) {
				i = walk_strings(t, i, to);
				continue;
			}
			t->word(t, i, e, word_flags(s, e, to));
			i = e;
		} else {
			i++;
		}
	}
}

/* Put word s[w, w + n) unless it follows a `.`: an attribute (`path` of `os.path`) is looked up in no scope. */
static void put_name(struct strmap *m, const char *s, size_t from, size_t w, size_t n)
{
	size_t k;

	for (k = w; k > from && (s[k - 1] == ' ' || s[k - 1] == '\t'); k--)
		;
	if (k == from || s[k - 1] != '.')
		strmap_put(m, s + w, n, (void *)1);
}

/* A walk that puts the names it meets into a map. */
struct name_walk {
	struct token_walk t;
	struct strmap *m;
	size_t from;
};

static void name_word(struct token_walk *t, size_t from, size_t to, int flags)
{
	struct name_walk *nw = (struct name_walk *)t;

	put_name(nw->m, t->s, nw->from, from, to - from);
}

/*
 * The names that s[from, to) looks up: its words, less the attributes,
 * and less what is in comments and strings (an f-string's fields are code:
 * its words are taken, more words being harmless).
 */
static void put_words(struct strmap *m, const char *s, size_t from, size_t to)
{
	struct name_walk nw;

	memset(&nw, 0, sizeof(nw));
	nw.t.s = s;
	nw.t.word = name_word;
	nw.m = m;
	nw.from = from;
	walk_tokens(&nw.t, from, to);
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

/* Names needed in `m`.  A name settled later keeps its key (with value NULL): the key says it was ever needed. */
static void need(struct pending *pd, struct strmap *m, const char *s, size_t from, size_t to)
{
	put_words(m, s, from, to);
}

/* Was the name ever needed, in the module or a class body (a `global` of it elsewhere: parse whole)? */
static int ever_needed(const struct pending *pd, const char *name)
{
	size_t i, n = strlen(name);

	if (strmap_has(&pd->module, name, n))
		return 1;
	for (i = 0; i < pd->ncls; i++)
		if (strmap_has(&pd->cls[i].names, name, n))
			return 1;
	return 0;
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
static int collect_context(struct focus *f, const struct plan *p, const struct strmap *always, int change_aware)
{
	struct pending pd;
	uint8_t *keep = NULL;
	size_t i, k, nranges = f->nranges, c;
	int rc = 0;

	memset(&pd, 0, sizeof(pd));
	if (change_aware && flows_out(f, p) < 0)
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
		if (pd.globals.slots[c].key && ever_needed(&pd, pd.globals.slots[c].key))
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

/* --- full scans: the statements that hold needles (needle.h) ------------- */

/* A full scan's plan: the needles each logical line holds, and the names bound to needles. */
struct needle_plan {
	struct token_walk t;
	const struct needle_set *ns;
	struct plan *p;
	const struct lline *l;		/* the line being walked */
	uint64_t *hits;			/* its needles */
	uint64_t *bound;		/* a line that may bind names: its needles as what it binds carries them */
	int names_in_strings;		/* getattr(os, "system"), __import__("os"): a string's words name things */
	struct strmap carriers;		/* a bound name -> the needles of what it is bound to (uint64_t[words]) */
	int changed;			/* carry() gave a name more needles */
};

static void plan_word(struct token_walk *t, size_t from, size_t to, int flags)
{
	struct needle_plan *np = (struct needle_plan *)t;

	if (to - from == 7 && !memcmp(t->s + from, "getattr", 7))
		np->names_in_strings = 1;
	needles_match_word(np->ns, t->s + from, to - from, flags, np->hits);
	/* `run = os.system`: run carries system as a callee, called where run is */
	if (np->bound)
		needles_match_word(np->ns, t->s + from, to - from, flags | NEEDLE_CALLED, np->bound);
}

static void plan_value(struct token_walk *t, const char *v, size_t len)
{
	struct needle_plan *np = (struct needle_plan *)t;
	int names = np->l->has_import || np->names_in_strings;

	/* `__import__("pickle")`, `getattr(os, "system")(cmd)`: names in strings */
	needles_match_value(np->ns, v, len, names, np->hits);
	if (np->bound)
		needles_match_value(np->ns, v, len, names, np->bound);
}

/* Add the carried needles of every bound name the word is. */
static void carrier_word(struct token_walk *t, size_t from, size_t to, int flags)
{
	struct needle_plan *np = (struct needle_plan *)t;
	const uint64_t *c;
	size_t k;

	if ((c = strmap_get(&np->carriers, t->s + from, to - from)) != NULL)
		for (k = 0; k < np->ns->words; k++)
			np->hits[k] |= c[k];
}

static void no_value(struct token_walk *t, const char *v, size_t len)
{
}

/*
 * The names a binding line may bind, each handed to `bind`: an import's
 * names (the alias, or an item's first word), or every word before the
 * line's last `=` outside brackets (targets, chained and unpacked).
 * Returns -1 for `from m import *` (its names are the rules' data).
 */
static int binding_targets(struct needle_plan *np, const struct lline *l,
	void (*bind)(struct needle_plan *np, const char *w, size_t len, const uint64_t *bits), const uint64_t *bits)
{
	const char *s = np->p->s;
	size_t i = l->code, end = l->end, last_eq = 0, depth = 0, item = 0, item_len = 0;
	int import = l->kind == LL_IMPORT && !l->several, items = 0, alias = 0;

	for (; i < end; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '#') {
			const char *nl = memchr(s + i, '\n', end - i);
			i = nl ? (size_t)(nl - s) : end;
		} else if (c == '"' || c == '\'') {
			i = source_skip_string(s, end, i) - 1;
		} else if (is_word_start(c)) {
			size_t e = word_end(s, end, i);
			if (import && word_is(s, i, e, "import")) {
				items = 1;
			} else if (import && items && word_is(s, i, e, "as")) {
				alias = 1;
			} else if (import && items && (alias || !item_len)) {
				item = i;
				item_len = e - i;
				alias = 0;
			}
			i = e - 1;
		} else if (import) {
			if (c == '*' && items)
				return -1;
			if (c == ',' && item_len) {
				bind(np, s + item, item_len, bits);
				item_len = 0;
			}
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if ((c == ')' || c == ']' || c == '}') && depth) {
			depth--;
		} else if (c == '=' && !depth && (i + 1 >= end || s[i + 1] != '=') && (i == l->code || !strchr("=<>!", s[i - 1]))) {
			last_eq = i;
		}
	}
	if (import) {
		if (item_len)
			bind(np, s + item, item_len, bits);
		return 0;
	}
	for (i = l->code; i < last_eq; i++) {
		if (s[i] == '"' || s[i] == '\'') {
			i = source_skip_string(s, last_eq, i) - 1;
		} else if (s[i] == '#') {
			const char *nl = memchr(s + i, '\n', last_eq - i);
			i = nl ? (size_t)(nl - s) : last_eq;
		} else if (is_word_start((unsigned char)s[i])) {
			size_t e = word_end(s, last_eq, i);
			if (!is_keyword(s, i, e))
				bind(np, s + i, e - i, bits);
			i = e - 1;
		}
	}
	return 0;
}

/* Name w is bound to something with needles `bits`: the name carries them where it is used. */
static void carry(struct needle_plan *np, const char *w, size_t len, const uint64_t *bits)
{
	size_t W = np->ns->words, k;
	uint64_t *c = strmap_get(&np->carriers, w, len), own[NEEDLE_WORDS_MAX];
	int news = 0;

	memset(own, 0, W * sizeof(*own));

	needles_match_word(np->ns, w, len, 0, own);
	for (k = 0; k < W; k++)
		news |= (bits[k] & ~own[k] & ~(c ? c[k] : 0)) != 0;
	if (!news)
		return;	/* `import os`: where os is used, the word says as much */
	if (!c) {
		c = xcalloc(W, sizeof(*c));
		strmap_put(&np->carriers, w, len, c);
	}
	for (k = 0; k < W; k++)
		c[k] |= bits[k];
	np->changed = 1;
}

/* The statement a full scan parses for line i (what add_unit() takes): its outermost one that is no class. */
static uint32_t unit_of(const struct plan *p, uint32_t i)
{
	uint32_t a, outer = NONE;

	for (a = p->v[i].parent; a != NONE; a = p->v[a].parent)
		if (p->v[a].kind != LL_CLASS)
			outer = a;
	return outer != NONE ? p->v[outer].head : p->v[i].head;
}

static int any_bit(const uint64_t *bits, size_t words)
{
	size_t k;

	for (k = 0; k < words; k++)
		if (bits[k])
			return 1;
	return 0;
}

static void or_bits(uint64_t *dst, const uint64_t *src, size_t words)
{
	size_t k;

	for (k = 0; k < words; k++)
		dst[k] |= src[k];
}

/* Each unit's needles (a slot per unit that has some), and the file's. */
struct unit_needles {
	uint32_t *slot;		/* per logical line: its slot if it heads a unit with needles, else NONE */
	uint32_t *head;		/* per slot: the unit's head line */
	uint64_t *bits;		/* per slot: its needles, words wide; then what the names it uses carry */
	size_t n, cap;
	uint64_t file[NEEDLE_WORDS_MAX];
};

/* Line `line`'s needles: in its text, or (`carried`) carried by the names it uses. */
static void unit_add(struct unit_needles *u, const struct plan *p, size_t words, uint32_t line, const uint64_t *hits,
	int carried)
{
	uint32_t h = unit_of(p, line);

	if (!carried)
		or_bits(u->file, hits, words);
	if (u->slot[h] == NONE) {
		if (u->n == u->cap) {
			u->cap = u->cap ? u->cap * 2 : 16;
			u->head = xrealloc(u->head, u->cap * sizeof(*u->head));
			u->bits = xrealloc(u->bits, u->cap * 2 * (words ? words : 1) * sizeof(*u->bits));
		}
		u->head[u->n] = h;
		memset(u->bits + u->n * 2 * words, 0, 2 * words * sizeof(*u->bits));
		u->slot[h] = (uint32_t)u->n++;
	}
	or_bits(u->bits + (u->slot[h] * 2 + !!carried) * words, hits, words);
}

/* The needles of every logical line, into units; a binding line's own, for what it binds (`own`, NULL: none). */
static void find_needles(struct needle_plan *np, struct unit_needles *u, struct focus *f, uint64_t **own)
{
	struct plan *p = np->p;
	size_t W = np->ns->words, i;
	uint64_t hits[NEEDLE_WORDS_MAX], bound[NEEDLE_WORDS_MAX];

	for (i = 0; i < p->n; i++) {
		const struct lline *l = &p->v[i];
		memset(hits, 0, W * sizeof(*hits));
		memset(bound, 0, W * sizeof(*bound));
		np->l = l;
		np->hits = hits;
		np->bound = may_bind(l) ? bound : NULL;
		np->names_in_strings = 0;
		np->t.odd = 0;
		walk_tokens(&np->t, l->code, l->end);
		if (np->t.odd)
			add_unit(f, p, (uint32_t)i);	/* a string it could not read: parse it */
		if (any_bit(hits, W))
			unit_add(u, p, W, (uint32_t)i, hits, 0);
		if (np->bound && any_bit(bound, W)) {
			own[i] = xmalloc(W * sizeof(**own));
			memcpy(own[i], bound, W * sizeof(**own));
		}
	}
	np->bound = NULL;
}

/*
 * The names bound to what holds needles carry them (`from os import
 * system as run`: run carries os and system), through other bindings too
 * (`r = run`), to a fixed point.  Returns -1: parse the whole file.
 */
static int find_carriers(struct needle_plan *np, uint64_t **own)
{
	struct plan *p = np->p;
	size_t W = np->ns->words, i, rounds = 0;
	uint64_t bits[NEEDLE_WORDS_MAX];

	for (i = 0; i < p->n; i++)
		if (own[i] && binding_targets(np, &p->v[i], carry, own[i]) < 0)
			return -1;	/* from m import *, m a needle: what it binds is the rules' data */
	np->t.word = carrier_word;
	np->t.value = no_value;
	while (np->carriers.len && np->changed) {
		if (++rounds > 16)
			return -1;
		np->changed = 0;
		for (i = 0; i < p->n; i++) {
			const struct lline *l = &p->v[i];
			/* an import names modules, not names: what it binds got its needles above */
			if (!may_bind(l) || (l->kind == LL_IMPORT && !l->several))
				continue;
			memset(bits, 0, W * sizeof(*bits));
			np->hits = bits;
			walk_tokens(&np->t, l->code, l->end);
			if (!any_bit(bits, W))
				continue;	/* it uses no name that carries: what it binds got its own above */
			if (own[i])
				or_bits(bits, own[i], W);
			if (binding_targets(np, l, carry, bits) < 0)
				return -1;
		}
	}
	return 0;
}

/* Where a name that carries needles is used, its statement holds them. */
static void use_carriers(struct needle_plan *np, struct unit_needles *u)
{
	struct plan *p = np->p;
	size_t W = np->ns->words, i;
	uint64_t bits[NEEDLE_WORDS_MAX];

	if (!np->carriers.len)
		return;
	np->t.word = carrier_word;
	np->t.value = no_value;
	for (i = 0; i < p->n; i++) {
		memset(bits, 0, W * sizeof(*bits));
		np->hits = bits;
		walk_tokens(&np->t, p->v[i].code, p->v[i].end);
		if (any_bit(bits, W))
			unit_add(u, p, W, (uint32_t)i, bits, 1);
	}
}

/* The units whose needles meet some clause's needs, as ranges. */
static int plan_needles(struct focus *f, struct plan *p, const struct needle_set *ns)
{
	struct needle_plan np;
	struct unit_needles u;
	uint64_t **own = xcalloc(p->n ? p->n : 1, sizeof(*own));
	size_t i;
	int rc;

	memset(&np, 0, sizeof(np));
	memset(&u, 0, sizeof(u));
	np.t.s = p->s;
	np.t.word = plan_word;
	np.t.value = plan_value;
	np.t.view.max = SIZE_MAX / 2;
	np.ns = ns;
	np.p = p;
	u.slot = xmalloc((p->n ? p->n : 1) * sizeof(*u.slot));
	for (i = 0; i < p->n; i++)
		u.slot[i] = NONE;
	find_needles(&np, &u, f, own);
	rc = find_carriers(&np, own);
	if (rc == 0) {
		use_carriers(&np, &u);
		for (i = 0; i < u.n; i++)
			if (needles_met(ns, u.bits + i * 2 * ns->words, u.bits + (i * 2 + 1) * ns->words, u.file))
				add_unit(f, p, u.head[i]);
	}
	for (i = 0; i < p->n; i++)
		free(own[i]);
	free(own);
	free(u.slot);
	free(u.head);
	free(u.bits);
	np.carriers.free_value = free;
	strmap_clear(&np.carriers);
	buf_free(&np.t.view);
	return rc;
}

/*
 * The plan of either kind: `pick` adds the units to parse (-1: parse the
 * whole file), the context is collected for them, and the plan is used
 * when it parses less than `most_tenths` tenths of the file.
 */
static int plan_file(struct focus *f, const char *src, size_t len, const struct strmap *always,
	int (*pick)(struct focus *f, struct plan *p, const void *arg), const void *arg, int change_aware,
	size_t most_tenths)
{
	struct plan p;
	size_t i, bytes = 0;
	int focused = 0;

	memset(&p, 0, sizeof(p));
	p.s = src;
	p.len = len;
	scan_lines(&p);
	p.ends = xcalloc(p.n ? p.n : 1, sizeof(*p.ends));
	if (structure(&p) < 0 || pick(f, &p, arg) < 0)
		goto done;
	merge_ranges(f);
	if (collect_context(f, &p, always, change_aware) < 0)
		goto done;
	for (i = 0; i < f->nranges; i++)
		bytes += f->ranges[i].end_byte - f->ranges[i].start_byte;
	focused = (bytes + f->text.len) * 10 < len * most_tenths;
done:
	free(p.v);
	free(p.ends);
	if (!focused)
		focus_free(f);
	return focused;
}

static int pick_touched(struct focus *f, struct plan *p, const void *arg)
{
	const struct lineset *touched = arg;
	size_t i;

	for (i = 0; i < touched->len; i++) {
		uint32_t a = touched->ranges[i].start, b = touched->ranges[i].end;
		if (a && b > a)
			add_touched(f, p, a - 1, b - 2);
	}
	return 0;
}

static int pick_needles(struct focus *f, struct plan *p, const void *arg)
{
	/* Python refuses the file: the whole parse says where */
	if (p->broken)
		return -1;
	return plan_needles(f, p, arg);
}

int focus_plan(struct focus *f, const char *src, size_t len, const struct lineset *touched,
	const struct strmap *always)
{
	memset(f, 0, sizeof(*f));
	f->text.max = SIZE_MAX / 2;
	if (touched->all || len >= UINT32_MAX || touches_most(src, len, touched))
		return 0;
	/* past half the file, the whole parse is as cheap and simpler */
	return plan_file(f, src, len, always, pick_touched, touched, 1, 5);
}

int focus_plan_needles(struct focus *f, const char *src, size_t len, const struct needle_set *needles,
	const struct strmap *always)
{
	memset(f, 0, sizeof(*f));
	f->text.max = SIZE_MAX / 2;
	if (needles->unfocusable || len >= UINT32_MAX)
		return 0;
	/* the findings are the whole file's: worth it to nine tenths */
	return plan_file(f, src, len, always, pick_needles, needles, 0, 9);
}

void focus_free(struct focus *f)
{
	free(f->ranges);
	free(f->context);
	buf_free(&f->text);
	memset(f, 0, sizeof(*f));
}
