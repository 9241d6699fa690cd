/* Memory over time: samples of a process's figures (kernel totals, RSS by
 * memory class, glibc's in-use / free-kept / arenas, a runtime's heap), the
 * trend of each component (least-squares slope and R^2) and the growth
 * verdict that follows.  One module for `watch`, the guide's short window
 * and the report's timeline; pure arithmetic, no I/O (tsample.h reads a
 * live process into a struct ms_sample).
 *
 * Memory is bounded whatever the duration: the fits are running sums
 * (Welford), and at most MS_TS_KEEP samples are kept for charts -- when
 * full, every other one is dropped and the keeping stride doubles. */
#ifndef MS_TIMESERIES_H
#define MS_TIMESERIES_H

#include <stddef.h>
#include <stdint.h>
#include "findings/causes.h"
#include "findings/memclass.h"
#include "findings/verdict.h"

/* Whether a sample carries the allocator's figures (the arenas walk). */
enum ms_sample_alloc {
	MS_SA_NONE,          /* not walked (budget, not glibc, unreadable) */
	MS_SA_OK,            /* a consistent snapshot */
	MS_SA_INCONSISTENT,  /* the target changed under the walk: shown, not fitted */
};

struct ms_sample {
	double   t;                       /* seconds since the watch began */
	/* the kernel's figures, bytes (status, smaps_rollup) */
	uint64_t rss, pss, vsz, hwm, swap;
	int      has_classes;
	uint64_t class_rss[MS_CLASS_N];   /* RSS by overview's memory classes */
	long     arenas;                  /* from the mappings (heaps + main); -1 unknown */
	uint64_t arena_heaps;             /* 64 MiB arena heaps mapped */
	/* glibc's figures from the arenas walk (valid when alloc != NONE) */
	enum ms_sample_alloc alloc;
	uint64_t in_use;                  /* in-use chunks + mmapped chunks */
	uint64_t free;                    /* free chunks + tops (resident or not) */
	uint64_t free_resident;           /* "free kept": resident bytes of those */
	uint64_t top;                     /* top chunks */
	uint64_t mmapped;                 /* malloc's mmapped chunks (in in_use) */
	uint64_t trim_prediction;         /* what malloc_trim(0) would release */
	uint64_t walk_arenas;             /* arenas the walk found */
	double   walk_ms, walk_cpu_ms;    /* cost of the walk (wall, our CPU) */
	/* a runtime's own heap figure, when readable from outside */
	int      has_runtime;
	uint64_t runtime_heap;            /* JVM: the Java heap's resident bytes (findings/javaheap.h,
					     the figure the guide uses); NMT's committed when its
					     range is not known (runtime_heap_resident 0) */
	int      runtime_heap_resident;
	uint64_t runtime_heap_committed;  /* JVM: NMT's committed Java heap */
	uint64_t runtime_native;          /* JVM: NMT's malloc line */
};

/* The components whose trend is fitted. */
enum ms_ts_comp {
	MS_TS_RSS, MS_TS_PSS, MS_TS_SWAP,
	MS_TS_IN_USE,        /* glibc in use */
	MS_TS_FREE_KEPT,     /* glibc free and resident */
	MS_TS_ARENAS,        /* arena count (from the mappings) */
	MS_TS_ARENA_HEAPS,   /* arena heaps */
	MS_TS_RUNTIME_HEAP,  /* a runtime's heap (JVM NMT) */
	MS_TS_ANON_OTHER,    /* RSS of anonymous memory malloc does not explain */
	MS_TS_N
};
const char *ms_ts_comp_name(enum ms_ts_comp c);      /* "in_use" */
const char *ms_ts_comp_label(enum ms_ts_comp c);     /* "in use" */
int         ms_ts_comp_is_bytes(enum ms_ts_comp c);  /* 0: a count */

/* A running least-squares fit of y over t (Welford's updates: stable for
 * long runs and large byte counts). */
struct ms_fit {
	uint64_t n;
	double   mt, my, stt, syy, sty;   /* means and centred sums */
	double   t_first, t_last, y_first, y_last, y_min, y_max;
};
void   ms_fit_add(struct ms_fit *f, double t, double y);
double ms_fit_slope(const struct ms_fit *f);        /* y units per second; 0 when n < 2 */
double ms_fit_r2(const struct ms_fit *f);           /* 0..1; 1 when y is constant */

/* STOPPED: grew, then flat (ms_trend_plateau) -- growth that ended in the
 * window, not a rate that goes on. */
enum ms_trend_dir { MS_TR_UNKNOWN, MS_TR_FLAT, MS_TR_GROWING, MS_TR_SHRINKING, MS_TR_NOISY, MS_TR_STOPPED };
const char *ms_trend_dir_name(enum ms_trend_dir d);

struct ms_trend {
	enum ms_trend_dir dir;
	uint64_t n;                       /* points fitted */
	double   span_s;                  /* first to last fitted point */
	double   slope;                   /* per second */
	double   r2;
	double   first, last, min, max;
	double   change;                  /* slope * span: the fitted change */
	double   threshold;               /* what counted as a real change */
	/* dir STOPPED: when it stopped, how long it has been flat since, what
	 * it added from the first point to the flat level (ms_plateau) */
	double   stop_t, flat_s, rise;
};

