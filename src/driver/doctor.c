/* memsleuth doctor [PID]: what can this host, and this target, do? */
#include <stdio.h>

#include "findings/doctor.h"
#include "probe/sweep.h"
#include "probe/procfs.h"
#include "probe/target.h"
#include "report/doctor_report.h"
#include "options.h"
#include "steps.h"

static const struct ms_optspec opts[] = {
	{ "json", 'j', NULL, "machine-readable output (docs/json/doctor.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth doctor", .usage = "[OPTIONS] [PID]", .opts = opts,
	.about = "What can this host do (ptrace, gdb, SystemTap module/bpf runtimes, bpftrace,\n"
		 "tracefs, uprobes, kprobes), and with PID, this target (memory reads, its libc\n"
		 "and glibc version, allocator, debug info, SDT probes, cgroup limit)?",
	.operands = MS_OPERAND_PID | MS_OPERAND_PID_OPT, .flags = MS_CLI_DEBUGINFO,
};

int cmd_doctor(int argc, char **argv)
{
	int json = 0, c;
	struct ms_args a;
	ms_args_begin(&a, &cli, argc, argv);
	while ((c = ms_args_next(&a)) != -1)
		if (c == 'j')
			json = 1;
	struct ms_err e = { 0 };
	ms_sweep_stale("memsleuth doctor", stderr);   /* what a killed run left, said */
	struct ms_doctor d;
	/* a PID that cannot be examined fails in one line, before any progress */
	struct ms_target t;
	if (a.pid > 0 && ms_target_open(a.pid, &t, &e) < 0)
		ms_die("memsleuth doctor", &e, MS_EXIT_ERROR);
	if (!ms_quiet())
		fprintf(stderr, "memsleuth doctor: checking (gdb, stap and bpftrace are run for their versions: "
			"a second or two)\n");
	if (ms_doctor_collect(a.pid, &d, &e) < 0)
		ms_die("memsleuth doctor", &e, MS_EXIT_ERROR);
	if (json) {
		struct ms_json j;
		ms_json_init(&j, stdout);
		ms_doctor_json(&d, &j);
	} else {
		ms_doctor_text(&d, stdout);
	}
	return MS_EXIT_OK;
}
