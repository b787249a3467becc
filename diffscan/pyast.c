/*
 * pyast.c: reading tree-sitter-python nodes the way Python's own ast (and
 * so Bandit) sees them: dotted names, string values with escapes decoded,
 * call arguments by position and keyword.  (What a name means is scope.c's.)
 */
#include "pyast.h"
#include "source.h"
#include "pysec.h"
#include "util.h"

#include <ctype.h>

const char *node_text(const struct walk *w, TSNode n, size_t *len)
{
	uint32_t start = ts_node_start_byte(n), end = node_end_byte(n);

	if (end > w->len)
		end = (uint32_t)w->len;
	if (start > end)
		start = end;
	*len = end - start;
	return w->src + start;
}

int node_text_eq(const struct walk *w, TSNode n, const char *s)
{
	size_t len;
	const char *t = node_text(w, n, &len);

	return len == strlen(s) && !memcmp(t, s, len);
}

int name_append(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > cap)
		return -1;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/* The dotted name of an identifier/attribute chain, exactly as written. */
size_t node_dotted(const struct walk *w, TSNode n, char *out, size_t cap)
{
	size_t len = 0, tlen;
	const char *t;
	TSSymbol sym;

	out[0] = '\0';
	n = node_unparen(w, n);
	sym = node_symbol(n);
	/* a name that cannot fit is no name; this also bounds the recursion */
	if (node_end_byte(n) - ts_node_start_byte(n) >= cap)
		return 0;
	if (sym == w->sym->identifier) {
		t = node_text(w, n, &tlen);
		return name_append(out, cap, &len, t, tlen) < 0 ? 0 : len;
	}
	if (sym != w->sym->attribute)
		return 0;
	len = node_dotted(w, node_child_by_field_id(n, w->field->object), out, cap);
	if (!len)
		return 0;
	t = node_text(w, node_child_by_field_id(n, w->field->attribute), &tlen);
	if (name_append(out, cap, &len, ".", 1) < 0 || name_append(out, cap, &len, t, tlen) < 0)
		return out[0] = '\0', 0;
	return len;
}

const char *import_from_module(const struct walk *w, TSNode stmt, size_t *len)
{
	TSNode mod = node_child_by_field_id(stmt, w->field->module_name), d;

	*len = 0;
	if (node_symbol(mod) == w->sym->dotted_name)
		return node_text(w, mod, len);
	if (node_symbol(mod) != w->sym->relative_import)
		return NULL;
	/* `from .x import y` is module "x" to Bandit; `from . import y` has none */
	d = node_named_child(mod, node_named_child_count(mod) - 1);
	return node_symbol(d) == w->sym->dotted_name ? node_text(w, d, len) : NULL;
}

size_t call_short_name(const struct walk *w, TSNode call, char *out, size_t cap)
{
	TSNode f = node_unparen(w, node_child_by_field_id(call, w->field->function));
	size_t len = 0, tlen;
	const char *t;

	out[0] = '\0';
	if (node_symbol(f) == w->sym->attribute)
		f = node_child_by_field_id(f, w->field->attribute);
	else if (node_symbol(f) != w->sym->identifier)
		return 0;
	t = node_text(w, f, &tlen);
	return name_append(out, cap, &len, t, tlen) < 0 ? 0 : len;
}

int node_is_string(const struct walk *w, TSNode n)
{
	TSSymbol s = node_symbol(n);

	return s == w->sym->string || s == w->sym->concatenated_string;
}

/* The length of a string literal's prefix (r, b, f, u): the letters before its first quote (" ' or `). */
static size_t string_prefix_len(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len && t[i] != '"' && t[i] != '\'' && t[i] != '`'; i++)
		;
	return i;
}

static int prefix_has(const char *t, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (tolower((unsigned char)t[i]) == c)
			return 1;
	return 0;
}

/*
 * Whether the string's prefix has `c`.  It is read from the node's text
 * (a string node starts with its prefix), not from its string_start
 * child: finding a child costs more than reading a few bytes.  An error-
 * recovered string is read from its string_start, if it has one.
 */
static int string_prefix_has(const struct walk *w, TSNode str, char c)
{
	size_t len;
	const char *t;

	if (node_has_error(str)) {
		str = node_child(str, 0);
		if (ts_node_is_null(str) || node_symbol(str) != w->sym->string_start)
			return 0;
	}
	t = node_text(w, str, &len);
	len = string_prefix_len(t, len);
#ifdef PYSEC_SELF_CHECK
	{
		TSNode start = node_child(str, 0);
		size_t slen;
		const char *st = node_text(w, start, &slen);
		if (node_symbol(str) == w->sym->string && node_symbol(start) == w->sym->string_start)
			SELF_CHECK(prefix_has(t, len, c) == prefix_has(st, string_prefix_len(st, slen), c));
	}
#endif
	return prefix_has(t, len, c);
}

