/* The overview of a core (findings/coreview.h) as text and JSON
 * (docs/json/overview.md, "From a core"). */
#ifndef MS_COREVIEW_REPORT_H
#define MS_COREVIEW_REPORT_H

#include <stdio.h>
#include "findings/coreview.h"
#include "report/json.h"

void ms_coreview_text(const struct ms_coreview *cv, FILE *out);
void ms_coreview_json(const struct ms_coreview *cv, struct ms_json *j);

#endif
