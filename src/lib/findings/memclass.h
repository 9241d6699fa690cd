/* Every mapping of a process put in one class, so that the RSS can be
 * split by what holds it.  The evidence, in order of trust: the kernel's
 * own labels ([heap], [stack], glibc >= 2.39's [anon: glibc: ...]), the
 * threads' stack pointers, the arena heap pattern confirmed by heap_info,
 * mmapped malloc chunk headers read from the target, then shape alone
 * (a guard page below a thread stack). */
#ifndef MS_MEMCLASS_H
#define MS_MEMCLASS_H

#include <stdint.h>
#include <sys/types.h>
#include "findings/arenaheaps.h"
#include "probe/remote.h"
#include "probe/tasks.h"
#include "records/maps.h"

enum ms_class {
	MS_CLASS_MAIN_HEAP,     /* [heap]: the brk heap of glibc's main arena */
	MS_CLASS_ARENA_HEAP,    /* glibc non-main arena heaps (64 MiB reservations) */
	MS_CLASS_MALLOC_MMAP,   /* chunks malloc got from mmap (above mmap_threshold) */
	MS_CLASS_THREAD_STACK,  /* thread stacks, their guard pages included */
	MS_CLASS_FILE,          /* code and data of files (libraries, mapped files) */
	MS_CLASS_ANON_OTHER,    /* anonymous memory nobody above explains (JVM heap, other allocators...) */
	MS_CLASS_SHMEM,         /* shared memory: /dev/shm, memfd, SysV, shared anonymous */
	MS_CLASS_KERNEL,        /* [vdso], [vvar], [vsyscall] */
	MS_CLASS_RECORDER,      /* memsleuth's own: the hook's buffer files, counters page and library
				 * (hotspots, the guide), anonymous memory labelled "[anon:memsleuth...]";
				 * not the program's */
	MS_CLASS_N
};

const char *ms_class_name(enum ms_class c);
const char *ms_class_meaning(enum ms_class c);
/* The same, with the brk heap ([heap]) named by the allocator in charge
 * (ms_allocator_name: "musl" gives "musl's brk heap ([heap])"); glibc's
 * wording for "glibc", "glibc-static", "" or NULL.  buf: for that text. */
const char *ms_class_meaning_of(enum ms_class c, const char *allocator, char *buf, size_t len);

struct ms_mapclass {
	enum ms_class cls;
	pid_t owner_tid;        /* thread stacks: the owning thread, 0 if unknown */
	int   evidence;         /* how it was decided: enum below */
};

enum ms_evidence {
	MS_EV_LABEL, MS_EV_STACK_POINTER, MS_EV_HEAP_INFO, MS_EV_HEAP_PATTERN,
	MS_EV_CHUNK_HEADER, MS_EV_GUARD_PAGE, MS_EV_PATH, MS_EV_NONE,
};

/* Classify maps->n mappings into out[].  threads and r may be NULL. */
void ms_classify(const struct ms_maps *maps, const struct ms_arena_heaps *heaps,
		 const struct ms_threads *threads, pid_t main_tid, struct ms_remote *r,
		 struct ms_mapclass *out);

/* Which of memsleuth's recorder files path is (a mapping's, as
 * /proc/PID/maps shows it: " (deleted)" once its file is removed): a hook
 * buffer file "DIR/proc-PID-SEQ.buf" (records/hotlog.h, one slot of
 * MS_HL_SLOT_BUF per thread, mapped shared), the hook library
 * libmemsleuth-hook.so, or none (0).  The counters page ("DIR/counters")
 * is the recorder's too when a buffer file of the same DIR is mapped,
 * which ms_classify checks. */
enum ms_recorder_part { MS_RECORDER_NONE, MS_RECORDER_BUFFER, MS_RECORDER_LIBRARY };
enum ms_recorder_part ms_is_recorder_path(const char *path);

/* Whether the mapping at [start,end) is a run of mmapped malloc chunks
 * (IS_MMAPPED headers end to end from start), covering at least 3/4 of it
 * (the rest: a neighbour the kernel merged it with).  Reads at most 4096
 * headers. */
int ms_is_malloc_mmap(struct ms_remote *r, uint64_t start, uint64_t end);

#endif
