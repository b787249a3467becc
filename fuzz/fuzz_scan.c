/* fuzz_scan.c: any bytes as a Python file, through the whole engine with every rule. */
#include <stdint.h>
#include <stdlib.h>
#include "pysec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pysec_engine *engine;
	pysec_report *report = NULL;

	if (!engine) {
		pysec_config *cfg = NULL;
		pysec_config_new(&cfg);
		pysec_config_set(cfg, "pysec.enable", "all");
		if (pysec_engine_new(&engine, cfg) < 0)
			abort();
		pysec_config_free(cfg);
	}
	pysec_report_new(&report);
	pysec_scan_buffer(report, engine, "fuzz.py", (const char *)data, size);
	pysec_report_free(report);
	return 0;
}
