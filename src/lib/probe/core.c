#include "probe/core.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/resmap.h"
#include "probe/tasks.h"
#include "records/maps.h"
#include "util/size.h"

#define MAX_PHNUM   (1u << 20)      /* vm.max_map_count is 65530 by default */
#define MAX_NOTES   (64u << 20)     /* notes of 100k threads */
#define MAX_THREADS 100000

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#define NT_GDB_TDESC_ 0xff000000u
#define NT_ARM_TLS_   0x401

/* struct elf_prstatus on 64-bit Linux: pr_pid at 32, pr_reg at 112. */
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112
/* struct elf_prpsinfo on 64-bit: pr_pid at 24, pr_fname[16] at 40, pr_psargs[80] at 56 */
#define PRPSINFO_PID 24
#define PRPSINFO_FNAME 40
#define PRPSINFO_ARGS 56

struct seg {
	uint64_t vaddr, memsz, filesz, off;
	uint32_t flags;
	uint64_t have;     /* bytes of filesz actually in the file (a cut core has fewer) */
};

struct fmap {
	uint64_t start, end, pgoff;
	const char *path;  /* into names */
};

struct core {
	int    fd;
	struct seg *seg;
	size_t nseg;
	struct fmap *files;
	size_t nfiles;
	char  *names;      /* NT_FILE's strings, kept */
	struct ms_thread *thr;
	size_t nthr;
	uint64_t vdso;     /* AT_SYSINFO_EHDR */
	uint64_t file_unit;/* NT_FILE's offset unit: the page size (kernel), 1 (gdb) */
	int    anon_filtered;
	struct ms_core_info info;
};

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static int32_t rd32(const unsigned char *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got ? (ssize_t)got : -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Index of the last segment starting at or below addr, or (size_t)-1. */
static size_t seg_at(const struct core *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nseg;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->seg[mid].vaddr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return (size_t)-1;
	const struct seg *s = &c->seg[lo - 1];
	return addr - s->vaddr < s->memsz ? lo - 1 : (size_t)-1;
}

static ssize_t core_read(struct ms_remote *r, uint64_t addr, void *buf, size_t len)
{
	const struct core *c = r->impl;
	size_t got = 0;
	/* segments may touch: a read goes on into the next one */
	while (got < len) {
		uint64_t a = addr + got;
		if (a < addr)
			break;
		size_t i = seg_at(c, a);
		if (i == (size_t)-1)
			break;
		const struct seg *s = &c->seg[i];
		uint64_t in = a - s->vaddr;
		if (in >= s->have)
			break;   /* not in the core (left out, or past a cut) */
		uint64_t k = s->have - in;
		if (k > len - got)
			k = len - got;
		ssize_t n = pread_full(c->fd, (char *)buf + got, (size_t)k, s->off + in);
		if (n < 0)
			return got ? (ssize_t)got : -1;
		got += (size_t)n;
		if ((uint64_t)n < k)
			break;
	}
	return (ssize_t)got;
}

/* [from, to) of the file in segment s at address a: data or hole. */
static int push_file_part(const struct core *c, struct ms_resmap *m, const struct seg *s,
			  uint64_t from, uint64_t to, int data_state, int hole_state)
{
	uint64_t pos = from;
	while (pos < to) {
		off_t d = lseek(c->fd, (off_t)pos, SEEK_DATA);
		uint64_t data = d < 0 ? (errno == ENXIO ? to : pos) : (uint64_t)d;
		if (data > to)
			data = to;
		if (data > pos && ms_resmap_push(m, s->vaddr + (pos - s->off), s->vaddr + (data - s->off), hole_state) < 0)
			return -1;
		if (data >= to)
			break;
		off_t h = d < 0 ? (off_t)to : lseek(c->fd, (off_t)data, SEEK_HOLE);
		uint64_t hole = h < 0 ? to : (uint64_t)h;
		if (hole > to)
			hole = to;
		if (hole <= data)
			hole = to;   /* no progress: take the rest as data */
		if (ms_resmap_push(m, s->vaddr + (data - s->off), s->vaddr + (hole - s->off), data_state) < 0)
			return -1;
		pos = hole;
	}
	return 0;
}

static int core_residency(struct ms_remote *r, struct ms_resmap *m, uint64_t start, uint64_t end)
{
	const struct core *c = r->impl;
	uint64_t pg = r->page;
	start &= ~(pg - 1);
	end = (end + pg - 1) & ~(pg - 1);
	int data = r->residency == MS_RES_CORE_HOLES ? MS_PAGE_PRESENT : MS_PAGE_UNKNOWN;
	int hole = r->residency == MS_RES_CORE_HOLES ? MS_PAGE_ABSENT : MS_PAGE_UNKNOWN;
	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *s = &c->seg[i];
		uint64_t a = s->vaddr > start ? s->vaddr : start;
		uint64_t b = s->vaddr + s->memsz < end ? s->vaddr + s->memsz : end;
		if (a >= b)
			continue;
		uint64_t have_end = s->vaddr + s->have;
		if (a < have_end) {
			uint64_t fb = b < have_end ? b : have_end;
			if (push_file_part(c, m, s, s->off + (a - s->vaddr), s->off + (fb - s->vaddr), data, hole) < 0)
				return -1;
			a = fb;
		}
		if (a < b && ms_resmap_push(m, a, b, MS_PAGE_ABSENT) < 0)
			return -1;
	}
	return 0;
}

