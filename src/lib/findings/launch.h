/* A launched command's processes: which one is "the program that ends up
 * running" and which are the wrapper around it (sh -c 'exec PROG', env
 * VAR=1 PROG, a script that runs dirname and uname and then exec's java,
 * or one that forks java and waits).  One rule, used by every step that
 * launches a command (hotspots, syscalls, guide; docs/man/memsleuth.1
 * "LAUNCHED COMMANDS"):
 *
 *   1. Start at the launched process, in its image after its last exec()
 *      (sh and env exec'ing PROG leave PROG in the same pid).
 *   2. If that image waited for a child -- the child of it that ended
 *      last, which ran alone (no other child of the image at the same
 *      time), after whose end the image went on for less time than the
 *      child had lived or than 0.25 s (a wrapper's exit) -- that child is
 *      the candidate instead (a script that forks the program and waits),
 *      and the rule repeats from 1 with it, when:
 *        a. (live) the image is a shell or launcher (its executable is
 *           sh, bash, env, timeout, ...: ms_launch_is_launcher) or is seen
 *           blocked in wait() for the child, and is not far bigger than
 *           the child with the child's own children (ms_launch_far_above:
 *           RSS, or the mapped size of glibc's heaps) -- a wrapper is
 *           small; a program that runs a helper command with system(),
 *           os.execute or subprocess.run is big and waits too, and stays
 *           the program;
 *        b. otherwise, the child did more of the step's work than the
 *           image itself (calls, or the weight when no calls).
 *      Steps of a wrapper (dirname, uname, sed) end before the wrapper's
 *      own work goes on, so they never qualify; nor does a process whose
 *      children run side by side (a master and its workers are one
 *      program).  Which process printed the guide's --when line is not a
 *      fact here: the command's processes share one output file.
 *   3. The program is the candidate image and every process it created;
 *      everything else -- earlier images, the waiting parents, their
 *      short children -- is the wrapper, reported apart with its own
 *      figures.
 *
 * Post hoc (a recorded log, a trace) the spans are the images' recorded
 * start and end; live (the guide looking at a running command) they run
 * from each process's start to now. */
#ifndef MS_LAUNCH_H
#define MS_LAUNCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ms_launch_role { MS_LAUNCH_UNKNOWN = 0, MS_LAUNCH_WRAPPER, MS_LAUNCH_PROGRAM };

/* One process image (a pid between two exec()s). */
struct ms_launch_image {
	pid_t    pid, ppid;        /* ppid: the process that forked pid */
	char     name[32];         /* comm, or the executable's base name */
	double   start_s, end_s;   /* seconds on the caller's clock; end_s < 0: still running at the end */
	uint64_t weight;           /* the step's own measure (bytes allocated, calls), for display; live: RSS */
	uint64_t calls;            /* the step's count (allocator calls, syscalls), for display */
	int      waiting;          /* live: blocked in wait() for a child (/proc/PID/wchan do_wait) */
	int      launcher;         /* live: its executable is a shell or launcher (ms_launch_is_launcher) */
	uint64_t heap;             /* live: glibc's heaps mapped, bytes: the [heap] mapping and the arena
				    * heaps' read-write parts, what malloc_state.system_mem counts (0: none) */
	char     exe[32];          /* live: the executable's base name ("" unknown) */
	int      role;             /* out: enum ms_launch_role */
	int      why;              /* out: enum ms_launch_why, on an image weighed against its child */
	pid_t    vs_pid;           /* out, with why: that child */
	uint64_t vs_bytes;         /* out, with why: the child's measure (RSS, or heap for KEPT_HEAP), the
				    * largest of it and its own children */
};

/* Why rule 2a took or kept a process (live): a choice said in the line. */
enum ms_launch_why {
	MS_LAUNCH_WHY_NONE = 0,
	MS_LAUNCH_KEPT_RSS,        /* waits or launches, but its RSS is far above the child's: the program */
	MS_LAUNCH_KEPT_HEAP,       /* same, by glibc's heaps */
	MS_LAUNCH_GAVE_LAUNCHER,   /* a shell or launcher, not far bigger: a wrapper */
	MS_LAUNCH_GAVE_WAITING,    /* blocked in wait() for the child, not far bigger: a wrapper */
};

/* "Far above": parent > 4 x child and parent > child + 16 MiB (bytes). */
#define MS_LAUNCH_FAR_RATIO 4
#define MS_LAUNCH_FAR_BYTES (16ull << 20)
int ms_launch_far_above(uint64_t parent, uint64_t child);

/* Whether an executable's base name is a shell or a launcher that runs
 * the program it is given (sh, bash, dash, env, timeout, nice, sudo...):
 * what a pyenv/rbenv shim or a start script runs as, too. */
int ms_launch_is_launcher(const char *exe);

/* Apply the rule above to n images (any order) of the command launched as
 * root; end_s is "now" for images still running.  Sets every image's
 * role and returns the index of the program image, or (size_t)-1 when
 * root is not among them (then every role stays MS_LAUNCH_UNKNOWN). */
size_t ms_launch_decide(struct ms_launch_image *im, size_t n, pid_t root, double end_s);

/* Whether the command had a wrapper at all: some image is MS_LAUNCH_WRAPPER. */
int ms_launch_has_wrapper(const struct ms_launch_image *im, size_t n);

/* One line for people, e.g.
 *   "wrapper: sh (pid 10, 2 children: dirname, uname) -> program: java (pid 10)"
 *   "program: python3 (pid 12), no wrapper"
 * (names of the wrapper's children: the first few distinct, then "..."). */
void ms_launch_line(const struct ms_launch_image *im, size_t n, size_t program, char *buf, size_t len);

/* The wrapper's own figures summed: images, calls, weight. */
void ms_launch_wrapper_sum(const struct ms_launch_image *im, size_t n, size_t *images, uint64_t *calls,
			   uint64_t *weight);

/* Live: the descendants of root (root included) from /proc, each with its
 * start time (/proc/PID/stat starttime) and RSS as weight, into *out
 * (malloc'd, caller frees); returns the count, 0 when root is gone.
 * At most max processes are read. */
size_t ms_launch_live(pid_t root, size_t max, struct ms_launch_image **out);

/* Live, the rule applied: the pid of the program (root when it cannot
 * tell, or root is gone), and into buf the line above when there was a
 * wrapper or a choice (rule 2a), with why, e.g.
 *   "program: lua5.4 (pid 9), 134.8 MiB RSS; its child sh (pid 12), 2.6 MiB with its
 *    children, runs a command it started"
 * else "" (the command is the program). */
pid_t ms_launch_live_program(pid_t root, char *buf, size_t len);

#endif
