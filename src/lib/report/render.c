#include "report/render.h"
#include "util/outfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/render_int.h"
#include "report/svg.h"
#include "report/table.h"

const char *ms_rfmt_name(enum ms_rfmt f)
{
	return f == MS_R_HTML ? "html" : f == MS_R_MD ? "markdown" : "text";
}

const char *rsz(struct ms_render *r, uint64_t b)
{
	return ms_size_fmt(b, r->szbuf[r->szi++ & 7]);
}

/* Content escaped for the format: HTML entities; Markdown table pipes. */
static void esc(struct ms_render *r, const char *s)
{
	if (r->fmt == MS_R_HTML) {
		ms_xml_escape(r->out, s);
		return;
	}
	for (; s && *s; s++) {
		if (r->fmt == MS_R_MD && (*s == '|' || *s == '<'))
			fputc('\\', r->out);
		fputc(*s, r->out);
	}
}

/* The whole text, however long (a launched command can be kilobytes: a
 * report cuts nothing); "" when out of memory.  Free with free(). */
static char *vfmt(const char *fmt, va_list ap)
{
	char *t = NULL;
	if (vasprintf(&t, fmt, ap) < 0)
		t = NULL;
	return t ? t : strdup("");
}

void r_heading(struct ms_render *r, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = vfmt(fmt, ap);
	va_end(ap);
	if (r->fmt == MS_R_HTML) {
		fprintf(r->out, "<h%d>", level);
		esc(r, t);
		fprintf(r->out, "</h%d>\n", level);
	} else if (r->fmt == MS_R_MD) {
		fprintf(r->out, "%.*s ", level, "####");
		esc(r, t);
		fputs("\n\n", r->out);
	} else if (level == 1) {
		fprintf(r->out, "%s\n", t);
		for (size_t i = 0; i < strlen(t); i++)
			fputc('=', r->out);
		fputs("\n\n", r->out);
	} else {
		fprintf(r->out, "%s\n", t);
		for (size_t i = 0; i < strlen(t); i++)
			fputc('-', r->out);
		fputc('\n', r->out);
	}
	free(t);
}

void r_para(struct ms_render *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = vfmt(fmt, ap);
	va_end(ap);
	if (r->fmt == MS_R_HTML)
		fputs("<p>", r->out);
	esc(r, t);
	fputs(r->fmt == MS_R_HTML ? "</p>\n" : r->fmt == MS_R_MD ? "\n\n" : "\n", r->out);
	free(t);
}

void r_code(struct ms_render *r, const char *cmd)
{
	if (r->fmt == MS_R_HTML) {
		fputs("<pre><code>", r->out);
		ms_xml_escape(r->out, cmd);
		fputs("</code></pre>\n", r->out);
	} else if (r->fmt == MS_R_MD) {
		fprintf(r->out, "```sh\n%s\n```\n\n", cmd);
	} else {
		fprintf(r->out, "  $ %s\n", cmd);
	}
}

/* An array of strings as a list. */
void r_list(struct ms_render *r, const struct ms_jval *arr)
{
	if (!arr || arr->type != MS_J_ARR || !arr->len)
		return;
	if (r->fmt == MS_R_HTML)
		fputs("<ul>\n", r->out);
	for (const struct ms_jval *c = arr->child; c; c = c->next) {
		if (c->type != MS_J_STR)
			continue;
		fputs(r->fmt == MS_R_HTML ? "<li>" : r->fmt == MS_R_MD ? "- " : "  - ", r->out);
		esc(r, c->str);
		fputs(r->fmt == MS_R_HTML ? "</li>\n" : "\n", r->out);
	}
	fputs(r->fmt == MS_R_HTML ? "</ul>\n" : r->fmt == MS_R_MD ? "\n" : "", r->out);
}

