/* memsleuth trim PID: what does trimming really give back?
 * Prediction from `arenas`, confirmation, malloc_trim(0) called on one
 * thread through ptrace (or through gdb, or jcmd System.trim_native_heap for
 * a JVM), RSS before and after. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings/allocator.h"
#include "findings/remedy.h"
#include "probe/dynsym.h"
#include "probe/gdbtrim.h"
#include "probe/procfs.h"
#include "probe/ptcall.h"
#include "probe/runstate.h"
#include "probe/target.h"
#include "records/maps.h"
#include "report/json.h"
#include "findings/arenas.h"
#include "findings/arenaverdict.h"
#include "options.h"
#include "steps.h"
#include "util/err.h"
#include "util/paths.h"
#include "util/size.h"
#include "util/spawn.h"
#include "util/subproc.h"

#define PROG "memsleuth trim"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const struct ms_optspec opts[] = {
	{ "yes",     'y', NULL, "do it without asking (otherwise asked on a TTY, or nothing is done)" },
	{ "timeout", 't', "S",  "give up on the call after S seconds (default 30); the target is resumed" },
	{ "method",  MS_LONG('m'), "M", "ptrace (default: one thread calls it, all registers put back),\n"
					"gdb (gdb's call; fails on AMX CPUs with Debian 12's gdb), or\n"
					"jcmd (a JVM: System.trim_native_heap)" },
	{ "json",    'j', NULL, "machine output (docs/json/trim.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG, .usage = "[OPTIONS] PID", .opts = opts,
	.about = "Call malloc_trim(0) inside PID and measure what it really gives back.",
	.operands = MS_OPERAND_PID, .flags = MS_CLI_DEBUGINFO,
};

struct prediction {
	int      ok;
	uint64_t bytes;
	char     why[400];      /* when not ok */
};

/* The arenas step's own model of mtrim, run in-process: the number is
 * computed in one place whichever step prints it. */
static void predict(pid_t pid, struct prediction *p)
{
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { .no_debuginfo = ms_debuginfo_ignored() };
	struct ms_arenas a;
	memset(p, 0, sizeof *p);
	if (ms_arenas_collect(pid, &o, &a, &e) < 0) {
		snprintf(p->why, sizeof p->why, "%s", e.msg);
		return;
	}
	if (!a.glibc_in_charge)
		snprintf(p->why, sizeof p->why, "glibc is not the allocator (%s)", a.allocator);
	else if (!a.snapshot_consistent)
		snprintf(p->why, sizeof p->why, "%s (%s)", ms_damage_words(a.damage, a.stopped), a.inconsistency);
	else {
		p->bytes = a.trim_prediction_bytes;
		p->ok = 1;
	}
	ms_arenas_free(&a);
}

static uint64_t rss_of(pid_t pid)
{
	struct ms_target t;
	return ms_target_open(pid, &t, NULL) == 0 ? t.status.vm_rss : 0;
}

/* A JVM: its libjvm mapping, and the jcmd of the same JDK (or PATH's). */
struct jvm {
	int  is_jvm;
	char jcmd[PATH_MAX];
	int  jcmd_trim;         /* the JDK knows System.trim_native_heap */
};

static void jvm_detect(const struct ms_target *t, const struct ms_maps *maps, struct jvm *j)
{
	memset(j, 0, sizeof *j);
	for (size_t i = 0; i < maps->n && !j->is_jvm; i++) {
		const char *p = maps->v[i].path;
		const char *s = strstr(p, "/libjvm.so");
		if (!s)
			continue;
		j->is_jvm = 1;
		/* JAVA_HOME/lib/server/libjvm.so (JDK 9+) or
		 * JAVA_HOME/jre/lib/ARCH/server/libjvm.so (JDK 8): the jcmd of
		 * the JDK the target runs, when it is reachable from here. */
		const char *lib = NULL;
		for (const char *q = p; (q = strstr(q, "/lib/")) && q < s; q++)
			lib = q;
		if (lib && lib - p >= 4 && !strncmp(lib - 4, "/jre", 4))
			lib -= 4;
		if (lib)
			snprintf(j->jcmd, sizeof j->jcmd, "%.*s/bin/jcmd", (int)(lib - p), p);
	}
	if (!j->is_jvm)
		return;
	if ((!j->jcmd[0] || access(j->jcmd, X_OK) != 0) && !ms_which("jcmd", j->jcmd, sizeof j->jcmd)) {
		j->jcmd[0] = 0;
		return;
	}
	char pidbuf[24];
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)t->pid);
	char *argv[] = { j->jcmd, pidbuf, "help", "System.trim_native_heap", NULL };
	struct ms_child r = { .argv = argv, .timeout_ms = 30000, .stop_signal = SIGTERM,
			    .grace_ms = 2000, .stdin_fd = -1, .interrupted = &stop_flag };
	if (ms_child_run(&r, NULL) == 0) {
		j->jcmd_trim = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 &&
			       strstr(r.out, "trim_native_heap") && !strstr(r.out, "Unknown diagnostic");
		ms_child_free(&r);
	}
}

