/* The remedies compare tries, and what its measurements mean: the table of
 * configurations (glibc settings, preloaded allocators and their purge
 * settings), the environment each run gets, medians, the ranking and the
 * plain-words recommendation with the lines that apply it. */
#ifndef MS_REMEDY_H
#define MS_REMEDY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include "findings/allocator.h"
#include "probe/workload.h"

#define MS_REMEDY_MAX_ENV 3

struct ms_remedy_cfg {
	const char *name;               /* stable id: --configs, JSON "config" */
	const char *what;               /* plain words */
	enum ms_allocator allocator;    /* MS_ALLOC_GLIBC: nothing preloaded */
	const char *env[MS_REMEDY_MAX_ENV]; /* "KEY=VALUE" settings */
};

extern const struct ms_remedy_cfg ms_remedy_cfgs[];
extern const size_t ms_remedy_ncfgs;

/* Environment variables a configuration may set: removed from the base
 * environment so that every run is exactly what its name says. */
int ms_remedy_is_allocator_var(const char *kv);

/* Environment for one configuration: base minus allocator settings, plus
 * the configuration's settings, plus LD_PRELOAD=lib (prepended to any
 * LD_PRELOAD already there).  NULL-terminated, malloc'd (ms_remedy_env_free). */
char **ms_remedy_env(const struct ms_remedy_cfg *c, const char *lib, char *const *base);
void   ms_remedy_env_free(char **env);

/* The moment a run's final RSS was read (probe/workload.h): at the
 * --final-at line, at the --final-after timer, or the last sample before
 * the run exited.  RSS read at different moments is not alike: a run that
 * missed the line was measured at another point of the workload. */
enum ms_final_moment { MS_MOMENT_NONE, MS_MOMENT_LINE, MS_MOMENT_TIMER, MS_MOMENT_EXIT };
enum ms_final_moment ms_run_moment(const struct ms_workload_run *w);
/* "line", "timer", "exit"; NULL for MS_MOMENT_NONE (JSON null). */
const char *ms_moment_id(enum ms_final_moment m);

/* The moment the runs were asked for (compare's --final-at and
 * --final-after) and the one compared (ms_remedy_moments). */
struct ms_compare_moment {
	enum ms_final_moment kind;
	const char *final_at;      /* the line's regular expression */
	double final_after;        /* s after the start; 0 none */
	uint64_t rlimit_as;        /* RLIMIT_AS the runs had, bytes; 0 unlimited */
};

/* One configuration's outcome over N runs: medians of the successful ones
 * read at the compared moment. */
struct ms_remedy_result {
	const struct ms_remedy_cfg *cfg;
	int      available;
	char     lib[PATH_MAX];        /* preloaded library, "" for glibc */
	char     skipped[160];         /* why not run, when !available */
	int      runs, runs_ok;
	uint64_t peak_rss, final_rss;  /* medians */
	double   wall_seconds, cpu_seconds;
	char     error[256];           /* first failure */
	struct ms_workload_run *all;   /* every run; the first ok one gives RSS over time */
	int      rank;                 /* 1 = best, 0 = unranked */
	enum ms_final_moment moment;   /* when the medians' runs were read */
	int      runs_compared;        /* ok runs read at the compared moment: the medians' runs */
	int      apart;                /* no run read at the compared moment: reported apart, never
					  ranked nor judged against the others */
	char     not_applied[200];     /* ms_remedy_check: why it did not reach the process measured;
					  such a result is never ranked, judged nor cited ("": it did,
					  or not known) */
	int      reached;              /* 1: its runs showed it reached the process */
	struct ms_alloc_seen seen;     /* the allocator its runs used (seen.read 0: not read) */
	uint64_t final_min, final_max; /* final RSS range over the medians' runs (the spread) */
	uint64_t final_vsz, peak_vsz;  /* medians: VmSize at the final moment, VmPeak */
	uint64_t vsz_min, vsz_max;     /* final VSZ range over the medians' runs */
	uint64_t peak_vsz_all;         /* the largest VmPeak of every run, failed ones too */
	int      by_vsz;               /* ranked and judged by final VSZ, not RSS (compare sets it
					  alike in every result: ms_remedy_vsz_rule) */
	int      baseline;             /* the row others are judged against when it is not
					  "glibc": the command as launched (compare's as-launched) */
	int      in_effect;            /* its settings are the ones the command was launched with:
					  never recommended ("already in effect") */
	char     settings[256];        /* as-launched: the allocator variables it kept, "A=1 B=2" */
};

