#include "findings/remedy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/allocfind.h"
#include "util/size.h"

const struct ms_remedy_cfg ms_remedy_cfgs[] = {
	{ "glibc", "glibc malloc, default settings", MS_ALLOC_GLIBC, { 0 } },
	{ "glibc-arena-max-1", "glibc, one arena for all threads", MS_ALLOC_GLIBC,
	  { "MALLOC_ARENA_MAX=1" } },
	{ "glibc-arena-max-2", "glibc, at most 2 arenas", MS_ALLOC_GLIBC, { "MALLOC_ARENA_MAX=2" } },
	{ "glibc-arena-max-4", "glibc, at most 4 arenas", MS_ALLOC_GLIBC, { "MALLOC_ARENA_MAX=4" } },
	{ "glibc-tunable-arena-max-2", "glibc, at most 2 arenas (tunables spelling)", MS_ALLOC_GLIBC,
	  { "GLIBC_TUNABLES=glibc.malloc.arena_max=2" } },
	{ "glibc-trim-threshold-0", "glibc, give back a heap's free top at every free", MS_ALLOC_GLIBC,
	  { "GLIBC_TUNABLES=glibc.malloc.trim_threshold=0" } },
	{ "glibc-mmap-threshold-64k", "glibc, blocks of 64 KiB and more from mmap (unmapped at free)",
	  MS_ALLOC_GLIBC, { "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536" } },
	/* Setting either threshold turns glibc's dynamic adjustment off
	 * (mp_.no_dyn_threshold): a large free no longer raises them, so a
	 * thread arena's free top above trim_threshold is returned at free. */
	{ "glibc-fixed-thresholds", "glibc, thresholds fixed at 128 KiB (no dynamic raise): big blocks mmapped, arena tops returned",
	  MS_ALLOC_GLIBC, { "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072" } },
	{ "glibc-fixed-thresholds-1m", "glibc, thresholds fixed at 1 MiB mmap / 2 MiB trim (no dynamic raise)",
	  MS_ALLOC_GLIBC, { "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1048576:glibc.malloc.trim_threshold=2097152" } },
	{ "jemalloc", "jemalloc, default (freed pages purged over ~10 s)", MS_ALLOC_JEMALLOC, { 0 } },
	{ "jemalloc-decay-0", "jemalloc, freed pages returned at once", MS_ALLOC_JEMALLOC,
	  { "MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0" } },
	{ "tcmalloc", "tcmalloc (gperftools), default", MS_ALLOC_TCMALLOC, { 0 } },
	{ "mimalloc", "mimalloc, default", MS_ALLOC_MIMALLOC, { 0 } },
	/* mimalloc 2.0's page_reset uses MADV_FREE: the kernel takes those
	 * pages only under memory pressure, so RSS stays. */
	{ "mimalloc-page-reset", "mimalloc, freed pages reset with MADV_FREE (stay in RSS until memory is short)",
	  MS_ALLOC_MIMALLOC, { "MIMALLOC_PAGE_RESET=1" } },
	/* decommit_delay is the 2.0 name; 2.1+ reads it as purge_delay. */
	{ "mimalloc-decommit-0", "mimalloc, freed memory decommitted at once with MADV_DONTNEED",
	  MS_ALLOC_MIMALLOC, { "MIMALLOC_DECOMMIT_DELAY=0" } },
};
const size_t ms_remedy_ncfgs = sizeof ms_remedy_cfgs / sizeof ms_remedy_cfgs[0];

int ms_remedy_is_allocator_var(const char *kv)
{
	static const char *const exact[] = {
		"MALLOC_ARENA_MAX=", "MALLOC_ARENA_TEST=", "MALLOC_TRIM_THRESHOLD_=",
		"MALLOC_MMAP_THRESHOLD_=", "MALLOC_TOP_PAD_=", "MALLOC_MMAP_MAX_=",
		"MALLOC_PERTURB_=", "MALLOC_CHECK_=", "GLIBC_TUNABLES=", "MALLOC_CONF=",
		"JE_MALLOC_CONF=",
	};
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (!strncmp(kv, exact[i], strlen(exact[i])))
			return 1;
	return !strncmp(kv, "MIMALLOC_", 9) || !strncmp(kv, "TCMALLOC_", 9);
}

