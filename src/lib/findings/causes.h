/* The cause model: why the RSS is what it is, as a list of causes, each
 * with the resident bytes it holds, its share of the RSS, a severity, the
 * numbers it rests on and the remedies that act on *that* cause.
 *
 * Every verdict, remedy list and the guide's conclusion is a rendering of
 * this model (ms_causes_verdicts, ms_causes_remedies), never separate
 * logic.  The steps feed it facts (struct ms_cause_facts): overview and
 * arenas in-process, the guide from the steps' findings JSON, compare's
 * measurements when they ran.  Building is a pure function of the facts,
 * so it is unit-tested without a target.
 *
 * Adding a kind (the watch step adds growth kinds): a value before
 * MS_CAUSE__N, a row in the kind table of causes.c (id, title), and a
 * builder that fills it from facts. */
#ifndef MS_CAUSES_H
#define MS_CAUSES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "findings/allocenv.h"
#include "findings/verdict.h"
#include "probe/procfs.h"

enum ms_cause_kind {
	MS_CAUSE_MAIN_HEAP_PINNED,     /* free pages below a live block in the main heap: malloc_trim returns them */
	MS_CAUSE_ARENA_TOP_KEPT,       /* free tops of non-main arenas kept by the (dynamic) trim threshold */
	MS_CAUSE_MAIN_TOP_KEPT,        /* the main heap's free top kept below a raised trim threshold */
	MS_CAUSE_FRAGMENTED,           /* free memory with no whole free page: nothing page-granular returns it */
	MS_CAUSE_ARENA_SPREAD,         /* free chunks spread over many non-main arenas */
	MS_CAUSE_IN_USE_UNACCOUNTED,   /* live malloc memory outside the application's bookkeeping */
	MS_CAUSE_RUNTIME_HEAP,         /* a runtime's own heap (runtime field says whose) */
	MS_CAUSE_MMAPPED_CHUNKS,       /* live chunks malloc got from mmap */
	MS_CAUSE_THREAD_STACKS,        /* thread stacks (glibc's cached stacks included) */
	MS_CAUSE_FILE_MAPPED,          /* code and data of mapped files */
	MS_CAUSE_ADDRESS_SPACE_ONLY,   /* VSZ without RSS: reservations */
	MS_CAUSE_GLIBC_NOT_WALKED,     /* glibc's heaps' RSS when no arena walk ran (overview): in use or
					  free, not known -- a lead (notice at most), never a verdict */
	MS_CAUSE_SHARED_MEMORY,        /* shared mappings (/dev/shm, memfd, SysV, MAP_SHARED anonymous):
					  counted in every sharer's RSS, sized by the program's configuration */
	/* growth kinds (watch, the guide's short watch): resident_bytes is what
	 * grew during the window; severity from those bytes, the span and the
	 * RSS (findings/growthsev.h: a short window's rate is not an hour's) */
	MS_CAUSE_LEAK_GROWING,         /* glibc in use grows: a leak or a cache that keeps growing */
	MS_CAUSE_RETENTION_GROWING,    /* free memory glibc keeps grows, as much as or more than in use */
	MS_CAUSE_ARENA_GROWTH,         /* arenas or arena heaps grow */
	MS_CAUSE_RUNTIME_HEAP_GROWTH,  /* the runtime's own heap grows */
	MS_CAUSE_RSS_GROWTH,           /* RSS grows and glibc's figures do not explain it */
	MS_CAUSE__N
};

/* "arena_top_kept": the stable identifier (JSON "kind", docs/json.md). */
const char *ms_cause_kind_id(enum ms_cause_kind k);
/* "free memory kept at non-main arena tops": a short title for people. */
const char *ms_cause_kind_title(enum ms_cause_kind k);

