/* format_sarif.h: the report as SARIF 2.1.0 (format_sarif.c says what it holds). */
#ifndef PYSEC_FORMAT_SARIF_H
#define PYSEC_FORMAT_SARIF_H

#include <stdio.h>
#include "pysec.h"

/* Write all of `r` to `out`: 0, or PYSEC_ERROR with the error set. */
int format_sarif_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

#endif
