/* The cause model (causes.h): facts in, causes with their remedies out.
 * The bytes of the allocator kinds partition what the arenas walk found,
 * so that the causes never count a byte twice:
 *   main_heap_pinned  = what malloc_trim(0) returns from the main arena
 *                       (its free chunks only when main_top_kept claims the top)
 *   main_top_kept     = the main heap's resident free top, kept because it is
 *                       below a trim threshold raised above glibc's default
 *   arena_spread      = what it returns from the non-main arenas' free chunks
 *   arena_top_kept    = the non-main arenas' resident tops (mtrim never
 *                       shrinks them: glibc's malloc.c mtrim walks bins only)
 *   fragmented        = resident free-chunk bytes no whole-page release reaches
 *   in_use_unaccounted= chunks in use (minus what the runtime accounts for). */
#include "findings/causes.h"
#include "findings/growthsev.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/remedy.h"
#include "util/size.h"

#define SZ(v) ms_size_fmt((v), (char[MS_SIZE_BUF]){ 0 })
#define MIB (1ull << 20)
#define DEFAULT_MMAP_THRESHOLD (128ull * 1024)   /* DEFAULT_MMAP_THRESHOLD_MIN, malloc.c */
#define DEFAULT_TRIM_THRESHOLD (128ull * 1024)   /* DEFAULT_TRIM_THRESHOLD, malloc.c */
#define DEFAULT_TOP_PAD (128ull * 1024)          /* DEFAULT_TOP_PAD, malloc.c (mp_.top_pad unset) */
#define HEAP_MAX (64ull << 20)                    /* HEAP_MAX_SIZE on 64-bit */
#define RUBY_TRANSIENT_HEAP_SIZE (32ull << 20)    /* TRANSIENT_HEAP_TOTAL_SIZE, Ruby's transient_heap.c */

static const struct {
	const char *id, *title;
} kinds[MS_CAUSE__N] = {
	[MS_CAUSE_MAIN_HEAP_PINNED] = { "main_heap_pinned", "freed memory pinned in glibc's main heap" },
	[MS_CAUSE_ARENA_TOP_KEPT] = { "arena_top_kept", "free memory kept at non-main arena tops by the trim threshold" },
	[MS_CAUSE_MAIN_TOP_KEPT] = { "main_top_kept", "free memory kept at the main heap's top by a raised trim threshold" },
	[MS_CAUSE_FRAGMENTED] = { "fragmented", "free memory fragmented below live blocks, no whole free page" },
	[MS_CAUSE_ARENA_SPREAD] = { "arena_spread", "free memory spread over thread arenas" },
	[MS_CAUSE_IN_USE_UNACCOUNTED] = { "in_use_unaccounted", "malloc memory in use, not accounted for" },
	[MS_CAUSE_RUNTIME_HEAP] = { "runtime_heap", "a runtime's own heap" },
	[MS_CAUSE_MMAPPED_CHUNKS] = { "mmapped_chunks", "large blocks malloc got from mmap" },
	[MS_CAUSE_THREAD_STACKS] = { "thread_stacks", "thread stacks" },
	[MS_CAUSE_FILE_MAPPED] = { "file_mapped", "mapped files and code" },
	[MS_CAUSE_ADDRESS_SPACE_ONLY] = { "address_space_only", "address space without RSS (VSZ)" },
	[MS_CAUSE_GLIBC_NOT_WALKED] = { "glibc_not_walked", "glibc malloc's heaps, not walked here" },
	[MS_CAUSE_SHARED_MEMORY] = { "shared_memory", "shared memory, counted in every sharer's RSS" },
	[MS_CAUSE_LEAK_GROWING] = { "leak_or_growing_cache", "malloc memory in use that keeps growing (a leak or a growing cache)" },
	[MS_CAUSE_RETENTION_GROWING] = { "retention", "free memory glibc keeps, growing as much as or more than in use" },
	[MS_CAUSE_ARENA_GROWTH] = { "arena_growth", "glibc arenas or arena heaps growing" },
	[MS_CAUSE_RUNTIME_HEAP_GROWTH] = { "runtime_heap_growth", "a runtime's own heap growing" },
	[MS_CAUSE_RSS_GROWTH] = { "rss_growth", "RSS growing outside what glibc's figures explain" },
};

const char *ms_cause_kind_id(enum ms_cause_kind k)
{
	return k < MS_CAUSE__N && kinds[k].id ? kinds[k].id : "unknown";
}

const char *ms_cause_kind_title(enum ms_cause_kind k)
{
	return k < MS_CAUSE__N && kinds[k].title ? kinds[k].title : "unknown";
}

const char *ms_runtime_id(enum ms_runtime r)
{
	static const char *const n[] = { "", "jvm", "v8", "cpython", "ruby", "php", "postgres", "perl", "tcl" };
	return r <= MS_RT_LAST ? n[r] : "";
}

enum ms_level ms_cause_severity(uint64_t resident, uint64_t rss)
{
	if (resident < MS_SEV_FLOOR_BYTES)
		return MS_INFO;
	double share = rss ? (double)resident / (double)rss : 0;
	if (share >= MS_SEV_PROBLEM_SHARE || resident >= MS_SEV_PROBLEM_BYTES)
		return MS_PROBLEM;
	if (share >= MS_SEV_NOTICE_SHARE || resident >= MS_SEV_NOTICE_BYTES)
		return MS_NOTICE;
	return MS_INFO;
}

const char *ms_share_fmt(double share, int decimals, char *buf, size_t len)
{
	if (share < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f%%", decimals, 100.0 * share);
	return buf;
}

void ms_cause_facts_init(struct ms_cause_facts *f, pid_t pid)
{
	memset(f, 0, sizeof *f);
	f->pid = pid;
	f->alive = 1;
	f->arenas = -1;
	f->no_dyn_threshold = -1;
	f->measured_base = -1;
	f->jdk_trim = 0;
}

/* ---- building ---- */

/* Whether a kind's bytes come from the arena walk. */
static int from_walk(enum ms_cause_kind k)
{
	return k == MS_CAUSE_MAIN_HEAP_PINNED || k == MS_CAUSE_ARENA_TOP_KEPT || k == MS_CAUSE_MAIN_TOP_KEPT ||
	       k == MS_CAUSE_FRAGMENTED || k == MS_CAUSE_ARENA_SPREAD || k == MS_CAUSE_IN_USE_UNACCOUNTED;
}

/* The RSS of the moment a kind's bytes were read: the walk's for the
 * walk's kinds (a leak grows between the overview and the walk), else the
 * overview's. */
static uint64_t moment_rss(const struct ms_cause_facts *f, enum ms_cause_kind k)
{
	return from_walk(k) && f->walk_rss && f->rss ? f->walk_rss : f->rss;
}

static void append(struct ms_cause *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* More words after a cause's sentence, cut at the text's end. */
static void append(struct ms_cause *x, const char *fmt, ...)
{
	size_t o = strlen(x->text);
	if (o + 1 >= sizeof x->text)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->text + o, sizeof x->text - o, fmt, ap);
	va_end(ap);
}

static struct ms_cause *add(struct ms_causes *c, const struct ms_cause_facts *f, enum ms_cause_kind k,
			    uint64_t resident, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct ms_cause *add(struct ms_causes *c, const struct ms_cause_facts *f, enum ms_cause_kind k,
			    uint64_t resident, const char *fmt, ...)
{
	if (c->n >= MS_CAUSES_MAX)
		return NULL;
	struct ms_cause *x = &c->v[c->n++];
	memset(x, 0, sizeof *x);
	x->kind = k;
	x->resident_bytes = resident;
	uint64_t rss = moment_rss(f, k);
	x->rss_share = rss ? (double)resident / (double)rss : MS_SHARE_UNKNOWN;
	x->severity = ms_cause_severity(resident, rss);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->text, sizeof x->text, fmt, ap);
	va_end(ap);
	if (x->rss_share > 1) {
		/* read at another moment than any RSS known: never more than the
		 * RSS (docs/method.md), and said */
		x->rss_share = 1;
		append(x, " (More than the RSS of %s read before: it grew meanwhile.)", SZ(rss));
	}
	return x;
}

static void ev(struct ms_cause *x, const char *name, uint64_t v)
{
	if (!x || x->nev >= MS_CAUSE_MAX_EVIDENCE)
		return;
	snprintf(x->ev[x->nev].name, sizeof x->ev[0].name, "%s", name);
	x->ev[x->nev++].value = v;
}

static struct ms_cause_remedy *remedy(struct ms_cause *x, const char *effect, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct ms_cause_remedy *remedy(struct ms_cause *x, const char *effect, const char *fmt, ...)
{
	if (!x || x->nrem >= MS_CAUSE_MAX_REMEDIES)
		return NULL;
	struct ms_cause_remedy *r = &x->rem[x->nrem++];
	memset(r, 0, sizeof *r);
	r->addresses = x->kind;
	r->cause_bytes = x->resident_bytes;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->command, sizeof r->command, fmt, ap);
	va_end(ap);
	snprintf(r->effect, sizeof r->effect, "%s", effect);
	return r;
}

/* A remedy said in words (something to do inside the program, or a
 * setting whose way in the command line does not show), not a command. */
static struct ms_cause_remedy *advise(struct ms_cause *x, const char *effect, const char *words)
{
	struct ms_cause_remedy *r = remedy(x, effect, "%s", words);
	if (r)
		r->advice = 1;
	return r;
}

static void expect(struct ms_cause_remedy *r, uint64_t bytes, const char *proven_by)
{
	if (!r)
		return;
	r->expected_bytes = bytes;
	r->has_expected = 1;
	snprintf(r->proven_by, sizeof r->proven_by, "%s", proven_by ? proven_by : "");
}

/* The final RSS compare measured for a configuration, 0 not measured. */
static uint64_t final_of(const struct ms_cause_facts *f, const char *config)
{
	for (int i = 0; config && i < f->nmeasured && i < MS_CAUSE_MAX_MEASURED; i++)
		if (!strcmp(f->measured[i].config, config))
			return f->measured[i].final_rss;
	return 0;
}

/* ---- the settings the process runs with ---- */

#define MAX_TUNABLES (2 * MS_ALLOC_ENV_MAX)

/* Its glibc malloc tunables, one way each (allocenv.h). */
static int proc_tunables(const struct ms_cause_facts *f, char (*t)[MS_TUNABLE_LEN])
{
	return ms_alloc_tunables((const char (*)[200])f->env.kv, f->env.n, t, MAX_TUNABLES);
}

/* A compare row's glibc tunables, from its runs' settings ("K=V K=V"). */
static int row_tunables(const char *env, char (*t)[MS_TUNABLE_LEN])
{
	char kv[MS_ALLOC_ENV_MAX][200];
	int n = 0;
	for (const char *p = env; *p && n < MS_ALLOC_ENV_MAX;) {
		size_t l = strcspn(p, " ");
		snprintf(kv[n++], sizeof kv[0], "%.*s", (int)(l < sizeof kv[0] ? l : sizeof kv[0] - 1), p);
		p += l;
		p += strspn(p, " ");
	}
	return ms_alloc_tunables((const char (*)[200])kv, n, t, MAX_TUNABLES);
}

static int tunable_in(char (*t)[MS_TUNABLE_LEN], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i], s))
			return 1;
	return 0;
}

/* The compare row that ran the process's own configuration: the one whose
 * glibc settings are the process's (the default when it has none); -1
 * none measured that way, or nothing compared.  Its environ unknown: the
 * default, as compare assumes.  A saving is only the process's against
 * that row: compare's runs start from glibc's default (remedy.c
 * ms_remedy_env), not from what the process was started with. */
