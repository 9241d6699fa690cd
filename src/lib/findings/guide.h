/* The guided investigation's findings: the method's steps in order, what
 * each found (from the steps' own findings JSON), and the decisions that
 * follow -- which step is next, which are irrelevant and why, and the
 * conclusions.  The driver runs the steps and talks to the person; this
 * part only reads findings and decides, so it is the same for every
 * front end (terminal, --json, the report). */
#ifndef MS_GUIDE_H
#define MS_GUIDE_H

#include <stdint.h>
#include <sys/types.h>
#include "findings/causes.h"
#include "findings/timeseries.h"
#include "findings/verdict.h"
#include "records/jsonread.h"

enum ms_gstep_id { MS_G_ACCOUNTED, MS_G_OVERVIEW, MS_G_ARENAS, MS_G_HOTSPOTS, MS_G_SYSCALLS, MS_G_REMEDIES, MS_G_N };

enum ms_gstatus { MS_G_NOT_REACHED, MS_G_DONE, MS_G_SKIPPED, MS_G_UNAVAILABLE, MS_G_FAILED };

#define MS_G_MAX_EV 8
#define MS_G_MAX_CMD 8

struct ms_gstep {
	enum ms_gstatus status;
	char reason[400];                     /* why skipped / unavailable / failed */
	char evidence[MS_G_MAX_EV][1100];     /* room for compare's whole recommendation (1024) */
	int  nev;
	char verdict[640];
	char next[240];
	char commands[MS_G_MAX_CMD][512];
	int  ncmd;
	struct ms_jval *findings;             /* the step's own JSON, owned */
};

struct ms_guide {
	pid_t pid;
	char  name[64];
	char  command[1024];                  /* the launched command, or the target's cmdline */
	int   launched;
	char  launch[512];                    /* launched through a wrapper, or a choice (findings/launch.h): "wrapper: ... -> program: ..." */
	char  when[256];                      /* what marked the moment to look */
	char  moment[320];                    /* compare options for that moment ("--final-at 'holding' --final-after 10.8") */
	char  cwd[256];                       /* an attached target's working directory ("" launched: ours) */
	struct ms_proc_origin origin;         /* attached: origin.title, its command line is a title it wrote
						 (a PostgreSQL backend): command is "", no command reruns it */

	/* guide --core: a core file read instead of a process ("" a process).
	 * RSS is not in a core: rss and the classes' *_rss hold the bytes the
	 * core holds (the stand-in, coreview.h), labelled as such. */
	char  core[1024];
	char  core_opts[1100];                /* " --exe PATH --sysroot DIR" as given: the printed commands read the same */
	char  core_written_by[8];             /* "gcore" or "kernel" */
	char  core_residency[16];             /* probe/remote.h ms_residency_name: "core_holes", "unknown" */
	char  core_missing[512];              /* what the core lacks ("" whole) */
	uint64_t core_mapped;                 /* bytes its mappings span */
	int   core_signal;                    /* the signal it died of (0: gcore) */
	/* the live-only steps and checks a core cannot answer (watch,
	 * hotspots, syscalls, trim, compare): why, and the command on a live
	 * process instead */
	struct ms_glive { char what[16], reason[300], command[600]; } live_only[5];
	int   nlive_only;

	/* guide -- CMD runs the command under the allocator hook from its
	 * start: the process examined is the one recorded */
	char  recording[1024];                /* that recording's directory, "" none */
	int   recording_kept;                 /* kept beside the report (else removed when the guide ends) */
	char  recording_why[1200];            /* not kept: why, "temporary: ..." */
	char  recording_note[400];            /* why there is none, one line ("" launched and recorded) */
	/* the chunk pinning the most free memory (arenas' pins[]), pin_pinned 0: none */
	uint64_t pin_address, pin_size, pin_pinned, pin_tid;
	int   pin_minor;                      /* it pins under half of its cause (malloc_trim of its arenas): not the fix */
	char  pin_at[160], pin_thread[64];    /* its call site and thread from the recording, "" unknown */

