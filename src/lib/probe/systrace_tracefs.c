/* tracefs backend: the kernel's own syscall tracepoints in a private
 * instance (instances/memsleuth-PID-RANDOM), so that nothing another user
 * of ftrace set up is touched.  set_event_pid holds the target's threads,
 * options/event-fork adds the threads they create, record-tgid gives the
 * process of each line.  The instance is removed on every way out. */
#include "probe/systrace.h"
#include "util/size.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_TRACEFS MS_TRACEFS_DEFAULT

const char *ms_tracefs_root(void)
{
	const char *r = getenv("MEMSLEUTH_TRACEFS");
	return r && *r ? r : DEFAULT_TRACEFS;
}

struct inst {
	char dir[512];
	int  made;
};

static int put(const struct inst *in, const char *file, const char *val, int append, struct ms_err *e)
{
	char path[768];
	snprintf(path, sizeof path, "%s/%s", in->dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return ms_err_set(e, errno, NULL, "is this kernel built with syscall tracepoints? try --backend ptrace", "%s", path);
	ssize_t n = write(fd, val, strlen(val));
	int err = errno;
	close(fd);
	if (n != (ssize_t)strlen(val))
		return ms_err_set(e, n < 0 ? err : EIO, NULL, "try --backend ptrace", "writing '%s' to %s", val, path);
	return 0;
}

/* Mounted?  The default place is mounted for the user when we are root
 * (the same as `mount -t tracefs nodev /sys/kernel/tracing`). */
static int tracefs_ready(const char *root, struct ms_err *e)
{
	char p[512];
	snprintf(p, sizeof p, "%s/instances", root);
	if (faccessat(AT_FDCWD, p, F_OK, AT_EACCESS) == 0)   /* effective: capabilities count */
		return 0;
	if (strcmp(root, DEFAULT_TRACEFS) == 0 && geteuid() == 0
	    && mount("nodev", DEFAULT_TRACEFS, "tracefs", 0, NULL) == 0 && access(p, F_OK) == 0)
		return 0;
	if (errno == EACCES || errno == EPERM)
		return ms_err_set(e, errno, NULL, "run as root, or use --backend ptrace", "tracefs %s", root);
	return ms_err_set(e, 0, "not mounted", "mount -t tracefs nodev /sys/kernel/tracing as root, or use --backend ptrace",
			  "tracefs %s", root);
}

static int inst_make(struct inst *in, struct ms_err *e)
{
	const char *root = ms_tracefs_root();
	if (tracefs_ready(root, e) < 0)
		return -1;
	unsigned seed = (unsigned)getpid() ^ (unsigned)(ms_now() * 1e6);
	for (int tries = 0; tries < 16; tries++) {
		snprintf(in->dir, sizeof in->dir, "%s/instances/memsleuth-%d-%08x", root, (int)getpid(),
			 (unsigned)rand_r(&seed));
		if (mkdir(in->dir, 0700) == 0) {
			in->made = 1;
			return 0;
		}
		if (errno != EEXIST)
			return ms_err_set(e, errno, NULL,
					  errno == EACCES || errno == EPERM ? "run as root, or use --backend ptrace"
					  : "tracefs is busy (too many instances?); try --backend ptrace",
					  "tracefs instance %s", in->dir);
	}
	return ms_err_set(e, EEXIST, NULL, "remove stale instances/memsleuth-* directories", "tracefs instance");
}

/* rmdir fails with EBUSY while a reader holds trace_pipe: retry briefly. */
static void inst_remove(struct inst *in)
{
	if (!in->made)
		return;
	for (int i = 0; i < 50; i++) {
		if (rmdir(in->dir) == 0 || errno == ENOENT)
			break;
		usleep(20000);
	}
	in->made = 0;
}

static const char *const sc_tp[MS_SC_N] = {
	[MS_SC_BRK] = "brk", [MS_SC_MMAP] = "mmap", [MS_SC_MUNMAP] = "munmap",
	[MS_SC_MPROTECT] = "mprotect", [MS_SC_MADVISE] = "madvise",
};

static const char *const proc_tp[] = { "sched_process_fork", "sched_process_exec", "sched_process_exit" };

static int events_enable(const struct inst *in, const char *val, struct ms_err *e)
{
	char f[128];
	for (size_t i = 0; i < sizeof proc_tp / sizeof proc_tp[0]; i++) {
		snprintf(f, sizeof f, "events/sched/%s/enable", proc_tp[i]);
		if (put(in, f, val, 0, e) < 0)
			return -1;
	}
	for (int i = 0; i < MS_SC_N; i++)
		for (int x = 0; x < 2; x++) {
			snprintf(f, sizeof f, "events/syscalls/sys_%s_%s/enable", x ? "exit" : "enter", sc_tp[i]);
			if (put(in, f, val, 0, e) < 0)
				return -1;
		}
	return 0;
}

/* Every thread of pid into set_event_pid (appending). */
static int add_threads(const struct inst *in, pid_t pid, struct ms_err *e)
{
	char path[64], num[24];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return ms_err_set(e, errno, NULL, "is the process still running?", "%s", path);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) && n < 100000) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(num, sizeof num, "%s", de->d_name);
		if (put(in, "set_event_pid", num, 1, e) < 0 && errno != ESRCH) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return 0;
}

