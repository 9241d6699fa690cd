/* Who allocates: the analysis of a hotspots log directory (records/hotlog.h).
 * Per thread: calls, bytes and which heap its memory lands in; per call
 * site: calls, bytes, bytes still live at the end (leak candidates) and
 * short-lived allocations; a power-of-two size histogram; distinct stacks
 * for folded output.  Every number is computed here once; reports only
 * sort and print. */
#ifndef MS_HOTSPOTS_H
#define MS_HOTSPOTS_H

#include <stddef.h>
#include <stdint.h>
#include "findings/launch.h"
#include "records/hotlog.h"
#include "util/err.h"

#define MS_HS_HIST 65              /* [0] size 0, [k+1] sizes 2^k .. 2^(k+1)-1 */
#define MS_HS_THREAD_REGIONS 4     /* heaps remembered per thread */
#define MS_HS_NO_REGION (-2)       /* empty slot; -1 is "outside every known heap" */

enum ms_hs_region_kind { MS_HS_REGION_MAIN, MS_HS_REGION_ARENA, MS_HS_REGION_OUTSIDE };

struct ms_hs_region {
	uint64_t start, end;
	int      kind;
};

/* One process image: a log file. */
struct ms_hs_image {
	char     *file;
	char     *exe;
	uint32_t  pid, ppid, forked, flags, stack_depth;
	int       has_process;        /* PROCESS record read */
	int       ended;              /* END record read: the image ended, not killed */
	struct ms_hl_end end;
	char     *maps;               /* last maps snapshot text, NUL-terminated */
	size_t    maps_len, snapshots;
	struct ms_hs_region *regions; /* sorted by start */
	size_t    nregions;
	uint64_t  events, skipped_bytes, corrupt_blocks, dropped;
	uint64_t  live_at_end, live_bytes_at_end;
	int       tails_read;         /* its buffer file was read: nothing buffered is missing */
	int       running;            /* attach: still running when the window closed */
	double    ns_per_tick;        /* from the blocks' calibration pairs */
	uint64_t  t0_ticks, t0_ns;
};

struct ms_hs_thread {
	uint32_t image, tid;
	char     name[16];
	uint64_t calls, allocs, frees, bytes;
	uint64_t first_ticks, last_ticks;
	struct { int32_t region; uint64_t bytes; } heap[MS_HS_THREAD_REGIONS];
	uint64_t heap_other_bytes;     /* regions beyond MS_HS_THREAD_REGIONS */
	/* analysis state */
	uint64_t last_alloc_ptr;
	uint32_t last_alloc_site;
	int32_t  last_region;
	uint32_t site_cache[2];        /* last site + 1 of its allocations, frees */
	uint64_t site_cache_caller[2];
	uint64_t pair_ptr;             /* a malloc freed by the next event, kept out of
					* the live table (0 none), and its site */
	uint32_t pair_site, pair_stack;
};

struct ms_hs_site {
	uint32_t image;
	uint64_t caller;               /* return address in the image, 0 unknown */
	uint32_t top_stack;            /* stack seen most at this site, UINT32_MAX none */
	unsigned frame;                /* caller's index in top_stack's frames: 0, or past
					* the allocation wrappers (findings/hotwrap.h) */
	uint64_t through;              /* the wrapper frame it called (findings/hotwrap.h), 0 none */
	uint64_t top_stack_calls;
	uint64_t calls, allocs, frees, bytes;
	uint64_t live_bytes, live_allocs;   /* allocated here, not freed by the end */
	uint64_t short_lived;          /* freed before the thread's next allocation */
};

struct ms_hs_stack {
	uint32_t  image;
	uint64_t *frames;
	unsigned  n;
	uint64_t  calls, bytes, hash;   /* calls: every allocator call (frees too); bytes requested */
	/* its share of its site's counts (struct ms_hs_site, frames[0] the
	 * site's caller): a site's numbers split by who called it */
	uint64_t  allocs, frees, short_lived;
	uint64_t  live_bytes, live_allocs;   /* allocated through it, not freed when its image ended */
};

