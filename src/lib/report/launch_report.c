#include "report/launch_report.h"

static void image(struct ms_json *j, const struct ms_launch_image *im, const char *bytes_key)
{
	ms_json_obj_begin(j);
	ms_json_ki64(j, "pid", im->pid);
	ms_json_ki64(j, "ppid", im->ppid);
	ms_json_kstr(j, "name", im->name);
	ms_json_ku64(j, "calls", im->calls);
	ms_json_ku64(j, bytes_key, im->weight);
	ms_json_obj_end(j);
}

void ms_launch_json(struct ms_json *j, const struct ms_launch_image *im, size_t n, size_t program,
		    const char *line, const char *bytes_key)
{
	ms_json_key(j, "launch");
	ms_json_obj_begin(j);
	ms_json_kstr(j, "text", line && *line ? line : NULL);
	ms_json_key(j, "program");
	if (program < n)
		image(j, &im[program], bytes_key);
	else
		ms_json_null(j);
	ms_json_key(j, "wrapper");
	ms_json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		if (im[i].role == MS_LAUNCH_WRAPPER)
			image(j, &im[i], bytes_key);
	ms_json_arr_end(j);
	ms_json_obj_end(j);
}