static const struct fmap *file_at(const struct core *c, uint64_t addr)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (addr >= c->files[i].start && addr < c->files[i].end)
			return &c->files[i];
	return NULL;
}

static int add_map(struct ms_maps *out, uint64_t start, uint64_t end, const char *perms,
		   uint64_t offset, int file, const char *path)
{
	struct ms_mapping m = { .start = start, .end = end, .offset = offset,
				/* the core does not record inodes: 1 marks a file */
				.inode = (uint64_t)file, .path = strdup(path) };
	snprintf(m.perms, sizeof m.perms, "%s", perms);
	if (!m.path || ms_maps_push(out, &m) < 0) {
		free(m.path);
		return -1;
	}
	return 0;
}

static int cmp_map(const void *x, const void *y)
{
	const struct ms_mapping *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* The kernel's labels are not in a core; the ones findings rely on are
 * put back: [stack] (holds the main thread's stack pointer), [vdso]
 * (AT_SYSINFO_EHDR), [vvar] below it, [vsyscall], and [heap]: the first anonymous
 * read-write mapping above the executable's last mapping that does not
 * touch it (the one touching it is the executable's .bss); with no gap
 * (no address randomisation) the touching one; and the anonymous
 * read-write ones adjacent after it. */
static void label(const struct core *c, struct ms_maps *out)
{
	const struct ms_thread *main_thr = NULL;
	for (size_t t = 0; t < c->nthr; t++)
		if (c->thr[t].tid == c->info.pid || !main_thr)
			main_thr = &c->thr[t];
	const struct fmap *exe = c->info.entry ? file_at(c, c->info.entry) : NULL;
	uint64_t exe_end = 0;
	for (size_t i = 0; exe && i < c->nfiles; i++)
		if (!strcmp(c->files[i].path, exe->path) && c->files[i].end > exe_end)
			exe_end = c->files[i].end;
	size_t heap = (size_t)-1, touching = (size_t)-1;
	for (size_t i = 0; i < out->n; i++) {
		struct ms_mapping *m = &out->v[i];
		int anon = m->inode == 0 && !m->path[0];
		const char *name = NULL;
		if (main_thr && main_thr->sp >= m->start && main_thr->sp < m->end && anon)
			name = "[stack]";
		else if (c->vdso && m->start == c->vdso)
			name = "[vdso]";
		else if (m->start == 0xffffffffff600000ull)
			name = "[vsyscall]";
		if (name) {
			free(m->path);
			m->path = strdup(name);
			if (!m->path)
				m->path = strdup("");
			continue;
		}
		if (anon && exe_end && m->start >= exe_end && !strcmp(m->perms, "rw-p") && heap == (size_t)-1) {
			if (m->start == exe_end && touching == (size_t)-1)
				touching = i;
			else if (m->start != exe_end)
				heap = i;
		}
	}
	if (heap == (size_t)-1)
		heap = touching;
	/* [vvar] (and [vvar_vclock]): read-only anonymous pages right below [vdso] */
	for (size_t i = 0; c->vdso && i < out->n; i++) {
		if (out->v[i].start != c->vdso)
			continue;
		for (size_t k = i; k > 0; k--) {
			struct ms_mapping *m = &out->v[k - 1];
			if (m->end != out->v[k].start || m->inode || m->path[0] || strchr(m->perms, 'w'))
				break;
			char *p = strdup("[vvar]");
			if (p) {
				free(m->path);
				m->path = p;
			}
		}
		break;
	}
	/* gcore marks every segment readable, PROT_NONE ones too: the
	 * reservation tail of an arena heap (64 MiB aligned, read-write, then
	 * inaccessible) is given its real protection back */
	for (size_t i = 1; c->info.by_gdb && i < out->n; i++) {
		struct ms_mapping *m = &out->v[i], *p = &out->v[i - 1];
		if (!strcmp(m->perms, "r--p") && !m->inode && !m->path[0] && !p->inode && !p->path[0] &&
		    !strcmp(p->perms, "rw-p") && p->end == m->start && !(p->start & ((64ull << 20) - 1)) &&
		    m->end - p->start <= (64ull << 20))
			memcpy(m->perms, "---p", 5);
	}
	/* the heap is close to the executable: brk starts within 32 MiB
	 * (randomize_va_space=2) of its end, or right at it */
	if (heap == (size_t)-1 || out->v[heap].start - exe_end > (1ull << 30))
		return;
	/* and the anonymous read-write mappings right after it: the kernel
	 * keeps one brk heap as several VMAs when their anon_vmas differ (a
	 * forked child's growth past the heap it inherited), and its maps
	 * name each [heap] */
	for (size_t k = heap; k < out->n; k++) {
		struct ms_mapping *m = &out->v[k];
		if (k > heap && (m->start != out->v[k - 1].end || m->inode || m->path[0] || strcmp(m->perms, "rw-p")))
			break;
		char *p = strdup("[heap]");
		if (!p)
			break;
		free(m->path);
		m->path = p;
	}
}

static int core_maps(struct ms_remote *r, struct ms_maps *out, struct ms_err *e)
{
	const struct core *c = r->impl;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *s = &c->seg[i];
		char perms[5] = { s->flags & PF_R ? 'r' : '-', s->flags & PF_W ? 'w' : '-',
				  s->flags & PF_X ? 'x' : '-', 'p', 0 };
		const struct fmap *f = file_at(c, s->vaddr);
		uint64_t off = f ? f->pgoff * c->file_unit + (s->vaddr - f->start) : 0;
		if (add_map(out, s->vaddr, s->vaddr + s->memsz, perms, off, f != NULL, f ? f->path : "") < 0)
			goto nomem;
	}
	/* gcore leaves out what it did not dump; NT_FILE still names it */
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct fmap *f = &c->files[i];
		if (seg_at(c, f->start) != (size_t)-1)
			continue;
		if (add_map(out, f->start, f->end, "r--p", f->pgoff * c->file_unit, 1, f->path) < 0)
			goto nomem;
	}
	qsort(out->v, out->n, sizeof *out->v, cmp_map);
	label(c, out);
	return 0;
nomem:
	ms_maps_free(out);
	return ms_err_set(e, ENOMEM, NULL, NULL, "mappings of the core");
}

static int core_threads(struct ms_remote *r, size_t max, struct ms_threads *out)
{
	const struct core *c = r->impl;
	size_t n = c->nthr < max ? c->nthr : max;
	out->n = 0;
	out->v = n ? calloc(n, sizeof *out->v) : NULL;
	if (n && !out->v)
		return -1;
	if (n)
		memcpy(out->v, c->thr, n * sizeof *out->v);
	out->n = n;
	return 0;
}

static void core_close(struct ms_remote *r)
{
	struct core *c = r->impl;
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->seg);
	free(c->files);
	free(c->names);
	free(c->thr);
	free(c);
}