static int base_row(const struct ms_cause_facts *f)
{
	if (f->measured_base < 0 || !f->env.known)
		return f->measured_base;
	char pt[MAX_TUNABLES][MS_TUNABLE_LEN], rt[MAX_TUNABLES][MS_TUNABLE_LEN];
	int np = proc_tunables(f, pt);
	if (!np)
		return f->measured_base;   /* it runs glibc's default */
	for (int i = 0; i < f->nmeasured && i < MS_CAUSE_MAX_MEASURED; i++) {
		const struct ms_remedy_cfg *cfg = ms_remedy_cfg_find(f->measured[i].config);
		if (!cfg || cfg->allocator != MS_ALLOC_GLIBC)
			continue;
		int nr = row_tunables(f->measured[i].env, rt), same = nr == np;
		for (int k = 0; k < nr && same; k++)
			same = tunable_in(pt, np, rt[k]);
		if (same)
			return i;
	}
	return -1;
}

/* What compare measured for a configuration (remedy.h ms_remedy_effect,
 * its twin spelling included): 1 lower than the process's own
 * configuration (base_row) by more than noise, 0 no measurable change, -1
 * worse, -2 not measured (or not against the process's configuration).
 * *saved gets the bytes below it. */
static int measured(const struct ms_cause_facts *f, const char *config, uint64_t *saved)
{
	*saved = 0;
	uint64_t v = final_of(f, config);
	int b = base_row(f);
	if (b < 0 || !v)
		return -2;
	return ms_remedy_effect(v, final_of(f, ms_remedy_twin(config)), f->measured[b].final_rss, saved);
}

static int compared(const struct ms_cause_facts *f)
{
	return base_row(f) >= 0;
}

/* compare ran, but not from the process's configuration: its figures are
 * no measure of a remedy here. */
static int compared_elsewhere(const struct ms_cause_facts *f)
{
	return f->measured_base >= 0 && base_row(f) < 0;
}

/* The process's glibc settings in words: "MALLOC_ARENA_MAX=2" (space-
 * separated), "" none or not known. */
static void proc_settings(const struct ms_cause_facts *f, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (int i = 0; i < f->env.n && o < len; i++) {
		char t[MAX_TUNABLES][MS_TUNABLE_LEN];
		if (ms_alloc_tunables((const char (*)[200])&f->env.kv[i], 1, t, MAX_TUNABLES) > 0)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", f->env.kv[i]);
	}
}

/* The value of a glibc tunable in effect and where it comes from: its
 * environment ("MALLOC_ARENA_MAX=2, from its environment"), else mp_ as
 * read from the process (mallopt in the program when its environment,
 * read, does not set it).  mp: the value mp_ holds (0: unset or not
 * read).  Returns 1 known. */
static int in_effect_value(const struct ms_cause_facts *f, const char *tunable, uint64_t mp, uint64_t *v,
			   char *from, size_t len)
{
	unsigned long long ev;
	char set[220];
	if (ms_alloc_env_tunable(&f->env, tunable, &ev, set, sizeof set)) {
		*v = ev;
		snprintf(from, len, "%s, from its environment", set);
		return 1;
	}
	if (!mp)
		return 0;
	*v = mp;
	snprintf(from, len, "mp_.%s = %" PRIu64 ", read from the process%s", tunable + 13, mp,
		 f->env.known ? "; its environment does not set it: mallopt in the program" : "");
	return 1;
}

/* Whether a compare configuration's settings are already what the process
 * runs with (every glibc tunable it sets has that value in effect), or, an
 * arena cap, one no lower than the cap in effect: never a remedy.  why
 * gets "MALLOC_ARENA_MAX=2 is already in effect (from its environment)". */
static int already_in_effect(const struct ms_cause_facts *f, const struct ms_remedy_cfg *cfg, char *why, size_t len)
{
	char t[MAX_TUNABLES][MS_TUNABLE_LEN], from[260];
	const char (*kv)[200] = NULL;
	char env[MS_REMEDY_MAX_ENV][200];
	int n = 0;
	if (!cfg || cfg->allocator != MS_ALLOC_GLIBC || !cfg->env[0])
		return 0;
	for (; n < MS_REMEDY_MAX_ENV && cfg->env[n]; n++)
		snprintf(env[n], sizeof env[0], "%s", cfg->env[n]);
	kv = (const char (*)[200])env;
	int nt = ms_alloc_tunables(kv, n, t, MAX_TUNABLES), all = nt > 0;
	for (int i = 0; i < nt && all; i++) {
		const char *eq = strchr(t[i], '=');
		char name[MS_TUNABLE_LEN];
		snprintf(name, sizeof name, "%.*s", (int)(eq - t[i]), t[i]);
		uint64_t want = strtoull(eq + 1, NULL, 0), have, mp = 0;
		int fixed = f->no_dyn_threshold == 1;   /* set thresholds: mp_ holds what was set */
		if (!strcmp(name, "glibc.malloc.arena_max"))
			mp = f->arena_max;
		else if (!strcmp(name, "glibc.malloc.trim_threshold") && fixed)
			mp = f->trim_threshold;
		else if (!strcmp(name, "glibc.malloc.mmap_threshold") && fixed)
			mp = f->mmap_threshold;
		if (!in_effect_value(f, name, mp, &have, from, sizeof from))
			all = 0;
		else if (!strcmp(name, "glibc.malloc.arena_max"))
			all = have && have <= want;     /* as few arenas or fewer already */
		else
			all = have == want;
	}
	if (all) {
		/* "(from its environment)" when it is that very setting */
		size_t l = strlen(cfg->env[0]);
		int same = !strncmp(from, cfg->env[0], l) && !strcmp(from + l, ", from its environment");
		snprintf(why, len, "%s is already in effect (%s)", cfg->env[0], same ? "from its environment" : from);
	}
	return all;
}

static const char *cmd_of(const struct ms_cause_facts *f);

/* The compare run that measures a configuration on the target's command,
 * where it ran: "cd '/srv' && memsleuth compare -c glibc,glibc-arena-max-2
 * -- java -jar app.jar". */
static void measure_cmd(const struct ms_cause_facts *f, const char *config, struct ms_cause_remedy *r)
{
	if (f->origin.title) {   /* no command starts it: ms_cause_remedy_describe says what compare needs */
		snprintf(r->measure_config, sizeof r->measure_config, "%s", config);
		return;
	}
	int cd = f->cwd[0] && f->command[0] && !strchr(f->cwd, '\'');
	snprintf(r->measure_with, sizeof r->measure_with, "%s%s%smemsleuth compare -c glibc,%s -- %s", cd ? "cd '" : "",
		 cd ? f->cwd : "", cd ? "' && " : "", config, cmd_of(f));
}

/* A remedy tested by a compare configuration: its measured effect replaces
 * the prediction; one measured worse than the default is withdrawn; one
 * not measured says so, with the compare run that measures it (a setting
 * can raise the RSS: compare measured an arena cap 5x worse on Node). */
static void judge_measured(struct ms_cause *x, struct ms_cause_remedy *r, const struct ms_cause_facts *f,
			   const char *config)
{
	if (!r)
		return;
	uint64_t saved;
	int m = measured(f, config, &saved);
	if (m == -2)
		measure_cmd(f, config, r);
	if (m == -2 && compared_elsewhere(f) && final_of(f, config)) {
		/* measured, but from glibc's default: not this process's saving */
		char set[200];
		size_t o = strlen(r->effect);
		proc_settings(f, set, sizeof set);
		snprintf(r->effect + o, sizeof r->effect - o, " (compare measured it against glibc's default, not against "
			 "this process's %s: no measure here)", set);
	}
	char proof[160];
	snprintf(proof, sizeof proof, "compare %s", config);
	if (m == 1) {
		expect(r, saved, proof);   /* the measured saving, proven_by names the run */
	} else if (m == 0) {
		r->no_change = 1;
		expect(r, 0, proof);
		snprintf(r->effect, sizeof r->effect, "changes nothing: compare measured the same final RSS as glibc's default");
	} else if (m == -1) {
		x->nrem--;      /* measured worse: never recommended */
		for (int i = 0; i < f->nmeasured && i < MS_CAUSE_MAX_MEASURED; i++)
			if (!strcmp(f->measured[i].config, config))
				ev(x, "withdrawn_final_bytes", f->measured[i].final_rss);
		int b = base_row(f);   /* >= 0: measured() judged against it */
		if (b >= 0)
			ev(x, "default_final_bytes", f->measured[b].final_rss);
	}
}

/* A command naming the PID only while the process lives; else the rerun. */
static int pid_cmd(const struct ms_cause_facts *f, char *out, size_t len, const char *fmt)
{
	if (f->alive) {
		snprintf(out, len, fmt, (int)f->pid);
		return 1;
	}
	snprintf(out, len, "memsleuth guide -- %s", f->command[0] ? f->command : "CMD");
	return 0;
}

static const char *cmd_of(const struct ms_cause_facts *f)
{
	return f->command[0] ? f->command : "CMD";
}

/* A remedy that reruns the target with settings in front of its command
 * ("MALLOC_ARENA_MAX=2 java -jar app.jar"; "ulimit -s 1024;" ends with its
 * separator).  A process whose command line is a title it wrote (a
 * PostgreSQL backend, an nginx worker) is no command one starts: the
 * setting in words instead, in the process that starts it, whose
 * environment and limits it inherits. */
static struct ms_cause_remedy *rerun(struct ms_cause *x, const struct ms_cause_facts *f, const char *effect,
				     const char *settings)
{
	if (!f->origin.title)
		return remedy(x, effect, "%s%s%s", settings, *settings ? " " : "", cmd_of(f));
	char where[300];
	ms_origin_starter(&f->origin, f->pid, where, sizeof where);
	int limit = !strncmp(settings, "ulimit", 6);
	size_t sl = strlen(settings);
	while (sl && (settings[sl - 1] == ';' || settings[sl - 1] == ' '))
		sl--;
	struct ms_cause_remedy *r = remedy(x, effect, "%s %.*s in %s%s", limit ? "apply" : "set", (int)sl, settings,
					   limit ? "" : "the environment of ", where);
	if (r) {
		r->advice = 1;
		snprintf(r->no_command, sizeof r->no_command, "process %d: %s", (int)f->pid, f->origin.why);
	}
	return r;
}

void ms_origin_starter(const struct ms_proc_origin *o, pid_t pid, char *buf, size_t len)
{
	if (o->parent > 0 && o->parent_exe[0])
		snprintf(buf, len, "the process that starts %d: its parent %d (%s), e.g. the service's unit or its "
			 "environment file", (int)pid, (int)o->parent, o->parent_exe);
	else if (o->parent > 0)
		snprintf(buf, len, "the process that starts %d: its parent %d, e.g. the service's unit or its "
			 "environment file", (int)pid, (int)o->parent);
	else
		snprintf(buf, len, "the process that starts %d (its parent), e.g. the service's unit or its "
			 "environment file", (int)pid);
}

void ms_origin_compare(const char *configs, char *buf, size_t len)
{
	snprintf(buf, len, "compare needs a command that starts the workload (e.g. the service's start command), not "
		 "the process's title: memsleuth compare -c %s -- START-COMMAND", configs);
}

/* Where the call sites of live blocks are found: the running process
 * itself (attach), else a new run of its command. */
/* The command naming the call sites whose blocks stay live: attached, only
 * --live keeps each allocation of the window until it is freed (without it
 * attach counts calls and prints no live bytes). */
