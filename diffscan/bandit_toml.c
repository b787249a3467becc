/*
 * bandit_toml.c: `[tool.bandit]` in a pyproject.toml, read with the
 * tree-sitter TOML grammar (grammar/tree-sitter-toml.pin): Debian bookworm
 * has no C library for TOML, and a grammar fetched and verified like the
 * Python one is a real parser, not one of our own.
 *
 * The grammar gives the syntax; this file gives the meaning a TOML reader
 * (Python's tomllib, which Bandit uses) gives it: a key's path is its
 * table's header and its own dotted parts, each part decoded (a quoted key
 * is the string it spells); strings are decoded (escapes, literal and
 * multi-line strings); a key set twice, or a value that is also a table, is
 * an error.  Everything under tool.bandit becomes a flat list of entries,
 * keyed by the path below tool.bandit joined with dots ("assert_used.skips"),
 * a part that is not a bare key written quoted as TOML writes it, so that
 * `"assert_used.skips" = [...]` (one key with a dot in it, which Bandit
 * never reads) does not pass for the dotted key.
 *
 * Hostile input is bounded: the file's size (BANDIT_MAX_FILE), the parse's
 * time (TOML_PARSE_SECONDS), the entries (bandit_config_add), and the
 * nesting this file follows (TOML_MAX_DEPTH); the tree is walked with
 * cursors, never by recursion over its depth.
 */
#include "arena.h"
#include "bandit.h"
#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_toml(void);

/* A pyproject.toml parses in milliseconds; error recovery on crafted input may not. */
#define TOML_PARSE_SECONDS 2
/* Inline tables within inline tables that lead to or are under tool.bandit. */
#define TOML_MAX_DEPTH 16

struct key_path {
	char **parts;
	size_t len, cap;
};

/* A table header under tool.bandit, to find one defined twice. */
struct table_def {
	char *key;
	unsigned line;
};

struct toml_reader {
	const char *path;
	const char *buf;
	size_t len;
	struct bandit_config *out;
	struct table_def *tables;
	size_t ntables, tables_cap;
};

/* Where a key path stands against tool.bandit. */
enum toml_place {
	TOML_ELSEWHERE,	/* not on the way to tool.bandit */
	TOML_ABOVE,	/* "tool": tool.bandit may be under it */
	TOML_AT,	/* tool.bandit itself */
	TOML_UNDER,	/* a key in tool.bandit */
};

static bool node_is(TSNode n, const char *type)
{
	return !strcmp(ts_node_type(n), type);
}

/* The column of `byte` on its line, in characters (the text is valid UTF-8 by then), from 1. */
static unsigned char_column(const struct toml_reader *r, uint32_t byte, uint32_t byte_column)
{
	uint32_t i;
	unsigned col = 1;

	for (i = byte - byte_column; i < byte && i < r->len; i++)
		col += ((unsigned char)r->buf[i] & 0xC0) != 0x80;
	return col;
}

static int toml_error_at(const struct toml_reader *r, int code, TSNode n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "PATH:LINE:COLUMN: what", at the start of node `n`. */
static int toml_error_at(const struct toml_reader *r, int code, TSNode n, const char *fmt, ...)
{
	TSPoint at = ts_node_start_point(n);
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(code, "%s:%u:%u: %s", r->path, at.row + 1,
		char_column(r, ts_node_start_byte(n), at.column), what);
}

/* TOML is UTF-8 without NUL (tomllib refuses both): say where it is not, as line:column. */
static int toml_check_text(const struct toml_reader *r)
{
	size_t i = 0, line_start = 0;
	unsigned line = 1;

	if (r->len > BANDIT_MAX_FILE)
		return error_set(PYSEC_ELIMIT, "%s: larger than %d bytes", r->path, BANDIT_MAX_FILE);
	while (i < r->len) {
		const unsigned char *s = (const unsigned char *)r->buf + i;
		uint32_t cp;
		size_t n;

		if (*s == '\n') {
			i++;
			line++;
			line_start = i;
			continue;
		}
		n = 1;
		if (*s >= 0x80) {
			/* from a NUL-padded copy, so as never to read past the end */
			unsigned char seq[4] = { 0 };
			memcpy(seq, s, r->len - i < 4 ? r->len - i : 4);
			n = text_utf8_decode(seq, &cp);
		}
		if (n == 0 || *s == 0)
			return error_set(PYSEC_EINVALID, "%s:%u:%u: %s", r->path, line,
				char_column(r, (uint32_t)i, (uint32_t)(i - line_start)),
				*s == 0 ? "a NUL byte (TOML has none)" : "not valid UTF-8");
		i += n;
	}
	return 0;
}

/* The first ERROR or MISSING node in the order of the text, of a tree that has one. */
static TSNode first_error(TSNode root)
{
	TSTreeCursor c = ts_tree_cursor_new(root);
	TSNode found = root;

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (ts_node_is_missing(n) || node_is(n, "ERROR")) {
			found = n;
			break;
		}
		/* into the first child that holds the error */
		if (!ts_tree_cursor_goto_first_child(&c))
			break;
		while (!ts_node_has_error(ts_tree_cursor_current_node(&c)) &&
		       !ts_node_is_missing(ts_tree_cursor_current_node(&c)))
			if (!ts_tree_cursor_goto_next_sibling(&c))
				goto out;
	}
out:
	ts_tree_cursor_delete(&c);
	return found;
}

