#include "findings/allocator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probe/procfs.h"
#include "records/environ.h"

const char *ms_allocator_name(enum ms_allocator a)
{
	switch (a) {
	case MS_ALLOC_GLIBC:        return "glibc";
	case MS_ALLOC_GLIBC_STATIC: return "glibc-static";
	case MS_ALLOC_JEMALLOC:     return "jemalloc";
	case MS_ALLOC_TCMALLOC:     return "tcmalloc";
	case MS_ALLOC_MIMALLOC:     return "mimalloc";
	case MS_ALLOC_MUSL:         return "musl";
	default:                    return "unknown";
	}
}

int ms_allocator_is_glibc(enum ms_allocator a)
{
	return a == MS_ALLOC_GLIBC || a == MS_ALLOC_GLIBC_STATIC;
}

void ms_debuginfo_ignore(void)
{
	setenv("MEMSLEUTH_NO_DEBUGINFO", "1", 1);
}

int ms_debuginfo_ignored(void)
{
	const char *no = getenv("MEMSLEUTH_NO_DEBUGINFO");
	return no && no[0] && strcmp(no, "0");
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int is_libc(const char *name)
{
	return !strncmp(name, "libc.so", 7) || !strncmp(name, "libc-2.", 7);
}

int ms_libc_identify(const struct ms_target *t, const struct ms_maps *maps,
		     const char *env, size_t envlen, struct ms_libc *out,
		     struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	out->allocator = MS_ALLOC_UNKNOWN;
	static const struct { const char *prefix; enum ms_allocator a; } repl[] = {
		{ "libjemalloc", MS_ALLOC_JEMALLOC },
		{ "libtcmalloc", MS_ALLOC_TCMALLOC },
		{ "libmimalloc", MS_ALLOC_MIMALLOC },
	};
	int musl = 0;
	uint64_t first_end = 0;   /* of the libc's first mapping: map_files names it */
	for (size_t i = 0; i < maps->n; i++) {
		const struct ms_mapping *mp = &maps->v[i];
		if (mp->path[0] != '/')
			continue;
		const char *bn = base_name(mp->path);
		if (is_libc(bn)) {
			if (!out->libc_found) {
				out->libc_found = 1;
				out->libc_base = mp->start;
				first_end = mp->end;
				snprintf(out->libc_path, sizeof out->libc_path, "%s", mp->path);
			}
			if (!strcmp(mp->path, out->libc_path))
				out->libc_end = mp->end;
		} else if (!strncmp(bn, "ld-musl", 7) || !strncmp(bn, "libc.musl", 9)) {
			musl = 1;
		}
		for (size_t k = 0; k < sizeof repl / sizeof repl[0]; k++)
			if (!out->allocator_dso[0] && !strncmp(bn, repl[k].prefix, strlen(repl[k].prefix))) {
				out->allocator = repl[k].a;
				snprintf(out->allocator_dso, sizeof out->allocator_dso, "%s", mp->path);
			}
	}
	if (out->allocator_dso[0] && env) {
		size_t vl;
		const char *pre = ms_environ_get(env, envlen, "LD_PRELOAD", &vl);
		const char *bn = base_name(out->allocator_dso);
		if (pre && memmem(pre, vl, bn, strnlen(bn, 12)))
			out->preloaded = 1;
	}
	if (out->libc_found) {
		out->libc_via_map_files = ms_target_mapped_path(t, out->libc_base, first_end, out->libc_path,
								out->libc_file, sizeof out->libc_file);
		if (ms_elf_inspect(out->libc_file, &out->elf, e) < 0)
			return -1;
	} else if (t->exe[0]) {
		/* No shared libc: a static binary (or musl).  Its ELF tells. */
		char exe[PATH_MAX + 40];
		if (t->pid > 0)
			snprintf(exe, sizeof exe, "/proc/%d/exe", (int)t->pid);
		else
			snprintf(exe, sizeof exe, "%s", t->exe);   /* a core's, under its sysroot */
		if (ms_elf_inspect(exe, &out->elf, e) < 0)
			return -1;
		if (out->allocator == MS_ALLOC_UNKNOWN) {
			if (musl || out->elf.musl)
				out->allocator = MS_ALLOC_MUSL;
			else if (!out->elf.has_interp && (out->elf.glibc_version[0] || out->elf.glibc_static))
				out->allocator = MS_ALLOC_GLIBC_STATIC;
		}
		return 0;
	}
	if (out->allocator == MS_ALLOC_UNKNOWN && out->libc_found) {
		if (out->elf.glibc_version[0])
			out->allocator = MS_ALLOC_GLIBC;
		else if (musl || out->elf.musl || strstr(out->libc_path, "musl"))
			out->allocator = MS_ALLOC_MUSL;   /* ld-musl is a link to musl's libc.so */
	}
	if (ms_debuginfo_ignored()) {
		out->debuginfo_ignored = 1;
	} else if (out->elf.build_id[0]) {
		out->has_debuginfo = ms_debuginfo_find(t->root, out->elf.build_id,
						       out->debuginfo, sizeof out->debuginfo);
		if (!out->has_debuginfo)
			out->debuginfo[0] = 0;
	}
	return 0;
}

void ms_alloc_seen_of(const struct ms_libc *lc, struct ms_alloc_seen *out)
{
	memset(out, 0, sizeof *out);
	out->read = 1;
	out->allocator = lc->allocator;
	/* without a shared libc and without PT_INTERP nothing loads a library */
	out->is_static = !lc->libc_found && !lc->elf.has_interp;
	out->builtin = lc->allocator_dso[0] && !lc->preloaded;
}

int ms_alloc_seen_exe(const char *path, struct ms_alloc_seen *out)
{
	struct ms_libc lc = { .allocator = MS_ALLOC_UNKNOWN };
	struct ms_err e;
	if (ms_elf_inspect(path, &lc.elf, &e) < 0)
		return -1;
	memset(out, 0, sizeof *out);
	if (lc.elf.has_interp && !strstr(lc.elf.interp, "ld-musl"))
		return 0;   /* glibc's loader: what it loads is known once it runs */
	/* the rule ms_libc_identify applies to a static executable; musl's
	 * loader tells a dynamic one */
	if (lc.elf.musl || lc.elf.has_interp)
		lc.allocator = MS_ALLOC_MUSL;
	else if (lc.elf.glibc_version[0] || lc.elf.glibc_static)
		lc.allocator = MS_ALLOC_GLIBC_STATIC;
	ms_alloc_seen_of(&lc, out);
	return 0;
}

/* 1 when pid runs the same file as we do: our fork before its exec. */
static int is_our_fork(pid_t pid)
{
	char p[40];
	struct stat a, b;
	snprintf(p, sizeof p, "/proc/%d/exe", (int)pid);
	return stat(p, &a) == 0 && stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int ms_alloc_seen_read(pid_t pid, const char *lib, struct ms_alloc_seen *out)
{
	struct ms_target t;
	struct ms_err e;
	if (is_our_fork(pid))
		return 1;
	if (ms_target_open(pid, &t, &e) < 0)
		return -1;
	char *buf, *env = NULL;
	size_t len, envlen = 0;
	if (ms_proc_read(pid, "maps", &buf, &len, &e) < 0)
		return -1;
	struct ms_maps maps = { 0 };
	int rc = ms_maps_parse(buf, len, &maps, &e);
	free(buf);
	struct ms_libc lc;
	if (rc == 0 && ms_proc_read(pid, "environ", &env, &envlen, &e) < 0)
		env = NULL;
	if (rc == 0)
		rc = ms_libc_identify(&t, &maps, env, envlen, &lc, &e);
	free(env);
	/* by file name, as given and as resolved: a soname is often a link
	 * (libtcmalloc_minimal.so.4 -> ...so.4.5.9) and maps names the file */
	int mapped = 0;
	char real[PATH_MAX];
	const char *want = lib && lib[0] ? base_name(lib) : NULL;
	const char *want2 = want && realpath(lib, real) ? base_name(real) : want;
	for (size_t i = 0; rc == 0 && want && i < maps.n; i++) {
		const char *bn = base_name(maps.v[i].path);
		mapped |= maps.v[i].path[0] == '/' && (!strcmp(bn, want) || !strcmp(bn, want2));
	}
	ms_maps_free(&maps);
	if (rc < 0)
		return -1;
	if (!lc.libc_found && lc.elf.has_interp)
		return 1;   /* the dynamic linker is still loading: preloads come before libc */
	ms_alloc_seen_of(&lc, out);
	out->pid = pid;
	out->lib_mapped = mapped;
	return 0;
}

void ms_alloc_seen_name(const struct ms_alloc_seen *s, char *buf, size_t len)
{
	enum ms_allocator a = s->allocator == MS_ALLOC_GLIBC_STATIC ? MS_ALLOC_GLIBC : s->allocator;
	snprintf(buf, len, "%s%s", ms_allocator_name(a),
		 s->is_static ? ", static binary" : s->builtin ? ", built in" : "");
}
