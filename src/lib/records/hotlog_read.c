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
	if (h.magic != MS_HL_MAGIC || h.version < MS_HL_VERSION_MIN || h.version > MS_HL_VERSION || h.type < MS_HL_REC_PROCESS ||
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

int ms_hl_dec_init(struct ms_hl_dec *d, const unsigned char *payload, size_t len, int stacks,
		   const struct ms_hl_sink *sink)
{
	memset(d, 0, sizeof *d);
	d->sink = sink;
	d->stacks = stacks;
	if (len < sizeof(struct ms_hl_block)) {
		d->corrupt = 1;
		return -1;
	}
	memcpy(&d->b, payload, sizeof d->b);
	d->p = payload + sizeof d->b;
	d->end = payload + len;
	d->ticks = d->b.ticks;
	d->stamp = d->b.stamp;
	d->prev_stack[0] = d->prev_stack[1] = UINT32_MAX;
	return 0;
}

/* A pointer step as the block's format writes it. */
static inline int dec_ptr_step(struct ms_hl_dec *d, uint64_t *step)
{
	if (d->b.format == MS_HL_FMT_PTR16)
		return ms_hl_get_ptr_step(&d->p, d->end, step);
	uint64_t v;
	if (ms_hl_get_varint(&d->p, d->end, &v))
		return -1;
	*step = (uint64_t)ms_hl_unzigzag(v);
	return 0;
}

static int dec_bad(struct ms_hl_dec *d)
{
	d->corrupt = 1;
	d->p = d->end;
	d->n = d->b.nevents;   /* nothing more from this block */
	d->have_free = 0;
	return 0;
}

/* The free implied by a pair: same state steps as a free that hits. */
static void dec_pair_free(struct ms_hl_dec *d, const struct ms_hl_event *me)
{
	struct ms_hl_event fe = { .op = MS_HL_OP_FREE, .ticks = me->ticks, .ptr = me->ptr,
				  .stamp = me->stamp + 1, .pair = 2,
				  .caller = d->stacks ? 0 : d->prev_caller[1],
				  .stack = d->stacks ? d->prev_stack[1] : UINT32_MAX };
	d->freed_by_size[d->last_alloc_slot] = me->ptr;
	d->ring[d->ring_head++ % MS_HL_FREE_RING] = me->ptr;
	d->stamp = fe.stamp;
	d->free_ev = fe;
	d->have_free = 1;
}

int ms_hl_dec_next(struct ms_hl_dec *d, struct ms_hl_event *out)
{
	if (d->have_free) {
		*out = d->free_ev;
		d->have_free = 0;
		d->n++;
		return 1;
	}
	uint64_t v;
	while (d->p < d->end && d->n < d->b.nevents) {
		const unsigned char *end = d->end;
		unsigned f = *d->p++;
		unsigned op = f & 0x0f;
		if (op == MS_HL_OP_STACK) {
			uint64_t id, depth, frames[MS_HL_MAX_DEPTH], prev = 0;
			if (ms_hl_get_varint(&d->p, end, &id) || ms_hl_get_varint(&d->p, end, &depth) ||
			    depth > MS_HL_MAX_DEPTH || id > UINT32_MAX)
				return dec_bad(d);
			for (uint64_t k = 0; k < depth; k++) {
				if (ms_hl_get_varint(&d->p, end, &v))
					return dec_bad(d);
				prev += (uint64_t)ms_hl_unzigzag(v);
				frames[k] = prev;
			}
			if (d->sink && d->sink->stack)
				d->sink->stack(d->sink->ctx, &d->b, (uint32_t)id, frames, (unsigned)depth);
			continue;
		}
		int pair = op == MS_HL_OP_MALLOC_FREE || op == MS_HL_OP_PAIR_BY_SIZE || op == MS_HL_OP_PAIR_STAMP ||
			   op == MS_HL_OP_PAIR_ALT;
		if (pair && d->n + 2 > d->b.nevents)
			return dec_bad(d);
		if (op == MS_HL_OP_PAIR_BY_SIZE || op == MS_HL_OP_PAIR_STAMP || op == MS_HL_OP_PAIR_ALT) {
			/* malloc: same caller, no time step, no stamp step (or
			 * one varint: PAIR_STAMP), size and pointer from the slot
			 * in the high bits; then its free */
			unsigned slot = f >> 4;
			if (!d->sizes[slot] || !d->freed_by_size[slot])
				return dec_bad(d);
			if (op == MS_HL_OP_PAIR_STAMP) {
				if (ms_hl_get_varint(&d->p, end, &v))
					return dec_bad(d);
				d->stamp += (uint64_t)ms_hl_unzigzag(v);
			}
			if (op == MS_HL_OP_PAIR_ALT) {
				if (d->stacks)
					return dec_bad(d);   /* only written with callers */
				uint64_t was = d->prev_caller[1];
				d->prev_caller[1] = d->alt_free_caller;
				d->alt_free_caller = was;
			}
			*out = (struct ms_hl_event){ .op = MS_HL_OP_MALLOC, .ticks = d->ticks, .size = d->sizes[slot] - 1,
						  .ptr = d->freed_by_size[slot], .stamp = d->stamp,
						  .caller = d->stacks ? 0 : d->prev_caller[0],
						  .stack = d->stacks ? d->prev_stack[0] : UINT32_MAX, .pair = 1 };
			d->last_alloc = d->prev_ptr = out->ptr;
			d->last_alloc_slot = slot;
			dec_pair_free(d, out);
			d->n++;
			return 1;
		}
		if (pair)
			op = MS_HL_OP_MALLOC;
		if (op >= MS_HL_OP_COUNT)
			return dec_bad(d);
		/* filled in place: a local copied out at the end stalls on
		 * store forwarding (a third of the decoder's time) */
		struct ms_hl_event *ev = out;
		*ev = (struct ms_hl_event){ .op = op, .stack = UINT32_MAX };
		int kind = op == MS_HL_OP_FREE;
		int realloc_ = op == MS_HL_OP_REALLOC || op == MS_HL_OP_REALLOCARRAY;
		if (f & MS_HL_F_TIME) {
			if (ms_hl_get_varint(&d->p, end, &v))
				return dec_bad(d);
			d->ticks += v;
		}
		ev->ticks = d->ticks;
		if (ms_hl_get_varint(&d->p, end, &v))
			return dec_bad(d);
		d->stamp += (uint64_t)ms_hl_unzigzag(v);
		if (realloc_) {
			ev->stamp_free = d->stamp;
			if (ms_hl_get_varint(&d->p, end, &v))
				return dec_bad(d);
			d->stamp += (uint64_t)ms_hl_unzigzag(v);
		}
		ev->stamp = d->stamp;
		if (d->stacks) {
			if (!(f & MS_HL_F_SAMECALLER)) {
				if (ms_hl_get_varint(&d->p, end, &v) || v > UINT32_MAX)
					return dec_bad(d);
				d->prev_stack[kind] = (uint32_t)v;
			}
			ev->stack = d->prev_stack[kind];
		} else {
			if (kind && !(f & MS_HL_F_SAMECALLER) && (f & MS_HL_F_EXT)) {
				/* the free site before the last one (version 3) */
				uint64_t was = d->prev_caller[1];
				d->prev_caller[1] = d->alt_free_caller;
				d->alt_free_caller = was;
			} else if (!(f & MS_HL_F_SAMECALLER)) {
				if (ms_hl_get_varint(&d->p, end, &v))
					return dec_bad(d);
				if (kind)
					d->alt_free_caller = d->prev_caller[1];
				d->prev_caller[kind] += (uint64_t)ms_hl_unzigzag(v);
			}
			ev->caller = d->prev_caller[kind];
		}
		if (kind) {
			if (f & MS_HL_F_PTRHIT) {
				ev->ptr = d->last_alloc;
				d->freed_by_size[d->last_alloc_slot] = ev->ptr;
			} else {
				if (dec_ptr_step(d, &v))
					return dec_bad(d);
				ev->ptr = d->prev_ptr + v;
			}
			d->ring[d->ring_head++ % MS_HL_FREE_RING] = ev->ptr;
		} else {
			unsigned ext = 0;
			if (f & MS_HL_F_EXT) {
				if (d->p >= end)
					return dec_bad(d);
				ext = *d->p++;
			}
			if (ext & 0x08) {
				if (!d->sizes[ext >> 4])
					return dec_bad(d);   /* a slot never filled */
				ev->size = d->sizes[ext >> 4] - 1;
			} else {
				if (ms_hl_get_varint(&d->p, end, &ev->size))
					return dec_bad(d);
				d->sizes[ms_hl_size_slot(ev->size)] = ev->size + 1;
			}
			unsigned slot = ms_hl_size_slot(ev->size);
			if (f & MS_HL_F_PTRHIT) {
				unsigned idx = ext & 7;
				ev->ptr = idx == MS_HL_PTR_BY_SIZE ? d->freed_by_size[slot]
								  : d->ring[(d->ring_head - 1 - idx) % MS_HL_FREE_RING];
			} else {
				if (dec_ptr_step(d, &v))
					return dec_bad(d);
				ev->ptr = d->prev_ptr + v;
			}
			d->last_alloc = ev->ptr;
			d->last_alloc_slot = slot;
			if (realloc_) {
				if (ms_hl_get_varint(&d->p, end, &v))
					return dec_bad(d);
				ev->old = ev->ptr + (uint64_t)ms_hl_unzigzag(v);
			}
		}
		if (ev->ptr)
			d->prev_ptr = ev->ptr;
		if (pair) {
			if (!d->last_alloc)
				return dec_bad(d);
			ev->pair = 1;
			dec_pair_free(d, ev);
		}
		d->n++;
		return 1;
	}
	if (d->n != d->b.nevents || d->p != d->end)
		d->corrupt = 1;
	return 0;
}

