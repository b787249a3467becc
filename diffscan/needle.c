/*
 * needle.c: what text a rule's finding needs in the statement that holds it.
 *
 * A full scan of a tree parses every file, and the parse is most of its
 * cost; yet most statements cannot hold a finding of any rule.  A call is
 * reported for its qualified name, and every part of that name is written
 * somewhere: in the call (`os.system(`), or on the line that bound the
 * name it starts with (`from os import system as run`), and so on back.
 * So each clause is read for the words a statement must hold for the
 * clause to hold there (its needles), and focus.c parses only the
 * statements that hold, directly or through the names bound to them, the
 * needles of some clause.  What each part of a clause needs:
 *
 *  - a call glob: each literal part of it as a word (`os`, and `system`
 *    followed by a `(`), the literal run of a part with `*` in it
 *    (`*chmod*`: `chmod` inside a word); `*` alone: nothing;
 *  - an import: each part of the module's name, as a word;
 *  - assert, except: that keyword;
 *  - the predicates that name words: kwarg NAME and its kind, name-in,
 *    value-attr-in, body-is, callee-in, callee-name, bind-address;
 *  - the predicates that name strings: equals and starts-with (a part of a
 *    string's value), and the regexes of name-like, password-target,
 *    sql-expression and arg-matches (below);
 *  - `imported MODULE`: the module's parts anywhere in the file.
 *
 * The other predicates need nothing certain.  A clause that needs nothing
 * that can be told (a user's rule with `match call *` and no keyword, say)
 * makes every file be parsed whole: the needles only ever save time.
 *
 * A regex's needles are the runs of plain characters that every match
 * holds, read off the pattern: an alternation needs one of its branches',
 * a sequence all of its items', a group or character repeated at least
 * once its own, anything optional or any class nothing.  Syntax it does
 * not follow (\Q, \x, (?x), ...) gives nothing certain.  All are matched
 * in any case, as a case-insensitive pattern would match them.
 */
#include "needle.h"
#include "util.h"
#include "source.h"

#include <ctype.h>
#include <stdlib.h>

/* --- the needles ------------------------------------------------------------ */

/* What a word is, as a needle of each exact kind: its id + 1, or 0. */
struct needle_exact {
	uint16_t id[NEEDLE_COLON + 1];
};

