/* A thread that never blocks and keeps live values in vector registers:
 * the target for checking that a call injected into a running thread
 * (memsleuth trim's ptrace method) puts the whole register state back,
 * AVX's upper halves included.  Frees 20,000 x 1 KiB below a live block
 * first, so a trim has something to return.  Spins until SIGTERM, then
 * prints "iterations=N wrong=M" and exits 1 when any sum came out wrong.
 *
 * usage: vector_spin
 * phases: spinning */
#include <immintrin.h>
#include "example_common.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* 1.0 + 2.0 in every lane of a register that stays live across the loop;
 * a register clobbered by an injected call shows up as a wrong lane. */
__attribute__((target("avx2"))) static long spin_avx(long *wrong)
{
	__m256d a = _mm256_set1_pd(1.0), b = _mm256_set1_pd(2.0);
	long n = 0;
	while (!stop) {
		__m256d c = _mm256_add_pd(a, b);
		double out[4];
		_mm256_storeu_pd(out, c);
		for (int k = 0; k < 4; k++)
			*wrong += out[k] != 3.0;
		a = _mm256_sub_pd(c, b);
		n++;
	}
	return n;
}

static long spin_sse(long *wrong)
{
	__m128d a = _mm_set1_pd(1.0), b = _mm_set1_pd(2.0);
	long n = 0;
	while (!stop) {
		__m128d c = _mm_add_pd(a, b);
		double out[2];
		_mm_storeu_pd(out, c);
		*wrong += (out[0] != 3.0) + (out[1] != 3.0);
		a = _mm_sub_pd(c, b);
		n++;
	}
	return n;
}

int main(void)
{
	signal(SIGTERM, on_term);
	static void *blocks[20000];
	for (int i = 0; i < 20000; i++) {
		blocks[i] = malloc(1024);
		memset(blocks[i], 1, 1024);
	}
	for (int i = 0; i < 19999; i++)
		free(blocks[i]);
	printf("memsleuth-example: pid=%d phase=spinning rss_kb=%ld\n", (int)getpid(), ex_rss_kb());
	fflush(stdout);
	long wrong = 0;
	long n = __builtin_cpu_supports("avx2") ? spin_avx(&wrong) : spin_sse(&wrong);
	printf("iterations=%ld wrong=%ld\n", n, wrong);
	return wrong != 0;
}
