/* Attaching to a running process with bpftrace: see hs_attach.h. */
#include "probe/hs_attach.h"
#include "probe/sweep.h"
#include "util/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "findings/allocator.h"
#include "probe/procfs.h"
#include "probe/target.h"
#include "records/maps.h"

/* name, size expression; the caller is the return address at *sp on
 * function entry (x86-64). */
static const struct { const char *fn, *size; } probes[] = {
	{ "malloc", "arg0" },          { "calloc", "arg0 * arg1" }, { "realloc", "arg1" },
	{ "memalign", "arg1" },        { "posix_memalign", "arg2" }, { "aligned_alloc", "arg1" },
	{ "valloc", "arg0" },          { "pvalloc", "arg0" },        { "free", NULL },
};

static int write_script(FILE *f, const char *lib, pid_t pid, double duration)
{
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		fprintf(f, "uprobe:%s:%s /pid == %d/ { $r = *(uint64 *)reg(\"sp\"); @c[tid, $r] = count(); @n[tid] = comm;",
			lib, probes[i].fn, (int)pid);
		if (probes[i].size)
			fprintf(f, " @b[tid, $r] = sum(%s); @h = hist(%s);", probes[i].size, probes[i].size);
		fprintf(f, " }\n");
	}
	/* Maps are read from snapshots printed by the script, not from
	 * bpftrace's print at exit: probes are detached one by one then, and
	 * counts taken during that (malloc still counted, free no longer)
	 * would be skewed.  A snapshot every second serves Ctrl-C. */
	static const char snap[] = "printf(\"@@snapshot\\n\"); print(@c); print(@b); print(@n); print(@h); "
				   "printf(\"@@end\\n\");";
	fprintf(f, "interval:s:1 { %s }\n", snap);
	/* the maps at exit, used only when no snapshot completed (a loaded
	 * host can take longer to attach than a short --duration) */
	fprintf(f, "END { printf(\"@@final\\n\"); print(@c); print(@b); print(@n); print(@h); printf(\"@@end\\n\"); }\n");
	if (duration > 0)
		fprintf(f, "interval:ms:%ld { %s exit(); }\n", (long)(duration * 1000), snap);
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

int ms_hs_attach_parse(const char *text, struct ms_hotspots *h)
{
	size_t tcap = 0;
	/* the last complete snapshot, else the maps printed at exit */
	const char *line = NULL, *stop = NULL;
	for (const char *p = strstr(text, "@@snapshot\n"); p; p = strstr(p + 1, "@@snapshot\n")) {
		const char *e = strstr(p, "@@end\n");
		if (!e)
			break;
		line = p + 11;
		stop = e;
	}
	const char *fin = strstr(text, "@@final\n");
	if (!line && fin && strstr(fin, "@@end\n")) {
		line = fin + 8;
		stop = strstr(fin, "@@end\n");
	}
	while (line && line < stop && *line) {
		const char *nl = strchr(line, '\n');
		unsigned tid;
		uint64_t caller, v;
		char name[64];
		if (sscanf(line, "@c[%u, %" SCNu64 "]: %" SCNu64, &tid, &caller, &v) == 3) {
			struct ms_hs_thread *t = thread_of(h, tid, &tcap);
			struct ms_hs_site *s = site_of(h, caller);
			if (!t || !s)
				return -1;
			t->calls += v;
			s->calls += v;
			h->events += v;
		} else if (sscanf(line, "@b[%u, %" SCNu64 "]: %" SCNu64, &tid, &caller, &v) == 3) {
			struct ms_hs_thread *t = thread_of(h, tid, &tcap);
			struct ms_hs_site *s = site_of(h, caller);
			if (!t || !s)
				return -1;
			t->bytes += v;
			s->bytes += v;
			h->bytes += v;
		} else if (sscanf(line, "@n[%u]: %63[^\n]", &tid, name) == 2) {
			struct ms_hs_thread *t = thread_of(h, tid, &tcap);
			if (!t)
				return -1;
			snprintf(t->name, sizeof t->name, "%s", name);
		} else if (line[0] == '[' || line[0] == '(') {
			/* "[16, 32)   5 |@@@|" or "[0]  3 |@|" */
			char *end;
			uint64_t lo = hist_num(line + 1, &end);
			const char *p = strchr(line, ')') ? strchr(line, ')') : strchr(line, ']');
			if (p && sscanf(p + 1, "%" SCNu64, &v) == 1) {
				unsigned k = lo ? 64u - (unsigned)__builtin_clzll(lo) : 0;
				if (k < MS_HS_HIST) {
					h->hist[k] += v;
					h->allocs += v;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	/* every call is counted in @c, every sized one in the histogram */
	h->frees = h->events > h->allocs ? h->events - h->allocs : 0;
	return 0;
}

static int find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	for (const char *p = path; *p;) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)n, p, name);
		if (n && access(out, X_OK) == 0)
			return 0;
		p += n + (c != NULL);
	}
	return -1;
}

int ms_hs_attach(pid_t pid, double duration, volatile sig_atomic_t *stop,
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
	if (find_in_path("bpftrace", bt, sizeof bt) < 0) {
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
	if (!f || write_script(f, lib, pid, duration) < 0) {
		ms_err_set(e, errno, NULL, NULL, "%s", script);
		if (f)
			fclose(f);
		goto out;
	}
	fclose(f);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t bp = ms_fork();
	if (bp == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		int er = open(errp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		if (o < 0 || er < 0)
			_exit(126);
		dup2(o, 1);
		dup2(er, 2);
		setpgid(0, 0);   /* the terminal's Ctrl-C is ours to forward */
		execl(bt, "bpftrace", script, (char *)NULL);
		_exit(127);
	}
	if (bp < 0) {
		ms_err_set(e, errno, NULL, NULL, "fork");
		goto out;
	}
	int status = 0, done = 0, target_gone = 0;
	while (!done) {
		pid_t w = waitpid(bp, &status, 0);
		if (w == bp) {
			done = 1;
		} else if (w < 0 && errno == EINTR && *stop) {
			kill(bp, SIGINT);    /* bpftrace prints its maps on SIGINT */
			*stop = 0;
		} else if (w < 0 && errno != EINTR) {
			break;
		}
		if (!done && kill(pid, 0) < 0 && !target_gone) {
			target_gone = 1;
			kill(bp, SIGINT);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	struct ms_err ie;
	ms_read_file(outp, &out, &olen, 256u << 20, &ie);
	ms_read_file(errp, &err, &elen, 1u << 20, &ie);
	if (!out || !strstr(out, "Attaching")) {
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
	} else if (ms_hs_attach_parse(out, h) < 0) {
		ms_err_set(e, ENOMEM, NULL, NULL, "bpftrace output");
	} else {
		h->images = calloc(1, sizeof *h->images);
		if (h->images) {
			h->nimages = 1;
			h->images[0].pid = (uint32_t)pid;
			h->images[0].exe = strdup(t.exe);
			h->images[0].maps = mtext;
			h->images[0].maps_len = mlen;
			h->images[0].ended = 1;
			mtext = NULL;
		}
		h->count_only = 1;
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		snprintf(how, howlen, "attached to pid %d with bpftrace uprobes on %s for %.1f s%s; "
			 "counts only (no pointers: live bytes and lifetimes need the hook)",
			 (int)pid, lib, secs, target_gone ? " (until it exited)" : "");
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