void r_verdicts(struct ms_render *r, const struct ms_jval *arr)
{
	if (!arr || arr->type != MS_J_ARR || !arr->len)
		return;
	if (r->fmt == MS_R_HTML)
		fputs("<ul class=\"verdicts\">\n", r->out);
	for (const struct ms_jval *v = arr->child; v; v = v->next) {
		const char *level = ms_jstr(v, "level", "info"), *next = ms_jstr(v, "next", "");
		if (r->fmt == MS_R_HTML) {
			fprintf(r->out, "<li class=\"verdict %s\"><b>", !strcmp(level, "problem") ? "problem" :
				!strcmp(level, "notice") ? "notice" : "info");
			esc(r, level);
			fputs("</b> ", r->out);
			esc(r, ms_jstr(v, "text", ""));
			if (*next) {
				fputs("<br>next: <code>", r->out);
				esc(r, next);
				fputs("</code>", r->out);
			}
			fputs("</li>\n", r->out);
		} else if (r->fmt == MS_R_MD) {
			fprintf(r->out, "- **%s**: ", level);
			esc(r, ms_jstr(v, "text", ""));
			if (*next)
				fprintf(r->out, "  \n  next: `%s`", next);
			fputc('\n', r->out);
		} else {
			fprintf(r->out, "%s %s\n", !strcmp(level, "problem") ? "!!" : !strcmp(level, "notice") ? " !" : " -",
				ms_jstr(v, "text", ""));
			if (*next)
				fprintf(r->out, "   next: %s\n", next);
		}
	}
	fputs(r->fmt == MS_R_HTML ? "</ul>\n" : "\n", r->out);
}

void r_table(struct ms_render *r, struct ms_table *t)
{
	if (r->fmt == MS_R_TEXT) {
		ms_table_print(t, r->out, "  ");
		fputc('\n', r->out);
	} else if (r->fmt == MS_R_MD) {
		fputc('|', r->out);
		for (int c = 0; c < t->ncols; c++)
			fprintf(r->out, " %s |", t->head[c]);
		fputs("\n|", r->out);
		for (int c = 0; c < t->ncols; c++)
			fputs(t->align[c] == 'r' ? "---:|" : "---|", r->out);
		fputc('\n', r->out);
		for (size_t i = 0; i < t->nrows; i++) {
			fputc('|', r->out);
			for (int c = 0; c < t->ncols; c++) {
				fputc(' ', r->out);
				esc(r, t->cells[i * (size_t)t->ncols + (size_t)c]);
				fputs(" |", r->out);
			}
			fputc('\n', r->out);
		}
		fputc('\n', r->out);
	} else {
		fputs("<table>\n<tr>", r->out);
		for (int c = 0; c < t->ncols; c++) {
			fputs("<th>", r->out);
			esc(r, t->head[c]);
			fputs("</th>", r->out);
		}
		fputs("</tr>\n", r->out);
		for (size_t i = 0; i < t->nrows; i++) {
			fputs("<tr>", r->out);
			for (int c = 0; c < t->ncols; c++) {
				fprintf(r->out, "<td%s>", t->align[c] == 'r' ? " class=\"num\"" : "");
				esc(r, t->cells[i * (size_t)t->ncols + (size_t)c]);
				fputs("</td>", r->out);
			}
			fputs("</tr>\n", r->out);
		}
		fputs("</table>\n", r->out);
	}
	ms_table_free(t);
}

/* A facts table: what, value for people, exact value. */
void r_facts_begin(struct ms_table *t)
{
	ms_table_init(t, "llr", (const char *[]){ "what", "value", "exact" });
}

void r_fact_bytes(struct ms_render *r, struct ms_table *t, const char *what, const struct ms_jval *doc,
		  const char *path)
{
	if (!ms_jhas_num(doc, path))
		return;
	uint64_t v = ms_ju64(doc, path, 0);
	ms_table_rowf(t, "%s\t%s\t%" PRIu64 " bytes", what, rsz(r, v), v);
}

void r_fact(struct ms_table *t, const char *what, const char *value)
{
	ms_table_rowf(t, "%s\t%s\t", what, value);
}

/* svg is a complete <svg> element.  HTML: inline.  Markdown: a file beside
 * the report.  Text: a pointer to the other formats. */