static void hotspots_cmd(const struct ms_cause_facts *f, char *out, size_t len)
{
	if (f->alive)
		snprintf(out, len, "memsleuth hotspots %d --live", (int)f->pid);
	else
		snprintf(out, len, "memsleuth hotspots -- %s", cmd_of(f));
}

/* The target's command with an interpreter option after its argv[0]
 * ("node --expose-gc a.js" + "--heapsnapshot-signal=SIGUSR2" ->
 * "node --heapsnapshot-signal=SIGUSR2 --expose-gc a.js"); without a known
 * command: INTERP OPT FALLBACK. */
static int is_glibc(const struct ms_cause_facts *f)
{
	return !f->allocator[0] || !strcmp(f->allocator, "glibc");
}

static void trim_remedy(struct ms_cause *x, const struct ms_cause_facts *f, uint64_t bytes)
{
	static const char ended[] = "the process has ended: in a rerun, memsleuth trim PID at the same moment";
	char cmd[300];
	if (bytes * 100 < f->rss || bytes < MS_CAUSE_MIN_BYTES)
		return;   /* trim under 1% of RSS: not offered */
	struct ms_cause_remedy *r;
	if (f->runtime == MS_RT_JVM && f->jdk_trim != 0 && f->alive) {
		snprintf(cmd, sizeof cmd, "jcmd %d System.trim_native_heap", (int)f->pid);
		r = remedy(x, "malloc_trim(0) called by the JVM itself, safer than a debugger: returns the free pages now", "%s", cmd);
	} else if (pid_cmd(f, cmd, sizeof cmd, "memsleuth trim %d")) {
		r = remedy(x, "malloc_trim(0) called in the target (ptrace): returns the free pages now (not for good)", "%s", cmd);
	} else if (f->from_core) {
		/* a core cannot tell whether its process still runs: said, not guessed */
		r = remedy(x, "from a core: to act on the live process, run this on it (if it still runs; else in a rerun "
			   "of its command, at the same moment)", "memsleuth trim %d   # if it is still the core's process",
			   (int)f->pid);
	} else if (!f->launched) {
		r = remedy(x, ended, "%s", cmd);
	} else {
		/* not "memsleuth guide -- CMD": that is the run that just ended */
		r = remedy(x, "malloc_trim(0) returns these pages at that moment (not for good)", "%s", ended);
		if (r)
			r->advice = 1;
	}
	expect(r, bytes, "arenas");
}

static void jemalloc_remedy(struct ms_cause *x, const struct ms_cause_facts *f, const char *why)
{
	struct ms_cause_remedy *r = rerun(x, f, why,
					  "LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0");
	judge_measured(x, r, f, "jemalloc-decay-0");
}

/* What free() keeps at a heap's top when it trims it: mp_.top_pad
 * (malloc.c _int_free -> systrim(mp_.top_pad), heap_trim likewise);
 * malloc_trim(0) pads with 0. */
static uint64_t top_pad(const struct ms_cause_facts *f)
{
	return f->have_top_pad ? f->top_pad : DEFAULT_TOP_PAD;
}

/* What free() returns of a top of that many bytes under the process's
 * own settings: the top above top_pad, once it reaches the trim
 * threshold (below it free() does not trim at all). */
static uint64_t free_returns(const struct ms_cause_facts *f, uint64_t top)
{
	uint64_t pad = top_pad(f);
	if (f->trim_threshold && top < f->trim_threshold)
		return 0;
	return top > pad ? top - pad : 0;
}

/* A top_pad above glibc's default, said with where it comes from: " top_pad
 * is 64.0 MiB (MALLOC_TOP_PAD_=67108864, from its environment): free() keeps
 * that much at the heap's top; malloc_trim(0) does not."  "" otherwise. */
static void pad_note(const struct ms_cause_facts *f, char *buf, size_t len)
{
	uint64_t v;
	char from[260];
	buf[0] = 0;
	if (!f->have_top_pad || f->top_pad <= DEFAULT_TOP_PAD)
		return;
	if (!in_effect_value(f, "glibc.malloc.top_pad", f->top_pad, &v, from, sizeof from) || v != f->top_pad)
		snprintf(from, sizeof from, "mp_.top_pad, read from the process");
	snprintf(buf, len, " top_pad is %s (%s): free() keeps that much at the heap's top; malloc_trim(0) does not.",
		 SZ(f->top_pad), from);
}

/* The main heap's free top is its own cause when glibc keeps it because
 * of a trim threshold above the default: free() trims the main heap only
 * when the top reaches mp_.trim_threshold (malloc.c _int_free ->
 * systrim), and glibc raises that threshold to twice a freed mmapped
 * chunk's size (the dynamic threshold, free -> munmap_chunk path of
 * __libc_free).  Fixed thresholds return it for good; the pinned cause
 * then covers only the pages below live blocks. */
static int main_top_kept(const struct ms_cause_facts *f)
{
	return f->main_top_resident >= MS_CAUSE_MIN_BYTES && f->trim_threshold > DEFAULT_TRIM_THRESHOLD &&
	       f->main_top < f->trim_threshold;
}

/* The fixed-thresholds remedy (compare's glibc-fixed-thresholds), for a
 * top kept by the threshold: expected, the top above what a 128 KiB
 * threshold keeps (keep) -- or measured by compare. */
static void fixed_thresholds_remedy(struct ms_cause *x, const struct ms_cause_facts *f, uint64_t b, uint64_t keep)
{
	char why[300];
	if (already_in_effect(f, ms_remedy_cfg_find("glibc-fixed-thresholds"), why, sizeof why))
		return;
	/* set thresholds have turned the adjustment off already: then the
	 * remedy only lowers them */
	struct ms_cause_remedy *r = rerun(x, f, f->no_dyn_threshold == 1 ?
		"thresholds fixed at 128 KiB instead of the ones set (glibc's dynamic adjustment is already off): "
		"blocks of 128 KiB and more are mmapped and unmapped at free, a free top above 128 KiB is returned "
		"(in code: mallopt M_MMAP_THRESHOLD and M_TRIM_THRESHOLD)" :
		"fixed thresholds turn glibc's dynamic adjustment off: blocks of 128 KiB and more are mmapped and "
		"unmapped at free, a free top above 128 KiB is returned (in code: mallopt M_MMAP_THRESHOLD "
		"and M_TRIM_THRESHOLD)",
		"GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072");
	expect(r, b > keep ? b - keep : 0, NULL);
	judge_measured(x, r, f, "glibc-fixed-thresholds");
}

static void build_main_top_kept(struct ms_causes *c, const struct ms_cause_facts *f)
{
	if (!main_top_kept(f))
		return;
	uint64_t b = f->main_top_resident;
	int dynamic = f->no_dyn_threshold == 0 && f->mmap_threshold > DEFAULT_MMAP_THRESHOLD;
	char why[400];
	if (dynamic)
		snprintf(why, sizeof why, "glibc raised mp_.trim_threshold from its default 128.0 KiB to %s after a large "
			 "block was freed (dynamic threshold: mmap_threshold %s, trim_threshold twice that)",
			 SZ(f->trim_threshold), SZ(f->mmap_threshold));
	else {
		/* set: where from -- its environment, else mallopt in the program */
		char set[300] = "", from[260];
		uint64_t v;
		if (f->no_dyn_threshold == 1 && f->env.known &&
		    in_effect_value(f, "glibc.malloc.trim_threshold", f->trim_threshold, &v, from, sizeof from))
			snprintf(set, sizeof set, " (set: %s; set thresholds are not adjusted)", from);
		else if (f->no_dyn_threshold == 1)
			snprintf(set, sizeof set, " (set: M_TRIM_THRESHOLD or a tunable)");
		snprintf(why, sizeof why, "mp_.trim_threshold is %s, above glibc's default 128.0 KiB%s",
			 SZ(f->trim_threshold), set);
	}
	struct ms_cause *x = add(c, f, MS_CAUSE_MAIN_TOP_KEPT, b,
				 "glibc's main heap keeps a free top of %s (%s resident): %s, and free() shrinks the main "
				 "heap only when its top reaches the trim threshold.", SZ(f->main_top), SZ(b), why);
	ev(x, "top_bytes", f->main_top);
	ev(x, "top_resident_bytes", b);
	ev(x, "trim_threshold_bytes", f->trim_threshold);
	ev(x, "default_trim_threshold_bytes", DEFAULT_TRIM_THRESHOLD);
	ev(x, "mmap_threshold_bytes", f->mmap_threshold);
	if (f->no_dyn_threshold >= 0)
		ev(x, "no_dyn_threshold", (uint64_t)f->no_dyn_threshold);
	char note[400];
	pad_note(f, note, sizeof note);
	if (x && note[0]) {
		ev(x, "top_pad_bytes", f->top_pad);
		if (strlen(x->text) + strlen(note) < sizeof x->text)   /* whole or not at all */
			append(x, "%s", note);
	}
	if (!compared(f))   /* the top goes at the next free, down to top_pad */
		fixed_thresholds_remedy(x, f, b, b - (b > top_pad(f) ? b - top_pad(f) : 0));
	/* malloc_trim(0) cuts the main top too (systrim): now, not for good */
	trim_remedy(x, f, f->main_trim_top);
}