	/* from the findings */
	uint64_t rss, accounted;
	int      has_accounted;
	char     accounted_from[160];
	uint64_t malloc_rss, main_heap_rss, arena_rss, mmap_rss, anon_other_rss, stack_rss, file_rss, shmem_rss;
	long     arenas;
	uint64_t arena_heaps, arena_cap, arena_reserved;
	char     allocator[32];
	int      is_jvm, jdk_trim;

	/* a JVM's own accounting (jcmd VM.native_memory summary, GC.heap_info) */
	int      have_nmt, have_java_heap_resident;
	uint64_t nmt_committed, nmt_malloc, java_heap_committed, java_heap_resident;

	int      have_arenas;
	uint64_t free_bytes, free_resident, trim_prediction, in_use, main_free;
	uint64_t mmapped;                     /* malloc's mmapped chunks (mp_.mmapped_mem): live, outside the arenas' in use */
	int      have_hot;
	int      hot_idle;                     /* attached, hotspots recorded no allocator call: the process was idle */
	uint64_t hot_tid, hot_calls, hot_total_calls;
	char     hot_name[64], hot_site[1600];   /* hot_site: records/callsite.h, demangled */
	int      hot_live_valid;              /* its live-at-end bytes are the moment's (reached, comparable) */
	char     hot_until[200];              /* the rerun stops at the line matching this (--until), "" no */

	struct ms_jval *doctor;               /* doctor's findings, owned */
	int      can_attach;                  /* uprobes through bpftrace or stap's bpf runtime */

	struct ms_gstep step[MS_G_N];
	struct ms_causes causes;              /* the conclusions' model (findings/causes.h) */
	int      have_causes;
	struct ms_verdicts conclusions;
	int      stopped_early;

	double   t_start;                     /* CLOCK_MONOTONIC seconds */
	struct ms_tseries rss_series;         /* RSS while the steps ran (the report's timeline) */
	double   examined_s;                  /* seconds after t_start when rss was read (overview); -1 not yet */

	/* the short watch before judging (timeseries.h): what grows */
	struct ms_tseries watch;              /* its samples; watch.nsamples 0: none */
	double   watch_s;                     /* the watch's actual span (its last sample's time) */
	double   watch_asked_s;               /* the span announced (--watch) */
	int      ngrowth;
	struct ms_growth_verdict growth[MS_TS_MAX_VERDICTS];
	int      in_use_grows;                /* glibc's in use grew: never "no gap" */
};

const char *ms_gstep_name(enum ms_gstep_id s);      /* "overview" */
const char *ms_gstep_title(enum ms_gstep_id s);     /* the question it answers */
const char *ms_gstep_why(enum ms_gstep_id s);       /* one paragraph */
const char *ms_gstep_explain(enum ms_gstep_id s);   /* the longer lesson (--explain) */
const char *ms_gstatus_name(enum ms_gstatus s);

void ms_guide_init(struct ms_guide *g, pid_t pid);
void ms_guide_free(struct ms_guide *g);
void ms_guide_sample(struct ms_guide *g, double t, uint64_t rss);
/* The short watch's samples are in g->watch: judge what grows (the
 * growth verdicts, step 1's evidence).  guide_watch.c. */
void ms_guide_take_watch(struct ms_guide *g);
/* The growth verdicts placed among the conclusions already made: each
 * before the first of its level or lower (guide_watch.c). */
void ms_guide_conclude_growth(struct ms_guide *g);

