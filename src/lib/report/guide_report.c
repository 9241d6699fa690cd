/* The guide's combined findings document ("step": "guide"): every step's
 * evidence, verdict and commands, with the step's own JSON embedded
 * unchanged, so msreport renders it and machines read it. */
#include "report/guide_report.h"

#include <inttypes.h>
#include <stdio.h>

#include "report/causes_report.h"
#include "report/json_tree.h"
#include "report/overview_report.h"
#include "report/watch_report.h"

void ms_guide_json(const struct ms_guide *g, struct ms_json *j, const char *started, const char *host)
{
	ms_json_obj_begin(j);
	ms_json_kstr(j, "step", "guide");
	ms_json_ki64(j, "pid", g->pid);
	ms_json_kstr(j, "name", g->name);
	ms_json_kstr(j, "command", g->launched ? g->command : NULL);
	ms_json_kstr(j, "target_cmdline", g->command[0] ? g->command : NULL);
	ms_json_key(j, "target_title");   /* its command line is a title it wrote: no command starts it */
	if (g->origin.title) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "text", g->origin.text);
		ms_json_kstr(j, "reason", g->origin.why);
		ms_json_key(j, "parent_pid");
		if (g->origin.parent > 0)
			ms_json_i64(j, g->origin.parent);
		else
			ms_json_null(j);
		ms_json_kstr(j, "parent_exe", g->origin.parent_exe[0] ? g->origin.parent_exe : NULL);
		ms_json_obj_end(j);
	} else {
		ms_json_null(j);
	}
	ms_json_kstr(j, "launch", g->launch[0] ? g->launch : NULL);
	ms_json_kstr(j, "looked_when", g->when[0] ? g->when : NULL);
	ms_json_kstr(j, "started", started);
	ms_json_kstr(j, "host", host);
	ms_json_kstr(j, "source", g->core[0] ? "core" : "process");
	ms_json_key(j, "rss_bytes");
	if (g->core[0])   /* RSS is not in a core: the core's bytes stand in, under "core" */
		ms_json_null(j);
	else
		ms_json_u64(j, g->rss);
	if (g->core[0]) {
		ms_json_key(j, "core");
		ms_json_obj_begin(j);
		ms_json_kstr(j, "path", g->core);
		ms_json_kstr(j, "written_by", g->core_written_by);
		ms_json_kstr(j, "residency", g->core_residency);
		ms_json_ku64(j, "in_core_bytes", g->rss);
		ms_json_ku64(j, "mapped_bytes", g->core_mapped);
		ms_json_kbool(j, "partial", g->core_missing[0] != 0);
		ms_json_kstr(j, "missing", g->core_missing[0] ? g->core_missing : NULL);
		ms_json_obj_end(j);
		ms_json_key(j, "live_only");   /* what a core cannot answer, and the command on a live process */
		ms_json_arr_begin(j);
		for (int i = 0; i < g->nlive_only; i++) {
			ms_json_obj_begin(j);
			ms_json_kstr(j, "check", g->live_only[i].what);
			ms_json_kstr(j, "status", "skipped");
			ms_json_kstr(j, "reason", g->live_only[i].reason);
			ms_json_kstr(j, "command", g->live_only[i].command);
			ms_json_obj_end(j);
		}
		ms_json_arr_end(j);
	}
	if (g->has_accounted) {
		ms_json_ku64(j, "accounted_bytes", g->accounted);
		ms_json_kstr(j, "accounted_from", g->accounted_from);
		ms_json_ku64(j, "gap_bytes", ms_guide_to_explain(g));
	}
	if (g->have_arenas) {
		ms_json_ku64(j, "free_bytes", g->free_bytes);
		ms_json_ku64(j, "free_resident_bytes", g->free_resident);
		ms_json_ku64(j, "trim_prediction_bytes", g->trim_prediction);
	}
	if (g->launched) {   /* the command under the allocator hook from its start, or why not */
		ms_json_key(j, "recording");
		ms_json_obj_begin(j);
		ms_json_kstr(j, "directory", g->recording[0] ? g->recording : NULL);
		ms_json_kbool(j, "kept", g->recording[0] && g->recording_kept);
		ms_json_kstr(j, "note", g->recording_note[0] ? g->recording_note : NULL);
		ms_json_obj_end(j);
	}
	if (g->pin_pinned) {   /* the chunk pinning the most free memory */
		char addr[32], user[32];
		snprintf(addr, sizeof addr, "%#" PRIx64, g->pin_address);
		snprintf(user, sizeof user, "%#" PRIx64, g->pin_address + 16);
		ms_json_key(j, "pin");
		ms_json_obj_begin(j);
		ms_json_kstr(j, "address", addr);
		ms_json_kstr(j, "pointer", user);
		ms_json_ku64(j, "size_bytes", g->pin_size);
		ms_json_ku64(j, "pinned_bytes", g->pin_pinned);
		ms_json_kstr(j, "allocated_at", g->pin_at[0] ? g->pin_at : NULL);
		ms_json_kstr(j, "thread", g->pin_at[0] ? g->pin_thread : NULL);
		if (g->pin_at[0])
			ms_json_ku64(j, "tid", g->pin_tid);
		ms_json_kstr(j, "next", g->pin_at[0] ? g->step[MS_G_ARENAS].next : NULL);
		ms_json_obj_end(j);
	}
	ms_json_kbool(j, "stopped_early", g->stopped_early);
	ms_json_key(j, "doctor");
	ms_json_value(j, g->doctor);
	if (g->examined_s >= 0)
		ms_json_kdouble(j, "examined_at_s", g->examined_s);
	ms_json_key(j, "rss_timeline");
	ms_json_arr_begin(j);
	for (size_t i = 0; i < g->rss_series.nkept; i++) {
		ms_json_arr_begin(j);
		ms_json_double(j, g->rss_series.kept[i].t);
		ms_json_u64(j, g->rss_series.kept[i].rss);
		ms_json_arr_end(j);
	}
	ms_json_arr_end(j);
	if (g->watch.nsamples) {
		ms_json_key(j, "watch");
		ms_json_obj_begin(j);
		ms_json_kdouble(j, "span_s", g->watch.last.t);
		ms_json_ku64(j, "samples", g->watch.nsamples);
		ms_json_ku64(j, "samples_with_allocator", g->watch.nalloc);
		ms_watch_json_findings(j, &g->watch);
		ms_json_obj_end(j);
	}
	ms_json_key(j, "steps");
	ms_json_arr_begin(j);
	for (int i = 0; i < MS_G_N; i++) {
		const struct ms_gstep *s = &g->step[i];
		ms_json_obj_begin(j);
		ms_json_kstr(j, "name", ms_gstep_name((enum ms_gstep_id)i));
		ms_json_kstr(j, "title", ms_gstep_title((enum ms_gstep_id)i));
		ms_json_kstr(j, "status", ms_gstatus_name(s->status));
		ms_json_kstr(j, "why", ms_gstep_why((enum ms_gstep_id)i));
		ms_json_kstr(j, "reason", s->reason);
		ms_json_key(j, "evidence");
		ms_json_arr_begin(j);
		for (int k = 0; k < s->nev; k++)
			ms_json_str(j, s->evidence[k]);
		ms_json_arr_end(j);
		ms_json_kstr(j, "verdict", s->verdict);
		ms_json_kstr(j, "next", s->next);
		ms_json_key(j, "commands");
		ms_json_arr_begin(j);
		for (int k = 0; k < s->ncmd; k++)
			ms_json_str(j, s->commands[k]);
		ms_json_arr_end(j);
		ms_json_key(j, "findings");
		if (s->findings && s->findings->type == MS_J_OBJ && !ms_jget(s->findings, "step")) {
			/* A step whose JSON does not name itself: name it, so the
			 * renderer knows how to draw it. */
			ms_json_obj_begin(j);
			ms_json_kstr(j, "step", ms_gstep_name((enum ms_gstep_id)i));
			for (const struct ms_jval *c = s->findings->child; c; c = c->next) {
				ms_json_key(j, c->key);
				ms_json_value(j, c);
			}
			ms_json_obj_end(j);
		} else {
			ms_json_value(j, s->findings);
		}
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_causes_json(&g->causes, j);
	ms_verdicts_json(&g->conclusions, j);
	ms_json_obj_end(j);
	ms_json_end(j);
}
