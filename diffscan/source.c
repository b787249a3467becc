/* source.c: which files are Python, and which cannot be scanned as text. */
#include "source.h"
#include "pysec.h"
#include "util.h"

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* By name alone: *.py and *.pyw are Python; an extension-less file may be. */
int source_maybe_python(const char *path)
{
	const char *base = basename_of(path);

	return has_suffix(base, ".py") || has_suffix(base, ".pyw") || !strchr(base, '.');
}

int source_is_python(const char *path, const char *data, size_t len)
{
	const char *base = basename_of(path), *eol;

	if (has_suffix(base, ".py") || has_suffix(base, ".pyw"))
		return 1;
	if (strchr(base, '.') || len < 2 || data[0] != '#' || data[1] != '!')
		return 0;
	eol = memchr(data, '\n', len < 256 ? len : 256);
	return memmem(data, eol ? (size_t)(eol - data) : (len < 256 ? len : 256), "python", 6) != NULL;
}

#define LFS_POINTER "version https://git-lfs.github.com/spec/v1"

const char *source_skip_reason(const char *data, size_t len)
{
	size_t probe = len < 8000 ? len : 8000;

	if (len >= sizeof(LFS_POINTER) - 1 && !memcmp(data, LFS_POINTER, sizeof(LFS_POINTER) - 1))
		return "Git LFS pointer, its content is not in the repository yet";
	/* git's own test for binary content: a NUL byte near the start */
	if (memchr(data, '\0', probe))
		return "binary content (a NUL byte), not Python source";
	return NULL;
}

size_t source_skip_string(const char *s, size_t len, size_t i)
{
	char q = s[i];
	int triple = i + 2 < len && s[i + 1] == q && s[i + 2] == q;

	i += triple ? 3 : 1;
	while (i < len) {
		if (s[i] == '\\') {
			i += 2;	/* even in a raw string a backslash keeps the quote in */
			continue;
		}
		if (!triple && s[i] == '\n')
			return i;	/* unterminated: the tokenizer stops at the line end */
		if (s[i] == q && (!triple || (i + 2 < len && s[i + 1] == q && s[i + 2] == q)))
			return i + (triple ? 3 : 1);
		i++;
	}
	return len;
}

static void put_utf8(struct buf *out, uint32_t cp)
{
	unsigned char b[4];

	buf_put(out, b, text_utf8_encode(b, cp));
}

/* Decode one backslash escape at s (s[0] == '\\'); returns bytes consumed. */
static size_t decode_escape(const char *s, size_t len, struct buf *out)
{
	static const char simple[] = "n\nt\tr\r\\\\''\"\"a\ab\bf\fv\v0\0";
	uint32_t cp = 0;
	size_t i, want;

	if (len < 2) {
		buf_put(out, s, len);
		return len;
	}
	if (s[1] == '\n')
		return 2;
	for (i = 0; simple[i]; i += 2)
		if (s[1] == simple[i] && !(s[1] == '0' && len > 2 && s[2] >= '0' && s[2] <= '7')) {
			buf_put(out, &simple[i + 1], 1);
			return 2;
		}
	if (s[1] >= '0' && s[1] <= '7') {
		for (i = 1; i < 4 && i < len && s[i] >= '0' && s[i] <= '7'; i++)
			cp = cp * 8 + (uint32_t)(s[i] - '0');
		put_utf8(out, cp);
		return i;
	}
	want = s[1] == 'x' ? 2 : s[1] == 'u' ? 4 : s[1] == 'U' ? 8 : 0;
	if (want && len >= 2 + want) {
		for (i = 0; i < want; i++) {
			int h = hex_digit_value((unsigned char)s[2 + i]);
			if (h < 0)
				break;
			cp = cp * 16 + (uint32_t)h;
		}
		if (i == want) {
			put_utf8(out, cp);
			return 2 + want;
		}
	}
	buf_put(out, s, 2);	/* unknown escapes stay as written, as in Python */
	return 2;
}

void source_decode_string(const char *t, size_t len, int raw, struct buf *out)
{
	size_t i = 0;

	if (raw) {
		buf_put(out, t, len);
		return;
	}
	while (i < len) {
		const char *bs = memchr(t + i, '\\', len - i);
		size_t run = bs ? (size_t)(bs - (t + i)) : len - i;
		buf_put(out, t + i, run);
		i += run;
		if (i < len)
			i += decode_escape(t + i, len - i, out);
	}
}

int source_is_keyword(const char *s, size_t n)
{
	static const char *const by_first[128][6] = {
		['F'] = { "False" }, ['N'] = { "None" }, ['T'] = { "True" },
		['a'] = { "and", "as", "assert", "async", "await" }, ['b'] = { "break" }, ['c'] = { "class", "continue" },
		['d'] = { "def", "del" }, ['e'] = { "elif", "else", "except" }, ['f'] = { "finally", "for", "from" },
		['g'] = { "global" }, ['i'] = { "if", "import", "in", "is" }, ['l'] = { "lambda" },
		['n'] = { "nonlocal", "not" }, ['o'] = { "or" }, ['p'] = { "pass" }, ['r'] = { "raise", "return" },
		['t'] = { "try" }, ['w'] = { "while", "with" }, ['y'] = { "yield" },
	};
	unsigned char c = n ? (unsigned char)s[0] : 0;
	size_t k;

	if (n < 2 || n > 8 || c >= 128)
		return 0;
	for (k = 0; k < 6 && by_first[c][k]; k++) {
		const char *w = by_first[c][k];
		size_t j;
		for (j = 1; j < n && w[j] == s[j]; j++)
			;
		if (j == n && !w[n])
			return 1;
	}
	return 0;
}

/* What source_bracket_depth() stops at; it passes every other byte in a tight loop. */
enum { BYTE_PLAIN, BYTE_COMMENT, BYTE_QUOTE, BYTE_OPEN, BYTE_CLOSE };
static const unsigned char bracket_class[256] = {
	['#'] = BYTE_COMMENT, ['"'] = BYTE_QUOTE, ['\''] = BYTE_QUOTE,
	['('] = BYTE_OPEN, ['['] = BYTE_OPEN, ['{'] = BYTE_OPEN,
	[')'] = BYTE_CLOSE, [']'] = BYTE_CLOSE, ['}'] = BYTE_CLOSE,
};

size_t source_bracket_depth(const char *s, size_t len, size_t limit)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, depth = 0, max = 0;

	for (;;) {
		const char *nl;
		while (i < len && bracket_class[u[i]] == BYTE_PLAIN)
			i++;
		if (i >= len)
			return max;
		switch (bracket_class[u[i]]) {
		case BYTE_COMMENT:
			nl = memchr(s + i, '\n', len - i);
			i = nl ? (size_t)(nl - s) : len;
			break;
		case BYTE_QUOTE:
			i = source_skip_string(s, len, i);
			break;
		case BYTE_OPEN:
			if (++depth > max && (max = depth) > limit)
				return max;
			i++;
			break;
		default:
			depth -= depth > 0;
			i++;
			break;
		}
	}
}