/* A word's shape, told by its first two bytes, its last and its length: most words are no exact needle's. */
static unsigned exact_shape_of(const char *w, size_t len)
{
	return ((unsigned char)w[0] * 31u + (unsigned char)w[1] * 7u + (unsigned char)w[len - 1] * 131u +
		(unsigned)len * 17u) & 0xffff;
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static unsigned pair_of(const char *t)
{
	return (unsigned)ascii_lower((unsigned char)t[0]) << 8 | ascii_lower((unsigned char)t[1]);
}

static int needle_add(struct needle_set *s, const char *t, size_t len, int kind, int edges)
{
	char key[258];
	size_t i;
	struct needle *n;
	uintptr_t known;

	if (len < 2 || len > 255 || s->n >= NEEDLE_MAX)
		return -1;	/* a one-byte needle is everywhere */
	/* one needle for each kind, edges and text (in lower case where any case matches) */
	key[0] = (char)('a' + kind);
	key[1] = (char)('a' + edges);
	for (i = 0; i < len; i++)
		key[i + 2] = kind > NEEDLE_COLON ? (char)ascii_lower((unsigned char)t[i]) : t[i];
	if ((known = (uintptr_t)strmap_get(&s->known, key, len + 2)) != 0)
		return (int)known - 1;
	n = ARRAY_PUSH(s->v, s->n, s->cap);
	n->text = xstrndup(key + 2, len);
	n->len = (uint32_t)len;
	n->kind = (uint8_t)kind;
	n->edges = (uint8_t)edges;
	strmap_put(&s->known, key, len + 2, (void *)(uintptr_t)s->n);
	return (int)(s->n - 1);
}

static void group_add_alt(struct needle_group *g, const int *ids, size_t n)
{
	uint16_t *alt = xmalloc((n + 1) * sizeof(*alt));
	size_t i;

	alt[0] = (uint16_t)n;
	for (i = 0; i < n; i++)
		alt[i + 1] = (uint16_t)ids[i];
	g->alts = xrealloc(g->alts, (g->nalts + 1) * sizeof(*g->alts));
	g->alts[g->nalts++] = alt;
}

static void group_free(struct needle_group *g)
{
	size_t i;

	for (i = 0; i < g->nalts; i++)
		free(g->alts[i]);
	free(g->alts);
	memset(g, 0, sizeof(*g));
}

static int has_glob(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			return 1;
	return 0;
}

/*
 * The longest run of glob part p[0, len) without glob characters, as a
 * part of a word (of a callee's, `callee`): its id or -1.  A run at the
 * part's start or end stands at the word's (`*Server`: HTTPServer).
 */
static int glob_run(struct needle_set *s, const char *p, size_t len, int callee)
{
	size_t i = 0, best = 0, at = 0, end = 0;
	int edges;

	/* past a class ([lv]) or an escape, nothing is certain: only the runs before it count */
	while (end < len && p[end] != '[' && p[end] != '\\')
		end++;
	while (i < end) {
		size_t j = i;
		while (j < end && !has_glob(p + j, 1))
			j++;
		if (j - i > best) {
			best = j - i;
			at = i;
		}
		i = j + 1;
	}
	edges = (at == 0 ? NEEDLE_EDGE_LEFT : 0) | (at + best == len ? NEEDLE_EDGE_RIGHT : 0) | (callee ? NEEDLE_CALLEE : 0);
	if (!best)
		return -1;
	return needle_add(s, p + at, best, NEEDLE_NAME, edges);
}

/*
 * The needles of a qualified-name glob, `last_called`: its last part is
 * what is called (a callee's name, not a module's).  Returns how many ids.
 */
static size_t glob_needles(struct needle_set *s, const char *glob, int last_called, int *ids, size_t max)
{
	size_t n = 0;
	const char *p = glob;

	while (*p && n < max) {
		size_t len = strcspn(p, ".");
		int last = p[len] == '\0', id;
		if (has_glob(p, len))
			id = glob_run(s, p, len, last && last_called);
		else
			id = needle_add(s, p, len, last && last_called ? NEEDLE_CALL : NEEDLE_WORD, 0);
		if (id >= 0)
			ids[n++] = id;
		p += len + (p[len] == '.');
	}
	return n;
}

/* One alternative a name of `names`: a group; -1 when one of them needs nothing. */
static int names_group(struct needle_set *s, char **names, size_t nnames, int last_called, struct needle_group *g)
{
	size_t i, n;
	int ids[32];

	for (i = 0; i < nnames; i++) {
		if (!(n = glob_needles(s, names[i], last_called, ids, ARRAY_SIZE(ids)))) {
			group_free(g);
			return -1;
		}
		group_add_alt(g, ids, n);
	}
	return g->nalts ? 0 : -1;
}

/* Each of `args` one alternative of one needle of `kind`; -1 when one is too short to tell. */
static int args_group(struct needle_set *s, char **args, size_t nargs, int kind, struct needle_group *g)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		int id = kind == NEEDLE_CALL && has_glob(args[i], strlen(args[i])) ?
				 glob_run(s, args[i], strlen(args[i]), 1) :
				 needle_add(s, args[i], strlen(args[i]), kind, 0);
		if (id < 0) {
			group_free(g);
			return -1;
		}
		group_add_alt(g, &id, 1);
	}
	return g->nalts ? 0 : -1;
}

/* --- a regex's needles ------------------------------------------------------ */

#define RX_ALTS 16	/* alternatives kept; past it an alternation tells nothing */
#define RX_AND 8	/* needles an alternative keeps; past it the others are dropped */
#define RX_DEPTH 50

/*
 * Where a needle of a pattern's part stands: at a boundary (the subject's
 * start or end, \b, or a character that is no letter or digit), not, or
 * where the part does (resolved by what is around it).
 */
enum { EDGE_NO, EDGE_YES, EDGE_INHERIT };
#define EDGES(left, right) ((uint8_t)((left) | (right) << 2))
#define EDGE_LEFT(e) ((e) & 3)
#define EDGE_RIGHT(e) ((e) >> 2 & 3)

struct rx_alt {
	char *lit[RX_AND];
	uint8_t edges[RX_AND];
	size_t n;
};

/* What every match of a part of a pattern holds: one of `v`, all of its lits.  !ok: nothing certain. */
struct rx {
	struct rx_alt v[RX_ALTS];
	size_t n;
	int ok;
};

struct rx_parser {
	const char *p;
	size_t i, len;
	int depth, failed;
};

static void rx_clear(struct rx *r)
{
	size_t a, k;

	for (a = 0; a < r->n; a++)
		for (k = 0; k < r->v[a].n; k++)
			free(r->v[a].lit[k]);
	r->n = 0;
}

/* A sequence that needs nothing yet. */
static void rx_none(struct rx *r)
{
	r->n = 1;
	r->v[0].n = 0;
	r->ok = 1;
}

