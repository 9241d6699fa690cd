#include "records/maps.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

static int hexnum(const char **pp, const char *end, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;
	int n = 0;
	for (; p < end; p++, n++) {
		int d;
		if (*p >= '0' && *p <= '9') d = *p - '0';
		else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
		else break;
		if (n >= 16)
			return -1;
		x = x << 4 | (uint64_t)d;
	}
	if (!n)
		return -1;
	*v = x;
	*pp = p;
	return 0;
}

static int decnum(const char **pp, const char *end, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;
	int n = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++, n++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (!n)
		return -1;
	*v = x;
	*pp = p;
	return 0;
}

static int expect(const char **pp, const char *end, char c)
{
	if (*pp >= end || **pp != c)
		return -1;
	(*pp)++;
	return 0;
}

static void skip_spaces(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
}

/* "start-end perms offset maj:min inode   path" */
static int parse_map_line(const char *p, const char *end, struct ms_mapping *mp)
{
	uint64_t maj, min;
	memset(mp, 0, sizeof *mp);
	if (hexnum(&p, end, &mp->start) || expect(&p, end, '-') ||
	    hexnum(&p, end, &mp->end) || expect(&p, end, ' '))
		return -1;
	if (end - p < 4)
		return -1;
	memcpy(mp->perms, p, 4);
	mp->perms[4] = 0;
	p += 4;
	if (expect(&p, end, ' ') || hexnum(&p, end, &mp->offset) || expect(&p, end, ' ') ||
	    hexnum(&p, end, &maj) || expect(&p, end, ':') || hexnum(&p, end, &min) ||
	    expect(&p, end, ' ') || decnum(&p, end, &mp->inode))
		return -1;
	if (mp->end < mp->start)
		return -1;
	mp->dev_major = (unsigned)maj;
	mp->dev_minor = (unsigned)min;
	skip_spaces(&p, end);
	mp->path = strndup(p, (size_t)(end - p));
	return mp->path ? 0 : -1;
}

int ms_memfields_line(struct ms_memfields *f, const char *line, size_t len)
{
	static const struct { const char *key; size_t off; } keys[] = {
#define K(name, field) { name, offsetof(struct ms_memfields, field) }
		K("Size", size), K("Rss", rss), K("Pss", pss), K("Pss_Anon", pss_anon),
		K("Pss_File", pss_file), K("Pss_Shmem", pss_shmem),
		K("Shared_Clean", shared_clean), K("Shared_Dirty", shared_dirty),
		K("Private_Clean", private_clean), K("Private_Dirty", private_dirty),
		K("Referenced", referenced), K("Anonymous", anonymous),
		K("AnonHugePages", anon_huge), K("Swap", swap), K("SwapPss", swap_pss),
		K("Locked", locked),
#undef K
	};
	const char *end = line + len;
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return -1;
	size_t klen = (size_t)(colon - line);
	for (size_t i = 0; i < klen; i++)
		if (line[i] == ' ')
			return -1;
	const char *p = colon + 1;
	skip_spaces(&p, end);
	uint64_t v;
	const char *num = p;
	if (decnum(&p, end, &v))
		return klen ? 0 : -1;   /* VmFlags, THPeligible text etc. */
	(void)num;
	skip_spaces(&p, end);
	int kb = end - p >= 2 && p[0] == 'k' && p[1] == 'B';
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strlen(keys[i].key) == klen && !memcmp(keys[i].key, line, klen)) {
			*(uint64_t *)((char *)f + keys[i].off) = kb ? v * 1024 : v;
			return 1;
		}
	}
	return 0;
}

int ms_maps_push(struct ms_maps *m, const struct ms_mapping *mp)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		struct ms_mapping *n = realloc(m->v, ncap * sizeof *n);
		if (!n)
			return -1;
		m->v = n;
		m->cap = ncap;
	}
	m->v[m->n++] = *mp;
	return 0;
}

/* A maps line starts with a hex digit and has a '-' before the first space;
 * an smaps field line starts with a letter and has a ':' after the key. */
static int is_map_line(const char *p, const char *end)
{
	for (; p < end && *p != ' '; p++)
		if (*p == '-')
			return 1;
	return 0;
}

int ms_maps_parse(const char *buf, size_t len, struct ms_maps *out, struct ms_err *e)
{
	const char *p = buf, *end = buf + len;
	int lineno = 0;
	memset(out, 0, sizeof *out);
	while (p < end) {
		const char *le = line_end(p, end);
		lineno++;
		if (le == p) {
			p = le + 1;
			continue;
		}
		if (is_map_line(p, le)) {
			struct ms_mapping mp;
			if (parse_map_line(p, le, &mp) < 0)
				return ms_err_set(e, 0, "malformed mapping line", NULL,
						  "maps line %d", lineno);
			if (ms_maps_push(out, &mp) < 0) {
				free(mp.path);
				return ms_err_set(e, ENOMEM, NULL, NULL, "maps line %d", lineno);
			}
		} else {
			if (!out->n)
				return ms_err_set(e, 0, "counter before any mapping", NULL,
						  "smaps line %d", lineno);
			struct ms_mapping *last = &out->v[out->n - 1];
			int r = ms_memfields_line(&last->m, p, (size_t)(le - p));
			if (r < 0)
				return ms_err_set(e, 0, "malformed counter line", NULL,
						  "smaps line %d", lineno);
			last->has_fields = 1;
		}
		p = le + 1;
	}
	return 0;
}

void ms_maps_free(struct ms_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof *m);
}

int ms_rollup_parse(const char *buf, size_t len, struct ms_memfields *f, struct ms_err *e)
{
	const char *p = buf, *end = buf + len;
	int lineno = 0, known = 0;
	memset(f, 0, sizeof *f);
	while (p < end) {
		const char *le = line_end(p, end);
		lineno++;
		if (le > p && !is_map_line(p, le)) {
			int r = ms_memfields_line(f, p, (size_t)(le - p));
			if (r < 0)
				return ms_err_set(e, 0, "malformed counter line", NULL,
						  "smaps_rollup line %d", lineno);
			known += r;
		}
		p = le + 1;
	}
	if (!known)
		return ms_err_set(e, 0, "no counters (empty or not smaps_rollup)", NULL,
				  "smaps_rollup");
	return 0;
}

const struct ms_mapping *ms_maps_find(const struct ms_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}
