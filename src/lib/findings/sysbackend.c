#include "findings/sysbackend.h"
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "probe/systrace.h"
#include "util/paths.h"
#include "util/subproc.h"
#include "util/trust.h"

static const char *const names[MS_BE_N] = {
	[MS_BE_AUTO] = "auto", [MS_BE_STAP] = "stap", [MS_BE_STAP_BPF] = "stap-bpf",
	[MS_BE_BPFTRACE] = "bpftrace", [MS_BE_TRACEFS] = "tracefs", [MS_BE_PTRACE] = "ptrace",
};

const char *ms_backend_name(enum ms_backend b) { return b < MS_BE_N ? names[b] : "?"; }

enum ms_backend ms_backend_parse(const char *s)
{
	for (int i = 0; i < MS_BE_N; i++)
		if (strcmp(names[i], s) == 0)
			return (enum ms_backend)i;
	return MS_BE_N;
}

static int in_path(const char *prog)
{
	char buf[PATH_MAX];
	return ms_which(prog, buf, sizeof buf);
}

/* The prepared tree (scripts/stap-bpf-setup): its directory, the shim
 * preloaded into stap/stapbpf and the kbuild tree stap compiles against,
 * each by util/trust.h's rule.  On success tree holds the canonical path. */
static int stap_tree_trusted(char *tree, size_t len, struct ms_err *e)
{
	static const char *const parts[] = { "memlock_shim.so", "build", "stamp" };
	const char *way = "set MEMSLEUTH_CACHE to a directory owned by you or root and not writable by others, "
			  "or unset it";
	char real[PATH_MAX], p[PATH_MAX + 32];
	if (ms_trust_check(tree, real, sizeof real, way, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", real, parts[i]);
		if (ms_trust_check(p, NULL, 0, way, e) < 0)
			return -1;
	}
	snprintf(tree, len, "%s", real);
	return 0;
}

/* Run the set-up script (idempotent, fast once cached) and take its tree. */
static int stap_bpf_setup(struct ms_backend_choice *c, struct ms_err *e)
{
	char script[PATH_MAX];
	if (ms_resource_trusted(MS_RES_HELPER, "stap-bpf-setup", script, sizeof script, e) < 0)
		return -1;
	char *argv[] = { script, geteuid() == 0 ? NULL : "--consent", NULL };
	/* No deadline: a first set-up may install packages; it ends with this
	 * run (ms_fork's guard), and its output is small. */
	struct ms_child r = { .argv = argv, .stdin_fd = -1, .stop_signal = SIGTERM, .out_max = 4u << 20 };
	if (ms_child_run(&r, e) < 0)
		return -1;
	char last[512] = "";
	c->stap_tree[0] = 0;
	for (int k = 0; k < 2; k++) {   /* stdout, then stderr: the error line is last */
		char *save = NULL;
		for (char *line = strtok_r(k ? r.err : r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "STAP_BPF_TREE=", 14) == 0)
				snprintf(c->stap_tree, sizeof c->stap_tree, "%s", line + 14);
			else   /* the script names itself; the error line names the set-up */
				snprintf(last, sizeof last, "%s",
					 strncmp(line, "stap-bpf-setup: ", 16) == 0 ? line + 16 : line);
		}
	}
	int st = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128;
	ms_child_free(&r);
	if (st != 0 || !c->stap_tree[0])
		return ms_err_set(e, 0, last[0] ? last : "set-up failed", "use --backend tracefs or ptrace",
				  "stap bpf runtime set-up");
	/* stap/stapbpf run as root with the shim preloaded and compile the
	 * tree's headers: all of it must be out of others' reach (the script
	 * checked too; this guards a tree changed since) */
	return stap_tree_trusted(c->stap_tree, sizeof c->stap_tree, e);
}

/* May this process mount tracefs, as the tracefs backend does at its
 * default place when it is not mounted (probe/systrace_tracefs.c)?  Root
 * with CAP_SYS_ADMIN (a container's root may lack it) on a kernel that
 * has tracefs (/proc/filesystems). */
static int tracefs_mountable(int root)
{
	char *buf = NULL;
	int ok = 0;
	if (!root || ms_read_file("/proc/self/status", &buf, NULL, 1 << 16, NULL) < 0)
		return 0;
	const char *cap = strstr(buf, "\nCapEff:");
	ok = cap && (strtoull(cap + 9, NULL, 16) >> 21 & 1);   /* CAP_SYS_ADMIN */
	free(buf);
	if (!ok || ms_read_file("/proc/filesystems", &buf, NULL, 1 << 16, NULL) < 0)
		return 0;
	ok = strstr(buf, "\ttracefs\n") != NULL;
	free(buf);
	return ok;
}

/* What the tracefs backend needs before it starts, so that auto passes on
 * to the next backend rather than choose one that fails: a tracefs
 * (instances/, or the default place mountable), room for an instance
 * there, and the syscall tracepoints (a kernel with CONFIG_FTRACE_SYSCALLS). */
