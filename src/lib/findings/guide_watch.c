/* The guide's short watch, judged with the time series' own verdicts
 * (timeseries.h): what grows becomes step 1's evidence and leads the
 * conclusions, and a growing in-use total keeps the guide from concluding
 * "no gap" (ms_guide_relevant, ms_guide_take_accounted). */
#include "findings/guide.h"

#include <stdio.h>

#include "util/size.h"

void ms_guide_take_watch(struct ms_guide *g)
{
	struct ms_tseries *ts = &g->watch;
	if (!ts->nsamples)
		return;
	ts->pid = g->pid;
	g->watch_s = ts->last.t;
	g->ngrowth = ms_ts_verdicts(ts, g->growth, MS_TS_MAX_VERDICTS);
	struct ms_trend use, kept, rss;
	ms_ts_trend(ts, MS_TS_IN_USE, &use);
	ms_ts_trend(ts, MS_TS_FREE_KEPT, &kept);
	ms_ts_trend(ts, MS_TS_RSS, &rss);
	g->in_use_grows = use.dir == MS_TR_GROWING;
	struct ms_gstep *s = &g->step[MS_G_ACCOUNTED];
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF];
	double sr = rss.slope < 0 ? -rss.slope : rss.slope, su = use.slope < 0 ? -use.slope : use.slope;
	double sk = kept.slope < 0 ? -kept.slope : kept.slope;
	if (use.n)
		ms_gstep_evidence(s, "over a %.0f s watch (%llu samples): RSS %c%s/s (%s), glibc in use %c%s/s (%s, R² %.2f), "
				  "free kept %c%s/s (%s)", g->watch_s, (unsigned long long)ts->nsamples,
				  rss.slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)sr, a), ms_trend_dir_name(rss.dir),
				  use.slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)su, b), ms_trend_dir_name(use.dir), use.r2,
				  kept.slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)sk, c), ms_trend_dir_name(kept.dir));
	else
		ms_gstep_evidence(s, "over a %.0f s watch (%llu samples): RSS %c%s/s (%s)", g->watch_s,
				  (unsigned long long)ts->nsamples, rss.slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)sr, a),
				  ms_trend_dir_name(rss.dir));
	ms_gstep_command(s, "memsleuth watch %d --duration %.0f", (int)g->pid, g->watch_s < 1 ? 1 : g->watch_s);
}

void ms_guide_conclude_growth(struct ms_guide *g)
{
	for (int i = 0; i < g->ngrowth; i++) {
		const struct ms_growth_verdict *v = &g->growth[i];
		if (v->kind == MS_GROW_STABLE || v->kind == MS_GROW_TOO_SHORT)
			continue;   /* the other conclusions stand; growth adds, never hides */
		ms_verdict_add(&g->conclusions, v->level, v->next, "Over the %.0f s watch, %s", g->watch_s, v->text);
	}
}
