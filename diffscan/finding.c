/*
 * finding.c: turning a clause that held into a finding: its place, its
 * source line, its fingerprint, and the `# nosec` comments that may cover it.
 *
 * `# nosec` is read from real comments only (a string that says "# nosec"
 * suppresses nothing).  Unlike Bandit, where `# nosec B999`, `# nosec,` or
 * any text after the word silence every rule on the line, an id pysec does
 * not know, or a list it cannot read, suppresses nothing and is reported as
 * a warning: a typo must not switch the gate off.
 */
#include "finding.h"
#include "pysec.h"
#include "util.h"
#include "lines.h"
#include "pyast.h"
#include "report.h"
#include "ruleset.h"

#include <ctype.h>
#include <stdlib.h>

#define CODE_MAX 240

static int is_word(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* `ns` covers rule `r` (by its id, whatever name or alias the comment used). */
static void nosec_add_id(struct nosec *ns, const struct rule *r)
{
	ns->ids = xrealloc(ns->ids, (ns->nids + 1) * sizeof(*ns->ids));
	ns->ids[ns->nids++] = xstrdup(r->info.id);
}

static void nosec_clear(struct nosec *ns)
{
	size_t i;

	for (i = 0; i < ns->nids; i++)
		free(ns->ids[i]);
	free(ns->ids);
}

/* Parse the text after "nosec" (up to the comment's end) into `ns`. Returns -1 if unreadable. */
static int nosec_parse(struct walk *w, struct nosec *ns, const char *s, const char *end)
{
	const struct rule *r;
	const char *e;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && *s == ':')
		s++;
	/* a second '#' or "--" starts a justification, which is not part of the list */
	for (e = s; e < end && *e != '#' && !(e + 1 < end && e[0] == '-' && e[1] == '-'); e++)
		;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	while (s < e && isspace((unsigned char)*s))
		s++;
	if (s == e) {
		ns->blanket = 1;
		return 0;
	}
	while (s < e) {
		const char *t = s;
		size_t len;
		while (t < e && is_word((unsigned char)*t))
			t++;
		len = (size_t)(t - s);
		if (!len)
			return -1;	/* "# nosec," or punctuation where an id belongs */
		r = rules_find(w->rules, s, len);
		if (!r) {
			report_add_entry(w->report, PYSEC_ENTRY_WARNING, w->path, ns->line,
				"'# nosec %.*s': no rule has that id, so it suppresses nothing",
				(int)(len > 64 ? 64 : len), s);
			s = t;
			goto separator;
		}
		nosec_add_id(ns, r);
		s = t;
separator:
		if (s < e && *s != ',' && !isspace((unsigned char)*s))
			return -1;
		if (s < e && *s == ',') {
			s++;
			while (s < e && isspace((unsigned char)*s))
				s++;
			if (s == e)
				return -1;	/* a trailing comma */
		}
		while (s < e && isspace((unsigned char)*s))
			s++;
	}
	return 0;
}

/*
 * The comment in which `word` (at `at`, `len` bytes) is a directive: it
 * follows the comment's '#' (or another '#' in it) and blanks, and is not
 * the start of a longer word.  Else a null node.
 */
static TSNode directive_comment(const struct walk *w, TSNode root, const char *at, size_t len)
{
	uint32_t pos = (uint32_t)(at - w->src);
	TSNode c = ts_node_descendant_for_byte_range(root, pos, pos + (uint32_t)len), none = { { 0 }, 0, 0 };
	const char *h, *start;

	if (node_symbol(c) != w->sym->comment)
		return none;
	start = w->src + ts_node_start_byte(c);
	for (h = at - 1; h >= start && (*h == ' ' || *h == '\t'); h--)
		;
	if (h < start || *h != '#')
		return none;
	if (at + len < w->src + node_end_byte(c) && is_word((unsigned char)at[len]))
		return none;
	return c;
}

/* A code of a `# noqa:` list at `s`: upper-case letters then digits; its length, or 0. */
static size_t noqa_code(const char *s, const char *end, size_t *letters)
{
	const char *t = s;

	while (t < end && *t >= 'A' && *t <= 'Z')
		t++;
	*letters = (size_t)(t - s);
	while (t < end && *t >= '0' && *t <= '9')
		t++;
	if (!*letters || t == s + *letters || (t < end && is_word((unsigned char)*t)))
		return 0;
	return (size_t)(t - s);
}

/*
 * Ruff's `# noqa: S602, E501`: its S codes (flake8-bandit's, which the
 * aliases of rules/ruff.rule name) count as `# nosec` ids; the codes of
 * other linters are theirs.  Codes end at the first word that is not one
 * (the rest is a comment).  A `# noqa` without codes silences every linter
 * that reads it, but not a security gate: it suppresses nothing here.
 */
