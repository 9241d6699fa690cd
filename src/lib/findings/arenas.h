/* glibc ptmalloc2 read from outside a live process (or from any memory
 * image: a core file, a buffer; probe/remote.h): every arena, every
 * heap's chunks classified, residency from the image (pagemap, a core's
 * holes), and what malloc_trim(0) would return -- without debug info
 * (symbols are used and cross-checked when the target's libc debug file is
 * present).
 *
 * Entry points: ms_arenas_collect (a PID) for the `arenas` step, the
 * heapwalk helper and any step that needs the trim prediction in-process;
 * ms_arenas_collect_image for a memory image (findings/postmortem.h).
 * Memory: O(arenas + bins + list entries), two bits of chunk-start map per
 * 16 heap bytes (1/64 of the heaps) plus two of list map, and one arena's
 * heaps at a time when they fit in 72 MiB (arenabuf.c); never a copy of a
 * large heap. */
#ifndef MS_ARENAS_H
#define MS_ARENAS_H

#include <stdint.h>
#include <sys/types.h>
#include "findings/glibclayout.h"
#include "util/err.h"

enum ms_chunk_kind {
	MS_CK_INUSE, MS_CK_TCACHE, MS_CK_FAST, MS_CK_UNSORTED, MS_CK_SMALL,
	MS_CK_LARGE, MS_CK_TOP, MS_CK__N
};
const char *ms_chunk_kind_name(enum ms_chunk_kind k);
/* "PREV_INUSE|NON_MAIN_ARENA" (or "-") for a size field's flag bits, into buf. */
const char *ms_chunk_flags_str(unsigned flags, char buf[48]);

#define MS_HIST_BUCKETS 24   /* chunk sizes by power of two: <=32 B .. >=128 MiB */

struct ms_bin_stat {
	uint64_t count, bytes, min, max;
};

/* One in-use chunk that stands between free memory and its heap's top:
 * while it lives, the free memory below it cannot join the top, so
 * neither free() nor systrim gives it back (malloc_trim's madvise of free
 * pages aside). */
#define MS_PINS_MAX 8
struct ms_pin {
	uint64_t address;        /* chunk address */
	uint64_t size;           /* chunk size, bytes */
	uint64_t pinned;         /* free bytes between the free memory it blocks and itself */
	/* Who allocated it, from a hotspots recording of the same process
	 * (arenas --hotspots DIR; report/arenapins.h): "" when unknown. */
	char     allocated_at[512];   /* "pin.c:54 (main)", or the site's symbol without line
				       * info; C++ demangled: "conf.cc:9 (Conf::make())" */
	char     site[768];           /* the site as hotspots names it: "main+0x3e2 (pin) pin.c:54" */
	char     thread[16];          /* the allocating thread's name (its TID when unnamed) */
	uint32_t tid;
};

struct ms_arena_stat {
	uint64_t address;
	int      is_main;
	uint64_t heaps;              /* 64 MiB heaps (main: 1, the brk heap) */
	uint64_t reserved;           /* address space of the heaps */
	uint64_t committed;          /* of which read-write (brk'd / mprotect'ed) */
	uint64_t system_mem, max_system_mem; /* malloc_state's own counters */
	uint64_t attached_threads;
	uint64_t top_address;
	uint64_t in_use_bytes, in_use_chunks;
	uint64_t in_use_resident_bytes; /* resident bytes inside chunks in use (pagemap/core holes;
					  a core written whole counts every page: an upper bound) */
	uint64_t kind_bytes[MS_CK__N], kind_chunks[MS_CK__N];
	uint64_t free_bytes;         /* tcache+fast+unsorted+small+large (not top) */
	uint64_t top_bytes;
	uint64_t largest_free;       /* largest free chunk outside top (total: the largest of all arenas) */
	uint64_t free_outside_largest; /* free_bytes not in the arena's largest free chunk (total: summed
					  over the arenas, so the total's fragmentation weighs each arena's
					  by its free bytes; arenaverdict.h) */
	uint64_t free_resident_bytes;/* resident bytes inside free chunks (not top) */
	uint64_t top_resident_bytes;
	uint64_t trim_bytes;         /* resident bytes malloc_trim(0) would release */
	uint64_t trim_top_bytes;     /* of which from the top (main arena only) */
	struct ms_bin_stat fast[MS_NFASTBINS];
	struct ms_bin_stat bins[MS_NBINS];        /* [1] unsorted, [2..63] small, [64..126] large */
	struct ms_bin_stat tcache[MS_TCACHE_BINS];/* chunks in this arena's heaps */
	uint64_t segments;           /* main heap: segments between fenceposts (1 = contiguous) */
	int      top_at_brk;         /* main arena: the break is at top's end (systrim can cut) */
	/* In-use chunks between the last stretch of free memory of at least
	 * mp_.trim_threshold and the top of the heap holding the top: the
	 * first MS_PINS_MAX of them, their count and bytes, and the free
	 * bytes below them. */
	struct ms_pin pins[MS_PINS_MAX];
	size_t   npins;
	uint64_t pin_chunks, pin_bytes, pinned_free_bytes;
	/* When no live chunk is left there but chunks in threads' tcaches
	 * are (glibc's tcache_put leaves a cached chunk marked in use, so
	 * the walk saw them as pins): the memory is free to the program and
	 * held by glibc's cache (arenatchold.c).  chunks 0: none. */
	struct ms_tcache_hold {
		uint64_t chunks, bytes;  /* the tcache chunks between that free memory and the top */
		uint64_t free_below;     /* the free bytes they keep from the top */
		uint64_t tcache;         /* the tcache_perthread_struct chunk holding the most of them */
		int      tcaches;        /* how many tcaches hold them */
		pid_t    tid;            /* that tcache's thread (0: not attributed, as without --stop) */
		char     thread[16];     /* its name */
	} tcache_hold;
};

