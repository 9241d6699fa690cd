#include "findings/postmortem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/corelibc.h"
#include "probe/core.h"
#include "records/maps.h"

/* The libc could not be told from a core that lacks parts: the result
 * is what is missing and why nothing more was read (exit 0, partial). */
static int partial_core(struct ms_remote *r, struct ms_arenas *out, struct ms_err *e)
{
	const struct ms_core_info *ci = ms_core_info(r);
	memset(out, 0, sizeof *out);
	ms_core_missing_text(ci, out->missing, sizeof out->missing);
	if (!out->missing[0])
		return -1;
	out->pid = r->pid;
	out->symbols_agree = -1;
	snprintf(out->source, sizeof out->source, "core");
	snprintf(out->allocator, sizeof out->allocator, "unknown");
	snprintf(out->inconsistency, sizeof out->inconsistency, "%s", e->msg);
	out->partial = 1;
	return 0;
}

int ms_postmortem_arenas(const char *core, const char *exe, const char *sysroot,
			 const struct ms_arenas_opts *o, struct ms_arenas *out, struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	struct ms_remote r;
	if (ms_core_open(&r, core, e) < 0)
		return -1;
	struct ms_maps maps = { 0 };
	struct ms_libc *lc = malloc(sizeof *lc);   /* paths: not on the stack */
	char bid[41];
	int rc = -1;
	if (!lc)
		ms_err_set(e, ENOMEM, NULL, NULL, "core %s", core);
	else if (ms_remote_maps(&r, &maps, e) == 0 &&
		 ms_core_libc_identify(&r, &maps, sysroot, exe, lc, bid, e) == 0)
		rc = ms_arenas_collect_image(&r, lc, o, out, e);
	else
		rc = partial_core(&r, out, e);
	if (rc == 0)
		snprintf(out->core, sizeof out->core, "%s", core);
	free(lc);
	ms_maps_free(&maps);
	ms_remote_close(&r);
	return rc;
}
