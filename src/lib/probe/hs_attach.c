/* Attaching to a running process with bpftrace: see hs_attach.h. */
#include "probe/hs_attach.h"
#include "probe/sweep.h"
#include "util/spawn.h"
#include "util/subproc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "findings/allocator.h"
#include "probe/procfs.h"
#include "probe/target.h"
#include "records/maps.h"

/* Allocation functions probed, with their size expression.  The caller is
 * the return address at *sp on function entry (x86-64).  Pointers are
 * kept for malloc, calloc and realloc (a uretprobe reads the result):
 * live bytes per call site come from the pointer -> size/site maps. */
/* Only the common three and free.  The earlier reason (each further
 * uprobe in libc made the kernel miss more malloc hits) was mostly the
 * window opening before the probes were attached (write_script), but not
 * only: with the window fixed and the five memalign-family functions
 * probed too, a free(malloc(100)) loop was exact in 3 runs of 3 on a
 * quiet host, yet missed 27% of its malloc hits, uncounted, while six
 * other test suites ran (the four alone: exact there too). */
static const struct { const char *fn, *size; int track; } probes[] = {
	{ "malloc", "arg0", 1 }, { "calloc", "arg0 * arg1", 1 }, { "realloc", "arg1", 1 },
};

#define LIVE_MAX 200000     /* pointers kept at most (BPF hash maps are sized up front) */
#define MAP_KEYS 262144     /* BPFTRACE_MAP_KEYS_MAX: room for LIVE_MAX and the counters */

/* The window (@on) must be open exactly while every probe is attached:
 * bpftrace 0.17 runs BEGIN *before* it attaches the other probes and
 * detaches them before END runs.  A window opened in BEGIN and closed in
 * END counted malloc hits while free was not attached yet or no longer
 * (measured on a free(malloc(100)) loop: 16-28% more mallocs than frees,
 * the "lost uprobe hits" earlier versions blamed on the kernel); opened
 * at the first tick of an interval probe written last, 1-5% of the
 * malloc hits were still missing (the interval was live ~50 ms before
 * the last uprobe).
 * So every probe also fires for the driver's own process (`self`, whose
 * libc is the same file when the target uses the host's: a uprobe is
 * set on the file, in every process mapping it, at once) and then only
 * marks itself ready; the driver calls the probed functions until the
 * window opens: at the first interval tick after every probe has fired
 * (or, when they never all do, e.g. another allocator library,
 * OPEN_TICKS ticks after the first), printing "@@live".  It closes
 * (@on = 0) when `duration` has passed since then, or when the driver
 * makes the marker system call getpgid(CLOSE_MARK) (Ctrl-C, target
 * gone): both while every probe is still attached; END only prints the
 * maps.  With --live's uretprobes, whose attaching took longer still,
 * 12-18% of the malloc hits were missing with a window opened 500 ms
 * after the first tick, none since (2 + 2 runs, load average 14). */
#define OPEN_TICKS 100          /* 1 s: the fallback */
#define CLOSE_MARK 0x6d736c77   /* getpgid's pid argument: no such process */
#define READY "if (@rdy[%d] == 0) { @rdy[%d] = 1; @nrdy = @nrdy + 1; }"

