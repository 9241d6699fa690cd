#include "report/svg.h"

#include <inttypes.h>
#include <string.h>

#include "util/size.h"

/* Colour-blind-safe palette (Okabe-Ito), in segment/series order. */
static const char *const palette[] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
};
#define NPAL (sizeof palette / sizeof palette[0])

enum { W = 760, LABEL_W = 170, ROW_H = 24, TOP = 34 };

void ms_xml_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

static void head(FILE *out, const char *kind, const char *title, int h)
{
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart %s\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
		kind, W, h, W, h);
	ms_xml_escape(out, title);
	fprintf(out, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
		"<text x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", W, h);
	ms_xml_escape(out, title);
	fputs("</text>\n", out);
}

static void label(FILE *out, int x, int y, const char *anchor, const char *s)
{
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">", x, y, anchor);
	ms_xml_escape(out, s);
	fputs("</text>\n", out);
}

void ms_svg_bars(FILE *out, const char *title, const struct ms_svg_bar *bars, int n, int is_bytes)
{
	uint64_t max = 1;
	for (int i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	int span = W - LABEL_W - 100;
	head(out, "chart-bar", title, TOP + n * ROW_H + 10);
	for (int i = 0; i < n; i++) {
		int y = TOP + i * ROW_H;
		int w = (int)((double)bars[i].value / (double)max * span);
		char sz[MS_SIZE_BUF];
		label(out, LABEL_W - 6, y + 16, "end", bars[i].label);
		fprintf(out, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>",
			LABEL_W, y + 4, w > 0 ? w : 1, ROW_H - 6, palette[i % NPAL]);
		ms_xml_escape(out, bars[i].label);
		fprintf(out, ": %" PRIu64 "%s</title></rect>\n", bars[i].value, is_bytes ? " bytes" : "");
		if (!is_bytes)
			snprintf(sz, sizeof sz, "%" PRIu64, bars[i].value);
		label(out, LABEL_W + (w > 0 ? w : 1) + 6, y + 16, "start", is_bytes ? ms_size_fmt(bars[i].value, sz) : sz);
	}
	fputs("</svg>\n", out);
}

void ms_svg_stacks(FILE *out, const char *title, const char *const *seg_names, int nseg,
		   const struct ms_svg_stack *rows, int n)
{
	uint64_t max = 1;
	for (int i = 0; i < n; i++) {
		uint64_t sum = 0;
		for (int k = 0; k < nseg; k++)
			sum += rows[i].seg[k];
		if (sum > max)
			max = sum;
	}
	int span = W - LABEL_W - 90;
	int legend_y = TOP + n * ROW_H + 14;
	head(out, "chart-stack", title, legend_y + 24);
	for (int i = 0; i < n; i++) {
		int y = TOP + i * ROW_H, x = LABEL_W;
		uint64_t sum = 0;
		label(out, LABEL_W - 6, y + 16, "end", rows[i].label);
		for (int k = 0; k < nseg; k++) {
			sum += rows[i].seg[k];
			int w = (int)((double)rows[i].seg[k] / (double)max * span);
			if (!rows[i].seg[k])
				continue;
			fprintf(out, "<rect class=\"seg seg%d\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>",
				k, x, y + 4, w > 0 ? w : 1, ROW_H - 6, palette[k % NPAL]);
			ms_xml_escape(out, rows[i].label);
			fputs(" ", out);
			ms_xml_escape(out, seg_names[k]);
			fprintf(out, ": %" PRIu64 " bytes</title></rect>\n", rows[i].seg[k]);
			x += w > 0 ? w : 1;
		}
		char sz[MS_SIZE_BUF];
		label(out, x + 6, y + 16, "start", ms_size_fmt(sum, sz));
	}
	int x = 8;
	for (int k = 0; k < nseg; k++) {
		fprintf(out, "<rect class=\"legend\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x,
			legend_y, palette[k % NPAL]);
		label(out, x + 16, legend_y + 11, "start", seg_names[k]);
		x += 24 + 7 * (int)strlen(seg_names[k]);
	}
	fputs("</svg>\n", out);
}

/* The line colours: the palette without its grey; faded lines are light
 * grey, the later part of a timeline a darker grey, dashed. */
#define NLINE (NPAL - 1)
static const char faded_stroke[] = "#c8c8c8", later_stroke[] = "#777777";

static void legend_swatch(FILE *out, int x, int y, const char *colour, int dashed)
{
	fprintf(out, "<line class=\"legend\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		"stroke-width=\"3\"%s/>\n", x, y + 6, x + 14, y + 6, colour, dashed ? " stroke-dasharray=\"4 3\"" : "");
}

void ms_svg_lines(FILE *out, const char *title, const struct ms_svg_series *s, int n,
		  const struct ms_svg_marker *marker)
{
	double tmax = marker && marker->t > 0 ? marker->t : 0;
	uint64_t vmax = 1;
	int nfaded = 0, nlegend = 0;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < s[i].n; k++) {
			if (s[i].t[k] > tmax)
				tmax = s[i].t[k];
			if (s[i].v[k] > vmax)
				vmax = s[i].v[k];
		}
		if (s[i].style == MS_SVG_FADED)
			nfaded++;
		else
			nlegend++;
	}
	nlegend += nfaded > 0;
	if (tmax <= 0)
		tmax = 1;
	/* two legend entries a row: the names carry a role ("(default)") */
	const int x0 = 80, y0 = TOP + 8, pw = W - x0 - 20, ph = 200;
	int legend_y = y0 + ph + 36;
	head(out, "chart-line", title, legend_y + 20 * ((nlegend + 1) / 2) + 8);
	fprintf(out, "<path class=\"axis\" d=\"M%d %d V%d H%d\" stroke=\"#444\" fill=\"none\"/>\n", x0, y0, y0 + ph,
		x0 + pw);
	char sz[MS_SIZE_BUF], tl[32];
	for (int g = 0; g <= 4; g++) {
		int y = y0 + ph - g * ph / 4;
		label(out, x0 - 6, y + 4, "end", ms_size_fmt(vmax / 4 * (uint64_t)g, sz));
		snprintf(tl, sizeof tl, "%.1f s", tmax * g / 4);
		label(out, x0 + g * pw / 4, y0 + ph + 16, "middle", tl);
	}
	if (marker) {
		double x = x0 + marker->t / tmax * pw;
		fprintf(out, "<line class=\"marker\" data-t=\"%.6g\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#444\" stroke-dasharray=\"2 2\"/>\n", marker->t, x, y0 - 4, x, y0 + ph);
		/* low in the plot, off the lines' plateau; leftwards in the right half */
		fprintf(out, "<text class=\"marker-label\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">", x + (x > x0 + pw / 2 ? -4 : 4),
			y0 + ph - 8, x > x0 + pw / 2 ? "end" : "start");
		ms_xml_escape(out, marker->label);
		fputs("</text>\n", out);
	}
	int li = 0, hi = 0;
	/* faded first, so the highlighted lines are drawn over them */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			int faded = s[i].style == MS_SVG_FADED;
			if (faded != !pass)
				continue;
			const char *colour = s[i].style == MS_SVG_LATER ? later_stroke : faded ? faded_stroke
											   : palette[hi++ % NLINE];
			fprintf(out, "<polyline class=\"series %s\" fill=\"none\" stroke-width=\"%s\" stroke=\"%s\"%s "
				"data-t-last=\"%.6g\" points=\"",
				faded ? "faded" : s[i].style == MS_SVG_LATER ? "later" : "highlight", faded ? "1" : "2", colour,
				s[i].style == MS_SVG_LATER ? " stroke-dasharray=\"5 4\"" : "",
				s[i].n ? s[i].t[s[i].n - 1] : 0.0);
			for (int k = 0; k < s[i].n; k++)
				fprintf(out, "%s%.1f,%.1f", k ? " " : "", x0 + s[i].t[k] / tmax * pw,
					y0 + ph - (double)s[i].v[k] / (double)vmax * ph);
			fputs("\"><title>", out);
			ms_xml_escape(out, s[i].name);
			fputs("</title></polyline>\n", out);
			if (faded)
				continue;
			int lx = 8 + (li % 2) * 370, ly = legend_y + (li / 2) * 20;
			li++;
			legend_swatch(out, lx, ly, colour, s[i].style == MS_SVG_LATER);
			label(out, lx + 20, ly + 11, "start", s[i].name);
		}
	if (nfaded) {
		char more[96];
		snprintf(more, sizeof more, "%d more, faded: see the table", nfaded);
		int lx = 8 + (li % 2) * 370, ly = legend_y + (li / 2) * 20;
		legend_swatch(out, lx, ly, faded_stroke, 0);
		label(out, lx + 20, ly + 11, "start", more);
	}
	fputs("</svg>\n", out);
}

