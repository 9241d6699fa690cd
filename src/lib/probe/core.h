/* The memory image of an ELF core file (probe/remote.h), written by the
 * kernel (a crash, systemd-coredump) or by gdb's gcore.  The core is
 * indexed, never read whole: its PT_LOAD segments (address -> file
 * offset), the NT_FILE note (which file each mapping shows), NT_PRSTATUS
 * per thread (TID, stack pointer, thread pointer) and NT_AUXV; reads are
 * preads of the bytes asked for.  Memory O(segments + threads + files).
 *
 * Residency: a kernel-written core leaves the pages that were never
 * present as holes (SEEK_DATA/SEEK_HOLE finds them) -- approximately the
 * resident set (swapped pages were read back and written).  gdb's gcore
 * writes every page (it notes itself with NT_GDB_TDESC): residency
 * unknown.  A core cut short (ulimit -c, a full disk) or written without
 * anonymous memory (coredump_filter) lacks some ranges: they are named in
 * ms_core_info, reads there come back short. */
#ifndef MS_CORE_H
#define MS_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "probe/remote.h"
#include "util/err.h"

#define MS_CORE_MISSING_SHOWN 4

struct ms_core_range {
	uint64_t start, end;
	int      why;              /* MS_CORE_CUT or MS_CORE_FILTERED */
};
enum { MS_CORE_CUT = 1, MS_CORE_FILTERED = 2 };

struct ms_core_info {
	pid_t    pid;              /* NT_PRSTATUS of the first thread */
	int      signal;           /* the signal that ended it (0: gcore) */
	int      machine;          /* e_machine */
	int      by_gdb;           /* written by gdb's gcore: NT_GDB_TDESC, or packed
				    * segments (p_align 1) */
	int      sparse;           /* holes found in the file */
	int      notes_cut;        /* the notes run past the file's end: threads and
				    * file names may be missing */
	char     fname[17];        /* NT_PRPSINFO: command name */
	char     psargs[81];       /* NT_PRPSINFO: command line (truncated) */
	uint64_t entry;            /* AT_ENTRY: the executable's entry point */
	uint64_t file_bytes;       /* size of the core file */
	uint64_t want_bytes;       /* bytes its segments promise */
	size_t   segments, files, threads;
	/* what is not in the core: anonymous writable ranges the segments
	 * promise past the file's end (cut) or left out (filtered) */
	uint64_t missing_bytes;
	size_t   missing_ranges;
	struct ms_core_range missing[MS_CORE_MISSING_SHOWN];   /* the first ones */
};

/* Open the core at path (O_NOFOLLOW is not used: a core is named by the
 * user).  Fails with the way out on: not a core, an unsupported machine,
 * unreadable headers. */
int ms_core_open(struct ms_remote *r, const char *path, struct ms_err *e);

/* The core's facts, or NULL when r is not a core. */
const struct ms_core_info *ms_core_info(const struct ms_remote *r);

/* What the core lacks, in one line: "8.0 MiB in 2 ranges not in the
 * core: 0x..-0x.. (cut: the file ends early), ..." naming the first
 * ranges, and cut notes; "" when the core is whole. */
void ms_core_missing_text(const struct ms_core_info *ci, char *buf, size_t len);

/* The path a file mapping of the core names (NT_FILE) at addr, "" if none. */
const char *ms_core_file_at(const struct ms_remote *r, uint64_t addr);

#endif
