/* memsleuth watch PID: memory over time -- is it a leak, retention by the
 * allocator, arena growth or the runtime's heap?  Samples the process
 * (findings/tsample.h), fits the trends (findings/timeseries.h), prints a
 * line per sample and a summary with the growth verdicts; optionally
 * NDJSON and a Prometheus textfile.  The target is never paused. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "findings/timeseries.h"
#include "findings/tsample.h"
#include "probe/procfs.h"
#include "report/prom.h"
#include "report/watch_report.h"
#include "cli/args.h"
#include "steps.h"
#include "util/err.h"

#define PROG "memsleuth watch"

static volatile sig_atomic_t watch_stop;

static void on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static const struct ms_optspec opts[] = {
	{ "interval",   'i', "S", "seconds between samples (default 1, at least 0.1;\nalso 500ms, 2m)" },
	{ "duration",   'd', "S", "stop after S seconds (default: until Ctrl-C)" },
	{ "samples",    MS_LONG('n'), "N", "stop after N samples" },
	{ "json",       'j', NULL, "NDJSON: one object per sample, then the summary and\nthe end (docs/json/watch.md)" },
	{ "prometheus", MS_LONG('P'), "FILE.prom", "keep FILE.prom current in Prometheus text format for\n"
						  "node_exporter's textfile collector; removed at the end" },
	{ "output",     'o', "FILE.prom", "the same as --prometheus" },
	{ "keep",       MS_LONG('k'), NULL, "leave the last FILE.prom in place at the end" },
	{ "walk-every", MS_LONG('w'), "N", "walk glibc's arenas every Nth sample, whatever it costs\n"
					   "(default: as often as keeping the walks under 1% of one CPU allows)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG, .usage = "[OPTIONS] PID", .opts = opts,
	.about = "Memory over time: RSS, memory classes, glibc's in-use and free-kept memory, arenas,\n"
		 "a JVM's heap; the trend of each and what grows -- a leak, retention, arenas.",
	.operands = MS_OPERAND_PID, .flags = MS_CLI_FAIL_ON | MS_CLI_DEBUGINFO,
};

/* Sleep until the monotonic time `until`, or the target's exit (pidfd
 * readable: returns 1), or a signal (watch_stop). */
static int wait_until(double until, int pidfd)
{
	for (;;) {
		if (watch_stop)
			return 0;
		double left = until - ms_mono_s();
		if (left <= 0)
			return 0;
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			int r = poll(&p, 1, (int)(left * 1000) + 1);
			if (r > 0)
				return 1;
		} else {
			struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
			nanosleep(&ts, NULL);
		}
	}
}

