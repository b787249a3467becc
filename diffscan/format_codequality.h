/* format_codequality.h: the report as GitLab's Code Quality report. */
#ifndef PYSEC_FORMAT_CODEQUALITY_H
#define PYSEC_FORMAT_CODEQUALITY_H

#include <stdio.h>
#include "pysec.h"

/* Write all of `r` to `out`: 0, or PYSEC_ERROR with the error set. */
int format_codequality_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

#endif
