/* Shared memory in the RSS: MIB MiB mapped MAP_SHARED|MAP_ANONYMOUS (the
 * kernel backs it with shmem, "/dev/zero (deleted)" in maps -- how
 * PostgreSQL maps shared_buffers), every page written by this process and
 * the first half read by a forked child too.  The kernel counts a shared
 * page in the RSS of each process that touched it and divides it among
 * them in PSS: here RSS holds all MIB MiB, PSS 3/4 of them.  glibc's heaps
 * hold almost nothing, and no allocator setting changes this RSS.
 *
 * usage: shared_mem [--mib N] [--hold] [--step]
 * prints "child=PID" (the sharer; it dies with this process)
 * phases: shared */
#include <sys/mman.h>
#include <sys/prctl.h>
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long mib = 48;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = ex_num(argv[++i], "mib");
		else {
			fprintf(stderr, "usage: shared_mem [--mib N] [--hold] [--step]\n");
			return 2;
		}
	}
	if (mib < 2 || mib > 65536) {
		fprintf(stderr, "shared_mem: --mib 2..65536\n");
		return 2;
	}
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("shared_mem: mmap");
		return 1;
	}
	memset(p, 1, len);   /* every page written: resident, in this process's RSS */
	ex_block_signals();
	int ready[2];
	if (pipe(ready) < 0) {
		perror("shared_mem: pipe");
		return 1;
	}
	pid_t parent = getpid(), child = fork();
	if (child < 0) {
		perror("shared_mem: fork");
		return 1;
	}
	if (child == 0) {
		/* the sharer: never outlives the example */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		volatile unsigned long sum = 0;
		for (size_t off = 0; off < len / 2; off += 4096)
			sum += (unsigned char)p[off];   /* read: the page joins its RSS too */
		close(ready[0]);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "shared_mem: the child did not start\n");
		return 1;
	}
	char line[64];
	snprintf(line, sizeof line, "child=%d\n", (int)child);
	ex_say(line);
	ex_phase(&o, "shared", 1);
	kill(child, SIGKILL);
	return 0;
}