/* Whether configuration c can reach a process that runs on s: a glibc
 * setting needs glibc's malloc in use (musl and a linked-in jemalloc
 * ignore MALLOC_ARENA_MAX and GLIBC_TUNABLES), a preloaded allocator a
 * dynamically linked glibc program (this host's libraries need glibc), and, when lib_checked (s was read in a run
 * of c itself), its library mapped in the process measured.  The default
 * (nothing set) always applies.  Returns 1 applies, 0 not (why: "jemalloc
 * was not loaded: static binary ignores LD_PRELOAD"), -1 not known
 * (s->read 0). */
int ms_remedy_applies(const struct ms_remedy_cfg *c, const struct ms_alloc_seen *s, int lib_checked,
		      char *why, size_t len);

/* Set r->reached, r->not_applied and r->seen from what its ok runs read
 * (ms_workload_run.alloc): not applied when any run was not reached. */
void ms_remedy_check(struct ms_remedy_result *r);

/* How many configurations besides the default can apply to a process on
 * s (trim sends a process to compare only when some can). */
size_t ms_remedy_napplicable(const struct ms_alloc_seen *s);

/* The baseline in words, by the allocator its run used: "glibc's default",
 * "the default (musl, static binary)", "the default (jemalloc, built in)". */
void ms_remedy_base_name(const struct ms_remedy_result *base, char *buf, size_t len);

/* The name a configuration's row goes by, in the text table and JSON
 * (runs[].label): its id, but the default ("glibc") run on another
 * allocator than a shared glibc is named by the allocator it used,
 * "default (musl)", "default (jemalloc)", "default (glibc-static)"; the
 * as-launched baseline by its allocator and settings, "glibc (MALLOC_ARENA_MAX=2)". */
void ms_remedy_label(const struct ms_remedy_result *r, char *buf, size_t len);

/* The allocator a configuration's runs were measured on, by name: the
 * default's is the one its run used (seen, when read), the others' the
 * one they set ("glibc", "jemalloc", ...). */
const char *ms_remedy_allocator(const struct ms_remedy_result *r);
/* What it is, in words: the table's description, but the default run on
 * another allocator is "the program's own allocator (musl, static binary),
 * default settings". */
void ms_remedy_description(const struct ms_remedy_result *r, char *buf, size_t len);

/* Fill medians from the ok runs of r->all[0..runs) (moment: the one most
 * of them were read at). */
void ms_remedy_summarise(struct ms_remedy_result *r);

/* The one rule for runs read at different moments: the compared moment is
 * the line when any run reached it (the moment asked for), else the one
 * glibc's default was read at (else the most common).  Each configuration's
 * medians are then taken over its runs read at that moment only; one with
 * none is set apart (r->apart: not ranked, not "no change", not "worse",
 * not a remedy's measured bytes).  Returns the compared moment (NONE when
 * no run succeeded).  Call after every ms_remedy_summarise. */
enum ms_final_moment ms_remedy_moments(struct ms_remedy_result *v, size_t n);

/* Why a configuration is reported apart, in words: "did not reach
 * /holding/ within 3.0 s: final RSS 213.5 MiB taken at the timer, not
 * compared".  "" when it is not apart. */
void ms_remedy_apart_reason(const struct ms_remedy_result *r, const struct ms_compare_moment *m, char *buf,
			    size_t len);

/* Rank successful results read at the compared moment by final RSS (final
 * VSZ when by_vsz), then peak, then wall time; results apart get rank 0. */
void ms_remedy_rank(struct ms_remedy_result *v, size_t n);

/* A configuration's final RSS within MS_REMEDY_SAME_SHARE of the default's
 * (and at least 2 MiB) is "no measurable change": with few runs per
 * configuration that is the stated noise threshold (compare's own "keep
 * the default" rule uses the same share).  The same setting spelled two
 * ways (ms_remedy_twin) is one setting: the two spellings' difference is
 * measured noise too, and both are judged on the higher final RSS of the
 * two, so that they never get different verdicts.  twin_final 0: no twin
 * measured.  Returns 1 lower (*saved = the bytes below base), 0 no
 * measurable change, -1 higher (harmful). */
