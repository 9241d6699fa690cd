/* Script backends: SystemTap (stap/memsyscalls.stp with argument 1, module or
 * --runtime=bpf) and bpftrace (a generated program).  Both print the line
 * protocol of records/memsys.h; this file runs the tool, waits for its
 * READY line before releasing a launched command, parses the events and
 * stops the tool (SIGINT, then SIGKILL after a grace period) when the
 * target ends, the duration passes or the user interrupts. */
#include "probe/systrace.h"
#include "probe/sweep.h"
#include "util/subproc.h"

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
	uint64_t seen, kernel_count;   /* S lines parsed; C lines: the kernel's count */
	/* bpftrace's exit dump of unprinted folds: "@rep[TID]: N", "@l[TID]: (NR, A0..A3, RET)" */
	struct fold { pid_t tid; uint64_t n; struct ms_sysev ev; int have_n, have_ev; } fold[256];
	size_t nfold;
};

static pid_t tool_spawn(struct tool *tl, char *const *argv, const char *preload, const char *dir,
			struct ms_err *e)
{
	int p[2];
	tl->err = ms_tmpfile();   /* the tool's stderr, read when it fails */
	if (!tl->err)
		return ms_err_set(e, errno, NULL, "set TMPDIR to a directory you can write",
				  "%s: a temporary file in %s", argv[0], ms_tmp_root());
	if (pipe2(p, O_CLOEXEC) < 0)
		return ms_err_set(e, errno, NULL, NULL, "%s: pipe", argv[0]);
	char pre[PATH_MAX + 16];
	snprintf(pre, sizeof pre, "LD_PRELOAD=%s", preload ? preload : "");
	const char *env[] = { preload ? pre : NULL, NULL };
	/* its own process group: the terminal's Ctrl-C reaches us, and we
	 * stop the tool in order (it must not die before printing) */
	struct ms_start st = { .argv = argv, .env_set = env, .dir = dir, .own_group = 1,
			       .fd = { MS_FD_KEEP, p[1], fileno(tl->err) } };
	pid_t pid = ms_child_start(&st, e);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	tl->out = p[0];
	tl->pid = pid;
	fcntl(tl->out, F_SETFL, O_NONBLOCK);
	return pid;
}

/* The tool's last meaningful stderr line, for the error message (dflt when
 * it printed none); returns the perf events stapbpf said it lost: its
 * "WARNING: lost N perf_events on cpu C" comes before the abort it causes
 * (a printf's records cut in the middle: "printf already started"). */
static unsigned long long tool_reason(struct tool *tl, const char *dflt, char *out, size_t len)
{
	char line[512], last[160] = "", died[160] = "";
	unsigned long long lost = 0, n;
	int cpu;
	if (tl->err)
		rewind(tl->err);
	for (int i = 0; tl->err && i < 100000 && fgets(line, sizeof line, tl->err); i++) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "WARNING: lost %llu perf_events on cpu %d", &n, &cpu) == 2) {
			lost = lost + n < lost ? lost : lost + n;
			continue;
		}
		/* stap's own epilogue and bpftrace's harmless RLIMIT_MEMLOCK
		 * complaint are not the reason; "stapbpf exited with signal" is
		 * one only when nothing better was said */
		if (!line[0] || strstr(line, "RLIMIT_MEMLOCK") || strstr(line, "Tip:") || strstr(line, "Rerun with")
		    || strstr(line, "Number of similar") || strncmp(line, "Pass 5", 6) == 0)
			continue;
		snprintf(strstr(line, "exited with signal") ? died : last, sizeof last, "%.150s", line);
	}
	snprintf(out, len, "%s", last[0] ? last : died[0] ? died : dflt);
	return lost;
}

static struct fold *fold_get(struct tool *tl, pid_t tid)
{
	for (size_t i = 0; i < tl->nfold; i++)
		if (tl->fold[i].tid == tid)
			return &tl->fold[i];
	if (tl->nfold == sizeof tl->fold / sizeof tl->fold[0])
		return NULL;
	struct fold *f = &tl->fold[tl->nfold++];
	memset(f, 0, sizeof *f);
	f->tid = tid;
	return f;
}

