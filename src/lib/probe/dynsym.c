#include "probe/dynsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

static int first_load_vaddr(Elf *elf, uint64_t *vaddr)
{
	size_t n;
	if (elf_getphdrnum(elf, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
			*vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
			return 0;
		}
	}
	return -1;
}

/* 1 found, 0 not found, -1 the table is unreadable. */
static int find_in_dynsym(Elf *elf, const char *name, GElf_Sym *out)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			return -1;
		/* sh_size comes from the file: the count is bounded by the data
		 * libelf actually holds for the section. */
		size_t count = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			const char *sn = elf_strptr(elf, sh.sh_link, s.st_name);
			if (sn && !strcmp(sn, name)) {
				*out = s;
				return 1;
			}
		}
	}
	return 0;
}

int ms_dynsym_lookup(const char *path, const char *name, uint64_t *value,
		     uint64_t *load_vaddr, struct ms_err *e)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ms_err_set(e, 0, "libelf is unusable", NULL, "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, "check that the target's libc is still there", "%s", path);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int rc = -1;
	GElf_Sym s;
	int found;
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		ms_err_set(e, 0, "not an ELF file", NULL, "%s", path);
	} else if (first_load_vaddr(elf, load_vaddr) < 0) {
		ms_err_set(e, 0, "has no loadable segment", NULL, "%s", path);
	} else if ((found = find_in_dynsym(elf, name, &s)) <= 0) {
		ms_err_set(e, 0, found < 0 ? "its dynamic symbol table is unreadable" : "does not export it",
			   "is the allocator glibc's, and the libc intact?", "%s in %s", name, path);
	} else if (GELF_ST_TYPE(s.st_info) != STT_FUNC) {
		ms_err_set(e, 0, "is not a plain function (an IFUNC or data)", NULL, "%s in %s", name, path);
	} else {
		*value = s.st_value;
		rc = 0;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return rc;
}
