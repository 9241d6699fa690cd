#include "findings/corelibc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/core.h"
#include "probe/elf.h"
#include "probe/target.h"

/* The build-id in the core's copy of the ELF header page at base. */
static void core_build_id(struct ms_remote *r, uint64_t base, char out[41])
{
	out[0] = 0;
	uint64_t pg = r->page ? r->page : 4096;
	unsigned char *page = malloc(pg);
	if (!page)
		return;
	struct ms_elf_info info;
	if (ms_remote_read_exact(r, base, page, pg) == 0 && ms_elf_inspect_buf(page, pg, &info, NULL) == 0)
		snprintf(out, 41, "%s", info.build_id);
	free(page);
}

int ms_core_libc_identify(struct ms_remote *r, const struct ms_maps *maps, const char *sysroot,
			  const char *exe_given, struct ms_libc *out, char core_bid[41],
			  struct ms_err *e)
{
	core_bid[0] = 0;
	const struct ms_core_info *ci = ms_core_info(r);
	const char *exe = ci && ci->entry ? ms_core_file_at(r, ci->entry) : "";
	struct ms_target *t = malloc(sizeof *t);
	if (!t)
		return ms_err_set(e, ENOMEM, NULL, NULL, "target of the core");
	memset(out, 0, sizeof *out);
	int rc = ms_target_of_core(t, sysroot, exe, exe_given, e);
	if (rc == 0)
		rc = ms_libc_identify(t, maps, NULL, 0, out, e);
	if (rc == 0 && !out->libc_found && !t->exe[0])
		rc = ms_err_set(e, 0, "no libc among its file mappings and no executable named",
				"pass --exe PATH (the program the core is of)", "core of process %d", (int)r->pid);
	if (rc < 0 && out->libc_found) {
		/* the libc the core names is not here (or unreadable) */
		core_build_id(r, out->libc_base, core_bid);
		ms_err_set(e, 0, "not found or not readable under that root",
			   "pass --sysroot DIR: the root of the machine or container image the core came from",
			   "libc %s (build-id %s in the core) looked for as %s", out->libc_path,
			   core_bid[0] ? core_bid : "unknown", out->libc_file);
	}
	if (rc < 0) {
		if (e && !strstr(e->hint, "--sysroot"))
			snprintf(e->hint, sizeof e->hint, "%s",
				 "pass --sysroot DIR: the root of the machine or container image the core came from");
		free(t);
		return -1;
	}
	free(t);
	if (!out->libc_found)
		return 0;
	core_build_id(r, out->libc_base, core_bid);
	if (core_bid[0] && out->elf.build_id[0] && strcmp(core_bid, out->elf.build_id))
		return ms_err_set(e, 0, "not the libc the process ran",
				  "pass --sysroot DIR: the root of the machine or container image the core came from",
				  "libc %s: build-id %s in the core, %s in %s",
				  out->libc_path, core_bid, out->elf.build_id, out->libc_file);
	return 0;
}
