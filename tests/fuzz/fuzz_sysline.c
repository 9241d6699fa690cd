/* libFuzzer harness: memory-syscall lines of every backend -- the script
 * protocol SystemTap and bpftrace print (records/memsys.c
 * ms_sysline_parse) and tracefs trace_pipe lines
 * (probe/systrace_tracefs.c), then the pairing and formatting of what they
 * yield.  The first byte chooses the backend; the rest is split into
 * lines as the readers split their pipe. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/systrace.h"
#include "records/memsys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ms_pairer pair;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int tracefs = data[0] & 1;
	char *text = malloc(size);   /* the rest, NUL-terminated like a read line */
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	ms_pairer_init(&pair);
	char *line = text, *end = text + size - 1;
	while (line <= end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		if (nl)
			*nl = 0;
		struct ms_sysev ev, done;
		char out[256];
		if (tracefs) {
			int64_t ret = 0;
			int k = ms_tracefs_parse_line(line, &ev, &ret);
			if (k == 'E')
				ms_pairer_enter(&pair, &ev);
			else if (k == 'X' && ms_pairer_exit(&pair, ev.tid, ev.sc, ret, ev.ts_ns, &done))
				ms_sysev_format(&done, out, sizeof out);
		} else {
			uint64_t times;
			if (ms_sysline_parse(line, &ev, &times))
				ms_sysev_format(&ev, out, sizeof out);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	free(text);
	return 0;
}
