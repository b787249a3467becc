/* cache.h: results kept between scans by a long-running caller (pysec.h's pysec_cache). */
#ifndef PYSEC_CACHE_H
#define PYSEC_CACHE_H

#include "engine.h"

/* engine_scan_file() of blob `oid` through the cache: a kept result, or a scan that is then kept. */
int cache_scan(pysec_cache *cache, const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, const git_oid *oid, double deadline);

#endif
