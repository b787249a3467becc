/* source.h: which files are Python, which cannot be scanned as text, and Python's strings and brackets. */
#ifndef PYSEC_SOURCE_H
#define PYSEC_SOURCE_H

#include <stddef.h>

/* By name alone: *.py, *.pyw, or an extension-less name (which may have a shebang). */
int source_maybe_python(const char *path);
/* True for *.py, *.pyw, and extension-less files with a python shebang. */
int source_is_python(const char *path, const char *data, size_t len);
/*
 * The deepest nesting of brackets outside strings and comments, counted up
 * to just past `limit`.  Python's tokenizer refuses more than 200 levels;
 * libtree-sitter 0.20.7 frees memory twice after some 100,000 unclosed ones.
 */
size_t source_bracket_depth(const char *data, size_t len, size_t limit);
/*
 * Skip the string literal whose quote is at s[i] (triple quotes too; a
 * backslash keeps the next character in, even in a raw string); returns the
 * index past it.  Unterminated, a one-quote string ends with its line.
 */
size_t source_skip_string(const char *s, size_t len, size_t i);
/*
 * Append the value of string content t[0, len) (what is between the
 * quotes) to `out`: its escapes decoded as Python does, unless `raw`.
 */
struct buf;
void source_decode_string(const char *t, size_t len, int raw, struct buf *out);
/* Is s[0, n) one of Python's hard keywords (no name: `pass`, `try`, `None`)? */
int source_is_keyword(const char *s, size_t n);
/* NULL when scannable, else why not ("binary", "Git LFS pointer", ...). */
const char *source_skip_reason(const char *data, size_t len);

#endif