static int jcmd_trim(pid_t pid, const struct jvm *j, int timeout_ms, char *said, size_t saidlen,
		     struct ms_err *e)
{
	char pidbuf[24];
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	char *argv[] = { (char *)j->jcmd, pidbuf, "System.trim_native_heap", NULL };
	struct ms_child r = { .argv = argv, .timeout_ms = timeout_ms, .stop_signal = SIGTERM,
			    .grace_ms = 2000, .stdin_fd = -1, .interrupted = &stop_flag };
	if (ms_child_run(&r, e) < 0)
		return -1;
	int ok = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && !r.timed_out;
	/* jcmd prints "PID:" then the JVM's own account of the trim. */
	const char *body = strchr(r.out, '\n');
	snprintf(said, saidlen, "%.*s", (int)strcspn(body ? body + 1 : r.out, "\n"), body ? body + 1 : r.out);
	if (!ok) {
		size_t l = strcspn(r.out, "\n");
		ms_err_set(e, 0, r.timed_out ? "timed out" : (l ? r.out : "failed"),
			   "see jcmd's output; the JVM keeps running",
			   "jcmd %d System.trim_native_heap", (int)pid);
	}
	ms_child_free(&r);
	return ok ? 0 : -1;
}

/* malloc_trim(0) on one of the target's threads: the address from the
 * target's own libc file (its .dynsym), the call by probe/ptcall. */
static int ptrace_trim(pid_t pid, const struct ms_libc *lc, int timeout_ms,
		       struct ms_ptcall *pc, struct ms_err *e)
{
	memset(pc, 0, sizeof *pc);
	uint64_t value, load_vaddr;
	if (!lc->libc_found)
		return ms_err_set(e, 0, "no libc mapped", "is it a static binary? use --method gdb", "process %d", (int)pid);
	if (ms_dynsym_lookup(lc->libc_file, "malloc_trim", &value, &load_vaddr, e) < 0)
		return -1;
	uint64_t fn = lc->libc_base + value - load_vaddr;
	if (fn < lc->libc_base || fn >= lc->libc_end)
		return ms_err_set(e, 0, "lies outside the libc's mapping", "use --method gdb",
				  "malloc_trim at 0x%llx in process %d", (unsigned long long)fn, (int)pid);
	const uint64_t zero = 0;
	int rc = ms_ptrace_call(pid, fn, &zero, 1, timeout_ms, &stop_flag, pc, e);
	struct ms_runstate after;
	if (ms_runstate_ensure_running(pid, &after) < 0 && rc == 0)
		return ms_err_set(e, 0, after.tracer ? "is still traced" : "is still stopped",
				  "check it with ps and kill -CONT it", "process %d", (int)pid);
	return rc;
}

static int confirm(pid_t pid, const char *name, const char *method)
{
	if (!isatty(0) || !isatty(2))
		return 0;
	fprintf(stderr, "Call malloc_trim(0) inside process %d (%s) through %s? [y/N] ",
		(int)pid, name, method);
	char ans[16] = "";
	ssize_t n = read(0, ans, sizeof ans - 1);
	return n > 0 && (ans[0] == 'y' || ans[0] == 'Y');
}

struct outcome {
	const struct ms_target *t;
	const char *allocator, *method;
	struct prediction pred;
	int done;
	uint64_t before, after;
	int trim_result;        /* -1 unknown */
	const struct ms_gdbtrim *g;
	const struct ms_ptcall *pc;
	int jvm;
	char jcmd_said[256];    /* the JVM's own line about the trim */
};