static void build_main_pinned(struct ms_causes *c, const struct ms_cause_facts *f)
{
	/* the top is main_top_kept's when the raised threshold keeps it */
	uint64_t top = main_top_kept(f) ? 0 : f->main_trim_top;
	uint64_t chunks = f->main_trim > f->main_trim_top ? f->main_trim - f->main_trim_top : 0;
	uint64_t b = chunks + top;
	if (b < MS_CAUSE_MIN_BYTES)
		return;
	struct ms_cause *x;
	if (chunks >= top && f->main_tcache_hold[0]) {
		/* no live block there: freed chunks glibc caches (tcache_put
		 * leaves them marked in use) keep the free memory from the top */
		char note[400], why[300];
		pad_note(f, note, sizeof note);
		if (note[0])   /* the top_pad ahead of the (long) hold: the sentence is cut at its end */
			x = add(c, f, MS_CAUSE_MAIN_HEAP_PINNED, b,
				"glibc's main heap keeps %s of freed memory below chunks glibc caches, no live block; "
				"malloc_trim(0) would return %s (those pages; the tcache and the heap's size stay).%s "
				"Held by %s.", SZ(chunks), SZ(b), note, f->main_tcache_hold);
		else
			x = add(c, f, MS_CAUSE_MAIN_HEAP_PINNED, b,
				"glibc's main heap keeps %s of freed memory below chunks glibc caches, no live block (%s); "
				"malloc_trim(0) would return %s (those pages; the tcache and the heap's size stay).",
				SZ(chunks), f->main_tcache_hold, SZ(b));
		ev(x, "trim_from_chunks_bytes", chunks);
		ev(x, "trim_from_top_bytes", top);
		ev(x, "tcache_chunks", f->main_tcache_chunks);
		ev(x, "tcache_bytes", f->main_tcache_bytes);
		if (note[0])
			ev(x, "top_pad_bytes", f->top_pad);
		trim_remedy(x, f, b);
		if (already_in_effect(f, ms_remedy_cfg_find("glibc-tcache-0"), why, sizeof why))
			return;
		struct ms_cause_remedy *r = rerun(x, f,
			"for good: without a tcache every free reaches the heap, the freed chunks at its top merge into "
			"it and free() shrinks it, down to top_pad (in code: none; a smaller glibc.malloc.tcache_count "
			"helps in part)",
			"GLIBC_TUNABLES=glibc.malloc.tcache_count=0");
		/* the cached chunks, the free memory and the top become one top,
		 * which free() trims down to top_pad */
		expect(r, free_returns(f, b + f->main_tcache_bytes), NULL);
		judge_measured(x, r, f, "glibc-tcache-0");
		return;
	}
	if (chunks >= top)
		x = add(c, f, MS_CAUSE_MAIN_HEAP_PINNED, b,
			"glibc's main heap keeps %s of freed memory below live blocks%s%s%s (a heap shrinks only from its "
			"top, so trim_threshold and top_pad do not reach memory below a live block); from the main heap "
			"malloc_trim(0) would return %s (%s).",
			SZ(chunks), f->main_pin[0] ? " (" : "", f->main_pin, f->main_pin[0] ? ")" : "", SZ(b),
			top ? "those pages and its free top" : main_top_kept(f) ? "those pages; its free top is counted "
			"apart" : "those pages");
	else
		x = add(c, f, MS_CAUSE_MAIN_HEAP_PINNED, b,
			"glibc's main heap keeps a free top of %s below its trim threshold (%s); from the main heap "
			"malloc_trim(0) would return %s.",
			SZ(top), SZ(f->trim_threshold), SZ(b));
	ev(x, "trim_from_chunks_bytes", chunks);
	ev(x, "trim_from_top_bytes", top);
	ev(x, "free_resident_bytes", f->main_free_resident);
	if (f->main_pin_chunks)
		ev(x, "pin_chunks", f->main_pin_chunks);
	trim_remedy(x, f, b);
	if (!compared(f))
		jemalloc_remedy(x, f, "for good: an allocator that returns freed pages on its own (jemalloc, decay 0)");
	if (f->main_pin_site[0] && chunks >= top) {
		/* the case study's fix in the code: the block that holds the top.
		 * Without it the heap shrinks at free() down to the next live
		 * block only: what it pins, with the pins and the top, less
		 * top_pad -- not the free memory below other live blocks. */
		uint64_t pinned = f->main_pinned_free < chunks ? f->main_pinned_free : chunks;
		uint64_t gain = free_returns(f, pinned + f->main_pin_bytes + f->main_top);
		if (gain > b)
			gain = b;
		char eff[300];
		uint64_t rest = b > pinned ? b - pinned : 0;
		uint64_t others = f->main_in_use_chunks > f->main_pin_chunks ? f->main_in_use_chunks - f->main_pin_chunks : 0;
		if (pinned < b / 2 && rest >= MS_CAUSE_MIN_BYTES) {
			char n[48] = "";
			if (others)
				snprintf(n, sizeof n, "%" PRIu64 " ", others);
			snprintf(eff, sizeof eff, "for good, in the code, for the pin's part only: the pin holds %s; %s lie below "
				 "%sother live blocks: not one block's fault; only malloc_trim or another allocator "
				 "returns them", SZ(pinned), SZ(rest), n);
		} else {
			snprintf(eff, sizeof eff, "for good, in the code: a live block at the top of the heap keeps the freed "
				 "memory below it from being trimmed; without it there free() shrinks the heap down to the "
				 "next live block");
		}
		struct ms_cause_remedy *r = remedy(x, eff,
						   "change where the pinning block is allocated or freed (%s): free it with "
						   "the blocks below it, or allocate it before them", f->main_pin_site);
		if (r)
			r->advice = 1;
		expect(r, gain, "arenas --hotspots");
	}
}

static void build_top_kept(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->other_top_kept;
	if (b < MS_CAUSE_MIN_BYTES)
		return;
	int dynamic = f->no_dyn_threshold == 0 && f->mmap_threshold > DEFAULT_MMAP_THRESHOLD;
	char why[240];
	if (dynamic)
		snprintf(why, sizeof why, "glibc raised its thresholds after a large block was freed (dynamic threshold: "
			 "mmap_threshold %s, trim_threshold %s)", SZ(f->mmap_threshold), SZ(f->trim_threshold));
	else
		snprintf(why, sizeof why, "the trim threshold is %s%s", SZ(f->trim_threshold),
			 f->no_dyn_threshold == 1 ? " (set, not adjusted)" : "");
	struct ms_cause *x = add(c, f, MS_CAUSE_ARENA_TOP_KEPT, b,
				 "Thread arenas keep %s of free memory at their tops: %s, and a thread arena's heap "
				 "shrinks only when its free top exceeds the trim threshold; malloc_trim(0) never "
				 "shrinks a thread arena's top.", SZ(b), why);
	ev(x, "top_resident_bytes", b);
	ev(x, "mmap_threshold_bytes", f->mmap_threshold);
	ev(x, "trim_threshold_bytes", f->trim_threshold);
	if (f->no_dyn_threshold >= 0)
		ev(x, "no_dyn_threshold", (uint64_t)f->no_dyn_threshold);
	/* heap_trim keeps top_pad at each thread arena's top */
	uint64_t arenas = f->arenas > 1 ? (uint64_t)f->arenas - 1 : 1, keep = arenas * top_pad(f);
	if (compared(f))
		return;   /* measured_remedies() gives what compare measured */
	fixed_thresholds_remedy(x, f, b, keep);
}

static void build_fragmented(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t trimmable = f->trim_chunks;
	uint64_t b = f->free_resident > trimmable ? f->free_resident - trimmable : 0;
	if (b < MS_CAUSE_MIN_BYTES)
		return;
	struct ms_cause *x = add(c, f, MS_CAUSE_FRAGMENTED, b,
				 "%s of free memory lies in pieces between live blocks, with no whole free page: no "
				 "page-granular release -- malloc_trim, arena caps, thresholds -- returns these bytes "
				 "(what malloc_trim(0) does return, %s of whole free pages, is counted apart).", SZ(b),
				 SZ(trimmable));
	ev(x, "free_resident_bytes", f->free_resident);
	ev(x, "trim_from_chunks_bytes", trimmable);
	ev(x, "in_use_bytes", f->in_use);
	advise(x, "keep long-lived blocks apart from short-lived ones (a pool or an arena of their own), so that freed "
	       "memory forms whole pages; memsleuth hotspots shows which sites keep blocks alive",
	       "separate lifetimes: allocate long-lived objects from a pool of their own");
	if (!compared(f))
		jemalloc_remedy(x, f, "may help: an allocator with size-class pages keeps small blocks of one size together");
}

/* Freed memory in two or more thread arenas, outweighing the main heap's:
 * the only case an arena cap is offered for (docs/method.md arena_spread;
 * with the free memory in the main heap, Node's zlib churn measured a cap
 * 4.8 times worse). */
static int spread_over(const struct ms_cause_facts *f)
{
	return f->other_arenas_with_free >= 2 && f->other_trim >= f->main_trim;
}

static void build_spread(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->other_trim;
	if (b < MS_CAUSE_MIN_BYTES)
		return;
	int spread = spread_over(f);
	struct ms_cause *x = add(c, f, MS_CAUSE_ARENA_SPREAD, b,
				 spread ? "%" PRIu64 " thread arenas each keep freed memory below live blocks, %s in all; "
					  "malloc_trim(0) would return it."
					: "%" PRIu64 " thread arena keeps %s of freed memory below live blocks; "
					  "malloc_trim(0) would return it.",
				 f->other_arenas_with_free ? f->other_arenas_with_free : 1, SZ(b));
	ev(x, "trim_from_chunks_bytes", b);
	ev(x, "arenas_with_free", f->other_arenas_with_free);
	if (f->arenas >= 0)
		ev(x, "arenas", (uint64_t)f->arenas);
	trim_remedy(x, f, b);
	char why[300];
	if (spread && already_in_effect(f, ms_remedy_cfg_find("glibc-arena-max-2"), why, sizeof why)) {
		append(x, " %s: no arena cap is offered.", why);
		return;
	}
	if (spread && f->arenas > 2 && !compared(f)) {
		struct ms_cause_remedy *r = rerun(x, f,
			"fewer arenas: threads share 2 arenas and reuse each other's freed memory (costs lock contention)",
			"MALLOC_ARENA_MAX=2");
		judge_measured(x, r, f, "glibc-arena-max-2");
	}
}

/* Runtimes that keep their own objects in glibc's live blocks: what that
 * retention is, in the runtime's terms (PostgreSQL: mcxt.c's memory
 * contexts, AllocSet blocks from malloc; Perl: sv.c's SV arenas and body
 * roots, freed SVs kept on free lists until perl_destruct; Tcl 8.6
 * threaded: tclThreadAlloc.c's per-thread caches of blocks and Tcl_Objs). */
static const char *runtime_retention(enum ms_runtime r)
{
	switch (r) {
	case MS_RT_POSTGRES:
		return "PostgreSQL's memory contexts (CacheMemoryContext, plans, work_mem sorts and hashes: "
		       "malloc'd blocks a context keeps, with free space inside, until the context is reset or "
		       "deleted); PostgreSQL's own account names which context holds it.";
	case MS_RT_PERL:
		return "perl keeps freed scalars in its own arenas (SV heads and bodies, hash entries) and reuses "
		       "them; it returns them to malloc only at exit: not a leak if it stays flat while the "
		       "program works (watch tells).";
	case MS_RT_TCL:
		return "threaded Tcl's allocator caches freed objects per thread (Tcl_Objs and blocks up to 16 KiB "
		       "kept for reuse, never returned to malloc while the thread lives): not a leak if it stays "
		       "flat while the program works (watch tells).";
	default:
		return "";
	}
}

/* The runtime's own tool for what it keeps in glibc's live blocks, and
 * watch to tell a cache that stays flat from a leak.  1 when the runtime
 * is one of these (its remedies are then given). */
static int runtime_in_use(struct ms_cause *x, const struct ms_cause_facts *f)
{
	char cmd[200];
	switch (f->runtime) {
	case MS_RT_POSTGRES:
		if (f->alive)
			remedy(x, "PostgreSQL writes the backend's memory contexts to the server log (superuser; "
			       "PostgreSQL 14+): bytes, blocks and free space per context",
			       "psql -c 'SELECT pg_log_backend_memory_contexts(%d)'", (int)f->pid);
		advise(x, "the same account for one's own session, as rows", "in the session itself: SELECT * FROM "
		       "pg_backend_memory_contexts ORDER BY total_bytes DESC");
		return 1;
	case MS_RT_PERL:
	case MS_RT_TCL:
		if (pid_cmd(f, cmd, sizeof cmd, "memsleuth watch %d --duration 60"))
			remedy(x, f->runtime == MS_RT_PERL ? "flat while the program works: perl's arenas, reused; growing: a leak"
				  : "flat while the program works: Tcl's caches, reused; growing: a leak", "%s", cmd);
		if (f->runtime == MS_RT_PERL)
			advise(x, "which data holds the scalars", "in the program: Devel::Size total_size(\\%h) for a "
			       "structure, Devel::Gladiator walk_arena() to count live SVs by type");
		return 1;
	default:
		return 0;
	}
}

/* When the guide's own hotspots attached and recorded no allocator call,
 * the process was idle: hotspots PID again records nothing.  What it
 * holds was allocated earlier: watch it while it works, or record it from
 * the start.  1 when this replaces the hotspots remedy. */
static int idle_remedy(struct ms_cause *x, const struct ms_cause_facts *f)
{
	if (!f->hot_idle || !f->alive)
		return 0;
	remedy(x, "the guide's hotspots recorded no allocator call (the process was idle): watch it while it "
	       "works; flat in use is a cache it reuses, growing is a leak", "memsleuth watch %d --duration 60",
	       (int)f->pid);
	remedy(x, "records every allocation from the start, so the call sites of the blocks still live are named",
	       "memsleuth guide -- %s", cmd_of(f));
	return 1;
}

