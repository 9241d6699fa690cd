/* memsleuth overview PID: where does the RSS live? */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "findings/overview.h"
#include "probe/procfs.h"
#include "report/overview_report.h"
#include "options.h"
#include "steps.h"
#include "util/size.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: memsleuth overview [OPTIONS] PID\n"
		"Where does the RSS live?  Splits the process's RSS by memory class, counts\n"
		"glibc arenas against their cap, reads the cgroup limit, and says what next.\n\n"
		"  -a, --accounted SIZE  what the application believes it uses (512M, 1.5G):\n"
		"                        report the unexplained gap and what explains it\n"
		"  -j, --json            machine-readable output (docs/json/overview.md)\n"
		MS_COMMON_HELP
		"  -h, --help            this help\n");
}

int cmd_overview(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "accounted", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		MS_COMMON_OPTIONS,
		{ 0 },
	};
	struct ms_overview ov;
	memset(&ov, 0, sizeof ov);
	int json = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+a:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (ms_size_parse(optarg, &ov.accounted) < 0)
				ms_fatal("memsleuth overview", "write it like 512M, 1.5G or 4096",
					 "--accounted '%s': not a size", optarg);
			ov.has_accounted = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return MS_EXIT_OK;
		default:
			if (ms_common_option(c))
				break;
			ms_bad_option("overview", argv);
		}
	}
	if (optind != argc - 1)
		ms_fatal("memsleuth overview", "usage: memsleuth overview [--accounted SIZE] [--json] PID",
			 optind >= argc ? "no PID given" : "too many arguments");
	struct ms_err e = { 0 };
	pid_t pid;
	if (ms_pid_parse(argv[optind], &pid, &e) < 0)
		ms_die("memsleuth overview", &e, MS_EXIT_ERROR);
	if (ms_overview_collect(pid, &ov, &e) < 0)
		ms_die("memsleuth overview", &e, MS_EXIT_ERROR);
	if (json) {
		struct ms_json j;
		ms_json_init(&j, stdout);
		ms_overview_json(&ov, &j);
	} else {
		ms_overview_text(&ov, stdout);
	}
	return MS_EXIT_OK;
}
