/*
 * focus.h: which parts of a Python file to parse for its touched lines
 * (focus.c says how, README.md's "How a change is parsed" says why).
 */
#ifndef PYSEC_FOCUS_H
#define PYSEC_FOCUS_H

#include <tree_sitter/api.h>
#include "pysec.h"
#include "util.h"
#include "lines.h"
#include "strmap.h"

/* A statement outside the parsed ranges that can change how names resolve. */
struct focus_context {
	uint32_t file_offset;		/* where it is in the file (its line's start) */
	uint32_t file_code;		/* where its first token is: the copy's first byte */
	uint32_t offset;		/* where its copy starts in focus.text */
	uint8_t cond;			/* inside an if, loop, try or with at module level */
	uint8_t bind;			/* 0: an import replayed only for `imported` (it is in a function) */
};

struct focus {
	TSRange *ranges;		/* the parts of the file to parse: sorted, disjoint */
	size_t nranges, ranges_cap;
	struct focus_context *context;	/* in file order */
	size_t ncontext, context_cap;
	struct buf text;		/* the context statements, one per line, unindented */
};

/*
 * Which parts of Python file `src` to parse for the `touched` lines;
 * `always` holds the words of the modules the rules' `imported` predicates
 * name (their imports are always replayed).  Returns 1 when parsing only
 * those parts is worth it (then focus_free() `f`), 0 when the whole file
 * should be parsed.
 */
int focus_plan(struct focus *f, const char *src, size_t len, const struct lineset *touched,
	const struct strmap *always);
/*
 * Which parts of Python file `src` a full scan parses: the statements
 * that hold what some clause needs (`needles`, needle.h), so that the
 * findings are the whole file's.  Returns 1 when that is worth it, 0 when
 * the whole file should be parsed.
 */
struct needle_set;
int focus_plan_needles(struct focus *f, const char *src, size_t len, const struct needle_set *needles,
	const struct strmap *always);
void focus_free(struct focus *f);

#endif