char **ms_remedy_env(const struct ms_remedy_cfg *c, const char *lib, char *const *base)
{
	size_t n = 0;
	while (base && base[n])
		n++;
	char **env = calloc(n + MS_REMEDY_MAX_ENV + 2, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	const char *old_preload = NULL;
	for (size_t i = 0; i < n; i++) {
		if (ms_remedy_is_allocator_var(base[i]))
			continue;
		if (!strncmp(base[i], "LD_PRELOAD=", 11) && lib && lib[0]) {
			old_preload = base[i] + 11;
			continue;
		}
		env[k++] = strdup(base[i]);
	}
	for (size_t i = 0; i < MS_REMEDY_MAX_ENV && c->env[i]; i++)
		env[k++] = strdup(c->env[i]);
	if (lib && lib[0]) {
		char *pre = NULL;
		if (asprintf(&pre, "LD_PRELOAD=%s%s%s", lib, old_preload && *old_preload ? ":" : "",
			     old_preload ? old_preload : "") < 0)
			pre = NULL;
		env[k++] = pre;
	}
	for (size_t i = 0; i < k; i++)
		if (!env[i]) {
			ms_remedy_env_free(env);
			return NULL;
		}
	return env;
}

void ms_remedy_env_free(char **env)
{
	if (!env)
		return;
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median of n values (n >= 1): the middle one, or the mean of the two. */
static uint64_t median_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return n % 2 ? v[n / 2] : v[n / 2 - 1] / 2 + v[n / 2] / 2;
}

static double median_double(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void ms_remedy_summarise(struct ms_remedy_result *r)
{
	uint64_t peak[r->runs > 0 ? r->runs : 1], fin[r->runs > 0 ? r->runs : 1];
	double wall[r->runs > 0 ? r->runs : 1], cpu[r->runs > 0 ? r->runs : 1];
	size_t k = 0;
	for (int i = 0; i < r->runs; i++) {
		const struct ms_workload_run *w = &r->all[i];
		if (!w->ok) {
			if (!r->error[0])
				snprintf(r->error, sizeof r->error, "%s", w->error);
			continue;
		}
		peak[k] = w->peak_rss;
		fin[k] = w->final_rss;
		wall[k] = w->wall_seconds;
		cpu[k] = w->cpu_seconds;
		k++;
	}
	r->runs_ok = (int)k;
	if (!k)
		return;
	r->peak_rss = median_u64(peak, k);
	r->final_rss = median_u64(fin, k);
	r->wall_seconds = median_double(wall, k);
	r->cpu_seconds = median_double(cpu, k);
}

static int ranked_before(const struct ms_remedy_result *a, const struct ms_remedy_result *b)
{
	if (a->final_rss != b->final_rss)
		return a->final_rss < b->final_rss;
	if (a->peak_rss != b->peak_rss)
		return a->peak_rss < b->peak_rss;
	return a->wall_seconds < b->wall_seconds;
}

void ms_remedy_rank(struct ms_remedy_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		v[i].rank = 0;
		if (!v[i].available || !v[i].runs_ok)
			continue;
		int rank = 1;
		for (size_t j = 0; j < n; j++)
			if (j != i && v[j].available && v[j].runs_ok &&
			    (ranked_before(&v[j], &v[i]) ||
			     (!ranked_before(&v[i], &v[j]) && j < i)))
				rank++;
		v[i].rank = rank;
	}
}

int ms_remedy_effect(uint64_t final, uint64_t twin_final, uint64_t base, uint64_t *saved)
{
	uint64_t v = twin_final > final ? twin_final : final, tol = (uint64_t)((double)base * MS_REMEDY_SAME_SHARE);
	if (tol < (2u << 20))
		tol = 2u << 20;
	*saved = 0;
	if ((v > base ? v - base : base - v) <= tol)
		return 0;
	if (v > base)
		return -1;
	*saved = base - v;
	return 1;
}

const char *ms_remedy_twin(const char *name)
{
	static const char *const twins[][2] = { { "glibc-arena-max-2", "glibc-tunable-arena-max-2" } };
	for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
		for (int k = 0; k < 2; k++)
			if (!strcmp(name, twins[i][k]))
				return twins[i][!k];
	return NULL;
}

const struct ms_remedy_cfg *ms_remedy_cfg_find(const char *name)
{
	for (size_t i = 0; i < ms_remedy_ncfgs; i++)
		if (!strcmp(ms_remedy_cfgs[i].name, name))
			return &ms_remedy_cfgs[i];
	return NULL;
}

static const struct ms_remedy_result *find(const struct ms_remedy_result *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].cfg->name, name) && v[i].available && v[i].runs_ok)
			return &v[i];
	return NULL;
}

/* ms_remedy_effect of one result, judged with its twin when it ran. */
static int twin_effect(const struct ms_remedy_result *v, size_t n, const struct ms_remedy_result *r, uint64_t base,
		       uint64_t *saved)
{
	const char *t = ms_remedy_twin(r->cfg->name);
	const struct ms_remedy_result *tw = t ? find(v, n, t) : NULL;
	return ms_remedy_effect(r->final_rss, tw ? tw->final_rss : 0, base, saved);
}

