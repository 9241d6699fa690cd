/* Which allocator is in charge of a process, and which libc it runs on.
 * Read from the target's own mappings and files (through /proc/PID/root),
 * never from ours. */
#ifndef MS_ALLOCATOR_H
#define MS_ALLOCATOR_H

#include <limits.h>
#include <stdint.h>
#include "probe/elf.h"
#include "probe/target.h"
#include "records/maps.h"

enum ms_allocator {
	MS_ALLOC_GLIBC,          /* glibc ptmalloc2, shared libc */
	MS_ALLOC_GLIBC_STATIC,   /* glibc linked statically */
	MS_ALLOC_JEMALLOC,
	MS_ALLOC_TCMALLOC,
	MS_ALLOC_MIMALLOC,
	MS_ALLOC_MUSL,
	MS_ALLOC_UNKNOWN,        /* static non-glibc, or no libc found */
};

struct ms_libc {
	enum ms_allocator allocator;
	char     allocator_dso[PATH_MAX]; /* the replacing allocator's library */
	int      preloaded;               /* named in LD_PRELOAD */
	int      libc_found;
	char     libc_path[PATH_MAX];     /* as the target maps it */
	char     libc_file[PATH_MAX];     /* reachable from here */
	uint64_t libc_base;               /* lowest mapping of the libc */
	uint64_t libc_end;                /* end of its highest mapping */
	int      libc_via_map_files;      /* libc_file is /proc/PID/map_files/... */
	struct ms_elf_info elf;           /* of the libc (or of the exe when static) */
	int      has_debuginfo;
	char     debuginfo[PATH_MAX];
	int      debuginfo_ignored;       /* ms_debuginfo_ignored() */
};

/* The no-debug-info switch, one for every step: --no-debuginfo (see
 * src/driver/options.h) or MEMSLEUTH_NO_DEBUGINFO=1.  The option sets the
 * variable, so helpers and scripts a step starts (gdb, stap) honour it too;
 * every step then gives the numbers it gives on a host without libc6-dbg. */
void ms_debuginfo_ignore(void);
int  ms_debuginfo_ignored(void);

const char *ms_allocator_name(enum ms_allocator a);

/* 1 when a is glibc's ptmalloc2, shared or static: what glibc's arena cap,
 * MALLOC_ARENA_MAX and GLIBC_TUNABLES apply to; 0 for every other. */
int ms_allocator_is_glibc(enum ms_allocator a);

/* Identify from the target's maps and environ (may be NULL). */
int ms_libc_identify(const struct ms_target *t, const struct ms_maps *maps,
		     const char *environ, size_t envlen, struct ms_libc *out,
		     struct ms_err *e);

/* Which allocator a process really used, in the terms that decide whether
 * a setting or a preloaded library can reach it (compare, trim's hint):
 * a glibc tunable needs glibc's malloc in use, LD_PRELOAD a dynamically
 * linked program. */
struct ms_alloc_seen {
	int   read;                 /* 1: known (else nothing below is) */
	pid_t pid;                  /* the process read; 0 from an ELF file */
	enum ms_allocator allocator;
	int   is_static;            /* no dynamic linker: LD_PRELOAD is ignored */
	int   builtin;              /* a replacing allocator linked in, not preloaded */
	int   lib_mapped;           /* the library asked about is mapped (ms_alloc_seen_read) */
};

/* From an identification (ms_libc_identify). */
void ms_alloc_seen_of(const struct ms_libc *lc, struct ms_alloc_seen *out);

/* From the executable alone, before it runs: read only when it is a static
 * binary or names musl's loader (a glibc one's allocator is known once it
 * runs).  0, or -1 (not an ELF file: a script, unreadable). */
int ms_alloc_seen_exe(const char *path, struct ms_alloc_seen *out);

/* Read live process pid now: its maps (ms_libc_identify) and whether the
 * library lib (a path, NULL none) is mapped in it, by file name.  Returns
 * 0 (out filled), 1 when pid is not yet the program (still the fork of
 * this process before its exec, or the dynamic linker has not mapped the
 * libc yet: out untouched), -1 when it is gone or unreadable. */
int ms_alloc_seen_read(pid_t pid, const char *lib, struct ms_alloc_seen *out);

/* The allocator in words: "glibc", "musl, static binary", "jemalloc, built
 * in", "glibc, static binary". */
void ms_alloc_seen_name(const struct ms_alloc_seen *s, char *buf, size_t len);

#endif
