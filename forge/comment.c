/*
 * comment.c: the markdown pysec posts.  Text from the pushed tree (paths,
 * code) is hostile: it goes only into code spans and fenced blocks whose
 * delimiters are longer than any run of backticks in it, with control and
 * bidirectional characters replaced, so it can neither end its block nor
 * add markup, mentions or a fake marker.  Rule texts are prose with the
 * characters that start markup escaped.
 */
#include "forge.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

int comment_text_is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	for (; *p; p += n)
		if (!(n = text_utf8_decode(p, &c)))
			return 0;
	return 1;
}

int comment_text_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	while (*p) {
		if (!(n = text_utf8_decode(p, &c)))
			return 0;
		if ((c < 0x20 && c != '\t') || c == 0x7f || codepoint_is_sneaky(c))
			return 0;
		p += n;
	}
	return 1;
}

/*
 * `s` with bad UTF-8, control and sneaky characters replaced: safe to put
 * in a code span or a table cell.  Tabs become spaces.
 */
static char *clean_copy(const char *s)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	while (*p) {
		if (!(n = text_utf8_decode(p, &c))) {
			buf_puts(&b, REPLACEMENT);
			p++;
			continue;
		}
		if (c == '\t')
			buf_puts(&b, " ");
		else if (c < 0x20 || c == 0x7f || codepoint_is_sneaky(c))
			buf_puts(&b, REPLACEMENT);
		else
			buf_put(&b, p, n);
		p += n;
	}
	return buf_detach(&b);
}