static int write_script(FILE *f, const char *lib, pid_t pid, double duration, int live, pid_t self)
{
	int k = 0;   /* probes written: each says when it fired in the driver */
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		fprintf(f, "uprobe:%s:%s /pid == %d || pid == %d/ { if (pid == %d) { " READY " } else { if (@on) { "
			"$r = *(uint64 *)reg(\"sp\"); @c[tid, $r] = count(); "
			"@n[tid] = comm; @a = count(); @b[tid, $r] = sum(%s); @h = hist(%s);",
			lib, probes[i].fn, (int)pid, (int)self, (int)self, k, k, probes[i].size, probes[i].size);
		k++;
		if (probes[i].track && live)
			fprintf(f, " @rq[tid] = %s; @rc[tid] = $r;%s", probes[i].size,
				!strcmp(probes[i].fn, "realloc") ? " @ro[tid] = arg0;" : "");
		fprintf(f, " } } }\n");
		if (!probes[i].track || !live)
			continue;
		fprintf(f, "uretprobe:%s:%s /(pid == %d && @rc[tid]) || pid == %d/ { if (pid == %d) { " READY " } else {",
			lib, probes[i].fn, (int)pid, (int)self, (int)self, k, k);
		k++;
		if (!strcmp(probes[i].fn, "realloc"))
			fprintf(f, " if (@ro[tid] != 0 && (retval != 0 || @rq[tid] == 0) && @sz[@ro[tid]] != 0) {"
				   " delete(@sz[@ro[tid]]); delete(@st[@ro[tid]]); @nlive = @nlive - 1; }"
				   " delete(@ro[tid]);");
		fprintf(f, " if (retval != 0 && @on) { if (@nlive < %d) { @sz[retval] = @rq[tid]; @st[retval] = @rc[tid];"
			   " @nlive = @nlive + 1; } else { @overflow = count(); } }"
			   " delete(@rq[tid]); delete(@rc[tid]); } }\n", LIVE_MAX);
	}
	fprintf(f, "uprobe:%s:free /pid == %d || pid == %d/ { if (pid == %d) { " READY " } else { if (@on) { "
		   "$r = *(uint64 *)reg(\"sp\"); @c[tid, $r] = count(); @n[tid] = comm; @fr = count();%s } } }\n",
		lib, (int)pid, (int)self, (int)self, k, k,
		live ? " if (@sz[arg0] != 0) { delete(@sz[arg0]); delete(@st[arg0]); @nlive = @nlive - 1; }" : "");
	k++;
	const char *dump = live ? "print(@c); print(@b); print(@n); print(@h); print(@a); print(@fr); "
				  "print(@overflow); print(@sz); print(@st);"
				: "print(@c); print(@b); print(@n); print(@h); print(@a); print(@fr);";
	fprintf(f, "tracepoint:syscalls:sys_enter_getpgid /pid == %d && args->pid == %d/ { "
		   "if (@on) { @on = 0; printf(\"@@window %%lld\\n\", nsecs - @t0); } @cl = 1; }\n",
		(int)self, CLOSE_MARK);
	if (duration > 0)
		fprintf(f, "interval:ms:10 /@on && nsecs - @t0 >= %lld/ { @on = 0; "
			   "printf(\"@@window %%lld\\n\", nsecs - @t0); @cl = 1; }\n",
			(long long)(duration * 1e9));
	/* exit() a tick later: bpftrace 0.17 may drop a printf made in the
	 * probe that calls exit() (the marker's "@@window" was lost so) */
	fprintf(f, "interval:ms:10 /@cl == 1/ { @cl = 2; exit(); }\n");
	fprintf(f, "interval:ms:10 /@go < %d/ { @go = @go + 1; if (@nrdy == %d || @go == %d) { @go = %d; "
		   "@on = 1; @t0 = nsecs; printf(\"@@live\\n\"); } }\n", OPEN_TICKS, k, OPEN_TICKS, OPEN_TICKS);
	fprintf(f, "END { if (@on) { @on = 0; printf(\"@@window %%lld\\n\", nsecs - @t0); } "
		   "printf(\"@@maps\\n\"); %s printf(\"@@end\\n\"); "
		   "clear(@c); clear(@b); clear(@n); clear(@h); clear(@on); clear(@go); clear(@cl); clear(@rdy); clear(@nrdy); clear(@t0); clear(@a); clear(@fr);%s }\n",
		dump, live ? " clear(@rq); clear(@rc); clear(@ro); clear(@sz); clear(@st); clear(@nlive); clear(@overflow);" : "");
	return ferror(f) ? -1 : 0;
}

static struct ms_hs_thread *thread_of(struct ms_hotspots *h, uint32_t tid, size_t *cap)
{
	for (size_t i = 0; i < h->nthreads; i++)
		if (h->threads[i].tid == tid)
			return &h->threads[i];
	if (h->nthreads == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		h->threads = realloc(h->threads, *cap * sizeof *h->threads);
		if (!h->threads)
			return NULL;
	}
	struct ms_hs_thread *t = &h->threads[h->nthreads++];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	for (int k = 0; k < MS_HS_THREAD_REGIONS; k++)
		t->heap[k].region = MS_HS_NO_REGION;
	return t;
}

