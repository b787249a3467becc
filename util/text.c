/* text.c: UTF-8, whole numbers and hashing. */
#include "util.h"

#include <git2.h>

size_t utf8_decode(const unsigned char *s, uint32_t *cp)
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