/* Add an evidence line / a command to reproduce to a step. */
void ms_gstep_evidence(struct ms_gstep *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ms_gstep_command(struct ms_gstep *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ms_gstep_set(struct ms_gstep *s, enum ms_gstatus st, const char *reason);

/* What the host and target allow (doctor's findings, owned). */
void ms_guide_take_doctor(struct ms_guide *g, struct ms_jval *f);
/* RSS in bytes of one memory class ("anon_other") in overview's findings JSON; 0 when absent. */
uint64_t ms_guide_class_rss(const struct ms_jval *f, const char *name);
/* Any field of one class ("in_core_bytes" of overview --core's); 0 when absent. */
uint64_t ms_guide_class_bytes(const struct ms_jval *f, const char *name, const char *field);
/* What is to be explained: the gap (rss - accounted, 0 below it) when
 * the accounted figure is known, else the whole RSS (a core's: its bytes). */
uint64_t ms_guide_to_explain(const struct ms_guide *g);
/* Whether the allocator steps apply: glibc holds half of what is to be
 * explained, or a meaningful share whatever it says (>= 10% of RSS or
 * 64 MiB) -- a JVM's or an application's own accounting can hide a native leak. */
int ms_guide_malloc_holds(const struct ms_guide *g);
/* Which of glibc's holders has the most (main heap, arena heaps, mmapped
 * chunks: g's *_rss), in words ("glibc's main heap"); its bytes in *bytes. */
const char *ms_guide_malloc_where(const struct ms_guide *g, uint64_t *bytes);
/* Step 1: what the application accounts for (source says where from). */
void ms_guide_take_accounted(struct ms_guide *g);
/* Step 2..5: each takes ownership of the step's findings (may be NULL
 * when the step was unavailable or failed: its status says so). */
void ms_guide_take_overview(struct ms_guide *g, struct ms_jval *f);
void ms_guide_take_arenas(struct ms_guide *g, struct ms_jval *f);
void ms_guide_take_hotspots(struct ms_guide *g, struct ms_jval *f);
void ms_guide_take_syscalls(struct ms_guide *g, struct ms_jval *f);
/* guide --core (guide_core.c): the facts of overview --core's findings
 * (docs/json: "source": "core"), owned, into g (rss: the core's bytes,
 * the stand-in); the live-only list.  core_opts as g->core_opts. */
void ms_guide_core_facts(struct ms_guide *g, struct ms_jval *f, const char *core, const char *core_opts);
/* Why the guide cannot read this core (overview --core's findings): the
 * allocator is not glibc's, the libc is not known, the core is cut where
 * the libc's data is -- one line with the way out; NULL: it can. */
const char *ms_guide_core_refusal(const struct ms_jval *f, const char *core, char *buf, size_t len);
/* Steps 1 and 2 from a core (ms_guide_take_accounted / _overview call
 * them when g->core is set). */
void ms_guide_core_accounted(struct ms_guide *g);
void ms_guide_core_overview(struct ms_guide *g);
/* A live-only step (hotspots, syscalls) skipped: its reason and the
 * command on a live process instead. */
void ms_guide_core_skip(struct ms_guide *g, enum ms_gstep_id id);
/* The conclusion a core adds: what was read (residency, partial) and
 * what it could not answer, with the guide to run on a live process. */
void ms_guide_core_conclude(const struct ms_guide *g, struct ms_verdicts *c);

/* Step 6: remedies from everything found; compare may be NULL. */
void ms_guide_remedies(struct ms_guide *g, struct ms_jval *compare);

/* Whether step s is worth running given what was found so far; when not,
 * reason says why (for the skip line). */
int ms_guide_relevant(const struct ms_guide *g, enum ms_gstep_id s, char *reason, size_t len);

/* The configurations the guide's compare runs on a launched command.
 * When glibc's heaps (overview's malloc RSS) hold under
 * MS_GUIDE_GLIBC_SHARE_PCT % of what is to explain (the gap, or the RSS
 * without --accounted) and under 64 MiB, glibc's settings cannot reach
 * the rest: list gets the baseline "glibc" and the allocator swaps
 * (compare's configurations of another allocator, comma-separated, for
 * compare -c), why the one line that says so, and 1 is returned.
 * Otherwise 0: every configuration (list and why ""). */
#define MS_GUIDE_GLIBC_SHARE_PCT 10
int ms_guide_compare_plan(const struct ms_guide *g, char *list, size_t len, char *why, size_t wlen);

/* The causes from every step's findings so far (compare may be NULL). */
void ms_guide_causes(struct ms_guide *g, const struct ms_jval *compare);

/* The conclusions, in plain words: the causes, largest first. */
void ms_guide_conclude(struct ms_guide *g);

#endif
