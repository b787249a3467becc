/*
 * fuzz_bandit.c: any bytes as a project's Bandit configuration, YAML (a
 * --bandit-config file, libyaml) or .bandit (INI, inih), and what each of
 * its entries means to pysec.  Beyond "no crash": a file that is read has
 * only clean keys and values, within the bounds, each with its line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bandit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bandit_config c = { 0 };
	size_t i, values = 0;
	int rc;

	if (size < 1)
		return 0;
	/* byte 0, bit 0: the format */
	if (data[0] & 1)
		rc = bandit_ini_read(&c, ".bandit", (const char *)data + 1, size - 1);
	else
		rc = bandit_yaml_read(&c, "bandit.yaml", (const char *)data + 1, size - 1);
	if (rc < 0 && !*pysec_error_last())
		abort();
	for (i = 0; rc == 0 && i < c.len; i++) {
		struct bandit_meaning m;
		if (!c.entries[i].line || !c.entries[i].key)
			abort();
		values += c.entries[i].nvalues;
		bandit_meaning_of(&m, &c.entries[i]);
		if (!m.key && m.value)
			abort();
		bandit_meaning_clear(&m);
	}
	if (c.len > BANDIT_MAX_ENTRIES || values > BANDIT_MAX_VALUES)
		abort();
	bandit_config_free(&c);
	return 0;
}
