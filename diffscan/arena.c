/*
 * arena.c: tree-sitter's memory, one arena per file.
 *
 * libtree-sitter 0.20.7 (Debian bookworm's) frees memory twice, or frees a
 * pointer into the middle of a block, after error recovery on some inputs
 * of tens of thousands of broken tokens (fixed upstream in 0.20.8; found
 * here by the unit tests).  Such input is never valid Python, but it must
 * not bring the scan down.  So every allocation tree-sitter makes while a
 * file is parsed and walked comes from an arena of the file's own: blocks
 * of power-of-two classes with a header that marks them free, so a second
 * free, or a free of a pointer into a block's middle, changes nothing; and
 * all of it goes at once when the file is done (kept for the thread's next
 * file).  It is also cheaper than malloc for tree-sitter's many small
 * blocks.
 *
 * ts_set_allocator() is process-wide, so the arena in use is per thread;
 * a thread without one gets plain malloc.
 */
#include "arena.h"
#include "pysec.h"
#include "util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <tree_sitter/api.h>

#define CHUNK_MIN (256 * 1024)
#define CHUNK_MAX (16 * 1024 * 1024)
#define ALIGN 16
#define MAGIC 0x70797365u	/* "pyse" */
#define NCLASSES 48

struct chunk {
	struct chunk *next;
	char *base, *end, *free;
};

struct arena {
	struct chunk *chunks;
	size_t next_size;
	struct header *free_lists[NCLASSES];	/* by power-of-two class; the link is in the block */
};

/*
 * Each block starts with a header: its size class, for realloc and reuse,
 * and whether it is free, so that a second free of it changes nothing.
 */
struct header {
	uint32_t magic;
	uint32_t free;
	size_t size;		/* usable bytes (the class size) */
};



static _Thread_local struct arena *current;
/*
 * Chunks of finished arenas, kept for the thread's next file: no mmap and
 * no page faults again.  Up to 8 MiB a thread, what most files need: the
 * spares stay resident while the thread lives, and with 64 MiB the chunks
 * of the tip's largest files stayed through a whole import's history scan
 * (15 MB more peak memory on numpy's 30,000 commits, bench/README.md) for
 * no measurable gain in `scan --full`.
 */
static _Thread_local struct chunk *spare;
static _Thread_local size_t spare_bytes;
#define SPARE_MAX (8 * 1024 * 1024)

static struct chunk *chunk_new(size_t need)
{
	size_t size = need + sizeof(struct chunk) + ALIGN;
	struct chunk *c;
	void *mem;

	if (size < CHUNK_MIN)
		size = CHUNK_MIN;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fputs("pysec: out of memory (parser arena)\n", stderr);
		abort();
	}
	c = mem;
	c->base = (char *)mem;
	c->end = c->base + size;
	c->free = c->base + ((sizeof(struct chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1));
	return c;
}

/* A spare chunk with room for `need`, or a new one. */
static struct chunk *chunk_get(size_t need)
{
	struct chunk **pc;

	for (pc = &spare; *pc; pc = &(*pc)->next) {
		struct chunk *c = *pc;
		size_t room = (size_t)(c->end - c->base) - ((sizeof(struct chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1));
		if (room >= need) {
			*pc = c->next;
			spare_bytes -= (size_t)(c->end - c->base);
			c->free = c->base + ((sizeof(struct chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1));
			return c;
		}
	}
	return chunk_new(need);
}

static unsigned size_class(size_t size, size_t *rounded)
{
	unsigned k = 5;	/* 32 bytes at least */

	while (((size_t)1 << k) < size && k < NCLASSES - 1)
		k++;
	*rounded = (size_t)1 << k;
	return k;
}

static void *arena_alloc(struct arena *a, size_t size)
{
	size_t rounded, need;
	unsigned k = size_class(size, &rounded);
	struct chunk *c = a->chunks;
	struct header *h = a->free_lists[k];

	if (h) {
		a->free_lists[k] = *(struct header **)(h + 1);
		h->free = 0;
		return h + 1;
	}
	need = rounded + sizeof(struct header);
	if (!c || (size_t)(c->end - c->free) < need) {
		size_t want = a->next_size > need ? a->next_size : need;
		c = chunk_get(want);
		c->next = a->chunks;
		a->chunks = c;
		if (a->next_size < CHUNK_MAX)
			a->next_size *= 2;
	}
	h = (struct header *)c->free;
	c->free += need;
	h->magic = MAGIC;
	h->free = 0;
	h->size = rounded;
	return h + 1;
}

/* Back to its class's free list; a second free, or a pointer into a block's middle, is ignored. */
static void arena_release(struct arena *a, void *p)
{
	struct header *h = (struct header *)p - 1;
	size_t rounded;
	unsigned k;

	if (((uintptr_t)p & (ALIGN - 1)) || h->magic != MAGIC || h->free)
		return;
	k = size_class(h->size, &rounded);
	if (rounded != h->size)
		return;
	h->free = 1;
	*(struct header **)(h + 1) = a->free_lists[k];
	a->free_lists[k] = h;
}

static int arena_owns(const struct arena *a, const void *p)
{
	const struct chunk *c;

	for (c = a ? a->chunks : NULL; c; c = c->next)
		if ((const char *)p >= c->base && (const char *)p < c->end)
			return 1;
	return 0;
}

static void *ts_arena_malloc(size_t size)
{
	return current ? arena_alloc(current, size) : xmalloc(size);
}

static void *ts_arena_calloc(size_t count, size_t size)
{
	void *p;

	if (count && size > SIZE_MAX / count)
		return NULL;
	if (!current)
		return xcalloc(count, size);
	p = arena_alloc(current, count * size);
	memset(p, 0, count * size);	/* a spare chunk is not zero */
	return p;
}

static void *ts_arena_realloc(void *p, size_t size)
{
	const struct header *h;
	void *q;

	if (!current || (p && !arena_owns(current, p)))
		return xrealloc(p, size);
	if (p) {
		h = (const struct header *)p - 1;
		if (h->magic == MAGIC && !h->free && size <= h->size)
			return p;	/* the class has room already */
	}
	q = arena_alloc(current, size);
	if (p) {
		memcpy(q, p, h->size < size ? h->size : size);
		arena_release(current, p);
	}
	return q;
}

static void ts_arena_free(void *p)
{
	if (!p)
		return;
	if (current && arena_owns(current, p))
		arena_release(current, p);
	else
		free(p);
}

static void install_allocator(void)
{
	ts_set_allocator(ts_arena_malloc, ts_arena_calloc, ts_arena_realloc, ts_arena_free);
}

void arena_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install_allocator);
}

struct arena *arena_begin(void)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->next_size = CHUNK_MIN;
	current = a;
	return a;
}

void arena_end(struct arena *a)
{
	struct chunk *c = a->chunks;

	current = NULL;
	while (c) {
		struct chunk *next = c->next;
		size_t size = (size_t)(c->end - c->base);
		if (spare_bytes + size <= SPARE_MAX) {
			c->next = spare;
			spare = c;
			spare_bytes += size;
		} else {
			munmap(c->base, size);
		}
		c = next;
	}
	free(a);
}

void arena_release_spares(void)
{
	while (spare) {
		struct chunk *next = spare->next;
		munmap(spare->base, (size_t)(spare->end - spare->base));
		spare = next;
	}
	spare_bytes = 0;
}
