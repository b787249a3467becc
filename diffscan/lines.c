/* lines.c: sets of touched lines as sorted, disjoint ranges. */
#include "lines.h"
#include "pysec.h"
#include "util.h"

#include <stdlib.h>

/* Insert [start, start + count) and merge what now overlaps or touches. */
void lineset_add(struct lineset *set, uint32_t start, uint32_t count)
{
	uint32_t end;
	size_t i, j;

	if (!count || set->all)
		return;
	end = start + count < start ? UINT32_MAX : start + count;
	for (i = 0; i < set->len && set->ranges[i].end < start; i++)
		;
	if (i == set->len || set->ranges[i].start > end) {
		array_reserve((void **)&set->ranges, &set->cap, set->len + 1, sizeof(*set->ranges));
		memmove(&set->ranges[i + 1], &set->ranges[i], (set->len - i) * sizeof(*set->ranges));
		set->ranges[i].start = start;
		set->ranges[i].end = end;
		set->len++;
		return;
	}
	if (start < set->ranges[i].start)
		set->ranges[i].start = start;
	if (end > set->ranges[i].end)
		set->ranges[i].end = end;
	for (j = i + 1; j < set->len && set->ranges[j].start <= set->ranges[i].end; j++)
		if (set->ranges[j].end > set->ranges[i].end)
			set->ranges[i].end = set->ranges[j].end;
	memmove(&set->ranges[i + 1], &set->ranges[j], (set->len - j) * sizeof(*set->ranges));
	set->len -= j - i - 1;
}

void lineset_union(struct lineset *dst, const struct lineset *src)
{
	size_t i;

	if (src->all) {
		dst->all = 1;
		return;
	}
	for (i = 0; i < src->len; i++)
		lineset_add(dst, src->ranges[i].start, src->ranges[i].end - src->ranges[i].start);
}

static int range_ends_by(const void *range, const void *line)
{
	return ((const struct linerange *)range)->end <= *(const uint32_t *)line;
}

int lineset_hits(const struct lineset *set, uint32_t first, uint32_t last)
{
	size_t lo;

	if (set->all)
		return 1;
	/* the first range whose end is past `first` */
	lo = array_partition(set->ranges, set->len, sizeof(*set->ranges), &first, range_ends_by);
	return lo < set->len && set->ranges[lo].start <= last;
}

void lineset_clear(struct lineset *set)
{
	free(set->ranges);
	set->ranges = NULL;
	set->len = set->cap = 0;
	set->all = 0;
}

/* Keep only the lines that are also in `other`. */
void lineset_intersect(struct lineset *set, const struct lineset *other)
{
	struct lineset out = { 0 };
	size_t i, k;

	if (other->all)
		return;
	if (set->all) {
		lineset_clear(set);
		lineset_union(set, other);
		return;
	}
	for (i = 0; i < set->len; i++)
		for (k = 0; k < other->len; k++) {
			uint32_t lo = set->ranges[i].start > other->ranges[k].start ? set->ranges[i].start : other->ranges[k].start;
			uint32_t hi = set->ranges[i].end < other->ranges[k].end ? set->ranges[i].end : other->ranges[k].end;
			if (lo < hi)
				lineset_add(&out, lo, hi - lo);
		}
	lineset_clear(set);
	*set = out;
}
