/*
 * fuzz_toml.c: any bytes as a pyproject.toml, read for its [tool.bandit]
 * (bandit_toml_read, with the tree-sitter TOML grammar).  Beyond "no
 * crash": what it reads is well-formed (keys and values valid UTF-8
 * without NUL, each entry's line in the file), and an error names the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bandit.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	while (*p) {
		if (!(n = text_utf8_decode(p, &cp))) {
			fprintf(stderr, "fuzz_toml: not UTF-8: '%s'\n", s);
			abort();
		}
		p += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bandit_config c;
	size_t i, j, lines = 1;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (bandit_toml_read(&c, "fuzz.toml", (const char *)data, size) == 0) {
		for (i = 0; i < c.len; i++) {
			if (!c.entries[i].key[0] || c.entries[i].line < 1 || c.entries[i].line > lines)
				abort();
			check_text(c.entries[i].key);
			for (j = 0; j < c.entries[i].nvalues; j++)
				check_text(c.entries[i].values[j]);
		}
	} else if (strncmp(pysec_error_last(), "fuzz.toml:", 10)) {
		fprintf(stderr, "fuzz_toml: the error does not name the file: %s\n", pysec_error_last());
		abort();
	}
	bandit_config_free(&c);
	return 0;
}
