#include "findings/launch.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "findings/arenaheaps.h"
#include "probe/procfs.h"
#include "records/maps.h"
#include "util/size.h"

#define MAX_DEPTH 64        /* wrappers of wrappers: bounded, a cycle of bad ppids cannot loop */
#define EXIT_GRACE_S 0.25   /* a waiting wrapper ends this soon after its child, or sooner */

/* The image of pid that started last (its image after the last exec). */
static size_t last_image(const struct ms_launch_image *im, size_t n, pid_t pid)
{
	size_t best = (size_t)-1;
	for (size_t i = 0; i < n; i++)
		if (im[i].pid == pid && (best == (size_t)-1 || im[i].start_s >= im[best].start_s))
			best = i;
	return best;
}

static double first_start(const struct ms_launch_image *im, size_t n, pid_t pid)
{
	double first = -1;
	for (size_t i = 0; i < n; i++)
		if (im[i].pid == pid && (first < 0 || im[i].start_s < first))
			first = im[i].start_s;
	return first;
}

/* Mark pid's images and, recursively, its children's (forked after since). */
static void mark_tree(struct ms_launch_image *im, size_t n, pid_t pid, double since, int role, int depth)
{
	if (depth > MAX_DEPTH)
		return;
	for (size_t i = 0; i < n; i++)
		if (im[i].pid == pid && im[i].start_s >= since)
			im[i].role = role;
	for (size_t i = 0; i < n; i++)
		if (im[i].ppid == pid && im[i].pid != pid && im[i].role != role && first_start(im, n, im[i].pid) >= since)
			mark_tree(im, n, im[i].pid, first_start(im, n, im[i].pid), role, depth + 1);
}

/* The process's last end (end_s for one still running). */
static double process_end(const struct ms_launch_image *im, size_t n, pid_t pid, double end_s)
{
	double last = -1;
	for (size_t i = 0; i < n; i++)
		if (im[i].pid == pid && (im[i].end_s < 0 ? end_s : im[i].end_s) > last)
			last = im[i].end_s < 0 ? end_s : im[i].end_s;
	return last;
}

int ms_launch_far_above(uint64_t parent, uint64_t child)
{
	/* child * RATIO saturates: any input, no overflow */
	uint64_t scaled = child > UINT64_MAX / MS_LAUNCH_FAR_RATIO ? UINT64_MAX : child * MS_LAUNCH_FAR_RATIO;
	return parent > scaled && parent - child > MS_LAUNCH_FAR_BYTES;
}

int ms_launch_is_launcher(const char *exe)
{
	/* shells (a start script, a pyenv/rbenv shim, sh -c, system()'s sh),
	 * and commands whose whole job is to run the command they are given */
	static const char *const names[] = {
		"sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "yash", "fish", "tcsh", "csh",
		"busybox", "env", "timeout", "nice", "nohup", "setsid", "stdbuf", "taskset", "ionice", "chrt",
		"time", "flock", "sudo", "su", "runuser", "setpriv", "unshare", "nsenter", "chroot", "prlimit",
		"numactl", "xargs", "tini", "dumb-init", "catchsegv",
	};
	for (size_t i = 0; exe && i < sizeof names / sizeof *names; i++)
		if (!strcmp(exe, names[i]))
			return 1;
	return 0;
}

/* The largest weight and heap among pid's images and its descendants'. */
static void tree_max(const struct ms_launch_image *im, size_t n, pid_t pid, int depth, uint64_t *w, uint64_t *h)
{
	if (depth > MAX_DEPTH)
		return;
	for (size_t i = 0; i < n; i++)
		if (im[i].pid == pid) {
			*w = im[i].weight > *w ? im[i].weight : *w;
			*h = im[i].heap > *h ? im[i].heap : *h;
		}
	for (size_t i = 0; i < n; i++)   /* each child once: by its first image */
		if (im[i].ppid == pid && im[i].pid != pid && first_start(im, n, im[i].pid) == im[i].start_s)
			tree_max(im, n, im[i].pid, depth + 1, w, h);
}

