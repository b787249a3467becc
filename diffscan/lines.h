/* lines.h: sets of line numbers (the lines a change touches), as sorted ranges. */
#ifndef PYSEC_LINES_H
#define PYSEC_LINES_H

#include <stddef.h>
#include <stdint.h>

/* Sorted, disjoint, 1-based half-open ranges [start, end); all=1 means every line. */
struct lineset {
	struct linerange { uint32_t start, end; } *ranges;
	size_t len, cap;
	int all;
};

void lineset_add(struct lineset *set, uint32_t start, uint32_t count);
void lineset_union(struct lineset *dst, const struct lineset *src);
void lineset_intersect(struct lineset *set, const struct lineset *other);
/* True when some line in [first, last] (1-based, inclusive) is in the set. */
int lineset_hits(const struct lineset *set, uint32_t first, uint32_t last);
void lineset_clear(struct lineset *set);

#endif
