/* memsleuth compare -- CMD ARGS: which allocator or setting fixes this
 * workload?  Runs it under every configuration of findings/remedy.h, N
 * times each, and ranks them by the RSS left at the end. */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "findings/remedy.h"
#include "probe/allocfind.h"
#include "probe/workload.h"
#include "report/json.h"
#include "cli/wrap.h"
#include "report/table.h"
#include "options.h"
#include "steps.h"
#include "util/err.h"
#include "util/size.h"
#include "util/spawn.h"

#define PROG "memsleuth compare"
#define DEFAULT_FINAL_AT "^memsleuth-example: .* holding$"
#define DEFAULT_FINAL_AFTER 10.0   /* s: a server that never exits nor prints the line */
#define RUN_GRACE 60               /* s a run may go on past its final moment */

extern char **environ;
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const struct ms_optspec opts[] = {
	{ "runs",     'n', "N",     "runs per configuration, medians reported (default 3)" },
	{ "configs",  'c', "LIST",  "only these configurations, comma-separated (see --list)" },
	{ "list",     'l', NULL,    "list the configurations and exit (with --json: as JSON)" },
	{ "final-at", 'f', "REGEX", "final RSS when CMD prints a matching line (default: the examples' --hold line)" },
	{ "final-after", MS_LONG('a'), "S", "final RSS S seconds after the start, if no line came first (default 10\n"
					   "unless --final-at is given)" },
	{ "interval", 'i', "S",     "RSS sampling period in seconds (default 0.01; also 10ms)" },
	{ "rank-by",  MS_LONG('r'), "WHAT", "rss, vsz or auto (default): auto ranks by VSZ when RLIMIT_AS is set\n"
					    "and the baseline's VmPeak is within 25% of it" },
	{ "timeout",  't', "S",     "give up on a run after S seconds (default: the final moment + 60,\n"
				    "or 600 without a time)" },
	{ "json",     'j', NULL,    "machine output (docs/json/compare.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG, .usage = "[OPTIONS] -- CMD ARGS", .opts = opts, .operands = MS_OPERAND_CMD,
	.about = "Run CMD under glibc's defaults and settings and under jemalloc, tcmalloc and mimalloc;\n"
		 "rank them by the RSS left at the end.",
	.more = "Final RSS: read when CMD prints a line matching /" DEFAULT_FINAL_AT "/ (or --final-at),\n"
		"or --final-after seconds after its start, then CMD gets SIGTERM; or the last sample\n"
		"before CMD exits.  The RSS is the target's: the largest process of CMD's process group\n"
		"(a wrapper script's own RSS is shown apart).  The bound is stated before the first run.\n"
		"Allocator variables in the environment (MALLOC_*, GLIBC_TUNABLES, ...) are kept in one\n"
		"row, as-launched, the baseline; every other row runs without them.\n",
};

/* --list: the configurations, as text or JSON (docs/json/compare.md). */
static int list_configs(int json)
{
	if (!json) {
		struct ms_table t;
		ms_table_init(&t, "ll", (const char *[]){ "configuration", "what it sets" });
		for (size_t i = 0; i < ms_remedy_ncfgs; i++)
			ms_table_rowf(&t, "%s\t%s%s%s", ms_remedy_cfgs[i].name, ms_remedy_cfgs[i].what,
				      ms_remedy_cfgs[i].env[0] ? ": " : "", ms_remedy_cfgs[i].env[0] ? ms_remedy_cfgs[i].env[0] : "");
		ms_table_print(&t, stdout, "");
		ms_table_free(&t);
		return MS_EXIT_OK;
	}
	struct ms_json j;
	ms_json_init(&j, stdout);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "step", "compare-list");
	ms_json_key(&j, "configurations");
	ms_json_arr_begin(&j);
	for (size_t i = 0; i < ms_remedy_ncfgs; i++) {
		const struct ms_remedy_cfg *cfg = &ms_remedy_cfgs[i];
		ms_json_obj_begin(&j);
		ms_json_kstr(&j, "name", cfg->name);
		ms_json_kstr(&j, "what", cfg->what);
		ms_json_kstr(&j, "allocator", ms_allocator_name(cfg->allocator));
		ms_json_key(&j, "env");
		ms_json_arr_begin(&j);
		for (size_t k = 0; k < sizeof cfg->env / sizeof cfg->env[0] && cfg->env[k]; k++)
			ms_json_str(&j, cfg->env[k]);
		ms_json_arr_end(&j);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	ms_json_obj_end(&j);
	ms_json_end(&j);
	return MS_EXIT_OK;
}

static int selected(const char *list, const char *name)
{
	if (!list)
		return 1;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, name, n))
			return 1;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void check_configs(const char *list)
{
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, ",");
		int known = 0;
		for (size_t i = 0; i < ms_remedy_ncfgs; i++)
			known |= strlen(ms_remedy_cfgs[i].name) == l && !strncmp(p, ms_remedy_cfgs[i].name, l);
		if (!known)
			ms_fatal(PROG, "'memsleuth compare --list' shows them", "--configs: unknown configuration '%.*s'", (int)l, p);
		p += l;
		if (*p == ',')
			p++;
	}
}

