/*
 * format_junit.c: JUnit XML, as CI servers (GitLab, Jenkins, ...) show test
 * results: one test suite, one test case per finding, which fails when the
 * finding blocks and is skipped when it is below the threshold; a file that
 * could not be scanned fully is a test case in error, a skipped file a
 * skipped one.  A scan with nothing to say is one passing test case.
 * Checked against Jenkins' JUnit schema (junit-4.xsd).
 *
 * XML 1.0 cannot carry every byte: text is made valid UTF-8 first, and the
 * control characters XML forbids (and U+FFFE, U+FFFF) become U+FFFD.
 */
#include "format_junit.h"
#include "emit.h"

#include <stdlib.h>
#include <string.h>

/* Write `s` escaped for an attribute value or element text. */
static void put_xml(FILE *out, const char *s)
{
	char *clean = emit_utf8(s ? s : "");
	const unsigned char *p;

	for (p = (const unsigned char *)clean; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '\n': fputs("&#10;", out); break;
		case '\r': fputs("&#13;", out); break;
		case '\t': fputs("&#9;", out); break;
		default:
			if (*p < 0x20)
				fputs("\xef\xbf\xbd", out);
			else if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				fputs("\xef\xbf\xbd", out);
				p += 2;
			} else
				fputc(*p, out);
		}
	}
	free(clean);
}

static void finding_case(FILE *out, const pysec_finding *f, const pysec_write_options *o)
{
	fputs("    <testcase classname=\"", out);
	put_xml(out, f->path);
	fprintf(out, "\" name=\"%s ", f->rule);
	put_xml(out, f->path);
	fprintf(out, ":%u:%u\">\n", f->line, f->column);
	if (pysec_finding_blocks(f, &o->threshold)) {
		fprintf(out, "      <failure type=\"%s\" message=\"", f->rule);
		put_xml(out, f->message);
		fputs("\">", out);
		put_xml(out, f->path);
		fprintf(out, ":%u:%u: %s [%s/%s] ", f->line, f->column, f->rule, pysec_level_name(f->severity),
			pysec_level_name(f->confidence));
		put_xml(out, f->message);
		if (f->code) {
			fputs("&#10;    ", out);
			put_xml(out, f->code);
		}
		if (f->fix) {
			fputs("&#10;fix: ", out);
			put_xml(out, f->fix);
		}
		if (f->commit)
			fprintf(out, "&#10;commit: %s", f->commit);
		fputs("</failure>\n", out);
	} else {
		fprintf(out, "      <skipped>below the threshold: %s [%s/%s] ", f->rule, pysec_level_name(f->severity),
			pysec_level_name(f->confidence));
		put_xml(out, f->message);
		fputs("</skipped>\n", out);
	}
	fputs("    </testcase>\n", out);
}

static void entry_case(FILE *out, const pysec_entry *e)
{
	const char *word = emit_entry_word(e->kind);

	fputs("    <testcase classname=\"", out);
	put_xml(out, e->path ? e->path : "pysec");
	fprintf(out, "\" name=\"%s ", word);
	put_xml(out, e->path ? e->path : "scan");
	if (e->line)
		fprintf(out, ":%u", e->line);
	fputs("\">\n", out);
	if (e->kind == PYSEC_ENTRY_ERROR) {
		fputs("      <error type=\"error\" message=\"", out);
		put_xml(out, e->message);
		fputs("\"/>\n", out);
	} else if (e->kind == PYSEC_ENTRY_SKIPPED) {
		fputs("      <skipped>", out);
		put_xml(out, e->message);
		fputs("</skipped>\n", out);
	} else {
		fputs("      <system-out>warning: ", out);
		put_xml(out, e->message);
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
}

int format_junit_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	size_t i, tests = 0, failures = 0, errors = 0, skipped = 0;
	char when[32];

	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *f = pysec_report_finding(r, i);
		if (!emit_shows(f, o))
			continue;
		tests++;
		if (pysec_finding_blocks(f, &o->threshold))
			failures++;
		else
			skipped++;
	}
	for (i = 0; i < pysec_report_entry_count(r); i++) {
		const pysec_entry *e = pysec_report_entry(r, i);
		tests++;
		errors += e->kind == PYSEC_ENTRY_ERROR;
		skipped += e->kind == PYSEC_ENTRY_SKIPPED;
	}
	emit_utc(when, o->run ? o->run->start_time : 0, 0);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"pysec\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
		tests ? tests : 1, failures, errors);
	fprintf(out, "  <testsuite name=\"pysec\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		"timestamp=\"%s\">\n", tests ? tests : 1, failures, errors, skipped, when);
	for (i = 0; i < pysec_report_finding_count(r); i++)
		if (emit_shows(pysec_report_finding(r, i), o))
			finding_case(out, pysec_report_finding(r, i), o);
	for (i = 0; i < pysec_report_entry_count(r); i++)
		entry_case(out, pysec_report_entry(r, i));
	if (!tests)
		fputs("    <testcase classname=\"pysec\" name=\"nothing found\"/>\n", out);
	fputs("  </testsuite>\n</testsuites>\n", out);
	return ferror(out) ? error_set(PYSEC_ERROR, "cannot write the JUnit report") : 0;
}
