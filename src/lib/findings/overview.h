/* "Where does the RSS live?" -- the overview step's findings: the kernel's
 * totals, the RSS split by memory class, the arenas against their cap, the
 * cgroup limit, and verdicts.  Collected once; printed by report/. */
#ifndef MS_OVERVIEW_H
#define MS_OVERVIEW_H

#include <stdint.h>
#include "findings/allocator.h"
#include "findings/arenacap.h"
#include "findings/causes.h"
#include "findings/memclass.h"
#include "findings/verdict.h"
#include "probe/cgroup.h"
#include "records/maps.h"
#include "records/status.h"

struct ms_class_total {
	uint64_t mappings, size, rss, pss, private_dirty, swap;
};

#define MS_TOP_FILES 8
#define MS_TOP_STACKS 8

struct ms_stack_rss {
	pid_t    tid;
	char     name[32];
	uint64_t size, rss;
};

struct ms_file_rss {
	char     path[256];
	uint64_t rss, size;
};

struct ms_overview {
	pid_t    pid;
	struct ms_status status;
	struct ms_memfields rollup;       /* smaps_rollup: the kernel's own sum */
	int      rollup_ok;
	uint64_t rss;                     /* VmRSS */
	struct ms_class_total cls[MS_CLASS_N];
	uint64_t class_rss_sum;
	uint64_t recorder_buffer_rss;     /* of the memsleuth_recorder class: its buffer files'
					   * (findings/memclass.h) */
	uint64_t anon_largest_size, anon_largest_rss; /* the largest anon_other mapping (a runtime's
						       region of its own: Ruby's 32 MiB transient heap) */
	char     shmem_largest[128];      /* the shared mapping (MS_CLASS_SHMEM) with the most RSS: its path
					     or label ("/dev/zero (deleted)", "[anon_shmem]" for an unnamed one) */
	uint64_t shmem_largest_rss;
	uint64_t anon_2m_chunks, anon_2m_rss; /* whole 2 MiB units on 2 MiB boundaries inside anon_other
					       mappings, and their share of those mappings' RSS (PHP's Zend
					       MM maps its chunks so: zend_alloc.c ZEND_MM_CHUNK_SIZE) */

	struct ms_libc libc;
	int      memory_readable;         /* process_vm_readv worked */
	size_t   arena_heaps;             /* 64 MiB heaps found */
	int      arena_heaps_verified;    /* every one confirmed by heap_info */
	long     arenas;                  /* incl. main_arena; -1 when unknown */
	uint64_t arena_reserved, arena_rss;
	struct ms_arena_cap cap;          /* cap.cap 0: glibc's malloc is not in use, no cap */
	struct ms_alloc_env alloc_env;    /* the allocator settings of its environ (findings/allocenv.h) */
	int      cpus;

	size_t   threads, stacks_owned;   /* stacks whose thread is known */
	struct ms_stack_rss stacks[MS_TOP_STACKS]; /* largest owned stacks by RSS */
	int      nstacks;
	struct ms_file_rss files[MS_TOP_FILES];
	int      nfiles;

	struct ms_cgroup_mem cg;
	int      cg_ok;

	int      is_jvm;
	char     java_home[256];
	char     jdk_version[32];
	int      jdk_has_trim;            /* jcmd System.trim_native_heap */
	int      jdk_nmt;                 /* started with -XX:NativeMemoryTracking=summary|detail (its
					     command line or JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, _JAVA_OPTIONS) */

	enum ms_runtime runtime;          /* whose heap anon_other is: JVM, V8, CPython, Ruby, PHP; or the
					     runtime whose objects glibc's live blocks hold: PostgreSQL, Perl, Tcl */
	uint64_t as_limit;                /* RLIMIT_AS soft limit (ulimit -v), 0 = unlimited */

	int      has_accounted;
	uint64_t accounted;

	struct ms_causes causes;          /* what the overview alone can name */
	struct ms_verdicts verdicts;
};

/* Collect everything for pid.  Returns 0, or -1 with e set. */
int ms_overview_collect(pid_t pid, struct ms_overview *ov, struct ms_err *e);

/* The runtime of a live process (overview's rule: the libraries it maps,
 * its executable's name), for the steps that do not run the overview
 * (arenas names PostgreSQL's, Perl's, Tcl's retention in live blocks).
 * MS_RT_NONE when not known or not readable. */
enum ms_runtime ms_runtime_of(pid_t pid);

/* Bytes of RSS that glibc malloc holds (main heap + arena heaps + mmapped). */
uint64_t ms_overview_malloc_rss(const struct ms_overview *ov);

/* "17.0.15" -> whether `jcmd PID System.trim_native_heap` exists
 * (JDK 17.0.9+, 21+; JDK-8293114 backports). */
int ms_jdk_has_trim(const char *version);

#endif
