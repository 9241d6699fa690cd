#include "probe/elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS_ELF_MAX (512u << 20)

static int in_file(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

/* Walk the notes in [p, p+len) and record the ones we know. */
static void scan_notes(const unsigned char *p, size_t len, struct ms_elf_info *info)
{
	size_t off = 0;
	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *nh = (const void *)(p + off);  /* Elf32_Nhdr has the same layout */
		size_t namesz = nh->n_namesz, descsz = nh->n_descsz;
		size_t name_off = off + sizeof *nh;
		size_t desc_off = name_off + ((namesz + 3) & ~(size_t)3);
		size_t next = desc_off + ((descsz + 3) & ~(size_t)3);
		if (next > len || next <= off)
			break;
		const char *name = (const char *)p + name_off;
		if (nh->n_type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(name, "GNU", 4) &&
		    descsz <= 20) {
			for (size_t i = 0; i < descsz; i++)
				sprintf(info->build_id + 2 * i, "%02x", p[desc_off + i]);
		} else if (nh->n_type == 3 && namesz == 8 && !memcmp(name, "stapsdt", 8)) {
			/* desc: pc, base, semaphore (addr-sized), then provider\0name\0args\0 */
			size_t asz = info->elf_class == 64 ? 8 : 4;
			info->sdt_probes++;
			if (descsz > 3 * asz) {
				const char *prov = (const char *)p + desc_off + 3 * asz;
				size_t rest = descsz - 3 * asz;
				size_t pl = strnlen(prov, rest);
				if (pl < rest && !strcmp(prov, "libc") &&
				    !strncmp(prov + pl + 1, "memory_", rest - pl - 1 < 7 ? rest - pl - 1 : 7))
					info->sdt_memory_probes++;
			}
		}
		off = next;
	}
}

/* glibc embeds "GNU C Library (...) ... release version X.Y" in .rodata;
 * reading it from the file works for every release and needs no symbols. */
static void scan_banner(const unsigned char *buf, size_t len, struct ms_elf_info *info)
{
	static const char key[] = "GNU C Library";
	const unsigned char *p = buf, *end = buf + len;
	while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1)) != NULL) {
		size_t max = (size_t)(end - p) < 200 ? (size_t)(end - p) : 200;
		size_t n = strnlen((const char *)p, max);
		char line[201];
		memcpy(line, p, n);
		line[n] = 0;
		char *v = strstr(line, "version ");
		if (v) {
			v += 8;
			size_t k = 0;
			while ((v[k] >= '0' && v[k] <= '9') || v[k] == '.')
				k++;
			while (k && v[k - 1] == '.')
				k--;
			if (k && k < sizeof info->glibc_version) {
				memcpy(info->glibc_version, v, k);
				info->glibc_version[k] = 0;
				char *nl = strchr(line, '\n');
				if (nl)
					*nl = 0;
				snprintf(info->glibc_banner, sizeof info->glibc_banner, "%s", line);
				return;
			}
		}
		p += sizeof key - 1;
	}
}