/* A malloc'd copy of env (ms_remedy_env_free): the as-launched row's
 * environment, its allocator variables kept. */
static char **env_copy(char *const *env)
{
	size_t n = 0;
	while (env && env[n])
		n++;
	char **out = calloc(n + 1, sizeof *out);
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(env[i]))) {
			ms_remedy_env_free(out);
			return NULL;
		}
	return out;
}

/* RSS over time as a line of characters, one per slice of the run, scaled
 * to the largest peak of all configurations so lines compare at a glance. */
static void sparkline(const struct ms_workload_run *w, uint64_t scale, char *out, size_t width)
{
	static const char levels[] = " .:-=+*#%@";
	memset(out, ' ', width);
	out[width] = 0;
	if (!w || !w->nsamples || !scale)
		return;
	float end = w->samples[w->nsamples - 1].t;
	uint64_t col[64] = { 0 };
	for (size_t i = 0; i < w->nsamples; i++) {
		size_t c = end > 0 ? (size_t)(w->samples[i].t / end * (float)(width - 1)) : 0;
		if (c >= width)
			c = width - 1;
		if (w->samples[i].rss > col[c])
			col[c] = w->samples[i].rss;
	}
	uint64_t last = 0;
	for (size_t c = 0; c < width; c++) {
		if (!col[c])
			col[c] = last;     /* a slice without a sample keeps the level */
		last = col[c];
		size_t lv = (size_t)((double)col[c] / (double)scale * 9.0 + 0.5);
		out[c] = levels[lv > 9 ? 9 : lv];
	}
}

static const struct ms_workload_run *first_ok(const struct ms_remedy_result *r)
{
	for (int i = 0; i < r->runs; i++)
		if (r->all[i].ok)
			return &r->all[i];
	return NULL;
}

/* Mark the configurations from v[from] on that cannot apply to a process
 * running on seen as not applied, before they run, and say so in one line
 * ("WHAT ALLOCATOR: ..."):
 * measuring them would only measure the default again. */
static void skip_unreachable(struct ms_remedy_result *v, size_t from, size_t n, const struct ms_alloc_seen *seen,
			     const char *what)
{
	char names[1024] = "", why[200], who[64];
	int preload = 0, settings = 0;
	size_t off = 0;
	for (size_t i = from; i < n; i++) {
		if (v[i].not_applied[0] || ms_remedy_applies(v[i].cfg, seen, 0, why, sizeof why) != 0)
			continue;
		snprintf(v[i].not_applied, sizeof v[i].not_applied, "%s", why);
		v[i].seen = *seen;
		preload |= v[i].cfg->allocator != MS_ALLOC_GLIBC;
		settings |= v[i].cfg->allocator == MS_ALLOC_GLIBC;
		if (off < sizeof names)
			off += (size_t)snprintf(names + off, sizeof names - off, "%s%s", off ? ", " : "", v[i].cfg->name);
	}
	if (!names[0])
		return;
	ms_alloc_seen_name(seen, who, sizeof who);
	fprintf(stderr, "%s: warning: %s %s: %s cannot apply (%s%s%s%s) and %s not run\n", PROG, what, who, names,
		!preload ? "" : seen->is_static ? "a static binary ignores LD_PRELOAD" :
		"musl cannot load this host's allocator libraries, built for glibc", preload && settings ? "; " : "",
		settings ? ms_allocator_name(seen->allocator) : "", settings ? " ignores glibc's settings" : "",
		strchr(names, ',') ? "are" : "is");
}

/* One "Apply it" line: what is to be pasted is never broken (a line break
 * inside a quoted value makes another setting: trial5's systemd line
 * broke in "trim_threshold"), even past the terminal's width.  A unit
 * file's section header goes on its own line; a note after the command
 * ("   (...)") is wrapped on the next. */
