/* memsleuth lab NAME|FILE: reproduce the classic experiments in this very
 * process, step by step, with the RSS after each step. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/allocfind.h"
#include "util/subproc.h"
#include "probe/labrun.h"
#include "probe/procfs.h"
#include "records/labfile.h"
#include "report/json.h"
#include "report/table.h"
#include "cli/wrap.h"
#include "options.h"
#include "steps.h"
#include "util/err.h"
#include "util/paths.h"
#include "util/size.h"

#define PROG "memsleuth lab"
#define REEXEC_ENV "MEMSLEUTH_LAB_ALLOCATOR"

static const struct ms_optspec opts[] = {
	{ "allocator", MS_LONG('a'), "NAME", "glibc (default), jemalloc, tcmalloc, mimalloc (re-executes with\n"
					     "LD_PRELOAD), or each" },
	{ "list",      'l', NULL, "the labs shipped with memsleuth" },
	{ "json",      'j', NULL, "machine output on stdout, step lines on stderr (docs/json/lab.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG, .usage = "[OPTIONS] NAME|FILE\n--list", .opts = opts,
	.operands = MS_OPERAND_ONE, .operand_name = "lab NAME or FILE",
	.flags = MS_CLI_NO_WRAP,   /* its step lines wrap themselves, without stdio (probe/labrun.h) */
	.about = "Run a lab scenario in this process: every step prints what it did and the RSS after it.\n"
		 "Exit status 1: an expectation of the lab did not hold.",
};

static int list_labs(void)
{
	char dir[PATH_MAX];
	if (ms_resource_path(MS_RES_LAB, "", dir, sizeof dir) < 0)
		ms_fatal(PROG, "reinstall memsleuth (make install)", "%s: no labs found", dir);
	DIR *d = opendir(dir);
	if (!d)
		ms_fatal(PROG, NULL, "%s: cannot list", dir);
	struct dirent *de;
	char names[64][NAME_MAX + 1];
	size_t n = 0;
	while ((de = readdir(d)) && n < 64) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".lab"))
			snprintf(names[n++], sizeof names[0], "%.*s", (int)(l - 4), de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
	struct ms_table tb;
	ms_table_init(&tb, "ll", (const char *[]){ "", "" });   /* no header: scripts take the first word of each line */
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + NAME_MAX + 8], *buf;
		size_t len;
		snprintf(path, sizeof path, "%s/%s.lab", dir, names[i]);
		const char *title = "";
		char line[200] = "";
		if (ms_read_file(path, &buf, &len, 1 << 20, NULL) == 0) {
			char *t = strstr(buf, "\ntitle ");
			if (!strncmp(buf, "title ", 6))
				t = buf - 1;
			if (t) {
				snprintf(line, sizeof line, "%.*s", (int)strcspn(t + 7, "\n"), t + 7);
				title = line;
			}
			free(buf);
		}
		ms_table_rowf(&tb, "%s\t%s", names[i], title);
	}
	ms_table_print(&tb, stdout, "");
	ms_table_free(&tb);
	return MS_EXIT_OK;
}

/* Which replacement allocator this process runs on, from our own maps. */
static const char *loaded_allocator(char *lib, size_t liblen)
{
	static const char *const names[] = { "libjemalloc", "libtcmalloc", "libmimalloc" };
	static const char *const allocs[] = { "jemalloc", "tcmalloc", "mimalloc" };
	char *buf;
	size_t len;
	lib[0] = 0;
	if (ms_read_file("/proc/self/maps", &buf, &len, MS_READ_MAX, NULL) < 0)
		return "unknown";
	const char *found = "glibc";
	for (size_t i = 0; i < 3 && !strcmp(found, "glibc"); i++) {
		char *p = strstr(buf, names[i]);
		if (!p)
			continue;
		char *start = p;
		while (start > buf && start[-1] != ' ')
			start--;
		snprintf(lib, liblen, "%.*s", (int)strcspn(start, "\n"), start);
		found = allocs[i];
	}
	free(buf);
	return found;
}

