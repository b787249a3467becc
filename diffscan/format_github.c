/*
 * format_github.c: GitHub Actions workflow commands, one line each, which
 * the runner turns into annotations on the pull request's files:
 * "::error file=F,line=L,endLine=E,col=C,endColumn=D,title=T::MESSAGE".
 * A blocking finding is an error, one below the threshold a warning; a file
 * that could not be scanned fully is an error, a skipped file a notice.
 *
 * Escaping, as GitHub documents it (and its toolkit does): in the message,
 * '%', CR and LF become %25, %0D and %0A; in a property also ':' and ','
 * become %3A and %2C.  Columns count UTF-16 code units, as in SARIF.
 */
#include "format_github.h"
#include "emit.h"

#include <stdlib.h>

static void put_escaped(FILE *out, const char *s, int property)
{
	char *clean = emit_utf8(s ? s : "");
	const char *p;

	for (p = clean; *p; p++) {
		if (*p == '%')
			fputs("%25", out);
		else if (*p == '\r')
			fputs("%0D", out);
		else if (*p == '\n')
			fputs("%0A", out);
		else if (property && *p == ':')
			fputs("%3A", out);
		else if (property && *p == ',')
			fputs("%2C", out);
		else
			fputc(*p, out);
	}
	free(clean);
}

static void finding_command(FILE *out, const pysec_finding *f, const pysec_write_options *o)
{
	char title[256];

	fprintf(out, "::%s file=", pysec_finding_blocks(f, &o->threshold) ? "error" : "warning");
	put_escaped(out, f->path, 1);
	fprintf(out, ",line=%u,endLine=%u,col=%u,endColumn=%u,title=", f->line, f->end_line,
		f->column_utf16 ? f->column_utf16 : f->column, f->end_column_utf16 ? f->end_column_utf16 : f->end_column);
	snprintf(title, sizeof(title), "pysec %s: %s", f->rule, f->title ? f->title : f->rule);
	put_escaped(out, title, 1);
	fputs("::", out);
	fprintf(out, "%s [%s/%s] ", f->rule, pysec_level_name(f->severity), pysec_level_name(f->confidence));
	put_escaped(out, f->message, 0);
	if (f->fix) {
		fputs("%0Afix: ", out);
		put_escaped(out, f->fix, 0);
	}
	fputc('\n', out);
}

static void entry_command(FILE *out, const pysec_entry *e)
{
	const char *cmd = e->kind == PYSEC_ENTRY_ERROR ? "error" : e->kind == PYSEC_ENTRY_WARNING ? "warning" : "notice";

	fprintf(out, "::%s", cmd);
	if (e->path) {
		fputs(" file=", out);
		put_escaped(out, e->path, 1);
		if (e->line)
			fprintf(out, ",line=%u", e->line);
		fputs(",title=pysec", out);
	} else {
		fputs(" title=pysec", out);
	}
	fprintf(out, "::%s: ", emit_entry_word(e->kind));
	put_escaped(out, e->message, 0);
	fputc('\n', out);
}

int format_github_write(const pysec_report *r, const pysec_write_options *o, FILE *out)
{
	size_t i;

	for (i = 0; i < pysec_report_finding_count(r); i++)
		if (emit_shows(pysec_report_finding(r, i), o))
			finding_command(out, pysec_report_finding(r, i), o);
	for (i = 0; i < pysec_report_entry_count(r); i++)
		entry_command(out, pysec_report_entry(r, i));
	return ferror(out) ? error_set(PYSEC_ERROR, "cannot write the workflow commands") : 0;
}
