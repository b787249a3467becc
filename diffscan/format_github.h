/* format_github.h: the report as GitHub Actions workflow commands. */
#ifndef PYSEC_FORMAT_GITHUB_H
#define PYSEC_FORMAT_GITHUB_H

#include <stdio.h>
#include "pysec.h"

/* Write all of `r` to `out`: 0, or PYSEC_ERROR with the error set. */
int format_github_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

#endif