/* A free list as glibc links it, checked node by node: bounds, size,
 * alignment, both links (doubly linked bins), cycles, and that each
 * entry is a chunk the heap walk found (not inside another chunk). */
struct ms_list {
	uint64_t owner;              /* arena address, or the tcache_perthread_struct chunk */
	uint32_t kind;               /* enum ms_chunk_kind: TCACHE, FAST, UNSORTED, SMALL, LARGE */
	uint32_t index;              /* tcache or fastbin index, or bin index (1..126) */
	uint64_t expected;           /* tcache: the count glibc keeps; else 0 */
	uint64_t count, bytes;       /* entries accepted */
	size_t   entry0, nentries;   /* with opts.list_entries: its entries (chunk
				      * addresses, list order) in out->entries */
	int      corrupt;
	uint64_t bad_address;        /* the node at fault (when corrupt) */
	char     reason[160];
};

enum ms_damage {
	MS_DAMAGE_NONE,              /* snapshot consistent */
	MS_DAMAGE_CORRUPTED,         /* two snapshots (or a frozen one) show the same damage */
	MS_DAMAGE_CHANGING,          /* snapshots differ: the heap moved under the walk */
};

struct ms_mp {
	uint64_t address;
	uint64_t trim_threshold, top_pad, mmap_threshold, arena_test, arena_max;
	int64_t  n_mmaps, n_mmaps_max;
	uint64_t mmapped_mem, sbrk_base, tcache_bins, tcache_max_bytes, tcache_count;
	uint64_t thp_pagesize;   /* glibc.malloc.hugetlb=1: systrim aligns to it (2.35+) */
	int      no_dyn_threshold; /* 1: thresholds set (mallopt/tunables), 0: glibc adjusts them at free */
};

struct ms_hist {
	uint64_t in_use_chunks[MS_HIST_BUCKETS], in_use_bytes[MS_HIST_BUCKETS];
	uint64_t free_chunks[MS_HIST_BUCKETS], free_bytes[MS_HIST_BUCKETS];
};

/* The flag bits of a chunk's size field (malloc.c). */
#define MS_PREV_INUSE      1u
#define MS_IS_MMAPPED      2u
#define MS_NON_MAIN_ARENA  4u

/* Called for every chunk in address order when set (--chunks, --address):
 * arena index, chunk address, size, the size field's flag bits (MS_PREV_INUSE
 * ...) and the kind.  Return non-zero to stop listing (the statistics are
 * complete regardless). */
typedef int (*ms_chunk_fn)(void *arg, size_t arena, uint64_t addr, uint64_t size, unsigned flags,
			   enum ms_chunk_kind kind);

struct ms_arenas_opts {
	int         stop;            /* freeze the target for an exact snapshot */
	const char *assume_version;  /* layout to use instead of the libc's own */
	int         no_debuginfo;    /* heuristics only (also MEMSLEUTH_NO_DEBUGINFO) */
	int         retries;         /* snapshot attempts after an inconsistent one; 0: 3 */
	ms_chunk_fn on_chunk;
	void       *on_chunk_arg;
	int         list_entries;    /* keep every list's entries in list order (out->entries) */
};