static int syntax_error(const struct toml_reader *r, TSNode root)
{
	TSNode n = first_error(root);

	if (ts_node_is_missing(n) && ts_node_is_named(n))
		return toml_error_at(r, PYSEC_EINVALID, n, "invalid TOML: a key or value is missing");
	if (ts_node_is_missing(n) && ts_node_type(n)[0] != '_')
		return toml_error_at(r, PYSEC_EINVALID, n, "invalid TOML: '%s' expected", ts_node_type(n));
	return toml_error_at(r, PYSEC_EINVALID, n, "invalid TOML");
}

/*
 * One escape of a basic string at `s` (after its backslash, `n` bytes left,
 * which the grammar has checked): its length, with what it stands for put
 * into `b`; 0 for a code point that is not a Unicode scalar value or is NUL.
 */
static size_t escape_decode(struct buf *b, const char *s, size_t n)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *simple = n ? strchr(from, s[0]) : NULL;
	unsigned char utf8[4];
	size_t digits, i;
	uint32_t cp = 0;

	if (simple && *simple) {
		buf_put(b, &to[simple - from], 1);
		return 1;
	}
	if (!n || (s[0] != 'u' && s[0] != 'U'))
		return 0;
	digits = s[0] == 'u' ? 4 : 8;
	if (n < digits + 1)
		return 0;
	for (i = 1; i <= digits; i++) {
		int v = hex_digit_value((unsigned char)s[i]);
		if (v < 0)
			return 0;
		cp = cp << 4 | (uint32_t)v;
	}
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	buf_put(b, utf8, text_utf8_encode(utf8, cp));
	return digits + 1;
}

static bool is_line_break(const char *s, size_t n)
{
	return (n >= 1 && s[0] == '\n') || (n >= 2 && s[0] == '\r' && s[1] == '\n');
}

/*
 * The string node `n` (a value or a quoted key) decoded, as TOML says: its
 * quotes off, a multi-line string's first line break off, a basic string's
 * escapes decoded, and a line-ending backslash taking the blanks and line
 * breaks after it.  A string that would hold NUL (\u0000: the text has
 * none) is refused: the entries are C strings, and a value cut short there
 * would mean something else.
 */
static int string_decode(const struct toml_reader *r, TSNode n, char **out)
{
	const char *s = r->buf + ts_node_start_byte(n);
	size_t len = ts_node_end_byte(n) - ts_node_start_byte(n), i, quote;
	struct buf b = BUF_INIT(SIZE_MAX);
	bool basic = s[0] == '"';

	quote = len >= 6 && (!strncmp(s, "\"\"\"", 3) || !strncmp(s, "'''", 3)) ? 3 : 1;
	if (len < 2 * quote)
		return toml_error_at(r, PYSEC_EINVALID, n, "invalid TOML: a string without its quotes");
	s += quote;
	len -= 2 * quote;
	if (quote == 3 && is_line_break(s, len)) {
		i = s[0] == '\r' ? 2 : 1;
		s += i;
		len -= i;
	}
	for (i = 0; i < len;) {
		size_t used;
		if (s[i] != '\\' || !basic) {
			size_t run = i;
			while (run < len && (s[run] != '\\' || !basic))
				run++;
			buf_put(&b, s + i, run - i);
			i = run;
			continue;
		}
		i++;
		if (quote == 3 && is_line_break(s + i, len - i)) {
			while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
				i++;
			continue;
		}
		used = escape_decode(&b, s + i, len - i);
		if (!used) {
			int shown = (int)(s[i] == 'u' ? 5 : s[i] == 'U' ? 9 : 1);
			buf_free(&b);
			if ((size_t)shown > len - i)
				shown = (int)(len - i);
			return toml_error_at(r, PYSEC_EINVALID, n,
				"an escape that is NUL or not a Unicode character (\\%.*s)", shown, s + i);
		}
		i += used;
	}
	*out = buf_detach(&b);
	if (!*out)
		*out = xstrdup("");
	return 0;
}

