/* format_junit.h: the report as JUnit XML, a test case per finding. */
#ifndef PYSEC_FORMAT_JUNIT_H
#define PYSEC_FORMAT_JUNIT_H

#include <stdio.h>
#include "pysec.h"

/* Write all of `r` to `out`: 0, or PYSEC_ERROR with the error set. */
int format_junit_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

#endif
