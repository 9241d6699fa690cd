/* msreport: findings JSON in (any memsleuth step's --json, or the guide's),
 * a report for people out: text, Markdown, or one self-contained HTML file
 * with inline SVG charts.
 *   memsleuth overview --json PID | msreport --html > overview.html */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "records/jsonread.h"
#include "util/outfile.h"
#include "report/render.h"
#include "util/err.h"

static const char *const prog = "msreport";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: msreport [--text | --markdown | --html] [-o FILE] [JSON-FILE]\n"
		"Turn memsleuth findings JSON (stdin, or JSON-FILE) into a report.\n\n"
		"  -t, --text          plain text (default)\n"
		"  -m, --markdown      Markdown; with -o FILE.md the charts go beside it as FILE-N.svg\n"
		"  -H, --html          one self-contained HTML file with inline SVG charts\n"
		"  -o, --output FILE   write to FILE instead of stdout\n"
		"  -h, --help          this help\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "text", no_argument, NULL, 't' }, { "markdown", no_argument, NULL, 'm' },
		{ "html", no_argument, NULL, 'H' }, { "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct ms_render r;
	memset(&r, 0, sizeof r);
	r.fmt = MS_R_TEXT;
	const char *outpath = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+tmHo:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': r.fmt = MS_R_TEXT; break;
		case 'm': r.fmt = MS_R_MD; break;
		case 'H': r.fmt = MS_R_HTML; break;
		case 'o': outpath = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			ms_fatal(prog, "see 'msreport --help'", "%s: unknown option or missing argument", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		ms_fatal(prog, "usage: msreport [--text|--markdown|--html] [-o FILE] [JSON-FILE]", "too many arguments");
	const char *inname = optind < argc ? argv[optind] : "stdin";
	int fd = 0;
	if (optind < argc && (fd = open(inname, O_RDONLY | O_CLOEXEC)) < 0)
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
