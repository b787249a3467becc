/* fuzz_scan.c: any bytes as a Python file, through the whole engine with every rule. */
#include <stdint.h>
#include <stdlib.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pysec_report *report = NULL;

	pysec_report_new(&report);
	pysec_scan_buffer(report, fuzz_engine(), "fuzz.py", (const char *)data, size);
	pysec_report_free(report);
	return 0;
}