static struct ms_hs_site *site_of(struct ms_hotspots *h, uint64_t caller)
{
	for (size_t i = 0; i < h->nsites; i++)
		if (h->sites[i].caller == caller)
			return &h->sites[i];
	if (h->nsites == h->sites_cap) {
		h->sites_cap = h->sites_cap ? h->sites_cap * 2 : 64;
		h->sites = realloc(h->sites, h->sites_cap * sizeof *h->sites);
		if (!h->sites)
			return NULL;
	}
	struct ms_hs_site *s = &h->sites[h->nsites++];
	memset(s, 0, sizeof *s);
	s->caller = caller;
	s->top_stack = UINT32_MAX;
	return s;
}

static uint64_t hist_num(const char *s, char **end)
{
	uint64_t v = strtoull(s, end, 10);
	switch (**end) {
	case 'K': v <<= 10; (*end)++; break;
	case 'M': v <<= 20; (*end)++; break;
	case 'G': v <<= 30; (*end)++; break;
	case 'T': v <<= 40; (*end)++; break;
	default: break;
	}
	return v;
}

struct ptrval { uint64_t ptr, v; };

static int cmp_ptrval(const void *a, const void *b)
{
	const struct ptrval *x = a, *y = b;
	return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

static int push_ptrval(struct ptrval **v, size_t *n, size_t *cap, uint64_t ptr, uint64_t val)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct ptrval *nv = realloc(*v, nc * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct ptrval){ ptr, val };
	return 0;
}

/* The line at p (up to its '\n' or end) copied into buf, NUL-terminated:
 * sscanf on it is bounded by the line, where sscanf on the dump itself
 * would strlen the rest of the dump at every call (glibc's sscanf opens
 * the whole string: 200,000 map lines took minutes).  Returns the next
 * line (end when none); *fits 0 when the line was longer than buf. */
static const char *line_copy(const char *p, const char *end, char *buf, size_t len, int *fits)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = (size_t)((nl ? nl : end) - p);
	*fits = n < len;
	n = *fits ? n : len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return nl ? nl + 1 : end;
}

/* Add every "Lost N events" line of text (bpftrace's warning) to h. */
static void add_lost(const char *text, struct ms_hotspots *h)
{
	for (const char *l = strstr(text, "Lost "); l; l = strstr(l + 1, "Lost ")) {
		char buf[64];
		int fits;
		uint64_t n;
		line_copy(l, l + strnlen(l, sizeof buf), buf, sizeof buf, &fits);
		if (sscanf(buf, "Lost %" SCNu64 " events", &n) == 1)
			h->attach.lost = h->attach.lost + n < n ? UINT64_MAX : h->attach.lost + n;
	}
}

/* A "[lo, hi)  N |@@@|" or "[0]  N |@|" histogram line into h->hist. */
static void hist_line(const char *buf, struct ms_hotspots *h)
{
	char *end;
	uint64_t lo = hist_num(buf + 1, &end), v;
	const char *p = strchr(buf, ')') ? strchr(buf, ')') : strchr(buf, ']');
	if (p && sscanf(p + 1, "%" SCNu64, &v) == 1) {
		unsigned k = lo ? 64u - (unsigned)__builtin_clzll(lo) : 0;
		if (k < MS_HS_HIST)
			h->hist[k] += v;
	}
}

/* Live bytes per site: pointer -> size (sz, sorted here) joined with
 * pointer -> site (st); the pairs sorted by site so that each site is
 * looked up once, not once per pointer. */
static int join_live(struct ptrval *sz, size_t nsz, struct ptrval *st, size_t nst, struct ms_hotspots *h)
{
	if (nsz)
		qsort(sz, nsz, sizeof *sz, cmp_ptrval);
	if (nst)
		qsort(st, nst, sizeof *st, cmp_ptrval);
	/* reuse sz as (site, size) */
	for (size_t i = 0, j = 0; i < nsz; i++) {
		while (j < nst && st[j].ptr < sz[i].ptr)
			j++;
		sz[i].ptr = j < nst && st[j].ptr == sz[i].ptr ? st[j].v : 0;
	}
	if (nsz)
		qsort(sz, nsz, sizeof *sz, cmp_ptrval);
	struct ms_hs_site *s = NULL;
	for (size_t i = 0; i < nsz; i++) {
		if (!s || s->caller != sz[i].ptr)
			s = site_of(h, sz[i].ptr);
		if (!s)
			return -1;
		s->live_bytes += sz[i].v;
		s->live_allocs++;
		h->attach.live_bytes += sz[i].v;
	}
	return 0;
}