/* Rule 2a of launch.h (live): whether the waiting or launching image cur
 * gives way to child; says why in im[cur]. */
static int gives_way(struct ms_launch_image *im, size_t n, size_t cur, pid_t child)
{
	uint64_t cw = 0, ch = 0;
	tree_max(im, n, child, 0, &cw, &ch);
	im[cur].vs_pid = child;
	im[cur].vs_bytes = cw;
	if (ms_launch_far_above(im[cur].weight, cw)) {
		im[cur].why = MS_LAUNCH_KEPT_RSS;
		return 0;
	}
	if (ms_launch_far_above(im[cur].heap, ch)) {
		im[cur].why = MS_LAUNCH_KEPT_HEAP;
		im[cur].vs_bytes = ch;
		return 0;
	}
	im[cur].why = im[cur].launcher ? MS_LAUNCH_GAVE_LAUNCHER : MS_LAUNCH_GAVE_WAITING;
	return 1;
}

/* The child of image cur that took it over (rule 2 of launch.h), or 0. */
static pid_t took_over(struct ms_launch_image *im, size_t n, size_t cur, double end_s)
{
	double p_end = im[cur].end_s < 0 ? end_s : im[cur].end_s;
	size_t best = (size_t)-1;
	double best_end = -1, best_start = 0;
	for (size_t i = 0; i < n; i++) {
		/* a child forked by this image: its first image, started since */
		if (im[i].ppid != im[cur].pid || im[i].pid == im[cur].pid || im[i].start_s < im[cur].start_s
		    || first_start(im, n, im[i].pid) != im[i].start_s)
			continue;
		double e = process_end(im, n, im[i].pid, end_s);
		if (best == (size_t)-1 || e > best_end || (e == best_end && im[i].start_s < best_start)) {
			best = i;
			best_end = e;
			best_start = im[i].start_s;
		}
	}
	if (best == (size_t)-1)
		return 0;
	double life = best_end - best_start;
	/* the parent went on after the child for longer than the child lived
	 * (and than a wrapper takes to exit, however loaded the machine): the
	 * child was one of its steps, not what it waited for */
	if (life <= 0 || (p_end - best_end >= life && p_end - best_end >= EXIT_GRACE_S))
		return 0;
	for (size_t i = 0; i < n; i++) {   /* another child at the same time: one program of several processes */
		if (im[i].ppid != im[cur].pid || im[i].pid == im[cur].pid || im[i].pid == im[best].pid
		    || im[i].start_s < im[cur].start_s || first_start(im, n, im[i].pid) != im[i].start_s)
			continue;
		double e = process_end(im, n, im[i].pid, end_s);
		if (im[i].start_s < best_end && e > best_start)
			return 0;
	}
	if (im[cur].waiting || im[cur].launcher)
		return gives_way(im, n, cur, im[best].pid) ? im[best].pid : 0;
	/* the parent did more than the child (alloc_counts --fork-exec): it is
	 * the program, the child one of its helpers */
	uint64_t pc = im[cur].calls, cc = 0, pw = im[cur].weight, cw = 0;
	for (size_t i = 0; i < n; i++)
		if (im[i].pid == im[best].pid)
			cc += im[i].calls, cw += im[i].weight;
	if (pc || cc ? pc >= cc : pw >= cw)
		return 0;
	return im[best].pid;
}

size_t ms_launch_decide(struct ms_launch_image *im, size_t n, pid_t root, double end_s)
{
	size_t cur = last_image(im, n, root);
	if (cur == (size_t)-1)
		return cur;
	for (size_t i = 0; i < n; i++) {
		im[i].why = MS_LAUNCH_WHY_NONE;
		im[i].vs_pid = 0;
		im[i].vs_bytes = 0;
	}
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		pid_t child = took_over(im, n, cur, end_s);
		if (!child)
			break;
		cur = last_image(im, n, child);
	}
	for (size_t i = 0; i < n; i++)
		im[i].role = MS_LAUNCH_WRAPPER;
	mark_tree(im, n, im[cur].pid, im[cur].start_s, MS_LAUNCH_PROGRAM, 0);
	return cur;
}

