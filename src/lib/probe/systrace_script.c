/* Script backends: SystemTap (stap/memsyscalls.stp with argument 1, module or
 * --runtime=bpf) and bpftrace (a generated program).  Both print the line
 * protocol of records/memsys.h; this file runs the tool, waits for its
 * READY line before releasing a launched command, parses the events and
 * stops the tool (SIGINT, then SIGKILL after a grace period) when the
 * target ends, the duration passes or the user interrupts. */
#include "probe/systrace.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct tool {
	pid_t pid;
	int out;                 /* its stdout */
	FILE *err;               /* its stderr, kept for the error message */
	char buf[1 << 16];
	size_t len;
	int ready, eof;
	struct ms_pairer pair;
};

static pid_t tool_spawn(struct tool *tl, char *const *argv, const char *preload, const char *dir,
			struct ms_err *e)
{
	int p[2];
	tl->err = tmpfile();
	if (!tl->err || pipe2(p, O_CLOEXEC) < 0)
		return ms_err_set(e, errno, NULL, NULL, "%s: pipe", argv[0]);
	pid_t pid = fork();
	if (pid < 0)
		return ms_err_set(e, errno, NULL, NULL, "fork");
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(fileno(tl->err), 2);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		if (dir && chdir(dir) < 0)
			_exit(127);
		/* its own process group: the terminal's Ctrl-C reaches us, and we
		 * stop the tool in order (it must not die before printing) */
		setpgid(0, 0);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	tl->out = p[0];
	tl->pid = pid;
	fcntl(tl->out, F_SETFL, O_NONBLOCK);
	return pid;
}

/* The tool's last meaningful stderr line, for the error message. */
static void tool_reason(struct tool *tl, char *out, size_t len)
{
	char line[512];
	snprintf(out, len, "exited before tracing started");
	if (!tl->err)
		return;
	rewind(tl->err);
	while (fgets(line, sizeof line, tl->err)) {
		line[strcspn(line, "\n")] = 0;
		/* bpftrace's harmless RLIMIT_MEMLOCK complaint is not the reason */
		if (line[0] && !strstr(line, "RLIMIT_MEMLOCK") && !strstr(line, "Tip:")
		    && !strstr(line, "Rerun with") && !strstr(line, "Number of similar"))
			snprintf(out, len, "%s", line);
	}
}

static void consume(struct ms_systrace *t, struct tool *tl)
{
	char *start = tl->buf, *nl;
	while ((nl = memchr(start, '\n', tl->len - (size_t)(start - tl->buf)))) {
		*nl = 0;
		struct ms_sysev ev, done;
		unsigned long long lost;
		int k = ms_sysline_parse(start, &ev);
		if (k == 'E')
			ms_pairer_enter(&tl->pair, &ev);
		else if (k == 'X' && ms_pairer_exit(&tl->pair, ev.tid, ev.sc, ev.ret, 0, &done))
			t->on_event(t->ctx, &done);
		else if (strcmp(start, "READY") == 0)
			tl->ready = 1;
		else if (sscanf(start, "Lost %llu events", &lost) == 1)
			t->lost += lost;
		start = nl + 1;
	}
	tl->len -= (size_t)(start - tl->buf);
	memmove(tl->buf, start, tl->len);
	if (tl->len == sizeof tl->buf)
		tl->len = 0;
}

static void pump(struct ms_systrace *t, struct tool *tl)
{
	for (int i = 0; i < 1000; i++) {
		ssize_t n = read(tl->out, tl->buf + tl->len, sizeof tl->buf - tl->len);
		if (n > 0) {
			tl->len += (size_t)n;
			consume(t, tl);
			continue;
		}
		if (n == 0)
			tl->eof = 1;
		return;
	}
}

/* Stop the tool and read everything it still prints. */
static void tool_finish(struct ms_systrace *t, struct tool *tl)
{
	int st;
	kill(tl->pid, SIGINT);
	double give_up = ms_now() + 15;
	while (!tl->eof && ms_now() < give_up) {
		struct pollfd pf = { .fd = tl->out, .events = POLLIN };
		poll(&pf, 1, 100);
		pump(t, tl);
	}
	if (!tl->eof)
		kill(tl->pid, SIGKILL);
	while (waitpid(tl->pid, &st, 0) < 0 && errno == EINTR)
		;
	close(tl->out);
}

