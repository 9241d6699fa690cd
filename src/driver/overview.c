/* memsleuth overview PID: where does the RSS live? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/coreview.h"
#include "findings/overview.h"
#include "probe/procfs.h"
#include "report/coreview_report.h"
#include "report/overview_report.h"
#include "options.h"
#include "steps.h"
#include "util/size.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: memsleuth overview [OPTIONS] PID\n"
		"       memsleuth overview --core CORE [--exe PATH] [--sysroot DIR] [--json]\n"
		"Where does the RSS live?  Splits the process's RSS by memory class, counts\n"
		"glibc arenas against their cap, reads the cgroup limit, and says what next.\n\n"
		"  -a, --accounted SIZE  what the application believes it uses (512M, 1.5G):\n"
		"                        report the unexplained gap and what explains it\n"
		"  -j, --json            machine-readable output (docs/json/overview.md)\n"
		"      --core CORE       a core file instead of a process: the classes with the\n"
		"                        bytes the core holds (docs/postmortem.md)\n"
		"      --exe PATH        with --core: the program (default: named by the core)\n"
		"      --sysroot DIR     with --core: the root its files are under (default /)\n"
		MS_COMMON_HELP
		"  -h, --help            this help\n");
}

static int overview_core(const char *core, const char *exe, const char *sysroot, int no_args, int json)
{
	if (!no_args)
		ms_fatal("memsleuth overview", "give either a PID or --core CORE", "--core with a PID");
	struct ms_err e = { 0 };
	struct ms_coreview *cv = malloc(sizeof *cv);
	if (!cv)
		ms_fatal("memsleuth overview", NULL, "out of memory");
	if (ms_coreview_collect(core, exe, sysroot, cv, &e) < 0)
		ms_die("memsleuth overview", &e, MS_EXIT_ERROR);
	if (json) {
		struct ms_json j;
		ms_json_init(&j, stdout);
		ms_coreview_json(cv, &j);
	} else {
		ms_coreview_text(cv, stdout);
	}
	free(cv);
	return MS_EXIT_OK;
}

int cmd_overview(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "accounted", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "core", required_argument, NULL, 'C' },
		{ "exe", required_argument, NULL, 'E' },
		{ "sysroot", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		MS_COMMON_OPTIONS,
		{ 0 },
	};
	struct ms_overview ov;
	memset(&ov, 0, sizeof ov);
	int json = 0, c;
	const char *core = NULL, *exe = NULL, *sysroot = NULL;
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
		case 'C':
			core = optarg;
			break;
		case 'E':
			exe = optarg;
			break;
		case 'R':
			sysroot = optarg;
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
	if (core)
		return overview_core(core, exe, sysroot, optind == argc, json);
	if (exe || sysroot)
		ms_fatal("memsleuth overview", "use them with --core CORE", "--exe and --sysroot: only for a core");
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
