/* The guide's combined document: the conclusions first, then each step of
 * the method as it ran (or why it was skipped), with its findings. */
#include <inttypes.h>
#include <string.h>

#include "report/render_int.h"

void r_guide(struct ms_render *r, const struct ms_jval *doc)
{
	const char *cmd = ms_jstr(doc, "command", NULL);
	const struct ms_jval *core = ms_jget(doc, "core");
	if (core && core->type == MS_J_OBJ)   /* guide --core: what was read, and that RSS is not in it */
		r_heading(r, 1, "memsleuth guide: core %s of process %" PRIu64 " (%s)", ms_jstr(core, "path", "?"),
			  ms_ju64(doc, "pid", 0), ms_jstr(doc, "name", "?"));
	else
		r_heading(r, 1, "memsleuth guide: process %" PRIu64 " (%s)", ms_ju64(doc, "pid", 0), ms_jstr(doc, "name", "?"));
	if (cmd) {   /* a command can be kilobytes: as code that wraps, not as a heading */
		r_para(r, "Launched:");
		r_code(r, cmd);
	}
	const struct ms_jval *rec = ms_jget(doc, "recording");
	if (ms_jstr(rec, "directory", NULL))
		r_para(r, "Run under the allocator hook from its start (memsleuth hotspots --record-only): the process "
		       "examined is the one recorded, %s %s.", ms_jbool(rec, "kept", false) ? "kept in" : "in the temporary",
		       ms_jstr(rec, "directory", ""));
	else if (ms_jstr(rec, "note", NULL))
		r_para(r, "%s.", ms_jstr(rec, "note", ""));
	if (ms_jstr(doc, "started", NULL))
		r_para(r, "Investigated %s on %s.", ms_jstr(doc, "started", ""), ms_jstr(doc, "host", "this host"));
	r_causes(r, ms_jget(doc, "causes"), 2);
	r_heading(r, 2, "Conclusions");
	r_verdicts(r, ms_jget(doc, "verdicts"));
	if (ms_jbool(doc, "stopped_early", false))
		r_para(r, "The investigation was stopped before its last step; what was found so far is below.");
	/* the RSS up to the moment examined; what the guide's steps did after it, apart */
	r_timeline(r, "RSS over time (sampled by the guide)", "RSS", ms_jget(doc, "rss_timeline"),
		   ms_jhas_num(doc, "examined_at_s") ? ms_jnum(doc, "examined_at_s", 0) : -1, ms_ju64(doc, "rss_bytes", 0));
	const struct ms_jval *w = ms_jget(doc, "watch");
	if (w && w->type == MS_J_OBJ)
		r_watch_timeline(r, ms_jget(w, "timeline"), ms_jget(w, "trends"));

	const struct ms_jval *steps = ms_jget(doc, "steps");
	int k = 0;
	for (const struct ms_jval *s = steps && steps->type == MS_J_ARR ? steps->child : NULL; s; s = s->next) {
		const char *status = ms_jstr(s, "status", "?");
		r_heading(r, 2, "Step %d: %s [%s]", ++k, ms_jstr(s, "title", ms_jstr(s, "name", "?")), status);
		if (ms_jstr(s, "why", NULL))
			r_para(r, "What it checks and why: %s", ms_jstr(s, "why", ""));
		if (ms_jstr(s, "reason", NULL) && *ms_jstr(s, "reason", ""))
			r_para(r, "%s: %s", !strcmp(status, "skipped") ? "Skipped" : "Note", ms_jstr(s, "reason", ""));
		const struct ms_jval *cmds = ms_jget(s, "commands");
		if (!strcmp(status, "skipped") && cmds && cmds->type == MS_J_ARR && cmds->len) {
			/* a live-only step from a core: what to run instead */
			r_para(r, "Instead, on a live process:");
			for (const struct ms_jval *c = cmds->child; c; c = c->next)
				if (c->type == MS_J_STR)
					r_code(r, c->str);
			continue;
		}
		const struct ms_jval *ev = ms_jget(s, "evidence");
		if (ev && ev->type == MS_J_ARR && ev->len) {
			r_para(r, "Evidence:");
			r_list(r, ev);
		}
		if (ms_jstr(s, "verdict", NULL) && *ms_jstr(s, "verdict", ""))
			r_para(r, "Verdict: %s", ms_jstr(s, "verdict", ""));
		if (ms_jstr(s, "next", NULL) && *ms_jstr(s, "next", ""))
			r_para(r, "Next: %s", ms_jstr(s, "next", ""));
		const struct ms_jval *f = ms_jget(s, "findings");
		if (f && f->type == MS_J_OBJ && ms_jstr(f, "step", NULL))
			r_step(r, f, 3);
		if (cmds && cmds->type == MS_J_ARR && cmds->len) {
			r_para(r, "Commands to reproduce these numbers:");
			for (const struct ms_jval *c = cmds->child; c; c = c->next)
				if (c->type == MS_J_STR)
					r_code(r, c->str);
		}
	}
}
