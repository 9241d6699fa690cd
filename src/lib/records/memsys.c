#include "records/memsys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/size.h"

static const char *const sc_names[MS_SC_N] = {
	[MS_SC_BRK] = "brk", [MS_SC_MMAP] = "mmap", [MS_SC_MUNMAP] = "munmap",
	[MS_SC_MPROTECT] = "mprotect", [MS_SC_MADVISE] = "madvise",
};
/* x86-64 numbers: the tracepoints' $id and ptrace's orig_rax. */
static const long sc_nrs[MS_SC_N] = {
	[MS_SC_BRK] = 12, [MS_SC_MMAP] = 9, [MS_SC_MUNMAP] = 11,
	[MS_SC_MPROTECT] = 10, [MS_SC_MADVISE] = 28,
};

const char *ms_sc_name(enum ms_sc sc) { return sc < MS_SC_N ? sc_names[sc] : "?"; }
long ms_sc_nr(enum ms_sc sc) { return sc < MS_SC_N ? sc_nrs[sc] : -1; }

enum ms_sc ms_sc_from_nr(long nr)
{
	for (int i = 0; i < MS_SC_N; i++)
		if (sc_nrs[i] == nr)
			return (enum ms_sc)i;
	return MS_SC_N;
}

enum ms_sc ms_sc_from_name(const char *name)
{
	for (int i = 0; i < MS_SC_N; i++)
		if (strcmp(sc_names[i], name) == 0)
			return (enum ms_sc)i;
	return MS_SC_N;
}

uint64_t ms_sysev_len(const struct ms_sysev *ev)
{
	return ev->sc == MS_SC_BRK ? 0 : ev->arg[1];
}

struct flagname { uint64_t bit; const char *name; };

static void bits_str(uint64_t v, const struct flagname *f, size_t n, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && off < len; i++) {
		if ((v & f[i].bit) != f[i].bit || f[i].bit == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "|" : "", f[i].name);
		v &= ~f[i].bit;
	}
	if (v && off < len)
		snprintf(buf + off, len - off, "%s0x%" PRIx64, off ? "|" : "", v);
}

