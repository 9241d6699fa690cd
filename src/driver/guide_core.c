/* memsleuth guide --core CORE: the method over a core file.  overview
 * --core runs in-process (findings/coreview.h), arenas --core as a child
 * like the live guide's arenas step (its findings JSON read back); the
 * live-only steps are said with the command to run on a live process.
 * What the findings mean is decided in findings/guide_core.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/coreview.h"
#include "findings/guide.h"
#include "guide_int.h"
#include "report/coreview_report.h"
#include "steps.h"

static const char *const prog = "memsleuth guide";

void guide_core_check(const struct gopts *o, const struct ms_args *cl)
{
	if (cl->pid || cl->cmd)
		ms_fatal(prog, "give one of them: a PID, -- CMD ARGS or --core CORE",
			 "--core %s with %s: a core is read instead of a process", o->core, cl->cmd ? "-- CMD" : "a PID");
	if (o->when || o->after >= 0 || o->no_compare)
		ms_fatal(prog, "leave them out: they say when to look at a command the guide launches",
			 "--core %s with --when, --after or --no-compare", o->core);
	if (o->live_given)
		ms_fatal(prog, "leave it out: a core is one moment; the guide says what to run on a live process",
			 "--core %s with %s: it watches a running process", o->core, o->live_given);
}

/* overview --core's findings, as its --json prints them. */
static struct ms_jval *core_overview(const struct gopts *o, struct ms_err *e)
{
	struct ms_coreview *cv = malloc(sizeof *cv);
	struct ms_jval *v = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = NULL;
	if (!cv) {
		ms_err_set(e, 0, "out of memory", NULL, "core %s", o->core);
		return NULL;
	}
	if (ms_coreview_collect(o->core, o->exe, o->sysroot, cv, e) == 0 && (m = open_memstream(&buf, &len))) {
		struct ms_json j;
		ms_json_init(&j, m);
		ms_coreview_json(cv, &j);
		fclose(m);
		v = ms_jparse(buf, len, "overview --core", e);
	}
	free(buf);
	free(cv);
	return v;
}

int guide_core(const struct gopts *o, struct ms_guide *g, struct ms_args *cl, const char *started, const char *host)
{
	struct ms_err e = { 0 };
	struct ms_jval *ov = core_overview(o, &e);
	if (!ov)
		ms_die(prog, &e, MS_EXIT_ERROR);
	char why[1400];
	if (ms_guide_core_refusal(ov, o->core, why, sizeof why)) {
		ms_jfree(ov);
		ms_fatal(prog, NULL, "%s", why);
	}
	/* the printed commands read the core as this run did */
	char opts[1100];
	snprintf(opts, sizeof opts, "%s%s%s%s", o->exe ? " --exe " : "", o->exe ? o->exe : "",
		 o->sysroot ? " --sysroot " : "", o->sysroot ? o->sysroot : "");
	ms_guide_core_facts(g, ov, o->core, opts);
	fprintf(o->say, "memsleuth guide: core %s of process %d (%s)%s\n", o->core, (int)g->pid, g->name,
		g->core_missing[0] ? ", PARTIAL" : "");

	/* 1: the symptom: RSS is not in a core, the core's bytes stand in. */
	guide_say_step_head(o, MS_G_ACCOUNTED);
	int go = 1;
	if (!g->has_accounted && o->interactive)
		go = guide_ask_accounted(g);
	ms_guide_take_accounted(g);
	guide_say_step_body(o, &g->step[MS_G_ACCOUNTED]);
	go = go && guide_pause_here(o);

	/* 2: where it lived. */
	if (go) {
		guide_say_step_head(o, MS_G_OVERVIEW);
		ms_guide_take_overview(g, NULL);
		guide_say_step_body(o, &g->step[MS_G_OVERVIEW]);
		go = guide_pause_here(o);
	}

	/* 3: glibc's arenas in the core; 4, 5: live only. */
	for (enum ms_gstep_id id = MS_G_ARENAS; go && id <= MS_G_SYSCALLS; id++) {
		struct ms_gstep *st = &g->step[id];
		char reason[400];
		guide_say_step_head(o, id);
		if (id != MS_G_ARENAS) {
			ms_guide_core_skip(g, id);
		} else if (!ms_guide_relevant(g, id, reason, sizeof reason)) {
			ms_gstep_set(st, MS_G_SKIPPED, reason);
		} else {
			char *args[8];
			int k = 0;
			args[k++] = "--core";
			args[k++] = (char *)o->core;
			if (o->exe) {
				args[k++] = "--exe";
				args[k++] = (char *)o->exe;
			}
			if (o->sysroot) {
				args[k++] = "--sysroot";
				args[k++] = (char *)o->sysroot;
			}
			args[k] = NULL;
			ms_guide_take_arenas(g, guide_run_step(g, st, "arenas", args, 300));
		}
		guide_say_step_body(o, st);
		go = guide_pause_here(o);
	}

	/* 6: the remedies of the causes found, for a process that may no longer run. */
	if (go) {
		struct ms_gstep *st = &g->step[MS_G_REMEDIES];
		guide_say_step_head(o, MS_G_REMEDIES);
		for (int i = 0; i < g->nlive_only; i++)
			if (!strcmp(g->live_only[i].what, "trim") || !strcmp(g->live_only[i].what, "compare"))
				ms_gstep_evidence(st, "%s: skipped (%s); on a live process: %s", g->live_only[i].what,
						  g->live_only[i].reason, g->live_only[i].command);
		ms_guide_remedies(g, NULL);
		guide_say_step_body(o, st);
	}
	g->stopped_early = !go || guide_stop;
	ms_guide_conclude(g);
	return guide_finish(o, g, cl, started, host);
}