static void print_json(const struct outcome *o)
{
	struct ms_json j;
	ms_json_init(&j, stdout);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "step", "trim");
	ms_json_ki64(&j, "pid", o->t->pid);
	ms_json_kstr(&j, "allocator", o->allocator);
	ms_json_kstr(&j, "method", o->done ? o->method : "none");
	ms_json_kbool(&j, "trimmed", o->done);
	ms_json_kbool(&j, "jvm", o->jvm);
	ms_json_key(&j, "predicted_bytes");
	if (o->pred.ok)
		ms_json_u64(&j, o->pred.bytes);
	else
		ms_json_null(&j);
	ms_json_kstr(&j, "prediction_unavailable", o->pred.ok ? NULL : o->pred.why);
	ms_json_ku64(&j, "rss_before_bytes", o->before);
	ms_json_key(&j, "rss_after_bytes");
	if (o->done)
		ms_json_u64(&j, o->after);
	else
		ms_json_null(&j);
	ms_json_key(&j, "returned_bytes");
	if (o->done)
		ms_json_i64(&j, (int64_t)o->before - (int64_t)o->after);
	else
		ms_json_null(&j);
	ms_json_key(&j, "prediction_error_bytes");
	if (o->done && o->pred.ok)
		ms_json_i64(&j, ((int64_t)o->before - (int64_t)o->after) - (int64_t)o->pred.bytes);
	else
		ms_json_null(&j);
	ms_json_key(&j, "malloc_trim_result");
	if (o->trim_result >= 0)
		ms_json_i64(&j, o->trim_result);
	else
		ms_json_null(&j);
	if (o->jcmd_said[0])
		ms_json_kstr(&j, "jcmd_output", o->jcmd_said);
	if (o->g) {
		ms_json_kdouble(&j, "call_s", o->g->seconds);
		ms_json_kbool(&j, "resumed_with_sigcont", o->g->resumed);
	}
	if (o->pc) {
		ms_json_kdouble(&j, "call_s", o->pc->seconds);
		ms_json_ki64(&j, "thread", o->pc->tid);
		ms_json_kbool(&j, "thread_was_in_syscall", o->pc->in_syscall);
		ms_json_kbool(&j, "xstate_restored", o->pc->xstate_restored);
		ms_json_ku64(&j, "xstate_bytes", o->pc->xstate_bytes);
	}
	ms_json_obj_end(&j);
	ms_json_end(&j);
}

static void print_text(const struct outcome *o)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF];
	if (!o->done)
		return;
	int64_t ret = (int64_t)o->before - (int64_t)o->after;
	printf("RSS before  %s\nRSS after   %s\nreturned    %s%s",
	       ms_size_fmt(o->before, a), ms_size_fmt(o->after, b),
	       ret < 0 ? "-" : "", ms_size_fmt((uint64_t)(ret < 0 ? -ret : ret), c));
	if (o->trim_result >= 0)
		printf(" (malloc_trim returned %d)\n", o->trim_result);
	else
		printf(" (jcmd: %s)\n", o->jcmd_said);
	if (o->pred.ok) {
		int64_t err = ret - (int64_t)o->pred.bytes;
		printf("prediction  %s, off by %s%s", ms_size_fmt(o->pred.bytes, a),
		       err < 0 ? "-" : "+", ms_size_fmt((uint64_t)(err < 0 ? -err : err), b));
		if (o->pred.bytes)
			printf(" (%.1f%%)", 100.0 * (double)err / (double)o->pred.bytes);
		printf("\n");
	}
	if (o->g && o->g->resumed)
		printf("note: the target was left stopped by the kernel's detach; memsleuth resumed it (SIGCONT)\n");
}

