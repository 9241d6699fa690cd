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

/* Differences smaller than this are noise: 5% of the baseline, >= 2 MiB. */
int ms_remedy_same(uint64_t a, uint64_t base);

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