/* One line of bpftrace's exit dump; returns 1 when it was one. */
static int fold_line(struct ms_systrace *t, struct tool *tl, const char *line)
{
	int tid;
	unsigned long long n;
	long long v[6];
	struct fold *f;
	if (sscanf(line, "@rep[%d]: %llu", &tid, &n) == 2) {
		if ((f = fold_get(tl, tid))) {
			f->n = n;
			f->have_n = 1;
		}
		return 1;
	}
	if (sscanf(line, "@l[%d]: (%lld, %lld, %lld, %lld, %lld, %lld)", &tid, &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5]) == 7) {
		if ((f = fold_get(tl, tid))) {
			f->ev.tid = tid;
			f->ev.tgid = t->traced_pid;
			f->ev.sc = ms_sc_from_nr((long)v[0]);
			for (int i = 0; i < 4; i++)
				f->ev.arg[i] = (uint64_t)v[i + 1];
			f->ev.ret = v[5];
			f->have_ev = f->ev.sc != MS_SC_N;
		}
		return 1;
	}
	return 0;
}

static void fold_flush(struct ms_systrace *t, struct tool *tl)
{
	for (size_t i = 0; i < tl->nfold; i++) {
		struct fold *f = &tl->fold[i];
		if (f->have_n && f->have_ev && f->n) {
			tl->seen += f->n;
			t->on_event(t->ctx, &f->ev, f->n);
		}
	}
	tl->nfold = 0;
}