static const struct ms_remote_ops core_ops = {
	.kind = "core", .read = core_read, .residency = core_residency, .maps = core_maps,
	.threads = core_threads, .close = core_close,
};

const struct ms_core_info *ms_core_info(const struct ms_remote *r)
{
	return r->ops == &core_ops ? &((const struct core *)r->impl)->info : NULL;
}

const char *ms_core_file_at(const struct ms_remote *r, uint64_t addr)
{
	if (r->ops != &core_ops)
		return "";
	const struct fmap *f = file_at(r->impl, addr);
	return f ? f->path : "";
}

void ms_core_missing_text(const struct ms_core_info *ci, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	size_t n = 0;
	if (ci->notes_cut)
		n = (size_t)snprintf(buf, len, "its notes are cut (threads and mapped files may be missing)%s",
				     ci->missing_ranges ? "; " : "");
	if (!ci->missing_ranges || n >= len)
		return;
	char sz[MS_SIZE_BUF];
	int cut = 0, filtered = 0;
	for (size_t i = 0; i < ci->missing_ranges && i < MS_CORE_MISSING_SHOWN; i++)
		*(ci->missing[i].why == MS_CORE_CUT ? &cut : &filtered) = 1;
	n += (size_t)snprintf(buf + n, len - n, "%s in %zu range%s not in the core (%s%s%s):",
			      ms_size_fmt(ci->missing_bytes, sz), ci->missing_ranges, ci->missing_ranges == 1 ? "" : "s",
			      cut ? "cut: the file ends early" : "", cut && filtered ? "; " : "",
			      filtered ? "left out by coredump_filter" : "");
	for (size_t i = 0; i < ci->missing_ranges && i < MS_CORE_MISSING_SHOWN && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s %#" PRIx64 "-%#" PRIx64, i ? "," : "",
				      ci->missing[i].start, ci->missing[i].end);
	if (ci->missing_ranges > MS_CORE_MISSING_SHOWN && n < len)
		snprintf(buf + n, len - n, " and %zu more", ci->missing_ranges - MS_CORE_MISSING_SHOWN);
}

