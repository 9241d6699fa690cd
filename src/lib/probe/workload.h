/* One measured run of a workload: RSS sampled from /proc/PID/statm while
 * it runs, the kernel's high-water mark (wait4's ru_maxrss) as the peak,
 * wall and CPU time, and a well-defined "final" RSS:
 *   - when final_at is set, the RSS at the moment the workload prints a
 *     stdout line matching it (the examples print "... holding" and wait
 *     with --hold); the workload is then ended with SIGTERM;
 *   - when final_after is set, the RSS that many seconds after the start
 *     (a server that never exits and prints nothing), whichever comes first;
 *   - otherwise the last sample taken before it exited.
 * The RSS is the target's: the program the command ends up running
 * (findings/launch.h: a wrapper script that starts the program without
 * exec and waits is shown apart, as wrapper_pid/wrapper_rss).
 * With see_allocator, the allocator the measured process uses is read from
 * its maps while it runs (findings/allocator.h ms_alloc_seen_read): at the
 * final moment, else the last reading before it exited (every ~0.5 s).
 * VSZ: VmSize and VmPeak from /proc/PID/status at every sample (a run that
 * fails on an address-space limit shows its VmPeak at the limit).
 * The command runs in its own process group, which is killed at the end. */
#ifndef MS_WORKLOAD_H
#define MS_WORKLOAD_H

#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "findings/allocator.h"
#include "util/err.h"

#define MS_WORKLOAD_MAX_SAMPLES 4096

struct ms_rss_sample {
	float    t;             /* seconds since start */
	uint64_t rss;           /* bytes */
};

struct ms_workload_run {
	uint64_t peak_rss, final_rss;
	uint64_t final_vsz, peak_vsz;   /* VmSize at the final moment (as final_rss), VmPeak last read */
	double   wall_seconds, cpu_seconds;
	int      final_at_seen;     /* the final moment was reached (line or time) */
	int      final_by_time;     /* ... by final_after, not by a line */
	pid_t    target_pid;        /* the process measured */
	pid_t    wrapper_pid;       /* the command's own process when it is not the target, else 0 */
	uint64_t wrapper_rss;       /* its RSS at the final moment */
	int      ok;                /* exited 0, or ended by us after final_at */
	int      timed_out, interrupted;
	int      status;            /* wait status */
	char     error[256];        /* why not ok: exit status, signal, stderr */
	struct ms_rss_sample *samples;   /* owned */
	size_t   nsamples;
	struct ms_alloc_seen alloc; /* with see_allocator: the measured process's (alloc.read 0: never read) */
};

struct ms_workload {
	char *const *argv;
	char *const *envp;
	const regex_t *final_at;    /* may be NULL */
	double final_after;         /* seconds after the start; 0: none */
	int    interval_ms;         /* sampling period (default 10) */
	int    timeout_ms;          /* 0: none */
	volatile sig_atomic_t *interrupted;
	int    see_allocator;       /* read the measured process's allocator (run.alloc) */
	const char *lib;            /* ... and whether this library is mapped in it (NULL none) */
};

int  ms_workload_run(const struct ms_workload *w, struct ms_workload_run *out, struct ms_err *e);
void ms_workload_run_free(struct ms_workload_run *r);

#endif