int cmd_trim(int argc, char **argv)
{
	int yes = 0, json = 0, timeout_s = 30, c;
	const char *method = NULL;
	struct ms_args args;
	ms_args_begin(&args, &cli, argc, argv);
	while ((c = ms_args_next(&args)) != -1) {
		switch (c) {
		case 'y': yes = 1; break;
		case 'j': json = 1; break;
		case 't': timeout_s = (int)ms_args_count(&args, "--timeout", args.val, 1, 3600); break;
		case MS_LONG('m'):
			if (strcmp(args.val, "ptrace") && strcmp(args.val, "gdb") && strcmp(args.val, "jcmd"))
				ms_fatal(PROG, "use ptrace, gdb or jcmd", "--method '%s': unknown", args.val);
			method = args.val;
			break;
		}
	}
	struct ms_err e = { 0 };
	pid_t pid = args.pid;
	struct ms_target t;
	if (ms_target_open(pid, &t, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	char *buf, *env = NULL;
	size_t len, envlen = 0;
	if (ms_proc_read(pid, "maps", &buf, &len, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	struct ms_maps maps = { 0 };
	if (ms_maps_parse(buf, len, &maps, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	free(buf);
	ms_proc_read(pid, "environ", &env, &envlen, NULL);
	struct ms_libc lc;
	if (ms_libc_identify(&t, &maps, env, envlen, &lc, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	free(env);
	if (lc.allocator != MS_ALLOC_GLIBC) {
		/* compare is the way out only when one of its configurations reaches this process */
		struct ms_alloc_seen seen;
		ms_alloc_seen_of(&lc, &seen);
		ms_fatal(PROG, ms_remedy_napplicable(&seen) ?
			 "malloc_trim only acts on glibc's own heaps; try 'memsleuth compare' for this allocator's settings" :
			 "malloc_trim only acts on glibc's own heaps, and no configuration of 'memsleuth compare' reaches "
			 "this process (a static binary ignores LD_PRELOAD, and only glibc reads glibc's settings)",
			 "process %d (%s): its allocator is %s%s%s, not glibc",
			 (int)pid, t.status.name, ms_allocator_name(lc.allocator),
			 lc.allocator_dso[0] ? " " : "", lc.allocator_dso);
	}
	struct jvm jv;
	jvm_detect(&t, &maps, &jv);
	ms_maps_free(&maps);
	if (jv.is_jvm) {
		fprintf(stderr, "%s: warning: process %d is a JVM; calling into it from a debugger can crash it\n", PROG, (int)pid);
		if (jv.jcmd_trim)
			fprintf(stderr, "%s: this JDK has a safe way: %s %d System.trim_native_heap%s\n", PROG,
				jv.jcmd, (int)pid, method && strcmp(method, "jcmd") ? "" : " (trim uses it)");
		if (!method) {
			if (!jv.jcmd_trim)
				ms_fatal(PROG, "pass --method ptrace to take the risk, or upgrade to a JDK with System.trim_native_heap (17.0.9+, 21+)",
					 "process %d (%s): a JVM without jcmd System.trim_native_heap", (int)pid, t.status.name);
			method = "jcmd";
		}
	}
	if (!method)
		method = "ptrace";
	if (!strcmp(method, "jcmd") && !jv.jcmd_trim)
		ms_fatal(PROG, "use --method ptrace (or gdb) for glibc processes",
			 "--method jcmd: process %d (%s) is not a JVM whose jcmd knows System.trim_native_heap",
			 (int)pid, t.status.name);
	char script[PATH_MAX], gdb[PATH_MAX];
	if (!strcmp(method, "gdb") && !ms_which("gdb", gdb, sizeof gdb))
		ms_fatal(PROG, "install it: apt-get install gdb", "gdb: not found in PATH");
	struct ms_err te;
	if (!strcmp(method, "gdb") && ms_resource_trusted(MS_RES_GDB, "trim.gdb", script, sizeof script, &te) < 0)
		ms_die(PROG, &te, 2);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Another tracer would make gdb fail to attach; a stopped target was
	 * stopped by someone on purpose, and must stay as they left it. */
	struct ms_runstate rs;
	if (ms_runstate_read(pid, &rs) == 0 && rs.tracer)
		ms_fatal(PROG, "detach the debugger or strace first", "process %d (%s): already traced by process %d",
			 (int)pid, t.status.name, (int)rs.tracer);
	if (rs.exists && (rs.state == 'T' || rs.state == 't'))
		ms_fatal(PROG, "resume it first with kill -CONT, or leave it alone", "process %d (%s): is stopped",
			 (int)pid, t.status.name);
	struct outcome o = { .t = &t, .allocator = ms_allocator_name(lc.allocator),
			     .method = method, .trim_result = -1, .jvm = jv.is_jvm };
	predict(pid, &o.pred);
	if (stop_flag)
		ms_fatal(PROG, NULL, "interrupted before the call; nothing done to process %d", (int)pid);
	o.before = rss_of(pid);
	char sz[MS_SIZE_BUF], sz2[MS_SIZE_BUF];
	if (!json) {
		printf("process %d (%s), allocator %s, RSS %s\n", (int)pid, t.status.name,
		       o.allocator, ms_size_fmt(o.before, sz));
		if (o.pred.ok)
			printf("arenas predicts malloc_trim(0) returns %s\n", ms_size_fmt(o.pred.bytes, sz2));
		else
			printf("prediction unavailable: %s\n", o.pred.why);
		fflush(stdout);
	}
	if (!yes && !confirm(pid, t.status.name, method)) {
		fprintf(stderr, "%s: not confirmed, nothing done (pass --yes, or run on a terminal to be asked)\n", PROG);
		if (json)
			print_json(&o);
		return MS_EXIT_OK;
	}
	struct ms_gdbtrim g;
	struct ms_ptcall pc;
	int rc;
	if (!strcmp(method, "ptrace")) {
		rc = ptrace_trim(pid, &lc, timeout_s * 1000, &pc, &e);
		o.pc = &pc;
		if (pc.called)
			o.trim_result = (int)(pc.ret & 0xffffffff);
	} else if (!strcmp(method, "gdb")) {
		rc = ms_gdb_trim(pid, script, timeout_s * 1000, &stop_flag, &g, &e);
		o.g = &g;
		if (g.called)
			o.trim_result = g.result;
		if (g.gdb_killed && !g.called && g.after.exists)
			fprintf(stderr, "%s: warning: if gdb was inside the call when it was killed, the call may "
				"still be in flight in process %d\n", PROG, (int)pid);
	} else {
		rc = jcmd_trim(pid, &jv, timeout_s * 1000, o.jcmd_said, sizeof o.jcmd_said, &e);
	}
	if (rc < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	o.done = 1;
	o.after = rss_of(pid);
	if (json)
		print_json(&o);
	else
		print_text(&o);
	return MS_EXIT_OK;
}