int ms_elf_inspect_buf(const unsigned char *buf, size_t len, struct ms_elf_info *info,
		       struct ms_err *e)
{
	memset(info, 0, sizeof *info);
	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG))
		return ms_err_set(e, 0, "not an ELF file", NULL, "ELF header");
	if (buf[EI_CLASS] == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *eh = (const void *)buf;
		info->elf_class = 64;
		info->machine = eh->e_machine;
		for (unsigned i = 0; i < eh->e_phnum; i++) {
			uint64_t off = eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
			if (!in_file(len, off, sizeof(Elf64_Phdr)))
				break;
			const Elf64_Phdr *ph = (const void *)(buf + off);
			if (ph->p_type == PT_INTERP && in_file(len, ph->p_offset, ph->p_filesz)) {
				info->has_interp = 1;
				size_t n = ph->p_filesz < sizeof info->interp ? ph->p_filesz : sizeof info->interp - 1;
				memcpy(info->interp, buf + ph->p_offset, n);
				info->interp[n] = 0;
			} else if (ph->p_type == PT_DYNAMIC) {
				info->has_dynamic = 1;
			} else if (ph->p_type == PT_NOTE && in_file(len, ph->p_offset, ph->p_filesz)) {
				scan_notes(buf + ph->p_offset, ph->p_filesz, info);
			} else if (ph->p_type == PT_TLS) {
				info->has_tls = 1;
				info->tls_vaddr = ph->p_vaddr;
				info->tls_align = ph->p_align;
			}
		}
		/* SDT notes are not in a PT_NOTE segment: find the section. */
		if (eh->e_shoff && eh->e_shentsize == sizeof(Elf64_Shdr) &&
		    in_file(len, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) &&
		    eh->e_shstrndx < eh->e_shnum) {
			const Elf64_Shdr *sh = (const void *)(buf + eh->e_shoff);
			const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
			for (unsigned i = 0; i < eh->e_shnum; i++) {
				if (sh[i].sh_type != SHT_NOTE || !in_file(len, sh[i].sh_offset, sh[i].sh_size))
					continue;
				if (!in_file(len, strs->sh_offset, strs->sh_size) || sh[i].sh_name >= strs->sh_size)
					continue;
				const char *nm = (const char *)buf + strs->sh_offset + sh[i].sh_name;
				if (!strncmp(nm, ".note.stapsdt", strs->sh_size - sh[i].sh_name))
					scan_notes(buf + sh[i].sh_offset, sh[i].sh_size, info);
			}
		}
	} else if (buf[EI_CLASS] == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
		const Elf32_Ehdr *eh = (const void *)buf;
		info->elf_class = 32;
		info->machine = eh->e_machine;
		for (unsigned i = 0; i < eh->e_phnum; i++) {
			uint64_t off = eh->e_phoff + (uint64_t)i * sizeof(Elf32_Phdr);
			if (!in_file(len, off, sizeof(Elf32_Phdr)))
				break;
			const Elf32_Phdr *ph = (const void *)(buf + off);
			if (ph->p_type == PT_INTERP)
				info->has_interp = 1;
			else if (ph->p_type == PT_DYNAMIC)
				info->has_dynamic = 1;
			else if (ph->p_type == PT_NOTE && in_file(len, ph->p_offset, ph->p_filesz))
				scan_notes(buf + ph->p_offset, ph->p_filesz, info);
		}
	} else {
		return ms_err_set(e, 0, "unknown ELF class", NULL, "ELF header");
	}
	scan_banner(buf, len, info);
	if (!info->glibc_version[0] && memmem(buf, len, "musl libc", 9))
		info->musl = 1;
	/* A static musl binary has no banner; unless stripped, the debug info
	 * of musl's crt objects names their source tree (.../musl-1.2.3). */
	if (!info->has_interp && !info->glibc_version[0] && !memmem(buf, len, "GLIBC_TUNABLES", 14) &&
	    memmem(buf, len, "/musl-", 6))
		info->musl = 1;
	/* A static glibc binary carries no banner, but malloc's and the
	 * tunables' strings are linked into every one. */
	if (memmem(buf, len, "GLIBC_TUNABLES", 14) &&
	    memmem(buf, len, "malloc assertion failure", 24))
		info->glibc_static = !info->has_interp;
	return 0;
}

int ms_elf_inspect(const char *path, struct ms_elf_info *info, struct ms_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, NULL, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > MS_ELF_MAX) {
		close(fd);
		return ms_err_set(e, 0, "not a regular file of a plausible size", NULL, "%s", path);
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int err = errno;
	close(fd);
	if (map == MAP_FAILED)
		return ms_err_set(e, err, NULL, NULL, "%s", path);
	int rc = ms_elf_inspect_buf(map, (size_t)st.st_size, info, e);
	if (rc < 0)
		ms_err_set(e, 0, "not an ELF file", NULL, "%s", path);
	munmap(map, (size_t)st.st_size);
	return rc;
}

int ms_debuginfo_find(const char *root, const char *build_id, char *out, size_t outlen)
{
	if (strlen(build_id) < 4)
		return 0;
	snprintf(out, outlen, "%s/usr/lib/debug/.build-id/%.2s/%s.debug",
		 root ? root : "", build_id, build_id + 2);
	return access(out, R_OK) == 0;
}

int ms_version_cmp(const char *a, const char *b)
{
	/* At most 8 components: versions are short, and the loop is bounded. */
	for (int i = 0; i < 8 && (*a || *b); i++) {
		char *ea, *eb;
		long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
	}
	return 0;
}