void r_chart(struct ms_render *r, const char *title, const char *svg)
{
	r->ncharts++;
	if (r->fmt == MS_R_HTML) {
		fprintf(r->out, "<figure>\n%s</figure>\n", svg);
		return;
	}
	if (r->fmt == MS_R_TEXT)
		return;
	if (!r->md_path) {
		fprintf(r->out, "_(chart \"%s\" left out: write the report to a file, msreport --markdown -o FILE.md, to get it as an SVG beside it)_\n\n", title);
		return;
	}
	char path[4096], base[4096];
	snprintf(base, sizeof base, "%s", r->md_path);
	size_t bl = strlen(base);
	if (bl > 3 && !strcmp(base + bl - 3, ".md"))
		base[bl - 3] = 0;
	snprintf(path, sizeof path, "%s-%d.svg", base, r->ncharts);
	/* beside the report, for the same readers: the umask decides its mode */
	struct ms_err fe;
	FILE *f = ms_out_fopen(path, MS_OUT_SHARED, &fe);
	if (!f) {
		if (!r->failed)
			r->err = fe;
		r->failed = 1;
		return;
	}
	if (fputs(svg, f) < 0 || fclose(f) != 0) {
		if (!r->failed)
			ms_err_set(&r->err, errno, NULL, "choose a writable directory for the report", "chart %s", path);
		r->failed = 1;
		return;
	}
	const char *slash = strrchr(path, '/');
	fprintf(r->out, "![%s](%s)\n\n", title, slash ? slash + 1 : path);
}

/* Charts are drawn into memory first, then placed by r_chart. */
FILE *r_chart_open(char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	return open_memstream(buf, len);
}

void r_chart_close(struct ms_render *r, FILE *f, char **buf, const char *title)
{
	if (f && fclose(f) == 0 && *buf)
		r_chart(r, title, *buf);
	free(*buf);
}

static const char css[] =
	"body{font-family:sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;color:#222;background:#fff}"
	"h1{border-bottom:3px solid #0072B2}h2{border-bottom:1px solid #ccc;margin-top:2em}"
	"table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.2em .6em}"
	"th{background:#eef3f8;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}"
	/* long commands and paths wrap, every character kept, instead of
	 * a scroll bar that hides the end of them */
	"pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap;overflow-wrap:anywhere}"
	"h1,h2,h3,p,li,td,code{overflow-wrap:anywhere}figure{margin:1em 0}svg{max-width:100%;height:auto}"
	".verdict{margin:.3em 0}.problem b{color:#b00}.notice b{color:#b60}.info b{color:#367}"
	".status{font-size:90%;color:#555}.missing{color:#777;font-style:italic}";

int ms_render(const struct ms_jval *doc, struct ms_render *r)
{
	memset(&r->err, 0, sizeof r->err);
	r->ncharts = 0;
	r->failed = 0;
	const char *step = ms_jstr(doc, "step", NULL);
	if (!doc || doc->type != MS_J_OBJ || !step)
		return ms_err_set(&r->err, 0, "not memsleuth findings (no \"step\" field)",
				  "feed the output of 'memsleuth STEP --json' or 'memsleuth guide --json'", "input");
	if (r->fmt == MS_R_HTML) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>memsleuth ", r->out);
		ms_xml_escape(r->out, step);
		fprintf(r->out, " report</title>\n<style>%s</style>\n</head><body>\n", css);
	}
	if (!strcmp(step, "guide"))
		r_guide(r, doc);
	else
		r_step(r, doc, 1);
	if (r->fmt == MS_R_HTML)
		fputs("<p class=\"status\">Made by memsleuth from the findings JSON; every number above can be "
		      "reproduced with the commands shown.</p>\n</body></html>\n", r->out);
	if (fflush(r->out) != 0 && !r->failed) {
		ms_err_set(&r->err, errno, NULL, "check the disk", "writing the report");
		r->failed = 1;
	}
	return r->failed ? -1 : 0;
}
