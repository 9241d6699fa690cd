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

/* One configuration's outcome over N runs: medians of the successful ones. */
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
};

/* Fill medians from r->all[0..runs). */
void ms_remedy_summarise(struct ms_remedy_result *r);

/* Rank successful results by final RSS, then peak, then wall time. */
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

struct ms_recommendation {
	const struct ms_remedy_result *best;  /* NULL: keep the default */
	char text[1024];
	char same[512];          /* configurations that change nothing */
};

void ms_remedy_recommend(const struct ms_remedy_result *v, size_t n,
			 struct ms_recommendation *rec);

/* The lines that apply a configuration: shell, systemd, docker, JVM. */
struct ms_apply {
	char shell[PATH_MAX + 512], systemd[PATH_MAX + 512], docker[PATH_MAX + 512], jvm[PATH_MAX + 512];
};
void ms_remedy_apply(const struct ms_remedy_result *r, const char *cmd, struct ms_apply *a);

#endif