static void alt_add(struct rx_alt *a, const char *lit, size_t len, uint8_t edges)
{
	size_t k;

	if (a->n >= RX_AND)
		return;
	a->lit[a->n] = xstrndup(lit, len);
	for (k = 0; k < len; k++)
		a->lit[a->n][k] = (char)ascii_lower((unsigned char)lit[k]);
	a->edges[a->n++] = edges;
}

static void rx_and_lit(struct rx *r, const char *lit, size_t len, uint8_t edges)
{
	size_t a;

	for (a = 0; a < r->n; a++)
		alt_add(&r->v[a], lit, len, edges);
}

/* g's needles that stand where g does: at the edges g has in its sequence */
static void rx_resolve(struct rx *g, int left, int right)
{
	size_t a, k;

	for (a = 0; a < g->n; a++)
		for (k = 0; k < g->v[a].n; k++) {
			uint8_t e = g->v[a].edges[k];
			g->v[a].edges[k] = EDGES(EDGE_LEFT(e) == EDGE_INHERIT ? left : EDGE_LEFT(e),
						 EDGE_RIGHT(e) == EDGE_INHERIT ? right : EDGE_RIGHT(e));
		}
}

/* r and then g: every pair of alternatives; when that is too many, g is dropped (r needs less). */
static void rx_and(struct rx *r, struct rx *g)
{
	struct rx out;
	size_t a, b, k;

	if (!g->ok || !r->ok || r->n * g->n > RX_ALTS) {
		rx_clear(g);
		return;
	}
	for (b = 0; b < g->n; b++)
		if (!g->v[b].n) {
			rx_clear(g);	/* g may match what needs nothing */
			return;
		}
	out.n = 0;
	out.ok = 1;
	for (a = 0; a < r->n; a++) {
		for (b = 0; b < g->n; b++) {
			struct rx_alt *o = &out.v[out.n++];
			o->n = 0;
			for (k = 0; k < r->v[a].n; k++)
				alt_add(o, r->v[a].lit[k], strlen(r->v[a].lit[k]), r->v[a].edges[k]);
			for (k = 0; k < g->v[b].n; k++)
				alt_add(o, g->v[b].lit[k], strlen(g->v[b].lit[k]), g->v[b].edges[k]);
		}
	}
	rx_clear(r);
	rx_clear(g);
	*r = out;
}

static int rx_alt_same(const struct rx_alt *a, const struct rx_alt *b)
{
	size_t i, k;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < b->n && (strcmp(a->lit[i], b->lit[k]) || a->edges[i] != b->edges[k]); k++)
			;
		if (k == b->n)
			return 0;
	}
	return 1;
}

/* r or g: their alternatives, each once (a pattern often repeats a group in each branch) */
static void rx_or(struct rx *r, struct rx *g)
{
	size_t a, b;

	if (!r->ok || !g->ok) {
		rx_clear(r);
		rx_clear(g);
		r->ok = 0;
		return;
	}
	for (b = 0; b < g->n; b++) {
		for (a = 0; a < r->n && !rx_alt_same(&r->v[a], &g->v[b]); a++)
			;
		if (a < r->n)
			continue;	/* the same alternative again */
		if (r->n == RX_ALTS) {
			rx_clear(r);
			rx_clear(g);
			r->ok = 0;
			return;
		}
		r->v[r->n++] = g->v[b];
		g->v[b].n = 0;
	}
	rx_clear(g);
}

static void rx_parse_alt(struct rx_parser *st, struct rx *r);

/* Past a character class at '['. */
static void rx_skip_class(struct rx_parser *st)
{
	const char *p = st->p;
	size_t i = st->i + 1;

	if (i < st->len && p[i] == '^')
		i++;
	if (i < st->len && p[i] == ']')
		i++;
	while (i < st->len && p[i] != ']') {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '[' && i + 1 < st->len && p[i + 1] == ':') {
			const char *end = strstr(p + i + 2, ":]");
			if (end)
				i = (size_t)(end - p) + 1;
		}
		i++;
	}
	if (i >= st->len)
		st->failed = 1;
	st->i = i + 1;
}