static int tracefs_usable(int root, struct ms_err *e)
{
	const char *tr = ms_tracefs_root();
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/instances", tr);
	if (faccessat(AT_FDCWD, p, F_OK, AT_EACCESS) != 0) {   /* effective: capabilities count */
		if (errno == EACCES || errno == EPERM)
			return ms_err_set(e, errno, NULL, "run as root, or use --backend ptrace", "tracefs %s", tr);
		if (!strcmp(tr, MS_TRACEFS_DEFAULT) && tracefs_mountable(root))
			return 0;   /* mounted when the run starts; its tracepoints are checked then */
		return ms_err_set(e, 0, strcmp(tr, MS_TRACEFS_DEFAULT) ? "not mounted (no instances/ there)" :
				  root ? "not mounted, and it cannot be mounted here (no CAP_SYS_ADMIN or no tracefs in "
				  "this kernel)" : "not mounted (mounting it needs root)",
				  "mount -t tracefs nodev /sys/kernel/tracing as root, or use --backend ptrace", "tracefs %s", tr);
	}
	if (faccessat(AT_FDCWD, p, W_OK, AT_EACCESS) != 0)
		return ms_err_set(e, errno, NULL, "run as root, or use --backend ptrace", "tracefs %s", p);
	snprintf(p, sizeof p, "%s/events/syscalls/sys_enter_mmap/enable", tr);
	if (faccessat(AT_FDCWD, p, F_OK, AT_EACCESS) != 0)
		return ms_err_set(e, 0, "no syscall tracepoints (events/syscalls: a kernel built without "
				  "CONFIG_FTRACE_SYSCALLS)", "use --backend ptrace", "tracefs %s", tr);
	return 0;
}

int ms_backend_check(enum ms_backend b, int setup_ok, struct ms_backend_choice *c, struct ms_err *e)
{
	struct utsname u;
	char p[PATH_MAX + 64];
	int root = geteuid() == 0;
	uname(&u);
	switch (b) {
	case MS_BE_STAP:
		if (!in_path("stap"))
			return ms_err_set(e, 0, "not installed", "apt-get install systemtap", "stap");
		if (access("/proc/modules", F_OK) != 0)
			return ms_err_set(e, 0, "kernel without module support (no /proc/modules): the module runtime cannot load",
					  "use --backend stap-bpf", "stap");
		snprintf(p, sizeof p, "/lib/modules/%s/build", u.release);
		if (access(p, F_OK) != 0)
			return ms_err_set(e, 0, "no kernel headers", "install linux-headers-$(uname -r), or use --backend stap-bpf",
					  "stap: %s", p);
		if (!root)
			return ms_err_set(e, 0, "loading a module needs root (or group stapusr)", "run as root", "stap");
		snprintf(c->why, sizeof c->why, "stap: module runtime with %s", p);
		return 0;
	case MS_BE_STAP_BPF:
		if (!in_path("stap"))
			return ms_err_set(e, 0, "not installed", "apt-get install systemtap", "stap-bpf");
		if (!root)
			return ms_err_set(e, 0, "loading BPF programs needs root", "run as root, or use --backend ptrace", "stap-bpf");
		if (!setup_ok)
			return ms_err_set(e, 0, "needs its set-up (kernel headers tree in a cache dir)",
					  "add --stap-setup to allow it", "stap-bpf");
		if (stap_bpf_setup(c, e) < 0)
			return -1;
		snprintf(c->why, sizeof c->why, "stap-bpf: --runtime=bpf with raw sys_enter/sys_exit tracepoints, tree %s", c->stap_tree);
		return 0;
	case MS_BE_BPFTRACE:
		if (!in_path("bpftrace"))
			return ms_err_set(e, 0, "not installed", "apt-get install bpftrace", "bpftrace");
		if (!root)
			return ms_err_set(e, 0, "needs root", "run as root, or use --backend ptrace", "bpftrace");
		snprintf(c->why, sizeof c->why, "bpftrace: tracepoints syscalls:sys_enter_*/sys_exit_*");
		return 0;
	case MS_BE_TRACEFS:
		if (tracefs_usable(root, e) < 0)
			return -1;
		snprintf(c->why, sizeof c->why, "tracefs: syscall tracepoints in a private instance of %s", ms_tracefs_root());
		return 0;
	case MS_BE_PTRACE:
		snprintf(c->why, sizeof c->why, "ptrace: stops the traced threads at each memory syscall (slowest)");
		return 0;
	default:
		return ms_err_set(e, 0, "unknown backend", "use auto, stap, stap-bpf, bpftrace, tracefs or ptrace", "--backend");
	}
}

int ms_backend_choose(enum ms_backend want, int setup_ok, struct ms_backend_choice *c, struct ms_err *e)
{
	memset(c, 0, sizeof *c);
	if (want != MS_BE_AUTO) {
		c->backend = want;
		return ms_backend_check(want, setup_ok, c, e);
	}
	/* tracefs before the BPF runtimes: the same tracepoints, measured
	 * exact on bursts (a 64 MiB ring buffer memsleuth sizes, lost events
	 * counted) and no dearer (bench/syscalls), where stapbpf's fixed
	 * 32 KiB-per-CPU perf buffer overflows and stapbpf aborts, and
	 * bpftrace drops half of a 12-thread burst; no compile either.  The
	 * module runtime (relay buffers, not measurable here) stays first. */
	static const enum ms_backend order[] = { MS_BE_STAP, MS_BE_TRACEFS, MS_BE_STAP_BPF, MS_BE_BPFTRACE, MS_BE_PTRACE };
	char rejected[768] = "";
	size_t off = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		enum ms_backend b = order[i];
		struct ms_err why;
		if (ms_backend_check(b, setup_ok, c, &why) == 0) {
			char chosen[1024];
			snprintf(chosen, sizeof chosen, "%s%s%s", c->why, off ? "; not better ones: " : "", rejected);
			snprintf(c->why, sizeof c->why, "%s", chosen);
			c->backend = b;
			return 0;
		}
		if (off < sizeof rejected)
			off += (size_t)snprintf(rejected + off, sizeof rejected - off, "%s%s (%s)", off ? "; " : "",
						why.msg, why.hint);
	}
	return ms_err_set(e, 0, "no backend usable", "see memsleuth doctor", "syscalls");
}