/* The shape of a series beyond one line: a growth that stopped.  Two
 * segments split at each point are fitted by least squares (each its own
 * line); the best split is a plateau when
 *   - it explains the data better than one line: the two segments'
 *     squared error <= MS_PLATEAU_GAIN x one line's, or the flat part's
 *     squared error about its level <= MS_PLATEAU_FLAT_SSE x one line's
 *     (a rise seen in snapshots mid-burst is noisy, its flat end is not),
 *   - the series rose to the flat level by >= threshold,
 *   - the last segment is flat: its fitted change under threshold and its
 *     rate <= MS_PLATEAU_FLAT_RATIO of the rise's average rate,
 *   - the flat part (points within max(threshold/2, 3 sd) of its level,
 *     counted back from the last) spans >= MS_PLATEAU_MIN_SHARE of the
 *     window and MS_PLATEAU_MIN_POINTS points (the rise: 2 or more).
 * t increasing, n points (at most a few thousand: O(n^2)); threshold in y's
 * units (timeseries' "real change").  A steady line, noise around a line,
 * a flat series or a fall are not plateaus (found 0). */
#define MS_PLATEAU_GAIN       0.5
#define MS_PLATEAU_FLAT_SSE   0.01
#define MS_PLATEAU_FLAT_RATIO 0.1
#define MS_PLATEAU_MIN_SHARE  0.2
#define MS_PLATEAU_MIN_POINTS 3
struct ms_plateau {
	int    found;
	double stop_t;          /* t of the first point of the flat part */
	double flat_s;          /* stop_t to the last point */
	double level;           /* the flat part's mean */
	double rise;            /* level - y[0]: what it added over the window */
	double rate_before;     /* rise / (stop_t - t[0]), per second */
	double sse_line, sse_split;
};
void ms_trend_plateau(const double *t, const double *y, size_t n, double threshold, struct ms_plateau *out);

/* The growth kinds (the cause model's growth causes): each verdict names
 * one, with its numbers and the next step. */
enum ms_growth {
	MS_GROW_LEAK,           /* in use grows: a leak or a growing cache */
	MS_GROW_RETENTION,      /* free kept grows, as much as or more than in use */
	MS_GROW_ARENAS,         /* arenas or arena heaps grow */
	MS_GROW_RUNTIME_HEAP,   /* the runtime's own heap grows */
	MS_GROW_RSS,            /* RSS grows outside what the allocator figures explain */
	MS_GROW_STABLE,         /* nothing grows */
	MS_GROW_TOO_SHORT,      /* too few points or too short to tell */
	MS_GROW_STOPPED,        /* grew, then flat: the verdict's component stopped in the window */
	MS_GROW_N
};
const char *ms_growth_name(enum ms_growth g);        /* "leak_or_growing_cache" */

struct ms_growth_verdict {
	enum ms_growth kind;
	enum ms_level  level;
	enum ms_ts_comp comp;             /* the component it rests on */
	char text[400];
	char next[200];
};

#define MS_TS_KEEP 1024
#define MS_TS_MAX_VERDICTS 6

struct ms_tseries {
	pid_t    pid;
	uint64_t nsamples, nalloc, ninconsistent; /* taken, with allocator figures, inconsistent walks */
	struct ms_fit fit[MS_TS_N];
	struct ms_sample *kept;           /* at most MS_TS_KEEP, every stride-th sample */
	size_t   nkept;
	uint64_t stride;
	struct ms_sample last, last_alloc;/* the latest sample, the latest with figures */
	int      have_last_alloc;
	int      glibc;                   /* the allocator is glibc's (figures possible) */
	int      alive;                   /* the process lives: commands may name its PID */
	const char *command;              /* borrowed: the command that reruns it, NULL unknown ("CMD") --
					     the guide's launched command, which ends with the guide */
};

/* Start a series (kept samples are allocated on the first add).  Returns 0
 * or -1 when out of memory. */
int  ms_ts_init(struct ms_tseries *ts, pid_t pid, int glibc);
void ms_ts_free(struct ms_tseries *ts);
/* Add a sample (t increasing).  Inconsistent walks are kept, not fitted. */
void ms_ts_add(struct ms_tseries *ts, const struct ms_sample *s);

/* The trend of one component over everything added so far. */
void ms_ts_trend(const struct ms_tseries *ts, enum ms_ts_comp c, struct ms_trend *out);

/* The trends as the cause model's growth facts (causes.h). */
void ms_ts_growth_facts(const struct ms_tseries *ts, struct ms_cause_facts *f);

/* The growth causes of the series (the cause model's growth kinds, built
 * by ms_causes_build from ms_ts_growth_facts). */
void ms_ts_causes(const struct ms_tseries *ts, struct ms_causes *out);

/* The verdicts: the growth causes, largest growth first, each with its
 * numbers ("in use +9.8 MiB/s over 60 s, R² 0.99; free kept flat") and the
 * next command -- or, when nothing grows, stable or too short to tell.
 * Returns how many were written (>= 1 when max >= 1). */
int ms_ts_verdicts(const struct ms_tseries *ts, struct ms_growth_verdict *out, int max);

#endif