static void build_in_use(struct ms_causes *c, const struct ms_cause_facts *f)
{
	if (!f->have_arenas)
		return;
	/* Against NMT's malloc line: glibc's live bytes, mmapped chunks
	 * included (a JVM's large mallocs are mmapped, and NMT counts them). */
	uint64_t b = f->in_use + (f->have_nmt ? f->mmapped_bytes : 0), acc = f->have_nmt ? f->nmt_malloc : 0;
	uint64_t live = b;
	b = b > acc ? b - acc : 0;
	/* A block in use holds RSS only where it was written (a zlib window,
	 * a buffer sized for the worst case): the cause is its resident part.
	 * Against NMT, which counts requested bytes, which part is resident
	 * is not known: at most all of the resident live bytes. */
	uint64_t live_res = f->in_use_resident + (f->have_nmt ? f->mmapped_resident : 0);
	uint64_t res = b < live_res ? b : live_res;
	if (b < MS_CAUSE_MIN_BYTES || res < MS_CAUSE_MIN_BYTES)
		return;
	char part[120] = "";
	if (res < b)
		snprintf(part, sizeof part, " (%s %s resident: pages never written are not RSS)",
			 f->have_nmt ? "at most" : "of it", SZ(res));
	struct ms_cause *x;
	if (f->have_nmt)
		x = add(c, f, MS_CAUSE_IN_USE_UNACCOUNTED, res,
			"glibc holds %s in use against NMT's malloc line of %s: %s of live malloc memory%s is native "
			"memory outside the JVM's bookkeeping (JNI, zlib, direct buffers): a leak or a cache, not the "
			"allocator.", SZ(live), SZ(f->nmt_malloc), SZ(b), part);
	else if (f->runtime > MS_RT_OWN_HEAP_LAST)
		x = add(c, f, MS_CAUSE_IN_USE_UNACCOUNTED, res, "%s of malloc memory is in use (live blocks)%s: %s",
			SZ(b), part, runtime_retention(f->runtime));
	else
		x = add(c, f, MS_CAUSE_IN_USE_UNACCOUNTED, res,
			"%s of malloc memory is in use (live blocks)%s: a leak or a cache; only the code that holds it "
			"can release it, no allocator setting does.", SZ(b), part);
	ev(x, "in_use_bytes", f->in_use);
	ev(x, "in_use_resident_bytes", f->in_use_resident);
	ev(x, "unaccounted_bytes", b);
	if (f->have_nmt) {
		ev(x, "mmapped_chunk_bytes", f->mmapped_bytes);
		ev(x, "mmapped_resident_bytes", f->mmapped_resident);
		ev(x, "nmt_malloc_bytes", f->nmt_malloc);
	}
	if (f->have_hot)
		ev(x, "hotspots_live_bytes", f->hot_live);
	char cmd[300];
	if (runtime_in_use(x, f) || idle_remedy(x, f))
		return;
	hotspots_cmd(f, cmd, sizeof cmd);
	char eff[300];
	/* hot_site: the site holding the most live bytes (findings/hotsite.h);
	 * "??": no symbols, no name */
	if (f->have_hot && f->hot_site[0] && strncmp(f->hot_site, "??", 2))
		snprintf(eff, sizeof eff, "names the call sites whose blocks stay live; so far: %s, %s live", f->hot_site,
			 SZ(f->hot_live));
	else
		snprintf(eff, sizeof eff, "names the call sites whose blocks stay live");
	remedy(x, eff, "%s", cmd);
}

/* An allocator other than glibc that the overview detected (jemalloc,
 * tcmalloc, mimalloc, musl): the anonymous memory outside glibc's heaps
 * is its own heap. */
static int own_allocator(const struct ms_cause_facts *f)
{
	static const char *const known[] = { "jemalloc", "tcmalloc", "mimalloc", "musl" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(f->allocator, known[i]))
			return 1;
	return 0;
}

/* The allocator's own heap, named, with the allocator's own statistics
 * (never a glibc remedy: glibc's arenas hold none of it). */
static struct ms_cause *allocator_heap(struct ms_causes *c, const struct ms_cause_facts *f, uint64_t b)
{
	struct ms_cause *x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
				 "%s's own heap: %s of anonymous memory; glibc's arenas are not used, so glibc's trim "
				 "and settings do not reach it -- %s's own statistics tell what is in use and what it "
				 "keeps free.", f->allocator, SZ(b), f->allocator);
	if (!strcmp(f->allocator, "jemalloc")) {
		if (!strcmp(f->name, "redis-server")) {
			/* Redis reports jemalloc's figures itself; its own title
			 * replaces its command line, so no rerun is offered */
			remedy(x, "Redis's own account: used_memory (what Redis allocated) against allocator_active and "
			       "allocator_resident (what jemalloc holds), and mem_fragmentation_ratio", "redis-cli info memory");
			remedy(x, "jemalloc's statistics from inside Redis: its arenas, dirty and muzzy pages and decay "
			       "settings", "redis-cli memory malloc-stats");
		} else {
			/* words, not a rerun: the command line does not say how
			 * jemalloc was loaded (an LD_PRELOAD in its environment) */
			advise(x, "jemalloc prints its statistics at exit: allocated, active, resident, and the dirty "
			       "and muzzy pages it keeps", "MALLOC_CONF=stats_print:true in the environment it runs with "
			       "(in code: malloc_stats_print(NULL, NULL, NULL))");
		}
	} else if (!strcmp(f->allocator, "mimalloc")) {
		advise(x, "mimalloc prints its statistics at exit: what it holds and what it has returned",
		       "MIMALLOC_SHOW_STATS=1 in the environment it runs with (in code: mi_stats_print(NULL))");
	} else if (!strcmp(f->allocator, "tcmalloc")) {
		advise(x, "tcmalloc's own account: bytes in use, in its page heap and unmapped",
		       "inside the program: MallocExtension::instance()->GetStats(buf, len) (gperftools)");
	} else {
		char cmd[300];
		if (pid_cmd(f, cmd, sizeof cmd, "memsleuth syscalls %d"))
			remedy(x, "musl's malloc has no statistics: the system calls show what it maps and unmaps", "%s", cmd);
	}
	return x;
}

/* PHP's Zend memory manager: 2 MiB chunks from mmap, 2 MiB aligned
 * (zend_alloc.c zend_mm_chunk_alloc), which it returns only when every
 * element in one is free; the script's own figures tell its use from what
 * Zend holds. */
static struct ms_cause *php_heap(struct ms_causes *c, const struct ms_cause_facts *f, uint64_t b)
{
	char chunks[200];
	if (f->anon_2m_chunks)
		snprintf(chunks, sizeof chunks, "%" PRIu64 " chunk%s of 2 MiB (2 MiB-aligned anonymous mappings, %s "
			 "resident)", f->anon_2m_chunks, f->anon_2m_chunks == 1 ? "" : "s", SZ(f->anon_2m_rss));
	else
		snprintf(chunks, sizeof chunks, "no 2 MiB-aligned chunk found: USE_ZEND_ALLOC=0, or an extension's own "
			 "mappings");
	struct ms_cause *x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
				 "%s of anonymous memory outside glibc's heaps is PHP's own: the Zend memory manager's "
				 "heap, %s; Zend returns a chunk only when every element in it is free (gc_mem_caches() "
				 "returns only empty ones), and glibc's trim and settings do not reach it.", SZ(b), chunks);
	ev(x, "zend_chunks", f->anon_2m_chunks);
	ev(x, "zend_chunks_rss_bytes", f->anon_2m_rss);
	advise(x, "memory_get_usage(true) is what Zend MM holds in its chunks, memory_get_usage() what the script "
	       "uses; the difference is free memory Zend keeps",
	       "in the script: compare memory_get_usage(true) with memory_get_usage()");
	/* not a fix: glibc then holds what Zend held, in heaps memsleuth walks */
	rerun(x, f, "a diagnosis, not a fix: emalloc then goes to glibc malloc, whose heaps memsleuth arenas walks "
		 "and trim returns; slower, and alone it can raise the RSS", "USE_ZEND_ALLOC=0");
	return x;
}

static void build_runtime(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->anon_other_rss;
	if (!f->have_overview || b < MS_CAUSE_MIN_BYTES)
		return;
	struct ms_cause *x = NULL;
	struct ms_cause_remedy *r;
	char cmd[300];
	switch (f->runtime) {
	case MS_RT_JVM:
		x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
			"%s of anonymous memory outside glibc's heaps belongs to the JVM: the Java heap, metaspace, code "
			"cache and GC structures%s.", SZ(b), f->have_java_heap_resident ? "" : " (NMT tells which)");
		if (f->have_java_heap_resident)
			ev(x, "java_heap_resident_bytes", f->java_heap_resident);
		if (f->have_nmt)
			ev(x, "nmt_committed_bytes", f->nmt_committed);
		if (pid_cmd(f, cmd, sizeof cmd, "jcmd %d VM.native_memory summary"))
			remedy(x, f->have_nmt || f->jdk_nmt ? "the JVM's own account of its memory (Native Memory Tracking is on)"
				  : "the JVM's own account of its memory (start it with -XX:NativeMemoryTracking=summary)", "%s", cmd);
		if (pid_cmd(f, cmd, sizeof cmd, "jcmd %d GC.heap_info"))
			remedy(x, "the Java heap's size and use; a heap dump (jcmd PID GC.heap_dump FILE) says what fills it",
			       "%s", cmd);
		break;
	case MS_RT_V8:
		x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
			"%s of anonymous memory outside glibc's heaps belongs to V8 (Node's JavaScript heap and its "
			"code space): glibc's trim and settings do not reach it.", SZ(b));
		/* options as environment: they reach the runtime through any
		 * wrapper script (an option after a wrapper's name is its argument) */
		rerun(x, f, "process.memoryUsage() tells heapUsed vs heapTotal; a heap snapshot (kill -USR2 PID) what fills it",
		      "NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2");
		break;
	case MS_RT_CPYTHON:
		x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
			"%s of anonymous memory outside glibc's heaps is CPython's own small-object allocator "
			"(pymalloc arenas, 1 MiB anonymous mmaps): an arena returns to the system only when every "
			"object in it is freed, and glibc's trim and settings do not reach it.", SZ(b));
		rerun(x, f, "tracemalloc names the lines whose objects stay alive; sys._debugmallocstats() shows "
			 "pymalloc's arenas and how full they are", "PYTHONTRACEMALLOC=25");
		/* not a fix by itself: glibc then keeps the freed small objects
		 * in its heaps (python-obmalloc case: RSS 560 -> 741 MiB) */
		rerun(x, f, "a diagnosis, not a fix: objects of 512 bytes or less then come from glibc malloc, whose "
			 "free memory memsleuth arenas measures and trim returns; alone it can raise the RSS",
		      "PYTHONMALLOC=malloc");
		break;
	case MS_RT_RUBY:
		/* Ruby 2.6 to 3.2 map one 32 MiB region at start for the transient
		 * heap (transient_heap.c, TRANSIENT_HEAP_TOTAL_SIZE): 32 KiB blocks
		 * for short-lived array, hash and object buffers, reused, never
		 * returned; GC.stat has no figure for it.  Said only when a mapping
		 * of exactly that size is there; object pages come from
		 * posix_memalign or mmap depending on the build. */
		if (f->anon_largest_size == RUBY_TRANSIENT_HEAP_SIZE) {
			char big[MS_SIZE_BUF];
			x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
				"%s of anonymous memory outside glibc's heaps is Ruby's own; its largest mapping, %s "
				"resident of 32.0 MiB, has the size of the transient heap Ruby 2.6 to 3.2 map at start "
				"(32 KiB blocks for short-lived array, hash and object buffers: reused, never returned, "
				"and in no GC.stat figure); glibc's trim and settings do not reach it.", SZ(b),
				ms_size_fmt(f->anon_largest_rss, big));
			ev(x, "largest_mapping_size_bytes", f->anon_largest_size);
			ev(x, "largest_mapping_rss_bytes", f->anon_largest_rss);
		} else {
			x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
				"%s of anonymous memory outside glibc's heaps belongs to Ruby's own mappings (object "
				"pages, where the build maps them itself) or a native extension's; glibc's trim and "
				"settings do not reach it.", SZ(b));
		}
		r = remedy(x, "heap_allocated_pages x GC::INTERNAL_CONSTANTS[:HEAP_PAGE_SIZE] is what object pages "
			  "take; a fresh interpreter's figures (ruby -e 'p GC.stat') say nothing about this program",
		       "inside the program (a debug endpoint or console): p GC.stat, ObjectSpace.count_objects");
		if (r)
			r->advice = 1;
		break;
	case MS_RT_PHP:
		x = php_heap(c, f, b);
		break;
	default:
		if (own_allocator(f)) {
			x = allocator_heap(c, f, b);
			break;
		}
		x = add(c, f, MS_CAUSE_RUNTIME_HEAP, b,
			"%s of anonymous memory is outside glibc's heaps%s: another allocator or direct mmap.", SZ(b),
			is_glibc(f) ? "" : " (the allocator is not glibc)");
		if (pid_cmd(f, cmd, sizeof cmd, "memsleuth syscalls %d"))
			remedy(x, "shows who maps it (mmap, munmap, madvise by thread)", "%s", cmd);
		break;
	}
	if (x)
		snprintf(x->runtime, sizeof x->runtime, "%s", f->runtime && f->runtime <= MS_RT_OWN_HEAP_LAST ?
			 ms_runtime_id(f->runtime) :
			 own_allocator(f) ? f->allocator : "other");
	ev(x, "anon_other_rss_bytes", b);
}