/* The one severity rule, for every step (docs/man/memsleuth.1, SEVERITY):
 *   problem (!!) when the cause holds >= 25% of the RSS or >= 256 MiB,
 *   notice  (!)  from 5% of the RSS or 32 MiB,
 *   info         below;
 * a cause under 4 MiB resident is info whatever its share (a small
 * process's noise).  rss 0: judged on the bytes alone.  A cause is named
 * at all from MS_CAUSE_MIN_BYTES. */
#define MS_SEV_PROBLEM_SHARE 0.25
#define MS_SEV_PROBLEM_BYTES (256ull << 20)
#define MS_SEV_NOTICE_SHARE  0.05
#define MS_SEV_NOTICE_BYTES  (32ull << 20)
#define MS_SEV_FLOOR_BYTES   (4ull << 20)
#define MS_CAUSE_MIN_BYTES   (1ull << 20)
enum ms_level ms_cause_severity(uint64_t resident_bytes, uint64_t rss_bytes);

/* A share of the RSS that cannot be known (the RSS of a core). */
#define MS_SHARE_UNKNOWN (-1.0)
/* "54.5%" (decimals 1) or "54%" (decimals 0); "-" for a share below 0
 * (MS_SHARE_UNKNOWN).  buf of at least 16 bytes; returns buf. */
const char *ms_share_fmt(double share, int decimals, char *buf, size_t len);

#define MS_CAUSE_MAX_EVIDENCE 8
#define MS_CAUSE_MAX_REMEDIES 6
#define MS_CAUSES_MAX 16

/* One number a cause rests on: name follows the JSON conventions
 * (ends in _bytes for bytes), value as measured. */
struct ms_cause_evidence {
	char     name[40];
	uint64_t value;
};

struct ms_cause_remedy {
	char     command[400];        /* exact command or setting ("" never) */
	enum ms_cause_kind addresses; /* the kind it acts on */
	char     effect[300];         /* expected effect in plain words */
	uint64_t expected_bytes;      /* predicted or measured bytes returned */
	int      has_expected;        /* expected_bytes is a prediction/measure */
	char     proven_by[160];      /* "arenas", "compare glibc-arena-max-2", "" = not proven (null) */
	int      no_change;           /* compare measured it: no change */
	int      advice;              /* command is advice in words, not a shell command */
	uint64_t measured_saving;     /* compare: the whole process's final RSS below glibc's default
					 (bytes); 0 not measured.  When it is above cause_bytes it is not
					 attributed to the cause: has_expected is 0, and
					 ms_cause_remedy_describe says what it saves overall. */
	uint64_t cause_bytes;         /* resident bytes of the cause(s) it acts on */
	char     measure_with[400];   /* a setting compare can measure and has not: the exact
					 "memsleuth compare -c glibc,CONFIG -- CMD"; "" measured or n/a */
	char     measure_config[40];  /* that setting's compare configuration when no command starts the
					 target (no_command): measure_with is "", the text says what compare needs */
	char     no_command[320];     /* why command is words, not a command line: the target's command line
					 is a title it wrote (probe/procfs.h ms_proc_origin.why); "" otherwise */
};

/* A remedy's effect in words, the one wording of every step that prints
 * remedies (arenas, overview, the guide, the HTML/markdown report): its
 * effect; then either what it is expected to return ("; expected 140.6
 * MiB"), or, when compare measured more than the cause's bytes, that
 * saving said as the whole process's ("; compare measured the final RSS
 * 209.1 MiB lower overall, more than this cause's 140.6 MiB: it acts on
 * more than this cause"); who measured or predicted it ("; measured by
 * compare jemalloc-decay-0", "; predicted by arenas"); for a setting not
 * measured: "; unmeasured, it can raise the RSS: measure it first with
 * memsleuth compare -c glibc,glibc-arena-max-2 -- CMD".  Never fails;
 * cut at len. */
void ms_cause_remedy_describe(const struct ms_cause_remedy *r, char *buf, size_t len);