/* A quantifier at st->i: the fewest times its atom occurs (1 without one); *repeats: maybe more than once. */
static unsigned long rx_quantifier(struct rx_parser *st, int *repeats)
{
	const char *p = st->p;
	unsigned long least = 1;
	size_t i = st->i;

	*repeats = 0;
	if (i >= st->len)
		return 1;
	if (p[i] == '?' || p[i] == '*') {
		least = 0;
		*repeats = p[i] == '*';
		i++;
	} else if (p[i] == '+') {
		*repeats = 1;
		i++;
	} else if (p[i] == '{' && i + 1 < st->len && isdigit((unsigned char)p[i + 1])) {
		char *end;
		least = strtoul(p + i + 1, &end, 10);
		if (*end == ',')
			for (end++; isdigit((unsigned char)*end); end++)
				;
		if (*end != '}')
			return 1;	/* not a quantifier: a literal '{' */
		*repeats = 1;
		i = (size_t)(end - p) + 1;
	} else {
		return 1;
	}
	if (i < st->len && (p[i] == '?' || p[i] == '+'))
		i++;	/* lazy, possessive */
	st->i = i;
	return least;
}

/* Inside "(?": a group (1, parsed into g), a zero-width part (0), or nothing to follow (st->failed). */
static int rx_special_group(struct rx_parser *st, struct rx *g)
{
	const char *p = st->p;
	size_t i = st->i;

	if (i < st->len && (p[i] == ':' || p[i] == '>' || p[i] == '|')) {
		st->i = i + 1;
		rx_parse_alt(st, g);
		return 1;
	}
	if (i < st->len && (p[i] == '=' || p[i] == '!' || (p[i] == '<' && i + 1 < st->len &&
							    (p[i + 1] == '=' || p[i + 1] == '!')))) {
		st->i = i + (p[i] == '<' ? 2 : 1);
		rx_parse_alt(st, g);	/* a lookaround: matches nothing itself */
		rx_clear(g);
		g->ok = 0;
		return 0;
	}
	if (i < st->len && (p[i] == '<' || p[i] == '\'' || (p[i] == 'P' && i + 1 < st->len && p[i + 1] == '<'))) {
		char close = p[i] == '\'' ? '\'' : '>';
		const char *end = memchr(p + i + 1, close, st->len - i - 1);
		if (!end) {
			st->failed = 1;
			return 0;
		}
		st->i = (size_t)(end - p) + 1;
		rx_parse_alt(st, g);	/* a named group */
		return 1;
	}
	/* flags: (?i), (?is), (?-i), or (?i:...) */
	while (i < st->len && (isalpha((unsigned char)p[i]) || p[i] == '-' || p[i] == '^')) {
		if (p[i] == 'x')
			st->failed = 1;	/* blanks and comments in the pattern: not followed */
		i++;
	}
	if (i < st->len && p[i] == ':') {
		st->i = i + 1;
		rx_parse_alt(st, g);
		return 1;
	}
	if (i >= st->len || p[i] != ')')
		st->failed = 1;
	st->i = i;
	g->ok = 0;
	return 0;
}

enum { RX_LIT, RX_GROUP, RX_OTHER, RX_EDGE };

/* One item of a sequence: an atom and its quantifier. */
struct rx_item {
	int kind;		/* RX_EDGE: ^, $, \b, \A, \Z, \z: a boundary, matching nothing */
	char c;			/* RX_LIT */
	struct rx *g;		/* RX_GROUP */
	unsigned long least;
	int repeats;
};

/* One atom at st->i into `it`. */
static void rx_atom(struct rx_parser *st, struct rx_item *it)
{
	const char *p = st->p;
	unsigned char x = (unsigned char)p[st->i];

	if (x == '(') {
		it->kind = RX_GROUP;
		it->g = xcalloc(1, sizeof(*it->g));
		st->i++;
		if (st->i < st->len && p[st->i] == '?') {
			st->i++;
			if (!rx_special_group(st, it->g))
				it->kind = RX_OTHER;
		} else {
			rx_parse_alt(st, it->g);
		}
		if (st->i >= st->len || p[st->i] != ')')
			st->failed = 1;
		st->i++;
		return;
	}
	if (x == '[') {
		rx_skip_class(st);
		it->kind = RX_OTHER;
		return;
	}
	if (x == '\\') {
		unsigned char e = st->i + 1 < st->len ? (unsigned char)p[st->i + 1] : 0;
		st->i += 2;
		if (!e || strchr("QExpPNcogku", e))
			st->failed = 1;	/* quoting, code points, properties: not followed */
		if (e && strchr("bAZz", e))
			it->kind = RX_EDGE;
		else if (!e || isalnum(e))
			it->kind = RX_OTHER;	/* a class, a back reference, a control character */
		else
			it->kind = RX_LIT, it->c = (char)e;
		return;
	}
	st->i++;
	if (x == '*' || x == '+' || x == '?')
		st->failed = 1;
	if (x == '^' || x == '$')
		it->kind = RX_EDGE;
	else if (x == '.' || isspace(x) || x >= 0x80)
		it->kind = RX_OTHER;	/* blanks end a needle: B608 joins a query's parts with spaces */
	else
		it->kind = RX_LIT, it->c = (char)x;
}

