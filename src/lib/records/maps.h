/* /proc/PID/maps and /proc/PID/smaps as records.  One parser for both: an
 * smaps entry is a maps line followed by "Key: N kB" lines.  Parsers take
 * buffers so that fixtures and fuzzers can feed them. */
#ifndef MS_MAPS_H
#define MS_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

/* The memory counters smaps and smaps_rollup share, in bytes. */
struct ms_memfields {
	uint64_t size, rss, pss, pss_anon, pss_file, pss_shmem;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, anon_huge, swap, swap_pss, locked;
};

struct ms_mapping {
	uint64_t start, end, offset, inode;
	unsigned dev_major, dev_minor;
	char     perms[5];          /* "rw-p" */
	char    *path;              /* "" when anonymous; owned */
	int      has_fields;        /* smaps counters present */
	struct ms_memfields m;
};

struct ms_maps {
	struct ms_mapping *v;
	size_t n, cap;
};

/* Parse maps or smaps text.  Malformed lines give an error naming the line
 * number; the records parsed so far are kept (caller frees). */
int  ms_maps_parse(const char *buf, size_t len, struct ms_maps *out, struct ms_err *e);
void ms_maps_free(struct ms_maps *m);
/* Append a copy of mp (its path is taken over, not copied).  0, or -1
 * when out of memory. */
int  ms_maps_push(struct ms_maps *m, const struct ms_mapping *mp);

/* Apply one "Key:   123 kB" line to fields; returns 1 if the key was known,
 * 0 if not, -1 if the line is not of that form. */
int  ms_memfields_line(struct ms_memfields *f, const char *line, size_t len);

/* Parse smaps_rollup (header line, then counters). */
int  ms_rollup_parse(const char *buf, size_t len, struct ms_memfields *f, struct ms_err *e);

/* The mapping containing addr, or NULL (maps are sorted by the kernel). */
const struct ms_mapping *ms_maps_find(const struct ms_maps *m, uint64_t addr);

static inline int ms_mapping_is_anon(const struct ms_mapping *mp)
{
	return mp->inode == 0 && (mp->path[0] == 0 || mp->path[0] == '[');
}

#endif