static void apply_line(const char *label, const char *text)
{
	const char *paste = text, *note = strstr(text, "   (");
	if (strncmp(text, "[Service] ", 10) == 0) {
		printf("%s  %-8s [Service]\n", ms_nowrap(stdout), label);
		label = "";
		paste = text + 10;
	}
	printf("%s  %-8s %.*s\n", ms_nowrap(stdout), label, (int)(note ? note - paste : (long)strlen(paste)), paste);
	if (note)
		ms_wrap_fprint(stdout, note + 3, 0, 11, ms_wrap_width(1));
}

/* The spread a difference must exceed (T5-5): "61.6..65.6 MiB" (the
 * unit once when both ends share it), "1 run" without a spread. */
static void spread_cell(const struct ms_remedy_result *r, char *buf, size_t len)
{
	char lo[MS_SIZE_BUF], hi[MS_SIZE_BUF];
	if (r->runs_compared < 2) {
		snprintf(buf, len, "1 run");
		return;
	}
	ms_size_fmt(r->by_vsz ? r->vsz_min : r->final_min, lo);
	ms_size_fmt(r->by_vsz ? r->vsz_max : r->final_max, hi);
	const char *ul = strchr(lo, ' '), *uh = strchr(hi, ' ');
	int same = ul && uh && !strcmp(ul, uh);
	snprintf(buf, len, "%.*s..%s", same ? (int)(ul - lo) : (int)strlen(lo), lo, hi);
}

/* The one line that says the environment's allocator variables are kept
 * in the baseline row only (trial5 T5-6: they were stripped silently). */
static void launched_note(const char *settings, char *line, size_t len)
{
	snprintf(line, len, "the environment sets %s: the row as-launched keeps it and is the baseline; "
		 "every other row runs without it", settings);
}