struct ms_hotspots {
	struct ms_hs_image  *images;  size_t nimages;
	struct ms_hs_thread *threads; size_t nthreads;
	struct ms_hs_site   *sites;   size_t nsites, sites_cap;
	struct ms_hs_stack  *stacks;  size_t nstacks, stacks_cap;
	uint64_t events, allocs, frees, bytes;
	uint64_t dropped;              /* max of the counters page and the blocks' counts */
	uint64_t write_errors, last_errno;
	uint64_t anon_slots;           /* thread buffers outside the buffer files (full disk) */
	int      have_counters;
	uint64_t counters_events;      /* what the hooks say they wrote */
	uint64_t hist[MS_HS_HIST];
	uint64_t unknown_frees;        /* free of a pointer not allocated in the log */
	uint64_t skipped_bytes, corrupt_blocks;
	int      count_only, stacks_on;
	int      complete;             /* every image ended and nothing was lost */
	double   seconds;              /* analysis time */
	struct {                       /* attach mode (bpftrace uprobes) */
		int      on;
		int      live;         /* pointers were kept: live bytes per site */
		double   window_s;     /* from the probes being live to the window's end */
		uint64_t lost;         /* events bpftrace says it lost */
		uint64_t overflow;     /* allocations not kept: the pointer map was full */
		uint64_t live_bytes;   /* allocated in the window, not freed by its end */
		uint64_t skipped_lines;   /* lines of bpftrace's dump not understood */
		int      cut_short;    /* a stop signal ended the reading of the dump: partial */
	} attach;
	struct ms_hs_found {           /* the live allocation holding ms_hs_query.addr */
		int      found;
		uint32_t image, site, thread;
		uint32_t stack;        /* its stack (--stacks N), UINT32_MAX none */
		uint64_t ptr, size, ticks;
	} found;
	/* a launched command's wrapper and program (findings/launch.h), one
	 * entry per image, after ms_hotspots_launch; NULL before or attached */
	struct ms_launch_image *launch;
	size_t   program;              /* the program's image, (size_t)-1 none */
	int      has_wrapper;          /* threads[] and sites[] then hold the program's only */
	size_t   wrapper_images;
	uint64_t wrapper_calls, wrapper_allocs, wrapper_frees, wrapper_bytes;   /* apart from the totals */
	char     launch_line[512];     /* "wrapper: sh (pid N) -> program: java (pid N)" */
	/* private: hash indexes */
	void    *priv;
};

/* Read and analyse every proc-*.msl in dir.  Returns 0 (possibly with a
 * partial result: see complete, skipped_bytes, corrupt_blocks), or -1
 * when there is no log to read.  With q (may be NULL), also look for the
 * allocation live at the end that holds q->addr (in image pid, or any
 * when pid is 0): h->found.  With addrs, the
 * same for each of addrs[0..naddrs) into found[0..naddrs) (zeroed first;
 * found[i].found 0 when none holds it): arenas' pins, in one read. */
struct ms_hs_query {
	uint64_t addr; uint32_t pid;
	const uint64_t *addrs; size_t naddrs; struct ms_hs_found *found;
};
int  ms_hotspots_load_query(const char *dir, const struct ms_hs_query *q, struct ms_hotspots *h,
			    struct ms_err *e);
void ms_hotspots_free(struct ms_hotspots *h);

/* Tell a launched command's program from its wrapper (the rule of
 * findings/launch.h, on the images' recorded starts and ends and their
 * allocator calls), root being the launched pid (0: the earliest image
 * whose parent is not in the log, for --from).  When there is a wrapper,
 * threads[] and sites[] keep the program's images only and the totals
 * (events, allocs, frees, bytes) are the program's; the wrapper's go to
 * wrapper_*.  The size histogram stays whole.  Hotspots' own findings
 * (findings/hotspots_launch.c). */
void ms_hotspots_launch(struct ms_hotspots *h, uint32_t root);
/* Whether image i is a wrapper's (after ms_hotspots_launch). */
int ms_hs_image_is_wrapper(const struct ms_hotspots *h, size_t i);

/* Index arrays sorted by a key, largest first (caller frees). */
enum ms_hs_site_key { MS_HS_BY_CALLS, MS_HS_BY_BYTES, MS_HS_BY_LIVE, MS_HS_BY_SHORT };
size_t *ms_hotspots_sites_sorted(const struct ms_hotspots *h, enum ms_hs_site_key key);   /* ties: more bytes first */
size_t *ms_hotspots_threads_sorted(const struct ms_hotspots *h);
/* A site's or a stack's count for a key: calls, bytes requested, bytes
 * live at the end, short-lived allocations. */
uint64_t ms_hs_site_value(const struct ms_hs_site *s, enum ms_hs_site_key key);
uint64_t ms_hs_stack_value(const struct ms_hs_stack *st, enum ms_hs_site_key key);

/* The region a thread's memory lands in most: an index in its image's
 * regions, -1 outside every known heap, MS_HS_NO_REGION when it allocated
 * nothing. */
int ms_hs_thread_main_region(const struct ms_hs_thread *t, uint64_t *bytes);

/* Attach mode: |allocations - frees| / the larger of the two, 0..1. */
double ms_hs_attach_imbalance(const struct ms_hotspots *h);

/* Whether the bytes live at the end were kept: not with --count-only, nor
 * attached without --live (counters only); 0: print n/a (JSON null). */
int ms_hs_live_known(const struct ms_hotspots *h);

/* Attach mode's next command for pid: after growth (over 5% more
 * allocations than frees, none counted lost) measured without --live,
 * "memsleuth hotspots PID --live --duration 30" (the bytes live per call
 * site); else "memsleuth arenas PID". */
void ms_hs_attach_next(const struct ms_hotspots *h, pid_t pid, char *buf, size_t len);

/* The log's duration in seconds, from the image's tick calibration. */
double ms_hs_image_seconds(const struct ms_hs_image *im, uint64_t ticks);

#endif