/* The processes root made, children first seen before grandchildren, into
 * kids (at most max); from /proc/PID/stat's ppid.  Returns how many. */
static size_t descendants(pid_t root, pid_t *kids, size_t max)
{
	enum { MAXP = 65536 };   /* processes looked at: /proc is untrusted input */
	pid_t *pid = calloc(MAXP, sizeof *pid), *ppid = calloc(MAXP, sizeof *ppid);
	size_t n = 0, nk = 0;
	DIR *d = pid && ppid ? opendir("/proc") : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) && n < MAXP) {
		char path[64], buf[512];
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		char *rp = strrchr(buf, ')');   /* comm may hold spaces and ')' */
		long pp = 0;
		if (!rp || sscanf(rp + 1, " %*c %ld", &pp) != 1)
			continue;
		pid[n] = (pid_t)strtol(de->d_name, NULL, 10);
		ppid[n++] = (pid_t)pp;
	}
	if (d)
		closedir(d);
	/* breadth first: each pass adopts the children of those found */
	for (size_t done = 0, pass = 0; pass < 64 && nk < max; pass++) {
		size_t before = nk;
		for (size_t i = 0; i < n && nk < max; i++) {
			int parent_known = ppid[i] == root;
			for (size_t k = done; k < before && !parent_known; k++)
				parent_known = ppid[i] == kids[k];
			if (parent_known)
				kids[nk++] = pid[i];
		}
		if (nk == before)
			break;
		done = before;
	}
	free(pid);
	free(ppid);
	return nk;
}

/* The target's threads, and under resume with a launched command those
 * of every process it made (a wrapper's program), into set_event_pid. */
static int add_family(const struct inst *in, const struct ms_systrace *t, struct ms_err *e)
{
	if (add_threads(in, t->traced_pid, e) < 0)
		return -1;
	if (!t->resume || !t->cmd)
		return 0;
	pid_t kids[1024];
	size_t n = descendants(t->traced_pid, kids, sizeof kids / sizeof kids[0]);
	struct ms_err ignored;
	for (size_t i = 0; i < n; i++)
		add_threads(in, kids[i], &ignored);   /* one may have exited meanwhile */
	return 0;
}

int ms_tracefs_parse_line(char *line, struct ms_sysev *ev, int64_t *ret)
{
	memset(ev, 0, sizeof *ev);
	char *cpu = strstr(line, ") [");
	if (!cpu)
		return 0;
	char *open = cpu;
	while (open > line && *open != '(')
		open--;
	if (*open != '(')
		return 0;
	ev->tgid = (pid_t)strtol(open + 1, NULL, 10);
	ev->tgid_cached = 1;   /* saved_tgids: missing or stale until the kernel records the thread */
	char *dash = open;
	while (dash > line && *dash != '-')
		dash--;
	ev->tid = (pid_t)strtol(dash + 1, NULL, 10);
	char *comm = line;
	while (*comm == ' ')
		comm++;
	if (dash > comm && strncmp(comm, "<...>", 5) != 0)   /* <...>: not in saved_cmdlines */
		snprintf(ev->comm, sizeof ev->comm, "%.*s", (int)(dash - comm), comm);
	char *ev_at = strstr(cpu, ": sys_");
	if (!ev_at || ev->tid <= 0)
		return 0;
	char *ts = ev_at;
	while (ts > cpu && ts[-1] != ' ')
		ts--;
	ev->ts_ns = ms_secs_to_ns(strtod(ts, NULL));
	char *name = ev_at + 6;
	size_t nl = strcspn(name, "( ");
	char nm[16];
	if (nl == 0 || nl >= sizeof nm)
		return 0;
	memcpy(nm, name, nl);
	nm[nl] = 0;
	ev->sc = ms_sc_from_name(nm);
	if (ev->sc == MS_SC_N || name[nl] == 0)   /* cut after the name: neither form */
		return 0;
	if (name[nl] == ' ') {
		char *arrow = strstr(name + nl, "-> ");
		if (!arrow)
			return 0;
		*ret = (int64_t)strtoull(arrow + 3, NULL, 0);
		return 'X';
	}
	char *p = name + nl + 1;
	for (int i = 0; i < 4 && p; i++) {
		char *colon = strstr(p, ": ");
		if (!colon)
			break;
		ev->arg[i] = strtoull(colon + 2, &p, 0);
	}
	return 'E';
}

