/* The guide's short watch, judged with the time series' own verdicts
 * (timeseries.h): what grows becomes step 1's evidence and leads the
 * conclusions, and a growing in-use total keeps the guide from concluding
 * "no gap" (ms_guide_relevant, ms_guide_take_accounted). */
#include "findings/guide.h"

#include <stdio.h>
#include <string.h>

#include "util/size.h"

/* "+1.2 MiB/s (growing, R² 0.98)", "+0 B/s (flat)", "unknown (1 point)":
 * a trend from too few points is unknown, never flat; R² only for a
 * slope it qualifies (a flat series' R² says nothing). */
static void trend_text(const struct ms_trend *t, char *buf, size_t len)
{
	char a[MS_SIZE_BUF];
	double sl = t->slope < 0 ? -t->slope : t->slope;
	if (t->dir == MS_TR_UNKNOWN)
		snprintf(buf, len, "unknown (%llu point%s over %.0f s: too few to fit)", (unsigned long long)t->n,
			 t->n == 1 ? "" : "s", t->span_s);
	else if (t->dir == MS_TR_FLAT)
		snprintf(buf, len, "%c%s/s (flat)", t->slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)sl, a));
	else
		snprintf(buf, len, "%c%s/s (%s, R² %.2f)", t->slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)sl, a),
			 ms_trend_dir_name(t->dir), t->r2);
}

void ms_guide_take_watch(struct ms_guide *g)
{
	struct ms_tseries *ts = &g->watch;
	if (!ts->nsamples)
		return;
	ts->pid = g->pid;
	/* a launched command ends with the guide: its growth's next command
	 * is a new run of the command, never its PID */
	if (g->launched) {
		ts->alive = 0;
		ts->command = g->command;
	}
	g->watch_s = ts->last.t;
	g->ngrowth = ms_ts_verdicts(ts, g->growth, MS_TS_MAX_VERDICTS);
	struct ms_trend use, kept, rss;
	ms_ts_trend(ts, MS_TS_IN_USE, &use);
	ms_ts_trend(ts, MS_TS_FREE_KEPT, &kept);
	ms_ts_trend(ts, MS_TS_RSS, &rss);
	g->in_use_grows = use.dir == MS_TR_GROWING;
	struct ms_gstep *s = &g->step[MS_G_ACCOUNTED];
	char r[96], u[128], k[96], over[96] = "";
	trend_text(&rss, r, sizeof r);
	trend_text(&use, u, sizeof u);
	trend_text(&kept, k, sizeof k);
	/* the span measured, and why it differs from the one announced */
	double asked = g->watch_asked_s > 0 ? g->watch_asked_s : g->watch_s;
	if (g->watch_s > asked + 1)
		snprintf(over, sizeof over, " (asked %.0f s: a sample's arenas walk took longer)", asked);
	if (use.n || ts->nalloc)
		ms_gstep_evidence(s, "over a %.0f s watch%s (%llu samples, %llu with glibc's figures): RSS %s, glibc in "
				  "use %s, free kept %s", g->watch_s, over, (unsigned long long)ts->nsamples,
				  (unsigned long long)ts->nalloc, r, u, k);
	else
		ms_gstep_evidence(s, "over a %.0f s watch%s (%llu samples): RSS %s", g->watch_s, over,
				  (unsigned long long)ts->nsamples, r);
	/* the same span as the evidence: what was measured is what reproduces */
	ms_gstep_command(s, "memsleuth watch %d --duration %.0f", (int)g->pid, g->watch_s < 1 ? 1 : g->watch_s);
}

/* Each growth verdict goes before the first conclusion of its level or
 * lower: a growing leak leads, but a few MiB seen in a short watch (info,
 * findings/growthsev.h) never stand above a cause of hundreds of MiB. */
void ms_guide_conclude_growth(struct ms_guide *g)
{
	struct ms_verdicts *c = &g->conclusions;
	for (int i = 0; i < g->ngrowth; i++) {
		const struct ms_growth_verdict *v = &g->growth[i];
		if (v->kind == MS_GROW_STABLE || v->kind == MS_GROW_TOO_SHORT)
			continue;   /* the other conclusions stand; growth adds, never hides */
		int at = 0;
		while (at < c->n && c->v[at].level > v->level)
			at++;
		if (at >= MS_MAX_VERDICTS)
			continue;
		if (c->n >= MS_MAX_VERDICTS)
			c->n--;   /* full: the last, least severe, makes room */
		memmove(&c->v[at + 1], &c->v[at], (size_t)(c->n - at) * sizeof c->v[0]);
		c->n++;
		struct ms_verdict *x = &c->v[at];
		x->level = v->level;
		snprintf(x->next, sizeof x->next, "%s", v->next);
		snprintf(x->text, sizeof x->text, "Over the %.0f s watch, %s", g->watch_s, v->text);
	}
}
