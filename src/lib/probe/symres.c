/* Symbol resolution: see symres.h.  libdw's Dwfl does the module layout,
 * symbol tables and line tables; this file adds the maps-snapshot input,
 * a per-module sorted function table, a cache and the one-line format.
 *
 * Why the table: dwfl_module_addrinfo (elfutils 0.188) scans the whole
 * symbol table on every call, through gelf_getsym and gelf_getshdr per
 * symbol: with node's ~100,000 symbols a report of 1,000 call sites took
 * 2.5 s in that scan alone.  The table reads each module's symbols once
 * and answers by binary search; addresses it does not cover (no sized
 * function symbol around them) still go to dwfl_module_addrinfo, so the
 * answer is libdw's wherever the table has none. */
#include "probe/symres.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096
#define FUNCS_MAX   (1u << 24)   /* symbols kept per module at most */

struct cache_ent { uint64_t addr; int ret; int used; struct ms_sym sym; };

/* A function symbol of a module: [start, start + size), its name owned by
 * libdw's symbol table data (alive while the Dwfl is). */
struct func { uint64_t start, size; const char *name; int rank; };

/* One module's functions sorted by start (then best binding first). */
struct functab {
	Dwfl_Module *mod;
	struct func *f;
	size_t n;
	struct functab *next;
};

struct ms_symres {
	Dwfl *dwfl;
	Dwfl_Callbacks cb;
	char *debuginfo_path;
	struct cache_ent *cache;
	struct functab *tabs;
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
	for (struct functab *t = s->tabs, *n; t; t = n) {
		n = t->next;
		free(t->f);
		free(t);
	}
	free(s->cache);
	free(s);
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rank - y->rank;
}

/* The sized, defined function symbols of m (symtab, else dynsym), as
 * dwfl_module_getsym_info reports them (addresses already biased).
 * Global before weak before local at one address, like libdw's choice.
 * NULL only when out of memory (then libdw answers alone). */
static struct functab *functab_get(struct ms_symres *s, Dwfl_Module *m)
{
	for (struct functab *t = s->tabs; t; t = t->next)
		if (t->mod == m)
			return t;
	struct functab *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->mod = m;
	int nsym = dwfl_module_getsymtab(m);
	size_t cap = 0;
	for (int i = 1; i < nsym && t->n < FUNCS_MAX; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(m, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (!name || !*name || sym.st_size == 0 || sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		if (t->n == cap) {
			size_t nc = cap ? 2 * cap : 1024;
			struct func *nf = realloc(t->f, nc * sizeof *nf);
			if (!nf)
				break;
			t->f = nf;
			cap = nc;
		}
		int bind = GELF_ST_BIND(sym.st_info);
		t->f[t->n++] = (struct func){ addr, sym.st_size, name,
					      bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2 };
	}
	if (t->n > 1)
		qsort(t->f, t->n, sizeof *t->f, cmp_func);
	t->next = s->tabs;
	s->tabs = t;
	return t;
}

/* The function of t containing at, or NULL.  Sized functions do not
 * overlap in practice; a few before the last start <= at are looked at
 * in case one does (a nested alias). */
static const struct func *functab_find(const struct functab *t, uint64_t at)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {   /* first start > at */
		size_t mid = lo + (hi - lo) / 2;
		if (t->f[mid].start <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct func *best = NULL;
	for (size_t j = lo, k = 0; j > 0 && k < 16; j--, k++) {
		const struct func *f = &t->f[j - 1];
		if (at - f->start < f->size && (!best || f->start > best->start ||
						   (f->start == best->start && f->rank <= best->rank)))
			best = f;   /* innermost start, best binding (sorted: walks down) */
	}
	return best;
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
		const struct functab *t = functab_get(s, m);
		const struct func *fn = t ? functab_find(t, at) : NULL;
		const char *name = fn ? fn->name : dwfl_module_addrinfo(m, at, &off, &sym, NULL, NULL, NULL);
		if (fn)
			off = at - fn->start;
		if (name) {
			copy(out->symbol, sizeof out->symbol, name);
			ms_demangle(name, out->func, sizeof out->func);
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