int ms_launch_has_wrapper(const struct ms_launch_image *im, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (im[i].role == MS_LAUNCH_WRAPPER)
			return 1;
	return 0;
}

void ms_launch_wrapper_sum(const struct ms_launch_image *im, size_t n, size_t *images, uint64_t *calls,
			   uint64_t *weight)
{
	*images = 0;
	*calls = *weight = 0;
	for (size_t i = 0; i < n; i++)
		if (im[i].role == MS_LAUNCH_WRAPPER) {
			(*images)++;
			*calls += im[i].calls;
			*weight += im[i].weight;
		}
}

static size_t app(char *buf, size_t len, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t app(char *buf, size_t len, size_t off, const char *fmt, ...)
{
	if (off >= len)
		return off;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	return k < 0 ? off : off + (size_t)k;
}

/* The image of pid with the smallest start after `after` (-1: the first). */
static size_t next_image(const struct ms_launch_image *im, size_t n, pid_t pid, double after, size_t prev)
{
	size_t best = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (im[i].pid != pid || i == prev || im[i].start_s < after)
			continue;
		if (prev != (size_t)-1 && im[i].start_s == after && i < prev)
			continue;   /* equal starts: array order */
		if (best == (size_t)-1 || im[i].start_s < im[best].start_s)
			best = i;
	}
	return best;
}

/* "sh > env" (pid's wrapper images in start order) and its short children. */
static size_t wrapper_part(const struct ms_launch_image *im, size_t n, pid_t p, pid_t next, char *buf,
			   size_t len, size_t off, int first)
{
	char names[96] = "";
	size_t no = 0, steps = 0;
	for (size_t i = next_image(im, n, p, -1, (size_t)-1); i != (size_t)-1 && steps < 16; steps++) {
		if (im[i].role == MS_LAUNCH_WRAPPER)
			no = app(names, sizeof names, no, "%s%s", no ? " > " : "", im[i].name);
		i = next_image(im, n, p, im[i].start_s, i);
	}
	if (!no)
		return off;
	size_t kids = 0, shown = 0, ko = 0;
	char kn[160] = "";
	for (size_t i = 0; i < n; i++) {
		if (im[i].ppid != p || im[i].pid == p || im[i].pid == next || im[i].role != MS_LAUNCH_WRAPPER
		    || first_start(im, n, im[i].pid) != im[i].start_s)
			continue;   /* next: the process the line goes on with */
		kids++;
		/* what the child became (a subshell that exec'd dirname: dirname) */
		const char *name = im[last_image(im, n, im[i].pid)].name;
		if (strstr(kn, name))   /* named already (a near-enough check for a short list) */
			continue;
		if (shown < 4)
			ko = app(kn, sizeof kn, ko, "%s%s", shown ? ", " : "", name);
		else if (shown == 4)
			ko = app(kn, sizeof kn, ko, ", ...");
		shown++;
	}
	off = app(buf, len, off, "%s%s (pid %d", first ? "wrapper: " : " -> ", names, (int)p);
	if (kids)
		off = app(buf, len, off, ", %zu child%s: %s", kids, kids == 1 ? "" : "ren", kn);
	return app(buf, len, off, ")");
}

/* Why rule 2a picked the program (launch.h): it stayed over the command
 * it runs, and its parent gave way to it. */
