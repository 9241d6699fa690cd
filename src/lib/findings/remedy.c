#include "findings/remedy.h"

#include <stdarg.h>
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
	/* No tcache: every free reaches the heap, so freed chunks at the top
	 * merge into it and free() trims it (trim_threshold). */
	{ "glibc-tcache-0", "glibc, no per-thread cache (glibc.malloc.tcache_count=0): frees reach the heap at once",
	  MS_ALLOC_GLIBC, { "GLIBC_TUNABLES=glibc.malloc.tcache_count=0" } },
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

int ms_remedy_applies(const struct ms_remedy_cfg *c, const struct ms_alloc_seen *s, int lib_checked,
		      char *why, size_t len)
{
	char who[64];
	why[0] = 0;
	if (c->allocator == MS_ALLOC_GLIBC && !c->env[0])
		return 1;   /* the default: nothing to reach */
	if (!s->read)
		return -1;
	ms_alloc_seen_name(s, who, sizeof who);
	if (c->allocator != MS_ALLOC_GLIBC) {
		if (s->is_static) {
			snprintf(why, len, "%s was not loaded: static binary ignores LD_PRELOAD", ms_allocator_name(c->allocator));
			return 0;
		}
		if (s->allocator == MS_ALLOC_MUSL) {
			/* Debian's libjemalloc needs libc.so.6, libstdc++ and glibc symbols */
			snprintf(why, len, "%s was not loaded: this host's library is built for glibc, the process runs on musl",
				 ms_allocator_name(c->allocator));
			return 0;
		}
		if (lib_checked && !s->lib_mapped) {
			snprintf(why, len, "%s was not loaded: its library is not mapped in process %d (LD_PRELOAD did "
				 "not reach it)", ms_allocator_name(c->allocator), (int)s->pid);
			return 0;
		}
		return 1;
	}
	if (ms_allocator_is_glibc(s->allocator))
		return 1;
	/* "MALLOC_ARENA_MAX=2" -> "MALLOC_ARENA_MAX" */
	snprintf(why, len, "glibc's malloc is not in use (the allocator is %s): it ignores %.*s", who,
		 (int)strcspn(c->env[0], "="), c->env[0]);
	return 0;
}

void ms_remedy_check(struct ms_remedy_result *r)
{
	r->reached = 0;
	if (r->not_applied[0])
		return;   /* decided before it ran */
	int known = 0, all = 1;
	for (int i = 0; i < r->runs; i++) {
		const struct ms_workload_run *w = &r->all[i];
		if (!w->ok)
			continue;
		if (!r->seen.read)
			r->seen = w->alloc;
		int a = ms_remedy_applies(r->cfg, &w->alloc, r->lib[0] != 0, r->not_applied, sizeof r->not_applied);
		if (a == 0) {
			r->seen = w->alloc;
			return;
		}
		known |= a == 1;
		all &= a == 1;
	}
	r->reached = known && all;
}

size_t ms_remedy_napplicable(const struct ms_alloc_seen *s)
{
	size_t n = 0;
	char why[200];
	for (size_t i = 0; i < ms_remedy_ncfgs; i++)
		n += (ms_remedy_cfgs[i].allocator != MS_ALLOC_GLIBC || ms_remedy_cfgs[i].env[0]) &&
		     ms_remedy_applies(&ms_remedy_cfgs[i], s, 0, why, sizeof why) != 0;
	return n;
}

void ms_remedy_base_name(const struct ms_remedy_result *base, char *buf, size_t len)
{
	char who[64];
	if (base && base->baseline) {
		snprintf(buf, len, "the command as launched (%s)", base->settings);
		return;
	}
	if (!base || !base->seen.read || (base->seen.allocator == MS_ALLOC_GLIBC && !base->seen.builtin)) {
		snprintf(buf, len, "glibc's default");
		return;
	}
	ms_alloc_seen_name(&base->seen, who, sizeof who);
	snprintf(buf, len, "the default (%s)", who);
}

