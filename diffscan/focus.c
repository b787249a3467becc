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
#include "common.h"
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
};

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
	uint8_t several;		/* simple statements joined by ';' */
	/* filled by structure() */
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
	} else if (word_is(s, i, e, "elif") || word_is(s, i, e, "else") || word_is(s, i, e, "except") ||
		   word_is(s, i, e, "finally")) {
		l->kind = LL_CLAUSE;
	} else if (word_is(s, i, e, "import") || word_is(s, i, e, "from")) {
		l->kind = LL_IMPORT;
	} else if (!is_keyword(s, i, e)) {
		/* `name = value` or `name: annotation [= value]` */
		j = skip_blanks(s, len, e);
		if (j + 1 < len && ((s[j] == '=' && s[j + 1] != '=') || s[j] == ':')) {
			size_t v = skip_blanks(s, len, j + 1), ve = word_end(s, len, v), k = skip_blanks(s, len, ve);
			l->kind = LL_ASSIGN;
			l->name_len = (uint32_t)(e - i);
			l->value = (uint32_t)v;
			l->chained = s[j] == '=' && ve > v && k + 1 < len && s[k] == '=' && s[k + 1] != '=';
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

/* Row and column of `byte`, counted from the logical line at or before it. */
static TSPoint point_of(const struct plan *p, uint32_t byte)
{
	size_t lo = 0, hi = p->n;
	uint32_t from = 0, row = 0;
	const char *nl;
	TSPoint pt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->v[mid].start <= byte)
			lo = mid + 1;
		else
			hi = mid;
	}
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

static int in_ranges(const struct focus *f, uint32_t byte)
{
	size_t lo = 0, hi = f->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->ranges[mid].end_byte <= byte)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->nranges && f->ranges[lo].start_byte <= byte;
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

/* A statement that may bind a name: an import, an assignment to a plain name, or `a = 1; b = x`. */
static int may_bind(const struct lline *l)
{
	return l->kind == LL_IMPORT || l->has_import || l->kind == LL_ASSIGN || l->several;
}

/*
 * Whether a binding statement matters, walking backwards from the ranges.
 * `pending` holds the names whose meaning at this point something after it
 * needs.  An assignment to a pending name decides that name's alias alone
 * (set, or cleared): it is kept, the name is settled (earlier bindings of
 * it no longer matter), and the names in its value become pending, as of
 * here.  An import is kept when it mentions a pending name (settling
 * nothing: it may bind only some of them) or a module the rules ask about.
 */
static int keep_binding(const struct plan *p, const struct lline *l, struct strmap *pending,
	const struct strmap *always)
{
	if (l->kind == LL_ASSIGN && !l->has_import && !l->chained && !l->several) {
		if (!strmap_get(pending, p->s + l->code, l->name_len))
			return 0;
		strmap_put(pending, p->s + l->code, l->name_len, NULL);
		put_words(pending, p->s, l->value, l->end);
		return 1;
	}
	if (!mentions(p, l, pending) && !(always && mentions(p, l, always)))
		return 0;
	if (l->kind == LL_ASSIGN || l->several)
		put_words(pending, p->s, l->code, l->end);
	return 1;
}

/*
 * The context statements, each on its own line, its indentation dropped:
 * of the statements before the last range and outside the ranges (what
 * comes after is never replayed), those keep_binding() keeps.  Found
 * walking backwards, kept in file order.
 */
static void collect_context(struct focus *f, const struct plan *p, const struct strmap *always)
{
	struct strmap pending = { 0 };
	uint32_t last = f->nranges ? f->ranges[f->nranges - 1].start_byte : 0;
	uint8_t *keep = NULL;
	size_t i, n = 0, k;

	while (n < p->n && p->v[n].start < last)
		n++;
	keep = xcalloc(n ? n : 1, 1);
	k = f->nranges;
	for (i = n; i-- > 0;) {
		/* a range needs its names as of where it starts */
		for (; k > 0 && f->ranges[k - 1].start_byte > p->v[i].start; k--)
			put_words(&pending, p->s, f->ranges[k - 1].start_byte, f->ranges[k - 1].end_byte);
		keep[i] = may_bind(&p->v[i]) && !in_ranges(f, p->v[i].start) &&
			  keep_binding(p, &p->v[i], &pending, always);
	}
	for (i = 0; i < n; i++) {
		const struct lline *l = &p->v[i];
		struct focus_context *c;
		if (!keep[i])
			continue;
		c = ARRAY_PUSH(f->context, f->ncontext, f->context_cap);
		c->file_offset = l->start;
		c->offset = (uint32_t)f->text.len;
		buf_put(&f->text, p->s + l->code, l->end - l->code);
		if (!f->text.len || f->text.ptr[f->text.len - 1] != '\n')
			buf_put(&f->text, "\n", 1);
	}
	free(keep);
	strmap_clear(&pending);
}

/*
 * Touched rows (0-based, inclusive): the statements of the logical lines
 * they meet.  A touched blank or comment line also counts for the statement
 * before it: a node spanning that line (an except clause and its body)
 * holds the logical line before it.
 */
static void add_touched(struct focus *f, const struct plan *p, uint32_t first, uint32_t last)
{
	size_t lo = 0, hi = p->n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->v[mid].last_row < first)
			lo = mid + 1;
		else
			hi = mid;
	}
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
	collect_context(f, &p, always);
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