static void print_text(struct ms_remedy_result *v, size_t n, const char *cmd, int runs,
		       const struct ms_compare_moment *m, const char *moment)
{
	uint64_t scale = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].runs_ok && v[i].peak_rss > scale)
			scale = v[i].peak_rss;
	printf("compare: %s\n%d run(s) per configuration, medians%s; final RSS at the line /%s/%s, "
	       "or the last sample before exit\n", cmd, runs, runs > 1 ? " and the runs' range (min..max)" : "",
	       m->final_at, moment);
	for (size_t i = 0; i < n; i++)
		if (v[i].baseline) {
			char line[400];
			launched_note(v[i].settings, line, sizeof line);
			printf("%s\n", line);
		}
	if (n && v[0].by_vsz) {
		char a[MS_SIZE_BUF];
		printf("ranked by VSZ: the address space is limited (RLIMIT_AS %s) and the baseline's VmPeak is within "
		       "25%% of it\n", ms_size_fmt(m->rlimit_as, a));
	}
	for (size_t i = 0; i < n; i++) {
		const struct ms_workload_run *w = first_ok(&v[i]);
		if (w && w->wrapper_pid) {
			char a[MS_SIZE_BUF];
			printf("measured the largest process of the command's group (pid %d); the command's own process "
			       "(a wrapper, pid %d) held %s apart\n", (int)w->target_pid, (int)w->wrapper_pid,
			       ms_size_fmt(w->wrapper_rss, a));
			break;
		}
	}
	printf("\n");
	/* ranked by VSZ: the final VSZ and its range come first, the RSS after;
	 * VSZ is shown when the address space is limited (JSON: always).  Wall
	 * time is left to JSON and the recommendation: CPU time judges cost. */
	int by_vsz = n && v[0].by_vsz, show_vsz = by_vsz || m->rlimit_as;
	const char *heads[] = { "rank", "config", by_vsz ? "final VSZ" : "final RSS", "range", "peak RSS",
				by_vsz ? "RSS" : "VSZ", "CPU", "RSS (0..max peak)", "runs" };
	if (!show_vsz)   /* no VSZ column: the last three move up */
		memmove(&heads[5], &heads[6], 3 * sizeof heads[0]);
	struct ms_recommendation rec;
	ms_remedy_recommend(v, n, m, &rec);
	int ranked = 0;
	for (size_t i = 0; i < n; i++)
		ranked |= v[i].rank > 0;
	struct ms_table t;
	ms_table_init(&t, show_vsz ? "rlrrrrrLl" : "rlrrrrLl", heads);   /* the sparkline is kept whole */
	t.keys = 2;   /* rank and config head every panel of a narrow terminal */
	for (int rank = 1; rank <= (int)n; rank++)
		for (size_t i = 0; i < n; i++) {
			if (v[i].rank != rank)
				continue;
			char a[MS_SIZE_BUF], b[MS_SIZE_BUF], line[32], range[64], other[MS_SIZE_BUF + 8] = "", label[320];
			sparkline(first_ok(&v[i]), scale, line, 18);   /* the table fits 100 columns */
			spread_cell(&v[i], range, sizeof range);
			ms_remedy_label(&v[i], label, sizeof label);
			if (show_vsz)
				snprintf(other, sizeof other, "%s\t", ms_size_fmt(by_vsz ? v[i].final_rss : v[i].final_vsz, b));
			ms_table_rowf(&t, "%d\t%s\t%s\t%s\t%s\t%s%.2f s\t|%s|\t%d/%d", rank, label,
				      ms_size_fmt(by_vsz ? v[i].final_vsz : v[i].final_rss, a), range,
				      ms_size_fmt(v[i].peak_rss, b), other, v[i].cpu_seconds, line, v[i].runs_compared, v[i].runs);
		}
	if (ranked)
		ms_table_print(&t, stdout, "");
	ms_table_free(&t);
	char why[400];
	for (size_t i = 0; i < n; i++) {
		if (!v[i].available)
			printf("skipped %s: %s\n", v[i].cfg->name, v[i].skipped);
		else if (v[i].not_applied[0])
			printf("not applied %s: %s%s\n", v[i].cfg->name, v[i].not_applied, v[i].runs ? "" : " (not run)");
		else if (ms_remedy_as_failure(&v[i], m->rlimit_as, why, sizeof why) && !v[i].apart)
			printf("failed  %s: %s: %s\n", v[i].cfg->name, why, v[i].error[0] ? v[i].error : "some runs failed");
		else if (!v[i].runs_ok)
			printf("failed  %s: %s\n", v[i].cfg->name, v[i].error);
		else if (v[i].apart) {
			ms_remedy_apart_reason(&v[i], m, why, sizeof why);
			printf("not compared %s: %s\n", v[i].cfg->name, why);
		} else if (v[i].runs_compared < v[i].runs_ok) {
			printf("%s: %d of %d successful runs read at another moment than %s, left out of its medians\n",
			       v[i].cfg->name, v[i].runs_ok - v[i].runs_compared, v[i].runs_ok,
			       m->kind == MS_MOMENT_LINE ? "the line" : m->kind == MS_MOMENT_TIMER ? "the timer" : "the exit");
		}
	}
	const char *what = by_vsz ? "VSZ" : "RSS", *each = runs == 1 ? ", one run each" : "";
	char sp[MS_SIZE_BUF], effect[600] = "";
	size_t eo = 0;
	for (size_t i = 0; i < n && eo < sizeof effect; i++)
		if (v[i].in_effect)
			eo += (size_t)snprintf(effect + eo, sizeof effect - eo, "%s%s", eo ? ", " : "", v[i].cfg->name);
	int nl = 0;
	if (effect[0])
		printf("%sAlready in effect (the command's environment sets it; never recommended): %s\n", nl++ ? "" : "\n", effect);
	if (rec.not_measured[0])
		printf("%sWithin run-to-run variation (+-%s) of %s: not measured; use --runs %d: %s\n", nl++ ? "" : "\n",
		       ms_size_fmt(rec.spread, sp), rec.base, rec.runs_hint, rec.not_measured);
	if (rec.same[0])
		printf("%sNo change (final %s within %.0f%% of %s%s): %s\n", nl++ ? "" : "\n", what,
		       100 * MS_REMEDY_SAME_SHARE, rec.base, each, rec.same);
	if (rec.worse[0])
		printf("%sWorse than %s (final %s more than %.0f%% higher%s; never use these here): %s\n",
		       nl++ ? "" : "\n", rec.base, what, 100 * MS_REMEDY_SAME_SHARE, each, rec.worse);
	printf("\n%s\n", rec.text);
	if (rec.best) {
		struct ms_apply ap;
		ms_remedy_apply(rec.best, cmd, &ap);
		printf("\nApply it:\n");
		apply_line("shell", ap.shell);
		apply_line("systemd", ap.systemd);
		apply_line("docker", ap.docker);
		apply_line("JVM", ap.jvm);
	}
}

