/* memsleuth overview PID: where does the RSS live? */
#include <stdio.h>
#include <string.h>

#include "findings/overview.h"
#include "probe/procfs.h"
#include "report/overview_report.h"
#include "options.h"
#include "steps.h"
#include "util/size.h"

static const struct ms_optspec opts[] = {
	{ "accounted", 'a', "SIZE", "what the application believes it uses (512M, 1.5G):\n"
				    "report the unexplained gap and what explains it" },
	{ "json",      'j', NULL,   "machine-readable output (docs/json/overview.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth overview", .usage = "[OPTIONS] PID", .opts = opts,
	.about = "Where does the RSS live?  Splits the process's RSS by memory class, counts\n"
		 "glibc arenas against their cap, reads the cgroup limit, and says what next.",
	.operands = MS_OPERAND_PID, .flags = MS_CLI_FAIL_ON | MS_CLI_DEBUGINFO,
};

int cmd_overview(int argc, char **argv)
{
	struct ms_overview ov;
	memset(&ov, 0, sizeof ov);
	int json = 0, c;
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
		}
	}
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
	return ms_args_exit(&a, ms_verdicts_worst(&ov.verdicts));
}
