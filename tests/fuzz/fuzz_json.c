/* libFuzzer harness: the findings JSON reader (records/jsonread.c), then
 * the typed path reads a renderer makes on what it returns. */
#include <stddef.h>
#include <stdint.h>

#include "records/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_err e;
	struct ms_jval *v = ms_jparse((const char *)data, size, "fuzz", &e);
	if (!v)
		return 0;
	(void)ms_ju64(v, "totals.free_bytes", 0);
	(void)ms_jstr(v, "step", NULL);
	(void)ms_jnum(v, "arenas.0.heaps", 0);
	(void)ms_jbool(v, "partial", 0);
	ms_jfree(v);
	return 0;
}
