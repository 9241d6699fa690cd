/* Counting a hotspots recording from its headers: see hotcensus.h.  The
 * rules are the analyser's (findings/hotspots.c load_file, add_tails; a
 * slot is read by ms_hl_slot_tail for both): a buffer slot's committed
 * events count only past those its thread already wrote to the .msl in
 * the block of the same image-wide sequence number. */
#include "records/hotcensus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/hotlog_read.h"

struct seqn {
	uint64_t key;     /* block seq, or COUNTS_KEY | counts seq */
	uint32_t n;       /* events the .msl holds for it */
};

#define COUNTS_KEY (1ull << 40)

struct seqs {
	struct seqn *v;
	size_t n, cap;
};

static int seq_add(struct seqs *s, uint64_t key, uint32_t n)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct seqn *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct seqn){ key, n };
	return 0;
}

static int seq_cmp(const void *a, const void *b)
{
	const struct seqn *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;   /* the largest first */
}

/* The events the .msl holds for key, or -1 when it holds no such block. */
static int64_t seq_find(const struct seqs *s, uint64_t key)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->v[lo].key == key ? (int64_t)s->v[lo].n : -1;
}

static void add(uint64_t *sum, uint64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*sum = UINT64_MAX;
}

/* One image's log file: its blocks' events, remembered by seq. */
static int count_log(const struct ms_hl_file *f, struct seqs *s, struct ms_hl_census *c)
{
	size_t off = 0;
	struct ms_hl_rec rec;
	const unsigned char *pl;
	uint64_t skipped = 0;
	while (ms_hl_next_record(f->data, f->len, &off, &rec, &pl, &skipped)) {
		if (rec.type == MS_HL_REC_EVENTS && rec.len >= sizeof(struct ms_hl_block)) {
			struct ms_hl_block b;
			memcpy(&b, pl, sizeof b);
			add(&c->events, b.nevents);
			if (seq_add(s, (uint64_t)b.seq, b.nevents) < 0)
				return -1;
		} else if (rec.type == MS_HL_REC_COUNTS && rec.len >= sizeof(struct ms_hl_counts)) {
			struct ms_hl_counts cn;
			memcpy(&cn, pl, sizeof cn);
			add(&c->events, cn.calls);
			if (seq_add(s, COUNTS_KEY | cn.seq, 0) < 0)
				return -1;
		}
	}
	return 0;
}

size_t ms_hl_slots(const struct ms_hl_file *bf)
{
	size_t n = bf->len / MS_HL_SLOT_BYTES;
	return n > MS_HL_SLOTS_MAX ? MS_HL_SLOTS_MAX : n;
}

enum ms_hl_tail_kind ms_hl_slot_tail(const struct ms_hl_file *bf, size_t i, struct ms_hl_tail *t)
{
	const unsigned char *base = bf->data + i * MS_HL_SLOT_BYTES;
	memcpy(&t->slot, base, sizeof t->slot);
	if (t->slot.magic != MS_HL_SLOT_MAGIC)
		return MS_HL_TAIL_NONE;
	t->payload = base + MS_HL_SLOT_HDR + sizeof(struct ms_hl_rec);
	if (t->slot.count_only) {
		memcpy(&t->counts, t->payload, sizeof t->counts);
		t->len = MS_HL_SLOT_BUF - sizeof(struct ms_hl_rec);
		return MS_HL_TAIL_COUNTS;
	}
	size_t end = (size_t)(t->slot.commit & 0xffffffffu);
	if (end < sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_block) || end > MS_HL_SLOT_BUF)
		return MS_HL_TAIL_DAMAGED;
	t->nevents = (uint32_t)(t->slot.commit >> 32);
	t->len = end - sizeof(struct ms_hl_rec);
	memcpy(&t->block, t->payload, sizeof t->block);
	return MS_HL_TAIL_EVENTS;
}

/* Its buffer file: each slot's committed events past what the log holds
 * (a damaged slot: the analyser counts it as a corrupt block). */
static void count_tails(const struct ms_hl_file *bf, const struct seqs *s, struct ms_hl_census *c)
{
	for (size_t i = 0, n = ms_hl_slots(bf); i < n; i++) {
		struct ms_hl_tail t;
		enum ms_hl_tail_kind k = ms_hl_slot_tail(bf, i, &t);
		if (k == MS_HL_TAIL_COUNTS && t.counts.calls && seq_find(s, COUNTS_KEY | t.counts.seq) < 0) {
			add(&c->events, t.counts.calls);
		} else if (k == MS_HL_TAIL_EVENTS) {
			int64_t seen = seq_find(s, (uint64_t)t.block.seq);
			uint32_t skip = seen > 0 ? (uint32_t)seen : 0;
			if (t.nevents > skip)
				add(&c->events, t.nevents - skip);
		}
	}
}

static void read_dropped(const char *dir, struct ms_hl_census *c)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/counters", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	struct ms_hl_counters k;
	if (read(fd, &k, sizeof k) == (ssize_t)sizeof k && k.magic == MS_HL_COUNTERS_MAGIC)
		c->dropped = k.dropped;
	close(fd);
}

int ms_hl_census(const char *dir, struct ms_hl_census *c, struct ms_err *e)
{
	memset(c, 0, sizeof *c);
	DIR *d = opendir(dir);
	if (!d)
		return ms_err_set(e, errno, NULL, "give the directory a recording was written to", "%s", dir);
	struct seqs s = { 0 };
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) && rc == 0) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "proc-", 5) || l < 9 || strcmp(de->d_name + l - 4, ".msl"))
			continue;
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
			continue;
		struct ms_hl_file f, bf;
		struct ms_err fe;
		if (ms_hl_file_open(&f, path, &fe) < 0)
			continue;
		c->images++;
		add(&c->log_bytes, f.len);
		s.n = 0;
		rc = count_log(&f, &s, c);
		ms_hl_file_close(&f);
		memcpy(path + strlen(path) - 3, "buf", 3);   /* its buffer file: proc-PID-SEQ.buf */
		if (rc == 0 && ms_hl_file_open(&bf, path, &fe) == 0) {
			add(&c->log_bytes, bf.len);
			if (s.n > 1)
				qsort(s.v, s.n, sizeof *s.v, seq_cmp);
			count_tails(&bf, &s, c);
			ms_hl_file_close(&bf);
		}
	}
	closedir(d);
	free(s.v);
	if (rc < 0)
		return ms_err_set(e, ENOMEM, NULL, NULL, "%s: counting the recording", dir);
	if (!c->images)
		return ms_err_set(e, 0, "no hotspots log (proc-*.msl) in it",
				  "record one with 'memsleuth hotspots --record-only --output DIR -- CMD'", "%s", dir);
	read_dropped(dir, c);
	return 0;
}
