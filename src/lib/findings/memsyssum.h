/* What a trace of memory syscalls means: per thread x syscall counts and
 * bytes, totals, the life of glibc arena heaps (created by an aligned
 * PROT_NONE|MAP_NORESERVE reservation and trimming munmaps, grown by
 * mprotect, shrunk by madvise), the brk high-water mark and the bytes given
 * back.  Fed one paired event at a time by whichever backend traced. */
#ifndef MS_MEMSYSSUM_H
#define MS_MEMSYSSUM_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "findings/launch.h"
#include "records/memsys.h"

/* glibc's HEAP_MAX_SIZE on 64-bit (2 * DEFAULT_MMAP_THRESHOLD_MAX): a
 * PROT_NONE|MAP_NORESERVE reservation at least this big is an arena heap. */
#define MS_ARENA_HEAP_SIZE (64ull << 20)
#define MS_SUM_MAX_THREADS 4096
#define MS_SUM_MAX_HEAPS   4096
#define MS_SUM_MAX_PROCS   64
#define MS_SUM_MAX_IMAGES  256
/* No brk call moves the break this far: a jump this big is another image's */
#define MS_BRK_JUMP (64ull << 30)

/* A thread whose lines keep naming other processes is followed this
 * many times, then stays where it is (its counts stay whole). */
#define MS_SUM_MAX_MOVES 8

struct ms_sys_count { uint64_t count, bytes; };
struct ms_sys_returned { uint64_t madvise, dontneed, free, munmap; };   /* bytes given back */

struct ms_sys_thread {               /* one thread in one process image */
	pid_t tid, tgid;
	size_t image;                    /* index in ms_sys_summary.images */
	char  name[17];
	struct ms_sys_count sc[MS_SC_N];
	struct ms_sys_returned returned; /* its share of the image's returned[] */
	uint64_t heaps_created;
	/* tgid is a guess (the thread was gone before /proc could say, and its
	 * lines named no process or one the trace does not know): a later
	 * event naming its process moves the record there, counts and all */
	unsigned char provisional, moves;
	unsigned char ended;             /* it exited: a later line with its tid is another task's */
};

struct ms_sys_heap { uint64_t start, end; pid_t tgid, tid; int live; };   /* tid: the creator */

struct ms_sys_brk {               /* per process image: the break as traced */
	pid_t tgid;
	size_t image;                 /* index in ms_sys_summary.images */
	int closed;                   /* the image exec()ed: a new break starts */
	uint64_t first, cur, high;    /* 0 = not known yet */
	uint64_t grown, shrunk;       /* bytes moved up / down */
};

struct ms_sys_summary {
	struct ms_sys_thread *threads;  /* in order of first appearance */
	size_t nthreads;
	struct ms_sys_count total[MS_SC_N];
	uint64_t events, failed;        /* paired events; those returning -errno */
	struct ms_sys_heap *heaps;
	size_t nheaps;
	uint64_t heaps_created, heaps_destroyed, heaps_overflow;
	uint64_t heap_trims, heap_trim_bytes;          /* munmaps cutting a reservation to alignment */
	uint64_t heap_grows, heap_grow_bytes;          /* mprotect to read/write inside a heap */
	uint64_t heap_shrinks, heap_shrink_bytes;      /* madvise/munmap giving a heap's tail back */
	uint64_t madvise_returned, madv_dontneed, madv_free;  /* bytes */
	uint64_t munmap_returned;       /* munmap bytes other than reservation trims */
	struct ms_sys_brk brk[MS_SUM_MAX_PROCS];
	size_t nbrk;
	uint64_t threads_overflow;
	/* the process images seen (a launched command's wrapper and program):
	 * calls and bytes (mapped, and moved by brk) per image */
	struct ms_launch_image images[MS_SUM_MAX_IMAGES];
	struct ms_sys_returned returned[MS_SUM_MAX_IMAGES];  /* per image */
	unsigned char forked_name[MS_SUM_MAX_IMAGES];  /* named after its parent at fork: its first call renames it */
	unsigned char guessed[MS_SUM_MAX_IMAGES];      /* made for a provisional thread: dropped when it moves out */
	size_t nimages;
	size_t program;                 /* after ms_sys_summary_finish: the program's image, or (size_t)-1 */
	int has_wrapper;
	struct ms_sys_count wrapper_total[MS_SC_N];   /* the wrapper's calls, apart from total[] */
	double now_s;                   /* the caller's clock at the last event */
	int partial;                    /* set by the caller: the trace has a gap, no sentence rests on an absence */
};

int  ms_sys_summary_init(struct ms_sys_summary *s);
void ms_sys_summary_free(struct ms_sys_summary *s);
/* The break before tracing began (from /proc/PID/stat's start_brk and the
 * [heap] mapping), so that the first brk() of the trace has a size. */
void ms_sys_summary_set_brk(struct ms_sys_summary *s, pid_t tgid, uint64_t brk);
/* One paired event.  Its process: the event's tgid when exact; when it
 * is missing or only the tracer's cache (ev->tgid_cached), /proc/TID/status
 * while the thread lives, else the process the thread was filed under,
 * else a guess (the cached tgid, or the thread itself) that a later event
 * naming another process corrects by moving the thread's record, with its
 * counts, returned bytes, the arena heaps it made and the break it moved,
 * and dropping the guessed image when it is left empty (until the
 * thread's exit: a later line with its tid is another task's).  A thread
 * has one record per process image it ran in (an exec starts a new one),
 * and total[], the images' calls and the threads' counts all add up to
 * the events read. */
void ms_sys_summary_add(struct ms_sys_summary *s, const struct ms_sysev *ev);
/* The processes' lives (backends' on_proc), at now_s seconds on the
 * caller's clock: a fork adds an image, an exec ends one and starts the
 * next (its break and arena heaps start afresh), an exit ends one.  A
 * cached tgid (pe->tgid_cached) is resolved as an event's is. */
void ms_sys_summary_proc(struct ms_sys_summary *s, const struct ms_procev *pe, double now_s);
/* The tracing is over at end_s: for a command launched as root, decide
 * the program (findings/launch.h) and keep total[] and the per-thread
 * rows to the program's images, the wrapper's calls in wrapper_total[].
 * Attached (root 0): nothing changes. */
void ms_sys_summary_finish(struct ms_sys_summary *s, pid_t root, double end_s);
/* Bytes a thread's / the total brk calls moved the break (up + down). */
const struct ms_sys_thread *ms_sys_summary_thread(const struct ms_sys_summary *s, pid_t tid);

/* Is this break a launched command's wrapper's (after ms_sys_summary_finish)? */
int ms_sys_brk_of_wrapper(const struct ms_sys_summary *s, const struct ms_sys_brk *k);

/* Plain-words findings, one sentence per line, into out. */
void ms_sys_interpret(const struct ms_sys_summary *s, FILE *out);

/* The current break of a live process: end of its [heap] mapping, or
 * start_brk when it has none yet.  0 when unknown. */
uint64_t ms_proc_brk(pid_t pid);

#endif
