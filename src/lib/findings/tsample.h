/* One sample of a live process for the time series (timeseries.h): the
 * kernel's figures and RSS by memory class every time (ms_overview_collect,
 * the overview step's own reading and classifier), glibc's figures from
 * the arenas walk (ms_arenas_collect, never with --stop: the target is
 * never paused) when the walk budget allows, and a JVM's heap from NMT
 * (`jcmd PID VM.native_memory summary`) now and then.
 *
 * The walk's cost is bounded: by default the walks' CPU time stays at most
 * `share` of one CPU on average over the watch -- a walk is skipped when it
 * would take the total above that (its cost is predicted from the last
 * one).  Each sample's reading of /proc costs a few ms more (bench/watch
 * measures the whole).  jcmd starts a JVM of its own (~0.5 s of CPU), so it runs under
 * the same rule with its measured cost, and never more than once a minute. */
#ifndef MS_TSAMPLE_H
#define MS_TSAMPLE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include "findings/timeseries.h"
#include "util/err.h"

struct ms_sampler {
	pid_t  pid;
	char   comm[64];
	char   allocator[32];        /* "glibc", "jemalloc", ... */
	int    glibc;                /* glibc's ptmalloc2 is in charge: walks possible */
	int    is_jvm;
	int    nmt;                  /* -1 not asked yet, 0 NMT off (or jcmd missing), 1 on */
	char   jcmd[4096];
	volatile sig_atomic_t *stop; /* ends a running jcmd early; may be NULL */
	/* the budget */
	double share;                /* of one CPU, default 0.01 */
	int    every;                /* walk every Nth sample regardless; 0: the budget */
	double t0;                   /* CLOCK_MONOTONIC at open, seconds */
	double walk_cpu_s, last_walk_cpu_s;
	double jcmd_cpu_s, last_jcmd_cpu_s, last_jcmd_t;
	uint64_t taken, walks, walks_skipped, walk_errors;
	char   walk_error[256];      /* the last walk failure, said once */
	/* the runtime figure carried between jcmd runs */
	int    have_runtime;
	uint64_t runtime_heap, runtime_native;
	/* the Java heap's reserved range (jcmd GC.heap_info, asked once: it
	 * does not move): its RSS is read at every sample */
	int    heap_range;           /* 0 not asked, 1 known, -1 not available */
	uint64_t heap_lo, heap_hi;
};

/* Identify the target (allocator, JVM).  Returns 0, or -1 with e set (gone,
 * not readable). */
int ms_sampler_open(pid_t pid, double share, int every, struct ms_sampler *s, struct ms_err *e);

/* Take one sample at t seconds.  Returns 0; -1 with e set when the target
 * is gone (e->code ESRCH) or unreadable. */
int ms_sampler_take(struct ms_sampler *s, double t, struct ms_sample *out, struct ms_err *e);

/* CLOCK_MONOTONIC in seconds. */
double ms_mono_s(void);


#endif