/* NT_FILE: count, page size, count x {start, end, page offset}, names. */
static void note_file(struct core *c, const unsigned char *d, size_t len)
{
	if (len < 16 || c->files)
		return;
	uint64_t n = rd64(d), pg = rd64(d + 8);
	if (n > (len - 16) / 24)
		return;
	const char *s = (const char *)d + 16 + n * 24, *end = (const char *)d + len;
	c->names = malloc((size_t)(end - s) + 1);
	c->files = calloc(n ? n : 1, sizeof *c->files);
	if (!c->names || !c->files)
		return;
	memcpy(c->names, s, (size_t)(end - s));
	c->names[end - s] = 0;
	const char *p = c->names, *pend = c->names + (end - s);
	for (uint64_t i = 0; i < n && p < pend; i++) {
		const unsigned char *t = d + 16 + i * 24;
		struct fmap *f = &c->files[c->nfiles];
		f->start = rd64(t);
		f->end = rd64(t + 8);
		f->pgoff = rd64(t + 16);
		f->path = p;
		p += strnlen(p, (size_t)(pend - p)) + 1;
		if (f->end > f->start)
			c->nfiles++;
	}
	c->file_unit = pg && !(pg & (pg - 1)) && pg <= (1u << 16) ? pg : 4096;
}

