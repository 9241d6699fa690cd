/* The overview step's findings as text (aligned tables, verdicts) and as
 * JSON (the contract in docs/json/overview.md). */
#ifndef MS_OVERVIEW_REPORT_H
#define MS_OVERVIEW_REPORT_H

#include <stdio.h>
#include "findings/overview.h"
#include "report/json.h"

void ms_overview_text(const struct ms_overview *ov, FILE *out);
void ms_overview_json(const struct ms_overview *ov, struct ms_json *j);

/* Verdicts, shared by every step's text and JSON output. */
void ms_verdicts_text(const struct ms_verdicts *vs, FILE *out);
void ms_verdicts_json(const struct ms_verdicts *vs, struct ms_json *j);

#endif