/* Does item k stand for a boundary beside it?  Past the sequence: where the sequence stands. */
static int rx_edge_at(const struct rx_item *v, size_t n, size_t k)
{
	if (k >= n)
		return EDGE_INHERIT;
	if (v[k].kind == RX_EDGE)
		return EDGE_YES;
	return v[k].kind == RX_LIT && v[k].least > 0 && !isalnum((unsigned char)v[k].c) ? EDGE_YES : EDGE_NO;
}

static void rx_parse_concat(struct rx_parser *st, struct rx *r)
{
	struct rx_item *v = NULL;
	size_t n = 0, cap = 0, k, start = 0;
	char run[256];
	size_t rn = 0;

	while (!st->failed && st->i < st->len && st->p[st->i] != '|' && st->p[st->i] != ')') {
		struct rx_item *it = ARRAY_PUSH(v, n, cap);
		memset(it, 0, sizeof(*it));
		rx_atom(st, it);
		it->least = rx_quantifier(st, &it->repeats);
	}
	rx_none(r);
	for (k = 0; k <= n; k++) {
		const struct rx_item *it = k < n ? &v[k] : NULL;
		int in_run = it && it->kind == RX_LIT && it->least > 0 && rn < sizeof(run);
		if (in_run) {
			if (!rn)
				start = k;
			run[rn++] = it->c;
			if (!it->repeats)
				continue;
		}
		/* the run ends here: at item k, or (repeated) with it */
		if (rn >= 2)
			rx_and_lit(r, run, rn, EDGES(start ? rx_edge_at(v, n, start - 1) : EDGE_INHERIT,
						 in_run ? EDGE_NO : rx_edge_at(v, n, k)));
		rn = 0;
		if (it && it->kind == RX_GROUP && it->least > 0) {
			rx_resolve(it->g, it->repeats ? EDGE_NO : k ? rx_edge_at(v, n, k - 1) : EDGE_INHERIT,
				   it->repeats ? EDGE_NO : rx_edge_at(v, n, k + 1));
			rx_and(r, it->g);
		}
	}
	for (k = 0; k < n; k++)
		if (v[k].g) {
			rx_clear(v[k].g);
			free(v[k].g);
		}
	free(v);
}

static void rx_parse_alt(struct rx_parser *st, struct rx *r)
{
	if (++st->depth > RX_DEPTH) {
		st->failed = 1;
		r->n = 0;
		r->ok = 0;
		return;
	}
	rx_parse_concat(st, r);
	while (!st->failed && st->i < st->len && st->p[st->i] == '|') {
		struct rx g;
		st->i++;
		rx_parse_concat(st, &g);
		rx_or(r, &g);
	}
	st->depth--;
}

int needles_from_regex(struct needle_set *s, const char *pattern, int kind, struct needle_group *out)
{
	struct rx_parser st = { pattern, 0, strlen(pattern), 0, 0 };
	struct rx r;
	size_t a, k;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	rx_parse_alt(&st, &r);
	if (st.failed || st.i != st.len || !r.ok || !r.n)
		rc = -1;
	rx_resolve(&r, EDGE_NO, EDGE_NO);	/* an unanchored pattern may match anywhere */
	for (a = 0; rc == 0 && a < r.n; a++) {
		int ids[RX_AND];
		size_t n = 0;
		for (k = 0; k < r.v[a].n; k++) {
			uint8_t e = r.v[a].edges[k];
			int id = needle_add(s, r.v[a].lit[k], strlen(r.v[a].lit[k]), kind,
					    (EDGE_LEFT(e) == EDGE_YES ? NEEDLE_EDGE_LEFT : 0) |
						    (EDGE_RIGHT(e) == EDGE_YES ? NEEDLE_EDGE_RIGHT : 0));
			if (id >= 0)
				ids[n++] = id;
		}
		if (!n)
			rc = -1;	/* a branch that needs nothing: the whole needs nothing */
		else
			group_add_alt(out, ids, n);
	}
	rx_clear(&r);
	if (rc < 0)
		group_free(out);
	return rc;
}

/* --- clauses ---------------------------------------------------------------- */

/* A bare `except:`, or `except Exception` (any handler, with the argument `true`: then nothing) */
static int catches_broad_group(struct needle_set *s, const struct pred *p, struct needle_group *g)
{
	int exception = needle_add(s, "Exception", 9, NEEDLE_WORD, 0), bare = needle_add(s, "except", 6, NEEDLE_COLON, 0);

	if ((p->nargs && !strcasecmp(p->args[0], "true")) || exception < 0 || bare < 0)
		return -1;
	group_add_alt(g, &exception, 1);
	group_add_alt(g, &bare, 1);
	return 0;
}