static int note_prstatus(struct core *c, const unsigned char *d, size_t len, int machine)
{
	if (len < PRSTATUS_REG + 27 * 8 || c->nthr >= MAX_THREADS)
		return 0;
	struct ms_thread *nv = realloc(c->thr, (c->nthr + 1) * sizeof *nv);
	if (!nv)
		return -1;
	c->thr = nv;
	struct ms_thread *t = &c->thr[c->nthr++];
	memset(t, 0, sizeof *t);
	t->tid = rd32(d + PRSTATUS_PID);
	const unsigned char *reg = d + PRSTATUS_REG;
	if (machine == EM_X86_64) {
		t->sp = rd64(reg + 19 * 8);       /* user_regs_struct.rsp */
		t->fs_base = rd64(reg + 21 * 8);  /* .fs_base */
		t->regs_known = 1;
	} else {
		t->sp = rd64(reg + 31 * 8);       /* user_pt_regs.sp (aarch64) */
	}
	t->sp_known = 1;
	if (c->nthr == 1) {
		int16_t sig;
		memcpy(&sig, d + 12, 2);          /* pr_cursig */
		c->info.signal = sig;
	}
	return 0;
}

static int parse_notes(struct core *c, const unsigned char *p, size_t len, int machine, uint64_t *page)
{
	size_t off = 0;
	while (off + 12 <= len) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		size_t name_off = off + 12;
		size_t desc_off = name_off + (((size_t)namesz + 3) & ~(size_t)3);
		size_t next = desc_off + (((size_t)descsz + 3) & ~(size_t)3);
		if (desc_off > len || next > len || next <= off || descsz > len - desc_off)
			break;
		const unsigned char *d = p + desc_off;
		const char *name = (const char *)p + name_off;
		int core_name = namesz == 5 && !memcmp(name, "CORE", 5);
		int linux_name = namesz == 6 && !memcmp(name, "LINUX", 6);
		if (core_name && type == NT_PRSTATUS) {
			if (note_prstatus(c, d, descsz, machine) < 0)
				return -1;
		} else if (core_name && type == NT_PRPSINFO && descsz >= PRPSINFO_ARGS + 80) {
			c->info.pid = rd32(d + PRPSINFO_PID);
			memcpy(c->info.fname, d + PRPSINFO_FNAME, 16);
			memcpy(c->info.psargs, d + PRPSINFO_ARGS, 80);
			/* the kernel writes the arguments' NULs as spaces */
			for (size_t k = strlen(c->info.psargs); k > 0 && c->info.psargs[k - 1] == ' '; k--)
				c->info.psargs[k - 1] = 0;
		} else if (core_name && type == NT_AUXV) {
			for (size_t k = 0; k + 16 <= descsz; k += 16) {
				uint64_t at = rd64(d + k), v = rd64(d + k + 8);
				if (at == AT_ENTRY)
					c->info.entry = v;
				else if (at == AT_SYSINFO_EHDR)
					c->vdso = v;
				else if (at == AT_PAGESZ && v && !(v & (v - 1)) && v <= (1u << 16))
					*page = v;
			}
		} else if (core_name && type == NT_FILE) {
			note_file(c, d, descsz);
		} else if (type == NT_GDB_TDESC_ && namesz == 4 && !memcmp(name, "GDB", 4)) {
			c->info.by_gdb = 1;
		} else if (linux_name && type == NT_ARM_TLS_ && descsz >= 8 && c->nthr) {
			c->thr[c->nthr - 1].fs_base = rd64(d);   /* tpidr_el0 of the last thread */
			c->thr[c->nthr - 1].regs_known = 1;
		}
		off = next;
	}
	return 0;
}

static int cmp_seg(const void *x, const void *y)
{
	const struct seg *a = x, *b = y;
	return a->vaddr < b->vaddr ? -1 : a->vaddr > b->vaddr;
}

