/* Reading hotspots logs: see hotlog_read.h. */
#include "records/hotlog_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int ms_hl_file_open(struct ms_hl_file *f, const char *path, struct ms_err *e)
{
	memset(f, 0, sizeof *f);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, "check the log directory", "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ms_err_set(e, 0, "not a regular file", "check the log directory", "%s", path);
	}
	f->path = strdup(path);
	f->len = (size_t)st.st_size;
	if (f->len) {
		void *m = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			close(fd);
			free(f->path);
			return ms_err_set(e, errno, NULL, NULL, "%s: mmap", path);
		}
		f->data = m;
	}
	close(fd);
	return 0;
}

void ms_hl_file_close(struct ms_hl_file *f)
{
	if (f->data)
		munmap((void *)f->data, f->len);
	free(f->path);
	memset(f, 0, sizeof *f);
}

static int record_at(const unsigned char *data, size_t len, size_t off, struct ms_hl_rec *rec)
{
	if (len - off < sizeof(struct ms_hl_rec))
		return 0;
	struct ms_hl_rec h;
	memcpy(&h, data + off, sizeof h);
	if (h.magic != MS_HL_MAGIC || h.version != MS_HL_VERSION || h.type < MS_HL_REC_PROCESS ||
	    h.type > MS_HL_REC_END || h.len > len - off - sizeof h)
		return 0;
	if (ms_hl_hash(data + off + sizeof h, h.len) != h.check)
		return 0;
	/* A stream number indexes a per-file table: one the file cannot hold
	 * (more threads than it has bytes) would make the reader's memory a
	 * function of the number, not of the input; such a record is corrupt. */
	if ((h.type == MS_HL_REC_EVENTS || h.type == MS_HL_REC_THREAD || h.type == MS_HL_REC_COUNTS) &&
	    h.len >= sizeof(uint32_t)) {
		uint32_t stream;
		memcpy(&stream, data + off + sizeof h, sizeof stream);
		if (stream >= len)
			return 0;
	}
	*rec = h;
	return 1;
}

int ms_hl_next_record(const unsigned char *data, size_t len, size_t *off,
		      struct ms_hl_rec *rec, const unsigned char **payload,
		      uint64_t *skipped)
{
	size_t o = *off;
	while (o < len) {
		if (record_at(data, len, o, rec)) {
			*payload = data + o + sizeof(struct ms_hl_rec);
			*off = o + sizeof(struct ms_hl_rec) + rec->len;
			return 1;
		}
		/* resynchronise on the next magic */
		const unsigned char *next = NULL;
		for (size_t k = o + 1; k + 4 <= len; k++)
			if (data[k] == 'M' && data[k + 1] == 'S' && data[k + 2] == 'L' && data[k + 3] == 'R') {
				next = data + k;
				break;
			}
		size_t to = next ? (size_t)(next - data) : len;
		*skipped += to - o;
		o = to;
	}
	*off = o;
	return 0;
}

