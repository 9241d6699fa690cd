/* Symbol resolution: see symres.h.  libdw's Dwfl does the module layout,
 * symbol tables and line tables; this file adds the maps-snapshot input,
 * a cache and the one-line format. */
#include "probe/symres.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096

struct cache_ent { uint64_t addr; int ret; int used; struct ms_sym sym; };

struct ms_symres {
	Dwfl *dwfl;
	Dwfl_Callbacks cb;
	char *debuginfo_path;
	struct cache_ent *cache;
};

static struct ms_symres *new_res(struct ms_err *e, int live)
{
	struct ms_symres *s = calloc(1, sizeof *s);
	if (!s) {
		ms_err_set(e, ENOMEM, NULL, NULL, "symbol resolution");
		return NULL;
	}
	s->cache = calloc(CACHE_SLOTS, sizeof *s->cache);
	s->cb.find_elf = dwfl_linux_proc_find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.debuginfo_path = &s->debuginfo_path;
	(void)live;
	s->dwfl = s->cache ? dwfl_begin(&s->cb) : NULL;
	if (!s->dwfl) {
		ms_err_set(e, 0, s->cache ? dwfl_errmsg(-1) : "out of memory", NULL, "libdw");
		free(s->cache);
		free(s);
		return NULL;
	}
	return s;
}

int ms_symres_open_pid(struct ms_symres **out, pid_t pid, struct ms_err *e)
{
	struct ms_symres *s = new_res(e, 1);
	if (!s)
		return -1;
	int r = dwfl_linux_proc_report(s->dwfl, pid);
	if (r != 0 || dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
		ms_err_set(e, r > 0 ? r : 0, r > 0 ? NULL : dwfl_errmsg(-1),
			   "check the PID and that you may read /proc/PID/maps (root or same user)",
			   "pid %d", (int)pid);
		ms_symres_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

int ms_symres_open_maps(struct ms_symres **out, const char *maps, size_t len, struct ms_err *e)
{
	struct ms_symres *s = new_res(e, 0);
	if (!s)
		return -1;
	FILE *f = fmemopen((void *)maps, len, "r");
	int r = f ? dwfl_linux_proc_maps_report(s->dwfl, f) : errno;
	if (f)
		fclose(f);
	if (r != 0 || dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
		ms_err_set(e, r > 0 ? r : 0, r > 0 ? NULL : dwfl_errmsg(-1),
			   "give a /proc/PID/maps text", "maps snapshot");
		ms_symres_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void ms_symres_close(struct ms_symres *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s->cache);
	free(s);
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

void ms_symres_lookup(struct ms_symres *s, uint64_t addr, int return_address, struct ms_sym *out)
{
	struct cache_ent *c = &s->cache[((addr * 0x9e3779b97f4a7c15ull) >> 52) & (CACHE_SLOTS - 1)];
	if (c->used && c->addr == addr && c->ret == return_address) {
		*out = c->sym;
		return;
	}
	memset(out, 0, sizeof *out);
	uint64_t at = return_address && addr ? addr - 1 : addr;
	Dwfl_Module *m = dwfl_addrmodule(s->dwfl, at);
	if (m) {
		Dwarf_Addr start = 0;
		const char *mainfile = NULL;
		const char *mname = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, &mainfile, NULL);
		out->found = 1;
		copy(out->dso, sizeof out->dso, mname ? mname : mainfile);
		out->dso_offset = addr - start;
		GElf_Off off = 0;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(m, at, &off, &sym, NULL, NULL, NULL);
		if (name) {
			copy(out->func, sizeof out->func, name);
			out->offset = off + (at != addr);
		}
		Dwfl_Line *l = dwfl_module_getsrc(m, at);
		int line = 0;
		const char *file = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
		if (file) {
			copy(out->file, sizeof out->file, file);
			out->line = line;
		}
	}
	c->used = 1;
	c->addr = addr;
	c->ret = return_address;
	c->sym = *out;
}

const char *ms_sym_dso_base(const struct ms_sym *sym)
{
	const char *b = strrchr(sym->dso, '/');
	return b ? b + 1 : sym->dso;
}

void ms_sym_format(const struct ms_sym *sym, uint64_t addr, char *buf, size_t len)
{
	if (!sym->found) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return;
	}
	const char *dso = ms_sym_dso_base(sym);
	int n;
	if (sym->func[0])
		n = snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", sym->func, sym->offset, dso);
	else
		n = snprintf(buf, len, "0x%" PRIx64 " (%s+0x%" PRIx64 ")", addr, dso, sym->dso_offset);
	if (sym->file[0] && n > 0 && (size_t)n < len) {
		const char *f = strrchr(sym->file, '/');
		snprintf(buf + n, len - (size_t)n, " %s:%d", f ? f + 1 : sym->file, sym->line);
	}
}
