/* The Java heap's resident part: what the JVM's heap holds of the RSS.
 * NMT's "Java Heap committed" counts what the JVM committed, much of it
 * never touched (an -Xms heap); the RSS of the heap's address range is what
 * it holds.  One figure for the guide and watch. */
#ifndef MS_JAVAHEAP_H
#define MS_JAVAHEAP_H

#include <stdint.h>
#include <sys/types.h>

/* The resident bytes of the Java heap of process pid: the RSS
 * (/proc/PID/smaps) of the mappings inside the heap's reserved range, read
 * from `jcmd PID GC.heap_info`'s first line (heap_info, its output).
 * committed: NMT's Java heap committed bytes, an upper bound the answer
 * must respect (a range that does not fit is not the heap).  Returns 0
 * with *resident set, or -1 (no range in heap_info, smaps unreadable, or
 * more resident than committed). */
int ms_java_heap_resident(pid_t pid, const char *heap_info, uint64_t committed, uint64_t *resident);

/* The same from a range already read: [lo, hi). */
int ms_java_heap_range_rss(pid_t pid, uint64_t lo, uint64_t hi, uint64_t committed, uint64_t *resident);

#endif
