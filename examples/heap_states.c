/* Unusual and corrupted glibc heaps, one per mode, for checking that a
 * heap reader flags exactly the damaged list and keeps the rest (modelled
 * on the heap tests of public heap debuggers and how2heap's techniques).
 * Every mode holds still at phase "ready"; nothing allocates after the
 * state is made.
 *
 *   poison        7 x 32 B in tcache; tcache 144 B = [b -> stack]: the
 *                 second entry of one list points outside the heaps
 *   poison-head   the same with b taken: the list's head is on the stack
 *   botcake       house of botcake's double free: a chunk is both in
 *                 tcache 272 B and inside a free 544 B unsorted chunk
 *   links         a small bin and a large bin with one broken link each
 *                 (small bin fd, large bin bk)
 *   fastloop      fastbin 48 B holding a loop (a -> b -> a)
 *   topsize       a thread arena whose top has size 0xfffffffffffffff1
 *   sbrk          a healthy program that calls sbrk() itself: the main
 *                 heap continues past the foreign area (non-contiguous)
 *   brk-blocked   the break cannot move (a mapping sits right after it):
 *                 the main heap continues in mmapped memory
 *   mmapped       three mmapped chunks (mm_keep[]), the third unmapped by
 *                 the program itself: mp_ still counts 3, 2 are mapped
 *   tcache-threads  three named threads (tc-one, tc-two, tc-three), each
 *                 holding different chunks in its own tcache: 1 x 32 B;
 *                 2 x 48 B + 3 x 112 B; 7 x 208 B + 4 x 1040 B
 *
 * usage: heap_states MODE [--hold] [--step] [--malloc-info FILE]
 * phases: ready */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include "example_common.h"

/* Every mode writes into freed memory or frees twice on purpose. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

/* glibc >= 2.32 safe-linking: stored = (field address >> 12) ^ pointer */
static uintptr_t protect(void *field, void *ptr)
{
	return ((uintptr_t)field >> 12) ^ (uintptr_t)ptr;
}

static size_t stack_var[8] __attribute__((aligned(16)));

static void touch(void *p)
{
	*(volatile char *)p = 1;
}

/* malloc whose block is written (volatile): the compiler may drop a
 * malloc/free pair whose memory is never used */
__attribute__((noinline)) static void *m(size_t n)
{
	void *p = malloc(n);
	if (p)
		touch(p);
	return p;
}

/* a store into freed memory, which the compiler must not drop */
__attribute__((noinline)) static void poke(void *at, uint64_t v)
{
	*(volatile uint64_t *)at = v;
}

static int poison(int head)
{
	void *p[7];
	/* the "stack" target of tcache_poisoning: any address outside the
	 * heaps; a static keeps it alive while the example holds */
	for (int i = 0; i < 7; i++) p[i] = m(0x18);
	intptr_t *a = m(128), *b = m(128);
	touch(a);
	for (int i = 0; i < 7; i++) free(p[i]);
	free(a);
	free(b);
	poke(b, protect(b, &stack_var[2]));
	if (head)
		m(128);   /* takes b: the head is now &stack_var[2] */
	return 0;
}

static int botcake(void)
{
	void *x[7];
	for (int i = 0; i < 7; i++) x[i] = m(0x100);
	void *prev = m(0x100), *a = m(0x100);
	m(0x10);                      /* no merge with top */
	for (int i = 0; i < 7; i++) free(x[i]);   /* tcache 0x110 full */
	free(a);                                  /* -> unsorted */
	free(prev);                               /* merges with a: unsorted 0x220 */
	m(0x100);                     /* one slot free in tcache */
	free(a);                                  /* double free: a -> tcache */
	return 0;
}

static int links(void)
{
	void *t[7], *s, *l;
	for (int i = 0; i < 7; i++) t[i] = m(0x200);
	s = m(0x200);
	m(0x10);
	l = m(0x500);
	m(0x10);
	for (int i = 0; i < 7; i++) free(t[i]);
	free(s);
	free(l);
	m(0x600);                     /* sorts s -> small bin 33, l -> large bin 68 */
	poke(s, 0xdeadbeef);                      /* s->fd */
	poke((uint64_t *)l + 1, 0xdeadbeef);      /* l->bk */
	return 0;
}

static int fastloop(void)
{
	void *t[7], *a, *b;
	for (int i = 0; i < 7; i++) t[i] = m(0x28);
	a = m(0x28);
	b = m(0x28);
	m(0x10);
	for (int i = 0; i < 7; i++) free(t[i]);   /* tcache 48 B full */
	free(a);
	free(b);                                  /* fastbin 48 B: b -> a */
	poke(a, protect(a, (char *)b - 16));   /* a -> b: a loop */
	return 0;
}