uint32_t ms_hl_decode_block(const unsigned char *payload, size_t len, int stacks,
			    const struct ms_hl_sink *sink, int *corrupt)
{
	*corrupt = 0;
	if (len < sizeof(struct ms_hl_block)) {
		*corrupt = 1;
		return 0;
	}
	struct ms_hl_block b;
	memcpy(&b, payload, sizeof b);
	const unsigned char *p = payload + sizeof b, *end = payload + len;
	uint64_t ticks = b.ticks, prev_ptr = 0, prev_caller[2] = { 0, 0 }, last_alloc = 0;
	uint32_t prev_stack[2] = { UINT32_MAX, UINT32_MAX };
	uint64_t ring[MS_HL_FREE_RING] = { 0 };
	uint64_t sizes[MS_HL_SIZE_SLOTS] = { 0 };   /* size + 1, 0 empty */
	uint64_t freed_by_size[MS_HL_SIZE_SLOTS] = { 0 };
	unsigned last_alloc_slot = 0;
	unsigned ring_head = 0;
	uint32_t n = 0;
	uint64_t v;
	while (p < end && n < b.nevents) {
		unsigned f = *p++;
		unsigned op = f & 0x0f;
		if (op == MS_HL_OP_STACK) {
			uint64_t id, depth, frames[MS_HL_MAX_DEPTH], prev = 0;
			if (ms_hl_get_varint(&p, end, &id) || ms_hl_get_varint(&p, end, &depth) ||
			    depth > MS_HL_MAX_DEPTH || id > UINT32_MAX)
				goto bad;
			for (uint64_t k = 0; k < depth; k++) {
				if (ms_hl_get_varint(&p, end, &v))
					goto bad;
				prev += (uint64_t)ms_hl_unzigzag(v);
				frames[k] = prev;
			}
			if (sink->stack)
				sink->stack(sink->ctx, &b, (uint32_t)id, frames, (unsigned)depth);
			continue;
		}
		int pair = op == MS_HL_OP_MALLOC_FREE || op == MS_HL_OP_PAIR_BY_SIZE;
		if (op == MS_HL_OP_PAIR_BY_SIZE) {
			/* malloc: same caller, no time step, size and pointer from
			 * the slot in the high bits; then its free */
			unsigned slot = f >> 4;
			if (!sizes[slot] || !freed_by_size[slot] || n + 2 > b.nevents)
				goto bad;
			struct ms_hl_event me = { .op = MS_HL_OP_MALLOC, .ticks = ticks, .size = sizes[slot] - 1,
						  .ptr = freed_by_size[slot], .caller = stacks ? 0 : prev_caller[0],
						  .stack = stacks ? prev_stack[0] : UINT32_MAX };
			last_alloc = prev_ptr = me.ptr;
			last_alloc_slot = slot;
			sink->event(sink->ctx, &b, &me);
			struct ms_hl_event fe = me;
			fe.op = MS_HL_OP_FREE;
			fe.size = 0;
			fe.caller = stacks ? 0 : prev_caller[1];
			fe.stack = stacks ? prev_stack[1] : UINT32_MAX;
			ring[ring_head++ % MS_HL_FREE_RING] = me.ptr;
			sink->event(sink->ctx, &b, &fe);
			n += 2;
			continue;
		}
		if (pair)
			op = MS_HL_OP_MALLOC;
		if (op >= MS_HL_OP_COUNT || (pair && n + 2 > b.nevents))
			goto bad;
		struct ms_hl_event ev = { .op = op, .stack = UINT32_MAX };
		int kind = op == MS_HL_OP_FREE;
		if (f & MS_HL_F_TIME) {
			if (ms_hl_get_varint(&p, end, &v))
				goto bad;
			ticks += v;
		}
		ev.ticks = ticks;
		if (stacks) {
			if (!(f & MS_HL_F_SAMECALLER)) {
				if (ms_hl_get_varint(&p, end, &v) || v > UINT32_MAX)
					goto bad;
				prev_stack[kind] = (uint32_t)v;
			}
			ev.stack = prev_stack[kind];
		} else {
			if (!(f & MS_HL_F_SAMECALLER)) {
				if (ms_hl_get_varint(&p, end, &v))
					goto bad;
				prev_caller[kind] += (uint64_t)ms_hl_unzigzag(v);
			}
			ev.caller = prev_caller[kind];
		}
		if (kind) {
			if (f & MS_HL_F_PTRHIT) {
				ev.ptr = last_alloc;
				freed_by_size[last_alloc_slot] = ev.ptr;
			} else {
				if (ms_hl_get_varint(&p, end, &v))
					goto bad;
				ev.ptr = prev_ptr + (uint64_t)ms_hl_unzigzag(v);
			}
			ring[ring_head++ % MS_HL_FREE_RING] = ev.ptr;
		} else {
			unsigned ext = 0;
			if (f & MS_HL_F_EXT) {
				if (p >= end)
					goto bad;
				ext = *p++;
			}
			if (ext & 0x08) {
				if (!sizes[ext >> 4])
					goto bad;   /* a slot never filled */
				ev.size = sizes[ext >> 4] - 1;
			} else {
				if (ms_hl_get_varint(&p, end, &ev.size))
					goto bad;
				sizes[ms_hl_size_slot(ev.size)] = ev.size + 1;
			}
			unsigned slot = ms_hl_size_slot(ev.size);
			if (f & MS_HL_F_PTRHIT) {
				unsigned idx = ext & 7;
				ev.ptr = idx == MS_HL_PTR_BY_SIZE ? freed_by_size[slot]
								  : ring[(ring_head - 1 - idx) % MS_HL_FREE_RING];
			} else {
				if (ms_hl_get_varint(&p, end, &v))
					goto bad;
				ev.ptr = prev_ptr + (uint64_t)ms_hl_unzigzag(v);
			}
			last_alloc = ev.ptr;
			last_alloc_slot = slot;
			if (op == MS_HL_OP_REALLOC || op == MS_HL_OP_REALLOCARRAY) {
				if (ms_hl_get_varint(&p, end, &v))
					goto bad;
				ev.old = ev.ptr + (uint64_t)ms_hl_unzigzag(v);
			}
		}
		if (ev.ptr)
			prev_ptr = ev.ptr;
		sink->event(sink->ctx, &b, &ev);
		n++;
		if (pair) {
			/* the implied free: same state steps as a free that hits */
			struct ms_hl_event fe = { .op = MS_HL_OP_FREE, .ticks = ticks, .ptr = last_alloc,
						  .caller = stacks ? 0 : prev_caller[1],
						  .stack = stacks ? prev_stack[1] : UINT32_MAX };
			if (!last_alloc)
				goto bad;
			freed_by_size[last_alloc_slot] = last_alloc;
			ring[ring_head++ % MS_HL_FREE_RING] = last_alloc;
			sink->event(sink->ctx, &b, &fe);
			n++;
		}
	}
	if (n != b.nevents || p != end)
		*corrupt = 1;
	return n;
bad:
	*corrupt = 1;
	return n;
}
