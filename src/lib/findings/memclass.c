#include "findings/memclass.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const names[MS_CLASS_N] = {
	"main_heap", "arena_heap", "malloc_mmap", "thread_stack",
	"file", "anon_other", "shmem", "kernel", "memsleuth_recorder",
};

static const char *const meanings[MS_CLASS_N] = {
	"glibc main arena's brk heap",
	"glibc arena heaps of other threads",
	"large malloc blocks, each its own mmap",
	"thread stacks",
	"code and data of mapped files",
	"anonymous memory malloc does not explain",
	"shared memory",
	"kernel-provided pages",
	"memsleuth's own recorder (hook buffers, library), not the program's",
};

const char *ms_class_name(enum ms_class c) { return c < MS_CLASS_N ? names[c] : "?"; }
const char *ms_class_meaning(enum ms_class c) { return c < MS_CLASS_N ? meanings[c] : "?"; }

const char *ms_class_meaning_of(enum ms_class c, const char *allocator, char *buf, size_t len)
{
	if (c != MS_CLASS_MAIN_HEAP || !allocator || !allocator[0] || !strncmp(allocator, "glibc", 5))
		return ms_class_meaning(c);
	if (!strcmp(allocator, "unknown"))
		snprintf(buf, len, "the brk heap ([heap]) of an unknown allocator");
	else
		snprintf(buf, len, "%s's brk heap ([heap])", allocator);
	return buf;
}

#define IS_MMAPPED 0x2ull
#define PREV_INUSE 0x1ull
#define NON_MAIN   0x4ull

int ms_is_malloc_mmap(struct ms_remote *r, uint64_t start, uint64_t end)
{
	if (!r)
		return 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t pos = start;
	for (int i = 0; i < 4096 && pos < end; i++) {
		uint64_t hdr[2];   /* prev_size (alignment correction), size|flags */
		if (ms_remote_read_exact(r, pos, hdr, sizeof hdr) < 0)
			break;
		uint64_t corr = hdr[0], size = hdr[1];
		if ((size & (IS_MMAPPED | PREV_INUSE | NON_MAIN)) != IS_MMAPPED)
			break;
		uint64_t total = corr + (size & ~7ull);
		if (corr >= page || (corr & 15) || total < page || total % page ||
		    total > end - pos)
			break;
		pos += total;
	}
	/* The kernel merges an mmapped chunk with an adjacent anonymous
	 * mapping of the same protection (a few pages of someone else's): the
	 * chunks from the start still make it malloc's when they cover most
	 * of it. */
	return pos > start && pos - start >= (end - start) / 4 * 3;
}

/* path without " (deleted)", into buf; its file name in *base */
static const char *live_path(const char *path, char *buf, size_t len, const char **base)
{
	static const char del[] = " (deleted)";
	size_t n = strlen(path), d = sizeof del - 1;
	if (n > d && !strcmp(path + n - d, del))
		n -= d;
	snprintf(buf, len, "%.*s", (int)n, path);
	const char *b = strrchr(buf, '/');
	*base = b ? b + 1 : buf;
	return buf;
}

/* "proc-" digits "-" digits ".buf": the hook's name for a buffer file
 * (helpers/hook/hook_log.c open_log) */
static int buf_name(const char *b)
{
	if (strncmp(b, "proc-", 5))
		return 0;
	b += 5;
	for (int part = 0; part < 2; part++) {
		const char *d = b;
		while (*b >= '0' && *b <= '9' && b - d < 10)
			b++;
		if (b == d || *b != (part ? '.' : '-'))
			return 0;
		b++;
	}
	return !strcmp(b, "buf");
}

enum ms_recorder_part ms_is_recorder_path(const char *path)
{
	char buf[PATH_MAX];
	const char *base;
	live_path(path, buf, sizeof buf, &base);
	if (buf[0] != '/')
		return MS_RECORDER_NONE;
	return buf_name(base) ? MS_RECORDER_BUFFER
	       : !strcmp(base, "libmemsleuth-hook.so") ? MS_RECORDER_LIBRARY : MS_RECORDER_NONE;
}