static void consume(struct ms_systrace *t, struct tool *tl)
{
	char *start = tl->buf, *nl;
	while ((nl = memchr(start, '\n', tl->len - (size_t)(start - tl->buf)))) {
		*nl = 0;
		struct ms_sysev ev;
		struct ms_procev pe;
		unsigned long long nr, n;
		uint64_t times;
		if (ms_procline_parse(start, &pe)) {
			if (t->on_proc)
				t->on_proc(t->ctx, &pe);
		} else if (ms_sysline_parse(start, &ev, &times)) {
			tl->seen += times;
			t->on_event(t->ctx, &ev, times);
		} else if (fold_line(t, tl, start)) {
			/* kept until the tool has finished */
		} else if (strcmp(start, "READY") == 0) {
			tl->ready = 1;
		} else if (sscanf(start, "C %llu %llu", &nr, &n) == 2 || sscanf(start, "@k[%llu]: %llu", &nr, &n) == 2) {
			if (ms_sc_from_nr((long)nr) != MS_SC_N)
				tl->kernel_count += n;
		}
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

#define TOOL_GRACE_S 15   /* from SIGINT to SIGKILL: stap and bpftrace print their end-of-run lines */

/* Stop the tool and read everything it still prints; its wait status,
 * *killed set when it had to be SIGKILLed after TOOL_GRACE_S. */
static int tool_finish(struct ms_systrace *t, struct tool *tl, int *killed)
{
	int st = 0;
	kill(tl->pid, SIGINT);
	double give_up = ms_now() + TOOL_GRACE_S;
	while (!tl->eof && ms_now() < give_up) {
		struct pollfd pf = { .fd = tl->out, .events = POLLIN };
		poll(&pf, 1, 100);
		pump(t, tl);
	}
	*killed = !tl->eof;
	if (*killed)
		kill(tl->pid, SIGKILL);
	while (waitpid(tl->pid, &st, 0) < 0 && errno == EINTR)
		;
	close(tl->out);
	return st;
}

/* How the tool ended, in t->warning: its status, its stderr's reason
 * quoted, the perf events it said it lost ("stap exited with status 1:
 * \"bpfinterp.cxx:741: printf already started\" after losing 174 perf
 * events").  stopped: we stopped it (SIGINT), and only a failure or a loss
 * is worth a word then; killed: it outlived the grace period. */
static void tool_words(struct ms_systrace *t, struct tool *tl, const char *name, int st, int stopped, int killed)
{
	char why[160], how[64], lost[64] = "";
	unsigned long long n = tool_reason(tl, "", why, sizeof why);
	if (stopped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !n)
		return;
	if (stopped && killed) {
		snprintf(t->warning, sizeof t->warning, "%s did not end within %d s of being stopped and was killed: "
			 "its end-of-run lines (folded repeats, its kernel counts) are missing", name, TOOL_GRACE_S);
		return;
	}
	if (WIFSIGNALED(st))
		snprintf(how, sizeof how, "died of signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(how, sizeof how, "exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (n)
		snprintf(lost, sizeof lost, " after losing %llu perf events", n);
	snprintf(t->warning, sizeof t->warning, "%s%s %s%s%s%s%s", name, stopped ? ", when stopped," : "", how,
		 why[0] ? ": \"" : "", why, why[0] ? "\"" : "", lost);
}

static int run_tool(struct ms_systrace *t, char *const *argv, const char *preload, const char *dir,
		    struct ms_err *e)
{
	struct tool *tl = calloc(1, sizeof *tl);
	int gofd = -1, rc = 0;
	if (!tl)
		return ms_err_set(e, ENOMEM, NULL, NULL, "%s", argv[0]);
	if (tool_spawn(tl, argv, preload, dir, e) < 0) {
		if (tl->err)
			fclose(tl->err);
		free(tl);
		return -1;
	}
	if (t->cmd)
		gofd = t->held_go;
	int pidfd = ms_pidfd(t->traced_pid);
	double start = ms_now(), end = 0, eof_at = 0;
	int target_gone = 0;
	for (;;) {
		if (t->stop && *t->stop)
			break;
		if (tl->ready && end == 0) {
			if (t->on_ready)
				t->on_ready(t->ctx, t->traced_pid);
			if (ms_held_release(t, &gofd, e) < 0) {
				rc = -1;
				break;
			}
			end = t->duration > 0 ? ms_now() + t->duration : -1;
		}
		if (tl->eof) {
			eof_at = ms_now();
			break;
		}
		if ((end > 0 && ms_now() >= end) || (target_gone = ms_target_gone(t, pidfd)))
			break;
		if (!tl->ready && ms_now() - start > 300) {
			rc = ms_err_set(e, 0, "no READY after 300 s", "try --backend tracefs", "%s", argv[0]);
			break;
		}
		struct pollfd pf[2] = { { .fd = tl->out, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		poll(pf, pidfd >= 0 ? 2 : 1, 100);
		pump(t, tl);
	}
	/* the tool's buffers may still hold the target's last calls: read
	 * until it has been quiet for a moment before stopping it */
	double give_up = ms_now() + 2;   /* a target still busy (Ctrl-C, --duration) never goes quiet */
	for (double quiet = ms_now(); tl->ready && !tl->eof && ms_now() - quiet < 0.3 && ms_now() < give_up;) {
		size_t before = tl->len;
		uint64_t seen = tl->seen;
		struct pollfd pf = { .fd = tl->out, .events = POLLIN };
		poll(&pf, 1, 50);
		pump(t, tl);
		if (tl->seen != seen || tl->len != before)
			quiet = ms_now();
	}
	int was_ready = tl->ready;
	int killed = 0, st = tool_finish(t, tl, &killed);
	fold_flush(t, tl);
	/* ended by itself while the target ran on (stapbpf aborts when its
	 * perf buffer overflows and a printf's records arrive cut): a cut,
	 * unless the target ended too and the tool only followed it cleanly */
	if (was_ready && eof_at > 0 && rc == 0 && !(t->stop && *t->stop)) {
		target_gone = ms_target_gone(t, pidfd);
		if (!(target_gone && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			t->cut = 1;
			t->cut_at = eof_at;
			tool_words(t, tl, argv[0], st, 0, 0);
		}
	} else if (was_ready && rc == 0) {
		/* stopped by us, yet it lost records or died on the way out
		 * (stapbpf aborts on a backlog of cut printfs): incomplete */
		tool_words(t, tl, argv[0], st, 1, killed);
	}
	if (!was_ready && rc == 0 && !(t->stop && *t->stop)) {
		char why[512];
		tool_reason(tl, "exited before tracing started", why, sizeof why);
		rc = ms_err_set(e, 0, why, "memsleuth syscalls --backend tracefs or ptrace works without it",
				"%s", argv[0]);
	}
	if (gofd >= 0)
		close(gofd);
	t->held_go = -1;
	if (pidfd >= 0)
		close(pidfd);
	/* the scripts count in the kernel too: what did not reach us was lost
	 * in the tool's buffers */
	if (tl->kernel_count > tl->seen)
		t->lost += tl->kernel_count - tl->seen;
	fclose(tl->err);
	free(tl);
	return rc;
}

static int prepare_target(struct ms_systrace *t, struct ms_err *e)
{
	t->target_status = -1;
	t->traced_pid = t->pid;
	t->held_go = -1;
	t->cut = 0;
	t->cut_at = 0;
	if (t->cmd) {
		t->traced_pid = ms_held_spawn(t, &t->held_go, e);
		if (t->traced_pid < 0)
			return -1;
	}
	return 0;
}

/* After a failed tool, a held command must not be left waiting.  After a
 * cut the command runs on: the tool's death is no reason to end it (the
 * caller traces the rest or waits, systrace.h). */
static void end_held(struct ms_systrace *t)
{
	int st;
	if (!t->cmd || t->target_status != -1 || t->cut)
		return;
	if (t->held_go >= 0) {
		/* never released: it ends without running */
		close(t->held_go);
		t->held_go = -1;
		if (waitpid(t->traced_pid, &st, 0) == t->traced_pid)
			t->target_status = st;
		return;
	}
	ms_launched_end(t);
}

int ms_systrace_bpftrace(struct ms_systrace *t, struct ms_err *e)
{
	static const char *const args[MS_SC_N] = {
		[MS_SC_BRK] = "(int64)args->brk, (int64)0, (int64)0, (int64)0",
		[MS_SC_MMAP] = "(int64)args->addr, (int64)args->len, (int64)args->prot, (int64)args->flags",
		[MS_SC_MUNMAP] = "(int64)args->addr, (int64)args->len, (int64)0, (int64)0",
		[MS_SC_MPROTECT] = "(int64)args->start, (int64)args->len, (int64)args->prot, (int64)0",
		[MS_SC_MADVISE] = "(int64)args->start, (int64)args->len_in, (int64)args->behavior, (int64)0",
	};
	if (prepare_target(t, e) < 0)
		return -1;
	/* Entry args wait in per-thread maps for the exit: one line per call.
	 * A call identical to the thread's previous one (@l) only bumps @rep;
	 * the fold is printed as an M line when the thread does something else,
	 * or at exit by print(@rep)/print(@l) (bpftrace cannot loop over a map).
	 * @k counts in the kernel, printed at exit as "@k[NR]: N". */
	char prog[16384];
	/* @fam: the target and the processes it creates (a wrapper that forks
	 * the program); F/X/Q lines tell their lives (records/memsys.h) */
	size_t off = (size_t)snprintf(prog, sizeof prog,
		"BEGIN { @fam[%d] = 1; printf(\"READY\\n\"); }\n"
		"tracepoint:sched:sched_process_fork /@fam[pid]/ { @fam[args->child_pid] = 1; printf(\"F %%d %%d\\n\", pid, args->child_pid); }\n"
		"tracepoint:sched:sched_process_exec /@fam[pid]/ { printf(\"X %%d %%s\\n\", pid, comm); }\n"
		"tracepoint:syscalls:sys_enter_exit_group /@fam[pid]/ { printf(\"Q %%d %%d 1\\n\", pid, tid); }\n"
		"tracepoint:syscalls:sys_enter_exit /@fam[pid]/ { printf(\"Q %%d %%d 0\\n\", pid, tid); }\n",
		(int)t->traced_pid);
	for (int i = 0; i < MS_SC_N; i++) {
		const char *n = ms_sc_name((enum ms_sc)i);
		long nr = ms_sc_nr((enum ms_sc)i);
		off += (size_t)snprintf(prog + off, sizeof prog - off,
			"tracepoint:syscalls:sys_enter_%s /@fam[pid]/ { @nr[tid] = %ld; @a[tid] = (%s); }\n"
			"tracepoint:syscalls:sys_exit_%s /@fam[pid] && @nr[tid] == %ld/ {\n"
			"  $a = @a[tid]; $l = @l[tid]; $r = (int64)args->ret; @nr[tid] = 0; @k[%ld] = count();\n"
			"  if ($l.0 == %ld && $l.1 == $a.0 && $l.2 == $a.1 && $l.3 == $a.2 && $l.4 == $a.3 && $l.5 == $r) {\n"
			"    @rep[tid] = @rep[tid] + 1;\n"
			"  } else {\n"
			"    if (@rep[tid] > 0) { printf(\"M %%ld %%d %%d %%ld %%ld %%ld %%ld %%ld %%ld\\n\", @rep[tid], tid, pid, $l.0, $l.1, $l.2, $l.3, $l.4, $l.5); @rep[tid] = 0; }\n"
			"    @l[tid] = ((int64)%ld, $a.0, $a.1, $a.2, $a.3, $r);\n"
			"    printf(\"S %%d %%d %ld %%ld %%ld %%ld %%ld %%ld %%s\\n\", tid, pid, $a.0, $a.1, $a.2, $a.3, $r, comm);\n"
			"  }\n}\n",
			n, nr, args[i], n, nr, nr, nr, nr, nr);
	}
	off += (size_t)snprintf(prog + off, sizeof prog - off,
				"END { clear(@nr); clear(@a); clear(@fam); print(@rep); print(@l); clear(@rep); clear(@l); }\n");
	char *argv[] = { "bpftrace", "-B", "line", "-e", prog, NULL };
	int rc = run_tool(t, argv, NULL, NULL, e);
	end_held(t);
	return rc;
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
	char dir[PATH_MAX];
	if (ms_tmpdir_make("stap", dir, sizeof dir, e) < 0) {
		end_held(t);
		return -1;
	}
	int rc = run_tool(t, argv, t->stap_tree ? shim : NULL, dir, e);
	end_held(t);
	ms_tmpdir_remove(dir);
	return rc;
}
