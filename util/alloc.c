/* alloc.c: allocation that dies on out-of-memory, growable arrays, pools, wiping secrets. */
#include "util.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>

static void die_oom(size_t size)
{
	fprintf(stderr, "pysec: out of memory (%zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		die_oom(count * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

char *xstrndup(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return xstrdup("");
	out = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return out;
}

void array_reserve(void **ptr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			die_oom(SIZE_MAX);
		n *= 2;
	}
	*ptr = xrealloc(*ptr, n * size);
	*cap = n;
}

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

struct pool_block {
	struct pool_block *next;
	alignas(max_align_t) unsigned char data[];
};

/* a block's size: the built-in rules fill about 100 KB of strings and vectors */
#define POOL_BLOCK (32 * 1024)

void *pool_alloc(struct pool *p, size_t size)
{
	size_t at = (p->used + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	struct pool_block *b;

	if (p->blocks && at <= p->cap && size <= p->cap - at) {
		p->used = at + size;
		return p->blocks->data + at;
	}
	if (size > SIZE_MAX - sizeof(*b) - POOL_BLOCK)
		die_oom(SIZE_MAX);
	/* a request larger than a block gets a block of its own, behind the current one */
	b = xmalloc(sizeof(*b) + (size > POOL_BLOCK ? size : POOL_BLOCK));
	if (size > POOL_BLOCK && p->blocks) {
		b->next = p->blocks->next;
		p->blocks->next = b;
		return b->data;
	}
	b->next = p->blocks;
	p->blocks = b;
	p->cap = size > POOL_BLOCK ? size : POOL_BLOCK;
	p->used = size;
	return b->data;
}

char *pool_strndup(struct pool *p, const char *s, size_t len)
{
	char *d;

	if (len == SIZE_MAX)
		die_oom(SIZE_MAX);
	d = pool_alloc(p, len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void pool_clear(struct pool *p)
{
	while (p->blocks) {
		struct pool_block *next = p->blocks->next;
		free(p->blocks);
		p->blocks = next;
	}
	p->used = p->cap = 0;
}