static void path_push(struct key_path *p, char *part)
{
	*ARRAY_PUSH(p->parts, p->len, p->cap) = part;
}

static void path_truncate(struct key_path *p, size_t len)
{
	while (p->len > len)
		free(p->parts[--p->len]);
}

/* The parts of the key node `key` (bare, quoted or dotted) onto `p`, in order: a cursor, not recursion. */
static int path_push_key(const struct toml_reader *r, struct key_path *p, TSNode key)
{
	TSTreeCursor c = ts_tree_cursor_new(key);
	int rc = 0;

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		bool leaf = node_is(n, "bare_key") || node_is(n, "quoted_key");
		char *part;

		if (node_is(n, "bare_key")) {
			path_push(p, xstrndup(r->buf + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n)));
		} else if (node_is(n, "quoted_key")) {
			if ((rc = string_decode(r, n, &part)) < 0)
				break;
			path_push(p, part);
		}
		if (!leaf && ts_tree_cursor_goto_first_child(&c))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c))
				goto out;
	}
out:
	ts_tree_cursor_delete(&c);
	return rc;
}

static enum toml_place path_place(const struct key_path *p)
{
	if (p->len >= 1 && strcmp(p->parts[0], "tool"))
		return TOML_ELSEWHERE;
	if (p->len >= 2 && strcmp(p->parts[1], "bandit"))
		return TOML_ELSEWHERE;
	return p->len < 2 ? TOML_ABOVE : p->len == 2 ? TOML_AT : TOML_UNDER;
}

