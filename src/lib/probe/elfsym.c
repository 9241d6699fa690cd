#include "probe/elfsym.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int lookup(const unsigned char *m, size_t len, struct ms_elfsym_query *q, size_t nq,
		  uint64_t *load_vaddr)
{
	if (len < sizeof(Elf64_Ehdr) || memcmp(m, ELFMAG, SELFMAG) || m[EI_CLASS] != ELFCLASS64)
		return -1;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	*load_vaddr = 0;
	if (eh->e_phoff && eh->e_phnum && eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) <= len) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(m + eh->e_phoff);
		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD) {
				*load_vaddr = ph[i].p_vaddr & ~(uint64_t)0xfff;
				break;
			}
	}
	if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len)
		return -1;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
	for (int s = 0; s < eh->e_shnum; s++) {
		if (sh[s].sh_type != SHT_SYMTAB || sh[s].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *str = &sh[sh[s].sh_link];
		if (sh[s].sh_offset + sh[s].sh_size > len || str->sh_offset + str->sh_size > len ||
		    str->sh_type != SHT_STRTAB)
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(m + sh[s].sh_offset);
		size_t n = sh[s].sh_size / sizeof(Elf64_Sym);
		const char *names = (const char *)m + str->sh_offset;
		for (size_t i = 0; i < n; i++) {
			int type = ELF64_ST_TYPE(sym[i].st_info);
			if ((type != STT_OBJECT && type != STT_TLS) || sym[i].st_shndx == SHN_UNDEF ||
			    sym[i].st_name >= str->sh_size)
				continue;
			const char *nm = names + sym[i].st_name;
			size_t max = str->sh_size - sym[i].st_name;
			for (size_t k = 0; k < nq; k++)
				if (!q[k].found && strnlen(nm, max) < max && !strcmp(nm, q[k].name)) {
					q[k].found = 1;
					q[k].value = sym[i].st_value;
					q[k].size = sym[i].st_size;
				}
		}
	}
	return 0;
}

int ms_elfsym_lookup(const char *path, struct ms_elfsym_query *q, size_t nq,
		     uint64_t *load_vaddr, struct ms_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, "reinstall the debug package or pass --no-debuginfo",
				  "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return ms_err_set(e, EINVAL, NULL, "pass --no-debuginfo", "%s", path);
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return ms_err_set(e, errno, NULL, "pass --no-debuginfo", "mapping %s", path);
	int rc = lookup(m, (size_t)st.st_size, q, nq, load_vaddr);
	munmap(m, (size_t)st.st_size);
	if (rc < 0)
		return ms_err_set(e, 0, "not a 64-bit ELF file with a symbol table", "pass --no-debuginfo",
				  "%s", path);
	return 0;
}