static void missing(struct core *c, uint64_t start, uint64_t end, int why)
{
	struct ms_core_info *in = &c->info;
	if (end <= start)
		return;
	in->missing_bytes += end - start;
	if (in->missing_ranges && in->missing_ranges <= MS_CORE_MISSING_SHOWN) {
		struct ms_core_range *last = &in->missing[in->missing_ranges - 1];
		if (last->end == start && last->why == why) {
			last->end = end;
			return;
		}
	}
	if (in->missing_ranges < MS_CORE_MISSING_SHOWN)
		in->missing[in->missing_ranges] = (struct ms_core_range){ start, end, why };
	in->missing_ranges++;
}

/* What the core lacks: bytes past its end, and -- when the main stack
 * itself was not written (coredump_filter without anonymous memory) --
 * every writable anonymous segment left out. */
static void find_missing(struct core *c)
{
	const struct ms_thread *main_thr = c->nthr ? &c->thr[0] : NULL;
	for (size_t t = 0; t < c->nthr; t++)
		if (c->thr[t].tid == c->info.pid)
			main_thr = &c->thr[t];
	if (main_thr) {
		size_t i = seg_at(c, main_thr->sp);
		c->anon_filtered = i != (size_t)-1 && c->seg[i].filesz == 0;
	}
	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *s = &c->seg[i];
		if (s->have < s->filesz)
			missing(c, s->vaddr + s->have, s->vaddr + s->filesz, MS_CORE_CUT);
		if (c->anon_filtered && (s->flags & PF_W) && s->filesz < s->memsz && !file_at(c, s->vaddr))
			missing(c, s->vaddr + s->filesz, s->vaddr + s->memsz, MS_CORE_FILTERED);
	}
}

/* Any hole inside the segments' data: the file keeps the kernel's
 * never-present pages as holes. */
static int has_holes(const struct core *c)
{
	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *s = &c->seg[i];
		if (!s->have)
			continue;
		off_t h = lseek(c->fd, (off_t)s->off, SEEK_HOLE);
		if (h >= 0 && (uint64_t)h < s->off + s->have)
			return 1;
	}
	return 0;
}

