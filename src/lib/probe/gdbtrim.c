#include "probe/gdbtrim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/target.h"
#include "util/spawn.h"
#include "util/subproc.h"

/* gdb's own words for the failures a user can act on. */
static int gdb_failure(const char *text, pid_t pid, struct ms_err *e)
{
	static const struct { const char *needle; int err; const char *reason, *hint; } known[] = {
		{ "ptrace: Operation not permitted", EPERM, NULL,
		  "run as root or as the process owner; check kernel.yama.ptrace_scope and the container's CAP_SYS_PTRACE" },
		{ "ptrace: No such process", ESRCH, NULL, "the process exited; check the PID with ps" },
		{ "No symbol \"malloc_trim\"", 0, "has no malloc_trim symbol gdb can call",
		  "a static binary without symbols? trim needs glibc's malloc_trim" },
		{ "Could not attach", EPERM, NULL, "run as root or as the process owner" },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strstr(text, known[i].needle))
			return ms_err_set(e, known[i].err, known[i].reason, known[i].hint,
					  "gdb attach to process %d", (int)pid);
	/* Otherwise the last non-empty line gdb printed. */
	char line[300] = "gdb ended without calling malloc_trim";
	const char *end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	if (end > start)
		snprintf(line, sizeof line, "%.*s", (int)(end - start), start);
	return ms_err_set(e, 0, line, "run the gdb line by hand to see more",
			  "gdb call malloc_trim(0) in process %d", (int)pid);
}

/* Ending a call that does not return: a SIGSTOP to the thread running it
 * makes gdb see a signal inside the called function; with unwindonsignal it
 * restores the thread's registers, abandons the call and, at the end of the
 * batch script, detaches (gdb does not pass SIGSTOP on).  SIGINT to gdb
 * would be forwarded to the target as a SIGINT that, when the target
 * blocks it, stays pending past the detach and may kill it later. */
static void stop_inferior(void *arg)
{
	pid_t pid = *(pid_t *)arg;
	syscall(SYS_tgkill, pid, pid, SIGSTOP);
}

int ms_gdb_trim(pid_t pid, const char *script, int timeout_ms,
		volatile sig_atomic_t *interrupted, struct ms_gdbtrim *out,
		struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	char gdb[PATH_MAX];
	if (!ms_which("gdb", gdb, sizeof gdb))
		return ms_err_set(e, 0, "not found in PATH", "install it: apt-get install gdb",
				  "gdb");
	char pidbuf[24];
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	/* A target in a chroot or another mount namespace: gdb would read the
	 * host's libc through its "target:" paths and fail to call malloc_trim
	 * (measured on a Debian 11 chroot); point it at the target's own files,
	 * where the build-id lookup also finds the target's libc6-dbg. */
	char sysroot[64], exe[64];
	snprintf(sysroot, sizeof sysroot, "set sysroot /proc/%d/root", (int)pid);
	snprintf(exe, sizeof exe, "file /proc/%d/exe", (int)pid);
	char *argv[14];
	int n = 0;
	argv[n++] = gdb;
	argv[n++] = "--batch";
	argv[n++] = "-nx";
	argv[n++] = "-q";
	if (ms_pid_fs_foreign(pid)) {
		argv[n++] = "-iex";
		argv[n++] = sysroot;
		argv[n++] = "-iex";
		argv[n++] = exe;
	}
	argv[n++] = "-p";
	argv[n++] = pidbuf;
	argv[n++] = "-x";
	argv[n++] = (char *)script;
	argv[n] = NULL;
	struct ms_child r = {
		.argv = argv, .timeout_ms = timeout_ms, .on_stop = stop_inferior,
		.tick_arg = &pid, .grace_ms = 5000, .stdin_fd = -1, .interrupted = interrupted,
	};
	int rc = ms_child_run(&r, e);
	if (rc == 0) {
		out->seconds = r.wall_seconds;
		out->timed_out = r.timed_out;
		out->interrupted = r.was_interrupted;
		out->gdb_killed = r.killed;
	}
	/* Whatever happened, the target must run on. */
	int ens = ms_runstate_ensure_running(pid, &out->after);
	out->resumed = ens == 1;
	if (rc < 0)
		return -1;
	const char *ret = strstr(r.out, "memsleuth-trim: malloc_trim returned ");
	if (ret) {
		out->called = 1;
		out->result = atoi(ret + strlen("memsleuth-trim: malloc_trim returned "));
	}
	char *all = NULL;
	if (asprintf(&all, "%s\n%s", r.out, r.err) < 0)
		all = NULL;
	ms_child_free(&r);
	if (ens < 0) {
		free(all);
		return ms_err_set(e, 0, out->after.tracer ? "is still traced" : "is still stopped",
				  "check it with ps and kill -CONT it", "process %d", (int)pid);
	}
	if (out->called) {
		free(all);
		return 0;
	}
	if (out->gdb_killed) {
		free(all);
		return ms_err_set(e, 0, "gdb did not finish and was killed; the kernel detached it",
				  out->resumed ? "the target was left stopped and has been resumed with SIGCONT"
					       : "the target is running",
				  "malloc_trim(0) in process %d", (int)pid);
	}
	if (out->timed_out || out->interrupted) {
		free(all);
		return ms_err_set(e, 0,
				  out->timed_out ? "did not return in time; gdb abandoned the call and detached"
						 : "interrupted; gdb abandoned the call and detached",
				  out->timed_out ? "nothing was trimmed; another thread may hold a malloc lock: retry, or raise --timeout"
						 : "nothing was trimmed",
				  "malloc_trim(0) in process %d", (int)pid);
	}
	rc = gdb_failure(all ? all : "", pid, e);
	free(all);
	return rc;
}
