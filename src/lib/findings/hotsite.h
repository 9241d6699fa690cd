/* Which call site of a hotspots recording a cause is about.  One rule for
 * the guide's hotspots step, its conclusions and the remedy's "so far":
 * memory that is live is held by whoever allocated the bytes still live,
 * not by whoever calls malloc most (a JVM's os::malloc makes the most
 * calls; zlib's deflateInit2_ holds 200 MiB a site). */
#ifndef MS_HOTSITE_H
#define MS_HOTSITE_H

#include "findings/causes.h"
#include "records/jsonread.h"

/* 1 when cause kind k is about live memory (blocks still allocated:
 * in use outside the bookkeeping, a growing leak, live mmapped chunks),
 * 0 when about free memory glibc keeps or the arenas' spread. */
int ms_cause_about_live(enum ms_cause_kind k);

/* The site of hotspots' findings (docs/json/hotspots.md sites[], sorted
 * by calls) that a cause of kind k is about: for live memory the one with
 * the most live_bytes at the moment (at equal bytes the one with more
 * calls), NULL when no site holds any (count-only or attached without
 * --live: live bytes are not known); for the others the one with the most
 * calls, the churn that fills and spreads the heaps (NULL: no site).
 * The returned node belongs to hotspots. */
const struct ms_jval *ms_hot_site_for(const struct ms_jval *hotspots, enum ms_cause_kind k);

#endif
