/*
 * emit.c: what every report writer emits with: the findings an output
 * shows, JSON strings from bytes that need not be UTF-8, UTF-8 repair, and
 * times.
 */
#include "emit.h"

#include <stdlib.h>
#include <time.h>

const char *emit_entry_word(pysec_entry_kind k)
{
	return k == PYSEC_ENTRY_ERROR ? "error" : k == PYSEC_ENTRY_SKIPPED ? "skipped" : "warning";
}

int emit_shows(const pysec_finding *f, const pysec_write_options *o)
{
	return pysec_finding_counts(f, &o->threshold);
}

/* The length of the valid UTF-8 sequence at `s` (RFC 3629: no overlongs, surrogates or past U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

char *emit_utf8(const char *s)
{
	struct buf b = BUF_INIT(SIZE_MAX);
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_sequence(p);
		if (n) {
			buf_put(&b, p, n);
			p += n;
		} else {
			buf_puts(&b, "\xef\xbf\xbd");
			p++;
		}
	}
	return buf_detach(&b);
}

json_t *emit_json_string(const char *s)
{
	json_t *v;
	char *clean;

	if (!s)
		return json_null();
	if ((v = json_string(s)) != NULL)
		return v;
	/* content is not always UTF-8; JSON strings must be */
	clean = emit_utf8(s);
	v = json_string(clean);
	free(clean);
	return v ? v : json_null();
}

json_t *emit_json_each(const pysec_report *r, const pysec_write_options *o, json_t *(*one)(const pysec_finding *f))
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < pysec_report_finding_count(r); i++)
		if (emit_shows(pysec_report_finding(r, i), o))
			json_array_append_new(arr, one(pysec_report_finding(r, i)));
	return arr;
}

int emit_json_dump(json_t *root, FILE *out)
{
	int rc = root ? json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;

	fputc('\n', out);
	json_decref(root);
	return rc == 0 && !ferror(out) ? 0 : error_set(PYSEC_ERROR, "cannot write the report");
}

void emit_utc(char out[32], double t, int zone)
{
	time_t when = t > 0 ? (time_t)t : time(NULL);
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(out, 32, zone ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S", &tm);
}