static size_t longest_backtick_run(const char *s)
{
	size_t best = 0, run = 0;

	for (; *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

void comment_md_text(struct buf *b, const char *s)
{
	char *c = clean_copy(s);
	const char *p = c;
	size_t digits = strspn(p, "0123456789");

	/* what would start a list, a heading or a setext line at the start of a paragraph */
	if (*p == '-' || *p == '+' || *p == '=') {
		buf_printf(b, "\\%c", *p);
		p++;
	} else if (digits && digits < 10 && (p[digits] == '.' || p[digits] == ')')) {
		buf_put(b, p, digits);
		buf_printf(b, "\\%c", p[digits]);
		p += digits + 1;
	}
	for (; *p; p++) {
		if (strchr("\\`*_[]<>!|~#&@{}$", *p))
			buf_put(b, "\\", 1);
		buf_put(b, p, 1);
	}
	free(c);
}

void comment_md_code_span(struct buf *b, const char *s, int in_table)
{
	char *c = clean_copy(s);
	size_t run = longest_backtick_run(c) + 1, i, len = strlen(c);
	int pad = len && (c[0] == '`' || c[0] == ' ' || c[len - 1] == '`' || c[len - 1] == ' ');
	const char *p;

	for (i = 0; i < run; i++)
		buf_puts(b, "`");
	if (pad)
		buf_puts(b, " ");
	for (p = c; *p; p++) {
		if (in_table && *p == '|')
			buf_puts(b, "\\");
		buf_put(b, p, 1);
	}
	if (pad)
		buf_puts(b, " ");
	for (i = 0; i < run; i++)
		buf_puts(b, "`");
	free(c);
}

void comment_md_fence(struct buf *b, const char *info, const char *content)
{
	size_t run = longest_backtick_run(content) + 1, i;

	if (run < 3)
		run = 3;
	for (i = 0; i < run; i++)
		buf_puts(b, "`");
	buf_printf(b, "%s\n%s\n", info, content);
	for (i = 0; i < run; i++)
		buf_puts(b, "`");
	buf_puts(b, "\n");
}

void comment_fp_token(const char *fp, char out[65])
{
	size_t n = fp ? strlen(fp) : 0;

	if (n >= 1 && n <= 64 && strspn(fp, "0123456789abcdef") == n) {
		memcpy(out, fp, n + 1);
		return;
	}
	snprintf(out, 65, "%016llx", (unsigned long long)hash_bytes(fp ? fp : "", n, HASH_SEED));
}

char *comment_finding(const pysec_finding *f, const pysec_rule_info *rule, int blocking)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	char fp[65];

	comment_fp_token(f->fingerprint, fp);
	buf_printf(&b, "<!-- pysec:fp=%s -->\n**pysec ", fp);
	comment_md_text(&b, f->rule);
	buf_puts(&b, ": ");
	comment_md_text(&b, f->title ? f->title : f->rule);
	buf_printf(&b, "**\n\nSeverity **%s**, confidence **%s**", pysec_level_name(f->severity),
		pysec_level_name(f->confidence));
	if (f->cwe > 0)
		buf_printf(&b, ", CWE-%d", f->cwe);
	buf_puts(&b, blocking ? " (blocks the merge)\n\n" : " (below the policy's threshold)\n\n");
	if (f->message && *f->message) {
		comment_md_text(&b, f->message);
		buf_puts(&b, "\n\n");
	}
	if (rule && rule->why && *rule->why) {
		buf_puts(&b, "**Why it matters:** ");
		comment_md_text(&b, rule->why);
		buf_puts(&b, "\n\n");
	}
	if (f->fix && *f->fix) {
		buf_puts(&b, "**How to fix:** ");
		comment_md_text(&b, f->fix);
		buf_puts(&b, "\n\n");
	}
	/* a one-click change: only a clean single line that differs from the one there */
	if (f->suggestion && *f->suggestion && comment_text_is_clean(f->suggestion) &&
	    !(f->code && !strcmp(f->code, f->suggestion)))
		comment_md_fence(&b, "suggestion", f->suggestion);
	while (b.len && b.ptr[b.len - 1] == '\n')
		b.ptr[--b.len] = '\0';
	return buf_detach(&b);
}

char *comment_closed(const char *fp, const char *head)
{
	return xasprintf("<!-- pysec:fp=%s closed -->\n**pysec**: fixed. The finding this comment was about is gone "
		"as of commit %.12s.", fp, head);
}

#define SUMMARY_MAX_ROWS 500

char *comment_summary_table(const struct summary_row *rows, size_t n, const struct summary_counts *why,
	size_t cap, char hash[17])
{
	size_t outside = why->outside, over_cap = why->over_cap, refused = why->refused;
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	const char *sep = "";
	size_t i;

	if (!n)
		return NULL;
	buf_printf(&b, "**pysec: %zu finding%s not shown inline**\n\n", n, n == 1 ? "" : "s");
	if (outside) {
		buf_printf(&b, "%zu %s on lines this change does not add", outside, outside == 1 ? "is" : "are");
		sep = "; ";
	}
	if (over_cap) {
		buf_printf(&b, "%s%zu %s past the limit of %zu inline comments", sep, over_cap,
			over_cap == 1 ? "is" : "are", cap);
		sep = "; ";
	}
	if (refused) {
		buf_printf(&b, "%s%zu %s refused by the forge for %s line", sep, refused,
			refused == 1 ? "was" : "were", refused == 1 ? "its" : "their");
		sep = "; ";
	}
	if (why->bad_name)
		buf_printf(&b, "%s%zu %s in a file whose name is not UTF-8, which the forge's API cannot carry", sep,
			why->bad_name, why->bad_name == 1 ? "is" : "are");
	buf_puts(&b, ".\n\n| File | Line | Rule | Severity |\n|---|---|---|---|\n");
	for (i = 0; i < n && i < SUMMARY_MAX_ROWS; i++) {
		const pysec_finding *f = rows[i].f;
		char *path = pysec_path_quote(f->path);
		buf_puts(&b, "| ");
		comment_md_code_span(&b, path, 1);
		free(path);
		buf_printf(&b, " | %u | ", f->line);
		comment_md_text(&b, f->rule);
		buf_puts(&b, " ");
		comment_md_text(&b, f->title ? f->title : "");
		buf_printf(&b, " | %s%s |\n", pysec_level_name(f->severity), rows[i].blocking ? " (blocking)" : "");
	}
	if (n > SUMMARY_MAX_ROWS)
		buf_printf(&b, "\nand %zu more; `git pysec scan` lists them all.\n", n - SUMMARY_MAX_ROWS);
	snprintf(hash, 17, "%016llx", (unsigned long long)hash_bytes(b.ptr, b.len, HASH_SEED));
	while (b.len && b.ptr[b.len - 1] == '\n')
		b.ptr[--b.len] = '\0';
	return buf_detach(&b);
}

/* The marker's text (between "<!-- pysec:" and " -->") when `body` starts with one. */
static const char *marker_span(const char *body, size_t *len)
{
	static const char open[] = "<!-- pysec:";
	const char *end, *nl;

	if (!body || strncmp(body, open, sizeof(open) - 1))
		return NULL;
	body += sizeof(open) - 1;
	end = strstr(body, " -->");
	nl = strchr(body, '\n');
	if (!end || (nl && nl < end))
		return NULL;
	*len = (size_t)(end - body);
	return body;
}

char *comment_marker_dup(const char *body, const char *key)
{
	size_t len, kl = strlen(key);
	const char *m = marker_span(body, &len), *p, *e;

	if (!m)
		return NULL;
	for (p = m, e = m + len; p < e;) {
		size_t tl = strcspn(p, " ");
		if (p + tl > e)
			tl = (size_t)(e - p);
		if (tl >= kl && !strncmp(p, key, kl) && (tl == kl || p[kl] == '=')) {
			const char *v = tl == kl ? p + kl : p + kl + 1;
			size_t vl = (size_t)(p + tl - v), i;
			for (i = 0; i < vl; i++)
				if (!isalnum((unsigned char)v[i]) && v[i] != ',' && v[i] != '-')
					return NULL;
			return xstrndup(v, vl);
		}
		p += tl;
		while (p < e && *p == ' ')
			p++;
	}
	return NULL;
}

int comment_marker_get(const char *body, const char *key, char *out, size_t outlen)
{
	char *v = comment_marker_dup(body, key);
	size_t n;

	if (!v)
		return -1;
	n = strlen(v);
	if (n >= outlen) {
		free(v);
		return -1;
	}
	memcpy(out, v, n + 1);
	free(v);
	return 0;
}
