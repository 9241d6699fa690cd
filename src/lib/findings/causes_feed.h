/* Feeding the cause model (causes.h): facts from the steps' own records,
 * in-process (overview, arenas) or from their findings JSON (the guide,
 * which runs the steps as children; contracts in docs/json/). */
#ifndef MS_CAUSES_FEED_H
#define MS_CAUSES_FEED_H

#include "findings/arenas.h"
#include "findings/causes.h"
#include "findings/overview.h"
#include "records/jsonread.h"

void ms_cause_facts_from_overview(struct ms_cause_facts *f, const struct ms_overview *ov);
void ms_cause_facts_from_arenas(struct ms_cause_facts *f, const struct ms_arenas *a);

/* From findings JSON; any of the three may be NULL (that block stays
 * unfilled).  compare: final RSS per configuration (docs/json/compare.md). */
void ms_cause_facts_from_json(struct ms_cause_facts *f, const struct ms_jval *overview,
			      const struct ms_jval *arenas, const struct ms_jval *compare);

#endif
