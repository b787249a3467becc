/*
 * format.h: the report writers.  format.c holds text, JSON and push lines,
 * the helpers below and pysec_report_write(), which picks the writer; each
 * other format has its file (format_sarif.c, format_codequality.c,
 * format_sast.c, format_junit.c, format_rdjson.c, format_github.c).
 *
 * A writer reads the report through pysec.h's accessors only, writes all
 * of it to `out`, and returns 0, or PYSEC_ERROR with the error set when
 * the output cannot be written.  Content is hostile: paths, messages and
 * code may hold any byte, and every writer escapes them for its format.
 */
#ifndef PYSEC_FORMAT_H
#define PYSEC_FORMAT_H

#include <jansson.h>
#include <stdio.h>
#include "common.h"

int format_sarif_write(const pysec_report *r, const pysec_write_options *o, FILE *out);
int format_codequality_write(const pysec_report *r, const pysec_write_options *o, FILE *out);
int format_sast_write(const pysec_report *r, const pysec_write_options *o, FILE *out);
int format_junit_write(const pysec_report *r, const pysec_write_options *o, FILE *out);
int format_rdjson_write(const pysec_report *r, const pysec_write_options *o, FILE *out);
int format_github_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

/* Is `f` in the output: its confidence reaches the floor, and it is not suppressed. */
int format_shows(const pysec_finding *f, const pysec_write_options *o);
/* "error", "skipped" or "warning". */
const char *format_entry_word(pysec_entry_kind kind);
/*
 * A JSON string of `s`, which need not be UTF-8 (a byte that is not part
 * of a valid sequence becomes U+FFFD); JSON null for NULL.
 */
json_t *format_json_string(const char *s);
/* A JSON array of one(f) for every finding the output shows. */
json_t *format_json_each(const pysec_report *r, const pysec_write_options *o, json_t *(*one)(const pysec_finding *f));
/* Write `root` (indented, keys in insertion order, a newline after) and release it. */
int format_json_dump(json_t *root, FILE *out);
/* `t` (seconds since the epoch; 0: now) as ISO 8601 UTC, "2026-01-31T12:00:00" plus "Z" when `zone`. */
void format_utc(char out[32], double t, int zone);
/*
 * `s` made valid UTF-8: each byte that is not part of a valid sequence
 * becomes U+FFFD.  Returns a new string.
 */
char *format_utf8(const char *s);

#endif
