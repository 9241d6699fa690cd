/* The memory image of byte buffers placed at target addresses: unit tests
 * lay a small heap out in memory and walk it; the fuzz harness feeds the
 * heap walk arbitrary bytes.  Reads are bounded by the regions; every page
 * of a region is present. */
#include "probe/remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe/resmap.h"
#include "records/maps.h"

struct buf {
	struct ms_remote_region *v;
	size_t n;
	struct ms_maps maps;
};

/* The region holding addr, or NULL. */
static const struct ms_remote_region *region(const struct buf *b, uint64_t addr)
{
	for (size_t i = 0; i < b->n; i++)
		if (addr >= b->v[i].addr && addr - b->v[i].addr < b->v[i].len)
			return &b->v[i];
	return NULL;
}

static ssize_t buf_read(struct ms_remote *r, uint64_t addr, void *out, size_t len)
{
	const struct buf *b = r->impl;
	size_t got = 0;
	/* regions may touch: a read goes on into the next one */
	while (got < len) {
		const struct ms_remote_region *g = region(b, addr + got);
		if (!g || addr + got < addr)
			break;
		size_t off = (size_t)(addr + got - g->addr), k = g->len - off;
		if (k > len - got)
			k = len - got;
		memcpy((char *)out + got, (const char *)g->bytes + off, k);
		got += k;
	}
	return (ssize_t)got;
}

static int buf_residency(struct ms_remote *r, struct ms_resmap *m, uint64_t start, uint64_t end)
{
	const struct buf *b = r->impl;
	uint64_t pg = r->page;
	for (uint64_t a = start & ~(pg - 1); a < end; a += pg)
		if (ms_resmap_push(m, a, a + pg, region(b, a) ? MS_PAGE_PRESENT : MS_PAGE_ABSENT) < 0)
			return -1;
	return 0;
}

static int copy_maps(const struct ms_maps *from, struct ms_maps *to)
{
	memset(to, 0, sizeof *to);
	if (!from || !from->n)
		return 0;
	to->v = calloc(from->n, sizeof *to->v);
	if (!to->v)
		return -1;
	to->cap = from->n;
	for (; to->n < from->n; to->n++) {
		to->v[to->n] = from->v[to->n];
		to->v[to->n].path = strdup(from->v[to->n].path ? from->v[to->n].path : "");
		if (!to->v[to->n].path)
			return -1;
	}
	return 0;
}

static int buf_maps(struct ms_remote *r, struct ms_maps *out, struct ms_err *e)
{
	const struct buf *b = r->impl;
	if (copy_maps(&b->maps, out) < 0) {
		ms_maps_free(out);
		return ms_err_set(e, ENOMEM, NULL, NULL, "mappings of a buffer image");
	}
	return 0;
}

static void buf_close(struct ms_remote *r)
{
	struct buf *b = r->impl;
	if (!b)
		return;
	ms_maps_free(&b->maps);
	free(b->v);
	free(b);
}

static const struct ms_remote_ops buf_ops = {
	.kind = "buffer", .read = buf_read, .residency = buf_residency, .maps = buf_maps,
	.close = buf_close,
};

int ms_remote_open_buf(struct ms_remote *r, const struct ms_remote_region *v, size_t n,
		       const struct ms_maps *maps, struct ms_err *e)
{
	memset(r, 0, sizeof *r);
	struct buf *b = calloc(1, sizeof *b);
	if (!b || (n && !(b->v = calloc(n, sizeof *b->v))) || copy_maps(maps, &b->maps) < 0) {
		if (b) {
			ms_maps_free(&b->maps);
			free(b->v);
		}
		free(b);
		return ms_err_set(e, ENOMEM, NULL, NULL, "buffer image");
	}
	if (n)
		memcpy(b->v, v, n * sizeof *v);
	b->n = n;
	r->ops = &buf_ops;
	r->impl = b;
	r->page = 4096;
	r->residency = MS_RES_EXACT;   /* exact: the regions are the data */
	return 0;
}