static pthread_barrier_t made;

static void *top_thread(void *arg)
{
	(void)arg;
	size_t *p = m(24);   /* this thread's arena; top follows the chunk */
	touch(p);
	poke(p + 3, 0xfffffffffffffff1);   /* top's size field */
	pthread_barrier_wait(&made);
	for (;;)
		pause();
	return NULL;
}

static int topsize(void)
{
	pthread_t th;
	pthread_barrier_init(&made, NULL, 2);
	if (pthread_create(&th, NULL, top_thread, NULL) != 0)
		return -1;
	pthread_barrier_wait(&made);
	return 0;
}

static int foreign_sbrk(void)
{
	m(100);
	if (sbrk(4096) == (void *)-1)            /* someone else moves the break */
		return -1;
	for (int i = 0; i < 3; i++)
		m(100000);            /* < mmap threshold: grows the heap */
	return 0;
}

static int brk_blocked(void)
{
	m(100);
	/* The heap's top ends at the break: a mapping right after the
	 * break's page makes every later brk() fail, so sysmalloc falls back
	 * to mmap and the main arena becomes non-contiguous. */
	char *brk_end = sbrk(0);
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	void *at = (void *)(((uintptr_t)brk_end + pg - 1) & ~(pg - 1));
	if (mmap(at, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != at)
		return -1;
	for (int i = 0; i < 3; i++)
		m(100000);
	return 0;
}

void *mm_keep[3];   /* for the test's gdb */

static int mmapped(void)
{
	static const size_t n[3] = { 300000, 500000, 200000 };
	for (int i = 0; i < 3; i++)
		mm_keep[i] = m(n[i]);
	/* someone unmaps a malloc'd block behind glibc's back */
	size_t size = ((size_t *)mm_keep[2])[-1] & ~(size_t)7;
	return munmap((char *)mm_keep[2] - 16, size);
}

static pthread_barrier_t cached;

/* Each thread frees into its own tcache what its table row says, then
 * waits: nothing allocates after the barrier. */
static void *tc_thread(void *arg)
{
	static const struct { const char *name; int n[2]; size_t size[2]; } rows[3] = {
		{ "tc-one", { 1, 0 }, { 24, 0 } },
		{ "tc-two", { 2, 3 }, { 40, 100 } },
		{ "tc-three", { 7, 4 }, { 200, 1024 } },
	};
	int r = (int)(intptr_t)arg;
	pthread_setname_np(pthread_self(), rows[r].name);
	void *p[2][7];
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < rows[r].n[k]; i++)
			p[k][i] = m(rows[r].size[k]);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < rows[r].n[k]; i++)
			free(p[k][i]);
	pthread_barrier_wait(&cached);
	for (;;)
		pause();
	return NULL;
}

static int tcache_threads(void)
{
	pthread_t th;
	pthread_barrier_init(&cached, NULL, 4);
	for (int r = 0; r < 3; r++)
		if (pthread_create(&th, NULL, tc_thread, (void *)(intptr_t)r) != 0)
			return -1;
	pthread_barrier_wait(&cached);
	return 0;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	const char *mode = NULL;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!mode && argv[i][0] != '-')
			mode = argv[i];
		else
			mode = "";
	}
	static const char *const modes[] = { "poison", "poison-head", "botcake", "links",
					      "fastloop", "topsize", "sbrk", "brk-blocked", "mmapped",
					      "tcache-threads" };
	int m = -1;
	for (int i = 0; mode && i < 10; i++)
		if (!strcmp(mode, modes[i]))
			m = i;
	if (m < 0) {
		fprintf(stderr, "usage: heap_states poison|poison-head|botcake|links|fastloop|topsize|sbrk|brk-blocked|mmapped|tcache-threads"
			" [--hold] [--step] [--malloc-info FILE]\n");
		return 2;
	}
	int rc;
	switch (m) {
	case 0: rc = poison(0); break;
	case 1: rc = poison(1); break;
	case 2: rc = botcake(); break;
	case 3: rc = links(); break;
	case 4: rc = fastloop(); break;
	case 5: rc = topsize(); break;
	case 6: rc = foreign_sbrk(); break;
	case 7: rc = brk_blocked(); break;
	case 8: rc = mmapped(); break;
	default: rc = tcache_threads(); break;
	}
	if (rc < 0) {
		perror(mode);
		return 1;
	}
	ex_phase(&o, "ready", 1);
	return 0;
}
