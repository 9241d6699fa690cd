#include "probe/tasks.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/procfs.h"

int ms_syscall_sp_parse(const char *buf, uint64_t *sp)
{
	/* "running" or "-1 sp pc" (not in a syscall) or 9 fields */
	unsigned long long f[9];
	long nr;
	int n = sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr,
		       &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]);
	if (n == 9) {
		*sp = f[6];
		return 0;
	}
	if (n == 3 && nr == -1) {
		*sp = f[0];
		return 0;
	}
	return -1;
}

int ms_threads_list(pid_t pid, size_t max, struct ms_threads *out)
{
	memset(out, 0, sizeof *out);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && out->n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct ms_thread *nv = realloc(out->v, cap * sizeof *nv);
			if (!nv)
				break;
			out->v = nv;
		}
		struct ms_thread *t = &out->v[out->n];
		memset(t, 0, sizeof *t);
		t->tid = (pid_t)atoi(de->d_name);
		char name[64], *buf;
		snprintf(name, sizeof name, "task/%d/comm", (int)t->tid);
		if (ms_proc_read(pid, name, &buf, NULL, NULL) == 0) {
			buf[strcspn(buf, "\n")] = 0;
			snprintf(t->name, sizeof t->name, "%s", buf);
			free(buf);
		} else {
			continue;   /* exited meanwhile */
		}
		snprintf(name, sizeof name, "task/%d/syscall", (int)t->tid);
		if (ms_proc_read(pid, name, &buf, NULL, NULL) == 0) {
			t->sp_known = ms_syscall_sp_parse(buf, &t->sp) == 0;
			free(buf);
		}
		out->n++;
	}
	closedir(d);
	return 0;
}

void ms_threads_free(struct ms_threads *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

const struct ms_thread *ms_threads_find(const struct ms_threads *t, pid_t tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].tid == tid)
			return &t->v[i];
	return NULL;
}