int ms_hs_attach_parse(const char *text, volatile sig_atomic_t *stop, struct ms_hotspots *h)
{
	size_t tcap = 0;
	const char *w = strstr(text, "@@window ");
	if (w)
		h->attach.window_s = (double)strtoull(w + 9, NULL, 10) / 1e9;
	add_lost(text, h);
	const char *line = strstr(text, "@@maps\n"), *stop_at = line ? strstr(line, "@@end\n") : NULL;
	if (!line || !stop_at)
		return 0;
	line += 7;
	struct ptrval *sz = NULL, *st = NULL;
	size_t nsz = 0, csz = 0, nst = 0, cst = 0;
	int rc = 0;
	for (size_t n = 0; line < stop_at && !rc; n++) {
		if (stop && *stop && (n & 1023) == 0) {
			h->attach.cut_short = 1;   /* the rest is not read: the report says partial */
			break;
		}
		char buf[256];
		int fits;
		line = line_copy(line, stop_at, buf, sizeof buf, &fits);
		unsigned tid;
		uint64_t caller, v, ptr;
		char name[64];
		if (!fits) {
			h->attach.skipped_lines++;
		} else if (sscanf(buf, "@c[%u, %" SCNu64 "]: %" SCNu64, &tid, &caller, &v) == 3) {
			struct ms_hs_thread *t = thread_of(h, tid, &tcap);
			struct ms_hs_site *s = site_of(h, caller);
			if (!t || !s)
				rc = -1;
			else {
				t->calls += v;
				s->calls += v;
				h->events += v;
			}
		} else if (sscanf(buf, "@b[%u, %" SCNu64 "]: %" SCNu64, &tid, &caller, &v) == 3) {
			struct ms_hs_thread *t = thread_of(h, tid, &tcap);
			struct ms_hs_site *s = site_of(h, caller);
			if (!t || !s)
				rc = -1;
			else {
				t->bytes += v;
				s->bytes += v;
				h->bytes += v;
			}
		} else if (sscanf(buf, "@n[%u]: %63[^\n]", &tid, name) == 2) {
			struct ms_hs_thread *t = thread_of(h, tid, &tcap);
			if (!t)
				rc = -1;
			else
				snprintf(t->name, sizeof t->name, "%s", name);
		} else if (sscanf(buf, "@sz[%" SCNu64 "]: %" SCNu64, &ptr, &v) == 2) {
			rc = push_ptrval(&sz, &nsz, &csz, ptr, v);
		} else if (sscanf(buf, "@st[%" SCNu64 "]: %" SCNu64, &ptr, &v) == 2) {
			rc = push_ptrval(&st, &nst, &cst, ptr, v);
		} else if (sscanf(buf, "@a: %" SCNu64, &v) == 1) {
			h->allocs = v;
		} else if (sscanf(buf, "@fr: %" SCNu64, &v) == 1) {
			h->frees = v;
		} else if (sscanf(buf, "@overflow: %" SCNu64, &v) == 1) {
			h->attach.overflow = v;
		} else if (buf[0] == '[' || buf[0] == '(') {
			hist_line(buf, h);
		} else if (buf[0] && strncmp(buf, "@h:", 3) != 0) {
			h->attach.skipped_lines++;   /* cut, garbled or unknown: not counted */
		}
	}
	if (!rc)
		rc = join_live(sz, nsz, st, nst, h);
	free(sz);
	free(st);
	return rc;
}

int ms_hs_attach_parse_lost(const char *text, struct ms_hotspots *h)
{
	add_lost(text, h);
	return 0;
}

/* Runs of bpftrace's BPF programs the kernel skipped (fdinfo
 * "recursion_misses": a probe hit while another BPF program ran on that
 * CPU): events lost without a word from bpftrace. */
