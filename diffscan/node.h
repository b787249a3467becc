/*
 * node.h: tree-sitter's node accessors, safe on a null node.
 *
 * tree-sitter's own accessors dereference a null node, and an error-
 * recovered tree of hostile input gives null nodes where a field is missing
 * (found by fuzz/fuzz_scan.c).  So the core reads nodes through these: on
 * a null node they answer "nothing" (symbol 0, type "", no children, no
 * parent, no error).  ts_node_is_null(), ts_node_eq(), ts_node_start_byte()
 * and ts_node_start_point() read only the node value itself, are safe on a
 * null node, and are called as they are; so is any accessor on a tree's
 * root node, which is never null.
 */
#ifndef PYSEC_NODE_H
#define PYSEC_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <tree_sitter/api.h>

static inline TSSymbol node_symbol(TSNode n)
{
	return ts_node_is_null(n) ? 0 : ts_node_symbol(n);
}

static inline const char *node_type(TSNode n)
{
	return ts_node_is_null(n) ? "" : ts_node_type(n);
}

static inline uint32_t node_end_byte(TSNode n)
{
	return ts_node_is_null(n) ? ts_node_start_byte(n) : ts_node_end_byte(n);
}

static inline TSPoint node_end_point(TSNode n)
{
	return ts_node_is_null(n) ? ts_node_start_point(n) : ts_node_end_point(n);
}

static inline uint32_t node_named_child_count(TSNode n)
{
	return ts_node_is_null(n) ? 0 : ts_node_named_child_count(n);
}

static inline TSNode node_child(TSNode n, uint32_t i)
{
	return ts_node_is_null(n) ? n : ts_node_child(n, i);
}

static inline TSNode node_named_child(TSNode n, uint32_t i)
{
	return ts_node_is_null(n) ? n : ts_node_named_child(n, i);
}

static inline TSNode node_child_by_field_id(TSNode n, TSFieldId f)
{
	return ts_node_is_null(n) ? n : ts_node_child_by_field_id(n, f);
}

static inline bool node_has_error(TSNode n)
{
	return !ts_node_is_null(n) && ts_node_has_error(n);
}

static inline bool node_is_missing(TSNode n)
{
	return !ts_node_is_null(n) && ts_node_is_missing(n);
}

static inline TSNode node_parent(TSNode n)
{
	return ts_node_is_null(n) ? n : ts_node_parent(n);
}

/*
 * A node's named children in order.  ts_node_named_child(n, i) counts from
 * the first child on every call, so a loop over i is quadratic in the
 * children (an implicit concatenation of 10,000 strings, a call with
 * 10,000 arguments); a tree cursor steps to the next child, but costs more
 * than counting for the few children most nodes have.  So this counts up
 * to ITER_COUNT_MAX children, and uses a cursor past that.
 *
 *	struct node_iter it;
 *	TSNode c;
 *	for (node_iter_init(&it, n); node_iter_next_named(&it, &c);)
 *		...
 *	node_iter_end(&it);
 *
 * The iterator frees its cursor when it runs out; node_iter_end() is for
 * a loop left early, and is harmless after the end.
 */
#define ITER_COUNT_MAX 8

struct node_iter {
	TSNode parent;
	uint32_t next, count;	/* counting: the next child's index, of count */
	TSTreeCursor cur;
	int state;		/* ITER_START, ITER_ON, ITER_DONE, ITER_COUNTING */
};

enum { ITER_START, ITER_ON, ITER_DONE, ITER_COUNTING };

static inline void node_iter_init(struct node_iter *it, TSNode parent)
{
	it->parent = parent;
	it->next = 0;
	it->count = node_named_child_count(parent);
	if (it->count <= ITER_COUNT_MAX) {
		it->state = it->count ? ITER_COUNTING : ITER_DONE;
		return;
	}
	it->cur = ts_tree_cursor_new(parent);
	it->state = ITER_START;
}

static inline void node_iter_end(struct node_iter *it)
{
	if (it->state == ITER_START || it->state == ITER_ON)
		ts_tree_cursor_delete(&it->cur);
	it->state = ITER_DONE;
}

/* The next named child; false (and the iterator ended) past the last. */
static inline bool node_iter_next_named(struct node_iter *it, TSNode *child)
{
	bool more;

	if (it->state == ITER_COUNTING) {
		if (it->next < it->count) {
			*child = ts_node_named_child(it->parent, it->next++);
			return true;
		}
		it->state = ITER_DONE;
	}
	while (it->state == ITER_START || it->state == ITER_ON) {
		more = it->state == ITER_START ? ts_tree_cursor_goto_first_child(&it->cur)
					       : ts_tree_cursor_goto_next_sibling(&it->cur);
		if (!more)
			break;
		it->state = ITER_ON;
		*child = ts_tree_cursor_current_node(&it->cur);
		if (ts_node_is_named(*child))
			return true;
	}
	node_iter_end(it);
	return false;
}

#endif
