/*
 * emit.h: what every report writer (format.c and each format_*.c) emits
 * with.  Content is hostile: paths, messages and code may hold any byte.
 */
#ifndef PYSEC_EMIT_H
#define PYSEC_EMIT_H

#include <jansson.h>
#include <stdio.h>
#include "pysec.h"
#include "util.h"

/* Is `f` in the output: its confidence reaches the floor, and it is not suppressed. */
int emit_shows(const pysec_finding *f, const pysec_write_options *o);
/* "error", "skipped" or "warning". */
const char *emit_entry_word(pysec_entry_kind kind);
/*
 * A JSON string of `s`, which need not be UTF-8 (a byte that is not part
 * of a valid sequence becomes U+FFFD); JSON null for NULL.
 */
json_t *emit_json_string(const char *s);
/* A JSON array of one(f) for every finding the output shows. */
json_t *emit_json_each(const pysec_report *r, const pysec_write_options *o, json_t *(*one)(const pysec_finding *f));
/* Write `root` (indented, keys in insertion order, a newline after) and release it. */
int emit_json_dump(json_t *root, FILE *out);
/* `t` (seconds since the epoch; 0: now) as ISO 8601 UTC, "2026-01-31T12:00:00" plus "Z" when `zone`. */
void emit_utc(char out[32], double t, int zone);
/*
 * `s` made valid UTF-8: each byte that is not part of a valid sequence
 * becomes U+FFFD.  Returns a new string.
 */
char *emit_utf8(const char *s);

#endif
