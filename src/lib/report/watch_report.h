/* The watch step's output: a live line per sample and the summary (trends
 * and growth verdicts) in text, and the same as NDJSON -- one object per
 * line, each with schema_version and type "sample", "summary" or "end"
 * (docs/json/watch.md). */
#ifndef MS_WATCH_REPORT_H
#define MS_WATCH_REPORT_H

#include <stdio.h>
#include "findings/timeseries.h"
#include "findings/tsample.h"
#include "report/json.h"

/* How the watch ended. */
enum ms_watch_end { MS_WE_DURATION, MS_WE_SAMPLES, MS_WE_INTERRUPTED, MS_WE_TARGET_EXITED, MS_WE_UNREADABLE };
const char *ms_watch_end_name(enum ms_watch_end w);

struct ms_watch_info {
	const struct ms_sampler *sampler;
	double interval_s, duration_s;    /* duration 0: until stopped */
	uint64_t max_samples;             /* 0: no limit */
	enum ms_watch_end end;
	double end_t;                     /* seconds since the start */
	char   end_wall[32];              /* local time the target ended, "" */
	char   end_detail[256];           /* how the target ended ("exit status 0") */
};

/* Text: the opening lines, the column heads, one line per sample. */
void ms_watch_text_begin(FILE *out, const struct ms_watch_info *w);
/* prev: the sample before; prev_alloc: the last one before with glibc's
 * figures (either may be NULL): the CHANGE columns. */
void ms_watch_text_sample(FILE *out, const struct ms_sample *s, const struct ms_sample *prev,
			  const struct ms_sample *prev_alloc);
/* The end line (target exit), the trends and the verdicts. */
void ms_watch_text_summary(FILE *out, const struct ms_tseries *ts, const struct ms_watch_info *w);

/* NDJSON lines. */
void ms_watch_json_sample(FILE *out, const struct ms_tseries *ts, const struct ms_sample *s);
void ms_watch_json_summary(FILE *out, const struct ms_tseries *ts, const struct ms_watch_info *w);
/* trends, verdicts and timeline as members of the open object j (the
 * summary's, and the guide's "watch"). */
void ms_watch_json_findings(struct ms_json *j, const struct ms_tseries *ts);
void ms_watch_json_end(FILE *out, const struct ms_tseries *ts, const struct ms_watch_info *w);

#endif