static uint64_t prog_misses(pid_t bp)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)bp);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	uint64_t total = 0;
	struct dirent *de;
	for (int n = 0; n < 100000 && (de = readdir(d)); n++) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char fp[128], buf[1024];
		snprintf(fp, sizeof fp, "%s/%.20s", path, de->d_name);
		int fd = open(fp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		const char *m = strstr(buf, "recursion_misses:");
		if (m && strstr(buf, "prog_type:"))
			total += strtoull(m + 17, NULL, 10);
	}
	closedir(d);
	return total;
}

/* Call every probed function in this process, so that each probe,
 * once attached, marks itself ready (write_script).  Through volatile
 * pointers: a malloc/free pair the compiler sees may be elided. */
static void fire_probes(void)
{
	static void *(*volatile m)(size_t) = malloc;
	static void *(*volatile c)(size_t, size_t) = calloc;
	static void *(*volatile r)(void *, size_t) = realloc;
	static void (*volatile fr)(void *) = free;
	void *p = m(24);
	void *q = c(1, 24);
	void *n = r(q, 48);
	fr(p);
	fr(n ? n : q);
}

/* 1 when bpftrace's output so far holds marker ("@@live", "@@window"). */
static int out_has(const char *outp, const char *marker)
{
	char buf[1 << 16];   /* the markers come before any map is printed */
	int fd = open(outp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, marker) != NULL;
}

/* Close the window while every probe is attached (write_script): the
 * marker system call, then up to 2 s for bpftrace to say so, else
 * SIGINT (a bpftrace that missed the marker still ends; its END closes
 * the window, late). */
static void close_window(pid_t bp, const char *outp)
{
	syscall(SYS_getpgid, CLOSE_MARK);
	for (int i = 0; i < 100; i++) {
		if (out_has(outp, "@@window "))
			return;
		usleep(20000);
	}
	kill(bp, SIGINT);
}