/* The default's run, when it ran on another allocator than a shared glibc. */
static int default_elsewhere(const struct ms_remedy_result *r)
{
	return !strcmp(r->cfg->name, "glibc") && r->seen.read &&
	       (r->seen.allocator != MS_ALLOC_GLIBC || r->seen.builtin);
}

void ms_remedy_label(const struct ms_remedy_result *r, char *buf, size_t len)
{
	if (r->baseline)   /* as launched: "glibc (MALLOC_ARENA_MAX=2)" */
		snprintf(buf, len, "%s (%s)", ms_allocator_name(r->seen.read ? r->seen.allocator : MS_ALLOC_GLIBC),
			 r->settings);
	else if (default_elsewhere(r))
		snprintf(buf, len, "default (%s)", ms_allocator_name(r->seen.allocator));
	else
		snprintf(buf, len, "%s", r->cfg->name);
}

const char *ms_remedy_allocator(const struct ms_remedy_result *r)
{
	return ms_allocator_name(default_elsewhere(r) ? r->seen.allocator : r->cfg->allocator);
}

void ms_remedy_description(const struct ms_remedy_result *r, char *buf, size_t len)
{
	char who[64];
	if (!default_elsewhere(r)) {
		snprintf(buf, len, "%s", r->cfg->what);
		return;
	}
	ms_alloc_seen_name(&r->seen, who, sizeof who);
	snprintf(buf, len, "the program's own allocator (%s), default settings", who);
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

enum ms_final_moment ms_run_moment(const struct ms_workload_run *w)
{
	if (!w->ok)
		return MS_MOMENT_NONE;
	if (w->final_by_time)
		return MS_MOMENT_TIMER;
	return w->final_at_seen ? MS_MOMENT_LINE : MS_MOMENT_EXIT;
}

const char *ms_moment_id(enum ms_final_moment m)
{
	return m == MS_MOMENT_LINE ? "line" : m == MS_MOMENT_TIMER ? "timer" : m == MS_MOMENT_EXIT ? "exit" : NULL;
}

/* Medians over the ok runs read at moment m (NONE: every ok run). */
static void summarise_at(struct ms_remedy_result *r, enum ms_final_moment m)
{
	uint64_t peak[r->runs > 0 ? r->runs : 1], fin[r->runs > 0 ? r->runs : 1];
	uint64_t vsz[r->runs > 0 ? r->runs : 1], pvsz[r->runs > 0 ? r->runs : 1];
	double wall[r->runs > 0 ? r->runs : 1], cpu[r->runs > 0 ? r->runs : 1];
	size_t k = 0;
	int ok = 0, count[MS_MOMENT_EXIT + 1] = { 0 };
	r->peak_vsz_all = 0;
	for (int i = 0; i < r->runs; i++) {
		const struct ms_workload_run *w = &r->all[i];
		if (w->peak_vsz > r->peak_vsz_all)
			r->peak_vsz_all = w->peak_vsz;
		if (!w->ok) {
			if (!r->error[0])
				snprintf(r->error, sizeof r->error, "%s", w->error);
			continue;
		}
		ok++;
		count[ms_run_moment(w)]++;
		if (m != MS_MOMENT_NONE && ms_run_moment(w) != m)
			continue;
		peak[k] = w->peak_rss;
		fin[k] = w->final_rss;
		vsz[k] = w->final_vsz;
		pvsz[k] = w->peak_vsz;
		wall[k] = w->wall_seconds;
		cpu[k] = w->cpu_seconds;
		k++;
	}
	if (ok && !k) {
		/* apart: its own medians, over the runs read at its own moment, shown as such */
		summarise_at(r, MS_MOMENT_NONE);
		r->apart = 1;
		r->runs_compared = 0;
		return;
	}
	r->runs_ok = ok;
	r->runs_compared = (int)k;
	r->apart = 0;
	r->moment = m;
	if (m == MS_MOMENT_NONE)   /* the moment most runs were read at */
		for (int i = MS_MOMENT_LINE; i <= MS_MOMENT_EXIT; i++)
			if (count[i] > (r->moment ? count[r->moment] : 0))
				r->moment = (enum ms_final_moment)i;
	if (!k)
		return;
	r->peak_rss = median_u64(peak, k);
	r->final_rss = median_u64(fin, k);   /* sorts fin: the range is its ends */
	r->final_min = fin[0];
	r->final_max = fin[k - 1];
	r->final_vsz = median_u64(vsz, k);
	r->vsz_min = vsz[0];
	r->vsz_max = vsz[k - 1];
	r->peak_vsz = median_u64(pvsz, k);
	r->wall_seconds = median_double(wall, k);
	r->cpu_seconds = median_double(cpu, k);
}

void ms_remedy_summarise(struct ms_remedy_result *r)
{
	summarise_at(r, MS_MOMENT_NONE);
}

enum ms_final_moment ms_remedy_moments(struct ms_remedy_result *v, size_t n)
{
	enum ms_final_moment m = MS_MOMENT_NONE;
	int count[MS_MOMENT_EXIT + 1] = { 0 };
	const struct ms_remedy_result *base = NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i].not_applied[0])
			continue;   /* what it measured is the default again, or nothing */
		for (int k = 0; v[i].available && k < v[i].runs; k++)
			if (ms_run_moment(&v[i].all[k]) == MS_MOMENT_LINE)
				m = MS_MOMENT_LINE;
		if (v[i].available && v[i].runs_ok) {
			count[v[i].moment]++;
			if (!strcmp(v[i].cfg->name, "glibc"))
				base = &v[i];
		}
	}
	if (m == MS_MOMENT_NONE && base)
		m = base->moment;
	for (int i = MS_MOMENT_LINE; m == MS_MOMENT_NONE && i <= MS_MOMENT_EXIT; i++)
		if (count[i] && (m == MS_MOMENT_NONE || count[i] > count[m]))
			m = (enum ms_final_moment)i;
	for (size_t i = 0; m != MS_MOMENT_NONE && i < n; i++)
		if (v[i].available && v[i].runs_ok)
			summarise_at(&v[i], m);
	return m;
}