void ms_prot_str(uint64_t prot, char *buf, size_t len)
{
	static const struct flagname f[] = {
		{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
	};
	if (prot == PROT_NONE) {
		snprintf(buf, len, "PROT_NONE");
		return;
	}
	bits_str(prot, f, sizeof f / sizeof f[0], buf, len);
}

void ms_mapflags_str(uint64_t flags, char *buf, size_t len)
{
	static const struct flagname f[] = {
		{ MAP_SHARED, "MAP_SHARED" }, { MAP_PRIVATE, "MAP_PRIVATE" },
		{ MAP_FIXED, "MAP_FIXED" }, { MAP_ANONYMOUS, "MAP_ANONYMOUS" },
		{ MAP_NORESERVE, "MAP_NORESERVE" }, { MAP_POPULATE, "MAP_POPULATE" },
		{ MAP_STACK, "MAP_STACK" }, { MAP_HUGETLB, "MAP_HUGETLB" },
		{ MAP_DENYWRITE, "MAP_DENYWRITE" }, { MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
		{ MAP_GROWSDOWN, "MAP_GROWSDOWN" },
	};
	bits_str(flags, f, sizeof f / sizeof f[0], buf, len);
}

const char *ms_madvise_str(uint64_t advice, char *buf, size_t len)
{
	static const struct { uint64_t v; const char *n; } a[] = {
		{ MADV_NORMAL, "MADV_NORMAL" }, { MADV_RANDOM, "MADV_RANDOM" },
		{ MADV_SEQUENTIAL, "MADV_SEQUENTIAL" }, { MADV_WILLNEED, "MADV_WILLNEED" },
		{ MADV_DONTNEED, "MADV_DONTNEED" }, { MADV_FREE, "MADV_FREE" },
		{ MADV_REMOVE, "MADV_REMOVE" }, { MADV_DONTFORK, "MADV_DONTFORK" },
		{ MADV_DOFORK, "MADV_DOFORK" }, { MADV_MERGEABLE, "MADV_MERGEABLE" },
		{ MADV_HUGEPAGE, "MADV_HUGEPAGE" }, { MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE" },
		{ MADV_DONTDUMP, "MADV_DONTDUMP" }, { MADV_COLD, "MADV_COLD" },
		{ MADV_PAGEOUT, "MADV_PAGEOUT" },
	};
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
		if (a[i].v == advice) {
			snprintf(buf, len, "%s", a[i].n);
			return buf;
		}
	snprintf(buf, len, "%" PRIu64, advice);
	return buf;
}

static void ret_str(const struct ms_sysev *ev, char *buf, size_t len)
{
	if (ev->ret < 0 && ev->ret > -4096)
		snprintf(buf, len, "-1 %s", strerrorname_np((int)-ev->ret) ? strerrorname_np((int)-ev->ret) : "E?");
	else if (ev->sc == MS_SC_MMAP || ev->sc == MS_SC_BRK)
		snprintf(buf, len, "0x%" PRIx64, (uint64_t)ev->ret);
	else
		snprintf(buf, len, "%" PRId64, ev->ret);
}

void ms_sysev_format(const struct ms_sysev *ev, char *buf, size_t len)
{
	char r[64], sz[MS_SIZE_BUF], a[160], b[160];
	ret_str(ev, r, sizeof r);
	ms_size_fmt(ev->arg[1], sz);
	switch (ev->sc) {
	case MS_SC_BRK:
		if (ev->arg[0] == 0)
			snprintf(buf, len, "brk(NULL) = %s", r);
		else
			snprintf(buf, len, "brk(0x%" PRIx64 ") = %s", ev->arg[0], r);
		break;
	case MS_SC_MMAP:
		ms_prot_str(ev->arg[2], a, sizeof a);
		ms_mapflags_str(ev->arg[3], b, sizeof b);
		if (ev->arg[0])
			snprintf(buf, len, "mmap(0x%" PRIx64 ", %s, %s, %s) = %s", ev->arg[0], sz, a, b, r);
		else
			snprintf(buf, len, "mmap(NULL, %s, %s, %s) = %s", sz, a, b, r);
		break;
	case MS_SC_MUNMAP:
		snprintf(buf, len, "munmap(0x%" PRIx64 ", %s) = %s", ev->arg[0], sz, r);
		break;
	case MS_SC_MPROTECT:
		ms_prot_str(ev->arg[2], a, sizeof a);
		snprintf(buf, len, "mprotect(0x%" PRIx64 ", %s, %s) = %s", ev->arg[0], sz, a, r);
		break;
	case MS_SC_MADVISE:
		snprintf(buf, len, "madvise(0x%" PRIx64 ", %s, %s) = %s", ev->arg[0], sz,
			 ms_madvise_str(ev->arg[2], a, sizeof a), r);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

void ms_pairer_init(struct ms_pairer *p)
{
	memset(p->used, 0, sizeof p->used);
	p->dropped = 0;
}

static size_t slot_of(const struct ms_pairer *p, pid_t tid, int want_used)
{
	size_t h = ((uint32_t)tid * 2654435761u) % MS_PAIR_SLOTS;
	for (size_t i = 0; i < MS_PAIR_SLOTS; i++) {
		size_t s = (h + i) % MS_PAIR_SLOTS;
		if (!p->used[s])
			return want_used ? MS_PAIR_SLOTS : s;
		if (p->slot[s].tid == tid)
			return s;
	}
	return MS_PAIR_SLOTS;
}

void ms_pairer_enter(struct ms_pairer *p, const struct ms_sysev *ev)
{
	size_t s = slot_of(p, ev->tid, 0);
	if (s == MS_PAIR_SLOTS) {     /* more threads in flight than slots */
		p->dropped++;
		return;
	}
	p->slot[s] = *ev;
	p->used[s] = 1;
}

/* Deleting from an open-addressed table: re-seat the followers of the
 * cluster so that lookups never stop early at the hole. */
static void slot_delete(struct ms_pairer *p, size_t s)
{
	p->used[s] = 0;
	for (size_t i = 1; i < MS_PAIR_SLOTS; i++) {
		size_t n = (s + i) % MS_PAIR_SLOTS;
		if (!p->used[n])
			break;
		struct ms_sysev ev = p->slot[n];
		p->used[n] = 0;
		size_t t = slot_of(p, ev.tid, 0);
		p->slot[t] = ev;
		p->used[t] = 1;
	}
}

int ms_pairer_pending(const struct ms_pairer *p, pid_t tid)
{
	return slot_of(p, tid, 1) != MS_PAIR_SLOTS;
}

int ms_pairer_exit(struct ms_pairer *p, pid_t tid, enum ms_sc sc, int64_t ret,
		   uint64_t ts_ns, struct ms_sysev *out)
{
	size_t s = slot_of(p, tid, 1);
	if (s == MS_PAIR_SLOTS || (sc != MS_SC_N && p->slot[s].sc != sc)) {
		p->dropped++;
		if (s != MS_PAIR_SLOTS)
			slot_delete(p, s);
		return 0;
	}
	*out = p->slot[s];
	out->ret = ret;
	if (!out->ts_ns)
		out->ts_ns = ts_ns;
	slot_delete(p, s);
	return 1;
}

int ms_sysline_parse(const char *line, struct ms_sysev *ev, uint64_t *times)
{
	long long tid, tgid, nr, v[5], count = 1;
	int end = 0;
	memset(ev, 0, sizeof *ev);
	const char *p = line + 1;
	if (line[0] == 'M') {
		if (sscanf(p, "%lld%n", &count, &end) != 1 || count <= 0)
			return 0;
		p += end;
	} else if (line[0] != 'S') {
		return 0;
	}
	if (sscanf(p, "%lld %lld %lld %lld %lld %lld %lld %lld%n", &tid, &tgid, &nr,
		   &v[0], &v[1], &v[2], &v[3], &v[4], &end) != 8)
		return 0;
	const char *comm = p + end;
	if (*comm == ' ')
		snprintf(ev->comm, sizeof ev->comm, "%s", comm + 1);
	ev->sc = ms_sc_from_nr((long)nr);
	if (ev->sc == MS_SC_N || tid <= 0)
		return 0;
	for (int i = 0; i < 4; i++)
		ev->arg[i] = (uint64_t)v[i];
	ev->ret = v[4];
	ev->tid = (pid_t)tid;
	ev->tgid = (pid_t)tgid;
	*times = (uint64_t)count;
	return line[0];
}

int ms_procline_parse(const char *line, struct ms_procev *pe)
{
	long long a = 0, b = 0, g = 0;
	int end = 0;
	memset(pe, 0, sizeof *pe);
	if ((line[0] != 'F' && line[0] != 'X' && line[0] != 'Q') || line[1] != ' ')
		return 0;
	if (line[0] == 'X') {
		if (sscanf(line + 2, "%lld%n", &a, &end) != 1 || a <= 0 || a > INT32_MAX)
			return 0;
		const char *comm = line + 2 + end;
		while (*comm == ' ')
			comm++;
		snprintf(pe->comm, sizeof pe->comm, "%s", comm);
	} else if (sscanf(line + 2, "%lld %lld %lld", &a, &b, &g) < 2 || a <= 0 || b <= 0
		   || a > INT32_MAX || b > INT32_MAX) {
		return 0;
	}
	pe->kind = line[0];
	pe->tgid = pe->tid = (pid_t)a;
	if (line[0] == 'F')
		pe->child = (pid_t)b;
	else if (line[0] == 'Q') {
		pe->tid = (pid_t)b;
		pe->group = g != 0;
	}
	return pe->kind;
}
