/* arena.h: tree-sitter's memory, one arena per file (arena.c says why). */
#ifndef PYSEC_ARENA_H
#define PYSEC_ARENA_H

struct arena;

/* Route tree-sitter's allocations through this module (before any parse; the first call does it, the others nothing). */
void arena_install(void);
/* From now until arena_end(), this thread's tree-sitter allocations come from a new arena. */
struct arena *arena_begin(void);
/* Release everything allocated in the arena at once (its memory is kept for the thread's next arena). */
void arena_end(struct arena *a);
/* Give the memory kept for this thread's next arena back (before the thread ends). */
void arena_release_spares(void);

#endif