static void now_wall(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

int cmd_watch(int argc, char **argv)
{
	double interval = 1, duration = 0;
	long max_samples = 0, walk_every = 0;
	int json = 0, keep = 0, c;
	const char *prom_path = NULL;
	struct ms_args a;
	ms_args_begin(&a, &cli, argc, argv);
	while ((c = ms_args_next(&a)) != -1) {
		switch (c) {
		case 'i':
			interval = ms_args_seconds(&a, "--interval", a.val, 0.1, 86400);
			break;
		case 'd':
			duration = ms_args_seconds(&a, "--duration", a.val, 0.001, 366 * 86400.0);
			break;
		case MS_LONG('n'): max_samples = ms_args_count(&a, "--samples", a.val, 1, LONG_MAX); break;
		case 'j': json = 1; break;
		case 'o':
		case MS_LONG('P'): prom_path = a.val; break;
		case MS_LONG('k'): keep = 1; break;
		case MS_LONG('w'): walk_every = ms_args_count(&a, "--walk-every", a.val, 1, INT_MAX); break;
		}
	}
	if (keep && !prom_path)
		ms_args_fail(&a, "--keep keeps the Prometheus file, and none is written: add --prometheus FILE.prom");
	struct ms_err e = { 0 };
	pid_t pid = a.pid;

	struct ms_prom prom;
	if (prom_path && ms_prom_open(&prom, prom_path, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);

	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);   /* a closed pipe ends the watch cleanly */

	struct ms_sampler smp;
	if (ms_sampler_open(pid, 0.01, (int)walk_every, &smp, &e) < 0)
		ms_die(PROG, &e, MS_EXIT_ERROR);
	smp.stop = &watch_stop;
	struct ms_tseries ts;
	if (ms_ts_init(&ts, pid, smp.glibc) < 0)
		ms_fatal(PROG, NULL, "out of memory for the samples");
	struct ms_watch_info w = { .sampler = &smp, .interval_s = interval, .duration_s = duration,
				   .max_samples = (uint64_t)max_samples, .end = MS_WE_INTERRUPTED };
	/* the target's exit, the moment it happens (Linux 5.3+; else at the next sample) */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (!json)
		ms_watch_text_begin(stdout, &w);

	struct ms_sample s, prev, prev_alloc;
	int have_prev = 0, have_prev_alloc = 0, rc = MS_EXIT_OK;
	double t0 = smp.t0;
	for (uint64_t i = 0; !watch_stop; i++) {
		double t = ms_mono_s() - t0;
		if (ms_sampler_take(&smp, t, &s, &e) < 0) {
			if (!ts.nsamples) {
				ms_err_print(PROG, &e);
				rc = MS_EXIT_ERROR;
				break;
			}
			/* gone (or a zombie), or still there but no longer readable */
			int gone = ms_statm_rss(pid) == 0;
			w.end = gone ? MS_WE_TARGET_EXITED : MS_WE_UNREADABLE;
			ts.alive = !gone;
			w.end_t = t;
			now_wall(w.end_wall, sizeof w.end_wall);
			snprintf(w.end_detail, sizeof w.end_detail, "%s", e.msg);
			break;
		}
		ms_ts_add(&ts, &s);
		if (json)
			ms_watch_json_sample(stdout, &ts, &s);
		else
			ms_watch_text_sample(stdout, &s, have_prev ? &prev : NULL, have_prev_alloc ? &prev_alloc : NULL);
		prev = s;
		have_prev = 1;
		if (s.alloc == MS_SA_OK) {
			prev_alloc = s;
			have_prev_alloc = 1;
		}
		if (prom_path && ms_prom_write(&prom, &ts, smp.comm, &e) < 0) {
			ms_err_print(PROG, &e);
			rc = MS_EXIT_ERROR;
			break;
		}
		if (max_samples && ts.nsamples >= (uint64_t)max_samples) {
			w.end = MS_WE_SAMPLES;
			w.end_t = t;
			break;
		}
		/* the next slot still ahead (a slow sample skips slots) */
		double next = t0 + (double)(i + 1) * interval, now = ms_mono_s();
		while (next < now) {
			next += interval;
			i++;
		}
		if (duration > 0 && next - t0 > duration + 1e-9) {
			w.end = MS_WE_DURATION;
			w.end_t = t;
			break;
		}
		if (wait_until(next, pidfd)) {
			w.end = MS_WE_TARGET_EXITED;
			ts.alive = 0;
			w.end_t = ms_mono_s() - t0;
			now_wall(w.end_wall, sizeof w.end_wall);
			snprintf(w.end_detail, sizeof w.end_detail, "the process exited");
			break;
		}
	}
	if (watch_stop && w.end == MS_WE_INTERRUPTED)
		w.end_t = ms_mono_s() - t0;
	if (pidfd >= 0)
		close(pidfd);
	if (rc == MS_EXIT_OK) {
		if (json) {
			ms_watch_json_summary(stdout, &ts, &w);
			ms_watch_json_end(stdout, &ts, &w);
		} else {
			ms_watch_text_summary(stdout, &ts, &w);
		}
	}
	if (prom_path && !keep)
		ms_prom_remove(&prom);
	/* --fail-on: the worst of the growth verdicts */
	int worst = -1;
	struct ms_growth_verdict v[MS_TS_MAX_VERDICTS];
	int nv = rc == MS_EXIT_OK ? ms_ts_verdicts(&ts, v, MS_TS_MAX_VERDICTS) : 0;
	for (int k = 0; k < nv; k++)
		if ((int)v[k].level > worst)
			worst = (int)v[k].level;
	ms_ts_free(&ts);
	return rc == MS_EXIT_OK ? ms_args_exit(&a, worst) : rc;
}