/* --allocator X: run this same command again with X preloaded. */
static void reexec_with(enum ms_allocator a, const char *name, int argc, char **argv)
{
	const char *done = getenv(REEXEC_ENV);
	if (done && !strcmp(done, name))
		return;
	char lib[PATH_MAX], self[PATH_MAX];
	if (ms_allocator_lib_find(a, lib, sizeof lib) < 0)
		ms_fatal(PROG, NULL, "--allocator %s: not installed (apt-get install %s)", name, ms_allocator_package(a));
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		ms_fatal(PROG, NULL, "/proc/self/exe: cannot read");
	self[n] = 0;
	const char *old = getenv("LD_PRELOAD");
	char pre[2 * PATH_MAX + 2];
	snprintf(pre, sizeof pre, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", pre, 1);
	setenv(REEXEC_ENV, name, 1);
	char **nargv = calloc((size_t)argc + 2, sizeof *nargv);
	if (!nargv)
		ms_fatal(PROG, NULL, "out of memory");
	nargv[0] = self;
	for (int i = 0; i < argc; i++)
		nargv[i + 1] = argv[i];
	execv(self, nargv);
	ms_fatal(PROG, NULL, "re-executing %s with LD_PRELOAD=%s failed", self, lib);
}

/* --allocator each: the same lab once per allocator installed here, one
 * after the other, each in its own process (a fresh heap every time). */
static int run_each(const char *path)
{
	static const enum ms_allocator all[] = { MS_ALLOC_GLIBC, MS_ALLOC_JEMALLOC, MS_ALLOC_TCMALLOC, MS_ALLOC_MIMALLOC };
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		ms_fatal(PROG, NULL, "/proc/self/exe: cannot read");
	self[n] = 0;
	int worst = MS_EXIT_OK;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const char *name = ms_allocator_name(all[i]);
		char lib[PATH_MAX];
		if (all[i] != MS_ALLOC_GLIBC && ms_allocator_lib_find(all[i], lib, sizeof lib) < 0) {
			printf("=== %s: not installed (apt-get install %s), skipped\n\n", name, ms_allocator_package(all[i]));
			continue;
		}
		printf("=== %s\n", name);
		fflush(stdout);
		char *argv[] = { self, "lab", (char *)path, "--allocator", (char *)name, NULL };
		struct ms_start start = { .argv = argv };
		struct ms_err e;
		pid_t pid = ms_child_start(&start, &e);
		int st = 0;
		if (pid < 0)
			ms_err_print(PROG, &e);   /* counted as an error, as its own exit 2 */
		while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		int rc = pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : MS_EXIT_ERROR;
		if (rc > worst)
			worst = rc;
		printf("\n");
	}
	return worst;
}

static void print_json(const struct ms_lab *lab, const struct ms_labrun *run, const char *alloc,
		       const char *lib)
{
	struct ms_json j;
	ms_json_init(&j, stdout);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "step", "lab");
	ms_json_kstr(&j, "lab", lab->path);
	ms_json_kstr(&j, "title", lab->title);
	ms_json_kstr(&j, "allocator", alloc);
	ms_json_kstr(&j, "allocator_library", lib[0] ? lib : NULL);
	ms_json_kbool(&j, "passed", run->failed_expects == 0);
	ms_json_ki64(&j, "failed_expectations", run->failed_expects);
	ms_json_key(&j, "steps");
	ms_json_arr_begin(&j);
	for (size_t i = 0; i < run->nrec; i++) {
		ms_json_obj_begin(&j);
		ms_json_ki64(&j, "line", run->rec[i].line);
		ms_json_kstr(&j, "did", run->rec[i].did);
		ms_json_ku64(&j, "rss_bytes", run->rec[i].rss);
		ms_json_kbool(&j, "ok", run->rec[i].ok);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	ms_json_obj_end(&j);
	ms_json_end(&j);
}

