/* The memory image's dispatch: each call goes to the implementation's
 * ops; what every implementation shares (exact reads, spans read one by
 * one) is written once here. */
#include "probe/remote.h"

#include <errno.h>

#include "probe/tasks.h"
#include "records/maps.h"

const char *ms_residency_name(int r)
{
	switch (r) {
	case MS_RES_EXACT:      return "exact";
	case MS_RES_CORE_HOLES: return "core_holes";
	case MS_RES_UNKNOWN:    return "unknown";
	default:                return "none";
	}
}

void ms_remote_close(struct ms_remote *r)
{
	if (r->ops && r->ops->close)
		r->ops->close(r);
	r->ops = NULL;
	r->impl = NULL;
}

ssize_t ms_remote_read(struct ms_remote *r, uint64_t addr, void *buf, size_t len)
{
	if (!r->ops) {
		errno = EBADF;
		return -1;
	}
	return r->ops->read(r, addr, buf, len);
}

int ms_remote_read_exact(struct ms_remote *r, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = ms_remote_read(r, addr, buf, len);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}


int ms_remote_maps(struct ms_remote *r, struct ms_maps *out, struct ms_err *e)
{
	if (!r->ops || !r->ops->maps)
		return ms_err_set(e, 0, "this memory image has no mappings", NULL, "target");
	return r->ops->maps(r, out, e);
}

int ms_remote_threads(struct ms_remote *r, size_t max, struct ms_threads *out)
{
	if (!r->ops || !r->ops->threads) {
		out->v = NULL;
		out->n = 0;
		return 0;
	}
	return r->ops->threads(r, max, out);
}