/* For a process no command starts (o->title: its command line is a title
 * it wrote), where a setting goes: "the process that starts 17462: its
 * parent 17400 (/usr/lib/postgresql/15/bin/postgres), e.g. the service's
 * unit or its environment file" (the environment and limits are inherited
 * at fork and exec).  And what compare needs instead of its command line,
 * for configs ("glibc,glibc-fixed-thresholds"): "compare needs a command
 * that starts the workload (e.g. the service's start command), not the
 * process's title: memsleuth compare -c glibc,glibc-fixed-thresholds --
 * START-COMMAND".  Never fail; cut at len. */
void ms_origin_starter(const struct ms_proc_origin *o, pid_t pid, char *buf, size_t len);
void ms_origin_compare(const char *configs, char *buf, size_t len);

struct ms_cause {
	enum ms_cause_kind kind;
	char     runtime[16];         /* runtime_heap: "jvm", "v8", "cpython", "ruby", "php", or the allocator
					 whose own heap it is ("jemalloc", "tcmalloc", "mimalloc", "musl"),
					 "other" unknown; else "" */
	uint64_t resident_bytes;
	double   rss_share;           /* resident_bytes / RSS, 0..1; MS_SHARE_UNKNOWN when the RSS is not
					 known (a core): severity then from the bytes alone */
	enum ms_level severity;
	char     text[400];           /* the verdict sentence: what holds it and why */
	struct ms_cause_evidence ev[MS_CAUSE_MAX_EVIDENCE];
	int      nev;
	struct ms_cause_remedy rem[MS_CAUSE_MAX_REMEDIES];
	int      nrem;
};

struct ms_causes {
	pid_t    pid;
	uint64_t rss;
	struct ms_cause v[MS_CAUSES_MAX];  /* largest resident_bytes first */
	int      n;
};

/* Facts the model is built from.  Each block has a "have" flag; a block
 * not filled is not used (and the causes that need it are not claimed). */
enum ms_runtime { MS_RT_NONE, MS_RT_JVM, MS_RT_V8, MS_RT_CPYTHON, MS_RT_RUBY, MS_RT_PHP,
		  MS_RT_POSTGRES, MS_RT_PERL, MS_RT_TCL };
#define MS_RT_LAST MS_RT_TCL
/* The runtimes up to PHP keep a heap of their own outside glibc's (the
 * runtime_heap cause); PostgreSQL, Perl and Tcl keep theirs inside glibc's
 * live blocks (memory contexts, SV arenas, the threaded allocator's caches:
 * the in_use_unaccounted cause names them). */
#define MS_RT_OWN_HEAP_LAST MS_RT_PHP
const char *ms_runtime_id(enum ms_runtime r);       /* "jvm", "v8", ..., "php", "postgres", "perl", "tcl" */

#define MS_CAUSE_MAX_MEASURED 16

/* One component's trend over a window: known when there were enough
 * points; grows when the fitted rise is real and steady (timeseries.h's
 * rule); stopped when it rose, then stayed flat (timeseries.h
 * ms_trend_plateau: rise added until stop_t, flat for flat_s since);
 * slope per second; first/last measured. */
struct ms_growth_fact {
	int    known, grows, flat, noisy, stopped;
	double stop_t, flat_s, rise;  /* stopped: seconds since the window began, seconds, y units */
	int    bytes;                 /* 0: a count (arenas) */
	double slope, r2, span_s, first, last;
	uint64_t points;
	const char *label;            /* "in use", "free kept", ... */
};
/* "in use +9.8 MiB/s over 60 s, R² 0.99 (12.0 MiB -> 600.3 MiB)",
 * "free kept flat at 1.2 MiB (+0 B/s)", "in use not known (...)". */
void ms_growth_describe(const struct ms_growth_fact *g, char *buf, size_t len);

