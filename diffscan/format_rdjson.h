/* format_rdjson.h: the report as reviewdog's diagnostic format. */
#ifndef PYSEC_FORMAT_RDJSON_H
#define PYSEC_FORMAT_RDJSON_H

#include <stdio.h>
#include "pysec.h"

/* Write all of `r` to `out`: 0, or PYSEC_ERROR with the error set. */
int format_rdjson_write(const pysec_report *r, const pysec_write_options *o, FILE *out);

#endif