static void json_run(struct ms_json *j, const struct ms_workload_run *w)
{
	ms_json_obj_begin(j);
	ms_json_kbool(j, "ok", w->ok);
	ms_json_ku64(j, "peak_rss_bytes", w->peak_rss);
	ms_json_ku64(j, "final_rss_bytes", w->final_rss);
	ms_json_ku64(j, "final_vsz_bytes", w->final_vsz);
	ms_json_ku64(j, "peak_vsz_bytes", w->peak_vsz);
	ms_json_kbool(j, "final_at_line", w->final_at_seen && !w->final_by_time);
	ms_json_kbool(j, "final_by_time", w->final_by_time);
	ms_json_ki64(j, "target_pid", w->target_pid);
	if (w->wrapper_pid) {
		ms_json_ki64(j, "wrapper_pid", w->wrapper_pid);
		ms_json_ku64(j, "wrapper_rss_bytes", w->wrapper_rss);
	}
	ms_json_kdouble(j, "wall_s", w->wall_seconds);
	ms_json_kdouble(j, "cpu_s", w->cpu_seconds);
	ms_json_kstr(j, "error", w->ok ? NULL : w->error);
	ms_json_obj_end(j);
}

/* What a configuration's runs ran on (findings/allocator.h), null unread. */
static void json_seen(struct ms_json *j, const struct ms_alloc_seen *s)
{
	ms_json_key(j, "allocator_seen");
	if (!s->read) {
		ms_json_null(j);
		return;
	}
	ms_json_obj_begin(j);
	ms_json_kstr(j, "allocator", ms_allocator_name(s->allocator));
	ms_json_kbool(j, "static", s->is_static);
	ms_json_kbool(j, "built_in", s->builtin);
	ms_json_ki64(j, "pid", s->pid);
	ms_json_obj_end(j);
}