static size_t choice_part(const struct ms_launch_image *im, size_t n, size_t program, char *buf, size_t len,
			  size_t off)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	const struct ms_launch_image *p = &im[program];
	if (p->why == MS_LAUNCH_KEPT_RSS || p->why == MS_LAUNCH_KEPT_HEAP) {
		size_t c = last_image(im, n, p->vs_pid);
		int heap = p->why == MS_LAUNCH_KEPT_HEAP;
		off = app(buf, len, off, ", %s %s; its child %s (pid %d), %s%s with its children, runs a command it "
			  "started", ms_size_fmt(heap ? p->heap : p->weight, a), heap ? "in glibc's heaps" : "RSS",
			  c < n ? im[c].name : "?", (int)p->vs_pid, ms_size_fmt(p->vs_bytes, b),
			  heap ? " in glibc's heaps" : "");
	}
	for (size_t i = 0; i < n; i++) {   /* the parent that gave way to it */
		if (im[i].vs_pid != p->pid || (im[i].why != MS_LAUNCH_GAVE_LAUNCHER && im[i].why != MS_LAUNCH_GAVE_WAITING))
			continue;
		off = app(buf, len, off, "; %s (pid %d), %s RSS, ", im[i].name, (int)im[i].pid, ms_size_fmt(im[i].weight, a));
		if (im[i].why == MS_LAUNCH_GAVE_LAUNCHER)
			off = app(buf, len, off, "is a shell or launcher (%s) running it",
				  im[i].exe[0] ? im[i].exe : im[i].name);
		else
			off = app(buf, len, off, "waits for it (not far above its %s)", ms_size_fmt(im[i].vs_bytes, b));
		break;
	}
	return off;
}

void ms_launch_line(const struct ms_launch_image *im, size_t n, size_t program, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	if (program >= n)
		return;
	/* the processes that led to the program: it, its parent if a wrapper, ... */
	pid_t chain[MAX_DEPTH];
	size_t nchain = 0;
	for (pid_t p = im[program].pid; nchain < MAX_DEPTH;) {
		chain[nchain++] = p;
		size_t first = next_image(im, n, p, -1, (size_t)-1);
		if (first == (size_t)-1 || im[first].ppid == p)
			break;
		pid_t parent = im[first].ppid;
		int known = 0;
		for (size_t i = 0; i < n && !known; i++)
			known = im[i].pid == parent && im[i].role == MS_LAUNCH_WRAPPER;
		if (!known)
			break;
		p = parent;
	}
	size_t off = 0;
	for (size_t c = nchain; c-- > 0;)
		off = wrapper_part(im, n, chain[c], c ? chain[c - 1] : 0, buf, len, off, off == 0);
	int wrapped = off > 0;
	off = app(buf, len, off, "%sprogram: %s (pid %d)", wrapped ? " -> " : "", im[program].name,
		  (int)im[program].pid);
	off = choice_part(im, n, program, buf, len, off);
	if (!wrapped && !im[program].why)
		app(buf, len, off, ", no wrapper");
}

/* /proc/PID/stat: ppid, start time (seconds since boot) and comm. */
static int stat_of(pid_t pid, pid_t *ppid, double *start, char name[32])
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_err e;
	if (ms_proc_read(pid, "stat", &buf, &len, &e) < 0)
		return -1;
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	int ok = 0;
	if (lp && rp && rp > lp) {
		snprintf(name, 32, "%.*s", (int)(rp - lp - 1 < 31 ? rp - lp - 1 : 31), lp + 1);
		int pp = 0;
		unsigned long long st = 0;
		/* fields 3.. after the comm: state ppid ... starttime (22) */
		ok = sscanf(rp + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			    &pp, &st) == 2;
		long hz = sysconf(_SC_CLK_TCK);
		*ppid = pp;
		*start = (double)st / (double)(hz > 0 ? hz : 100);
	}
	free(buf);
	return ok ? 0 : -1;
}

/* Blocked in wait4/waitid for a child: the kernel's wait function. */
static int waiting(pid_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_err e;
	int w = ms_proc_read(pid, "wchan", &buf, &len, &e) == 0 && strcmp(buf, "do_wait") == 0;
	free(buf);
	return w;
}

