/* What an ELF file says about itself, read from the file (never from our
 * own process): class, static or dynamic, GNU build-id, glibc's version
 * banner, SystemTap SDT probe notes.  No libelf needed for these. */
#ifndef MS_ELF_H
#define MS_ELF_H

#include <stddef.h>
#include "util/err.h"

struct ms_elf_info {
	int  elf_class;            /* 32 or 64 */
	int  machine;              /* e_machine */
	int  has_interp;           /* PT_INTERP: dynamically linked executable */
	int  has_dynamic;          /* PT_DYNAMIC */
	char interp[128];
	char build_id[41];         /* hex, "" when absent */
	char glibc_version[16];    /* "2.36" from the banner, "" when not glibc */
	char glibc_banner[160];    /* "GNU C Library (Debian GLIBC 2.36-9...) ..." */
	int  sdt_probes;           /* .note.stapsdt entries */
	int  sdt_memory_probes;    /* of those, provider "libc" name "memory_*" */
	int  musl;                 /* looks like musl libc */
	int  glibc_static;         /* glibc's own strings linked in (static binary);
				    * its version is not recorded in such a binary */
	int  has_tls;              /* PT_TLS: the module's thread-local block */
	unsigned long long tls_vaddr, tls_align;
};

/* Inspect path.  Returns 0, or -1 with e set (not ELF, unreadable). */
int ms_elf_inspect(const char *path, struct ms_elf_info *info, struct ms_err *e);

/* Same on a buffer holding the whole file (for tests and fuzzing). */
int ms_elf_inspect_buf(const unsigned char *buf, size_t len, struct ms_elf_info *info,
		       struct ms_err *e);

/* Debug file for a build-id under root ("" or "/proc/PID/root"):
 * ROOT/usr/lib/debug/.build-id/xx/yyyy.debug.  Returns 1 and fills out when
 * it exists, 0 when not. */
int ms_debuginfo_find(const char *root, const char *build_id, char *out, size_t outlen);

/* Compare "2.36" style versions: <0, 0, >0. */
int ms_version_cmp(const char *a, const char *b);

#endif
