/* memsleuth doctor [PID]: what can this host, and this target, do? */
#include <getopt.h>
#include <stdio.h>

#include "findings/doctor.h"
#include "probe/sweep.h"
#include "probe/procfs.h"
#include "report/doctor_report.h"
#include "options.h"
#include "steps.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: memsleuth doctor [OPTIONS] [PID]\n"
		"What can this host do (ptrace, gdb, SystemTap module/bpf runtimes, bpftrace,\n"
		"tracefs, uprobes, kprobes), and with PID, this target (memory reads, its libc\n"
		"and glibc version, allocator, debug info, SDT probes, cgroup limit)?\n\n"
		"  -j, --json            machine-readable output (docs/json/doctor.md)\n"
		MS_COMMON_HELP
		"  -h, --help            this help\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		MS_COMMON_OPTIONS,
		{ 0 },
	};
	int json = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return MS_EXIT_OK;
		default:
			if (ms_common_option(c))
				break;
			ms_bad_option("doctor", argv);
		}
	}
	if (argc - optind > 1)
		ms_fatal("memsleuth doctor", "usage: memsleuth doctor [--json] [--no-debuginfo] [PID]", "too many arguments");
	struct ms_err e = { 0 };
	pid_t pid = 0;
	if (optind < argc && ms_pid_parse(argv[optind], &pid, &e) < 0)
		ms_die("memsleuth doctor", &e, MS_EXIT_ERROR);
	ms_sweep_stale("memsleuth doctor", stderr);   /* what a killed run left, said */
	struct ms_doctor d;
	if (ms_doctor_collect(pid, &d, &e) < 0)
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
