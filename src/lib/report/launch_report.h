/* A launched command's wrapper and program (findings/launch.h) in JSON:
 *   "launch": { "text": LINE,
 *               "program": { "pid", "ppid", "name", "calls", BYTES_KEY },
 *               "wrapper": [ the same per wrapper process image ] }
 * BYTES_KEY is the step's measure: "requested_bytes" (hotspots),
 * "length_bytes" (syscalls).  docs/json/hotspots.md, docs/json/syscalls.md. */
#ifndef MS_LAUNCH_REPORT_H
#define MS_LAUNCH_REPORT_H

#include <stddef.h>
#include "findings/launch.h"
#include "report/json.h"

void ms_launch_json(struct ms_json *j, const struct ms_launch_image *im, size_t n, size_t program,
		    const char *line, const char *bytes_key);

#endif