static void build_mmapped(struct ms_causes *c, const struct ms_cause_facts *f)
{
	/* /proc's class, else the resident part of the chunks the walk found */
	uint64_t b = f->have_overview ? f->mmap_rss : f->mmapped_resident;
	/* With NMT, a JVM's mmapped chunks are judged in in_use_unaccounted. */
	if (!(f->have_overview || f->have_arenas) || b < MS_CAUSE_MIN_BYTES || f->have_nmt)
		return;
	struct ms_cause *x = add(c, f, MS_CAUSE_MMAPPED_CHUNKS, b,
				 "%s is in blocks malloc got from mmap (%s and larger): they are in use -- free() "
				 "unmaps them at once.", SZ(b), f->mmap_threshold ? SZ(f->mmap_threshold) : "128 KiB");
	ev(x, "mmap_rss_bytes", b);
	if (f->have_arenas)
		ev(x, "mmapped_mem_bytes", f->mmapped_bytes);
	char cmd[300];
	if (runtime_in_use(x, f) || idle_remedy(x, f))
		return;   /* the runtime's own blocks (PostgreSQL's large context blocks), or an idle target */
	hotspots_cmd(f, cmd, sizeof cmd);
	remedy(x, "names the call sites of the large blocks that stay live", "%s", cmd);
}

/* Without the walk, glibc's heaps are still bytes of the RSS: a row of
 * their own, so that the causes add up, said as what it is -- a lead to
 * the walk (notice at most, as overview's where-it-lives verdicts). */
static void build_not_walked(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->main_heap_rss + f->arena_rss;
	if (!f->have_overview || f->have_arenas || b < MS_CAUSE_MIN_BYTES)
		return;
	struct ms_cause *x = add(c, f, MS_CAUSE_GLIBC_NOT_WALKED, b,
				 "glibc malloc holds %s in its heaps (main heap %s, arena heaps %s): blocks in use or "
				 "free memory glibc keeps -- not walked here, so which is not known; the arena walk "
				 "tells, and what malloc_trim(0) would return.",
				 SZ(b), SZ(f->main_heap_rss), SZ(f->arena_rss));
	if (x && x->severity > MS_NOTICE)
		x->severity = MS_NOTICE;
	ev(x, "main_heap_rss_bytes", f->main_heap_rss);
	ev(x, "arena_rss_bytes", f->arena_rss);
	char cmd[300];
	/* a few MiB (the guide skips the walk then): the row, no lead */
	if (x && x->severity >= MS_NOTICE && pid_cmd(f, cmd, sizeof cmd, "memsleuth arenas %d"))
		remedy(x, "walks glibc's arenas: what is in use, what is free and kept, and the remedies that return it",
		       "%s", cmd);
}

static void build_stacks(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->stack_rss;
	if (!f->have_overview || b < MS_CAUSE_MIN_BYTES)
		return;
	struct ms_cause *x = add(c, f, MS_CAUSE_THREAD_STACKS, b,
				 "%" PRIu64 " threads' stacks (glibc's cache of exited threads' stacks included) hold %s "
				 "resident of %s reserved.", f->threads, SZ(b), SZ(f->stack_size));
	ev(x, "stack_rss_bytes", b);
	ev(x, "stack_size_bytes", f->stack_size);
	ev(x, "threads", f->threads);
	if (!x || x->severity < MS_NOTICE)
		return;   /* a few MiB of stacks: no change worth a rerun */
	if (f->runtime == MS_RT_JVM) {
		/* HotSpot sizes Java threads' stacks by -Xss (ThreadStackSize), not by RLIMIT_STACK */
		rerun(x, f, "smaller stacks for Java threads (a stack's resident part is the depth it reached; too small "
			 "a stack throws StackOverflowError), or fewer threads", "JAVA_TOOL_OPTIONS=-Xss512k");
	} else {
		/* glibc's default thread stack size is RLIMIT_STACK at start (glibc 2.34+: __pthread_early_init) */
		rerun(x, f, "smaller default stacks for new threads (in code: pthread_attr_setstacksize), or fewer threads",
		      "ulimit -s 1024;");
	}
}

static void build_files(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->file_rss;
	if (!f->have_overview || b < MS_CAUSE_MIN_BYTES)
		return;
	struct ms_cause *x = add(c, f, MS_CAUSE_FILE_MAPPED, b,
				 "%s is mapped files and code: clean file pages are shared and the kernel reclaims them "
				 "under pressure.", SZ(b));
	/* clean file pages are reclaimable: never a problem, whatever their share */
	if (x && x->severity > MS_NOTICE)
		x->severity = MS_NOTICE;
	ev(x, "file_rss_bytes", b);
}

/* Shared mappings (memclass.h MS_CLASS_SHMEM): the kernel counts a shared
 * page in the RSS of every process that touched it, and PSS divides it
 * among them (proc(5), smaps Pss); the program's configuration sizes it
 * (PostgreSQL's shared_buffers is one shared anonymous mapping, or SysV,
 * by shared_memory_type), and it lives as long as its last user. */
static void build_shared_memory(struct ms_causes *c, const struct ms_cause_facts *f)
{
	uint64_t b = f->shmem_rss;
	if (!f->have_overview || b < MS_CAUSE_MIN_BYTES)
		return;
	char share[48] = "", pss[80] = "", pc[16];
	if (f->rss)
		snprintf(share, sizeof share, " (%s of the RSS)", ms_share_fmt((double)b / (double)f->rss, 0, pc, sizeof pc));
	if (f->shmem_pss)
		snprintf(pss, sizeof pss, "PSS %s here; ", SZ(f->shmem_pss));
	struct ms_cause *x = add(c, f, MS_CAUSE_SHARED_MEMORY, b,
				 "%s%s is shared memory (a shared mapping%s%s): counted in the RSS of every process "
				 "that touched it, so RSS summed over processes overstates it; %ssized by the program's "
				 "configuration%s, not freed while it runs; glibc's trim and settings do not reach it.",
				 SZ(b), share, f->shmem_path[0] ? ": " : "", f->shmem_path, pss,
				 f->runtime == MS_RT_POSTGRES ? " (for PostgreSQL: shared_buffers)" : "");
	ev(x, "shmem_rss_bytes", b);
	if (f->shmem_pss)
		ev(x, "shmem_pss_bytes", f->shmem_pss);
	char cmd[200];
	if (pid_cmd(f, cmd, sizeof cmd, "grep -E '^(Rss|Pss|Pss_Shmem):' /proc/%d/smaps_rollup"))
		remedy(x, "this process's fair share: PSS divides each shared page among the processes that map it; "
		       "sum PSS, not RSS, over processes", "%s", cmd);
	if (f->runtime == MS_RT_POSTGRES)
		remedy(x, "the setting that sizes PostgreSQL's shared memory (postgresql.conf; a restart applies it): "
		       "smaller only if the buffer cache is larger than the data it serves", "psql -c 'SHOW shared_buffers'");
}

static void build_vsz(struct ms_causes *c, const struct ms_cause_facts *f)
{
	if (!f->vsize || f->vsize <= f->rss)
		return;
	uint64_t only = f->vsize - f->rss;
	int near_limit = f->as_limit && f->vsize / 10 * 10 >= f->as_limit / 10 * 8;
	if (only < (1ull << 30) && !near_limit)
		return;
	struct ms_cause *x = add(c, f, MS_CAUSE_ADDRESS_SPACE_ONLY, 0,
				 "VSZ %s is address space, not memory: %s of it is reserved and never touched (arena "
				 "heaps reserve %s, thread stacks %s); only %s is resident. It is not a leak; it matters "
				 "only under a virtual-memory limit (ulimit -v, a container or scheduler that checks VSZ)%s.",
				 SZ(f->vsize), SZ(only), SZ(f->arena_size), SZ(f->stack_size), SZ(f->rss),
				 near_limit ? ", and this process has one near" : "");
	if (!x)
		return;
	if (near_limit)
		x->severity = MS_PROBLEM;
	ev(x, "vsize_bytes", f->vsize);
	ev(x, "rss_bytes", f->rss);
	ev(x, "arena_reserved_bytes", f->arena_size);
	ev(x, "stack_reserved_bytes", f->stack_size);
	if (f->as_limit)
		ev(x, "as_limit_bytes", f->as_limit);
	/* MALLOC_ARENA_MAX counts the main arena (malloc.c arena_get2: narenas
	 * starts at 1), so a cap of 2 leaves one thread arena's heap
	 * reservation.  It trades RSS for address space (threads share arenas
	 * and their free memory): a virtual-limit remedy only, never ahead of
	 * checking the limit unless one applies, withdrawn when compare
	 * measured its RSS worse. */
	uint64_t keep = HEAP_MAX;
	uint64_t saved;
	if (!near_limit)
		remedy(x, "only matters when a virtual limit applies: check it (ulimit -v; the container's or "
			  "scheduler's virtual-memory setting)", "ulimit -v");
	char why[300];
	if (f->arena_size > keep && measured(f, "glibc-arena-max-2", &saved) != -1 &&
	    !already_in_effect(f, ms_remedy_cfg_find("glibc-arena-max-2"), why, sizeof why)) {
		struct ms_cause_remedy *r = rerun(x, f,
			"only under a virtual-memory limit: at most 2 arenas (the main one counts), so thread arenas' "
			"64 MiB heap reservations no longer grow with the threads; VSZ, not RSS", "MALLOC_ARENA_MAX=2");
		expect(r, f->arena_size - keep, NULL);
		if (r && measured(f, "glibc-arena-max-2", &saved) == -2)
			measure_cmd(f, "glibc-arena-max-2", r);
	}
	if (near_limit)
		remedy(x, "the limit itself: raise it if the workload needs the address space", "ulimit -v");
}