struct ms_cause_facts {
	pid_t    pid;
	int      alive;                 /* the process still exists: commands may name the PID */
	int      launched;              /* the guide launched it: "memsleuth guide -- CMD" is the run just made */
	int      from_core;             /* read from a core (alive 0) and a process of its PID exists:
					   it may be the core's, still running (gcore), or another */
	char     command[512];          /* the command line ("" unknown): remedies that rerun it name it */
	char     cwd[256];              /* its working directory ("" = ours): commands that rerun it cd there */
	struct ms_proc_origin origin;   /* origin.title: its command line is a title it wrote (a PostgreSQL
					   backend), command is "": remedies say where a setting goes */
	uint64_t rss, vsize, hwm;       /* VmRSS, VmSize, VmHWM */

	/* overview: RSS and size per class (memclass.h) */
	int      have_overview;
	uint64_t main_heap_rss, arena_rss, mmap_rss, stack_rss, file_rss, anon_other_rss, shmem_rss;
	uint64_t shmem_pss;             /* the shared memory's PSS (its RSS divided among its sharers) */
	char     shmem_path[128];       /* the largest shared mapping by RSS ("/dev/zero (deleted)",
					   "/SYSV0052e2c1 (deleted)", "[anon_shmem]"), "" none */
	uint64_t arena_size, stack_size, anon_other_size;  /* address space */
	uint64_t anon_largest_size, anon_largest_rss;      /* the largest anon_other mapping */
	uint64_t anon_2m_chunks, anon_2m_rss;  /* whole 2 MiB units on 2 MiB boundaries in anon_other
						  mappings, their RSS share (PHP's Zend MM chunks) */
	char     name[64];              /* the process's name (comm: "redis-server"), "" unknown */
	long     arenas;                /* -1 unknown */
	uint64_t arena_cap;
	uint64_t threads;
	char     allocator[16];         /* "glibc", "jemalloc", ... */
	enum ms_runtime runtime;
	char     runtime_version[32];
	int      jdk_trim;              /* jcmd System.trim_native_heap: 1 yes, -1 unknown, 0 no */
	int      jdk_nmt;               /* the JVM was started with Native Memory Tracking on */
	uint64_t as_limit;              /* RLIMIT_AS soft limit; 0 = unlimited */
	char     arena_cap_source[128]; /* overview's: "environ: MALLOC_ARENA_MAX=2", "computed: ..." */
	struct ms_alloc_env env;        /* its allocator settings (overview reads its environ) */

	/* arenas: the walk */
	int      have_arenas;
	uint64_t in_use;                /* all arenas, chunk bytes in use */
	uint64_t in_use_resident;       /* of which resident (pagemap over the chunks in use) */
	uint64_t main_free_resident, main_top_resident, main_trim, main_trim_top; /* main arena */
	uint64_t main_top;              /* the main arena's top chunk, bytes (its size field) */
	char     main_pin[320];         /* the live chunk pinning the main heap (ms_arena_pin_text), "" none */
	uint64_t main_pin_chunks, main_pin_bytes;
	uint64_t main_pinned_free;      /* the free bytes the pins keep from the top (pinned_free_bytes):
					   what freeing them lets free() return, before top_pad */
	uint64_t main_in_use_chunks;    /* live chunks in the main arena (the pins among them) */
	char     main_pin_site[128];    /* its call site from a hotspots recording ("pin.c:59 (main)"), "" unknown */
	char     main_tcache_hold[300]; /* no live pin, tcache chunks keep the main heap's free memory from
					   its top (ms_arena_tcache_hold_text), "" none */
	uint64_t main_tcache_chunks, main_tcache_bytes;
	uint64_t other_free_resident, other_top_resident, other_trim; /* non-main arenas summed */
	uint64_t other_top_kept;        /* resident top bytes of non-main arenas above MINSIZE */
	uint64_t other_arenas_with_free;/* non-main arenas holding >= 1 MiB free resident */
	uint64_t free_resident;         /* free chunks, all arenas (top excluded) */
	uint64_t trim_prediction;       /* what malloc_trim(0) would return */
	uint64_t trim_chunks;           /* of which from free chunks (not a top) */
	uint64_t mmapped_bytes;         /* mp_.mmapped_mem */
	uint64_t mmapped_resident;      /* resident bytes of the mmapped chunks found mapped */
	uint64_t mmap_threshold, trim_threshold, arena_max;
	int      no_dyn_threshold;      /* -1 unknown */
	int      have_top_pad;          /* mp_.top_pad was read */
	uint64_t top_pad;               /* mp_.top_pad: what free()'s systrim/heap_trim keep at a top
					   (malloc.c _int_free -> systrim(mp_.top_pad)); malloc_trim(0) pads 0 */
	uint64_t walk_rss;              /* VmRSS read right after the walk (arenas' rss_bytes): the RSS
					   of the moment the walk's bytes were read; 0 unknown */