/* The group that a `when` predicate gives, or -1: it needs nothing that can be told. */
static int pred_group(struct needle_set *s, const struct pred *p, struct needle_group *g)
{
	const char *name = p->def->name;

	memset(g, 0, sizeof(*g));
	if (p->negate)
		return -1;
	if (!strcmp(name, "catches-broad"))
		return catches_broad_group(s, p, g);
	if (!p->nargs)
		return -1;
	if (!strcmp(name, "kwarg") || !strcmp(name, "kwarg-truthy") || !strcmp(name, "kwarg-is") ||
	    !strcmp(name, "kwarg-call") || !strcmp(name, "body-is"))
		return args_group(s, p->args, 1, NEEDLE_WORD, g);
	/* what a name resolves to: the callee, an attribute's value */
	g->via_names = !strcmp(name, "value-attr-in") || !strcmp(name, "callee-in") || !strcmp(name, "callee-name") ||
		       !strcmp(name, "bind-address");
	if (!strcmp(name, "name-in") || !strcmp(name, "value-attr-in"))
		return args_group(s, p->args, p->nargs, NEEDLE_WORD, g);
	if (!strcmp(name, "callee-in"))
		return names_group(s, p->args, p->nargs, 1, g);
	if (!strcmp(name, "callee-name") || !strcmp(name, "bind-address"))
		return args_group(s, p->args, p->nargs, NEEDLE_CALL, g);
	if (!strcmp(name, "equals") || !strcmp(name, "starts-with"))
		return args_group(s, p->args, p->nargs, NEEDLE_STRING, g);
	if (!strcmp(name, "name-like") || !strcmp(name, "password-target"))
		return needles_from_regex(s, p->args[0], NEEDLE_NAME, g);
	if (!strcmp(name, "sql-expression"))
		return needles_from_regex(s, p->args[0], NEEDLE_STRING, g);
	if (!strcmp(name, "arg-matches") && p->nargs == 2)
		return needles_from_regex(s, p->args[1], NEEDLE_STRING, g);
	if (!strcmp(name, "imported")) {
		g->file_wide = 1;
		return names_group(s, p->args, p->nargs, 0, g);
	}
	return -1;
}

/* The group that a clause's kind and names give, or -1. */
static int kind_group(struct needle_set *s, const struct clause *c, struct needle_group *g)
{
	static char *assert_word[] = { "assert" }, *except_word[] = { "except" };

	memset(g, 0, sizeof(*g));
	switch (c->kind) {
	case KIND_CALL:
		g->via_names = 1;
		return names_group(s, c->names, c->nnames, 1, g);
	case KIND_IMPORT:
		return names_group(s, c->names, c->nnames, 0, g);
	case KIND_ASSERT:
		return args_group(s, assert_word, 1, NEEDLE_WORD, g);
	case KIND_EXCEPT:
		return args_group(s, except_word, 1, NEEDLE_WORD, g);
	default:
		return -1;
	}
}

static void clause_add(struct needle_set *s, const struct clause *c)
{
	struct needle_clause nc = { 0 };
	struct needle_group g;
	size_t i, cap = 0, unit_groups = 0;

	if (c->kind == KIND_SOURCE || c->kind == KIND_LINE)
		return;	/* they read the file's bytes, parsed or not */
	if (c->kind == KIND_CALL && !c->nnames)
		return;	/* `match call $option` of an empty option: it never holds */
	if (kind_group(s, c, &g) == 0) {
		*ARRAY_PUSH(nc.groups, nc.ngroups, cap) = g;
		unit_groups++;
	}
	for (i = 0; i < c->npreds; i++) {
		if (pred_group(s, &c->preds[i], &g) < 0)
			continue;
		*ARRAY_PUSH(nc.groups, nc.ngroups, cap) = g;
		unit_groups += !g.file_wide;
	}
	if (!unit_groups)
		s->unfocusable = 1;
	*ARRAY_PUSH(s->clauses, s->nclauses, s->clauses_cap) = nc;
}

static int part_order(const void *a, const void *b, void *set)
{
	const struct needle *v = ((const struct needle_set *)set)->v;
	unsigned x = pair_of(v[*(const uint16_t *)a].text), y = pair_of(v[*(const uint16_t *)b].text);

	return x < y ? -1 : x > y;
}

