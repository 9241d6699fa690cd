#include "report/doctor_report.h"

#include "report/table.h"

void ms_doctor_text(const struct ms_doctor *d, FILE *out)
{
	if (d->pid && d->ns_pid)
		fprintf(out, "memsleuth doctor: this host, and process %d (%s; PID %d in its own namespace)\n\n",
			(int)d->pid, d->target_name, (int)d->ns_pid);
	else if (d->pid)
		fprintf(out, "memsleuth doctor: this host, and process %d (%s)\n\n", (int)d->pid, d->target_name);
	else
		fprintf(out, "memsleuth doctor: this host (give a PID to check a target too)\n\n");
	struct ms_table t;
	ms_table_init(&t, "lll", (const char *[]){ "check", "ok", "what was found" });
	for (int i = 0; i < d->n; i++)
		ms_table_rowf(&t, "%s\t%s\t%s", d->c[i].name, ms_check_state_name(d->c[i].state), d->c[i].detail);
	ms_table_print(&t, out, "  ");
	ms_table_free(&t);
	ms_table_init(&t, "ll", (const char *[]){ "", "" });
	for (int i = 0; i < d->n; i++)
		if (d->c[i].state != MS_CHECK_YES && d->c[i].hint[0])
			ms_table_rowf(&t, "%s\t%s", d->c[i].name, d->c[i].hint);
	if (t.nrows) {
		fprintf(out, "\nways out:\n");
		ms_table_print(&t, out, "  ");
	}
	ms_table_free(&t);
}

void ms_doctor_json(const struct ms_doctor *d, struct ms_json *j)
{
	ms_json_obj_begin(j);
	ms_json_kstr(j, "step", "doctor");
	ms_json_key(j, "pid");
	if (d->pid)
		ms_json_i64(j, d->pid);
	else
		ms_json_null(j);
	if (d->ns_pid)
		ms_json_ki64(j, "ns_pid", d->ns_pid);
	ms_json_key(j, "checks");
	ms_json_arr_begin(j);
	for (int i = 0; i < d->n; i++) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "name", d->c[i].name);
		ms_json_kstr(j, "status", ms_check_state_name(d->c[i].state));
		ms_json_kstr(j, "detail", d->c[i].detail);
		ms_json_kstr(j, "hint", d->c[i].hint);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_obj_end(j);
	ms_json_end(j);
}
