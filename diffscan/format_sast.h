/* format_sast.h: the report as GitLab's security report, SAST schema 15.0.7. */
#ifndef PYSEC_FORMAT_SAST_H
#define PYSEC_FORMAT_SAST_H

#include <stdio.h>
#include "pysec.h"

/* Write all of `r` to `out`: 0, or PYSEC_ERROR with the error set. */
int format_sast_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

#endif
