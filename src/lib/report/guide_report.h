/* The guide's findings as one JSON document (docs/json/guide.md). */
#ifndef MS_GUIDE_REPORT_H
#define MS_GUIDE_REPORT_H

#include "findings/guide.h"
#include "report/json.h"

void ms_guide_json(const struct ms_guide *g, struct ms_json *j, const char *started, const char *host);

#endif