int cmd_lab(int argc, char **argv)
{
	int json = 0, each = 0, list = 0, c;
	const char *alloc_name = "glibc";
	enum ms_allocator alloc = MS_ALLOC_GLIBC;
	struct ms_args args;
	ms_args_begin(&args, &cli, argc, argv);
	while ((c = ms_args_next(&args)) != -1) {
		switch (c) {
		case MS_LONG('a'):
			if (!strcmp(args.val, "each")) {
				each = 1;
				break;
			}
			if (ms_allocator_parse(args.val, &alloc) < 0)
				ms_fatal(PROG, "use glibc, jemalloc, tcmalloc, mimalloc or each", "--allocator '%s': unknown", args.val);
			alloc_name = args.val;
			break;
		case 'l': list = args.operands_optional = 1; break;
		case 'j': json = 1; break;
		}
	}
	if (list)
		return list_labs();
	const char *arg = args.operand;
	char path[PATH_MAX];
	size_t al = strlen(arg);
	if (strchr(arg, '/') || (al > 4 && !strcmp(arg + al - 4, ".lab"))) {
		snprintf(path, sizeof path, "%s", arg);
	} else {
		char name[NAME_MAX + 1], found[PATH_MAX];
		snprintf(name, sizeof name, "%s.lab", arg);
		if (ms_resource_path(MS_RES_LAB, name, found, sizeof found) < 0)
			ms_fatal(PROG, "'memsleuth lab --list' shows the shipped labs; or give a file path",
				 "lab '%s': not found (%s)", arg, found);
		/* a lab runs what it names: the shipped one must be ours, not a
		 * file others could write; canonical: no build/../ detours */
		struct ms_err te;
		if (ms_resource_trusted(MS_RES_LAB, name, path, sizeof path, &te) < 0)
			ms_die(PROG, &te, MS_EXIT_ERROR);
	}
	if (each) {
		if (json)
			ms_fatal(PROG, "run --allocator NAME --json once per allocator", "--allocator each: one JSON document per run is not supported");
		return run_each(path);
	}
	if (alloc != MS_ALLOC_GLIBC)
		reexec_with(alloc, alloc_name, argc, argv);

	struct ms_err e = { 0 };
	char *text;
	size_t len;
	if (ms_read_file(path, &text, &len, 1 << 20, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	struct ms_lab lab;
	if (ms_lab_parse(path, text, len, &lab, &e) < 0 || ms_lab_link(&lab, &e) < 0) {
		/* Compiler style, so editors can jump to it. */
		fprintf(stderr, "%s%s%s%s\n", e.msg, e.hint[0] ? " (" : "", e.hint, e.hint[0] ? ")" : "");
		free(text);
		return MS_EXIT_ERROR;
	}
	free(text);
	char lib[PATH_MAX];
	const char *running = loaded_allocator(lib, sizeof lib);
	if (alloc != MS_ALLOC_GLIBC && strcmp(running, alloc_name))
		ms_fatal(PROG, "is the library built for this architecture?", "--allocator %s: preloaded, but %s is what runs",
			 alloc_name, running);
	FILE *human = json ? stderr : stdout;
	/* stdout is not wrapped by the parser here (MS_CLI_NO_WRAP): the head wraps itself */
	int width = ms_wrap_width(json ? 2 : 1);
	char head[PATH_MAX * 2 + 512];
	fputs("lab: ", human);
	ms_wrap_fprint(human, lab.title[0] ? lab.title : path, 5, 2, width);
	snprintf(head, sizeof head, "%s, allocator: %s%s%s%s, pid %d", path, running, lib[0] ? " (" : "", lib,
		 lib[0] ? ")" : "", (int)getpid());
	fputs("file: ", human);
	ms_wrap_fprint(human, head, 6, 2, width);
	fprintf(human, "\n%4s  %10s  %11s  %s\n", "line", "RSS after", "change", "step");
	fflush(human);

	struct ms_labrun run = { .out_fd = json ? 2 : 1, .stdout_file = json ? stderr : stdout,
				 .width = width };
	int rc = ms_lab_run(&lab, &run, &e);
	if (rc < 0) {
		fprintf(stderr, "%s%s%s%s\n", e.msg, e.hint[0] ? " (" : "", e.hint, e.hint[0] ? ")" : "");
		ms_labrun_free(&run);
		ms_lab_free(&lab);
		return MS_EXIT_ERROR;
	}
	size_t expects = 0;
	for (size_t i = 0; i < lab.n; i++)
		expects += lab.steps[i].op == MS_LAB_EXPECT;
	if (run.failed_expects)
		fprintf(human, "\nlab FAILED: %d of %zu expectation%s did not hold\n", run.failed_expects, expects,
			expects == 1 ? "" : "s");
	else if (expects)
		fprintf(human, "\nlab passed: %zu expectation%s held\n", expects, expects == 1 ? "" : "s");
	else
		fprintf(human, "\nlab done (it has no expectations to check)\n");
	if (json)
		print_json(&lab, &run, running, lib);
	int status = run.failed_expects ? MS_EXIT_FINDING : MS_EXIT_OK;
	ms_labrun_free(&run);
	ms_lab_free(&lab);
	return status;
}