struct ms_arenas {
	pid_t    pid;
	char     allocator[16];      /* "glibc", or the allocator in charge */
	int      glibc_in_charge;    /* 0: nothing below is filled (see `allocator`) */
	char     glibc_version[16];
	int      version_assumed;
	int      debuginfo_used;     /* main_arena/mp_ from the debug file's symbols */
	int      symbols_agree;      /* -1 not checked, 0 heuristic differs, 1 agrees */
	uint64_t heuristic_arena;    /* main_arena as found without symbols (0: not found) */
	uint64_t main_arena;
	struct ms_mp mp;
	struct ms_arena_stat *v;
	size_t   n;
	struct ms_arena_stat total;  /* sums; bins merged across arenas */
	struct ms_hist hist;
	size_t   tcaches;            /* tcache_perthread_structs found */
	uint64_t mmapped_chunks, mmapped_bytes; /* from mp_ */
	struct ms_mmapped { uint64_t address, size; } *mmapped; /* the mmapped chunks found mapped */
	size_t   nmmapped;
	uint64_t mmapped_found_bytes;
	uint64_t mmapped_resident_bytes;        /* their resident part (pagemap) */
	uint64_t rss_bytes;          /* VmRSS when collected (0: not known, as from a core) */
	int      residency;          /* enum ms_residency: what the resident figures rest on */
	char     source[8];          /* what was read: "process", "core", "buffer" */
	int      partial;            /* a core lacking memory the walk needed, or cut short; or a
					snapshot not consistent: the figures cover what was walked */
	char     missing[512];       /* what the core lacks, named ("" when whole) */
	char     command[81];        /* a core's command line (NT_PRPSINFO, cut at 80) */
	char     core[4096];         /* the core file read ("" a process): next steps read it too */
	uint64_t *tcache_chunk;      /* the `tcaches` tcache_perthread_struct chunks */
	pid_t    *tcache_tid;        /* their threads (0: none), NULL: not attributed */
	struct ms_tcache_use {       /* per tcache_chunk: what its lists hold and whose it is */
		uint64_t chunks, bytes;  /* entries accepted in its lists (out->lists) */
		char     thread[16];     /* its thread's name (comm), "" when not attributed */
	} *tcache_use;
	char     tcache_attribution[200]; /* how they were attributed, or why not */
	uint64_t trim_prediction_bytes;
	uint64_t chunks_walked;
	int      snapshot_consistent;
	enum ms_damage damage;       /* when not consistent: corrupted or changing */
	struct ms_list *lists;       /* every non-empty or corrupt free list */
	size_t   nlists, corrupt_lists;
	uint64_t *entries;           /* opts.list_entries: chunk addresses, by list */
	int      noncontiguous;      /* main heap in more than one segment: main_arena.flags'
					NONCONTIGUOUS_BIT, the walk's fenceposts, or the top in a
					mapping apart (never adjacent [heap] VMAs alone) */
	int      attempts;
	char     inconsistency[256]; /* first problem seen in the last attempt */
	int      stopped;            /* target was frozen */
	int      refreezes;          /* --stop: thawed and frozen again because a thread held an arena's
					lock (inside malloc or free) when the walk found damage */
	double   stop_ms;            /* how long it was held */
	double   stop_cpu_ms;        /* our CPU time (user + system) meanwhile */
	double   walk_ms;            /* time of the last attempt */
};

/* Collect.  Returns 0 (check glibc_in_charge and snapshot_consistent), or
 * -1 with e set: target gone, static or 32-bit glibc, unsupported version,
 * arenas not found. */
int  ms_arenas_collect(pid_t pid, const struct ms_arenas_opts *o, struct ms_arenas *out,
		       struct ms_err *e);
/* The same from any memory image (probe/remote.h: a core, a buffer, or a
 * live process opened by the caller), r not closed here.  libc: the libc
 * the image maps, identified by the caller (allocator, version, path as
 * mapped, base and end, debug file).  Never stops anything; one attempt
 * unless r is a live process; rss_bytes stays 0. */
struct ms_remote;
struct ms_libc;
int  ms_arenas_collect_image(struct ms_remote *r, const struct ms_libc *libc,
			     const struct ms_arenas_opts *o, struct ms_arenas *out, struct ms_err *e);
void ms_arenas_free(struct ms_arenas *a);

/* From the arenas' walked figures (v[0..n): kind_bytes, largest_free, ...):
 * each arena's free_bytes and free_outside_largest, the total (sums; the
 * largest free chunk of all; bins merged) and trim_prediction_bytes.
 * The collectors call it after the walk. */
void ms_arenas_sum_totals(struct ms_arenas *o);

/* Histogram bucket of a chunk size, and the bucket's lower bound. */
int      ms_hist_bucket(uint64_t size);
uint64_t ms_hist_floor(int bucket);

/* Whole-page bytes that mtrim would madvise inside a free chunk
 * [start, end): pages from align_up(start + 48, page) to align_down(end). */
static inline void ms_trim_span(uint64_t start, uint64_t end, uint64_t page,
				uint64_t *from, uint64_t *to)
{
	uint64_t a = (start + 48 + page - 1) & ~(page - 1);
	uint64_t b = end & ~(page - 1);
	*from = a;
	*to = b > a ? b : a;
}

/* Bytes systrim(0) would cut from a top chunk of top_size bytes:
 * ALIGN_DOWN(top_size - MINSIZE - 1, page), or 0.  page is mp_.thp_pagesize
 * when that is set, else the page size. */
static inline uint64_t ms_systrim_extra(uint64_t top_size, uint64_t page)
{
	if (top_size <= MS_MINSIZE + 1)
		return 0;
	return (top_size - MS_MINSIZE - 1) / page * page;
}

#endif