/* A command that reruns the target runs where the target ran: its
 * relative paths ("node repro.js") mean nothing elsewhere. */
static void in_cwd(const struct ms_cause_facts *f, struct ms_cause_remedy *r)
{
	/* the command, or its arguments after an inserted interpreter option */
	const char *args = strchr(f->command, ' ');
	if (!f->cwd[0] || !f->command[0] || r->advice || strchr(f->cwd, '\'') ||
	    !(strstr(r->command, f->command) || (args && args[1] && strstr(r->command, args))))
		return;
	char buf[sizeof r->command];
	int n = snprintf(buf, sizeof buf, "cd '%s' && %s", f->cwd, r->command);
	if (n > 0 && (size_t)n < sizeof buf)
		memcpy(r->command, buf, (size_t)n + 1);
}

/* Does a compare configuration act on this cause?  An allocator
 * replacement or a trim/threshold/decay setting acts on every kind of free
 * memory glibc keeps; an arena cap on the thread arenas' free memory only. */
static int acts_on(const struct ms_remedy_cfg *c, enum ms_cause_kind k)
{
	if (k != MS_CAUSE_MAIN_HEAP_PINNED && k != MS_CAUSE_MAIN_TOP_KEPT && k != MS_CAUSE_ARENA_TOP_KEPT &&
	    k != MS_CAUSE_ARENA_SPREAD && k != MS_CAUSE_FRAGMENTED)
		return 0;
	if (c->allocator == MS_ALLOC_GLIBC && !c->env[0])
		return 0;   /* the default itself */
	if (strstr(c->name, "arena-max"))
		return k == MS_CAUSE_ARENA_SPREAD || k == MS_CAUSE_ARENA_TOP_KEPT;
	return 1;
}

static void sort_remedies(struct ms_cause *x);

/* The configurations compare measured lower than the default that act on
 * the cause, as remedies with their measured saving, best first: when the
 * cause's list is full, its weakest remedy gives way to a better measured
 * one (the sort puts compare-measured savings ahead).  A saving far above
 * the cause's bytes is the whole process's, said so, never attributed to it. */
static void measured_remedies(struct ms_cause *x, const struct ms_cause_facts *f)
{
	int idx[MS_CAUSE_MAX_MEASURED], n = 0;
	uint64_t sv[MS_CAUSE_MAX_MEASURED];
	for (int i = 0; i < f->nmeasured && i < MS_CAUSE_MAX_MEASURED; i++) {
		const struct ms_remedy_cfg *cfg = ms_remedy_cfg_find(f->measured[i].config);
		uint64_t saved;
		char why[300];
		if (!cfg || !acts_on(cfg, x->kind) || measured(f, cfg->name, &saved) != 1 ||
		    already_in_effect(f, cfg, why, sizeof why))
			continue;
		/* an arena cap for the thread arenas' freed memory: only when it is
		 * spread over two or more of them (spread_over) */
		if (strstr(cfg->name, "arena-max") && x->kind == MS_CAUSE_ARENA_SPREAD && !spread_over(f))
			continue;
		/* a glibc setting (thresholds, trim) returns free tops: not the
		 * pieces fragmented says nothing page-granular returns, nor the
		 * pages below live blocks when the main top is a cause of its own */
		if (cfg->allocator == MS_ALLOC_GLIBC && !strstr(cfg->name, "arena-max") &&
		    (x->kind == MS_CAUSE_FRAGMENTED || (x->kind == MS_CAUSE_MAIN_HEAP_PINNED && main_top_kept(f))))
			continue;
		if (cfg->allocator != MS_ALLOC_GLIBC && !f->measured[i].preload[0])
			continue;
		int k = n++;   /* insertion by saving, largest first */
		for (; k > 0 && sv[k - 1] < saved; k--) {
			idx[k] = idx[k - 1];
			sv[k] = sv[k - 1];
		}
		idx[k] = i;
		sv[k] = saved;
	}
	for (int m = 0; m < n; m++) {
		int i = idx[m];
		uint64_t saved = sv[m];
		const struct ms_remedy_cfg *cfg = ms_remedy_cfg_find(f->measured[i].config);
		if (x->nrem >= MS_CAUSE_MAX_REMEDIES) {
			sort_remedies(x);
			if (x->rem[x->nrem - 1].measured_saving >= saved)
				return;   /* every remedy kept is measured better */
			x->nrem--;
		}
		char env[300] = "";
		size_t o = 0;
		if (cfg->allocator != MS_ALLOC_GLIBC)
			o += (size_t)snprintf(env, sizeof env, "LD_PRELOAD=%s", f->measured[i].preload);
		for (int e = 0; e < MS_REMEDY_MAX_ENV && cfg->env[e] && o < sizeof env; e++)
			o += (size_t)snprintf(env + o, sizeof env - o, "%s%s", o ? " " : "", cfg->env[e]);
		struct ms_cause_remedy *r = rerun(x, f, cfg->what, env);
		if (!r)
			return;
		char proof[160];
		snprintf(proof, sizeof proof, "compare %s", cfg->name);
		expect(r, saved, proof);
		/* more than the cause holds: the whole process's saving, never this cause's */
		r->has_expected = saved <= x->resident_bytes;
		r->measured_saving = saved;
	}
}

static int by_bytes(const void *a, const void *b)
{
	const struct ms_cause *x = a, *y = b;
	if (x->resident_bytes != y->resident_bytes)
		return x->resident_bytes < y->resident_bytes ? 1 : -1;
	return x->kind < y->kind ? -1 : x->kind > y->kind;
}

/* Bytes a remedy addresses: its measured/predicted effect when known, else
 * the bytes of the cause it acts on.  A measured "no change" addresses none. */
static uint64_t addressed(const struct ms_cause_remedy *r, uint64_t cause_bytes)
{
	if (r->no_change || r->addresses == MS_CAUSE_ADDRESS_SPACE_ONLY)
		return 0;    /* address space is not RSS: it ranks after every remedy that returns memory */
	return r->has_expected ? r->expected_bytes : cause_bytes;
}

/* a goes before b: a compare-measured saving first (the best measured
 * fix leads), then by bytes addressed; at equal bytes a predicted or
 * measured effect first. */
static int before(const struct ms_cause_remedy *a, uint64_t ka, const struct ms_cause_remedy *b, uint64_t kb)
{
	if (a->measured_saving != b->measured_saving)
		return a->measured_saving > b->measured_saving;
	/* bytes apart by glibc's default top_pad (and a page) are the same
	 * memory -- what free() returns of a top against what malloc_trim(0)
	 * does -- and keep the builder's order (the fix for good first) */
	uint64_t d = ka > kb ? ka - kb : kb - ka;
	if (d > DEFAULT_TOP_PAD + 4096)
		return ka > kb;
	return ka && a->has_expected && !b->has_expected;
}

static void sort_remedies(struct ms_cause *x)
{
	for (int i = 1; i < x->nrem; i++)
		for (int j = i; j > 0 && before(&x->rem[j], addressed(&x->rem[j], x->resident_bytes), &x->rem[j - 1],
						addressed(&x->rem[j - 1], x->resident_bytes)); j--) {
			struct ms_cause_remedy t = x->rem[j];
			x->rem[j] = x->rem[j - 1];
			x->rem[j - 1] = t;
		}
}

/* ---- growth (watch) ---- */

void ms_growth_describe(const struct ms_growth_fact *g, char *buf, size_t len)
{
	const char *label = g->label ? g->label : "?";
	char r[48], a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	double s = g->slope < 0 ? -g->slope : g->slope;
	if (g->bytes)
		snprintf(r, sizeof r, "%c%s/s", g->slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)(s + 0.5), a));
	else
		snprintf(r, sizeof r, "%+.2f/min", g->slope * 60);
	if (!g->known) {
		snprintf(buf, len, "%s not known (%" PRIu64 " point%s over %.0f s)", label, g->points,
			 g->points == 1 ? "" : "s", g->span_s);
		return;
	}
	if (g->stopped) {
		double grow_s = g->span_s - g->flat_s, rate = grow_s > 0 ? g->rise / grow_s : 0;
		if (g->bytes)
			snprintf(buf, len, "%s grew +%s until t=%.0f s (+%s/s), flat at %s for the last %.0f s", label,
				 ms_size_fmt((uint64_t)(g->rise > 0 ? g->rise : 0), a), g->stop_t,
				 ms_size_fmt((uint64_t)(rate > 0 ? rate : 0), b), ms_size_fmt((uint64_t)g->last, r),
				 g->flat_s);
		else
			snprintf(buf, len, "%s %.0f -> %.0f until t=%.0f s, flat for the last %.0f s", label, g->first,
				 g->last, g->stop_t, g->flat_s);
		return;
	}
	if (g->flat) {
		if (g->bytes)
			snprintf(buf, len, "%s flat at %s (%s)", label, ms_size_fmt((uint64_t)g->last, a), r);
		else
			snprintf(buf, len, "%s flat at %.0f", label, g->last);
		return;
	}
	if (g->bytes)
		snprintf(buf, len, "%s %s over %.0f s, R² %.2f (%s -> %s)%s", label, r, g->span_s, g->r2,
			 ms_size_fmt((uint64_t)g->first, a), ms_size_fmt((uint64_t)g->last, b),
			 g->noisy ? ", too noisy to call a trend" : "");
	else
		snprintf(buf, len, "%s %.0f -> %.0f over %.0f s%s", label, g->first, g->last, g->span_s,
			 g->noisy ? ", too noisy to call a trend" : "");
}

/* What a component added in the window: up to its flat level when it
 * stopped, else first to last. */
static double grown_bytes(const struct ms_growth_fact *g)
{
	double d = g->stopped ? g->rise : g->last - g->first;
	return d > 0 ? d : 0;
}

/* What grew in the window (bytes), and its severity (findings/growthsev.h:
 * from the bytes seen, the span they grew over and how well g's line
 * fits, against the RSS; a growth that stopped is not a rate). */
static struct ms_cause *add_growth(struct ms_causes *c, const struct ms_cause_facts *f, enum ms_cause_kind k,
				   const struct ms_growth_fact *g, double grown, const char *text)
{
	struct ms_cause *x = add(c, f, k, (uint64_t)grown, "%s", text);
	if (!x)
		return NULL;
	double hour = g->slope > 0 && !g->stopped ? g->slope * 3600 : 0;
	x->severity = ms_growth_severity(grown, g->span_s, g->slope, g->r2, g->stopped, f->rss);
	ev(x, "window_s", (uint64_t)(f->growth_span_s + 0.5));
	ev(x, g->bytes ? "first_bytes" : "first", (uint64_t)g->first);
	ev(x, g->bytes ? "last_bytes" : "last", (uint64_t)g->last);
	ev(x, g->bytes ? "growth_bytes_per_hour" : "growth_per_hour", (uint64_t)hour);
	if (g->stopped) {
		ev(x, "stopped_at_s", (uint64_t)(g->stop_t + 0.5));
		ev(x, "flat_s", (uint64_t)(g->flat_s + 0.5));
	}
	return x;
}

static void live_remedy(struct ms_cause *x, const struct ms_cause_facts *f, const char *effect)
{
	char cmd[200];
	/* attached without --live, hotspots keeps counters only: the bytes
	 * live per call site need --live (or a launch under the hook) */
	if (f->alive)
		snprintf(cmd, sizeof cmd, "memsleuth hotspots %d --live --duration 30", (int)f->pid);
	else   /* a launched target has ended: record a new run from its start */
		snprintf(cmd, sizeof cmd, "memsleuth hotspots -- %s", cmd_of(f));
	remedy(x, effect, "%s", cmd);
}