/* The counters page of a log directory whose buffer file is mapped in
 * maps too: "DIR/counters" beside a "DIR/proc-N-N.buf". */
static int recorder_counters(const struct ms_maps *maps, const struct ms_mapping *m)
{
	char buf[PATH_MAX], other[PATH_MAX];
	const char *base, *obase;
	live_path(m->path, buf, sizeof buf, &base);
	if (m->perms[3] != 's' || strcmp(base, "counters"))
		return 0;
	size_t dir = (size_t)(base - buf);
	for (size_t i = 0; i < maps->n; i++) {
		live_path(maps->v[i].path, other, sizeof other, &obase);
		if (buf_name(obase) && (size_t)(obase - other) == dir && !strncmp(other, buf, dir))
			return 1;
	}
	return 0;
}

static int is_anon(const struct ms_mapping *m)
{
	return m->inode == 0 && m->path[0] == 0;
}

static int label(const struct ms_mapping *m, const char *prefix)
{
	return !strncmp(m->path, prefix, strlen(prefix));
}

static int shmem_path(const struct ms_mapping *m)
{
	return label(m, "/dev/shm/") || label(m, "/memfd:") || label(m, "/SYSV") ||
	       label(m, "[anon_shmem") || (m->perms[3] == 's' && label(m, "/dev/zero"));
}