int node_is_fstring(const struct walk *w, TSNode n)
{
	return node_symbol(n) == w->sym->string && string_prefix_has(w, n, 'f');
}

/*
 * The text between the quotes of a string literal whose value is that
 * text, decoded, read without going down the tree: a string that is no
 * f-string and not error-recovered, whose children are its string_start,
 * the string_content of all that text, and its string_end.  (The parser
 * can put a comment or a line continuation inside a string; then the text
 * and the tree do not agree, and the tree is read.)
 *
 * Or a raw string of backslashes and quotes only, r"\\" or r'\'': the
 * grammar's scanner puts them in its string_end and gives it no
 * string_content, where Python's value is the text.
 *
 * 0 for any other string.
 */
static int plain_string_content(const struct walk *w, TSNode n, const char **content, size_t *clen, int *raw)
{
	uint32_t count = ts_node_child_count(n);
	size_t len, p, q, i;
	const char *t;

	if (node_has_error(n) || count < 2 || count > 3)
		return 0;
	t = node_text(w, n, &len);
	p = string_prefix_len(t, len);
	if (p == len || prefix_has(t, p, 'f'))
		return 0;
	q = t[p] != '`' && len - p >= 6 && t[p + 1] == t[p] && t[p + 2] == t[p] ? 3 : 1;
	if (len - p < 2 * q)
		return 0;
	for (i = len - q; i < len; i++)
		if (t[i] != t[p])
			return 0;
	*content = t + p + q;
	*clen = len - p - 2 * q;
	*raw = prefix_has(t, p, 'r');
	if (count == 3) {
		TSNode middle = ts_node_child(n, 1);
		uint32_t at = (uint32_t)(*content - w->src);
		return node_symbol(middle) == w->sym->string_content && ts_node_start_byte(middle) == at &&
		       node_end_byte(middle) == at + *clen;
	}
	for (i = 0; i < *clen; i++)
		if ((*content)[i] != '\\' && (*content)[i] != '"' && (*content)[i] != '\'')
			return 0;
	return !*clen || *raw;
}

/* A string's value from its string_content children: what plain_string_content() stands for. */
static void string_value_from_tree(const struct walk *w, TSNode n, struct buf *out)
{
	int raw = string_prefix_has(w, n, 'r');
	struct node_iter it;
	TSNode c;

	for (node_iter_init(&it, n); node_iter_next_named(&it, &c);) {
		if (node_symbol(c) == w->sym->string_content) {
			size_t len;
			const char *t = node_text(w, c, &len);
			source_decode_string(t, len, raw, out);
		}
	}
}

#ifdef PYSEC_SELF_CHECK
/*
 * The tree's string_start and string_end end and start where the text's
 * quotes do.  Not so for some raw strings: tree-sitter-python's scanner
 * ends r'\\' or r'\'' with a string_end that holds the backslashes, and
 * no string_content, where Python's value is the backslashes (and quote).
 */
static int tree_delimits(const struct walk *w, TSNode n, const char *content, size_t clen)
{
	uint32_t count = ts_node_child_count(n), lo, hi;

	if (count < 2)
		return 0;
	lo = node_end_byte(ts_node_child(n, 0));
	hi = ts_node_start_byte(ts_node_child(n, count - 1));
	return lo == (uint32_t)(content - w->src) && hi == lo + clen;
}
#endif

/*
 * The string's value.  Interpolations of an f-string are left out, as
 * Bandit sees only the constant parts.  Returns -1 when the value is over
 * the buffer's cap (the caller treats that as "not a literal").
 */
