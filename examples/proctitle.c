/* A server that starts a worker which rewrites its own process title, the
 * way PostgreSQL's backends do ("postgres: user db [local] idle"; nginx,
 * sshd and setproctitle alike): the worker's /proc/PID/cmdline is then the
 * title padded with NULs, not a command anyone can run.  A setting for the
 * worker goes into the environment of the process that starts it (here
 * this program's first process, its parent), which the worker inherits.
 *
 * The parent forks one worker and waits (SIGTERM/SIGINT end both).  The
 * worker gives glibc a cause memsleuth remedies with a setting: it frees
 * a FIRST MiB block (mmapped: glibc raises mmap_threshold to its size and
 * trim_threshold to twice that), then on the main heap allocates PINNED
 * MiB, a 64-byte block above it and TOP MiB above that, and frees both
 * large blocks: the TOP MiB stay as the heap's free top (below the raised
 * trim threshold: main_top_kept, fixed thresholds return it), the PINNED
 * MiB below the live block (main_heap_pinned).  Then it writes its title
 * over argv and the environment strings that follow (PostgreSQL's
 * ps_status.c, PS_USE_CLOBBER_ARGV: the environment moved first, the rest
 * padded with NULs) -- unless --no-title, the case of a worker that keeps
 * its command line.
 *
 * usage: proctitle [--no-title] [--title TEXT] [--first MiB] [--top MiB] [--pinned MiB] [--hold]
 * phases: kept (printed by the worker, its pid in pid=) */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "example_common.h"

extern char **environ;

/* PostgreSQL's save_ps_display_args + set_ps_display: the area from
 * argv[0] to the end of the last contiguous environment string becomes
 * the title's; the environment is copied elsewhere first. */
static void set_title(int argc, char **argv, const char *title)
{
	char *end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	int n = 0;
	while (environ[n])
		n++;
	char **env = calloc((size_t)n + 1, sizeof *env);
	if (!env)
		return;
	for (int i = 0; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		env[i] = strdup(environ[i]);
	}
	environ = env;
	size_t cap = (size_t)(end - argv[0]), len = strlen(title);
	if (len >= cap)
		len = cap - 1;
	memcpy(argv[0], title, len);
	memset(argv[0] + len, 0, cap - len);   /* PS_PADDING: NUL on Linux */
	for (int i = 1; i < argc; i++)
		argv[i] = NULL;
}

/* The bytes written count: the compiler may drop a malloc, memset and
 * free of the same block as dead stores. */
static void touch(char *p, size_t n)
{
	memset(p, 1, n);
	__asm__ volatile("" : : "r"(p) : "memory");
}

static void worker(int argc, char **argv, const struct ex_opts *o, const char *title, long first, long top,
		   long pinned)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlives its parent */
	char *big = malloc((size_t)first << 20);   /* mmapped: above the default mmap threshold */
	if (!big)
		_exit(1);
	touch(big, (size_t)first << 20);
	free(big);                                  /* raises the thresholds */
	/* both below the raised mmap threshold: on the main heap */
	char *low = pinned ? malloc((size_t)pinned << 20) : NULL, *pin = malloc(64), *high = malloc((size_t)top << 20);
	if ((pinned && !low) || !pin || !high)
		_exit(1);
	if (low)
		touch(low, (size_t)pinned << 20);
	touch(pin, 64);
	touch(high, (size_t)top << 20);
	free(high);   /* into the top, which stays below trim_threshold */
	free(low);    /* below the live block */
	if (title)
		set_title(argc, argv, title);
	ex_phase(o, "kept", 1);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long first = 30, top = 20, pinned = 8;
	const char *title = "proctitle: worker idle";
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--no-title"))
			title = NULL;
		else if (!strcmp(argv[i], "--title") && i + 1 < argc)
			title = argv[++i];
		else if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = ex_num(argv[++i], "first");
		else if (!strcmp(argv[i], "--top") && i + 1 < argc)
			top = ex_num(argv[++i], "top");
		else if (!strcmp(argv[i], "--pinned") && i + 1 < argc)
			pinned = ex_num(argv[++i], "pinned");
		else {
			fprintf(stderr, "usage: proctitle [--no-title] [--title TEXT] [--first MiB] [--top MiB] "
				"[--pinned MiB] [--hold]\n");
			return 2;
		}
	}
	if (first < 1 || first > 1024 || top < 1 || top >= first || pinned < 0 || pinned >= first) {
		fprintf(stderr, "proctitle: --first 1..1024 MiB, --top 1..FIRST-1 MiB, --pinned 0..FIRST-1 MiB "
			"(below the raised mmap threshold)\n");
		return 2;
	}
	if (title && !*title)
		title = NULL;
	char keep[256] = "";   /* the title may overwrite the strings title points into */
	if (title) {
		snprintf(keep, sizeof keep, "%s", title);
		title = keep;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		worker(argc, argv, &o, title, first, top, pinned);
	}
	/* the parent: the "postmaster", until the worker ends or a signal */
	int sig = 0, st = 0;
	while (sigwait(&set, &sig) == 0 && sig != SIGTERM && sig != SIGINT && waitpid(child, &st, WNOHANG) == 0)
		;
	if (sig == SIGTERM || sig == SIGINT)
		kill(child, SIGTERM);
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