void ms_classify(const struct ms_maps *maps, const struct ms_arena_heaps *heaps,
		 const struct ms_threads *threads, pid_t main_tid, struct ms_remote *r,
		 struct ms_mapclass *out)
{
	size_t n = maps->n;
	for (size_t i = 0; i < n; i++) {
		out[i].cls = MS_CLASS_N;
		out[i].owner_tid = 0;
		out[i].evidence = MS_EV_NONE;
	}
	/* 1. labels the kernel or glibc put on mappings, and file paths */
	for (size_t i = 0; i < n; i++) {
		const struct ms_mapping *m = &maps->v[i];
		struct ms_mapclass *c = &out[i];
		c->evidence = MS_EV_LABEL;
		if (!strcmp(m->path, "[heap]")) {
			c->cls = MS_CLASS_MAIN_HEAP;
		} else if (label(m, "[stack")) {
			c->cls = MS_CLASS_THREAD_STACK;
			c->owner_tid = main_tid;
		} else if (label(m, "[vdso]") || label(m, "[vvar") || label(m, "[vsyscall]") ||
			   label(m, "[uprobes]")) {
			c->cls = MS_CLASS_KERNEL;
		} else if (label(m, "[anon: glibc: malloc arena")) {
			c->cls = MS_CLASS_ARENA_HEAP;
		} else if (label(m, "[anon: glibc: malloc")) {
			c->cls = MS_CLASS_MALLOC_MMAP;
		} else if (label(m, "[anon: glibc: pthread stack") || label(m, "[anon: glibc: pthread")) {
			c->cls = MS_CLASS_THREAD_STACK;
		} else if (ms_is_recorder_path(m->path) || recorder_counters(maps, m) || label(m, "[anon:memsleuth")) {
			/* before shmem and file: the buffer files are shared
			 * file mappings, but the program did not make them;
			 * "[anon:memsleuth...]": anonymous memory the hook names
			 * (prctl PR_SET_VMA_ANON_NAME, kernel >= 5.17) */
			c->cls = MS_CLASS_RECORDER;
			c->evidence = MS_EV_PATH;
		} else if (shmem_path(m)) {
			c->cls = MS_CLASS_SHMEM;
			c->evidence = MS_EV_PATH;
		} else if (m->path[0] == '/' ) {
			c->cls = MS_CLASS_FILE;
			c->evidence = MS_EV_PATH;
		} else {
			c->evidence = MS_EV_NONE;
		}
	}
	/* 2. a blocked thread's stack pointer names its stack */
	for (size_t t = 0; threads && t < threads->n; t++) {
		if (!threads->v[t].sp_known)
			continue;
		const struct ms_mapping *m = ms_maps_find(maps, threads->v[t].sp);
		if (!m)
			continue;
		size_t i = (size_t)(m - maps->v);
		if (out[i].cls == MS_CLASS_N || out[i].cls == MS_CLASS_THREAD_STACK) {
			out[i].cls = MS_CLASS_THREAD_STACK;
			out[i].owner_tid = threads->v[t].tid;
			out[i].evidence = MS_EV_STACK_POINTER;
			/* the guard page right below belongs to the stack */
			if (i > 0 && out[i - 1].cls == MS_CLASS_N && is_anon(&maps->v[i - 1]) &&
			    !strcmp(maps->v[i - 1].perms, "---p") && maps->v[i - 1].end == m->start) {
				out[i - 1].cls = MS_CLASS_THREAD_STACK;
				out[i - 1].owner_tid = threads->v[t].tid;
				out[i - 1].evidence = MS_EV_GUARD_PAGE;
			}
		}
	}
	/* 3. arena heaps: both the read-write part and its PROT_NONE rest */
	for (size_t h = 0; heaps && h < heaps->n; h++) {
		const struct ms_arena_heap *ah = &heaps->v[h];
		int ev = ah->verified ? MS_EV_HEAP_INFO : MS_EV_HEAP_PATTERN;
		if (out[ah->map_rw].cls == MS_CLASS_N) {
			out[ah->map_rw].cls = MS_CLASS_ARENA_HEAP;
			out[ah->map_rw].evidence = ev;
		}
		if (ah->map_none != (size_t)-1 && out[ah->map_none].cls == MS_CLASS_N) {
			out[ah->map_none].cls = MS_CLASS_ARENA_HEAP;
			out[ah->map_none].evidence = ev;
		}
	}
	/* 4. mmapped malloc chunks, by their headers */
	for (size_t i = 0; i < n; i++) {
		const struct ms_mapping *m = &maps->v[i];
		if (out[i].cls != MS_CLASS_N)
			continue;
		if (m->perms[3] == 's' && (is_anon(m) || label(m, "[anon:"))) {
			out[i].cls = MS_CLASS_SHMEM;
		} else if (!strcmp(m->perms, "rw-p") && is_anon(m) &&
			   ms_is_malloc_mmap(r, m->start, m->end)) {
			out[i].cls = MS_CLASS_MALLOC_MMAP;
			out[i].evidence = MS_EV_CHUNK_HEADER;
		}
	}
	/* 5. thread stacks by shape: a small PROT_NONE guard right below a
	 * read-write mapping (also the stacks glibc caches after a thread
	 * exits, which no live thread points into) */
	for (size_t i = 1; i < n; i++) {
		const struct ms_mapping *m = &maps->v[i], *g = &maps->v[i - 1];
		if (out[i].cls != MS_CLASS_N || out[i - 1].cls != MS_CLASS_N)
			continue;
		if (!strcmp(m->perms, "rw-p") && is_anon(m) && is_anon(g) && !strcmp(g->perms, "---p") &&
		    g->end == m->start && g->end - g->start <= (1u << 20)) {
			out[i].cls = out[i - 1].cls = MS_CLASS_THREAD_STACK;
			out[i].evidence = out[i - 1].evidence = MS_EV_GUARD_PAGE;
		}
	}
	/* 6. the rest is anonymous memory nothing above explains */
	for (size_t i = 0; i < n; i++) {
		if (out[i].cls == MS_CLASS_N) {
			out[i].cls = MS_CLASS_ANON_OTHER;
			out[i].evidence = MS_EV_NONE;
		}
	}
}
