/* memsleuth overview PID: where does the RSS live? */
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

static const struct ms_optspec opts[] = {
	{ "accounted", 'a', "SIZE", "what the application believes it uses (512M, 1.5G):\n"
				    "report the unexplained gap and what explains it" },
	{ "json",      'j', NULL,   "machine-readable output (docs/json/overview.md)" },
	{ "core",      MS_LONG('C'), "CORE", "a core file instead of a process: the classes with the\n"
					    "bytes the core holds (docs/postmortem.md)" },
	{ "exe",       MS_LONG('E'), "PATH", "with --core: the program (default: named by the core)" },
	{ "sysroot",   MS_LONG('R'), "DIR",  "with --core: the root its files are under (default /)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth overview", .usage = "[OPTIONS] PID\n--core CORE [--exe PATH] [--sysroot DIR] [--json]",
	.opts = opts,
	.about = "Where does the RSS live?  Splits the process's RSS by memory class, counts\n"
		 "glibc arenas against their cap, reads the cgroup limit, and says what next.",
	.operands = MS_OPERAND_PID, .flags = MS_CLI_FAIL_ON | MS_CLI_DEBUGINFO,
};

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
	struct ms_overview ov;
	memset(&ov, 0, sizeof ov);
	int json = 0, c;
	const char *core = NULL, *exe = NULL, *sysroot = NULL;
	struct ms_args a;
	ms_args_begin(&a, &cli, argc, argv);
	while ((c = ms_args_next(&a)) != -1) {
		switch (c) {
		case 'a':
			if (ms_size_parse(a.val, &ov.accounted) < 0)
				ms_fatal("memsleuth overview", "write it like 512M, 1.5G or 4096",
					 "--accounted '%s': not a size", a.val);
			ov.has_accounted = 1;
			break;
		case 'j':
			json = 1;
			break;
		case MS_LONG('C'):
			core = a.val;
			a.operands_optional = 1;
			break;
		case MS_LONG('E'):
			exe = a.val;
			break;
		case MS_LONG('R'):
			sysroot = a.val;
			break;
		}
	}
	if (core)
		return overview_core(core, exe, sysroot, !a.pid, json);
	if (exe || sysroot)
		ms_fatal("memsleuth overview", "use them with --core CORE", "--exe and --sysroot: only for a core");
	struct ms_err e = { 0 };
	if (ms_overview_collect(a.pid, &ov, &e) < 0)
		ms_die("memsleuth overview", &e, MS_EXIT_ERROR);
	if (json) {
		struct ms_json j;
		ms_json_init(&j, stdout);
		ms_overview_json(&ov, &j);
	} else {
		ms_overview_text(&ov, stdout);
	}
	/* --fail-on: the worst verdict printed (the causes' among them) */
	return ms_args_exit(&a, ms_verdicts_worst(&ov.verdicts));
}
