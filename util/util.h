/*
 * util.h: the utility room, shared by every other (the core, forge, the
 * daemon, the hook protocol, the front ends), as libgit2's src/util and
 * git's strbuf are: allocation that dies on out-of-memory (a scan is a
 * bounded job; git, redis and tree-sitter make the same choice), growable
 * arrays, buffers capped when they are created, the thread's error
 * message, clocks, hashing, number parsing and reading whole files.
 *
 * Nothing here knows pysec: util includes only system headers and
 * libgit2's (for git-config values), and links into git-pysec, which has
 * no network library.
 */
#ifndef PYSEC_UTIL_H
#define PYSEC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The sanitizer builds (SANITIZE=1: the tests' second run, the fuzzers)
 * define PYSEC_SELF_CHECK: a fast path then also takes the slow way it
 * stands for, and aborts if the two answers differ, so that the tests and
 * fuzzing find any input where they do.
 */
#ifdef PYSEC_SELF_CHECK
#include <stdlib.h>
#define SELF_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: self-check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)
#endif

/* --- alloc.c --------------------------------------------------------------- */

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow `*ptr` (of `*cap` elements of `size`) to hold at least `need`. */
void array_reserve(void **ptr, size_t *cap, size_t need, size_t size);
#define ARRAY_PUSH(ptr, len, cap) \
	(array_reserve((void **)&(ptr), &(cap), (len) + 1, sizeof(*(ptr))), &(ptr)[(len)++])

/*
 * Binary search of a sorted array of `n` elements of `size`: the number of
 * leading elements for which `before(element, key)` holds, which must be a
 * prefix of the array (the index of the first element not before `key`).
 * Inline, so that a comparison known where it is called is inlined too.
 */
static inline size_t array_partition(const void *base, size_t n, size_t size, const void *key,
	int (*before)(const void *element, const void *key))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (before((const char *)base + mid * size, key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Free a string that held a secret (a token, a webhook secret), wiping it first; NULL is fine. */
void secret_free(char *s);

/*
 * A pool: many small allocations that live and die together (a rule set's
 * strings and vectors), carved from a few large blocks and freed at once
 * by pool_clear(), so that none is freed alone.  POOL_INIT, or zeroed.
 */
struct pool_block;
struct pool {
	struct pool_block *blocks;
	size_t used, cap;	/* bytes used of the newest block, and its size */
};
#define POOL_INIT { NULL, 0, 0 }
/* `size` bytes aligned for any type. */
void *pool_alloc(struct pool *p, size_t size);
/* A copy of `len` bytes of `s`, ended by a NUL. */
char *pool_strndup(struct pool *p, const char *s, size_t len);
void pool_clear(struct pool *p);

/* --- buf.c ----------------------------------------------------------------- */

/*
 * A byte buffer with a hard cap set when it is created, as curl's dynbuf:
 * whatever feeds it, it never grows past `max` (buf_put returns -1 then).
 */
struct buf {
	char *ptr;
	size_t len, cap, max;
};
#define BUF_INIT(max) { NULL, 0, 0, (max) }
int buf_put(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents as a NUL-terminated string ("" when empty). */
const char *buf_cstr(const struct buf *b);
/* Hand the string over to the caller (who frees it) and empty the buffer. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

/* --- error.c --------------------------------------------------------------- */

/*
 * Set this thread's error message, of any length; returns `code` so callers
 * can `return error_set(...)`.  The arguments may include error_last(), to
 * add where.  Out of memory, the message is cut to what a static buffer
 * holds (1023 bytes), never lost.
 */
int error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* This thread's last error message, never NULL. */
const char *error_last(void);

/* --- file.c ---------------------------------------------------------------- */

enum {
	FILE_NOFOLLOW = 1,	/* a symbolic link is not followed (errno ELOOP) */
	FILE_REGULAR = 2,	/* only a regular file (else errno EINVAL): a FIFO or a device would block or babble */
};

/*
 * Read the whole file at `path` into `b`, at most its cap (past it: -1 with
 * errno EFBIG, found from the file's size before anything is read where it
 * has one).  0, or -1 with errno; `b` may then hold part of the file.
 */
int file_read(struct buf *b, const char *path, unsigned flags);
/* Read from `fd` until its end into `b`, at most its cap (past it: -1 with errno EFBIG). */
int fd_read_all(struct buf *b, int fd);
/*
 * The first line of the file at `path` (a token or secret file), without its
 * line break and trailing blanks, in a new string the caller frees with
 * secret_free() ("" when the line is empty).  At most 64 KiB; `flags` as
 * for file_read().  0, or -1 with errno.
 */
int file_read_secret(char **out, const char *path, unsigned flags);

/* --- text.c ---------------------------------------------------------------- */

/* Decode one UTF-8 sequence at `s`: its length, with *cp set, or 0 when it is not valid UTF-8. */
size_t text_utf8_decode(const unsigned char *s, uint32_t *cp);
/* Encode the code point `cp` as UTF-8 into `out` (past U+10FFFF: U+FFFD); its length, 1 to 4. */
size_t text_utf8_encode(unsigned char out[4], uint32_t cp);
/* The value of the hexadecimal digit `c`, or -1 when it is not one. */
int hex_digit_value(int c);
/* Characters that hide or reorder text (Trojan Source: bidirectional controls) and C1 controls. */
int codepoint_is_sneaky(uint32_t c);

/*
 * A whole number in decimal digits only (no sign, blank or prefix: " -1"
 * and "0x10" are not numbers), at most `max`: for flags, the environment
 * and protocols.  0, or -1 when it is not one.
 */
int parse_uint(unsigned long long *out, const char *s, unsigned long long max);
/*
 * A whole number from 0 to `max` written as git-config writes one (read by
 * libgit2's git_config_parse_int64: "10", "64k", "0x10"): for settings.
 * 0, or -1 when it is not one.
 */
int config_parse_uint(unsigned long long *out, const char *s, unsigned long long max);

/*
 * "Did you mean": of the names offered to suggest_try(), the closest to
 * `word` (case aside, counting insertions, deletions, substitutions and
 * swaps of two neighbours), when it is close enough to be a typo of it:
 * suggest_best() is NULL otherwise.  The names must outlive `s`.
 */
struct suggest {
	const char *word;
	const char *best;
	size_t distance;
	size_t most;	/* the most edits a typo makes */
};
void suggest_init(struct suggest *s, const char *word);
void suggest_try(struct suggest *s, const char *name);
const char *suggest_best(const struct suggest *s);

/* 64-bit FNV-1a, for fingerprints and hash tables. */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
#define HASH_SEED 0xcbf29ce484222325ULL

/* --- clock.c --------------------------------------------------------------- */

/* Monotonic seconds, for budgets, deadlines and durations. */
double clock_now(void);
/* Milliseconds since the epoch, for timestamps. */
int64_t clock_wall_ms(void);

/* git's banned.h habit: these make overflow and thread bugs too easy. */
#undef strcpy
#define strcpy(a, b) BANNED_strcpy
#undef strcat
#define strcat(a, b) BANNED_strcat
#undef sprintf
#define sprintf(...) BANNED_sprintf
#undef strtok
#define strtok(a, b) BANNED_strtok

#endif