static int run_tool(struct ms_systrace *t, char *const *argv, const char *preload, const char *dir,
		    struct ms_err *e)
{
	struct tool *tl = calloc(1, sizeof *tl);
	int gofd = -1, rc = 0;
	if (!tl)
		return ms_err_set(e, ENOMEM, NULL, NULL, "%s", argv[0]);
	ms_pairer_init(&tl->pair);
	if (tool_spawn(tl, argv, preload, dir, e) < 0) {
		if (tl->err)
			fclose(tl->err);
		free(tl);
		return -1;
	}
	if (t->cmd)
		gofd = t->held_go;
	int pidfd = ms_pidfd(t->traced_pid);
	double start = ms_now(), end = 0;
	for (;;) {
		if (t->stop && *t->stop)
			break;
		if (tl->ready && end == 0) {
			if (t->on_ready)
				t->on_ready(t->ctx, t->traced_pid);
			ms_held_release(&gofd);
			end = t->duration > 0 ? ms_now() + t->duration : -1;
		}
		if (tl->eof || (end > 0 && ms_now() >= end) || ms_target_gone(t, pidfd))
			break;
		if (!tl->ready && ms_now() - start > 300) {
			rc = ms_err_set(e, 0, "no READY after 300 s", "try --backend tracefs", "%s", argv[0]);
			break;
		}
		struct pollfd pf[2] = { { .fd = tl->out, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		poll(pf, pidfd >= 0 ? 2 : 1, 100);
		pump(t, tl);
	}
	int was_ready = tl->ready;
	tool_finish(t, tl);
	if (!was_ready && rc == 0 && !(t->stop && *t->stop)) {
		char why[512];
		tool_reason(tl, why, sizeof why);
		rc = ms_err_set(e, 0, why, "memsleuth syscalls --backend tracefs or ptrace works without it",
				"%s", argv[0]);
	}
	if (gofd >= 0)
		close(gofd);
	t->held_go = -1;
	if (pidfd >= 0)
		close(pidfd);
	t->unpaired = tl->pair.dropped;
	fclose(tl->err);
	free(tl);
	return rc;
}

static int prepare_target(struct ms_systrace *t, struct ms_err *e)
{
	t->target_status = -1;
	t->traced_pid = t->pid;
	t->held_go = -1;
	if (t->cmd) {
		t->traced_pid = ms_held_spawn(t->cmd, &t->held_go, e);
		if (t->traced_pid < 0)
			return -1;
	}
	return 0;
}

/* After a failed tool, a held command must not be left waiting. */
static void end_held(struct ms_systrace *t)
{
	int st;
	if (!t->cmd || t->target_status != -1)
		return;
	if (t->held_go >= 0) {
		close(t->held_go);
		t->held_go = -1;
	}
	if (waitpid(t->traced_pid, &st, 0) == t->traced_pid)
		t->target_status = st;
}

int ms_systrace_bpftrace(struct ms_systrace *t, struct ms_err *e)
{
	static const char *const args[MS_SC_N] = {
		[MS_SC_BRK] = "args->brk, 0, 0, 0",
		[MS_SC_MMAP] = "args->addr, args->len, args->prot, args->flags",
		[MS_SC_MUNMAP] = "args->addr, args->len, 0, 0",
		[MS_SC_MPROTECT] = "args->start, args->len, args->prot, 0",
		[MS_SC_MADVISE] = "args->start, args->len_in, args->behavior, 0",
	};
	if (prepare_target(t, e) < 0)
		return -1;
	char prog[8192];
	size_t off = (size_t)snprintf(prog, sizeof prog, "BEGIN { printf(\"READY\\n\"); }\n");
	for (int i = 0; i < MS_SC_N; i++) {
		const char *n = ms_sc_name((enum ms_sc)i);
		long nr = ms_sc_nr((enum ms_sc)i);
		off += (size_t)snprintf(prog + off, sizeof prog - off,
			"tracepoint:syscalls:sys_enter_%s /pid == %d/ { printf(\"E %%d %%d %ld %%ld %%ld %%ld %%ld\\n\", tid, pid, %s); }\n"
			"tracepoint:syscalls:sys_exit_%s /pid == %d/ { printf(\"X %%d %%d %ld %%ld\\n\", tid, pid, args->ret); }\n",
			n, (int)t->traced_pid, nr, args[i], n, (int)t->traced_pid, nr);
	}
	char *argv[] = { "bpftrace", "-B", "line", "-e", prog, NULL };
	int rc = run_tool(t, argv, NULL, NULL, e);
	end_held(t);
	return rc;
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int ms_systrace_stap(struct ms_systrace *t, struct ms_err *e)
{
	if (prepare_target(t, e) < 0)
		return -1;
	char pid[24], tree[600], shim[600];
	snprintf(pid, sizeof pid, "%d", (int)t->traced_pid);
	char *argv[16];
	int n = 0;
	argv[n++] = "stap";
	if (t->stap_tree) {
		snprintf(tree, sizeof tree, "%s/build", t->stap_tree);
		snprintf(shim, sizeof shim, "%s/memlock_shim.so", t->stap_tree);
		argv[n++] = "--runtime=bpf";
		argv[n++] = "-r";
		argv[n++] = tree;
	}
	argv[n++] = "-x";
	argv[n++] = pid;
	argv[n++] = (char *)t->script;
	argv[n++] = "1";                  /* raw: the line protocol */
	argv[n] = NULL;
	/* stap's bpf runtime writes stap_PID.bo into the current directory:
	 * give it a private one and empty it afterwards */
	char dir[] = "/tmp/memsleuth-stap.XXXXXX";
	if (!mkdtemp(dir)) {
		end_held(t);
		return ms_err_set(e, errno, NULL, "check /tmp", "stap work directory");
	}
	int rc = run_tool(t, argv, t->stap_tree ? shim : NULL, dir, e);
	end_held(t);
	remove_tree(dir);
	return rc;
}
