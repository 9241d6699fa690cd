/* A workload with a known number of allocator calls per thread and per
 * call site, for checking hotspots' counts exactly.
 *
 * Thread K ("counter-K", K = 0..N-1) makes CALLS * (K + 1) malloc/free
 * pairs from count_malloc/count_free, then one call each of calloc,
 * realloc (growing its own block), reallocarray, memalign, posix_memalign,
 * aligned_alloc, valloc and pvalloc from once_each, and frees those 8.
 * The threads start together so that they allocate at once.
 *   --signals S   the main thread raises SIGUSR2 S times; the handler
 *                 makes one malloc and one free (from sig_malloc)
 *   --fork-exec   the main thread forks: the child makes 5 mallocs from
 *                 child_malloc and frees them, then execs this program
 *                 with --exec-child, which makes 7 mallocs from
 *                 exec_malloc and frees them; the parent waits for it
 *   --die HOW     at the end: "segv" (crash), "kill" (SIGKILL itself)
 *   --no-pvalloc  skip pvalloc (8 calls in once_each, 7 frees): jemalloc has
 *                 no pvalloc, so glibc's would run and jemalloc's free crash
 *   --hold        stay at the end until SIGTERM
 * prints: memsleuth-example: thread=K name=counter-K mallocs=M frees=F
 * phases: counted */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "example_common.h"

static long calls = 1000;
static int no_pvalloc;
static pthread_barrier_t start_line;
void *volatile sink;   /* stores after each call keep them out of tail position */

__attribute__((noinline)) static void *count_malloc(size_t n)
{
	void *p = malloc(n);
	sink = p;
	return p;
}

__attribute__((noinline)) static void count_free(void *p)
{
	free(p);
	sink = NULL;
}

__attribute__((noinline)) static void once_each(void)
{
	void *v[8];
	void *p = NULL;
	v[0] = calloc(4, 8);
	v[1] = realloc(NULL, 40);
	v[1] = realloc(v[1], 4000);        /* counted as 2 realloc calls */
	v[2] = reallocarray(NULL, 10, 10);
	v[3] = memalign(64, 100);
	if (posix_memalign(&p, 64, 200) != 0)
		p = NULL;
	v[4] = p;
	v[5] = aligned_alloc(64, 128);
	v[6] = valloc(300);
	v[7] = no_pvalloc ? NULL : pvalloc(400);
	sink = v[0];
	for (int i = 0; i < 8 - no_pvalloc; i++)
		free(v[i]);
	sink = NULL;
}

__attribute__((noinline)) static void sig_malloc(int sig)
{
	(void)sig;
	void *p = malloc(48);
	sink = p;
	free(p);
	sink = NULL;
}

__attribute__((noinline)) static void child_malloc(void)
{
	void *v[5];
	for (int i = 0; i < 5; i++) {
		v[i] = malloc(24);
		sink = v[i];
	}
	for (int i = 0; i < 5; i++)
		free(v[i]);
	sink = NULL;
}

__attribute__((noinline)) static void exec_malloc(void)
{
	void *v[7];
	for (int i = 0; i < 7; i++) {
		v[i] = malloc(56);
		sink = v[i];
	}
	for (int i = 0; i < 7; i++)
		free(v[i]);
	sink = NULL;
}

/* --keep K: at the end the main thread makes K mallocs of 1000 bytes and
 * never frees them (bytes live at the end of a known stack) */
__attribute__((noinline)) static void keep_malloc(long k)
{
	for (long i = 0; i < k; i++)
		sink = malloc(1000);
}

struct worker { pthread_t th; int idx; long mallocs, frees; };

static void *run(void *arg)
{
	struct worker *w = arg;
	char name[16];
	snprintf(name, sizeof name, "counter-%d", w->idx);
	pthread_setname_np(pthread_self(), name);
	pthread_barrier_wait(&start_line);
	long n = calls * (w->idx + 1);
	for (long i = 0; i < n; i++) {
		void *p = count_malloc(16 + (size_t)(i % 64));
		count_free(p);
	}
	once_each();
	w->mallocs = n;
	w->frees = n;
	return NULL;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long threads = 4, signals = 0, keep = 0;
	int fork_exec = 0;
	const char *die = NULL;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = ex_num(argv[++i], "threads");
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = ex_num(argv[++i], "calls");
		else if (!strcmp(argv[i], "--signals") && i + 1 < argc)
			signals = ex_num(argv[++i], "signals");
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = ex_num(argv[++i], "keep");
		else if (!strcmp(argv[i], "--no-pvalloc"))
			no_pvalloc = 1;
		else if (!strcmp(argv[i], "--fork-exec"))
			fork_exec = 1;
		else if (!strcmp(argv[i], "--die") && i + 1 < argc)
			die = argv[++i];
		else if (!strcmp(argv[i], "--exec-child")) {
			exec_malloc();
			return 0;
		} else {
			fprintf(stderr, "usage: alloc_counts [--threads N] [--calls N] [--signals S] [--fork-exec] [--keep K] [--die segv|kill] [--no-pvalloc] [--hold]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 1024) {
		fprintf(stderr, "alloc_counts: --threads must be 1..1024\n");
		return 2;
	}
	struct worker *w = calloc((size_t)threads, sizeof *w);
	pthread_barrier_init(&start_line, NULL, (unsigned)threads);
	for (long t = 0; t < threads; t++) {
		w[t].idx = (int)t;
		pthread_create(&w[t].th, NULL, run, &w[t]);
	}
	for (long t = 0; t < threads; t++) {
		pthread_join(w[t].th, NULL);
		char line[160];
		snprintf(line, sizeof line, "memsleuth-example: thread=%ld name=counter-%ld mallocs=%ld frees=%ld\n",
			 t, t, w[t].mallocs, w[t].frees);
		ex_say(line);
	}
	if (signals) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = sig_malloc;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR2, &sa, NULL);
		for (long i = 0; i < signals; i++)
			raise(SIGUSR2);
	}
	if (fork_exec) {
		pid_t pid = fork();
		if (pid == 0) {
			child_malloc();
			execl("/proc/self/exe", "alloc_counts", "--exec-child", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
	}
	free(w);
	keep_malloc(keep);
	ex_phase(&o, "counted", 1);
	if (die && !strcmp(die, "segv"))
		*(volatile int *)sink = 1;     /* sink is NULL here */
	if (die && !strcmp(die, "kill"))
		raise(SIGKILL);
	return 0;
}
