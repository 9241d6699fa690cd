/* Shared by the guide's driver files: the options, launching the command
 * under investigation (guide_launch.c), talking to the person
 * (guide_talk.c) and getting each step's findings (guide_collect.c). */
#ifndef MS_GUIDE_INT_H
#define MS_GUIDE_INT_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "findings/guide.h"
#include "probe/procfs.h"
#include <regex.h>

#include "records/jsonread.h"
#include "cli/args.h"
#include "util/err.h"

struct gopts {
	int    batch, explain, json, interactive, no_compare;
	const char *report, *when;
	regex_t when_re;           /* `when` compiled once, at the option check */
	double after, wait_max, window;
	double watch;              /* the short watch before judging, seconds (0: none) */
	char **cmd;                /* after "--" */
	const char *core, *exe, *sysroot;   /* --core CORE [--exe PATH] [--sysroot DIR] */
	const char *live_given;    /* an option for a live process given (--watch, --window): not with --core */
	FILE  *say;                /* the narrative: stdout, or stderr with --json */
};

/* The conclusions printed, the report written (--json, --report), g
 * freed: the guide's exit status (--fail-on). */
int  guide_finish(const struct gopts *o, struct ms_guide *g, struct ms_args *cl, const char *started, const char *host);
/* guide --core (guide_core.c): the options that do not go with a core
 * refused (a PID, -- CMD, --when, --watch ...: one line, exit 2); then
 * the steps a core can answer, ending with guide_finish. */
void guide_core_check(const struct gopts *o, const struct ms_args *cl);
int  guide_core(const struct gopts *o, struct ms_guide *g, struct ms_args *cl, const char *started, const char *host);

/* Set by SIGINT, SIGTERM, SIGHUP: the guide stops after the current step. */
extern volatile sig_atomic_t guide_stop;

void guide_wrap(FILE *out, const char *indent, const char *label, const char *text);
void guide_say_step_head(const struct gopts *o, enum ms_gstep_id s);
void guide_say_step_body(const struct gopts *o, const struct ms_gstep *st);
/* On a terminal: wait for Enter; 0 when the person typed q (or stop). */
int  guide_pause_here(const struct gopts *o);
/* On a terminal: the accounted size, typed (Enter skips); 0 when the
 * person typed q (stop after step 1), else 1. */
int  guide_ask_accounted(struct ms_guide *g);

/* `memsleuth STEP --json args...`; NULL (st says why) when unavailable,
 * failed or unreadable. */
/* This memsleuth (or MEMSLEUTH_STEPS, checked): 0, or -1 with why set. */
int guide_self(char *self, size_t len, char *why, size_t whylen);
struct ms_jval *guide_run_step(struct ms_guide *g, struct ms_gstep *st, const char *step, char **args, int timeout_s);
int  guide_jvm_accounted(struct ms_guide *g, const struct ms_jval *ov);
struct ms_jval *guide_overview_findings(struct ms_guide *g, struct ms_err *e);
struct ms_jval *guide_doctor_findings(pid_t pid);
/* Sample the target for `seconds` (findings/tsample.h, glibc's arenas
 * walked every sample) into g->watch, then ms_guide_take_watch. */
void guide_watch(struct ms_guide *g, double seconds);

struct gl_cmd {
	pid_t pid;                 /* 0: nothing launched */
	pid_t child;               /* under the recorder: the command it started (0: not yet seen) */
	int   recorder;            /* pid is `memsleuth hotspots --record-only` running the command */
	int   status;              /* its wait status when it ended before the moment */
	char  rec[PATH_MAX];       /* the recording's directory ("" none) */
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
/* Start argv with stdout and stderr into a private file.  self (this
 * memsleuth, NULL: none) runs it under the allocator hook from its start:
 * `self hotspots --record-only --json --output REC -- argv...` (its
 * document to /dev/null, its stderr into the file), REC being keep, or
 * DIR/hotspots in the private directory when keep is NULL. */
int gl_launch(char *const argv[], struct gl_cmd *c, const char *self, const char *keep, struct ms_err *e);
/* The process to look at and sample: the recorder's command, else pid. */
pid_t gl_target(struct gl_cmd *c);
/* Whether the recording holds an image of process pid (DIR/proc-PID-N.msl). */
int gl_recorded(const struct gl_cmd *c, pid_t pid);
/* Wait until the command prints a line matching when_re (the ERE `when`,
 * which errors quote; both NULL: none), or `after` seconds have passed
 * (either, when both are given), sampling its RSS into g.  Fails when the
 * command exits first, wait_max passes, or *stop. */
int gl_wait_ready(struct gl_cmd *c, const regex_t *when_re, const char *when, double after, double wait_max,
		  struct ms_guide *g, volatile sig_atomic_t *stop, struct ms_err *e);
/* SIGTERM to its process group, SIGKILL after 3 s (8 s for the recorder,
 * which stops the command itself first); removes the files. */
void gl_stop(struct gl_cmd *c);

/* The kept recording FILE.hotspots beside --report FILE (guide_keep.c):
 * its path in path (len bytes; at most maxlen long), or NULL with why
 * ("temporary: ...") when there is no report or the place holds an
 * earlier run's recording; a leftover of a run that ended before its
 * report is removed first, said on say.  gk_arm: remove path at exit
 * unless gk_disarm is called once the report is written. */
const char *gk_choose(const char *report, char *path, size_t len, size_t maxlen, char *why, size_t whylen, FILE *say);
void gk_arm(const char *path);
void gk_disarm(void);

#endif
