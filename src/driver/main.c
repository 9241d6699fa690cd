/* memsleuth: one driver, one subcommand per investigation step. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "steps.h"

static const struct step {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *question;
} steps[] = {
	{ "doctor",   cmd_doctor,   "what can this host, and this target, do?" },
	{ "overview", cmd_overview, "where does the RSS live?" },
	{ "arenas",   cmd_arenas,   "what do glibc's arenas hold, and what would malloc_trim return?" },
	{ "hotspots", cmd_hotspots, "which threads and call sites allocate?" },
	{ "syscalls", cmd_syscalls, "who grows and shrinks memory in the kernel's view?" },
	{ "watch",    cmd_watch,    "what grows over time: a leak, retention, arenas?" },
	{ "trim",     cmd_trim,     "what does trimming really give back?" },
	{ "compare",  cmd_compare,  "which allocator or setting fixes this workload?" },
	{ "lab",      cmd_lab,      "reproduce the classic experiments" },
	{ "guide",    cmd_guide,    "the whole method, step by step" },
	{ "stap",     cmd_stap,     "run your own SystemTap script here: right runtime, preflight, symbols" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: memsleuth STEP [OPTIONS] [PID | -- CMD ARGS]\n"
		"From \"RSS is far above what my program accounts for\" to the cause and a\n"
		"proven fix, one step at a time.\n\nSteps:\n");
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		fprintf(out, "  %-9s %s\n", steps[i].name, steps[i].question);
	fprintf(out, "\nOptions:\n"
		"  -h, --help     this help\n"
		"  -V, --version  the version and the build's git describe\n"
		"\n'memsleuth STEP --help' lists a step's options; 'man memsleuth' and docs/method.md explain the method.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MS_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return MS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		ms_version_print("memsleuth");
		return MS_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (!strcmp(argv[1], steps[i].name))
			return steps[i].run(argc - 1, argv + 1);
	fprintf(stderr, "memsleuth: unknown step '%s' (run 'memsleuth --help' for the list)\n", argv[1]);
	return MS_EXIT_ERROR;
}