/* What happened to a run set apart: "did not reach /holding/ within 3.0 s:
 * final RSS 213.5 MiB taken at the timer". */
static void apart_what(const struct ms_remedy_result *r, const struct ms_compare_moment *m, char *buf, size_t len)
{
	char a[MS_SIZE_BUF], after[48] = "", line[200];
	snprintf(line, sizeof line, "/%.180s/", m->final_at ? m->final_at : "");
	if (m->final_after > 0)
		snprintf(after, sizeof after, "%.1f s", m->final_after);
	ms_size_fmt(r->final_rss, a);
	if (r->moment == MS_MOMENT_TIMER && m->kind == MS_MOMENT_LINE)
		snprintf(buf, len, "did not reach %s within %s: final RSS %s taken at the timer", line, after, a);
	else if (r->moment == MS_MOMENT_TIMER)
		snprintf(buf, len, "was still running %s after its start: final RSS %s taken at the timer", after, a);
	else if (m->kind == MS_MOMENT_LINE)
		snprintf(buf, len, "exited without printing %s: final RSS %s is the last sample before its exit", line, a);
	else
		snprintf(buf, len, "exited before the timer (%s): final RSS %s is the last sample before its exit", after, a);
}

void ms_remedy_apart_reason(const struct ms_remedy_result *r, const struct ms_compare_moment *m, char *buf,
			    size_t len)
{
	char what[320];
	buf[0] = 0;
	if (!r->apart || !m)
		return;
	if (ms_remedy_as_failure(r, m->rlimit_as, what, sizeof what)) {
		snprintf(buf, len, "%s, not compared", what);
		return;
	}
	apart_what(r, m, what, sizeof what);
	snprintf(buf, len, "%s, not compared%s", what,
		 r->moment == MS_MOMENT_TIMER && m->kind == MS_MOMENT_LINE ?
		 " (a longer --final-after lets it reach the line)" : "");
}

