/* The causes section of a report: the causes largest first, their bytes on
 * one chart, each with its verdict and remedies (docs/json.md, "causes"). */
#include <inttypes.h>
#include <string.h>

#include "findings/causes.h"
#include "report/render_int.h"
#include "report/svg.h"

void r_causes(struct ms_render *r, const struct ms_jval *causes, int level)
{
	if (!causes || causes->type != MS_J_ARR || !causes->len)
		return;
	r_heading(r, level, "Causes, largest first");
	struct ms_svg_bar bars[16];
	int n = 0;
	for (const struct ms_jval *c = causes->child; c && n < 16; c = c->next) {
		const char *rt = ms_jstr(c, "runtime", NULL);
		snprintf(bars[n].label, sizeof bars[n].label, "%s%s%s%s", ms_jstr(c, "kind", "?"), rt ? " (" : "",
			 rt ? rt : "", rt ? ")" : "");
		bars[n++].value = ms_ju64(c, "resident_bytes", 0);
	}
	char *buf;
	size_t len;
	FILE *m = r_chart_open(&buf, &len);
	if (m)
		ms_svg_bars(m, "Resident bytes by cause", bars, n, 1);
	r_chart_close(r, m, &buf, "Resident bytes by cause");
	struct ms_table t;
	ms_table_init(&t, "llrrl", (const char *[]){ "severity", "cause", "resident", "of RSS", "resident bytes" });
	for (const struct ms_jval *c = causes->child; c; c = c->next)
		ms_table_rowf(&t, "%s\t%s\t%s\t%s\t%" PRIu64, ms_jstr(c, "severity", "?"), ms_jstr(c, "title", "?"),
			      rsz(r, ms_ju64(c, "resident_bytes", 0)),
			      ms_share_fmt(ms_jhas_num(c, "rss_share") ? ms_jnum(c, "rss_share", 0) : MS_SHARE_UNKNOWN, 1,
					   (char[16]){ 0 }, 16),
			      ms_ju64(c, "resident_bytes", 0));
	r_table(r, &t);
	for (const struct ms_jval *c = causes->child; c; c = c->next) {
		r_para(r, "%s [%s]: %s", ms_jstr(c, "kind", "?"), ms_jstr(c, "severity", "?"), ms_jstr(c, "text", ""));
		const struct ms_jval *rem = ms_jget(c, "remedies");
		for (const struct ms_jval *x = rem && rem->type == MS_J_ARR ? rem->child : NULL; x; x = x->next) {
			char eff[512];
			const char *proof = ms_jstr(x, "proven_by", NULL);
			if (ms_jhas_num(x, "expected_bytes") && !ms_jbool(x, "no_change", false))
				snprintf(eff, sizeof eff, "Remedy: %s; expected %s%s%s%s", ms_jstr(x, "expected_effect", ""),
					 rsz(r, ms_ju64(x, "expected_bytes", 0)), proof ? " (" : "", proof ? proof : "",
					 proof ? ")" : "");
			else
				snprintf(eff, sizeof eff, "Remedy: %s%s%s%s", ms_jstr(x, "expected_effect", ""), proof ? " (" : "",
					 proof ? proof : "", proof ? ")" : "");
			r_para(r, "%s", eff);
			r_code(r, ms_jstr(x, "command", ""));
		}
	}
}