static void noqa_parse(struct walk *w, struct nosec *ns, const char *s, const char *end)
{
	size_t len, letters;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s != ':')
		return;
	for (s++;; s += len) {
		const struct rule *r;
		while (s < end && (*s == ' ' || *s == '\t' || *s == ','))
			s++;
		if (!(len = noqa_code(s, end, &letters)))
			return;
		if (letters != 1 || *s != 'S')
			continue;
		if ((r = rules_find(w->rules, s, len)) != NULL)
			nosec_add_id(ns, r);
		else
			report_add_entry(w->report, PYSEC_ENTRY_WARNING, w->path, ns->line,
				"'# noqa: %.*s': no rule has that id, so it suppresses nothing", (int)len, s);
	}
}

/*
 * "noqa" in any case right after a '#' and blanks, from `s`: the only place
 * a `# noqa` directive can start (directive_comment), found with memchr.
 */
static const char *find_noqa(const char *s, const char *end)
{
	while ((s = memchr(s, '#', (size_t)(end - s))) != NULL) {
		for (s++; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		if (end - s >= 4 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'o' && (s[2] | 0x20) == 'q' &&
		    (s[3] | 0x20) == 'a')
			return s;
	}
	return NULL;
}

/* Every `# nosec` comment, or with `noqa` every `# noqa:` one, in line order: one a line (the first). */
static void collect(struct walk *w, TSNode root, int noqa)
{
	const char *s = w->src, *end = w->src + w->len;
	size_t len = noqa ? 4 : 5;
	uint32_t last = 0;

	while ((s = noqa ? find_noqa(s, end) : memmem(s, (size_t)(end - s), "nosec", 5)) != NULL) {
		TSNode c = directive_comment(w, root, s, len);
		struct nosec ns;

		s += len;
		if (ts_node_is_null(c))
			continue;
		memset(&ns, 0, sizeof(ns));
		ns.line = ts_node_start_point(c).row + 1;
		if (ns.line == last)
			continue;
		last = ns.line;
		if (noqa) {
			noqa_parse(w, &ns, s, w->src + node_end_byte(c));
			if (!ns.nids)
				continue;
		} else if (nosec_parse(w, &ns, s, w->src + node_end_byte(c)) < 0) {
			report_add_entry(w->report, PYSEC_ENTRY_WARNING, w->path, ns.line,
				"cannot read this '# nosec' list (ids separated by commas or spaces); it suppresses nothing");
			nosec_clear(&ns);
			continue;
		}
		*ARRAY_PUSH(w->nosec, w->nnosec, w->nosec_cap) = ns;
	}
}

static int nosec_order(const void *a, const void *b)
{
	uint32_t x = ((const struct nosec *)a)->line, y = ((const struct nosec *)b)->line;

	return x < y ? -1 : x > y;
}

void nosec_collect(struct walk *w, TSNode root)
{
	size_t before;

	collect(w, root, 0);
	before = w->nnosec;
	collect(w, root, 1);
	if (before && w->nnosec > before)
		qsort(w->nosec, w->nnosec, sizeof(*w->nosec), nosec_order);
}

static int nosec_before(const void *ns, const void *line)
{
	return ((const struct nosec *)ns)->line < *(const uint32_t *)line;
}

static int nosec_covers(const struct walk *w, const struct rule *r, uint32_t first, uint32_t last)
{
	size_t lo, i, k;

	if (!w->honour_nosec)
		return 0;
	lo = array_partition(w->nosec, w->nnosec, sizeof(*w->nosec), &first, nosec_before);
	for (i = lo; i < w->nnosec && w->nosec[i].line <= last; i++) {
		if (w->nosec[i].blanket)
			return 1;
		for (k = 0; k < w->nosec[i].nids; k++)
			if (!strcmp(w->nosec[i].ids[k], r->info.id))
				return 1;
	}
	return 0;
}

static TSPoint point_of(const struct walk *w, size_t byte)
{
	TSPoint p = { 0, 0 };
	const char *s = w->src, *nl;

	while ((nl = memchr(s, '\n', (size_t)(w->src + byte - s))) != NULL) {
		p.row++;
		s = nl + 1;
	}
	p.column = (uint32_t)(w->src + byte - s);
	return p;
}

/* The source line that holds `byte`, trimmed, at most CODE_MAX bytes. */
static char *code_line(const struct walk *w, size_t byte)
{
	const char *s = w->src + byte, *e = s;

	while (s > w->src && s[-1] != '\n')
		s--;
	while (e < w->src + w->len && *e != '\n' && *e != '\r')
		e++;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return xstrndup(s, (size_t)(e - s) > CODE_MAX ? CODE_MAX : (size_t)(e - s));
}

/*
 * A fingerprint that survives lines moving: the rule, the path, the names of
 * the enclosing classes and functions, the node's code with white space
 * removed, and how many identical findings came before it in the file.
 */
static void fingerprint(struct walk *w, const struct rule *r, const char *text, size_t len, int count,
	char out[17])
{
	uint64_t h = hash_bytes(r->info.id, strlen(r->info.id) + 1, HASH_SEED);
	size_t i, k, seen = 0;
	const char *s;

	h = hash_bytes(w->path, strlen(w->path) + 1, h);
	for (k = 1; k <= w->depth && k <= 256; k++) {
		TSNode a = walk_ancestor(w, k);
		TSSymbol sy = node_symbol(a);
		if (sy == w->sym->function_definition || sy == w->sym->class_definition) {
			size_t nlen;
			const char *t = node_text(w, node_child_by_field_id(a, w->field->name), &nlen);
			h = hash_bytes(t, nlen, h);
		}
	}
	if (len > 4096)
		len = 4096;
	for (s = text; s < text + len; s++)
		if (!isspace((unsigned char)*s))
			h = hash_bytes(s, 1, h);
	for (i = 0; i < w->nfps; i++)
		seen += w->fps[i] == h;
	/* a suppressed finding is not counted: the others keep their fingerprints whether it is shown or not */
	if (count)
		*ARRAY_PUSH(w->fps, w->nfps, w->fps_cap) = h;
	h = hash_bytes(&seen, sizeof(seen), h);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The whole source line of `byte` rewritten by the clause's `suggest`; NULL if it does not apply. */
static char *suggestion(const struct walk *w, const struct clause *c, size_t byte)
{
	const char *s = w->src + byte, *e = s;
	PCRE2_UCHAR out[4096];
	PCRE2_SIZE outlen = sizeof(out);
	int rc;

	if (!c->suggest_re)
		return NULL;
	while (s > w->src && s[-1] != '\n')
		s--;
	while (e < w->src + w->len && *e != '\n' && *e != '\r')
		e++;
	rc = pcre2_substitute(c->suggest_re, (PCRE2_SPTR)s, (size_t)(e - s), 0, PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL,
		(PCRE2_SPTR)c->suggest_to, PCRE2_ZERO_TERMINATED, out, &outlen);
	if (rc <= 0)
		return NULL;	/* no match (or no room): no suggestion */
	return xstrndup((const char *)out, outlen);
}

/*
 * For rules about passwords: the contents of every quoted string on the
 * line, after its first two characters, become '*', so a hard-coded
 * password is not printed again in every report, log and review comment.
 */
static void mask_strings(char *line)
{
	char *s = line;

	while ((s = strpbrk(s, "\"'")) != NULL) {
		char q = *s++;
		size_t kept = 0;
		for (; *s && *s != q; s++) {
			if (*s == '\\' && s[1])
				*s++ = '*';
			if (kept++ >= 2)
				*s = '*';
		}
		if (*s)
			s++;
	}
}

/*
 * The column of byte `byte`, 1-based, in characters, or with `utf16` in
 * UTF-16 code units, where a character outside the Basic Multilingual
 * Plane (four bytes of UTF-8) counts two; the continuation bytes of a
 * sequence count none, any other byte one (so a byte that is not UTF-8
 * counts as the U+FFFD a reader puts there).
 */
static uint32_t text_column(const struct walk *w, size_t byte, int utf16)
{
	const unsigned char *s = (const unsigned char *)w->src, *p = s + (byte > w->len ? w->len : byte);
	const unsigned char *line = p;
	uint32_t col = 1;

	while (line > s && line[-1] != '\n')
		line--;
	while (line < p) {
		size_t n = *line >= 0xf0 && *line <= 0xf4 ? 4 : *line >= 0xe0 && *line < 0xf0 ? 3 : *line >= 0xc2 && *line < 0xe0 ? 2 : 1;
		size_t k;
		for (k = 1; k < n && line + k < p && (line[k] & 0xc0) == 0x80; k++)
			;
		if (k < n)
			n = 1;	/* not a whole sequence: one byte, one unit */
		col += n == 4 && utf16 ? 2 : 1;
		line += n;
	}
	return col;
}

/* The byte offset of `pt`, on the line of `byte` (at `at`) or after it. */
static size_t byte_of(const struct walk *w, size_t byte, TSPoint at, TSPoint pt)
{
	size_t b = byte - at.column;
	uint32_t row = at.row;

	while (row < pt.row && b < w->len) {
		const char *nl = memchr(w->src + b, '\n', w->len - b);
		if (!nl)
			break;
		b = (size_t)(nl + 1 - w->src);
		row++;
	}
	return b + pt.column;
}

/* The untouched call a change-aware finding is about (finding_add_flow). */
struct related {
	TSNode call;
	char *code;
};

static void add_finding(struct walk *w, const struct clause *c, size_t byte, TSPoint start, TSPoint end,
	const char *code, const char *fp_text, size_t fp_len, const struct related *rel)
{
	const struct rule *r = &w->rules->rules[c->rule];
	pysec_finding f;
	char fp[17];
	char *own = NULL, *suggested, *message = NULL;
	int suppressed;

	/* a secret is in history whatever a comment says: `# nosec` does not cover `line` rules */
	suppressed = c->kind != KIND_LINE && nosec_covers(w, r, start.row + 1, end.row + 1);
	if (suppressed && !w->show_suppressed)
		return;
	/* a `# nosec` on the call the value reaches covers what it gets */
	if (rel && !suppressed)
		suppressed = nosec_covers(w, r, ts_node_start_point(rel->call).row + 1, node_end_point(rel->call).row + 1);
	if (suppressed && !w->show_suppressed)
		return;
	if (!code) {
		code = own = code_line(w, byte);
		if (r->mask_strings)
			mask_strings(own);
	}
	fingerprint(w, r, fp_text, fp_len, !suppressed, fp);
	memset(&f, 0, sizeof(f));
	f.rule = r->info.id;
	f.title = r->info.title ? r->info.title : r->info.name;
	f.severity = c->severity ? c->severity : r->info.severity;
	f.confidence = c->confidence ? c->confidence : r->info.confidence;
	f.cwe = r->info.cwe;
	f.path = w->path;
	f.line = start.row + 1;
	f.column = start.column + 1;
	f.end_line = end.row + 1;
	f.end_column = end.column + 1;
	f.column_utf16 = text_column(w, byte, 1);
	f.end_column_utf16 = text_column(w, byte_of(w, byte, start, end), 1);
	f.column_char = text_column(w, byte, 0);
	f.end_column_char = text_column(w, byte_of(w, byte, start, end), 0);
	f.suppressed = suppressed;
	f.message = c->message ? c->message : r->info.message;
	f.fix = r->info.fix;
	f.code = code;
	f.commit = w->commit && *w->commit ? w->commit : NULL;
	f.fingerprint = fp;
	f.suggestion = suggested = c->kind == KIND_LINE || rel ? NULL : suggestion(w, c, byte);
	if (rel) {
		TSPoint a = ts_node_start_point(rel->call), b = node_end_point(rel->call);
		size_t call = ts_node_start_byte(rel->call);
		f.message = message = xasprintf("%s (the value this line sets reaches the call on line %u: %s)",
			f.message, a.row + 1, rel->code);
		f.related_line = a.row + 1;
		f.related_column = a.column + 1;
		f.related_end_line = b.row + 1;
		f.related_end_column = b.column + 1;
		f.related_column_utf16 = text_column(w, call, 1);
		f.related_end_column_utf16 = text_column(w, byte_of(w, call, a, b), 1);
		f.related_code = rel->code;
	}
	report_add_finding(w->report, &f);
	free(suggested);
	free(message);
	free(own);
}

void finding_add_at(struct walk *w, const struct clause *c, size_t byte, TSPoint start, TSPoint end,
	const char *code, const char *fp_text, size_t fp_len)
{
	add_finding(w, c, byte, start, end, code, fp_text, fp_len, NULL);
}

void finding_add_flow(struct walk *w, const struct clause *c, TSNode source, TSNode call)
{
	struct related rel;
	size_t byte = ts_node_start_byte(source);
	struct buf fp = BUF_INIT(8192);
	size_t len;
	const char *t;

	rel.call = call;
	rel.code = code_line(w, ts_node_start_byte(call));
	/* the fingerprint: the touched statement and the call it reaches */
	t = node_text(w, source, &len);
	buf_put(&fp, t, len);
	t = node_text(w, call, &len);
	buf_put(&fp, t, len);
	add_finding(w, c, byte, ts_node_start_point(source), node_end_point(source), NULL, fp.ptr ? fp.ptr : "",
		fp.len, &rel);
	buf_free(&fp);
	free(rel.code);
}

void finding_add(struct walk *w, const struct clause *c, TSNode node, TSNode last)
{
	size_t byte = ts_node_start_byte(node), end_byte = node_end_byte(last);
	TSPoint start = ts_node_start_point(node), end = node_end_point(last);

	if (c->kind == KIND_SOURCE && w->mark >= 0) {
		byte = (size_t)w->mark;
		end_byte = byte + 1;
		start = end = point_of(w, byte);
		end.column++;
		if (!lineset_hits(w->touched, start.row + 1, start.row + 1))
			return;
	}
	finding_add_at(w, c, byte, start, end, NULL, w->src + byte, end_byte - byte);
}
