/* A JVM's own accounting as jcmd prints it: Native Memory Tracking's
 * summary (jcmd PID VM.native_memory summary, JDK 17+ format) and the
 * Java heap's address range (jcmd PID GC.heap_info). */
#ifndef MS_NMT_H
#define MS_NMT_H

#include <stdint.h>

struct ms_nmt {
	uint64_t committed;             /* "Total: reserved=..., committed=NKB" */
	uint64_t malloc;                /* "malloc: NKB #..." under Total (or the categories' "(malloc=" summed):
					   what the JVM mallocs itself */
	uint64_t java_heap_committed;   /* "Java Heap (reserved=..., committed=NKB)" */
	int      has_malloc, has_java_heap;
};

/* Parse the summary text; 0, or -1 when it has no Total line (NMT off). */
int ms_nmt_parse(const char *text, struct ms_nmt *out);

/* The heap's range from GC.heap_info's first line ("... [0xLO, 0xHI)");
 * 0, or -1 when absent or malformed. */
int ms_heap_range_parse(const char *text, uint64_t *lo, uint64_t *hi);

#endif
