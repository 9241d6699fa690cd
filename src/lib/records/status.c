#include "records/status.h"
#include "records/lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t kb_value(const char *v)
{
	return strtoull(v, NULL, 10) * 1024;
}

int ms_status_parse(const char *buf, size_t len, struct ms_status *st)
{
	memset(st, 0, sizeof *st);
	const char *p = buf, *end = buf + len;
	int seen = 0;
	char line[512];
	while (ms_line_next(&p, end, line, sizeof line)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!strcmp(line, "Name")) {
			snprintf(st->name, sizeof st->name, "%s", v);
			seen++;
		} else if (!strcmp(line, "State")) {
			st->state = v[0];
			seen++;
		} else if (!strcmp(line, "Tgid")) {
			st->tgid = (pid_t)atoi(v);
		} else if (!strcmp(line, "TracerPid")) {
			st->tracer = (pid_t)atoi(v);
		} else if (!strcmp(line, "PPid")) {
			st->ppid = (pid_t)atoi(v);
		} else if (!strcmp(line, "Uid")) {
			st->uid = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(line, "NSpid")) {
			char *s = v, *endp;
			while (st->nspid_n < MS_MAX_NS) {
				long x = strtol(s, &endp, 10);
				if (endp == s)
					break;
				st->nspid[st->nspid_n++] = (pid_t)x;
				s = endp;
			}
		} else if (!strcmp(line, "Threads")) {
			st->threads = atoi(v);
		} else if (!strcmp(line, "VmSize")) {
			st->vm_size = kb_value(v);
			st->has_vm = 1;
		} else if (!strcmp(line, "VmPeak")) {
			st->vm_peak = kb_value(v);
		} else if (!strcmp(line, "VmRSS")) {
			st->vm_rss = kb_value(v);
			st->has_vm = 1;
		} else if (!strcmp(line, "VmHWM")) {
			st->vm_hwm = kb_value(v);
		} else if (!strcmp(line, "RssAnon")) {
			st->rss_anon = kb_value(v);
		} else if (!strcmp(line, "RssFile")) {
			st->rss_file = kb_value(v);
		} else if (!strcmp(line, "RssShmem")) {
			st->rss_shmem = kb_value(v);
		} else if (!strcmp(line, "VmSwap")) {
			st->vm_swap = kb_value(v);
		}
	}
	return seen == 2 ? 0 : -1;
}
