/* syscall_mix: a known number of brk, mmap, munmap, mprotect and madvise
 * calls with known sizes from several threads, made with raw syscall() so
 * that libc adds none of its own -- the oracle for `memsleuth syscalls`.
 *
 * Each thread "mixer-I" (I = 0..N-1) creates one arena-heap-like region the
 * way glibc's new_heap does (a PROT_NONE|MAP_NORESERVE reservation of
 * 2*64 MiB+4 KiB, two munmaps trimming it to a 64 MiB aligned heap), grows
 * it by 3 x mprotect(1 MiB, RW), gives back I+1 x madvise(1 MiB,
 * MADV_DONTNEED) and 1 x madvise(1 MiB, MADV_FREE), unmaps it, then maps
 * and unmaps 256, 512, 768 and 1024 KiB.  The main thread moves the break:
 * brk(0), 4 x +1 MiB, 2 x -1 MiB.  It prints the expected totals first.
 *
 *   syscall_mix [--threads N] [--wait]   --wait: print phase=ready, make the
 *                                        calls on SIGUSR1 (attach first)
 *   --hold: after phase=done stay (threads parked) until SIGTERM
 *   --linger S: after the calls, sleep S seconds before _exit (a program
 *               that outlives its wrapper's setup: tests/integration/launch_exec.sh)
 *   --exit N: end with status N (a command's own status, told from a
 *             tracer's: tests/integration/syscalls_partial.sh)
 *   syscall_mix --madvise-loop N [--touch]  N madvise(MADV_DONTNEED) calls
 *                                        on one page, for the overhead
 *                                        benchmark; --touch writes the page
 *                                        first each time (a fault and a real
 *                                        zap per call, as after free())
 * The process ends with _exit from the main thread while the workers are
 * blocked, so that no thread exit (glibc madvises dead thread stacks) adds
 * calls. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024ul * 1024)
#define HEAP (64 * MiB)
#define RESERVE (2 * HEAP + 4096)
#define MAX_THREADS 64

static int go_pipe[2], done_pipe[2], park_pipe[2];

static void *xmmap(size_t len, int prot, int flags)
{
	return (void *)syscall(SYS_mmap, 0, len, prot, flags, -1, 0);
}

static void work(int idx)
{
	char *res = xmmap(RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	if (res == MAP_FAILED)
		_exit(3);
	/* the next 64 MiB boundary strictly above res: head >= 4 KiB, tail >= 4 KiB */
	char *al = (char *)(((uintptr_t)res + HEAP) & ~(uintptr_t)(HEAP - 1));
	size_t head = (size_t)(al - res), tail = (size_t)(res + RESERVE - (al + HEAP));
	syscall(SYS_munmap, res, head);
	syscall(SYS_munmap, al + HEAP, tail);
	for (int i = 0; i < 3; i++) {
		syscall(SYS_mprotect, al + i * MiB, MiB, PROT_READ | PROT_WRITE);
		memset(al + i * MiB, 1, MiB);
	}
	for (int i = 0; i <= idx; i++)
		syscall(SYS_madvise, al + MiB, MiB, MADV_DONTNEED);
	syscall(SYS_madvise, al + 2 * MiB, MiB, MADV_FREE);
	syscall(SYS_munmap, al, HEAP);
	for (size_t j = 1; j <= 4; j++) {
		char *p = xmmap(j * 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
		if (p == MAP_FAILED)
			_exit(3);
		p[0] = 1;
		syscall(SYS_munmap, p, j * 256 * 1024);
	}
}

static void *thread_main(void *arg)
{
	int idx = (int)(intptr_t)arg;
	char name[16], c;
	snprintf(name, sizeof name, "mixer-%d", idx);
	pthread_setname_np(pthread_self(), name);
	if (read(go_pipe[0], &c, 1) != 1)
		_exit(4);
	work(idx);
	if (write(done_pipe[1], "d", 1) != 1)
		_exit(4);
	for (;;)       /* parked until the process ends: no thread exit */
		if (read(park_pipe[0], &c, 1) <= 0)
			pause();
	return NULL;
}

static void move_break(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	for (int i = 1; i <= 4; i++)
		syscall(SYS_brk, cur + i * MiB);
	for (int i = 3; i >= 2; i--)
		syscall(SYS_brk, cur + i * MiB);
}

static int madvise_loop(long n, int touch)
{
	char *p = xmmap(4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		if (touch)
			*(volatile char *)p = 1;
		syscall(SYS_madvise, p, 4096, MADV_DONTNEED);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("madvise_loop calls=%ld seconds=%.6f\n", n,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 3, wait = 0, hold = 0, touch = 0, status = 0;
	long loop = 0;
	double linger = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (!strcmp(argv[i], "--madvise-loop") && i + 1 < argc)
			loop = atol(argv[++i]);
		else if (!strcmp(argv[i], "--touch"))
			touch = 1;
		else if (!strcmp(argv[i], "--linger") && i + 1 < argc)
			linger = atof(argv[++i]);
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			status = atoi(argv[++i]) & 0xff;
		else {
			fprintf(stderr, "usage: syscall_mix [--threads N] [--wait] [--hold] [--linger S] [--exit N] | --madvise-loop N [--touch]\n");
			return 2;
		}
	}
	if (loop > 0)
		return madvise_loop(loop, touch);
	if (n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "syscall_mix: --threads 1..%d\n", MAX_THREADS);
		return 2;
	}
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (hold)
		sigaddset(&usr1, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);   /* inherited: only sigwait takes it */
	if (pipe(go_pipe) || pipe(done_pipe) || pipe(park_pipe))
		return 1;
	pthread_t th[MAX_THREADS];
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, thread_main, (void *)(intptr_t)i))
			return 1;
	unsigned long madv = 0, madv_bytes = 0;
	for (int i = 0; i < n; i++) {
		madv += (unsigned long)i + 2;
		madv_bytes += ((unsigned long)i + 2) * MiB;
	}
	printf("pid=%d threads=%d\n", (int)getpid(), n);
	printf("expect brk 7 %lu\n", 6 * MiB);
	printf("expect mmap %d %lu\n", 5 * n, n * (RESERVE + 2560 * 1024ul));
	printf("expect munmap %d %lu\n", 7 * n, n * (2 * HEAP + 4096 + 2560 * 1024ul));
	printf("expect mprotect %d %lu\n", 3 * n, n * 3 * MiB);
	printf("expect madvise %lu %lu\n", madv, madv_bytes);
	printf("expect heaps %d\n", n);
	if (wait) {
		printf("phase=ready\n");
		fflush(stdout);
		int sig = 0;
		while (sig != SIGUSR1) {
			sigwait(&usr1, &sig);
			if (sig == SIGTERM)
				_exit(0);
		}
	}
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (write(go_pipe[1], "g", 1) != 1)
			return 1;
	move_break();
	char c;
	for (int i = 0; i < n; i++)
		if (read(done_pipe[0], &c, 1) != 1)
			return 1;
	if (wait || hold) {
		static const char msg[] = "phase=done\n";
		if (write(1, msg, sizeof msg - 1) < 0)
			_exit(1);
	}
	if (hold) {
		int sig = 0;
		while (sig != SIGTERM)
			sigwait(&usr1, &sig);
	}
	if (linger > 0) {   /* nanosleep: no memory syscall */
		struct timespec ts = { (time_t)linger, (long)((linger - (double)(time_t)linger) * 1e9) };
		while (nanosleep(&ts, &ts) < 0)
			;
	}
	_exit(status);
}
