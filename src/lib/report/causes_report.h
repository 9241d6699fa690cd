/* The cause model (findings/causes.h) as text and as the "causes" member
 * of a step's JSON (docs/json.md, "causes").  Every step that judges
 * prints its causes through these, so they read the same everywhere. */
#ifndef MS_CAUSES_REPORT_H
#define MS_CAUSES_REPORT_H

#include <stdio.h>
#include "findings/causes.h"
#include "report/json.h"

/* "causes" key + array, inside the caller's open object. */
void ms_causes_json(const struct ms_causes *c, struct ms_json *j);

/* The causes, largest first (bytes, share, severity), then every remedy
 * ordered by the bytes it addresses. */
void ms_causes_text(const struct ms_causes *c, FILE *out);

#endif