static void index_needles(struct needle_set *s)
{
	size_t i, nb = 0;

	s->words = (s->n + 63) / 64;
	s->exact.free_value = free;
	for (i = 0; i < s->n; i++) {
		const struct needle *n = &s->v[i];
		if (n->kind <= NEEDLE_COLON) {
			struct needle_exact *x = strmap_get(&s->exact, n->text, n->len);
			unsigned b = exact_shape_of(n->text, n->len);
			if (!x) {
				x = xcalloc(1, sizeof(*x));
				strmap_put(&s->exact, n->text, n->len, x);
			}
			x->id[n->kind] = (uint16_t)(i + 1);
			s->exact_shape[b >> 3] |= (uint8_t)(1u << (b & 7));
		} else {
			*ARRAY_PUSH(s->parts, s->nparts, s->parts_cap) = (uint16_t)i;
			s->names_anywhere |= n->kind == NEEDLE_NAME && !(n->edges & (NEEDLE_EDGE_LEFT | NEEDLE_CALLEE));
		}
	}
	if (s->nparts > 1)
		qsort_r(s->parts, s->nparts, sizeof(*s->parts), part_order, s);
	for (i = 0; i < s->nparts && nb < 255; i++) {
		unsigned pair = pair_of(s->v[s->parts[i]].text);
		if (!i || pair != pair_of(s->v[s->parts[i - 1]].text))
			s->part_bucket[pair] = (uint8_t)++nb;
		s->bucket_start[nb] = (uint16_t)(i + 1);
	}
	if (i < s->nparts)
		s->unfocusable = 1;	/* more than 255 starts: not told apart, so not used */
}

/* A clause's first group that a statement's own needles decide (not file-wide): -1 if none. */
static long first_group(const struct needle_clause *nc)
{
	size_t k;

	for (k = 0; k < nc->ngroups; k++)
		if (!nc->groups[k].file_wide)
			return (long)k;
	return -1;
}

/* For each needle, the clauses whose first group holds it: needles_met() asks only those. */
static void index_clauses_by_needle(struct needle_set *s)
{
	size_t *count = xcalloc(s->n + 1, sizeof(*count)), c, a, k, i, total = 0;

	for (i = 0; i < 2; i++) {
		for (c = 0; c < s->nclauses; c++) {
			long g = first_group(&s->clauses[c]);
			const struct needle_group *G;
			if (g < 0)
				continue;
			G = &s->clauses[c].groups[g];
			for (a = 0; a < G->nalts; a++)
				for (k = 0; k < G->alts[a][0]; k++) {
					size_t id = G->alts[a][k + 1];
					if (!i)
						count[id]++;
					else
						s->first[s->first_start[id] + --count[id]] = (uint16_t)c;
				}
		}
		if (i)
			break;
		s->first_start = xcalloc(s->n + 1, sizeof(*s->first_start));
		for (k = 0; k < s->n; k++) {
			s->first_start[k] = (uint32_t)total;
			total += count[k];
		}
		s->first_start[s->n] = (uint32_t)total;
		s->first = xcalloc(total ? total : 1, sizeof(*s->first));
	}
	free(count);
}

void needles_build(struct needle_set *s, const struct rule_set *set)
{
	size_t r, c;

	memset(s, 0, sizeof(*s));
	for (r = 0; r < set->len; r++)
		if (set->rules[r].info.enabled)
			for (c = 0; c < set->rules[r].nclauses; c++)
				clause_add(s, &set->rules[r].clauses[c]);
	if (s->nclauses > UINT16_MAX)
		s->unfocusable = 1;
	index_needles(s);
	index_clauses_by_needle(s);
}

void needles_free(struct needle_set *s)
{
	size_t i, k;

	for (i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s->v);
	free(s->parts);
	for (i = 0; i < s->nclauses; i++) {
		for (k = 0; k < s->clauses[i].ngroups; k++)
			group_free(&s->clauses[i].groups[k]);
		free(s->clauses[i].groups);
	}
	free(s->clauses);
	free(s->first_start);
	free(s->first);
	strmap_clear(&s->exact);
	strmap_clear(&s->known);
	memset(s, 0, sizeof(*s));
}

/* --- matching --------------------------------------------------------------- */

static void set_bit(uint64_t *hits, size_t id)
{
	hits[id / 64] |= (uint64_t)1 << (id % 64);
}

static int has_bit(const uint64_t *hits, size_t id)
{
	return (hits[id / 64] >> (id % 64)) & 1;
}

