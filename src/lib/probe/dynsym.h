/* The address of an exported function in a target's shared object, from
 * the object's .dynsym (what the dynamic linker itself resolves), read
 * with elfutils' libelf. */
#ifndef MS_DYNSYM_H
#define MS_DYNSYM_H

#include <stdint.h>
#include "util/err.h"

/* Look name up among the defined STT_FUNC / STT_GNU_IFUNC symbols of the
 * ELF file at path.  *value gets st_value (a link-time address) and
 * *load_vaddr the page-aligned p_vaddr of the first PT_LOAD, so that the
 * runtime address is (lowest mapping of the object) + value - load_vaddr.
 * Returns 0, or -1 with e set (file unreadable, not ELF, no such symbol,
 * an IFUNC: its st_value is a resolver, not the function). */
int ms_dynsym_lookup(const char *path, const char *name, uint64_t *value,
		     uint64_t *load_vaddr, struct ms_err *e);

#endif