int node_string_value(const struct walk *w, TSNode n, struct buf *out)
{
	struct node_iter it;
	TSNode c;
	const char *content;
	size_t clen;
	int rc = 0, raw;

	if (node_symbol(n) == w->sym->concatenated_string) {
		for (node_iter_init(&it, n); rc == 0 && node_iter_next_named(&it, &c);)
			if (node_symbol(c) == w->sym->string)
				rc = node_string_value(w, c, out);
		node_iter_end(&it);
		return rc;
	}
	if (node_symbol(n) != w->sym->string)
		return -1;
	if (plain_string_content(w, n, &content, &clen, &raw)) {
#ifdef PYSEC_SELF_CHECK
		size_t before = out->len;
		struct buf slow = BUF_INIT(out->max - before);
		string_value_from_tree(w, n, &slow);
#endif
		source_decode_string(content, clen, raw, out);
#ifdef PYSEC_SELF_CHECK
		if (tree_delimits(w, n, content, clen))
			SELF_CHECK(out->len - before == slow.len &&
				   (!slow.len || !memcmp(out->ptr + before, slow.ptr, slow.len)));
		buf_free(&slow);
#endif
		return out->len >= out->max ? -1 : 0;
	}
	string_value_from_tree(w, n, out);
	return out->len >= out->max ? -1 : 0;
}

const struct buf *node_string_value_cached(struct walk *w, TSNode n)
{
	if (!ts_node_eq(n, w->str_node) || !w->str_value.max) {
		w->str_node = n;
		w->str_value.max = STRING_VALUE_MAX;
		w->str_value.len = 0;
		w->str_ok = node_is_string(w, n) && node_string_value(w, n, &w->str_value) == 0;
	}
	return w->str_ok ? &w->str_value : NULL;
}

static int is_argument(const struct walk *w, TSNode c)
{
	TSSymbol s = node_symbol(c);

	return s != w->sym->keyword_argument && s != w->sym->dictionary_splat &&
	       s != w->sym->comment;
}

TSNode call_positional(const struct walk *w, TSNode call, uint32_t i)
{
	TSNode args = node_child_by_field_id(call, w->field->arguments), none = { { 0 }, 0, 0 }, c;
	struct node_iter it;
	uint32_t seen = 0;

	if (ts_node_is_null(args))
		return none;
	if (node_symbol(args) != w->sym->argument_list)
		return i == 0 ? args : none;	/* f(x for x in y) */
	for (node_iter_init(&it, args); node_iter_next_named(&it, &c);)
		if (is_argument(w, c) && seen++ == i)
			break;
	if (it.state == ITER_DONE)
		return none;
	node_iter_end(&it);
	return c;
}

uint32_t call_positional_count(const struct walk *w, TSNode call)
{
	TSNode args = node_child_by_field_id(call, w->field->arguments), c;
	struct node_iter it;
	uint32_t seen = 0;

	if (ts_node_is_null(args))
		return 0;
	if (node_symbol(args) != w->sym->argument_list)
		return 1;
	for (node_iter_init(&it, args); node_iter_next_named(&it, &c);)
		seen += is_argument(w, c);
	return seen;
}

TSNode call_keyword(const struct walk *w, TSNode call, const char *name)
{
	TSNode args = node_child_by_field_id(call, w->field->arguments), none = { { 0 }, 0, 0 }, c;
	struct node_iter it;
	size_t len;
	const char *t;

	if (ts_node_is_null(args) || node_symbol(args) != w->sym->argument_list)
		return none;
	/* a keyword's name is written out in the arguments' text */
	t = node_text(w, args, &len);
	if (!memmem(t, len, name, strlen(name)))
		return none;
	for (node_iter_init(&it, args); node_iter_next_named(&it, &c);) {
		if (node_symbol(c) == w->sym->keyword_argument &&
		    node_text_eq(w, node_child_by_field_id(c, w->field->name), name)) {
			node_iter_end(&it);
			return node_child_by_field_id(c, w->field->value);
		}
	}
	return none;
}

static int number_is_zero(const char *t, size_t len)
{
	size_t i = 0;

	if (len > 1 && t[0] == '0' && strchr("xXoObB", t[1]))
		i = 2;
	for (; i < len; i++)
		if (t[i] != '0' && t[i] != '_' && t[i] != '.' && t[i] != 'j' && t[i] != 'J')
			return 0;
	return 1;
}

int node_truthy(const struct walk *w, TSNode n)
{
	TSSymbol s;
	size_t len;
	const char *t;

	n = node_unparen(w, n);
	s = node_symbol(n);
	if (s == w->sym->false_ || s == w->sym->none)
		return 0;
	if (s == w->sym->integer || s == w->sym->float_) {
		t = node_text(w, n, &len);
		return !number_is_zero(t, len);
	}
	if (s == w->sym->list || s == w->sym->dictionary) {
		struct node_iter it;
		TSNode c;
		int truthy = 0;
		for (node_iter_init(&it, n); !truthy && node_iter_next_named(&it, &c);)
			truthy = node_symbol(c) != w->sym->comment;
		node_iter_end(&it);
		return truthy;
	}
	return 1;
}