void ms_svg_area_stack(FILE *out, const char *title, const char *const *names, int nseg,
		       const double *t, const uint64_t *const *v, int n)
{
	double tmin = n ? t[0] : 0, tmax = n ? t[n - 1] : 1;
	uint64_t vmax = 1;
	for (int i = 0; i < n; i++) {
		uint64_t sum = 0;
		for (int k = 0; k < nseg; k++)
			sum += v[k][i];
		if (sum > vmax)
			vmax = sum;
	}
	if (tmax <= tmin)
		tmax = tmin + 1;
	const int x0 = 80, y0 = TOP + 8, pw = W - x0 - 20, ph = 200;
	int legend_y = y0 + ph + 36;
	head(out, "chart-area", title, legend_y + 20 * nseg + 8);
	char sz[MS_SIZE_BUF], tl[32];
	for (int g = 0; g <= 4; g++) {
		int y = y0 + ph - g * ph / 4;
		label(out, x0 - 6, y + 4, "end", ms_size_fmt(vmax / 4 * (uint64_t)g, sz));
		snprintf(tl, sizeof tl, "%.1f s", tmin + (tmax - tmin) * g / 4);
		label(out, x0 + g * pw / 4, y0 + ph + 16, "middle", tl);
	}
	/* segment k spans from the sum of 0..k-1 to the sum of 0..k:
	 * its polygon runs along the top left to right, back along the bottom */
	for (int k = 0; k < nseg && n > 0; k++) {
		fprintf(out, "<polygon class=\"area seg%d\" fill=\"%s\" fill-opacity=\"0.85\" points=\"", k,
			palette[k % NPAL]);
		for (int pass = 0; pass < 2; pass++)
			for (int j = 0; j < n; j++) {
				int i = pass ? n - 1 - j : j;
				uint64_t level = 0;
				for (int q = 0; q < k + (pass ? 0 : 1); q++)
					level += v[q][i];
				fprintf(out, "%s%.1f,%.1f", pass || j ? " " : "", x0 + (t[i] - tmin) / (tmax - tmin) * pw,
					y0 + ph - (double)level / (double)vmax * ph);
			}
		fputs("\"><title>", out);
		ms_xml_escape(out, names[k]);
		fputs("</title></polygon>\n", out);
		int ly = legend_y + k * 20;
		fprintf(out, "<rect class=\"legend\" x=\"8\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", ly,
			palette[k % NPAL]);
		label(out, 24, ly + 11, "start", names[k]);
	}
	fprintf(out, "<path class=\"axis\" d=\"M%d %d V%d H%d\" stroke=\"#444\" fill=\"none\"/>\n", x0, y0, y0 + ph,
		x0 + pw);
	fputs("</svg>\n", out);
}