static bool is_bare_key(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* The key below tool.bandit, its parts joined with dots; a part that is not a bare key quoted as TOML writes it. */
static char *path_relative_key(const struct key_path *p)
{
	struct buf b = BUF_INIT(SIZE_MAX);
	size_t i;
	char *key;

	for (i = 2; i < p->len; i++) {
		const unsigned char *s = (const unsigned char *)p->parts[i];
		if (i > 2)
			buf_puts(&b, ".");
		if (is_bare_key((const char *)s)) {
			buf_puts(&b, (const char *)s);
			continue;
		}
		buf_puts(&b, "\"");
		for (; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_printf(&b, "\\%c", *s);
			else if (*s < 0x20 || *s == 0x7F)
				buf_printf(&b, "\\u%04X", *s);
			else
				buf_put(&b, s, 1);
		}
		buf_puts(&b, "\"");
	}
	key = buf_detach(&b);
	return key ? key : xstrdup("");
}

/* The first `count` named children of `parent` other than comments (a pair's key and value, a header's key). */
static int named_children(const struct toml_reader *r, TSNode parent, TSNode *out, uint32_t count)
{
	uint32_t i, n = ts_node_named_child_count(parent), found = 0;

	for (i = 0; i < n && found < count; i++) {
		TSNode c = ts_node_named_child(parent, i);
		if (!node_is(c, "comment"))
			out[found++] = c;
	}
	if (found < count)
		return toml_error_at(r, PYSEC_EINVALID, parent, "invalid TOML: a key without its %s",
			count == 2 ? "value" : "name");
	return 0;
}

/* One value of a setting as text: a string decoded, a number, boolean or date as written. */
static int scalar_text(const struct toml_reader *r, TSNode v, const char *key, char **out)
{
	if (node_is(v, "string"))
		return string_decode(r, v, out);
	if (node_is(v, "array") || node_is(v, "inline_table"))
		return toml_error_at(r, PYSEC_EINVALID, v,
			"'tool.bandit.%s' holds a list or table inside a list: Bandit's settings are lists of strings", key);
	*out = xstrndup(r->buf + ts_node_start_byte(v), ts_node_end_byte(v) - ts_node_start_byte(v));
	return 0;
}

/* The entry for `key` = `v` (a scalar, or an array of them), at the line of `pair`. */
static int emit_entry(struct toml_reader *r, const struct key_path *p, TSNode pair, TSNode v)
{
	char *key = path_relative_key(p), **values = NULL;
	size_t nvalues = 0, cap = 0, i;
	int rc = 0;

	if (node_is(v, "array")) {
		TSTreeCursor c = ts_tree_cursor_new(v);
		bool more = ts_tree_cursor_goto_first_child(&c);
		for (; more && rc == 0; more = ts_tree_cursor_goto_next_sibling(&c)) {
			TSNode e = ts_tree_cursor_current_node(&c);
			if (!ts_node_is_named(e) || node_is(e, "comment"))
				continue;
			rc = scalar_text(r, e, key, ARRAY_PUSH(values, nvalues, cap));
			if (rc < 0)
				nvalues--;
		}
		ts_tree_cursor_delete(&c);
	} else {
		values = xmalloc(sizeof(*values));
		rc = scalar_text(r, v, key, &values[0]);
		nvalues = rc == 0;
	}
	if (rc == 0)
		rc = bandit_config_add(r->out, key, (const char *const *)values, nvalues,
			ts_node_start_point(pair).row + 1);
	for (i = 0; i < nvalues; i++)
		free(values[i]);
	free(values);
	free(key);
	return rc;
}

static int read_pairs(struct toml_reader *r, TSNode parent, struct key_path *p, unsigned depth);

/* A pair (`key = value`), its key under the path `p` (a table's header, or an inline table's key). */
static int read_pair(struct toml_reader *r, TSNode pair, struct key_path *p, unsigned depth)
{
	size_t base = p->len;
	TSNode kv[2], value;
	int rc;

	if ((rc = named_children(r, pair, kv, 2)) < 0 || (rc = path_push_key(r, p, kv[0])) < 0)
		goto done;
	value = kv[1];
	switch (path_place(p)) {
	case TOML_ELSEWHERE:
		break;
	case TOML_ABOVE:
	case TOML_AT:
	case TOML_UNDER:
		if (node_is(value, "inline_table")) {
			if (depth >= TOML_MAX_DEPTH)
				rc = toml_error_at(r, PYSEC_ELIMIT, value, "tables nested deeper than %d", TOML_MAX_DEPTH);
			else
				rc = read_pairs(r, value, p, depth + 1);
		} else if (path_place(p) == TOML_AT) {
			rc = toml_error_at(r, PYSEC_EINVALID, value, "'tool.bandit' is not a table");
		} else if (path_place(p) == TOML_UNDER) {
			rc = emit_entry(r, p, pair, value);
		}
		break;
	}
done:
	path_truncate(p, base);
	return rc;
}

/* The pairs that are children of `parent` (a table, an inline table, the document). */
static int read_pairs(struct toml_reader *r, TSNode parent, struct key_path *p, unsigned depth)
{
	TSTreeCursor c = ts_tree_cursor_new(parent);
	bool more = ts_tree_cursor_goto_first_child(&c);
	int rc = 0;

	for (; more && rc == 0; more = ts_tree_cursor_goto_next_sibling(&c)) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (node_is(n, "pair"))
			rc = read_pair(r, n, p, depth);
	}
	ts_tree_cursor_delete(&c);
	return rc;
}

/* Remember a table header under tool.bandit; one defined twice is an error, as in tomllib. */
static int table_define(struct toml_reader *r, const struct key_path *p, TSNode header)
{
	char *key = path_relative_key(p);
	unsigned line = ts_node_start_point(header).row + 1;
	size_t i;

	for (i = 0; i < r->ntables; i++) {
		if (!strcmp(r->tables[i].key, key)) {
			free(key);
			return toml_error_at(r, PYSEC_EINVALID, header, "table defined twice (first on line %u)",
				r->tables[i].line);
		}
	}
	*ARRAY_PUSH(r->tables, r->ntables, r->tables_cap) = (struct table_def){ key, line };
	return 0;
}

/* A `[header]` table or `[[header]]` array element, with its pairs. */
static int read_table(struct toml_reader *r, TSNode table, struct key_path *p)
{
	bool array = node_is(table, "table_array_element");
	enum toml_place place;
	TSNode header;
	int rc;

	if ((rc = named_children(r, table, &header, 1)) < 0 || (rc = path_push_key(r, p, header)) < 0)
		goto done;
	place = path_place(p);
	if (array && (place == TOML_AT || place == TOML_UNDER))
		rc = toml_error_at(r, PYSEC_EINVALID, table,
			"an array of tables in tool.bandit: Bandit's settings are lists of strings");
	else if (place == TOML_AT || place == TOML_UNDER)
		rc = table_define(r, p, header);
	/* [tool] may hold bandit.skips = [...] */
	if (rc == 0 && !array && place != TOML_ELSEWHERE)
		rc = read_pairs(r, table, p, 0);
done:
	path_truncate(p, 0);
	return rc;
}

