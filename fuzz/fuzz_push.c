/* fuzz_push.c: any bytes as pre-receive input. */
#include <stdint.h>
#include "pysec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pysec_push *push = NULL;

	if (pysec_push_parse(&push, (const char *)data, size) == 0)
		pysec_push_free(push);
	return 0;
}