/* What a result is ranked and judged by: final RSS, or final VSZ under
 * the VSZ rule; and its range over the runs. */
static uint64_t metric(const struct ms_remedy_result *r)
{
	return r->by_vsz ? r->final_vsz : r->final_rss;
}

static void metric_range(const struct ms_remedy_result *r, uint64_t *lo, uint64_t *hi)
{
	*lo = r->by_vsz ? r->vsz_min : r->final_min;
	*hi = r->by_vsz ? r->vsz_max : r->final_max;
	if (r->runs_compared < 2 || *hi < *lo)   /* no spread measured */
		*lo = *hi = metric(r);
}

static int ranked_before(const struct ms_remedy_result *a, const struct ms_remedy_result *b)
{
	if (metric(a) != metric(b))
		return metric(a) < metric(b);
	if (a->peak_rss != b->peak_rss)
		return a->peak_rss < b->peak_rss;
	return a->wall_seconds < b->wall_seconds;
}

void ms_remedy_rank(struct ms_remedy_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		v[i].rank = 0;
		if (!v[i].available || !v[i].runs_ok || v[i].apart || v[i].not_applied[0])
			continue;
		int rank = 1;
		for (size_t j = 0; j < n; j++)
			if (j != i && v[j].available && v[j].runs_ok && !v[j].apart && !v[j].not_applied[0] &&
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

static int usable(const struct ms_remedy_result *r)
{
	return r->available && r->runs_ok && !r->apart && !r->not_applied[0];
}

static const struct ms_remedy_result *find(const struct ms_remedy_result *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].cfg->name, name) && usable(&v[i]))
			return &v[i];
	return NULL;
}

const struct ms_remedy_result *ms_remedy_baseline(const struct ms_remedy_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].baseline)
			return usable(&v[i]) ? &v[i] : NULL;
	return find(v, n, "glibc");
}

/* ms_remedy_effect of one result, judged with its twin when it ran; two
 * ranges that overlap are no measure (the twin's range joins its own). */
static int twin_effect(const struct ms_remedy_result *v, size_t n, const struct ms_remedy_result *r,
		       const struct ms_remedy_result *base, uint64_t *saved)
{
	const char *t = ms_remedy_twin(r->cfg->name);
	const struct ms_remedy_result *tw = t ? find(v, n, t) : NULL;
	uint64_t lo, hi, blo, bhi, tlo, thi;
	metric_range(r, &lo, &hi);
	metric_range(base, &blo, &bhi);
	if (tw) {
		metric_range(tw, &tlo, &thi);
		lo = tlo < lo ? tlo : lo;
		hi = thi > hi ? thi : hi;
	}
	*saved = 0;
	int spread = r->runs_compared >= 2 && base->runs_compared >= 2;
	if (spread && lo <= bhi && blo <= hi) {
		/* overlapping: "no change" only when every run of both lies in a
		 * band narrower than the no-change tolerance (ms_remedy_effect):
		 * then no difference beyond it can hide in the spread */
		uint64_t tol = (uint64_t)((double)metric(base) * MS_REMEDY_SAME_SHARE);
		if (tol < (2u << 20))
			tol = 2u << 20;
		if ((hi > bhi ? hi : bhi) - (lo < blo ? lo : blo) <= tol)
			return 0;
		return MS_REMEDY_NOT_MEASURED;
	}
	return ms_remedy_effect(metric(r), tw ? metric(tw) : 0, metric(base), saved);
}

int ms_remedy_judge(const struct ms_remedy_result *v, size_t n, const struct ms_remedy_result *r, uint64_t *saved)
{
	const struct ms_remedy_result *base = ms_remedy_baseline(v, n);
	*saved = 0;
	if (!base || r == base || !usable(r) || r->in_effect)
		return -2;
	return twin_effect(v, n, r, base, saved);
}

