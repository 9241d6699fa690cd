/* A pre-forking server's worker: the parent grows the main (brk) heap and
 * forks; the child grows it further, frees most of what it took and
 * idles.  The kernel keeps the child's brk heap as two VMAs -- the part
 * inherited at fork and the child's own growth have different anon_vmas
 * -- so /proc/CHILD/maps shows two adjacent "[heap]" lines, while glibc
 * sees one contiguous heap (main_arena.flags without NONCONTIGUOUS_BIT).
 * The child's first block that does not fit below the parent's break is
 * kept in use: a chunk straddling the two VMAs (with --free-straddle it is
 * freed too: a free chunk straddles them, in the run that malloc_trim
 * returns).  PostgreSQL backends,
 * Apache prefork children and gunicorn workers are in this state.
 *
 * The child announces itself ("pid=CHILD phase=grown"; with --malloc-info
 * FILE its own malloc_info first) and holds.  With --hold, SIGUSR1 makes it
 * run malloc_trim(0) itself -- a real trim to check a prediction against,
 * without a debugger's inferior call -- and print
 *   memsleuth-example: trim rc=R heap_rss_before=B heap_rss_after=A returned=B-A
 * in bytes: the Rss of its [heap] mappings (smaps); SIGTERM ends it.
 * The parent waits for the child and ends with it; the child ends with
 * the parent (PR_SET_PDEATHSIG).
 *
 * usage: fork_heap [--blocks N] [--free-straddle] [--hold] [--malloc-info FILE]
 * phases: grown (printed by the child) */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "example_common.h"

#define PARENT_BLOCKS 2000
#define KEEP_LAST     10

/* Rss of the [heap] mappings in bytes, from /proc/self/smaps (exact: a
 * page-table walk, where VmRSS is the kernel's approximate per-CPU
 * counters), read with open/read (no stdio, no malloc: nothing moves in
 * the heap measured).  The heap's own, not the process's: malloc_trim's
 * first run faults in libc text pages (fault-around: 64 KiB at once). */
static long long heap_rss(void)
{
	static char buf[1 << 18];
	int fd = open("/proc/self/smaps", O_RDONLY);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	long long sum = 0;
	int in_heap = 0;
	for (char *line = buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = 0;
		/* a mapping's first line, "start-end perms offset dev inode
		 * [path]", starts with a lower-case hex digit; its fields
		 * ("Rss:   12 kB") with a capital */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))
			in_heap = nl - line >= 6 && !strcmp(nl - 6, "[heap]");
		else if (in_heap && !strncmp(line, "Rss:", 4))
			sum += atoll(line + 4) * 1024;
	}
	return sum;
}

/* The child's hold: SIGUSR1 trims, SIGTERM/SIGINT end it. */
static void hold(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGUSR1)
			_exit(0);
		long long before = heap_rss();
		int rc = malloc_trim(0);
		long long after = heap_rss();
		char line[200];
		snprintf(line, sizeof line, "memsleuth-example: trim rc=%d heap_rss_before=%lld heap_rss_after=%lld returned=%lld\n",
			 rc, before, after, before - after);
		ex_say(line);
	}
}

static int child(struct ex_opts *o, long blocks, int free_straddle, char *parent_brk)
{
	/* the pointer array from mmap, not the heap under study */
	char **v = mmap(NULL, (size_t)blocks * sizeof *v, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		return 1;
	long straddle = -1;
	uintptr_t brk_at_fork = (uintptr_t)parent_brk, straddle_at = 0;
	for (long i = 0; i < blocks; i++) {
		size_t size = 1000 + (size_t)(i % 3000);
		v[i] = malloc(size);
		if (!v[i])
			return 1;
		memset(v[i], 2, 1000);
		uintptr_t p = (uintptr_t)v[i];
		if (straddle < 0 && p < brk_at_fork && p + size > brk_at_fork) {
			straddle = i;
			straddle_at = p;
		}
	}
	for (long i = 0; i < blocks - KEEP_LAST; i++)
		if (i != straddle || free_straddle)
			free(v[i]);
	char line[160];
	snprintf(line, sizeof line, "memsleuth-example: parent_brk=%#lx straddle=%#lx%s\n", (unsigned long)brk_at_fork,
		 (unsigned long)straddle_at, free_straddle ? " (freed)" : "");
	ex_say(line);
	ex_phase(o, "grown", 0);
	if (o->hold) {
		snprintf(line, sizeof line, "memsleuth-example: pid=%d holding (SIGUSR1: malloc_trim(0), SIGTERM: end)\n",
			 (int)getpid());
		ex_say(line);
		hold();
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long blocks = 18000;
	int free_straddle = 0;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
			blocks = ex_num(argv[++i], "blocks");
		else if (!strcmp(argv[i], "--free-straddle"))
			free_straddle = 1;
		else {
			fprintf(stderr, "usage: fork_heap [--blocks N] [--free-straddle] [--hold] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (blocks < KEEP_LAST + 1 || blocks > 1000000) {
		fprintf(stderr, "fork_heap: --blocks %d..1000000\n", KEEP_LAST + 1);
		return 2;
	}
	static void *p[PARENT_BLOCKS];
	for (int i = 0; i < PARENT_BLOCKS; i++) {
		p[i] = malloc(1000);
		if (!p[i])
			return 1;
		memset(p[i], 1, 1000);
	}
	char *parent_brk = sbrk(0);
	pid_t parent = getpid();
	/* blocked before fork: the child's sigwait takes them */
	ex_block_signals();
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		return 1;
	}
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		_exit(child(&o, blocks, free_straddle, parent_brk));
	}
	/* the parent ends on SIGTERM (and the child with it) */
	sigset_t set;
	sigemptyset(&set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	int st;
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