static bool is_under(const char *key, const char *table)
{
	size_t n = strlen(table);

	return !strncmp(key, table, n) && (key[n] == '.' || (key[n] == '\0' && n));
}

static int value_and_table(const struct toml_reader *r, const struct bandit_entry *value, unsigned table_line)
{
	return error_set(PYSEC_EINVALID, "%s:%u: 'tool.bandit.%s' is a value (line %u) and a table (line %u)",
		r->path, table_line > value->line ? table_line : value->line, value->key, value->line, table_line);
}

/*
 * A key set twice, or set as a value and as a table (by dotted keys, or by
 * a header): tomllib refuses such a file, and Bandit with it.
 */
static int check_conflicts(const struct toml_reader *r)
{
	const struct bandit_config *c = r->out;
	size_t i, j;

	for (i = 0; i < c->len; i++) {
		const struct bandit_entry *e = &c->entries[i];
		for (j = 0; j < i; j++) {
			const struct bandit_entry *f = &c->entries[j];
			if (!strcmp(e->key, f->key))
				return error_set(PYSEC_EINVALID, "%s:%u: 'tool.bandit.%s' is set twice (first on line %u)",
					r->path, e->line, e->key, f->line);
			if (is_under(e->key, f->key))
				return value_and_table(r, f, e->line);
			if (is_under(f->key, e->key))
				return value_and_table(r, e, f->line);
		}
		for (j = 0; j < r->ntables; j++)
			if (is_under(r->tables[j].key, e->key))
				return value_and_table(r, e, r->tables[j].line);
	}
	return 0;
}

static int read_document(struct toml_reader *r, TSNode root)
{
	struct key_path p = { NULL, 0, 0 };
	TSTreeCursor c = ts_tree_cursor_new(root);
	bool more = ts_tree_cursor_goto_first_child(&c);
	int rc = 0;

	for (; more && rc == 0; more = ts_tree_cursor_goto_next_sibling(&c)) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (node_is(n, "pair"))
			rc = read_pair(r, n, &p, 0);
		else if (node_is(n, "table") || node_is(n, "table_array_element"))
			rc = read_table(r, n, &p);
	}
	ts_tree_cursor_delete(&c);
	path_truncate(&p, 0);
	free(p.parts);
	return rc ? rc : check_conflicts(r);
}

int bandit_toml_read(struct bandit_config *out, const char *path, const char *buf, size_t len)
{
	struct toml_reader r = { path, buf, len, out, NULL, 0, 0 };
	struct arena *a = NULL;
	TSParser *parser = NULL;
	TSTree *tree = NULL;
	size_t i;
	int rc;

	if (!out->path)
		out->path = xstrdup(path);
	if ((rc = toml_check_text(&r)) < 0)
		return rc;
	/* tree-sitter's memory in an arena, as for Python (arena.c says why) */
	arena_install();
	a = arena_begin();
	parser = ts_parser_new();
	if (!ts_parser_set_language(parser, tree_sitter_toml())) {
		rc = error_set(PYSEC_ERROR, "cannot load the TOML grammar (ABI %u)", ts_language_version(tree_sitter_toml()));
		goto done;
	}
	ts_parser_set_timeout_micros(parser, (uint64_t)TOML_PARSE_SECONDS * 1000000);
	tree = ts_parser_parse_string(parser, NULL, buf, (uint32_t)len);
	if (!tree) {
		rc = error_set(PYSEC_ELIMIT, "%s: parsing took longer than %d s (broken TOML is slow to parse)", path,
			TOML_PARSE_SECONDS);
		goto done;
	}
	if (ts_node_has_error(ts_tree_root_node(tree)))
		rc = syntax_error(&r, ts_tree_root_node(tree));
	else
		rc = read_document(&r, ts_tree_root_node(tree));
done:
	for (i = 0; i < r.ntables; i++)
		free(r.tables[i].key);
	free(r.tables);
	if (tree)
		ts_tree_delete(tree);
	ts_parser_delete(parser);
	arena_end(a);
	return rc;
}
