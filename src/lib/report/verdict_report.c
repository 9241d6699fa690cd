#include "report/overview_report.h"

#include "report/table.h"

void ms_verdicts_text(const struct ms_verdicts *vs, FILE *out)
{
	int colour = ms_use_colour(out);
	for (int i = 0; i < vs->n; i++) {
		const struct ms_verdict *v = &vs->v[i];
		const char *mark = v->level == MS_PROBLEM ? "!!" : v->level == MS_NOTICE ? " !" : " -";
		if (colour && v->level == MS_PROBLEM)
			fprintf(out, "\033[1;31m%s\033[0m %s\n", mark, v->text);
		else
			fprintf(out, "%s %s\n", mark, v->text);
		if (v->next[0])
			fprintf(out, "   next: %s\n", v->next);
	}
}

void ms_verdicts_json(const struct ms_verdicts *vs, struct ms_json *j)
{
	ms_json_key(j, "verdicts");
	ms_json_arr_begin(j);
	for (int i = 0; i < vs->n; i++) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "level", ms_level_name(vs->v[i].level));
		ms_json_kstr(j, "text", vs->v[i].text);
		ms_json_kstr(j, "next", vs->v[i].next);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	/* what --fail-on compares: the worst verdict printed */
	int worst = ms_verdicts_worst(vs);
	ms_json_kstr(j, "max_severity", worst < 0 ? NULL : ms_level_name((enum ms_level)worst));
}