/* The executable's base name from /proc/PID/exe ("" hidden or gone). */
static void exe_of(pid_t pid, char exe[32])
{
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	ssize_t k = readlink(link, path, sizeof path - 1);
	path[k > 0 ? k : 0] = 0;
	size_t l = strlen(path), dl = strlen(" (deleted)");
	if (l > dl && !strcmp(path + l - dl, " (deleted)"))   /* upgraded under it: still what it runs */
		path[l - dl] = 0;
	const char *base = strrchr(path, '/');
	snprintf(exe, 32, "%s", base ? base + 1 : path);
}

/* glibc's heaps as mapped: the brk heap ([heap]) and the read-write part
 * of each arena heap (the pattern of findings/arenaheaps.h, from maps
 * alone); 0 when unreadable.  What main_arena.system_mem and the arenas'
 * heaps' sizes count, without reading the target's memory. */
static uint64_t heap_of(pid_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_err e;
	struct ms_maps maps = { 0 };
	uint64_t sum = 0;
	if (ms_proc_read(pid, "maps", &buf, &len, &e) == 0 && ms_maps_parse(buf, len, &maps, &e) == 0) {
		for (size_t i = 0; i < maps.n; i++)
			if (!strcmp(maps.v[i].path, "[heap]"))
				sum += maps.v[i].end - maps.v[i].start;
		struct ms_arena_heaps h = { 0 };
		if (ms_arena_heaps_find(&maps, NULL, "", &h) == 0)
			for (size_t i = 0; i < h.n; i++)
				sum += h.v[i].rw_end - h.v[i].start;
		ms_arena_heaps_free(&h);
	}
	ms_maps_free(&maps);
	free(buf);
	return sum;
}

/* What the rule reads of a live process besides its stat line. */
static void live_facts(struct ms_launch_image *x)
{
	x->weight = ms_statm_rss(x->pid);
	x->waiting = waiting(x->pid);
	exe_of(x->pid, x->exe);
	x->launcher = ms_launch_is_launcher(x->exe);
	x->heap = heap_of(x->pid);
}

size_t ms_launch_live(pid_t root, size_t max, struct ms_launch_image **out)
{
	*out = NULL;
	struct ms_launch_image *v = calloc(max ? max : 1, sizeof *v);
	if (!v)
		return 0;
	size_t n = 0;
	if (stat_of(root, &v[0].ppid, &v[0].start_s, v[0].name) < 0) {
		free(v);
		return 0;
	}
	v[0].pid = root;
	v[0].end_s = -1;
	live_facts(&v[0]);
	n = 1;
	/* every process of /proc whose parent is already in: repeat until no
	 * new one (a tree of depth d takes d + 1 passes) */
	for (int pass = 0, added = 1; added && pass < MAX_DEPTH && n < max; pass++) {
		added = 0;
		DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && (de = readdir(d)) && n < max) {
			pid_t pid;
			struct ms_err e;
			if (ms_pid_parse(de->d_name, &pid, &e) < 0)
				continue;
			int have = 0;
			for (size_t i = 0; i < n && !have; i++)
				have = v[i].pid == pid;
			if (have)
				continue;
			struct ms_launch_image x = { .pid = pid, .end_s = -1 };
			if (stat_of(pid, &x.ppid, &x.start_s, x.name) < 0)
				continue;
			int child = 0;
			for (size_t i = 0; i < n && !child; i++)
				child = v[i].pid == x.ppid;
			if (!child)
				continue;
			live_facts(&x);
			v[n++] = x;
			added = 1;
		}
		if (d)
			closedir(d);
	}
	*out = v;
	return n;
}

pid_t ms_launch_live_program(pid_t root, char *buf, size_t len)
{
	struct ms_launch_image *v;
	if (len)
		buf[0] = 0;
	size_t n = ms_launch_live(root, 4096, &v);
	if (!n)
		return root;
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);   /* the clock of /proc's start times */
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	size_t p = ms_launch_decide(v, n, root, now);
	pid_t pid = p < n ? v[p].pid : root;
	if (p < n && buf && len && (ms_launch_has_wrapper(v, n) || v[p].why))   /* a wrapper, or a choice */
		ms_launch_line(v, n, p, buf, len);
	free(v);
	return pid;
}
