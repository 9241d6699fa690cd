#include "report/causes_report.h"

#include "report/table.h"
#include "util/size.h"

static const char *mark(enum ms_level l)
{
	return l == MS_PROBLEM ? "!!" : l == MS_NOTICE ? " !" : " -";
}

void ms_causes_json(const struct ms_causes *c, struct ms_json *j)
{
	ms_json_key(j, "causes");
	ms_json_arr_begin(j);
	for (int i = 0; i < c->n; i++) {
		const struct ms_cause *x = &c->v[i];
		ms_json_obj_begin(j);
		ms_json_kstr(j, "kind", ms_cause_kind_id(x->kind));
		if (x->kind == MS_CAUSE_RUNTIME_HEAP)
			ms_json_kstr(j, "runtime", x->runtime);
		ms_json_kstr(j, "title", ms_cause_kind_title(x->kind));
		ms_json_ku64(j, "resident_bytes", x->resident_bytes);
		ms_json_key(j, "rss_share");
		if (x->rss_share < 0)
			ms_json_null(j);   /* the RSS is not known (a core) */
		else
			ms_json_double(j, x->rss_share);
		ms_json_kstr(j, "severity", ms_level_name(x->severity));
		ms_json_kstr(j, "text", x->text);
		ms_json_key(j, "evidence");
		ms_json_obj_begin(j);
		for (int k = 0; k < x->nev; k++)
			ms_json_ku64(j, x->ev[k].name, x->ev[k].value);
		ms_json_obj_end(j);
		ms_json_key(j, "remedies");
		ms_json_arr_begin(j);
		for (int k = 0; k < x->nrem; k++) {
			const struct ms_cause_remedy *r = &x->rem[k];
			ms_json_obj_begin(j);
			ms_json_kstr(j, "command", r->command);
			ms_json_kstr(j, "addresses", ms_cause_kind_id(r->addresses));
			ms_json_kstr(j, "expected_effect", r->effect);
			ms_json_key(j, "expected_bytes");
			if (r->has_expected)
				ms_json_u64(j, r->expected_bytes);
			else
				ms_json_null(j);
			ms_json_kstr(j, "proven_by", r->proven_by[0] ? r->proven_by : NULL);
			ms_json_key(j, "measured_saving_bytes");
			if (r->measured_saving)
				ms_json_u64(j, r->measured_saving);
			else
				ms_json_null(j);
			ms_json_kbool(j, "no_change", r->no_change);
			ms_json_kbool(j, "advice", r->advice);
			ms_json_kstr(j, "measure_with", r->measure_with[0] ? r->measure_with : NULL);
			ms_json_kstr(j, "measure_config", r->measure_config[0] ? r->measure_config : NULL);
			ms_json_kstr(j, "no_command_reason", r->no_command[0] ? r->no_command : NULL);
			ms_json_obj_end(j);
		}
		ms_json_arr_end(j);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
}

void ms_causes_text(const struct ms_causes *c, FILE *out)
{
	if (!c->n)
		return;
	char b[MS_SIZE_BUF], sh[16];
	fprintf(out, "causes, largest first:\n");
	struct ms_table t;
	ms_table_init(&t, "lrrl", (const char *[]){ "", "resident", "of RSS", "cause" });
	for (int i = 0; i < c->n; i++) {
		const struct ms_cause *x = &c->v[i];
		ms_table_rowf(&t, "%s\t%s\t%s\t%s%s%s%s", mark(x->severity), ms_size_fmt(x->resident_bytes, b),
			      ms_share_fmt(x->rss_share, 1, sh, sizeof sh), ms_cause_kind_id(x->kind), x->runtime[0] ? " (" : "", x->runtime,
			      x->runtime[0] ? ")" : "");
	}
	ms_table_print(&t, out, "  ");
	ms_table_free(&t);
	struct ms_cause_remedy rem[32];
	int n;
	ms_causes_remedies(c, rem, 32, &n);
	if (!n)
		return;
	fprintf(out, "remedies, by the bytes they address:\n");
	for (int i = 0; i < n; i++) {
		char d[1024];
		ms_cause_remedy_describe(&rem[i], d, sizeof d);
		fprintf(out, "  %d. %s%s\n     %s: %s\n", i + 1, rem[i].advice ? "(advice) " : "", rem[i].command,
			ms_cause_kind_id(rem[i].addresses), d);
	}
}
