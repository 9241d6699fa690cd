/* What every example workload shares: announcing phases, holding still at
 * a checkpoint, reading its own RSS and printing glibc's malloc_info as an
 * oracle -- all without stdio allocations on the heap under study (a FILE
 * opened mid-run lands at the top of the heap and pins it). */
#ifndef EXAMPLE_COMMON_H
#define EXAMPLE_COMMON_H

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ex_opts {
	int   hold;        /* --hold: stay at the last checkpoint until SIGTERM */
	int   step;        /* --step: stop at every checkpoint until SIGUSR1 */
	FILE *info;        /* --malloc-info FILE: malloc_info XML per checkpoint */
};

static char ex_info_buf[1 << 16];

/* RSS in KiB from /proc/self/statm, read with open/read. */
static inline long ex_rss_kb(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	long size, resident;
	if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
		return -1;
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static inline void ex_say(const char *line)
{
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t w = write(1, line + off, len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void ex_wait_signal(int continue_sig)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == continue_sig)
			break;
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Announce a phase; with --step wait for SIGUSR1, with --hold on the last
 * phase wait for SIGTERM. */
static inline void ex_phase(const struct ex_opts *o, const char *phase, int last)
{
	if (o->info) {
		fprintf(o->info, "<!-- phase=%s -->\n", phase);
		malloc_info(0, o->info);
		fflush(o->info);
	}
	char line[160];
	snprintf(line, sizeof line, "memsleuth-example: pid=%d phase=%s rss_kb=%ld%s\n",
		 (int)getpid(), phase, ex_rss_kb(), last && o->hold ? " holding" : "");
	ex_say(line);
	if (o->step && !last)
		ex_wait_signal(SIGUSR1);
	else if (last && o->hold)
		ex_wait_signal(0);
}

/* Signals are for the main thread's checkpoint wait: called before the
 * workers start, it blocks them in every thread (they inherit the mask). */
static inline void ex_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Common options; returns 1 if argv[*i] was one of them. */
static inline int ex_common_opt(struct ex_opts *o, int argc, char **argv, int *i)
{
	if (!strcmp(argv[*i], "--hold")) {
		o->hold = 1;
		return 1;
	}
	if (!strcmp(argv[*i], "--step")) {
		o->step = 1;
		return 1;
	}
	if (!strcmp(argv[*i], "--malloc-info") && *i + 1 < argc) {
		/* Opened before the workload runs, with a static buffer, so the
		 * FILE sits at the bottom of the heap and writes allocate nothing. */
		o->info = fopen(argv[++*i], "w");
		if (!o->info) {
			perror(argv[*i]);
			exit(2);
		}
		setvbuf(o->info, ex_info_buf, _IOFBF, sizeof ex_info_buf);
		return 1;
	}
	return 0;
}

/* N blocks of 64 B, one in KEEP kept alive and the rest freed: free memory
 * in pieces between live blocks, no whole free page with a live block every
 * KEEP x 80 B (scatter, runs_command).  The pointer array comes from mmap
 * (above the mmap threshold), so it is not one of the live blocks in the
 * heap; it stays allocated.  0, or -1 out of memory. */
static inline int ex_scatter(long n, long keep)
{
	char **v = malloc((size_t)n * sizeof *v);
	if (!v)
		return -1;
	for (long i = 0; i < n; i++) {
		v[i] = malloc(64);
		if (v[i])
			memset(v[i], 7, 64);
	}
	for (long i = 0; i < n; i++)
		if (i % keep)
			free(v[i]);
	return 0;
}

static inline long ex_num(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

#endif