const char *ms_remedy_effect_id(int effect)
{
	return effect == 1 ? "lower" : effect == 0 ? "no_change" : effect == -1 ? "worse" :
	       effect == MS_REMEDY_NOT_MEASURED ? "not_measured" : NULL;
}

int ms_remedy_launched(char *const *env, char *buf, size_t len)
{
	int k = 0;
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; env && env[i]; i++)
		if (ms_remedy_is_allocator_var(env[i])) {
			if (off < len)
				off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? " " : "", env[i]);
			k++;
		}
	return k;
}

/* c sets exactly the allocator variables of env. */
static int sets_exactly(const struct ms_remedy_cfg *c, char *const *env)
{
	int nenv = 0, nc = 0;
	for (size_t i = 0; env && env[i]; i++)
		nenv += ms_remedy_is_allocator_var(env[i]);
	for (; nc < MS_REMEDY_MAX_ENV && c->env[nc]; nc++) {
		int found = 0;
		for (size_t i = 0; env && env[i] && !found; i++)
			found = !strcmp(env[i], c->env[nc]);
		if (!found)
			return 0;
	}
	return nc == nenv;
}

int ms_remedy_in_effect(const struct ms_remedy_cfg *c, char *const *env)
{
	if (c->allocator != MS_ALLOC_GLIBC || !c->env[0])
		return 0;   /* a preloaded allocator is stripped from no row: never equal; the default is glibc's row */
	const char *t = ms_remedy_twin(c->name);
	const struct ms_remedy_cfg *tw = t ? ms_remedy_cfg_find(t) : NULL;
	return sets_exactly(c, env) || (tw && sets_exactly(tw, env));
}

int ms_remedy_vsz_rule(const struct ms_remedy_result *base, uint64_t rlimit_as)
{
	if (!rlimit_as || !base)
		return 0;
	uint64_t peak = base->peak_vsz > base->peak_vsz_all ? base->peak_vsz : base->peak_vsz_all;
	return peak >= rlimit_as / 4 * 3;
}

int ms_remedy_as_failure(const struct ms_remedy_result *r, uint64_t rlimit_as, char *why, size_t len)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	why[0] = 0;
	/* the last VmPeak read can be a sample before the failing mmap: near = within 25% */
	if (!rlimit_as || r->peak_vsz_all < rlimit_as / 4 * 3)
		return 0;
	int bad = r->runs_ok < r->runs || (r->apart && r->moment == MS_MOMENT_TIMER);
	if (!bad)
		return 0;
	snprintf(why, len, "fails under the address-space limit (VmPeak %s of RLIMIT_AS %s)",
		 ms_size_fmt(r->peak_vsz_all, a), ms_size_fmt(rlimit_as, b));
	return 1;
}

