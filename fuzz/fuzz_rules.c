/* fuzz_rules.c: any bytes as a rule file; then, if it loads, a small scan with it. */
#include <stdint.h>
#include <string.h>
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set set;

	memset(&set, 0, sizeof(set));
	rules_parse(&set, "fuzz.rule", (const char *)data, size, NULL);
	rules_clear(&set);
	return 0;
}
