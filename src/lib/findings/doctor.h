/* What this host, and a target process, allow memsleuth to do: one check
 * per facility, each with yes/no/unknown, why, and the way out. */
#ifndef MS_DOCTOR_H
#define MS_DOCTOR_H

#include <sys/types.h>
#include "findings/allocator.h"

enum ms_check_state { MS_CHECK_YES, MS_CHECK_NO, MS_CHECK_UNKNOWN };

struct ms_check {
	char name[40];           /* stable id, e.g. "stap_bpf_runtime" */
	enum ms_check_state state;
	char detail[320];        /* what was found */
	char hint[320];          /* the way out when not yes */
};

#define MS_MAX_CHECKS 40

struct ms_doctor {
	pid_t pid;               /* 0: host only */
	pid_t ns_pid;            /* its PID in its own PID namespace, 0 when the same */
	char  target_name[64];
	struct ms_check c[MS_MAX_CHECKS];
	int   n;
};

/* Run every check (for pid when > 0).  Fails only when the PID itself is
 * unusable (gone, zombie, kernel thread). */
int ms_doctor_collect(pid_t pid, struct ms_doctor *d, struct ms_err *e);

const char *ms_check_state_name(enum ms_check_state s);

#endif