static void print_json(struct ms_remedy_result *v, size_t n, char **cmd, const char *cmdline, int runs,
		       const struct ms_compare_moment *m, int run_bound)
{
	struct ms_json j;
	ms_json_init(&j, stdout);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "step", "compare");
	ms_json_key(&j, "command");
	ms_json_arr_begin(&j);
	for (size_t i = 0; cmd[i]; i++)
		ms_json_str(&j, cmd[i]);
	ms_json_arr_end(&j);
	ms_json_ki64(&j, "runs_per_config", runs);
	ms_json_kstr(&j, "final_at", m->final_at);
	ms_json_kdouble(&j, "final_after_s", m->final_after);
	ms_json_ki64(&j, "run_bound_s", run_bound);
	ms_json_kstr(&j, "compared_at", ms_moment_id(m->kind));
	ms_json_kstr(&j, "ranked_by", n && v[0].by_vsz ? "vsz" : "rss");
	ms_json_key(&j, "rlimit_as_bytes");
	if (m->rlimit_as)
		ms_json_u64(&j, m->rlimit_as);
	else
		ms_json_null(&j);
	const char *launched = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i].baseline)
			launched = v[i].settings;
	ms_json_kstr(&j, "launched_with", launched);
	ms_json_key(&j, "runs");
	ms_json_arr_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const struct ms_remedy_result *r = &v[i];
		ms_json_obj_begin(&j);
		char label[320], what[160];
		ms_remedy_label(r, label, sizeof label);
		ms_remedy_description(r, what, sizeof what);
		ms_json_kstr(&j, "config", r->cfg->name);
		ms_json_kstr(&j, "label", label);
		ms_json_kstr(&j, "description", what);
		ms_json_kstr(&j, "allocator", ms_remedy_allocator(r));
		ms_json_kstr(&j, "preload", r->lib[0] ? r->lib : NULL);
		ms_json_key(&j, "env");
		ms_json_arr_begin(&j);
		for (size_t k = 0; k < MS_REMEDY_MAX_ENV && r->cfg->env[k]; k++)
			ms_json_str(&j, r->cfg->env[k]);
		ms_json_arr_end(&j);
		ms_json_kbool(&j, "baseline", r == ms_remedy_baseline(v, n) || (r->baseline && !ms_remedy_baseline(v, n)));
		ms_json_kbool(&j, "in_effect", r->in_effect);
		ms_json_kbool(&j, "available", r->available);
		ms_json_kstr(&j, "skipped", !r->available ? r->skipped : !r->runs && r->not_applied[0] ? r->not_applied : NULL);
		ms_json_key(&j, "applied");
		if (r->not_applied[0] || r->reached)
			ms_json_bool(&j, !r->not_applied[0]);
		else
			ms_json_null(&j);
		ms_json_kstr(&j, "not_applied", r->not_applied[0] ? r->not_applied : NULL);
		json_seen(&j, &r->seen);
		if (r->available && r->runs_ok) {
			char why[400];
			uint64_t saved;
			ms_remedy_apart_reason(r, m, why, sizeof why);
			ms_json_kbool(&j, "compared", !r->apart && !r->not_applied[0]);
			ms_json_kstr(&j, "final_moment", ms_moment_id(r->moment));
			ms_json_kstr(&j, "not_compared", r->apart ? why : NULL);
			ms_json_ki64(&j, "runs_compared", r->runs_compared);
			ms_json_kstr(&j, "effect", ms_remedy_effect_id(ms_remedy_judge(v, n, r, &saved)));
			if (!r->apart && !r->not_applied[0])
				ms_json_ki64(&j, "rank", r->rank);
			ms_json_ku64(&j, "peak_rss_bytes", r->peak_rss);
			ms_json_ku64(&j, "final_rss_bytes", r->final_rss);
			ms_json_ku64(&j, "final_rss_min_bytes", r->final_min);
			ms_json_ku64(&j, "final_rss_max_bytes", r->final_max);
			ms_json_ku64(&j, "final_vsz_bytes", r->final_vsz);
			ms_json_ku64(&j, "final_vsz_min_bytes", r->vsz_min);
			ms_json_ku64(&j, "final_vsz_max_bytes", r->vsz_max);
			ms_json_ku64(&j, "peak_vsz_bytes", r->peak_vsz);
			ms_json_kdouble(&j, "wall_s", r->wall_seconds);
			ms_json_kdouble(&j, "cpu_s", r->cpu_seconds);
		}
		ms_json_ki64(&j, "runs_ok", r->runs_ok);
		char why[200];
		ms_json_kstr(&j, "address_space_failure", ms_remedy_as_failure(r, m->rlimit_as, why, sizeof why) ? why : NULL);
		ms_json_kstr(&j, "error", r->error[0] ? r->error : NULL);
		ms_json_key(&j, "samples");
		ms_json_arr_begin(&j);
		for (int k = 0; k < r->runs; k++)
			json_run(&j, &r->all[k]);
		ms_json_arr_end(&j);
		const struct ms_workload_run *w = first_ok(r);
		ms_json_key(&j, "rss_timeline");
		ms_json_arr_begin(&j);
		size_t step = w && w->nsamples > 60 ? (w->nsamples + 59) / 60 : 1;
		for (size_t k = 0; w && k < w->nsamples; k += step) {
			ms_json_arr_begin(&j);
			ms_json_double(&j, w->samples[k].t);
			ms_json_u64(&j, w->samples[k].rss);
			ms_json_arr_end(&j);
		}
		ms_json_arr_end(&j);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	struct ms_recommendation rec;
	ms_remedy_recommend(v, n, m, &rec);
	ms_json_key(&j, "recommendation");
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "config", rec.best ? rec.best->cfg->name : NULL);
	ms_json_kstr(&j, "text", rec.text);
	ms_json_kstr(&j, "no_change", rec.same);
	ms_json_kstr(&j, "worse", rec.worse);
	ms_json_kstr(&j, "not_compared", rec.apart);
	ms_json_kstr(&j, "not_applied", rec.not_applied);
	ms_json_kstr(&j, "baseline", rec.base);
	const struct ms_remedy_result *b = ms_remedy_baseline(v, n);
	ms_json_kstr(&j, "baseline_config", b ? b->cfg->name : NULL);
	ms_json_kstr(&j, "not_measured", rec.not_measured);
	ms_json_key(&j, "run_to_run_bytes");
	if (rec.not_measured[0])
		ms_json_u64(&j, rec.spread);
	else
		ms_json_null(&j);
	struct ms_apply ap;
	if (rec.best) {
		ms_remedy_apply(rec.best, cmdline, &ap);
		ms_json_kstr(&j, "shell", ap.shell);
		ms_json_kstr(&j, "systemd", ap.systemd);
		ms_json_kstr(&j, "docker", ap.docker);
		ms_json_kstr(&j, "jvm", ap.jvm);
	}
	ms_json_obj_end(&j);
	/* The same conclusion in the shape every judging step uses. */
	ms_json_key(&j, "verdicts");
	ms_json_arr_begin(&j);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "level", rec.best ? "notice" : "info");
	ms_json_kstr(&j, "text", rec.text);
	ms_json_kstr(&j, "next", rec.best ? ap.shell : "");
	ms_json_obj_end(&j);
	ms_json_arr_end(&j);
	ms_json_obj_end(&j);
	ms_json_end(&j);
}

