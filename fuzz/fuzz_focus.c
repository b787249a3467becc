/*
 * fuzz_focus.c: focused parsing (focus.c) against the whole-file parse.
 *
 * The first two bytes choose the touched lines (first line, how many), the
 * rest is the file.  When the whole file parses without an error, both
 * parses must report the same findings, field by field; any difference
 * aborts, so libFuzzer keeps the input.  (On a file with a syntax error
 * outside the touched statements, tree-sitter's error recovery can change
 * how the whole file's statements nest, and the focused parse, which never
 * sees that error, can find more.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "pysec.h"
#include "util.h"
#include "engine.h"
#include "lines.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *findings(const pysec_engine *engine, const char *src, size_t len,
	const struct lineset *touched, int whole)
{
	struct file_scan f = { 0 };
	struct buf b = BUF_INIT(1 << 24);
	pysec_report *r = NULL;
	size_t i;

	f.path = "fuzz.py";
	f.data = src;
	f.len = len;
	f.python = 1;
	f.whole = whole;
	f.code = touched;
	pysec_report_new(&r);
	engine_scan_file(engine, r, &f, 0);
	pysec_report_sort(r);
	for (i = 0; i < pysec_report_entry_count(r); i++) {
		if (pysec_report_entry(r, i)->kind == PYSEC_ENTRY_ERROR) {
			pysec_report_free(r);
			return NULL;	/* a syntax error somewhere: not compared */
		}
	}
	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *x = pysec_report_finding(r, i);
		buf_printf(&b, "%s %u:%u-%u:%u %s\n", x->rule, x->line, x->column, x->end_line,
			x->end_column, x->fingerprint);
	}
	pysec_report_free(r);
	return buf_detach(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const pysec_engine *engine = fuzz_engine();
	struct lineset touched = { 0 };
	char *whole, *focused;

	if (size < 2)
		return 0;
	lineset_add(&touched, 1u + data[0], 1u + data[1] % 16);
	whole = findings(engine, (const char *)data + 2, size - 2, &touched, 1);
	focused = whole ? findings(engine, (const char *)data + 2, size - 2, &touched, 0) : NULL;
	if (whole && focused && strcmp(whole, focused)) {
		fprintf(stderr, "whole-file findings:\n%s\nfocused findings:\n%s\n", whole, focused);
		abort();
	}
	free(whole);
	free(focused);
	lineset_clear(&touched);
	return 0;
}
