/* strmap.c: a string-keyed hash map with open addressing (linear probing). */
#include "strmap.h"
#include "pysec.h"
#include "util.h"

#include <stdlib.h>

static size_t slot_for(const struct strmap *m, const char *key, size_t keylen, uint64_t h)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;

	for (;;) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && !strncmp(s->key, key, keylen) && s->key[keylen] == '\0'))
			return i;
		i = (i + 1) & mask;
	}
}

void *strmap_get(const struct strmap *m, const char *key, size_t keylen)
{
	uint64_t h;
	size_t i;

	if (!m->len)
		return NULL;
	h = hash_bytes(key, keylen, HASH_SEED);
	i = slot_for(m, key, keylen, h);
	return m->slots[i].key ? m->slots[i].value : NULL;
}

int strmap_has(const struct strmap *m, const char *key, size_t keylen)
{
	if (!m->len)
		return 0;
	return m->slots[slot_for(m, key, keylen, hash_bytes(key, keylen, HASH_SEED))].key != NULL;
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < old.cap; i++) {
		struct strmap_slot *s = &old.slots[i];
		if (s->key) {
			size_t j = slot_for(m, s->key, strlen(s->key), s->hash);
			m->slots[j] = *s;
		}
	}
	free(old.slots);
}

void strmap_put(struct strmap *m, const char *key, size_t keylen, void *value)
{
	uint64_t h = hash_bytes(key, keylen, HASH_SEED);
	struct strmap_slot *s;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	s = &m->slots[slot_for(m, key, keylen, h)];
	if (s->key) {
		if (m->free_value && s->value != value)
			m->free_value(s->value);
		s->value = value;
		return;
	}
	s->key = xstrndup(key, keylen);
	s->hash = h;
	s->value = value;
	m->len++;
}

void strmap_clear(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key) {
			free(m->slots[i].key);
			if (m->free_value)
				m->free_value(m->slots[i].value);
		}
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}
