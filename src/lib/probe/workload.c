#include "probe/workload.h"
#include "findings/launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "records/status.h"
#include "util/subproc.h"

struct sampler {
	const struct ms_workload *w;
	struct ms_workload_run *out;
	struct timespec start;
	uint64_t last_rss, last_vsz;
	int have_last;
	pid_t target;           /* the program a wrapper runs (findings/launch.h), 0: the command itself */
	unsigned ticks;
	int unreadable;         /* the last allocator reading failed (ms_alloc_seen_read -1) */
};

static double elapsed(const struct sampler *s)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->start.tv_sec) + (double)(now.tv_nsec - s->start.tv_nsec) / 1e9;
}

/* The allocator of the process measured, read while it lives; a reading
 * taken before it became the program (ms_alloc_seen_read returns 1) or
 * after it went keeps the last good one. */
static void see(struct sampler *s, pid_t pid)
{
	struct ms_alloc_seen a;
	int rc = s->w->see_allocator ? ms_alloc_seen_read(pid, s->w->lib, &a) : -1;
	if (rc == 0)
		s->out->alloc = a;
	s->unreadable = rc < 0;   /* then only every ~0.5 s, not at every sample */
}

/* VmSize now and VmPeak of the process measured (T5-11: a run that fails
 * under an address-space limit is told apart by its VmPeak). */
static void sample_vsz(struct sampler *s, pid_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_status st;
	if (ms_proc_read(pid, "status", &buf, &len, NULL) == 0 && ms_status_parse(buf, len, &st) == 0 && st.has_vm) {
		s->last_vsz = st.vm_size;
		if (st.vm_peak > s->out->peak_vsz)
			s->out->peak_vsz = st.vm_peak;
	}
	free(buf);
}

static void sample(struct sampler *s, pid_t child)
{
	/* Every ~0.5 s: which process of the group is the target. */
	int check = s->ticks++ % 50 == 0;
	if (check) {
		pid_t t = ms_launch_live_program(child, NULL, 0);   /* findings/launch.h: the one rule */
		s->target = t != child ? t : 0;
	}
	pid_t pid = s->target && ms_statm_rss(s->target) ? s->target : child;
	if (check || (!s->out->alloc.read && !s->unreadable))   /* a short run: read as soon as it is the program */
		see(s, pid);
	/* a zombie reads as zeros: that is not the workload's RSS */
	uint64_t rss = ms_statm_rss(pid);
	if (!rss)
		return;
	s->last_rss = rss;
	s->have_last = 1;
	sample_vsz(s, pid);
	if (rss > s->out->peak_rss)
		s->out->peak_rss = rss;
	if (s->out->nsamples < MS_WORKLOAD_MAX_SAMPLES)
		s->out->samples[s->out->nsamples++] = (struct ms_rss_sample){ .t = (float)elapsed(s), .rss = rss };
}

/* Look for the final_at line in what the workload printed so far; consume
 * complete lines so that a chatty workload never fills the capture. */
static int scan_lines(struct ms_child *r, const regex_t *re)
{
	int found = 0;
	char *line = r->out;
	char *nl;
	while (!found && (nl = memchr(line, '\n', r->out_len - (size_t)(line - r->out)))) {
		*nl = 0;
		found = regexec(re, line, 0, NULL, 0) == 0;
		line = nl + 1;
	}
	size_t rest = r->out_len - (size_t)(line - r->out);
	memmove(r->out, line, rest);
	r->out_len = rest;
	r->out[rest] = 0;
	/* A line longer than the capture cap can never match: drop it. */
	if (r->out_len > (512u << 10))
		r->out_len = 0;
	return found;
}

static void tick(struct ms_child *r, void *arg)
{
	struct sampler *s = arg;
	sample(s, r->pid);
	if (s->out->final_at_seen)
		return;
	int by_line = s->w->final_at && r->out && scan_lines(r, s->w->final_at);
	int by_time = !by_line && s->w->final_after > 0 && elapsed(s) >= s->w->final_after;
	if (by_line || by_time) {
		/* Fresh reading at the checkpoint, while the workload holds. */
		s->ticks = 0;
		sample(s, r->pid);
		s->out->final_at_seen = 1;
		s->out->final_by_time = by_time;
		s->out->final_rss = s->last_rss;
		s->out->final_vsz = s->last_vsz;
		s->out->target_pid = s->target ? s->target : r->pid;
		if (s->target) {
			s->out->wrapper_pid = r->pid;
			s->out->wrapper_rss = ms_statm_rss(r->pid);
		}
		r->stop_requested = 1;
	}
}

int ms_workload_run(const struct ms_workload *w, struct ms_workload_run *out, struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	out->samples = calloc(MS_WORKLOAD_MAX_SAMPLES, sizeof *out->samples);
	if (!out->samples)
		return ms_err_set(e, 0, "out of memory", NULL, "RSS samples");
	struct sampler s = { .w = w, .out = out };
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	struct ms_child r = {
		.argv = w->argv, .envp = w->envp, .timeout_ms = w->timeout_ms,
		.stop_signal = SIGTERM, .grace_ms = 3000, .tick_ms = w->interval_ms ? w->interval_ms : 10,
		.stdin_fd = -1, .interrupted = w->interrupted, .tick = tick, .tick_arg = &s,
		.out_max = 1u << 20,
	};
	if (ms_child_run(&r, e) < 0) {
		ms_workload_run_free(out);
		return -1;
	}
	out->wall_seconds = r.wall_seconds;
	out->cpu_seconds = (double)r.ru.ru_utime.tv_sec + (double)r.ru.ru_utime.tv_usec / 1e6 +
			   (double)r.ru.ru_stime.tv_sec + (double)r.ru.ru_stime.tv_usec / 1e6;
	uint64_t hwm = (uint64_t)r.ru.ru_maxrss * 1024;
	if (hwm > out->peak_rss)
		out->peak_rss = hwm;
	if (!out->final_at_seen) {
		out->final_rss = s.last_rss;
		out->final_vsz = s.last_vsz;
	}
	out->status = r.status;
	out->timed_out = r.timed_out;
	out->interrupted = r.was_interrupted;
	int exited0 = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0;
	out->ok = !r.timed_out && !r.was_interrupted && (out->final_at_seen || exited0) && s.have_last;
	if (!out->ok) {
		size_t l = strcspn(r.err, "\n");
		if (r.timed_out)
			snprintf(out->error, sizeof out->error, "timed out");
		else if (r.was_interrupted)
			snprintf(out->error, sizeof out->error, "interrupted");
		else if (WIFSIGNALED(r.status))
			snprintf(out->error, sizeof out->error, "killed by signal %d%s%.*s",
				 WTERMSIG(r.status), l ? ": " : "", (int)(l > 160 ? 160 : l), r.err);
		else if (!exited0)
			snprintf(out->error, sizeof out->error, "exit status %d%s%.*s",
				 WEXITSTATUS(r.status), l ? ": " : "", (int)(l > 160 ? 160 : l), r.err);
		else
			snprintf(out->error, sizeof out->error, "ended before its RSS could be sampled");
	}
	ms_child_free(&r);
	return 0;
}

void ms_workload_run_free(struct ms_workload_run *r)
{
	free(r->samples);
	r->samples = NULL;
	r->nsamples = 0;
}