#define MS_REMEDY_SAME_SHARE 0.10
int ms_remedy_effect(uint64_t final, uint64_t twin_final, uint64_t base, uint64_t *saved);
/* "glibc-tunable-arena-max-2" for "glibc-arena-max-2" and back; NULL none. */
const char *ms_remedy_twin(const char *name);
/* The configuration of that name, or NULL. */
const struct ms_remedy_cfg *ms_remedy_cfg_find(const char *name);

/* A result's measured effect against the baseline in v (ms_remedy_baseline;
 * its twin included): 1 lower, 0 no change, -1 worse (harmful), -2 not
 * judged (the baseline itself, no baseline measured at the same moment,
 * apart, not applied, or already in effect), -3 not measured: both ran
 * at least twice and their ranges of final RSS (VSZ when by_vsz) overlap,
 * so the difference is within run-to-run variation (unless every run of
 * both lies within the no-change tolerance: then 0, no change) (trial5 T5-5: 211.4,
 * 346.7, 224.0 MiB against 341.7..354.5 was called "37% less").  With one
 * run each there is no spread: ms_remedy_effect alone.
 * *saved: the bytes below the baseline. */
#define MS_REMEDY_NOT_MEASURED (-3)
int ms_remedy_judge(const struct ms_remedy_result *v, size_t n, const struct ms_remedy_result *r, uint64_t *saved);
/* "worse", "no_change", "lower", "not_measured"; NULL not judged. */
const char *ms_remedy_effect_id(int effect);

/* The row every other is judged against: the one marked baseline (the
 * command as launched, with the allocator variables of its environment),
 * else "glibc"; NULL when it did not run at the compared moment. */
const struct ms_remedy_result *ms_remedy_baseline(const struct ms_remedy_result *v, size_t n);

/* Whether configuration c sets exactly the allocator variables of env
 * (ms_remedy_is_allocator_var; a twin spelling counts as the same): the
 * setting is already in effect for a command launched with env. */
int ms_remedy_in_effect(const struct ms_remedy_cfg *c, char *const *env);

/* The allocator variables of env as one line, "MALLOC_ARENA_MAX=2
 * GLIBC_TUNABLES=..." (buf "" none); returns how many. */
int ms_remedy_launched(char *const *env, char *buf, size_t len);

/* The automatic VSZ rule (trial5 T5-11): rank by VSZ when the address
 * space is limited (rlimit_as: RLIMIT_AS in bytes, 0 unlimited) and the
 * baseline's VmPeak is within 25% of it, or the baseline failed near it. */
int ms_remedy_vsz_rule(const struct ms_remedy_result *base, uint64_t rlimit_as);

/* Whether a run set of r failed or hung under an address-space limit:
 * some run did not end well (failed, or was read at the timer while the
 * others reached the line) with its last VmPeak read within 25% of
 * rlimit_as (mmap of a thread stack fails with ENOMEM there; the reading
 * can be a sample before the failing mmap).  why: "fails under
 * the address-space limit (VmPeak 1.4 GiB of RLIMIT_AS 1.5 GiB)". */
int ms_remedy_as_failure(const struct ms_remedy_result *r, uint64_t rlimit_as, char *why, size_t len);

struct ms_recommendation {
	const struct ms_remedy_result *best;  /* NULL: keep the default (or nothing judged) */
	char text[1024];
	char same[512];          /* configurations that change nothing */
	char worse[512];         /* measured harmful: "glibc-arena-max-2 (166.0 MiB -> 880.5 MiB)", ... */
	char apart[1024];        /* not compared, with why: ms_remedy_apart_reason, "; "-separated */
	char not_applied[1024];  /* did not reach the process: "jemalloc-decay-0 (jemalloc was not loaded: ...)", "; "-separated */
	char base[320];          /* ms_remedy_base_name of the baseline */
	char not_measured[512];  /* within run-to-run variation of the baseline: names */
	uint64_t spread;         /* the largest half range among the baseline and those, bytes */
	int runs_hint;           /* the --runs that would measure them */
};

/* m: the moment compared (NULL: every result alike, as after
 * ms_remedy_summarise alone). */
void ms_remedy_recommend(const struct ms_remedy_result *v, size_t n, const struct ms_compare_moment *m,
			 struct ms_recommendation *rec);

/* The lines that apply a configuration: shell, systemd, docker, JVM. */
struct ms_apply {
	char shell[PATH_MAX + 512], systemd[PATH_MAX + 512], docker[PATH_MAX + 512], jvm[PATH_MAX + 512];
};
void ms_remedy_apply(const struct ms_remedy_result *r, const char *cmd, struct ms_apply *a);

#endif
