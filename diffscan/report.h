/*
 * report.h: the findings and entries of a scan as the core builds them.
 * pysec.h's pysec_report_* functions read them (report.c).
 */
#ifndef PYSEC_REPORT_H
#define PYSEC_REPORT_H

#include "pysec.h"

struct pysec_report {
	pysec_finding *findings;
	size_t nfindings, fcap;
	pysec_entry *entries;
	size_t nentries, ecap;
};

/* Free what the report holds and empty it (the struct itself stays). */
void report_clear(struct pysec_report *r);
/* Drop finding `i` (the ones after it move up). */
void report_drop_finding(struct pysec_report *r, size_t i);
/* Drop the findings and entries past the first `findings` and `entries`. */
void report_truncate(struct pysec_report *r, size_t findings, size_t entries);
/* Move every finding and entry of `src` to the end of `dst`. */
void report_move(struct pysec_report *dst, struct pysec_report *src);
/* Append a finding; the report copies every string. */
void report_add_finding(struct pysec_report *r, const pysec_finding *f);
void report_add_entry(struct pysec_report *r, pysec_entry_kind kind, const char *path,
	uint32_t line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
