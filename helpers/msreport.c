/* msreport: findings JSON in (any memsleuth step's --json, or the guide's),
 * a report for people out: text, Markdown, or one self-contained HTML file
 * with inline SVG charts.
 *   memsleuth overview --json PID | msreport --html > overview.html */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/wrap.h"
#include "records/jsonread.h"
#include "util/outfile.h"
#include "report/render.h"
#include "util/err.h"

static const char *const prog = "msreport";

static const struct ms_optspec opts[] = {
	{ "text",     MS_LONG('t'), NULL,   "plain text (default)" },
	{ "markdown", MS_LONG('m'), NULL,   "Markdown; with -o FILE.md the charts go beside it as FILE-N.svg" },
	{ "html",     'H',          NULL,   "one self-contained HTML file with inline SVG charts" },
	{ "output",   'o',          "FILE", "write to FILE instead of stdout" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "msreport", .usage = "[--text | --markdown | --html] [-o FILE] [JSON-FILE]", .opts = opts,
	.about = "Turn memsleuth findings JSON (stdin, or JSON-FILE) into a report.",
	.operands = MS_OPERAND_ONE | MS_OPERAND_ONE_OPT, .operand_name = "JSON-FILE", .flags = MS_CLI_NO_WRAP,
};

int main(int argc, char **argv)
{
	struct ms_render r;
	memset(&r, 0, sizeof r);
	r.fmt = MS_R_TEXT;
	const char *outpath = NULL;
	int c;
	struct ms_args a;
	ms_args_begin(&a, &cli, argc, argv);
	while ((c = ms_args_next(&a)) != -1) {
		switch (c) {
		case MS_LONG('t'): r.fmt = MS_R_TEXT; break;
		case MS_LONG('m'): r.fmt = MS_R_MD; break;
		case 'H': r.fmt = MS_R_HTML; break;
		case 'o': outpath = a.val; break;
		}
	}
	if (r.fmt == MS_R_TEXT && !outpath)
		ms_wrap_stdout();   /* text for people: fits the terminal like every step's */
	const char *inname = a.operand && strcmp(a.operand, "-") ? a.operand : "stdin";
	int fd = 0;
	if (a.operand && strcmp(a.operand, "-") && (fd = open(inname, O_RDONLY | O_CLOEXEC)) < 0)
		ms_fatal(prog, "give a file written by 'memsleuth STEP --json'", "%s: %m", inname);
	if (fd == 0 && isatty(0))
		ms_fatal(prog, "pipe findings in: memsleuth overview --json PID | msreport --html > o.html",
			 "stdin is a terminal, not findings JSON");
	struct ms_err e = { 0 };
	struct ms_jval *doc = ms_jparse_fd(fd, inname, &e);
	if (fd > 0)
		close(fd);
	if (!doc)
		ms_die(prog, &e, 2);
	r.out = stdout;
	if (outpath) {
		r.out = ms_out_fopen(outpath, MS_OUT_SHARED, &e);   /* for others: the umask decides */
		if (!r.out)
			ms_die(prog, &e, 2);
		r.md_path = outpath;
	}
	int rc = ms_render(doc, &r);
	ms_jfree(doc);
	if (outpath && fclose(r.out) != 0 && rc == 0)
		ms_fatal(prog, "check the disk", "%s: %m", outpath);
	if (rc < 0)
		ms_die(prog, &r.err, 2);
	return 0;
}
