/*
 * pyast.h: reading a walk's tree-sitter-python nodes the way Python's own
 * ast (and so Bandit) sees them: dotted names as written, string values
 * with escapes decoded, call arguments by position and keyword.  What a
 * name stands for is scope.h's node_qualname().
 */
#ifndef PYSEC_PYAST_H
#define PYSEC_PYAST_H

#include "walk.h"

/* The longest string value decoded: past it a value counts as no literal. */
#define STRING_VALUE_MAX (64 * 1024)

/* The node's source text (not NUL-terminated), clipped to the file. */
const char *node_text(const struct walk *w, TSNode n, size_t *len);
int node_text_eq(const struct walk *w, TSNode n, const char *s);
/* `n` without the parentheses around it: ((x)) is x. */
static inline TSNode node_unparen(const struct walk *w, TSNode n)
{
	while (!ts_node_is_null(n) && node_symbol(n) == w->sym->parenthesized_expression &&
	       node_named_child_count(n) == 1)
		n = node_named_child(n, 0);
	return n;
}
/* Append s[0, n) to out (of `cap` bytes, `*len` used, NUL-terminated); -1 if it does not fit. */
int name_append(char *out, size_t cap, size_t *len, const char *s, size_t n);
/* The module of `from module import ...` (`from .x import` is "x"); NULL for `from . import`. */
const char *import_from_module(const struct walk *w, TSNode stmt, size_t *len);
/* A dotted name for identifier/attribute chains, "" otherwise. Returns its length. */
size_t node_dotted(const struct walk *w, TSNode n, char *out, size_t cap);
/* The decoded value of a string or concatenated_string (interpolations dropped). */
int node_string_value(const struct walk *w, TSNode n, struct buf *out);
/* node_string_value() of `n`, decoded once while the walk asks about the same node; NULL if it has none. */
const struct buf *node_string_value_cached(struct walk *w, TSNode n);
int node_is_string(const struct walk *w, TSNode n);
int node_is_fstring(const struct walk *w, TSNode n);
/* Python truthiness of a literal as Bandit judges `shell=`: non-literals are true. */
int node_truthy(const struct walk *w, TSNode n);
/* Positional argument `i` of a call, or a null node. */
TSNode call_positional(const struct walk *w, TSNode call, uint32_t i);
uint32_t call_positional_count(const struct walk *w, TSNode call);
/* The value of keyword argument `name`, or a null node. */
TSNode call_keyword(const struct walk *w, TSNode call, const char *name);
/* The name a called function is known by: the last part of its dotted name. */
size_t call_short_name(const struct walk *w, TSNode call, char *out, size_t cap);

#endif
