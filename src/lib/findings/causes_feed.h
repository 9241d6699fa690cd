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

/* Read from a core of process pid with that command line (NT_PRPSINFO):
 * a core says nothing of whether its process still runs (gcore leaves it
 * running), so alive is 0 and from_core says whether a process of that
 * PID exists here (it may be the core's, or another's): remedies name the
 * PID only with that caveat, the others rerun its command. */
void ms_cause_facts_core(struct ms_cause_facts *f, pid_t pid, const char *command);
/* Whether a process of that PID exists here (kill 0; EPERM: someone
 * else's), for a core's process.  0 for pid <= 0. */
int ms_core_pid_exists(pid_t pid);

/* From findings JSON; any of the three may be NULL (that block stays
 * unfilled).  compare: final RSS per configuration (docs/json/compare.md). */
void ms_cause_facts_from_json(struct ms_cause_facts *f, const struct ms_jval *overview,
			      const struct ms_jval *arenas, const struct ms_jval *compare);

#endif