	/* the application's own accounting */
	int      have_accounted;
	uint64_t accounted;
	char     accounted_from[160];
	int      have_nmt;              /* JVM Native Memory Tracking */
	uint64_t nmt_committed, nmt_malloc, java_heap_committed, java_heap_resident;
	int      have_java_heap_resident;

	/* hotspots: the call site holding the most bytes live at the end of the
	 * window (findings/hotsite.h), and those bytes */
	int      have_hot;
	int      hot_idle;              /* the guide's own attached hotspots recorded no allocator call:
					   the process was idle, so hotspots PID again records nothing */
	uint64_t hot_live;
	char     hot_site[1600];   /* a call site, C++ names demangled (records/callsite.h) */

	/* watch: each component's least-squares trend over a window
	 * (findings/timeseries.h fills these) */
	int      have_growth;
	double   growth_span_s;
	struct ms_growth_fact in_use_trend, free_kept_trend, arenas_trend, arena_heaps_trend,
			      runtime_heap_trend, rss_trend, anon_other_trend;
	uint64_t growth_trim_prediction;  /* the latest walk's malloc_trim(0) prediction */
	char     growth_class[64];        /* the memory class whose RSS grew most, "" */
	uint64_t growth_class_bytes;

	/* compare: final RSS per configuration (name as in remedy.h) */
	int      nmeasured;
	struct {
		char config[40]; char preload[64]; uint64_t final_rss;
		char env[300];          /* its runs' allocator settings (runs[].env), space-separated;
					   "" none (the default) */
	} measured[MS_CAUSE_MAX_MEASURED];
	int      measured_base;         /* index of "glibc", -1 none */
};

void ms_cause_facts_init(struct ms_cause_facts *f, pid_t pid);

/* Build the causes from the facts: every kind whose bytes are measured and
 * at least MS_SEV_FLOOR_BYTES (address_space_only: VSZ - RSS >= 1 GiB, or
 * an RLIMIT_AS in reach), sorted largest first, each with its remedies
 * ordered by the bytes they address.  Once compare measured (measured_base
 * >= 0), the remedies of the glibc-retention causes (main_heap_pinned,
 * main_top_kept, arena_top_kept, arena_spread, fragmented) are the configurations compare
 * measured lower than the default that act on them (an allocator or a
 * threshold setting: all four; an arena cap: the thread arenas' two), best
 * measured saving first and ahead of unmeasured remedies; those within
 * noise or measured higher are not offered.  Never fails. */
void ms_causes_build(const struct ms_cause_facts *f, struct ms_causes *out);

/* One verdict per cause (level = severity, text = the cause's sentence,
 * next = its first remedy's command), appended to vs. */
void ms_causes_verdicts(const struct ms_causes *c, struct ms_verdicts *vs);

/* Every remedy of every cause, one per command (expected bytes summed
 * when several causes share one), ordered by bytes addressed: out[0..*n). */
void ms_causes_remedies(const struct ms_causes *c, struct ms_cause_remedy *out, int max, int *n);

#endif
