#include "report/prom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/json.h"

void ms_prom_label(FILE *out, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = ms_utf8_len((const unsigned char *)s + i, n - i);
		if (!len) {
			fputs("\xef\xbf\xbd", out);
			i++;
			continue;
		}
		if (c == '\\')
			fputs("\\\\", out);
		else if (c == '"')
			fputs("\\\"", out);
		else if (c == '\n')
			fputs("\\n", out);
		else
			fwrite(s + i, 1, len, out);
		i += len;
	}
}

struct ctx {
	FILE *out;
	int pid;
	const char *comm;
};

static void head(struct ctx *c, const char *name, const char *type, const char *help)
{
	fprintf(c->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{pid="..",comm=".."[,extra="value"]} value */
static void line(struct ctx *c, const char *name, const char *extra, const char *xval, double v)
{
	fprintf(c->out, "%s{pid=\"%d\",comm=\"", name, c->pid);
	ms_prom_label(c->out, c->comm);
	fputc('"', c->out);
	if (extra) {
		fprintf(c->out, ",%s=\"", extra);
		ms_prom_label(c->out, xval);
		fputc('"', c->out);
	}
	/* integers (bytes, counts: below 2^53) exactly, rates and ages short */
	if (v == (double)(int64_t)v && v < 9007199254740992.0 && v > -9007199254740992.0)
		fprintf(c->out, "} %.0f\n", v);
	else
		fprintf(c->out, "} %.6g\n", v);
}

static void gauge(struct ctx *c, const char *name, const char *help, double v)
{
	head(c, name, "gauge", help);
	line(c, name, NULL, NULL, v);
}

void ms_prom_expose(FILE *out, const struct ms_tseries *ts, const char *comm)
{
	struct ctx c = { out, (int)ts->pid, comm };
	const struct ms_sample *s = &ts->last;
	gauge(&c, "memsleuth_rss_bytes", "Resident set size of the process (VmRSS).", (double)s->rss);
	gauge(&c, "memsleuth_pss_bytes", "Proportional set size (smaps_rollup Pss).", (double)s->pss);
	gauge(&c, "memsleuth_virtual_bytes", "Virtual address space of the process (VmSize).", (double)s->vsz);
	gauge(&c, "memsleuth_rss_peak_bytes", "Peak resident set size (VmHWM).", (double)s->hwm);
	gauge(&c, "memsleuth_swap_bytes", "Swapped-out anonymous memory (VmSwap).", (double)s->swap);
	if (s->has_classes) {
		head(&c, "memsleuth_class_rss_bytes", "gauge",
		     "Resident bytes by memory class (memsleuth overview's classes).");
		for (int k = 0; k < MS_CLASS_N; k++)
			line(&c, "memsleuth_class_rss_bytes", "class", ms_class_name((enum ms_class)k),
			     (double)s->class_rss[k]);
	}
	if (s->arenas >= 0) {
		gauge(&c, "memsleuth_glibc_arenas", "glibc malloc arenas, main arena included (from the mappings).",
		      (double)s->arenas);
		gauge(&c, "memsleuth_glibc_arena_heaps", "glibc non-main arena heaps (64 MiB reservations).",
		      (double)s->arena_heaps);
	}
	if (ts->have_last_alloc) {
		const struct ms_sample *a = &ts->last_alloc;
		gauge(&c, "memsleuth_glibc_in_use_bytes", "Bytes in glibc malloc chunks in use, mmapped chunks included.",
		      (double)a->in_use);
		gauge(&c, "memsleuth_glibc_free_bytes", "Free bytes glibc malloc holds (bins and top chunks).",
		      (double)a->free);
		gauge(&c, "memsleuth_glibc_free_resident_bytes", "Of the free bytes, those resident in RAM (free kept).",
		      (double)a->free_resident);
		gauge(&c, "memsleuth_glibc_top_bytes", "Bytes in the arenas' top chunks.", (double)a->top);
		gauge(&c, "memsleuth_glibc_mmapped_bytes", "Bytes in chunks malloc got from mmap.", (double)a->mmapped);
		gauge(&c, "memsleuth_glibc_trim_prediction_bytes",
		      "Resident bytes malloc_trim(0) would release (memsleuth's model).", (double)a->trim_prediction);
		gauge(&c, "memsleuth_glibc_figures_age_seconds",
		      "Seconds between the latest sample and the latest allocator walk.", s->t - a->t);
	}
	if (ts->fit[MS_TS_RUNTIME_HEAP].n)
		gauge(&c, "memsleuth_runtime_heap_bytes", "The runtime's own heap: the Java heap's resident bytes "
		      "(committed when its range is not known).",
		      ts->fit[MS_TS_RUNTIME_HEAP].y_last);
	head(&c, "memsleuth_growth_bytes_per_second", "gauge",
	     "Least-squares growth rate of a component over the whole watch.");
	for (int k = 0; k < MS_TS_N; k++) {
		if (!ms_ts_comp_is_bytes((enum ms_ts_comp)k) || ts->fit[k].n < 2)
			continue;
		line(&c, "memsleuth_growth_bytes_per_second", "component", ms_ts_comp_name((enum ms_ts_comp)k),
		     ms_fit_slope(&ts->fit[k]));
	}
	head(&c, "memsleuth_samples_total", "counter", "Samples taken by this watch.");
	line(&c, "memsleuth_samples_total", NULL, NULL, (double)ts->nsamples);
	head(&c, "memsleuth_allocator_samples_total", "counter", "Samples with glibc's figures (a consistent walk).");
	line(&c, "memsleuth_allocator_samples_total", NULL, NULL, (double)ts->nalloc);
}

/* Make an exclusive temp file in p->dir; returns the fd or -1. */
static int temp_open(struct ms_prom *p, char *tmp, size_t len)
{
	for (int tries = 0; tries < 16; tries++) {
		snprintf(tmp, len, "%s/.%s.%d.%lu.tmp", p->dir, p->base, (int)getpid(), p->seq++);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int ms_prom_open(struct ms_prom *p, const char *path, struct ms_err *e)
{
	memset(p, 0, sizeof *p);
	size_t n = strlen(path);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (n < 6 || strcmp(path + n - 5, ".prom") || strlen(base) <= 5)
		return ms_err_set(e, 0, "does not end in .prom",
				  "node_exporter's textfile collector reads only *.prom files", "--prometheus %s", path);
	if (n >= sizeof p->path || strlen(base) >= sizeof p->base)
		return ms_err_set(e, ENAMETOOLONG, NULL, NULL, "--prometheus %s", path);
	snprintf(p->path, sizeof p->path, "%s", path);
	snprintf(p->base, sizeof p->base, "%s", base);
	if (!slash)
		snprintf(p->dir, sizeof p->dir, ".");
	else if (slash == path)
		snprintf(p->dir, sizeof p->dir, "/");
	else
		snprintf(p->dir, sizeof p->dir, "%.*s", (int)(slash - path), path);
	char tmp[PATH_MAX + 300];
	int fd = temp_open(p, tmp, sizeof tmp);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, "give a file in a directory you can write, e.g. "
				  "/var/lib/prometheus/node-exporter/NAME.prom", "--prometheus %s: directory %s",
				  path, p->dir);
	close(fd);
	unlink(tmp);
	return 0;
}

int ms_prom_write(struct ms_prom *p, const struct ms_tseries *ts, const char *comm, struct ms_err *e)
{
	char tmp[PATH_MAX + 300];
	int fd = temp_open(p, tmp, sizeof tmp);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, NULL, "--prometheus %s: temp file in %s", p->path, p->dir);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int err = errno;
		close(fd);
		unlink(tmp);
		return ms_err_set(e, err, NULL, NULL, "--prometheus %s", p->path);
	}
	ms_prom_expose(f, ts, comm);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		int err = errno ? errno : EIO;
		unlink(tmp);
		return ms_err_set(e, err, NULL, "is the file system full?", "--prometheus %s: writing %s", p->path, tmp);
	}
	if (rename(tmp, p->path) < 0) {
		int err = errno;
		unlink(tmp);
		return ms_err_set(e, err, NULL, NULL, "--prometheus %s: renaming %s", p->path, tmp);
	}
	p->written = 1;
	return 0;
}

void ms_prom_remove(struct ms_prom *p)
{
	if (p->written && unlink(p->path) == 0)
		p->written = 0;
}