/* The NEEDLE_NAME (and, `strings`, NEEDLE_STRING) needles inside t[0, len), in any case. */
static void match_parts(const struct needle_set *s, const char *t, size_t len, int strings, int flags, uint64_t *hits)
{
	size_t i, k, j;
	/* in a word that is not called, only a needle at a left edge can be: at its start, or past a `_` */
	int edges_only = !strings && !(flags & NEEDLE_CALLED) && !s->names_anywhere;

	for (i = 0; i + 1 < len; i++) {
		unsigned b;
		if (edges_only && i && isalnum((unsigned char)t[i - 1]))
			continue;
		b = s->part_bucket[pair_of(t + i)];
		if (!b)
			continue;
		for (k = s->bucket_start[b - 1]; k < s->bucket_start[b]; k++) {
			const struct needle *n = &s->v[s->parts[k]];
			if ((!strings && n->kind != NEEDLE_NAME) || n->len > len - i ||
			    ((n->edges & NEEDLE_CALLEE) && !(flags & NEEDLE_CALLED)))
				continue;
			for (j = 2; j < n->len && ascii_lower((unsigned char)t[i + j]) == (unsigned char)n->text[j]; j++)
				;
			if (j < n->len || ((n->edges & NEEDLE_EDGE_LEFT) && i && isalnum((unsigned char)t[i - 1])) ||
			    ((n->edges & NEEDLE_EDGE_RIGHT) && i + j < len && isalnum((unsigned char)t[i + j])))
				continue;
			if (!strings && source_is_keyword(t, len))
				return;	/* `pass` is no name */
			set_bit(hits, s->parts[k]);
		}
	}
}

static void match_exact(const struct needle_set *s, const char *w, size_t len, int flags, uint64_t *hits)
{
	const struct needle_exact *x;
	unsigned b;

	if (len < 2)
		return;
	b = exact_shape_of(w, len);
	if (!(s->exact_shape[b >> 3] & (1u << (b & 7))) || !(x = strmap_get(&s->exact, w, len)))
		return;
	if (x->id[NEEDLE_WORD])
		set_bit(hits, x->id[NEEDLE_WORD] - 1u);
	if (x->id[NEEDLE_CALL] && (flags & NEEDLE_CALLED))
		set_bit(hits, x->id[NEEDLE_CALL] - 1u);
	if (x->id[NEEDLE_COLON] && (flags & NEEDLE_COLONED))
		set_bit(hits, x->id[NEEDLE_COLON] - 1u);
}

void needles_match_word(const struct needle_set *s, const char *w, size_t len, int flags, uint64_t *hits)
{
	match_exact(s, w, len, flags, hits);
	match_parts(s, w, len, 0, flags, hits);
}

static int is_word_byte(unsigned char c)
{
	return c == '_' || isalnum(c) || c >= 0x80;
}

void needles_match_value(const struct needle_set *s, const char *v, size_t len, int words, uint64_t *hits)
{
	size_t i = 0;

	match_parts(s, v, len, 1, words ? NEEDLE_CALLED : 0, hits);
	while (words && i < len) {
		size_t j;
		while (i < len && !is_word_byte((unsigned char)v[i]))
			i++;
		for (j = i; j < len && is_word_byte((unsigned char)v[j]); j++)
			;
		match_exact(s, v + i, j - i, NEEDLE_CALLED, hits);	/* getattr(os, "system")(cmd) */
		i = j;
	}
}

static int group_met(const struct needle_group *g, const uint64_t *hits, const uint64_t *carried)
{
	size_t a, k;

	for (a = 0; a < g->nalts; a++) {
		const uint16_t *alt = g->alts[a];
		for (k = 0; k < alt[0] && (has_bit(hits, alt[k + 1]) || (carried && has_bit(carried, alt[k + 1]))); k++)
			;
		if (k == alt[0])
			return 1;
	}
	return 0;
}

static int clause_met(const struct needle_clause *nc, const uint64_t *hits, const uint64_t *carried,
	const uint64_t *file_hits)
{
	size_t k;

	for (k = 0; k < nc->ngroups; k++) {
		const struct needle_group *g = &nc->groups[k];
		if (!group_met(g, g->file_wide ? file_hits : hits, g->via_names ? carried : NULL))
			return 0;
	}
	return 1;
}

int needles_met(const struct needle_set *s, const uint64_t *hits, const uint64_t *carried, const uint64_t *file_hits)
{
	size_t w, j;

	/* a clause is met only if its first group is, by one of the needles the statement holds */
	for (w = 0; w < s->words; w++) {
		uint64_t bits = hits[w] | carried[w];
		while (bits) {
			size_t id = w * 64 + (size_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			for (j = s->first_start[id]; j < s->first_start[id + 1]; j++)
				if (clause_met(&s->clauses[s->first[j]], hits, carried, file_hits))
					return 1;
		}
	}
	return 0;
}