int ms_core_open(struct ms_remote *r, const char *path, struct ms_err *e)
{
	memset(r, 0, sizeof *r);
	struct core *c = calloc(1, sizeof *c);
	if (!c)
		return ms_err_set(e, ENOMEM, NULL, NULL, "core %s", path);
	unsigned char *phbuf = NULL, *notes = NULL;
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	Elf64_Ehdr eh;
	if (c->fd < 0 || fstat(c->fd, &st) < 0) {
		ms_err_set(e, errno, NULL, "check the path", "core %s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ms_err_set(e, 0, "not a regular file", "give the core file itself (coredumpctl dump -o FILE)",
			   "core %s", path);
		goto fail;
	}
	if (pread_full(c->fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE) {
		ms_err_set(e, 0, "not a 64-bit ELF core file",
			   "give a core written by the kernel or by gdb's gcore", "core %s", path);
		goto fail;
	}
	if (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64) {
		ms_err_set(e, 0, "a core of an unsupported machine (only x86-64 and aarch64)",
			   "analyse it with gdb on its own architecture", "core %s (e_machine %u)", path,
			   (unsigned)eh.e_machine);
		goto fail;
	}
	uint64_t fsize = (uint64_t)st.st_size, page = 4096;
	uint64_t phnum = eh.e_phnum;
	if (phnum == PN_XNUM && eh.e_shoff) {
		/* more than 65534 segments: the count is in section 0's sh_info */
		Elf64_Shdr sh0;
		if (pread_full(c->fd, &sh0, sizeof sh0, eh.e_shoff) == (ssize_t)sizeof sh0)
			phnum = sh0.sh_info;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || phnum == 0 || phnum > MAX_PHNUM ||
	    eh.e_phoff > fsize || phnum * sizeof(Elf64_Phdr) > fsize - eh.e_phoff) {
		ms_err_set(e, 0, "its program headers are missing or malformed (cut before its first page ended?)",
			   "take the core again (gcore PID, or coredumpctl dump)", "core %s", path);
		goto fail;
	}
	size_t phlen = (size_t)phnum * sizeof(Elf64_Phdr);
	phbuf = malloc(phlen);
	c->seg = calloc((size_t)phnum, sizeof *c->seg);
	if (!phbuf || !c->seg || pread_full(c->fd, phbuf, phlen, eh.e_phoff) != (ssize_t)phlen) {
		ms_err_set(e, phbuf && c->seg ? EIO : ENOMEM, NULL, NULL, "core %s: program headers", path);
		goto fail;
	}
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, phbuf + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_NOTE && (ph.p_offset >= fsize || ph.p_filesz > fsize - ph.p_offset))
			c->info.notes_cut = 1;
		if (ph.p_type == PT_NOTE && !notes && ph.p_filesz <= MAX_NOTES && ph.p_offset < fsize) {
			size_t nl = (size_t)(ph.p_filesz < fsize - ph.p_offset ? ph.p_filesz : fsize - ph.p_offset);
			notes = malloc(nl ? nl : 1);
			if (!notes) {
				ms_err_set(e, ENOMEM, NULL, NULL, "core %s: notes", path);
				goto fail;
			}
			ssize_t got = pread_full(c->fd, notes, nl, ph.p_offset);
			if (got > 0 && parse_notes(c, notes, (size_t)got, eh.e_machine, &page) < 0) {
				ms_err_set(e, ENOMEM, NULL, NULL, "core %s: notes", path);
				goto fail;
			}
		} else if (ph.p_type == PT_LOAD && ph.p_memsz && ph.p_vaddr + ph.p_memsz > ph.p_vaddr) {
			struct seg *s = &c->seg[c->nseg++];
			s->vaddr = ph.p_vaddr;
			s->memsz = ph.p_memsz;
			s->filesz = ph.p_filesz < ph.p_memsz ? ph.p_filesz : ph.p_memsz;
			s->off = ph.p_offset;
			s->flags = ph.p_flags;
			s->have = s->off >= fsize ? 0 : s->filesz < fsize - s->off ? s->filesz : fsize - s->off;
			/* the kernel aligns segments to pages; gdb's gcore writes
			 * them packed (p_align 1): its signature when the notes,
			 * which carry NT_GDB_TDESC, are cut */
			if (ph.p_align == 1)
				c->info.by_gdb = 1;
			c->info.want_bytes += s->filesz;
		}
	}
	free(phbuf);
	phbuf = NULL;
	free(notes);
	notes = NULL;
	if (!c->nseg) {
		ms_err_set(e, 0, "holds no memory (no PT_LOAD segment)",
			   "take the core again with anonymous memory in coredump_filter", "core %s", path);
		goto fail;
	}
	qsort(c->seg, c->nseg, sizeof *c->seg, cmp_seg);
	/* overlapping segments would make reads ambiguous: keep the first */
	size_t k = 1;
	for (size_t i = 1; i < c->nseg; i++)
		if (c->seg[i].vaddr >= c->seg[k - 1].vaddr + c->seg[k - 1].memsz)
			c->seg[k++] = c->seg[i];
	c->nseg = k;
	if (!c->info.pid && c->nthr)
		c->info.pid = c->thr[0].tid;
	c->info.machine = eh.e_machine;
	c->info.file_bytes = fsize;
	c->info.segments = c->nseg;
	c->info.files = c->nfiles;
	c->info.threads = c->nthr;
	c->info.sparse = has_holes(c);
	for (size_t t = 0; t < c->nthr; t++)
		snprintf(c->thr[t].name, sizeof c->thr[t].name, "%s", c->info.fname);
	find_missing(c);
	r->ops = &core_ops;
	r->impl = c;
	r->pid = c->info.pid;
	r->page = page;
	r->residency = !c->info.by_gdb && c->info.sparse ? MS_RES_CORE_HOLES : MS_RES_UNKNOWN;
	return 0;
fail:
	free(phbuf);
	free(notes);
	r->impl = c;
	core_close(r);
	r->impl = NULL;
	return -1;
}
