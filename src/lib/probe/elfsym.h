/* Symbol values from an ELF file's .symtab (a separate debug file keeps the
 * static symbols main_arena and mp_ that the stripped libc lacks).  Parsed
 * by hand like probe/elf.c: two lookups do not justify a libelf link. */
#ifndef MS_ELFSYM_H
#define MS_ELFSYM_H

#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

struct ms_elfsym_query {
	const char *name;
	uint64_t    value;      /* out: st_value (link-time address; for a TLS
				 * variable its offset in the module's TLS block) */
	uint64_t    size;       /* out: st_size */
	int         found;      /* out */
};

/* Look up each query's name among STT_OBJECT and STT_TLS symbols.  *load_vaddr gets
 * the page-aligned p_vaddr of the first PT_LOAD, so that the runtime
 * address is mapping base + value - load_vaddr.  Returns 0 or -1. */
int ms_elfsym_lookup(const char *path, struct ms_elfsym_query *q, size_t nq,
		     uint64_t *load_vaddr, struct ms_err *e);

#endif
