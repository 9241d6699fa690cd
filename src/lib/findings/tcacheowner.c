#include "findings/tcacheowner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/elfsym.h"
#include "probe/resmap.h"
#include "probe/tasks.h"

#define MAX_THREADS 100000
#define TLS_WINDOW  (64u << 10)   /* static TLS below the thread pointer: a few KiB in practice */

struct thr_words {
	pid_t    tid;
	char     name[16];
	uint64_t fs;
	uint64_t lo;                  /* window [lo, fs) read */
	uint64_t *w;
};

/* The words below fs_base, as far as they can be read (page by page,
 * downwards), stopping at the first page never touched: in a live process
 * reading it would map the zero page into the target (probe/resmap.h). */
static void read_window(struct ms_remote *r, struct thr_words *t)
{
	uint64_t pg = r->page ? r->page : 4096, top = t->fs & ~7ull, lo = top;
	t->lo = top;
	t->w = malloc(TLS_WINDOW);
	if (!t->w || top < TLS_WINDOW)
		return;
	struct ms_resmap m = { .page = pg };
	int known = ms_resmap_add(&m, r, (top - TLS_WINDOW) & ~(pg - 1), top) == 0;
	if (known)
		ms_resmap_sort(&m);
	while (top - lo < TLS_WINDOW) {
		uint64_t start = (lo - 1) & ~(pg - 1), a, b;
		if (top - start > TLS_WINDOW)
			start = top - TLS_WINDOW;
		/* without a residency map only an image that cannot change is read */
		int readable = known ? ms_resmap_extent(&m, start, start, lo, &a, &b)
				     : r->ops && strcmp(r->ops->kind, "process") != 0;
		if (!readable ||
		    ms_remote_read_exact(r, start, (char *)t->w + TLS_WINDOW - (top - start), lo - start) < 0)
			break;
		lo = start;
	}
	ms_resmap_free(&m);
	t->lo = lo;
}

static uint64_t word_at(const struct thr_words *t, uint64_t addr)
{
	uint64_t top = t->fs & ~7ull;
	if (!t->w || addr < t->lo || addr + 8 > top || (addr & 7))
		return 1;   /* never a tcache pointer */
	uint64_t v;
	memcpy(&v, (const char *)t->w + TLS_WINDOW - (top - addr), 8);
	return v;
}

/* The tcaches' user addresses (chunk + 16) sorted, with their index: the
 * offset search below asks for every thread at every candidate offset,
 * inside the --stop pause. */
struct tc_key { uint64_t mem; size_t k; };

static int key_cmp(const void *x, const void *y)
{
	const struct tc_key *a = x, *b = y;
	return a->mem < b->mem ? -1 : a->mem > b->mem;
}

static long find_chunk(const struct tc_key *keys, size_t n, uint64_t mem)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid].mem < mem)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && keys[lo].mem == mem ? (long)keys[lo].k : -1;
}

int ms_tcache_attribute(struct ms_remote *r, const struct ms_libc *lc, struct ms_arenas *a)
{
	char *why = a->tcache_attribution;
	size_t wl = sizeof a->tcache_attribution;
	struct ms_elfsym_query q = { .name = "tcache" };
	uint64_t vaddr;
	if (!lc->has_debuginfo || lc->debuginfo_ignored || ms_elfsym_lookup(lc->debuginfo, &q, 1, &vaddr, NULL) < 0 ||
	    !q.found) {
		snprintf(why, wl, "not attributed: the TLS offset of tcache needs libc's debug info (libc6-dbg)");
		return -1;
	}
	if (!lc->elf.has_tls || !lc->elf.tls_align || (lc->elf.tls_align & (lc->elf.tls_align - 1))) {
		snprintf(why, wl, "not attributed: libc has no PT_TLS segment");
		return -1;
	}
	struct ms_threads th = { 0 };
	ms_remote_threads(r, MAX_THREADS, &th);
	struct thr_words *tw = calloc(th.n ? th.n : 1, sizeof *tw);
	size_t n = 0;
	for (size_t i = 0; tw && i < th.n; i++)
		if (th.v[i].regs_known && th.v[i].fs_base) {
			tw[n].tid = th.v[i].tid;
			tw[n].fs = th.v[i].fs_base;
			snprintf(tw[n].name, sizeof tw[n].name, "%.15s", th.v[i].name);
			read_window(r, &tw[n]);
			n++;
		}
	ms_threads_free(&th);
	int rc = -1;
	struct tc_key *keys = calloc(a->tcaches ? a->tcaches : 1, sizeof *keys);
	size_t nk = 0;
	for (size_t k = 0; keys && k < a->tcaches; k++)
		keys[nk++] = (struct tc_key){ a->tcache_chunk[k] + 16, k };
	if (keys)
		qsort(keys, nk, sizeof *keys, key_cmp);
	if (!n) {
		snprintf(why, wl, "not attributed: no thread pointer (fs_base) in the image");
		goto out;
	}
	/* libc's block sits at fs_base - off, off = d + st_value with
	 * off == firstbyte (mod align) (glibc's _dl_determine_tlsoffset);
	 * the right d is where most threads point at a tcache the walk found */
	uint64_t align = lc->elf.tls_align, first = (0 - lc->elf.tls_vaddr) & (align - 1);
	uint64_t best = 0;
	size_t best_votes = 0, ties = 0;
	for (uint64_t d = 8; d < TLS_WINDOW; d += 8) {
		if (((d + q.value - first) & (align - 1)) != 0)
			continue;
		size_t votes = 0;
		for (size_t t = 0; t < n; t++)
			votes += find_chunk(keys, nk, word_at(&tw[t], tw[t].fs - d)) >= 0;
		if (votes > best_votes) {
			best = d;
			best_votes = votes;
			ties = 0;
		} else if (votes && votes == best_votes) {
			ties++;
		}
	}
	if (!best_votes || ties) {
		snprintf(why, wl, "not attributed: %s", !best_votes ? "no thread's tcache pointer leads to a tcache found"
			 : "several TLS offsets fit equally");
		goto out;
	}
	a->tcache_tid = calloc(a->tcaches, sizeof *a->tcache_tid);
	if (!a->tcache_tid)
		goto out;
	rc = 0;
	for (size_t t = 0; t < n; t++) {
		long k = find_chunk(keys, nk, word_at(&tw[t], tw[t].fs - best));
		if (k >= 0 && !a->tcache_tid[k]) {
			a->tcache_tid[k] = tw[t].tid;
			if (a->tcache_use)
				memcpy(a->tcache_use[k].thread, tw[t].name, sizeof tw[t].name);
			rc++;
		}
	}
	snprintf(why, wl, "fs_base - %#llx (libc's static TLS offset less tcache's offset %#llx from debug info): "
		 "%d of %zu tcaches", (unsigned long long)best, (unsigned long long)q.value, rc, a->tcaches);
out:
	free(keys);
	for (size_t t = 0; t < n; t++)
		free(tw[t].w);
	free(tw);
	return rc;
}
