/* /proc/PID/status as a record: identity, state and the kernel's RSS split. */
#ifndef MS_STATUS_H
#define MS_STATUS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#define MS_MAX_NS 8

struct ms_status {
	char     name[64];
	char     state;          /* 'R', 'S', 'Z', ... */
	pid_t    tgid, ppid;
	pid_t    tracer;         /* TracerPid: 0 when nobody traces it */
	pid_t    nspid[MS_MAX_NS];/* PID in each namespace, outermost first */
	int      nspid_n;
	unsigned uid;
	int      threads;
	int      has_vm;         /* kernel threads have no Vm* lines */
	uint64_t vm_size, vm_rss, vm_hwm, rss_anon, rss_file, rss_shmem, vm_swap;
	uint64_t vm_peak;        /* VmPeak: the largest VmSize so far */
};

int ms_status_parse(const char *buf, size_t len, struct ms_status *st);

#endif