/* append "sep item" to a fixed buffer; the list is cut, never overrun */
static void list_add(char *buf, size_t len, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void list_add(char *buf, size_t len, const char *sep, const char *fmt, ...)
{
	size_t off = strlen(buf);
	if (off && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s", sep);
	if (off >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

/* The --runs that would tell a difference of a few MiB from the spread. */
static int more_runs(const struct ms_remedy_result *base)
{
	int r = base->runs < 5 ? 10 : base->runs * 2;
	return r > 50 ? 50 : r;
}

/* "341.7 MiB (341.7..354.5 MiB over 3 runs)", or the value alone with one run */
static void with_range(const struct ms_remedy_result *r, char *buf, size_t len)
{
	char a[MS_SIZE_BUF], lo[MS_SIZE_BUF], hi[MS_SIZE_BUF];
	uint64_t l, h;
	metric_range(r, &l, &h);
	ms_size_fmt(metric(r), a);
	if (r->runs_compared >= 2)
		snprintf(buf, len, "%s (%s..%s over %d runs)", a, ms_size_fmt(l, lo), ms_size_fmt(h, hi), r->runs_compared);
	else
		snprintf(buf, len, "%s", a);
}

void ms_remedy_recommend(const struct ms_remedy_result *v, size_t n, const struct ms_compare_moment *m,
			 struct ms_recommendation *rec)
{
	memset(rec, 0, sizeof *rec);
	const struct ms_remedy_result *base = ms_remedy_baseline(v, n), *best = NULL, *base_apart = NULL;
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], why[400];
	int others = 0;   /* configurations besides the baseline that reached the process */
	int has_marked = 0;
	for (size_t i = 0; i < n; i++)
		has_marked |= v[i].baseline;
	for (size_t i = 0; i < n; i++) {
		int is_base = has_marked ? v[i].baseline : !strcmp(v[i].cfg->name, "glibc");
		if (is_base)
			ms_remedy_base_name(&v[i], rec->base, sizeof rec->base);
		if (v[i].not_applied[0]) {
			list_add(rec->not_applied, sizeof rec->not_applied, "; ", "%s (%s)", v[i].cfg->name, v[i].not_applied);
			continue;
		}
		others += !is_base && v[i].available && v[i].runs_ok;
		if (!v[i].apart)
			continue;
		if (is_base)
			base_apart = &v[i];
		ms_remedy_apart_reason(&v[i], m, why, sizeof why);
		list_add(rec->apart, sizeof rec->apart, "; ", "%s %s", v[i].cfg->name, why);
	}
	if (!rec->base[0])
		ms_remedy_base_name(NULL, rec->base, sizeof rec->base);
	if (base_apart) {
		/* never compared with the others: measured at another moment */
		char later[96] = "";
		if (base_apart->moment == MS_MOMENT_TIMER && m && m->final_after > 0)
			snprintf(later, sizeof later, " Rerun with a longer --final-after (e.g. --final-after %.0f).",
				 m->final_after * 4 < 60 ? 60 : m->final_after * 4);
		if (m)
			apart_what(base_apart, m, why, sizeof why);
		snprintf(rec->text, sizeof rec->text,
			 "Not judged: %s %s; no configuration is compared with it and nothing is "
			 "recommended.%s", rec->base, m ? why : "was read at another moment than the others", later);
		return;
	}
	if (base && !others && rec->not_applied[0]) {
		/* the default alone: nothing was compared, and that is no finding about the settings */
		snprintf(rec->text, sizeof rec->text,
			 "Nothing compared: no configuration reached this process, only %s ran (final RSS %s); "
			 "memsleuth overview PID at that moment shows where the memory lives.",
			 rec->base, ms_size_fmt(base->final_rss, a));
		return;
	}
	/* the best: the first by rank measured lower than the baseline, never
	 * one on overlapping ranges nor the setting already in effect */
	uint64_t below;
	const struct ms_remedy_result *first = NULL;
	for (int rank = 1; rank <= (int)n && !best; rank++)
		for (size_t i = 0; i < n; i++)
			if (v[i].rank == rank) {
				if (!first)
					first = &v[i];
				if (base && ms_remedy_judge(v, n, &v[i], &below) == 1)
					best = &v[i];
			}
	if (!first) {
		snprintf(rec->text, sizeof rec->text, "No configuration completed a run: nothing to recommend.");
		return;
	}
	if (!base) {
		rec->best = first;
		snprintf(rec->text, sizeof rec->text,
			 "The default did not complete, so there is no baseline; the lowest final %s is %s with %s (%s).",
			 first->by_vsz ? "VSZ" : "RSS", ms_size_fmt(metric(first), a), first->cfg->name, first->cfg->what);
		return;
	}
	const char *what = base->by_vsz ? "VSZ" : "RSS";
	uint64_t blo, bhi;
	metric_range(base, &blo, &bhi);
	rec->spread = (bhi - blo) / 2;
	for (size_t i = 0; i < n; i++) {
		int e = ms_remedy_judge(v, n, &v[i], &below);
		uint64_t lo, hi;
		metric_range(&v[i], &lo, &hi);
		if (e == 0)
			list_add(rec->same, sizeof rec->same, ", ", "%s", v[i].cfg->name);
		else if (e == -1)
			list_add(rec->worse, sizeof rec->worse, ", ", "%s (%s -> %s)", v[i].cfg->name,
				 ms_size_fmt(metric(base), a), ms_size_fmt(metric(&v[i]), b));
		else if (e == MS_REMEDY_NOT_MEASURED) {
			list_add(rec->not_measured, sizeof rec->not_measured, ", ", "%s (%s..%s)", v[i].cfg->name,
				 ms_size_fmt(lo, a), ms_size_fmt(hi, b));
			if ((hi - lo) / 2 > rec->spread)
				rec->spread = (hi - lo) / 2;
		}
	}
	if (rec->not_measured[0])
		rec->runs_hint = more_runs(base);
	char basev[160], nm[160] = "";
	with_range(base, basev, sizeof basev);
	if (rec->not_measured[0])
		snprintf(nm, sizeof nm, " Within run-to-run variation (+-%s), not measured: use --runs %d.",
			 ms_size_fmt(rec->spread, a), rec->runs_hint);
	/* arenas walks the heaps of a shared glibc only */
	int glibc = !base->seen.read || base->seen.allocator == MS_ALLOC_GLIBC;
	if (!best) {
		if (base->by_vsz)
			snprintf(rec->text, sizeof rec->text,
				 "Keep %s: no configuration ends with a VSZ more than %.0f%% below %s, %s.%s",
				 base->baseline ? "what runs" : "the default", 100 * MS_REMEDY_SAME_SHARE, rec->base, basev, nm);
		else
			snprintf(rec->text, sizeof rec->text,
				 "Keep %s: no configuration ends more than %.0f%% below %s, %s.%s "
				 "Final RSS alone does not say whether this memory is in use or free memory %s keeps "
				 "(a setting may simply not reach it): %s; memsleuth hotspots names who allocates.",
				 base->baseline ? "what runs" : "the default", 100 * MS_REMEDY_SAME_SHARE, rec->base, basev, nm,
				 glibc ? "glibc" : "the allocator",
				 glibc ? "memsleuth arenas PID at that moment tells (free vs in use, and what malloc_trim(0) would return)"
				       : "memsleuth overview PID at that moment shows where it lives");
		return;
	}
	rec->best = best;
	char bestv[160];
	with_range(best, bestv, sizeof bestv);
	double saved = 100.0 * (double)(metric(base) - metric(best)) / (double)metric(base);
	/* cost on CPU time (user+sys of the process group): wall time on a
	 * loaded machine is mostly waiting for a CPU (trial5 T5-14) */
	double cpu = base->cpu_seconds > 0 ? best->cpu_seconds / base->cpu_seconds : 1;
	double wall = base->wall_seconds > 0 ? best->wall_seconds / base->wall_seconds : 1;
	int len = snprintf(rec->text, sizeof rec->text,
			   "Use %s (%s): the final %s is %s instead of %s with %s (%.0f%% less%s), "
			   "peak RSS %s, CPU time %.2fx %s (wall time %.2fx).",
			   best->cfg->name, best->cfg->what, what, bestv, basev, rec->base, saved,
			   best->runs_compared < 2 || base->runs_compared < 2 ? "; one run each, no spread measured" :
			   "; the ranges do not overlap", ms_size_fmt(best->peak_rss, c), cpu,
			   base->baseline ? "the command's as launched" : "the default's", wall);
	if (cpu > 1.5 && len > 0 && (size_t)len < sizeof rec->text)
		len += snprintf(rec->text + len, sizeof rec->text - (size_t)len,
				" It costs CPU time: measure the workload's throughput before adopting it.");
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
