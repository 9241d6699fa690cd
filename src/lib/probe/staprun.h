/* Running a SystemTap script for `memsleuth stap`: stap (module runtime,
 * or --runtime=bpf with the prepared tree and its memlock shim) in a
 * private directory (stap's bpf runtime writes stap_PID.bo into the
 * current directory and its work files under TMPDIR), supervised by
 * util/subproc: output streamed through, the target watched, and every
 * way out ending the same: stap stopped with SIGINT (stapbpf then removes
 * its uprobes), the directory removed, stale uprobe events swept.
 * A memsleuth killed with SIGKILL leaves its directory (named after its
 * pid) and maybe stap itself (its TMPDIR names the directory): the next
 * run's ms_stap_sweep() (probe/stapsweep.h) ends them. */
#ifndef MS_STAPRUN_H
#define MS_STAPRUN_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/err.h"

struct ms_staprun {
	/* in */
	const char *script;           /* path (made absolute here) */
	const char *script_text;      /* or the script itself (a translation), run from the work directory */
	size_t script_text_len;
	char *const *script_args;     /* after the script; may be NULL */
	int nscript_args;
	pid_t pid;                    /* -x PID, or 0 */
	char *const *cmd;             /* -- CMD ARGS (argv, NULL-terminated), or NULL */
	const char *cmd_string;       /* -c 'CMD' as stap users type it, or NULL */
	const char *bpf_tree;         /* the stap-bpf set-up dir; NULL: module runtime */
	const char *tapset_dir;       /* -I DIR (memsleuth's tapset), may be NULL */
	char *const *stap_opts;       /* passed before the script */
	int nstap_opts;
	/* stdout: streamed to ours, or when set, one call per complete line
	 * (with its '\n'; the last may lack it) -- --symbols rewrites them */
	void (*on_line)(void *arg, struct ms_staprun *r, const char *line, size_t len);
	void *line_arg;
	volatile sig_atomic_t *stop;  /* set by the caller's SIGINT/SIGTERM handler */
	/* out */
	int    status;                /* stap's wait status */
	int    stopped;               /* we stopped stap: 1 interrupted, 2 the target ended */
	pid_t  target;                /* the traced process (-x, or -c's once seen), 0 if never seen */
	char  *maps;                  /* the target's last /proc/PID/maps seen (malloc'd), or NULL;
	                                 a new buffer only when they changed */
	size_t maps_len;
	char   swept[256];            /* what ms_stap_sweep found before the run, "" if nothing */
};

/* Run to completion.  -1 with e when stap could not start at all. */
int  ms_staprun_run(struct ms_staprun *r, struct ms_err *e);
void ms_staprun_free(struct ms_staprun *r);

#endif
