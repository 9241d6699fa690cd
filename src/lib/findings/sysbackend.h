/* Which facility can trace memory syscalls on this host, and why the
 * better ones cannot: SystemTap's module runtime, SystemTap's bpf runtime
 * (after memsleuth's own set-up), bpftrace, tracefs, ptrace.  auto's
 * order of preference: stap, tracefs, stap-bpf, bpftrace, ptrace (why:
 * sysbackend.c).  `doctor` and `syscalls --backend auto` share it. */
#ifndef MS_SYSBACKEND_H
#define MS_SYSBACKEND_H

#include <limits.h>
#include "util/err.h"

enum ms_backend { MS_BE_AUTO, MS_BE_STAP, MS_BE_STAP_BPF, MS_BE_BPFTRACE, MS_BE_TRACEFS,
		  MS_BE_PTRACE, MS_BE_N };

const char *ms_backend_name(enum ms_backend b);
enum ms_backend ms_backend_parse(const char *s);   /* MS_BE_N when unknown */

struct ms_backend_choice {
	enum ms_backend backend;
	char why[1024];              /* "stap: no kernel modules (...); stap-bpf: ready" */
	char stap_tree[PATH_MAX];    /* stap-bpf: the set-up cache dir */
};

/* Is backend b usable here?  0 and a reason in why, or -1 with e saying why
 * not and what to do.  setup_ok: stap-bpf may run scripts/stap-bpf-setup
 * (root, or the user's consent flag). */
int ms_backend_check(enum ms_backend b, int setup_ok, struct ms_backend_choice *c, struct ms_err *e);
/* want == MS_BE_AUTO tries each in order; the reasons of the rejected ones
 * land in c->why. */
int ms_backend_choose(enum ms_backend want, int setup_ok, struct ms_backend_choice *c, struct ms_err *e);

#endif
