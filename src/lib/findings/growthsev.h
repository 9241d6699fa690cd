/* How serious a trend seen by a watch is (watch, the guide's short watch):
 * the one rule, so that a watch's "!!" means the same everywhere. */
#ifndef MS_GROWTHSEV_H
#define MS_GROWTHSEV_H

#include <stdint.h>
#include "findings/verdict.h"

/* A trend is trusted to go on for this many times the span it was seen
 * over, and for an hour at most. */
#define MS_GROWTH_TRUST_SPANS 10
#define MS_GROWTH_TRUST_MAX_S 3600.0

/* A trend is "steady" -- trusted to go on, a problem possible -- from this
 * R^2 of its line; below (a line through a growth that paused, a step, a
 * cache breathing), and for a growth that stopped in the window, the
 * severity is judged on the bytes seen only and is a notice at most. */
#define MS_GROWTH_STEADY_R2 0.8

/* The severity of a growth seen over span_s seconds: seen_bytes what it
 * changed by in the window (>= 0), slope its fitted rate in bytes per
 * second, r2 its line's R^2, stopped 1 when it rose and then stayed flat
 * (timeseries.h ms_trend_plateau), rss the process's RSS in bytes (0:
 * judged on bytes alone).
 * info when seen_bytes is under MS_SEV_FLOOR_BYTES (4 MiB); else the
 * cause model's severity (findings/causes.h ms_cause_severity: 25% of the
 * RSS or 256 MiB a problem, 5% or 32 MiB a notice) of what the rate adds
 * over MS_GROWTH_TRUST_SPANS x span_s, at most MS_GROWTH_TRUST_MAX_S.
 * E.g. 2 MiB over 4 s on a 500 MiB process: info; 1 MiB/s for 60 s on
 * 1 GiB (600 MiB over 10 min): problem; the same with R^2 0.59, or
 * stopped: notice. */
enum ms_level ms_growth_severity(double seen_bytes, double span_s, double slope, double r2, int stopped,
				 uint64_t rss);

#endif