int ms_hs_attach(pid_t pid, double duration, int live, volatile sig_atomic_t *stop,
		 struct ms_hotspots *h, char *how, size_t howlen, struct ms_err *e)
{
	static const char *const relaunch = "relaunch it under the hook: memsleuth hotspots -- CMD ARGS";
	memset(h, 0, sizeof *h);
	struct ms_target t;
	if (ms_target_open(pid, &t, e) < 0)
		return -1;
	char *mtext = NULL;
	size_t mlen = 0;
	if (ms_proc_read(pid, "maps", &mtext, &mlen, e) < 0)
		return -1;
	struct ms_maps maps = { 0 };
	ms_maps_parse(mtext, mlen, &maps, e);
	struct ms_libc lc;
	int r = ms_libc_identify(&t, &maps, NULL, 0, &lc, e);
	ms_maps_free(&maps);
	if (r < 0) {
		free(mtext);
		return -1;
	}
	const char *lib = lc.allocator_dso[0] ? lc.allocator_dso : lc.libc_found ? lc.libc_file : NULL;
	if (!lib || lc.allocator == MS_ALLOC_GLIBC_STATIC || lc.allocator == MS_ALLOC_UNKNOWN) {
		free(mtext);
		return ms_err_set(e, 0, "no shared library provides its malloc (statically linked?): uprobes have no target",
				  relaunch, "pid %d", (int)pid);
	}
	char bt[4096];
	if (!ms_which("bpftrace", bt, sizeof bt)) {
		free(mtext);
		return ms_err_set(e, 0, "bpftrace is not installed",
				  "install bpftrace (scripts/install-deps), or relaunch under the hook: memsleuth hotspots -- CMD ARGS",
				  "attach to pid %d", (int)pid);
	}
	char dir[PATH_MAX - 32];
	if (ms_tmpdir_make("attach", dir, sizeof dir, e) < 0) {
		free(mtext);
		return -1;
	}
	char script[PATH_MAX], outp[PATH_MAX], errp[PATH_MAX];
	snprintf(script, sizeof script, "%s/probe.bt", dir);
	snprintf(outp, sizeof outp, "%s/out", dir);
	snprintf(errp, sizeof errp, "%s/err", dir);
	int rc = -1;
	FILE *f = fopen(script, "wx");
	if (!f || write_script(f, lib, pid, duration, live, getpid()) < 0) {
		ms_err_set(e, errno, NULL, NULL, "%s", script);
		if (f)
			fclose(f);
		goto out;
	}
	fclose(f);
	int ofd = open(outp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int efd = ofd < 0 ? -1 : open(errp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (efd < 0) {
		ms_err_set(e, errno, NULL, "set TMPDIR to a directory only you can write", "%s", ofd < 0 ? outp : errp);
		if (ofd >= 0)
			close(ofd);
		goto out;
	}
	char keys[64];
	snprintf(keys, sizeof keys, "BPFTRACE_MAP_KEYS_MAX=%d", MAP_KEYS);
	char *argv[] = { bt, script, NULL };
	const char *env[] = { keys, NULL };
	/* its own group: the terminal's Ctrl-C is ours to forward */
	struct ms_start st = { .argv = argv, .env_set = env, .own_group = 1, .fd = { MS_FD_KEEP, ofd, efd } };
	pid_t bp = ms_child_start(&st, e);
	close(ofd);
	close(efd);
	if (bp < 0)
		goto out;
	/* Poll: bpftrace's own exit, the "@@live" line (the probes are
	 * attached: say so at once), Ctrl-C, the target's end. */
	int status = 0, done = 0, target_gone = 0, probes_live = 0, interrupted = 0;
	uint64_t misses = 0;
	while (!done) {
		pid_t wr = waitpid(bp, &status, WNOHANG);
		if (wr == bp || (wr < 0 && errno != EINTR)) {
			done = 1;
			break;
		}
		if (!probes_live)
			fire_probes();
		if (!probes_live && out_has(outp, "@@live\n")) {
			probes_live = 1;
			/* short enough for 80 columns: the library's path (a long
			 * /proc/PID/map_files name) is in the report's note */
			fprintf(stderr, "Tracing PID %d (bpftrace uprobes on its libc)... Ctrl-C to end\n", (int)pid);
		}
		uint64_t m = prog_misses(bp);
		if (m > misses)
			misses = m;
		if (!target_gone && kill(pid, 0) < 0)
			target_gone = 1;
		if ((*stop || target_gone) && !interrupted) {
			/* this stop is spent closing the window; one from now on
			 * (Ctrl-C again, timeout's SIGTERM) cuts the reading of
			 * the dump short (ms_hs_attach_parse) */
			*stop = 0;
			close_window(bp, outp);   /* then bpftrace exits and END prints the maps */
			interrupted = 1;
		}
		usleep(20000);
	}
	char *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	struct ms_err ie;
	ms_read_file(outp, &out, &olen, 256u << 20, &ie);
	ms_read_file(errp, &err, &elen, 1u << 20, &ie);
	if (!out || !strstr(out, "@@live\n")) {
		/* bpftrace never ran its probes: say why, in its words */
		char first[200] = "";
		for (const char *p = err; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (!strstr(p, "RLIMIT_MEMLOCK") || (nl && strstr(p, "RLIMIT_MEMLOCK") > nl)) {
				snprintf(first, sizeof first, "%.*s", (int)n, p);
				break;
			}
			p = nl ? nl + 1 : NULL;
		}
		ms_err_set(e, 0, first[0] ? first : "bpftrace failed", relaunch, "bpftrace on pid %d", (int)pid);
	} else if (ms_hs_attach_parse(out, stop, h) < 0 || (err && ms_hs_attach_parse_lost(err, h) < 0)) {
		ms_err_set(e, ENOMEM, NULL, NULL, "bpftrace output");
	} else {
		h->images = calloc(1, sizeof *h->images);
		if (h->images) {
			h->nimages = 1;
			h->images[0].pid = (uint32_t)pid;
			h->images[0].exe = strdup(t.exe);
			h->images[0].maps = mtext;
			h->images[0].maps_len = mlen;
			h->images[0].running = !target_gone && kill(pid, 0) == 0;
			h->images[0].live_bytes_at_end = h->attach.live_bytes;
			mtext = NULL;
		}
		h->attach.on = 1;
		h->attach.live = live;
		h->attach.lost += misses;
		snprintf(how, howlen, "attached to pid %d with bpftrace uprobes on %s; window %.1f s from the Tracing line%s",
			 (int)pid, lib, h->attach.window_s, target_gone ? " (until it exited)" : "");
		rc = 0;
	}
	free(out);
	free(err);
out:
	unlink(script);
	unlink(outp);
	unlink(errp);
	rmdir(dir);
	free(mtext);
	return rc;
}
