/* libFuzzer harness: lab scenario files (records/labfile.c), parsed and
 * each step described as `memsleuth lab` prints it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records/labfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_err e;
	static struct ms_lab lab;   /* 4 KiB path inside: not on the stack */
	if (ms_lab_parse("fuzz.lab", (const char *)data, size, &lab, &e) == 0) {
		char line[256];
		for (size_t i = 0; i < lab.n; i++)
			ms_lab_describe(&lab.steps[i], line, sizeof line);
	}
	ms_lab_free(&lab);
	return 0;
}