/* A sched_process_{fork,exec,exit} line (the processes' lives): returns
 * the kind (records/memsys.h), 0 for any other line.  pid= fields are
 * thread ids; the "(TGID)" of record-tgid is saved_tgids' cache, "-------"
 * (0) before the kernel records the task and an earlier task's after a pid
 * is reused, so it is marked cached.  An exec's process is its pid=: the
 * thread that exec'd is the group leader by the time the event fires
 * (fs/exec.c de_thread), so that line's process and name are exact. */
int ms_tracefs_parse_proc_line(const char *line, struct ms_procev *pe)
{
	memset(pe, 0, sizeof *pe);
	const char *cpu = strstr(line, ") [");
	const char *at = cpu ? strstr(cpu, ": sched_process_") : NULL;
	if (!at)
		return 0;
	const char *open = cpu;
	while (open > line && *open != '(')
		open--;
	long tgid = strtol(open + 1, NULL, 10);   /* "-------": 0 */
	const char *what = at + strlen(": sched_process_");
	const char *pid = strstr(what, " pid=");
	long tid = pid ? strtol(pid + 5, NULL, 10) : 0;
	if (tgid < 0 || tid <= 0 || tgid > INT32_MAX || tid > INT32_MAX)
		return 0;
	pe->tgid = (pid_t)tgid;
	pe->tgid_cached = 1;
	pe->tid = (pid_t)tid;
	if (strncmp(what, "fork:", 5) == 0) {
		const char *c = strstr(what, " child_pid=");
		long child = c ? strtol(c + 11, NULL, 10) : 0;
		if (child <= 0 || child > INT32_MAX)
			return 0;
		pe->child = (pid_t)child;
		return pe->kind = MS_PROC_FORK;
	}
	if (strncmp(what, "exec:", 5) == 0) {
		const char *f = strstr(what, "filename=");
		const char *base = f ? f + 9 : "";
		size_t len = pid ? (size_t)(pid - base) : strlen(base);
		for (const char *q = base; q < base + len; q++)
			if (*q == '/')
				len -= (size_t)(q + 1 - base), base = q + 1;
		snprintf(pe->comm, sizeof pe->comm, "%.*s", (int)(len < 15 ? len : 15), base);
		pe->tgid = pe->tid;
		pe->tgid_cached = 0;
		return pe->kind = MS_PROC_EXEC;
	}
	if (strncmp(what, "exit:", 5) == 0) {
		const char *g = strstr(what, " group_dead=");   /* kernels before 6.2 lack it */
		pe->group = g ? strncmp(g + 12, "true", 4) == 0 : pe->tid == pe->tgid;
		return pe->kind = MS_PROC_EXIT;
	}
	return 0;
}

struct reader {
	char buf[1 << 16];
	size_t len;
	struct ms_pairer pair;
};

static void consume(struct ms_systrace *t, struct reader *r)
{
	char *start = r->buf, *nl;
	while ((nl = memchr(start, '\n', r->len - (size_t)(start - r->buf)))) {
		*nl = 0;
		struct ms_sysev ev, done;
		int64_t ret = 0;
		struct ms_procev pe;
		int k = ms_tracefs_parse_line(start, &ev, &ret);
		if (!k && ms_tracefs_parse_proc_line(start, &pe)) {
			if (t->on_proc)
				t->on_proc(t->ctx, &pe);
		} else if (k == 'E')
			ms_pairer_enter(&r->pair, &ev);
		else if (k == 'X' && ms_pairer_exit(&r->pair, ev.tid, ev.sc, ret, ev.ts_ns, &done))
			t->on_event(t->ctx, &done, 1);
		start = nl + 1;
	}
	r->len -= (size_t)(start - r->buf);
	memmove(r->buf, start, r->len);
	if (r->len == sizeof r->buf)   /* a line longer than the buffer: drop it */
		r->len = 0;
}

/* Read what trace_pipe has now; 0 = nothing, -1 = error. */
static int pump(struct ms_systrace *t, struct reader *r, int fd)
{
	ssize_t n = read(fd, r->buf + r->len, sizeof r->buf - r->len);
	if (n > 0) {
		r->len += (size_t)n;
		consume(t, r);
		return 1;
	}
	return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -1;
}

static uint64_t overruns(const struct inst *in)
{
	char path[640], line[256];
	uint64_t total = 0;
	for (int cpu = 0; cpu < 4096; cpu++) {
		snprintf(path, sizeof path, "%s/per_cpu/cpu%d/stats", in->dir, cpu);
		FILE *f = fopen(path, "re");
		if (!f)
			break;
		while (fgets(line, sizeof line, f)) {
			unsigned long long v;
			if (sscanf(line, "overrun: %llu", &v) == 1 || sscanf(line, "dropped events: %llu", &v) == 1)
				total += v;
		}
		fclose(f);
	}
	return total;
}

