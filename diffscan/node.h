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

#endif
