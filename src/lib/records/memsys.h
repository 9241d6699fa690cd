/* One memory syscall as every backend reports it (tracefs, ptrace,
 * bpftrace, SystemTap): who, which, arguments, result.  Backends see the
 * entry and the exit separately; the pairer joins them per thread, so the
 * summary never depends on which backend produced the events. */
#ifndef MS_MEMSYS_H
#define MS_MEMSYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ms_sc { MS_SC_BRK, MS_SC_MMAP, MS_SC_MUNMAP, MS_SC_MPROTECT, MS_SC_MADVISE, MS_SC_N };

struct ms_sysev {
	uint64_t   ts_ns;     /* backend clock; 0 when unknown */
	pid_t      tid, tgid;
	/* 1: tgid is the tracer's cache of pid -> process (tracefs'
	 * saved_tgids), which the kernel fills when it records the thread at a
	 * context switch: until then it is empty (tgid 0) or an earlier task's
	 * with the same pid (pids are reused); a later line of the thread
	 * names its real process.  0: tgid is exact (0 = not known). */
	uint8_t    tgid_cached;
	enum ms_sc sc;
	uint64_t   arg[4];    /* addr/len/prot/flags as the kernel got them */
	int64_t    ret;       /* raw return: address, 0, or -errno */
	char       comm[16];  /* thread name when the backend records it, else "" */
};

const char *ms_sc_name(enum ms_sc sc);
/* x86-64 syscall number <-> ms_sc; -1 / MS_SC_N when not one of ours. */
long ms_sc_nr(enum ms_sc sc);
enum ms_sc ms_sc_from_nr(long nr);
enum ms_sc ms_sc_from_name(const char *name);   /* "mmap" -> MS_SC_MMAP */

/* The bytes a call is about: length for mmap/munmap/mprotect/madvise; brk
 * is 0 here (its size is the move of the break, known only to the summary). */
uint64_t ms_sysev_len(const struct ms_sysev *ev);

/* Human form with decoded flags:
 * "mmap(NULL, 128.0 MiB, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE) = 0x7f..." */
void ms_sysev_format(const struct ms_sysev *ev, char *buf, size_t len);
void ms_prot_str(uint64_t prot, char *buf, size_t len);
void ms_mapflags_str(uint64_t flags, char *buf, size_t len);
const char *ms_madvise_str(uint64_t advice, char *buf, size_t len);

/* Joins entries and exits per thread.  A thread has at most one syscall in
 * flight; an exit without its entry (tracing began mid-call) is dropped. */
#define MS_PAIR_SLOTS 4096
struct ms_pairer {
	struct ms_sysev slot[MS_PAIR_SLOTS];   /* open-addressed by tid */
	uint8_t used[MS_PAIR_SLOTS];
	uint64_t dropped;                      /* exits without entries */
};
void ms_pairer_init(struct ms_pairer *p);
void ms_pairer_enter(struct ms_pairer *p, const struct ms_sysev *ev);
int  ms_pairer_pending(const struct ms_pairer *p, pid_t tid);
/* Returns 1 and fills out when the exit completes a pending entry; sc ==
 * MS_SC_N accepts whichever call is pending (ptrace's exit carries no nr). */
int ms_pairer_exit(struct ms_pairer *p, pid_t tid, enum ms_sc sc, int64_t ret,
		   uint64_t ts_ns, struct ms_sysev *out);

/* The line protocol of the script backends (stap/memsyscalls.stp with script argument 1
 * and the generated bpftrace program), one completed call per line -- the
 * scripts keep the entry's arguments until the exit, halving the output:
 *   S TID TGID NR ARG0 ARG1 ARG2 ARG3 RET [COMM]
 * and, for a call repeated with the same arguments and result by the same
 * thread right after its S line (folded in the kernel: a loop of 1 M
 * identical madvise calls is 2 lines, not 1 M):
 *   M COUNT TID TGID NR ARG0 ARG1 ARG2 ARG3 RET
 * Numbers decimal (args printed as signed 64-bit are accepted); COMM (the
 * thread name, may hold spaces) optional.
 * Returns 'S' or 'M' (ev filled, *times = 1 or COUNT), 0 otherwise. */
int ms_sysline_parse(const char *line, struct ms_sysev *ev, uint64_t *times);

/* The life of the traced processes, so that a launched command's wrapper
 * (sh -c 'exec PROG', a script that forks PROG and waits) is told from the
 * program it ends up running, and the break -- which belongs to a process
 * image and restarts at exec -- is never compared across an exec. */
enum ms_proc_kind { MS_PROC_FORK = 'F', MS_PROC_EXEC = 'X', MS_PROC_EXIT = 'Q' };
struct ms_procev {
	int   kind;          /* enum ms_proc_kind */
	pid_t tgid, tid;     /* who: the process (and thread) */
	uint8_t tgid_cached; /* 1: tgid is the tracer's cache, as ms_sysev's (FORK, EXIT
			      * under tracefs); EXEC's is always exact: its pid= */
	pid_t child;         /* FORK: the new task (a process, or a thread of tgid) */
	int   group;         /* EXIT: the whole process ends (exit_group, the leader reaped) */
	char  comm[16];      /* EXEC: the new image's name */
};
/* The script backends' lines for them (same protocol as above):
 *   F TGID CHILD          a traced process created task CHILD
 *   X TGID COMM           TGID exec()ed; COMM its new name
 *   Q TGID TID GROUP      TID of TGID exited (GROUP 1: exit_group)
 * Returns the kind, 0 for any other line. */
int ms_procline_parse(const char *line, struct ms_procev *pe);

#endif
