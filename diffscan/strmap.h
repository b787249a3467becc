/* strmap.h: a map from strings to pointers (open addressing); keys and values owned. */
#ifndef PYSEC_STRMAP_H
#define PYSEC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap {
	struct strmap_slot { char *key; void *value; uint64_t hash; } *slots;
	size_t cap, len;
	void (*free_value)(void *);
};

void *strmap_get(const struct strmap *m, const char *key, size_t keylen);
/* Is the key there, whatever its value (NULL too)? */
int strmap_has(const struct strmap *m, const char *key, size_t keylen);
/* Insert or replace; the map takes `value` (and frees the old one). */
void strmap_put(struct strmap *m, const char *key, size_t keylen, void *value);
void strmap_clear(struct strmap *m);

#endif
