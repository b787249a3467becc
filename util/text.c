/* text.c: UTF-8, whole numbers, "did you mean" and hashing. */
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include <git2.h>

size_t text_utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past U+10FFFF are not UTF-8 */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t text_utf8_encode(unsigned char out[4], uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		return text_utf8_encode(out, 0xfffd);
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int codepoint_is_sneaky(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

int parse_uint(unsigned long long *out, const char *s, unsigned long long max)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !*s)
		return -1;
	for (p = s; *p; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9 || d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The power of two a git-config unit suffix stands for (k, m, g), or 0. */
static unsigned unit_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default: return 0;
	}
}

int config_parse_uint(unsigned long long *out, const char *s, unsigned long long max)
{
	size_t n = s ? strlen(s) : 0;
	unsigned shift = n ? unit_shift(s[n - 1]) : 0;
	char digits[64];
	int64_t v;

	if (!n)
		return -1;
	/* libgit2 multiplies by the unit without an overflow check: the unit is applied here */
	if (shift) {
		if (n - 1 >= sizeof(digits) || (n > 1 && unit_shift(s[n - 2])))
			return -1;
		memcpy(digits, s, n - 1);
		digits[n - 1] = '\0';
		s = digits;
	}
	/* libgit2 sets its own error on failure: ours is the caller's message */
	if (git_config_parse_int64(&v, s) < 0) {
		git_error_clear();
		return -1;
	}
	if (v < 0 || (unsigned long long)v > max >> shift)
		return -1;
	*out = (unsigned long long)v << shift;
	return 0;
}

/* The optimal string alignment distance of a and b, ignoring case; past `cap` any value over it. */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d, low_prev;
	size_t *rows, *prev2, *prev, *cur;

	if (la > 256 || lb > 256)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	rows = xcalloc(3 * (lb + 1), sizeof(*rows));
	prev2 = rows;
	prev = prev2 + lb + 1;
	cur = prev + lb + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1, low_prev = 0; i <= la; i++) {
		size_t *t, low = i;
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + !same;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
			if (best < low)
				low = best;
		}
		/* each cell costs at least the least of the two rows above it: past the cap, it stays past */
		if (low > cap && low_prev > cap) {
			free(rows);
			return cap + 1;
		}
		low_prev = low;
		t = prev2, prev2 = prev, prev = cur, cur = t;
	}
	d = prev[lb];
	free(rows);
	return d;
}

void suggest_init(struct suggest *s, const char *word)
{
	size_t len = strlen(word);

	s->word = word;
	s->best = NULL;
	s->distance = (size_t)-1;
	/* one edit in four letters, at least one: B1O1 is B101, fialOn is failOn, severe is nothing */
	s->most = len / 4 ? len / 4 : 1;
}

void suggest_try(struct suggest *s, const char *name)
{
	/* only a name within `most` edits can be offered: the distance past it is not worth computing */
	size_t d = edit_distance(s->word, name, s->distance < s->most ? s->distance : s->most);

	if (d < s->distance && strcasecmp(s->word, name)) {
		s->best = name;
		s->distance = d;
	}
}

const char *suggest_best(const struct suggest *s)
{
	return s->best && s->distance <= s->most ? s->best : NULL;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