static int run(struct ms_systrace *t, struct inst *in, struct reader *r, int *gofd, struct ms_err *e)
{
	/* ring buffer per CPU: 64 MiB in all, between 1 and 16 MiB each */
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	long kb = 65536 / (cpus > 0 ? cpus : 1);
	char kbs[24];
	snprintf(kbs, sizeof kbs, "%ld", kb < 1024 ? 1024 : kb > 16384 ? 16384 : kb);
	if (put(in, "tracing_on", "0", 0, e) < 0 || put(in, "buffer_size_kb", kbs, 0, e) < 0
	    || put(in, "options/event-fork", "1", 0, e) < 0
	    || put(in, "options/record-tgid", "1", 0, e) < 0)
		return -1;
	int running = !t->cmd || t->resume;   /* not held before exec: it has threads, children */
	if (!running) {
		char num[24];
		snprintf(num, sizeof num, "%d", (int)t->traced_pid);
		if (put(in, "set_event_pid", num, 0, e) < 0)
			return -1;
	} else if (add_family(in, t, e) < 0) {
		return -1;
	}
	/* an empty set_event_pid filters nothing: never trace every process
	 * because the target ended (a zombie's pid is refused) */
	char path[640], pids[32];
	snprintf(path, sizeof path, "%s/set_event_pid", in->dir);
	int sp = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = sp >= 0 ? read(sp, pids, sizeof pids - 1) : -1;
	if (sp >= 0)
		close(sp);
	if (got <= 0 || !isdigit((unsigned char)pids[0]))
		return ms_err_set(e, ESRCH, NULL, "nothing to trace", "process %d ended", (int)t->traced_pid);
	if (events_enable(in, "1", e) < 0 || put(in, "tracing_on", "1", 0, e) < 0)
		return -1;
	/* threads born between the listing and event-fork taking effect */
	if (running && add_family(in, t, e) < 0)
		return -1;
	char pipe_path[640];
	snprintf(pipe_path, sizeof pipe_path, "%s/trace_pipe", in->dir);
	int fd = open(pipe_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, "try --backend ptrace", "%s", pipe_path);
	int pidfd = ms_pidfd(t->traced_pid);
	if (t->on_ready)
		t->on_ready(t->ctx, t->traced_pid);
	if (ms_held_release(t, gofd, e) < 0) {
		if (pidfd >= 0)
			close(pidfd);
		close(fd);
		return -1;
	}
	double end = t->duration > 0 ? ms_now() + t->duration : 0;
	int rc = 0;
	for (;;) {
		if ((t->stop && *t->stop) || (end && ms_now() >= end) || ms_target_gone(t, pidfd))
			break;
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		poll(pf, pidfd >= 0 ? 2 : 1, 100);
		while (pump(t, r, fd) > 0)
			;
	}
	/* stop recording, then drain what the buffer still holds */
	put(in, "tracing_on", "0", 0, e);
	for (int i = 0; i < 100000 && pump(t, r, fd) > 0; i++)
		;
	t->lost += overruns(in);   /* += : after a cut, the first backend's count stays */
	t->unpaired += r->pair.dropped;
	if (pidfd >= 0)
		close(pidfd);
	close(fd);
	return rc;
}

int ms_systrace_tracefs(struct ms_systrace *t, struct ms_err *e)
{
	struct inst in = { .made = 0 };
	int gofd = -1, rc;
	struct reader *r = malloc(sizeof *r);
	if (!r)
		return ms_err_set(e, ENOMEM, NULL, NULL, "tracefs reader");
	ms_pairer_init(&r->pair);
	r->len = 0;
	if (!t->resume) {
		t->target_status = -1;
		t->traced_pid = t->pid;
	}
	t->cut = 0;
	rc = inst_make(&in, e);
	if (rc == 0 && t->cmd && !t->resume) {
		t->traced_pid = ms_held_spawn(t, &gofd, e);
		rc = t->traced_pid < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = run(t, &in, r, &gofd, e);
	if (gofd >= 0) {      /* set-up failed: the held child ends without running */
		close(gofd);
		int st;
		if (t->cmd && t->traced_pid > 0 && waitpid(t->traced_pid, &st, 0) == t->traced_pid)
			t->target_status = st;
	}
	if (!(t->resume && rc < 0))   /* a fallback that could not start leaves the command to the caller */
		ms_launched_end(t);
	if (in.made) {
		struct ms_err ignored;
		events_enable(&in, "0", &ignored);
	}
	inst_remove(&in);
	free(r);
	return rc;
}
