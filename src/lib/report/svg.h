/* Small self-contained SVG charts for the reports: no scripts, no fonts
 * beyond the generic family, no external references, so a report opens
 * offline anywhere.  Values are bytes; labels are formatted with
 * ms_size_fmt.  Each chart carries a class naming its kind ("chart-bar",
 * "chart-stack", "chart-line") so tests can find it in the DOM. */
#ifndef MS_SVG_H
#define MS_SVG_H

#include <stdint.h>
#include <stdio.h>

#define MS_SVG_MAX_SEGS 6
#define MS_SVG_MAX_SERIES 16

struct ms_svg_bar {
	char     label[64];
	uint64_t value;
};

/* One horizontal bar per item, in the order given; values are bytes, or
 * plain counts when is_bytes is 0. */
void ms_svg_bars(FILE *out, const char *title, const struct ms_svg_bar *bars, int n, int is_bytes);

struct ms_svg_stack {
	char     label[64];
	uint64_t seg[MS_SVG_MAX_SEGS];
};

/* One bar per row, split into nseg segments named by seg_names. */
void ms_svg_stacks(FILE *out, const char *title, const char *const *seg_names, int nseg,
		   const struct ms_svg_stack *rows, int n);

/* How a line is drawn: in its own colour (the palette in order of the
 * highlighted series, so at most 8 are told apart), faded grey (the many
 * that only the table lists one by one), or dashed grey (samples after a
 * marked moment, shown apart from the series up to it). */
enum ms_svg_style { MS_SVG_HIGHLIGHT, MS_SVG_FADED, MS_SVG_LATER };

struct ms_svg_series {
	char          name[96];   /* legend and hover text */
	const double *t;          /* seconds */
	const uint64_t *v;        /* bytes */
	int           n;
	enum ms_svg_style style;
};

/* A moment on the time axis: a vertical line labelled with it. */
struct ms_svg_marker {
	double t;                 /* seconds, on the series' clock */
	char   label[96];
};

/* Lines of value over time, one per series; faded ones are drawn first
 * (under the others) and share one legend entry.  Each polyline carries
 * class "series" plus "highlight"/"faded"/"later", and data-t-last (its
 * last point's time, seconds) so a test can read what was drawn.  marker
 * may be NULL. */
void ms_svg_lines(FILE *out, const char *title, const struct ms_svg_series *s, int n,
		  const struct ms_svg_marker *marker);

/* Components over time, stacked: v[k][i] is segment k at time t[i] (bytes),
 * drawn as areas one on top of the other; names carry what the legend says
 * (e.g. the growth rate).  nseg <= MS_SVG_MAX_SEGS. */
void ms_svg_area_stack(FILE *out, const char *title, const char *const *names, int nseg,
		       const double *t, const uint64_t *const *v, int n);

/* Text escaped for XML/HTML content and attributes. */
void ms_xml_escape(FILE *out, const char *s);

#endif
