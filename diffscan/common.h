/*
 * common.h: what every file of the core shares: allocation that dies on
 * out-of-memory (a scan is a bounded job; git, redis and tree-sitter make
 * the same choice), growable arrays, bounded buffers and error setting.
 */
#ifndef PYSEC_COMMON_H
#define PYSEC_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pysec.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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
const char *buf_cstr(struct buf *b);
/* Hand the string over to the caller (who frees it) and empty the buffer. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

/* Set this thread's error message; returns `code` so callers can `return error_set(...)`. */
int error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copy libgit2's last error into ours, prefixed with what we were doing. */
int error_from_git(int code, const char *what);

/* Decode one UTF-8 sequence at `s`: its length, with *cp set, or 0 when it is not valid UTF-8. */
size_t utf8_decode(const unsigned char *s, uint32_t *cp);
/* Characters that hide or reorder text (Trojan Source: bidirectional controls) and C1 controls. */
int codepoint_is_sneaky(uint32_t c);

/* Monotonic seconds, for budgets. */
double clock_now(void);

/* 64-bit FNV-1a, for fingerprints and hash tables. */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
#define HASH_SEED 0xcbf29ce484222325ULL

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
