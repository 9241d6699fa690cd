/* The severity of a growth trend (growthsev.h).
 *
 * Why not an hour of the fitted rate, as before: a short watch's slope is
 * mostly noise -- a GC cycle, a cache breathing, arenas filling -- and an
 * hour of it made a 2 MiB wobble over 4 s on a 500 MiB JVM "1.8 GiB an
 * hour", the guide's first "!!", above the 396 MiB runtime heap that was
 * the answer.  What a window shows is the bytes it saw change; a rate
 * earns trust with the span it held for, so it is extrapolated over a
 * multiple of that span, not over a fixed hour: a 4 s trend over 40 s, a
 * minute's over ten, and an hour at most.  Under 4 MiB seen, nothing is
 * told apart from page noise, whatever the rate.  And a rate is trusted
 * only when its line fits (R^2 >= MS_GROWTH_STEADY_R2) and it did not stop:
 * trial 4 saw a 12 s growth followed by 28 s flat called a problem with
 * R^2 0.59. */
#include "findings/growthsev.h"

#include "findings/causes.h"

enum ms_level ms_growth_severity(double seen_bytes, double span_s, double slope, double r2, int stopped,
				 uint64_t rss)
{
	if (!(seen_bytes >= (double)MS_SEV_FLOOR_BYTES))   /* NaN too */
		return MS_INFO;
	if (stopped || !(r2 >= MS_GROWTH_STEADY_R2)) {
		/* not a rate that goes on: what was seen, and not a problem of
		 * growth (the bytes it left are the snapshot causes' to judge) */
		enum ms_level l = ms_cause_severity((uint64_t)seen_bytes, rss);
		return l > MS_NOTICE ? MS_NOTICE : l;
	}
	double horizon = span_s > 0 ? span_s * MS_GROWTH_TRUST_SPANS : 0;
	if (horizon > MS_GROWTH_TRUST_MAX_S)
		horizon = MS_GROWTH_TRUST_MAX_S;
	double adds = slope > 0 ? slope * horizon : 0;
	if (adds < seen_bytes)
		adds = seen_bytes;   /* never less than what was seen */
	return ms_cause_severity(adds >= 1e18 ? (uint64_t)1e18 : (uint64_t)adds, rss);
}