static void build_growth(struct ms_causes *c, const struct ms_cause_facts *f)
{
	char d1[200], d2[200], d3[200], text[400], cmd[200], lead[96] = "";
	struct ms_cause *x;
	int explained = 0;
	const struct ms_growth_fact *use = &f->in_use_trend, *kept = &f->free_kept_trend;
	int use_up = use->grows || use->stopped, kept_up = kept->grows || kept->stopped;
	double use_add = grown_bytes(use), kept_add = grown_bytes(kept);
	if ((use_up || kept_up) && (!use_up || use->stopped) && (!kept_up || kept->stopped)) {
		const struct ms_growth_fact *s = use_up ? use : kept;
		snprintf(lead, sizeof lead, "growth stopped at t=%.0f s, flat for the last %.0f s: ", s->stop_t,
			 s->flat_s);
	}
	ms_growth_describe(use, d1, sizeof d1);
	ms_growth_describe(kept, d2, sizeof d2);
	if (use_up && kept_up && kept_add >= use_add) {
		/* the allocator's free kept is the larger part of the growth:
		 * holes between the live blocks when trim would return little */
		int holes = (double)f->growth_trim_prediction < kept_add / 2;
		snprintf(text, sizeof text, "%sin use +%s and free kept +%s: glibc keeps freed memory %s; "
			 "malloc_trim(0) would return %s (%s; %s)", lead, SZ((uint64_t)use_add), SZ((uint64_t)kept_add),
			 holes ? "in holes between live blocks (fragmentation)" : "it could return (retention)",
			 SZ(f->growth_trim_prediction), d1, d2);
		x = add_growth(c, f, MS_CAUSE_RETENTION_GROWING, kept, use_add + kept_add, text);
		if (pid_cmd(f, cmd, sizeof cmd, "memsleuth arenas %d"))
			remedy(x, "what is kept, where, and the remedies that return it", "%s", cmd);
		live_remedy(x, f, "who allocates the blocks still live between the holes, by call site");
		explained = 1;
	} else if (use_up) {
		if (use->stopped)
			snprintf(text, sizeof text, "%slive malloc memory grew, then stopped: %s; %s -- what was added is "
				 "still live: a cache that filled, or a leak that paused", lead, d1, d2);
		else
			snprintf(text, sizeof text, "live malloc memory grows: %s; %s -- a leak or a cache that keeps "
				 "growing%s", d1, d2, kept_up ? "" : ", not the allocator");
		x = add_growth(c, f, MS_CAUSE_LEAK_GROWING, use, use_add, text);
		live_remedy(x, f, "the bytes still live at the end, by call site: who allocates what is never freed");
		explained = 1;
	} else if (kept_up) {
		snprintf(text, sizeof text, "%sfree memory glibc keeps %s while what is in use %s: %s; %s -- "
			 "retention or fragmentation; malloc_trim(0) would now release %s", lead,
			 kept->stopped ? "grew" : "grows", kept->stopped ? "did not" : "does not", d2, d1,
			 SZ(f->growth_trim_prediction));
		x = add_growth(c, f, MS_CAUSE_RETENTION_GROWING, kept, kept_add, text);
		if (pid_cmd(f, cmd, sizeof cmd, "memsleuth arenas %d"))
			remedy(x, "what is kept, where, and the remedies that return it", "%s", cmd);
		explained = 1;
	}
	if (f->arenas_trend.grows || f->arena_heaps_trend.grows || f->arena_heaps_trend.stopped) {
		ms_growth_describe(&f->arenas_trend, d1, sizeof d1);
		ms_growth_describe(&f->arena_heaps_trend, d2, sizeof d2);
		snprintf(text, sizeof text, "glibc's arenas grow: %s; %s -- each new arena heap reserves 64 MiB "
			 "and keeps its own free memory", d1, d2);
		x = add_growth(c, f, MS_CAUSE_ARENA_GROWTH, &f->arena_heaps_trend, grown_bytes(&f->arena_heaps_trend), text);
		if (x) {
			x->resident_bytes = 0;    /* counts, not bytes: address space is reported by overview */
			x->severity = MS_NOTICE;
		}
		if (pid_cmd(f, cmd, sizeof cmd, "memsleuth overview %d"))
			remedy(x, "the arenas against their cap", "%s", cmd);
	}
	if (f->runtime_heap_trend.grows || f->runtime_heap_trend.stopped) {
		ms_growth_describe(&f->runtime_heap_trend, d1, sizeof d1);
		snprintf(text, sizeof text, "the runtime's own heap grows: %s -- the runtime's heap tools tell what holds it",
			 d1);
		x = add_growth(c, f, MS_CAUSE_RUNTIME_HEAP_GROWTH, &f->runtime_heap_trend,
			       grown_bytes(&f->runtime_heap_trend), text);
		if (x)
			snprintf(x->runtime, sizeof x->runtime, "%s", ms_runtime_id(f->runtime));
		if (pid_cmd(f, cmd, sizeof cmd, "jcmd %d GC.heap_info"))
			remedy(x, "what the Java heap holds", "%s", cmd);
		explained = 1;
	}
	if ((f->rss_trend.grows || f->rss_trend.stopped) && !explained) {
		ms_growth_describe(&f->rss_trend, d1, sizeof d1);
		ms_growth_describe(&f->anon_other_trend, d2, sizeof d2);
		int glibc = is_glibc(f);
		if (glibc && f->in_use_trend.points)
			ms_growth_describe(&f->in_use_trend, d3, sizeof d3);
		else
			snprintf(d3, sizeof d3, "glibc's own figures %s",
				 glibc ? "were not read (no walk fitted)" : "do not apply (another allocator)");
		char where[160] = "";
		if (f->growth_class[0])
			snprintf(where, sizeof where, ", most of it in %s (+%s)", f->growth_class, SZ(f->growth_class_bytes));
		snprintf(text, sizeof text, "RSS grows: %s%s; %s; %s", d1, where, d3, d2);
		x = add_growth(c, f, MS_CAUSE_RSS_GROWTH, &f->rss_trend, grown_bytes(&f->rss_trend), text);
		if (glibc && !f->in_use_trend.known) {
			if (pid_cmd(f, cmd, sizeof cmd, "memsleuth watch %d --walk-every 1 --duration 30"))
				remedy(x, "glibc's figures at every sample: in use or free kept?", "%s", cmd);
		} else if (pid_cmd(f, cmd, sizeof cmd, "memsleuth overview %d")) {
			remedy(x, "which memory class holds it", "%s", cmd);
		}
	}
}

void ms_causes_build(const struct ms_cause_facts *f, struct ms_causes *out)
{
	memset(out, 0, sizeof *out);
	out->pid = f->pid;
	out->rss = f->rss;
	if (f->have_arenas && is_glibc(f)) {
		build_main_pinned(out, f);
		build_main_top_kept(out, f);
		build_top_kept(out, f);
		build_spread(out, f);
		build_fragmented(out, f);
		build_in_use(out, f);
	}
	build_runtime(out, f);
	if (is_glibc(f)) {
		build_not_walked(out, f);
		build_mmapped(out, f);
	}
	build_stacks(out, f);
	build_files(out, f);
	build_shared_memory(out, f);
	build_vsz(out, f);
	if (f->have_growth)
		build_growth(out, f);
	qsort(out->v, (size_t)out->n, sizeof out->v[0], by_bytes);
	for (int i = 0; i < out->n; i++) {
		if (compared(f) && f->have_arenas && is_glibc(f))
			measured_remedies(&out->v[i], f);
		sort_remedies(&out->v[i]);
		for (int k = 0; k < out->v[i].nrem; k++)
			in_cwd(f, &out->v[i].rem[k]);
	}
}

void ms_causes_verdicts(const struct ms_causes *c, struct ms_verdicts *vs)
{
	for (int i = 0; i < c->n; i++) {
		const struct ms_cause *x = &c->v[i];
		const char *next = "";
		/* a command to run before advice in words */
		for (int k = 0; k < x->nrem && !*next; k++)
			if (!x->rem[k].no_change && !x->rem[k].advice)
				next = x->rem[k].command;
		for (int k = 0; k < x->nrem && !*next; k++)
			if (!x->rem[k].no_change)
				next = x->rem[k].command;
		ms_verdict_add(vs, x->severity, next, "%s", x->text);
	}
}

void ms_cause_remedy_describe(const struct ms_cause_remedy *r, char *buf, size_t len)
{
	size_t o = 0;
#define PUT(...) (o += (size_t)snprintf(buf + (o < len ? o : len), o < len ? len - o : 0, __VA_ARGS__))
	if (!len)
		return;
	buf[0] = 0;
	PUT("%s", r->effect);
	if (r->no_change)
		;   /* the effect says it: compare measured no change */
	else if (r->measured_saving && r->measured_saving > r->cause_bytes)
		PUT("; compare measured the final RSS %s lower overall, more than this cause's %s: it acts on more than "
		    "this cause", SZ(r->measured_saving), SZ(r->cause_bytes));
	else if (r->has_expected)
		PUT("; expected %s", SZ(r->expected_bytes));
	if (r->proven_by[0])
		PUT("; %s by %s", !strncmp(r->proven_by, "compare", 7) ? "measured" : "predicted", r->proven_by);
	if (r->measure_with[0])
		PUT("; unmeasured, it can raise the RSS: measure it first with %s", r->measure_with);
	else if (r->measure_config[0]) {
		char cfg[64], need[300];
		snprintf(cfg, sizeof cfg, "glibc,%s", r->measure_config);
		ms_origin_compare(cfg, need, sizeof need);
		PUT("; unmeasured, it can raise the RSS: %s", need);
	}
#undef PUT
}

void ms_causes_remedies(const struct ms_causes *c, struct ms_cause_remedy *out, int max, int *n)
{
	uint64_t key[64];
	*n = 0;
	if (max > 64)
		max = 64;
	for (int i = 0; i < c->n; i++)
		for (int k = 0; k < c->v[i].nrem; k++) {
			const struct ms_cause_remedy *r = &c->v[i].rem[k];
			uint64_t a = addressed(r, c->v[i].resident_bytes);
			int j;
			for (j = 0; j < *n; j++)
				if (!strcmp(out[j].command, r->command))
					break;
			if (j < *n) {      /* one command acting on several causes */
				out[j].cause_bytes += r->cause_bytes;
				if (out[j].measured_saving)   /* judged against every cause it acts on */
					out[j].has_expected = out[j].measured_saving <= out[j].cause_bytes;
				/* a compare measurement is the whole process's: counted once */
				if (!strncmp(r->proven_by, "compare", 7) || !strncmp(out[j].proven_by, "compare", 7)) {
					if (r->expected_bytes > out[j].expected_bytes)
						out[j].expected_bytes = r->expected_bytes;
					if (a > key[j])
						key[j] = a;
				} else if (r->has_expected) {
					out[j].expected_bytes += r->expected_bytes;
					key[j] += a;
				}
				continue;
			}
			if (*n >= max)
				continue;
			out[*n] = *r;
			key[(*n)++] = a;
		}
	for (int i = 1; i < *n; i++)
		for (int j = i; j > 0 && before(&out[j], key[j], &out[j - 1], key[j - 1]); j--) {
			struct ms_cause_remedy t = out[j];
			uint64_t tk = key[j];
			out[j] = out[j - 1], key[j] = key[j - 1];
			out[j - 1] = t, key[j - 1] = tk;
		}
}
