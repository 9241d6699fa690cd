/* Findings JSON (any step's --json, or the guide's combined document) into
 * a report for people: plain text, Markdown or one self-contained HTML
 * file with inline SVG charts.  msreport and `memsleuth guide --report`
 * both come through here, so every format is made in one place.  Only what
 * the JSON holds is drawn; what a chart would need and the JSON lacks is
 * said in words. */
#ifndef MS_RENDER_H
#define MS_RENDER_H

#include <stdio.h>
#include "records/jsonread.h"
#include "util/err.h"
#include "util/size.h"

enum ms_rfmt { MS_R_TEXT, MS_R_MD, MS_R_HTML };

struct ms_render {
	enum ms_rfmt fmt;
	FILE        *out;
	/* Markdown: charts are written as SVG files beside this path
	 * (report.md -> report-1.svg, ...).  NULL: charts are left out and
	 * the report says so. */
	const char  *md_path;
	int          ncharts;     /* charts emitted so far */
	int          failed;      /* a chart file could not be written */
	struct ms_err err;
	char         szbuf[8][MS_SIZE_BUF];
	int          szi;
};

/* Render doc.  Returns 0, or -1 with r->err set (unknown document, a chart
 * file that could not be written). */
int ms_render(const struct ms_jval *doc, struct ms_render *r);

const char *ms_rfmt_name(enum ms_rfmt f);

#endif
