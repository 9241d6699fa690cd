/* Shared by the guide's driver files: launching the command under
 * investigation and knowing when to look at it (guide_launch.c). */
#ifndef MS_GUIDE_INT_H
#define MS_GUIDE_INT_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "findings/guide.h"
#include "util/err.h"

struct gl_cmd {
	pid_t pid;                 /* 0: nothing launched */
	char  dir[PATH_MAX];       /* private mkdtemp directory */
	char  out[PATH_MAX];       /* the command's stdout+stderr */
	int   fd;                  /* read side of out */
	char  line[4096];          /* partial line carried between reads */
	size_t linelen;
	char  matched[512];        /* the line that marked the moment */
	double ready_after;        /* seconds from launch to the moment */
};

double gl_now(void);
/* RSS of pid from /proc/PID/statm; 0 when gone. */
uint64_t gl_rss(pid_t pid);
/* Start argv with stdout and stderr into a private file. */
int gl_launch(char *const argv[], struct gl_cmd *c, struct ms_err *e);
/* Wait until the command prints a line matching `when` (ERE), or `after`
 * seconds have passed (either, when both are given), sampling its RSS into
 * g.  Fails when the command exits first, wait_max passes, or *stop. */
int gl_wait_ready(struct gl_cmd *c, const char *when, double after, double wait_max, struct ms_guide *g,
		  volatile sig_atomic_t *stop, struct ms_err *e);
/* SIGTERM to its process group, SIGKILL after 3 s; removes the files. */
void gl_stop(struct gl_cmd *c);

#endif