int cmd_compare(int argc, char **argv)
{
	int runs = 3, json = 0, interval = 10, timeout = 0, list = 0, c, final_at_given = 0;
	double final_after = -1;
	const char *configs = NULL, *final_at = DEFAULT_FINAL_AT, *rank_by = "auto";
	struct ms_args args;
	ms_args_begin(&args, &cli, argc, argv);
	while ((c = ms_args_next(&args)) != -1) {
		switch (c) {
		case 'n': runs = (int)ms_args_count(&args, "--runs", args.val, 1, 50); break;
		case 'c': configs = args.val; break;
		case 'f': final_at = args.val; final_at_given = 1; break;
		case MS_LONG('a'): final_after = ms_args_seconds(&args, "--final-after", args.val, 0.001, 86400); break;
		case 'i': interval = (int)(ms_args_seconds(&args, "--interval", args.val, 0.001, 10) * 1000 + 0.5); break;
		case 't': timeout = (int)ms_args_count(&args, "--timeout", args.val, 1, 86400); break;
		case 'j': json = 1; break;
		case MS_LONG('r'):
			rank_by = args.val;
			if (strcmp(rank_by, "rss") && strcmp(rank_by, "vsz") && strcmp(rank_by, "auto"))
				ms_fatal(PROG, "give rss, vsz or auto", "--rank-by: unknown '%s'", rank_by);
			break;
		case 'l': list = args.operands_optional = 1; break;
		}
	}
	if (list)
		return list_configs(json);
	check_configs(configs);
	/* A command that cannot start fails here, before the bound is stated. */
	char **cmd = args.cmd;
	char found[PATH_MAX];
	if (strchr(cmd[0], '/') ? access(cmd[0], X_OK) != 0 : !ms_which(cmd[0], found, sizeof found)) {
		if (!strchr(cmd[0], '/'))
			errno = ENOENT;
		ms_fatal(PROG, "install it or fix PATH", "cannot run %s: %s", cmd[0], strerror(errno));
	}
	/* The final moment and the bound, fixed before the first run. */
	if (final_after < 0)
		final_after = final_at_given ? 0 : DEFAULT_FINAL_AFTER;
	if (!timeout)
		timeout = final_after > 0 ? (int)final_after + RUN_GRACE : 600;
	regex_t re;
	ms_args_regex(&args, "--final-at", final_at, &re);
	char cmdline[2048] = "";
	size_t off = 0;
	for (size_t i = 0; cmd[i] && off < sizeof cmdline; i++)
		off += (size_t)snprintf(cmdline + off, sizeof cmdline - off, "%s%s", i ? " " : "", cmd[i]);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct ms_remedy_result *v = calloc(ms_remedy_ncfgs + 1, sizeof *v);
	if (!v)
		ms_fatal(PROG, NULL, "out of memory");
	size_t n = 0, nsel = 0;
	/* Allocator variables in the environment: the command as launched is
	 * the baseline, a row of its own; the others run without them (T5-6). */
	static const struct ms_remedy_cfg launched_cfg = { "as-launched", "the command as launched, with the allocator "
							   "variables of the environment", MS_ALLOC_GLIBC, { 0 } };
	char settings[256];
	if (ms_remedy_launched(environ, settings, sizeof settings) > 0) {
		v[n].cfg = &launched_cfg;
		v[n].baseline = v[n].available = 1;
		snprintf(v[n++].settings, sizeof v[0].settings, "%s", settings);
		char line[400];
		launched_note(settings, line, sizeof line);
		fprintf(stderr, "%s: %s\n", PROG, line);
	}
	for (size_t i = 0; i < ms_remedy_ncfgs; i++)
		if (selected(configs, ms_remedy_cfgs[i].name)) {
			v[n].cfg = &ms_remedy_cfgs[i];
			v[n].in_effect = ms_remedy_in_effect(v[n].cfg, environ);
			v[n++].available = 1;
		}
	/* A static executable is known before it runs: what cannot reach it is
	 * not run (a script's program is known when its default run is read). */
	struct ms_alloc_seen exe;
	char what[PATH_MAX + 16];
	snprintf(what, sizeof what, "%s runs on", cmd[0]);
	if (ms_alloc_seen_exe(strchr(cmd[0], '/') ? cmd[0] : found, &exe) == 0 && exe.read)
		skip_unreachable(v, 0, n, &exe, what);
	for (size_t i = 0; i < n; i++)
		nsel += !v[i].not_applied[0];
	char moment[64] = "";
	if (final_after > 0)
		snprintf(moment, sizeof moment, " or %.1f s after its start", final_after);
	fprintf(stderr, "%s: %zu configuration%s x %d run%s; each run's final RSS at the line /%s/%s, or at its exit; "
		"a run is ended after %d s: at most %ld s in all\n", PROG, nsel, nsel == 1 ? "" : "s", runs, runs == 1 ? "" : "s",
		final_at, moment, timeout, (long)timeout * (long)nsel * runs);
	struct ms_err e = { 0 };
	for (size_t i = 0; i < n && !stop_flag; i++) {
		struct ms_remedy_result *r = &v[i];
		const struct ms_remedy_cfg *cfg = r->cfg;
		if (r->not_applied[0])
			continue;
		if (cfg->allocator != MS_ALLOC_GLIBC && ms_allocator_lib_find(cfg->allocator, r->lib, sizeof r->lib) < 0) {
			r->available = 0;
			r->lib[0] = 0;
			snprintf(r->skipped, sizeof r->skipped, "%s not installed (apt-get install %s)",
				 ms_allocator_name(cfg->allocator), ms_allocator_package(cfg->allocator));
			continue;
		}
		char **env = r->baseline ? env_copy(environ) : ms_remedy_env(cfg, r->lib, environ);
		r->all = calloc((size_t)runs, sizeof *r->all);
		if (!env || !r->all)
			ms_fatal(PROG, NULL, "out of memory");
		struct ms_workload w = { .argv = cmd, .envp = env, .final_at = &re, .final_after = final_after,
					 .interval_ms = interval, .timeout_ms = timeout * 1000,
					 .interrupted = &stop_flag, .see_allocator = 1, .lib = r->lib };
		for (int k = 0; k < runs && !stop_flag; k++) {
			if (ms_workload_run(&w, &r->all[k], &e) < 0)
				ms_die(PROG, &e, MS_EXIT_ERROR);
			r->runs++;
			char a[MS_SIZE_BUF];
			if (!ms_quiet())
				fprintf(stderr, "%s: %-26s run %d/%d: %s%s%s\n", PROG, cfg->name, k + 1, runs,
					r->all[k].ok ? "final RSS " : "",
					r->all[k].ok ? ms_size_fmt(r->all[k].final_rss, a) : r->all[k].error,
					!r->all[k].ok ? "" : r->all[k].final_by_time ? " (at the timer)" :
					r->all[k].final_at_seen ? " (at the line)" : " (at its exit)");
		}
		ms_remedy_env_free(env);
		ms_remedy_summarise(r);
		ms_remedy_check(r);
		/* the default's run tells what the program runs on (a script's too) */
		if (!strcmp(cfg->name, "glibc") && r->seen.read)
			skip_unreachable(v, i + 1, n, &r->seen, "the default run used");
	}
	regfree(&re);
	if (stop_flag) {
		fprintf(stderr, "%s: interrupted; the workload was ended, nothing is left running\n", PROG);
		return MS_EXIT_ERROR;
	}
	/* runs read at different moments are never ranked as alike */
	struct rlimit as;
	struct ms_compare_moment m = { .kind = ms_remedy_moments(v, n), .final_at = final_at, .final_after = final_after,
				       .rlimit_as = getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY ?
						    (uint64_t)as.rlim_cur : 0 };
	/* under an address-space limit the VSZ is what breaks the program (T5-11) */
	const struct ms_remedy_result *base = NULL;
	for (size_t i = 0; i < n && !base; i++)
		if (v[i].baseline)
			base = &v[i];
	for (size_t i = 0; i < n && !base; i++)
		if (!strcmp(v[i].cfg->name, "glibc"))
			base = &v[i];
	int by_vsz = !strcmp(rank_by, "vsz") || (!strcmp(rank_by, "auto") && ms_remedy_vsz_rule(base, m.rlimit_as));
	for (size_t i = 0; i < n; i++)
		v[i].by_vsz = by_vsz;
	ms_remedy_rank(v, n);
	if (json)
		print_json(v, n, cmd, cmdline, runs, &m, timeout);
	else
		print_text(v, n, cmdline, runs, &m, moment);
	int any_ok = 0;
	for (size_t i = 0; i < n; i++) {
		any_ok |= v[i].runs_ok > 0;
		for (int k = 0; k < v[i].runs; k++)
			ms_workload_run_free(&v[i].all[k]);
		free(v[i].all);
	}
	free(v);
	return any_ok ? MS_EXIT_OK : MS_EXIT_ERROR;
}
