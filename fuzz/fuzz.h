/* fuzz.h: what the fuzz targets share. */
#ifndef PYSEC_FUZZ_H
#define PYSEC_FUZZ_H

#include <stdlib.h>
#include "pysec.h"

/* The engine with every rule enabled, compiled on first use and kept for the process. */
static inline const pysec_engine *fuzz_engine(void)
{
	static pysec_engine *engine;

	if (!engine) {
		pysec_config *cfg = NULL;
		pysec_config_new(&cfg);
		pysec_config_set(cfg, "pysec.enable", "all");
		if (pysec_engine_new(&engine, cfg) < 0)
			abort();
		pysec_config_free(cfg);
	}
	return engine;
}

#endif
