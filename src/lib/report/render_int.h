/* Shared inside the report renderer: format-neutral primitives
 * (render.c), one section writer per step (render_steps.c), the guide's
 * combined document (render_guide.c). */
#ifndef MS_RENDER_INT_H
#define MS_RENDER_INT_H

#include "report/render.h"
#include "report/table.h"

const char *rsz(struct ms_render *r, uint64_t b);
void r_heading(struct ms_render *r, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void r_para(struct ms_render *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void r_code(struct ms_render *r, const char *cmd);
void r_list(struct ms_render *r, const struct ms_jval *arr);
void r_verdicts(struct ms_render *r, const struct ms_jval *arr);
void r_table(struct ms_render *r, struct ms_table *t);       /* prints and frees */
void r_facts_begin(struct ms_table *t);
void r_fact_bytes(struct ms_render *r, struct ms_table *t, const char *what, const struct ms_jval *doc,
		  const char *path);
void r_fact(struct ms_table *t, const char *what, const char *value);
void r_chart(struct ms_render *r, const char *title, const char *svg);
FILE *r_chart_open(char **buf, size_t *len);
void r_chart_close(struct ms_render *r, FILE *f, char **buf, const char *title);

/* One step's findings as a section; level is the heading level. */
void r_step(struct ms_render *r, const struct ms_jval *f, int level);
void r_guide(struct ms_render *r, const struct ms_jval *doc);
/* The "causes" array: a chart of their bytes, a table, each with remedies. */
void r_causes(struct ms_render *r, const struct ms_jval *causes, int level);
/* RSS over time from [[t, bytes], ...] pairs, one series.  examined_s >= 0:
 * the series ends at that moment with examined_bytes (the RSS read then),
 * marked on the chart; later pairs are drawn apart (dashed).  < 0: all of
 * them as one series. */
void r_timeline(struct ms_render *r, const char *title, const char *name, const struct ms_jval *pairs,
		double examined_s, uint64_t examined_bytes);
/* watch's timeline (samples with rss_bytes, in_use_bytes, free_resident_bytes)
 * as a stacked chart, the trends' rates in its legend. */
void r_watch_timeline(struct ms_render *r, const struct ms_jval *timeline, const struct ms_jval *trends);

#endif