void ms_remedy_recommend(const struct ms_remedy_result *v, size_t n, struct ms_recommendation *rec)
{
	memset(rec, 0, sizeof *rec);
	const struct ms_remedy_result *base = find(v, n, "glibc"), *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i].rank == 1)
			best = &v[i];
	if (!best) {
		snprintf(rec->text, sizeof rec->text, "No configuration completed a run: nothing to recommend.");
		return;
	}
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF];
	if (!base) {
		rec->best = best;
		snprintf(rec->text, sizeof rec->text,
			 "The glibc default did not complete, so there is no baseline; the lowest final RSS is %s with %s (%s).",
			 ms_size_fmt(best->final_rss, a), best->cfg->name, best->cfg->what);
		return;
	}
	size_t off = 0;
	uint64_t below;
	for (size_t i = 0; i < n; i++)
		if (&v[i] != base && v[i].available && v[i].runs_ok && !twin_effect(v, n, &v[i], base->final_rss, &below))
			off += (size_t)snprintf(rec->same + off, off < sizeof rec->same ? sizeof rec->same - off : 0,
						"%s%s", off ? ", " : "", v[i].cfg->name);
	if (best == base || twin_effect(v, n, best, base->final_rss, &below) != 1) {
		snprintf(rec->text, sizeof rec->text,
			 "Keep the default: no configuration ends more than %.0f%% below glibc's %s. "
			 "Final RSS alone does not say whether this memory is in use or free memory glibc keeps "
			 "(a setting may simply not reach it): memsleuth arenas PID at that moment tells (free vs "
			 "in use, and what malloc_trim(0) would return); memsleuth hotspots names who allocates.",
			 100 * MS_REMEDY_SAME_SHARE, ms_size_fmt(base->final_rss, a));
		return;
	}
	rec->best = best;
	double saved = 100.0 * (double)(base->final_rss - best->final_rss) / (double)base->final_rss;
	double slower = base->wall_seconds > 0 ? best->wall_seconds / base->wall_seconds : 1;
	int len = snprintf(rec->text, sizeof rec->text,
			   "Use %s (%s): the final RSS is %s instead of %s with glibc's default (%.0f%% less), "
			   "peak %s, wall time %.2fx the default's.",
			   best->cfg->name, best->cfg->what, ms_size_fmt(best->final_rss, a),
			   ms_size_fmt(base->final_rss, b), saved, ms_size_fmt(best->peak_rss, c), slower);
	if (slower > 1.5 && len > 0 && (size_t)len < sizeof rec->text)
		snprintf(rec->text + len, sizeof rec->text - (size_t)len,
			 " It costs time: measure the workload's throughput before adopting it.");
}

void ms_remedy_apply(const struct ms_remedy_result *r, const char *cmd, struct ms_apply *a)
{
	char env[PATH_MAX + 256] = "", sysd[PATH_MAX + 256] = "", dock[PATH_MAX + 256] = "";
	size_t eo = 0, so = 0, dpos = 0;
	const char *vars[MS_REMEDY_MAX_ENV + 1];
	char pre[PATH_MAX + 16];
	size_t nv = 0;
	if (r->lib[0]) {
		snprintf(pre, sizeof pre, "LD_PRELOAD=%s", r->lib);
		vars[nv++] = pre;
	}
	for (size_t i = 0; i < MS_REMEDY_MAX_ENV && r->cfg->env[i]; i++)
		vars[nv++] = r->cfg->env[i];
	for (size_t i = 0; i < nv; i++) {
		eo += (size_t)snprintf(env + eo, eo < sizeof env ? sizeof env - eo : 0, "%s ", vars[i]);
		so += (size_t)snprintf(sysd + so, so < sizeof sysd ? sizeof sysd - so : 0, " \"%s\"", vars[i]);
		dpos += (size_t)snprintf(dock + dpos, dpos < sizeof dock ? sizeof dock - dpos : 0, " -e %s", vars[i]);
	}
	snprintf(a->shell, sizeof a->shell, "%s%s", env, cmd);
	snprintf(a->systemd, sizeof a->systemd, "[Service] Environment=%s", nv ? sysd + 1 : "");
	snprintf(a->docker, sizeof a->docker, "docker run%s IMAGE%s", dock,
		 r->lib[0] ? "   (the image must have the library: apt-get install " : "");
	if (r->lib[0]) {
		size_t l = strlen(a->docker);
		snprintf(a->docker + l, sizeof a->docker - l, "%s)", ms_allocator_package(r->cfg->allocator));
	}
	snprintf(a->jvm, sizeof a->jvm, "%sjava ...   (or export them in the launcher script before 'exec java')", env);
}
