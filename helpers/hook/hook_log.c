/* Writing the hotspots log: whole records on an O_APPEND descriptor that
 * is checked to still be ours, maps snapshots, per-thread blocks, the
 * flushes at exit, exec and stop.  See hook.h. */
#include "hook.h"

/* ---- small helpers that never allocate ---- */

uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *put_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_uint(char *p, char *end, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

/* Anonymous memory of the hook's own carries a name where the kernel
 * can give one (CONFIG_ANON_VMA_NAME, 5.17+): "[anon:memsleuth-hook]"
 * in /proc/PID/maps, which overview counts as the recorder's, not the
 * program's (findings/memclass.c).  Elsewhere prctl fails: nothing else
 * changes. */
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
static void name_anon(void *p, size_t n)
{
	(void)!syscall(SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, (unsigned long)n,
		       (unsigned long)"memsleuth-hook");
}

void *map_zeroed(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	name_anon(p, n);
	return p;
}

static int try_lock(atomic_int *l, int spins)
{
	for (int i = 0; i < spins; i++)
		if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
			return 1;
	return 0;
}

static void unlock(atomic_int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

struct ms_hl_counters *counters(void)
{
	return g_counters ? g_counters : &g_local_counters;
}

/* Move fd out of the way of the program's own descriptors (programs dup2
 * onto small numbers); keep it where it is if the limit is low. */
static int fd_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 500);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/* A program may close every descriptor it did not open (daemons do) and
 * get our number back for a file of its own: never write into that.
 * Before each write, check the descriptor is still our log; if not, forget
 * it (it is the program's now) and reopen the log by its path. */
void log_fd_check(void)
{
	struct stat st;
	if (g_fd >= 0 && fstat(g_fd, &st) == 0 && st.st_dev == g_log_dev && st.st_ino == g_log_ino)
		return;
	g_fd = -1;
	if (!g_log_path[0])
		return;
	int fd = open(g_log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_dev == g_log_dev && st.st_ino == g_log_ino)
		g_fd = fd_high(fd);
	else
		close(fd);
}

/* Write one whole record.  A short write on a full disk leaves a torn
 * record that the reader skips by its hash; the events are counted lost. */
static int write_record(unsigned type, void *rec_and_payload, size_t payload_len)
{
	struct ms_hl_rec *r = rec_and_payload;
	r->magic = MS_HL_MAGIC;
	r->type = (uint16_t)type;
	r->version = MS_HL_VERSION;
	r->len = (uint32_t)payload_len;
	r->check = ms_hl_hash(r + 1, payload_len);
	size_t total = sizeof *r + payload_len;
	int saved = errno;
	log_fd_check();
	if (g_fd < 0) {
		errno = saved;
		return -1;
	}
	ssize_t w = write(g_fd, r, total);
	int err = errno;
	errno = saved;
	if (w == (ssize_t)total)
		return 0;
	atomic_fetch_add((_Atomic uint64_t *)&counters()->write_errors, 1);
	counters()->last_errno = (uint64_t)(w < 0 ? err : ENOSPC);
	return -1;
}

/* Small records are built on the stack. */
void write_small(unsigned type, const void *payload, size_t len)
{
	_Alignas(8) unsigned char tmp[sizeof(struct ms_hl_rec) + 512];
	if (len > 512)
		return;
	memcpy(tmp + sizeof(struct ms_hl_rec), payload, len);
	write_record(type, tmp, len);
}

/* The maps snapshot: the reader symbolises and finds arena heaps with it
 * after the process is gone. */
void snapshot_maps(void)
{
	if (g_fd < 0 || !try_lock(&g_maps_lock, 1 << 20))
		return;
	size_t hdr = sizeof(struct ms_hl_rec) + 8;
	for (int attempt = 0; attempt < 10; attempt++) {
		if (!g_maps_buf || attempt) {
			size_t want = g_maps_cap ? g_maps_cap * 2 : (256u << 10);
			unsigned char *nb = map_zeroed(want);
			if (!nb)
				break;
			if (g_maps_buf)
				munmap(g_maps_buf, g_maps_cap);
			g_maps_buf = nb;
			g_maps_cap = want;
		}
		int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		size_t len = 0;
		ssize_t r;
		while (hdr + len < g_maps_cap && (r = read(fd, g_maps_buf + hdr + len, g_maps_cap - hdr - len)) > 0)
			len += (size_t)r;
		close(fd);
		if (hdr + len >= g_maps_cap)
			continue;   /* did not fit: bigger buffer */
		uint64_t t = mono_ns();
		memcpy(g_maps_buf + sizeof(struct ms_hl_rec), &t, 8);
		write_record(MS_HL_REC_MAPS, g_maps_buf, 8 + len);
		break;
	}
	unlock(&g_maps_lock);
}

/* ---- the buffer file: one shared slot per thread ---- */

/* Give s its slot: the next one of this image's buffer file, mapped
 * shared (at the same address when s had one: a forked child's slots
 * must stop writing into its parent's file), or anonymous memory when
 * there is no file or it is full (those buffers die with the process:
 * the reader is told by MS_HL_P_NO_TAILS or by the missing slot). */
void slot_map(struct slot *s)
{
	void *want = s->hdr;
	void *m = MAP_FAILED;
	unsigned idx = atomic_fetch_add(&g_nmapped, 1);
	if (g_buf_path[0] && idx < MS_HL_SLOTS_MAX) {
		int fd = open(g_buf_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		/* the slot's blocks are allocated now, not when first touched: a
		 * full disk must fail here, never raise SIGBUS in the program;
		 * and fallocate grows the file without the race of two
		 * ftruncates shrinking it */
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    posix_fallocate(fd, (off_t)idx * MS_HL_SLOT_BYTES, MS_HL_SLOT_BYTES) == 0)
			m = mmap(want, MS_HL_SLOT_BYTES, PROT_READ | PROT_WRITE,
				 MAP_SHARED | (want ? MAP_FIXED : 0), fd, (off_t)idx * MS_HL_SLOT_BYTES);
		if (fd >= 0)
			close(fd);
	}
	if (m == MAP_FAILED) {
		m = mmap(want, MS_HL_SLOT_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | (want ? MAP_FIXED : 0), -1, 0);
		if (m != MAP_FAILED)
			name_anon(m, MS_HL_SLOT_BYTES);
		atomic_fetch_add((_Atomic uint64_t *)&counters()->anon_slots, 1);
	}
	if (m == MAP_FAILED) {
		s->hdr = NULL;
		s->buf = NULL;
		return;
	}
	s->hdr = m;
	s->buf = (unsigned char *)m + MS_HL_SLOT_HDR;
	s->map_pid = g_pid;
	memset(s->hdr, 0, sizeof *s->hdr);
}

/* ---- blocks ---- */

void block_reset(struct slot *s)
{
	s->base_ticks = s->prev_ticks = now_ticks();
	s->clock_countdown = CLOCK_EVERY;
	s->prev_ptr = 0;
	s->prev_caller[0] = s->prev_caller[1] = s->alt_free_caller = 0;
	s->prev_stack[0] = s->prev_stack[1] = UINT32_MAX;
	memset(s->ring, 0, sizeof s->ring);
	for (unsigned i = 0; i < MS_HL_SIZE_SLOTS; i++)
		s->by_size[i] = (struct by_size){ .size1 = 0, .freed = 1 };   /* no pointer is 1 */
	s->last_alloc_slot = 0;
	s->pair_pos = NULL;
	s->ring_head = 0;
	s->last_alloc = 0;
	uint32_t seq = atomic_fetch_add(&g_block_seq, 1);
	if (s->ch) {
		memset(s->ch, 0, sizeof *s->ch);
		memset(s->counts, 0, COUNT_SLOTS * sizeof *s->counts);
		s->ch->stream = s->stream;
		s->ch->tid = s->tid;
		s->ch->nsites = COUNT_SLOTS;
		s->ch->seq = seq;
	} else {
		/* the block header is kept current in the buffer: a tail read
		 * after the process ended needs it */
		struct ms_hl_block *b = BLOCK_HDR(s);
		memset(b, 0, sizeof *b);
		b->stream = s->stream;
		b->tid = s->tid;
		b->ticks = s->base_ticks;
		b->stamp = s->prev_stamp;
		b->seq = seq;
		b->format = MS_HL_FMT_PTR16;
		b->dropped = (uint32_t)(s->dropped > UINT32_MAX ? UINT32_MAX : s->dropped);
	}
	s->hdr->stream = s->stream;
	s->hdr->tid = s->tid;
	s->hdr->count_only = s->ch != NULL;
	s->hdr->magic = MS_HL_SLOT_MAGIC;
	commit_store(s, EV_START);
}

/* The thread's name now, when s is the calling thread's slot, else from
 * /proc/self/task/TID/comm; a THREAD record when it changed. */
void write_thread_name(struct slot *s)
{
	char name[16] = { 0 };
	if (s->tid == (uint32_t)syscall(SYS_gettid)) {
		prctl(PR_GET_NAME, name, 0, 0, 0);
	} else {
		char path[64];
		char *p = put_str(path, path + 40, "/proc/self/task/");
		p = put_uint(p, path + 58, s->tid);
		p = put_str(p, path + 63, "/comm");
		*p = 0;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		ssize_t n = read(fd, name, sizeof name - 1);
		close(fd);
		if (n <= 0)
			return;
		name[n] = 0;
		if (name[n - 1] == '\n')
			name[n - 1] = 0;
	}
	if (!name[0] || !memcmp(name, s->name, sizeof name))
		return;
	memcpy(s->name, name, sizeof name);
	if (s->hdr)
		memcpy(s->hdr->name, name, sizeof name);
	struct ms_hl_thread t = { .stream = s->stream, .tid = s->tid };
	memcpy(t.name, name, sizeof t.name);
	write_small(MS_HL_REC_THREAD, &t, sizeof t);
}

/* Another thread was renamed (pthread_setname_np on a thread not the
 * caller): which one is not known here, so look at every live thread. */
void names_rescan(void)
{
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next)
		if (atomic_load(&s->in_use) && s->hdr)
			write_thread_name(s);
}

/* The hot path checks one flag; anything unusual clears it. */

void slot_update_fast(struct slot *s)
{
	int plain = !g_depth && !s->sync;
	tls.fast = (int16_t)(!plain ? FAST_NONE : g_count_only ? FAST_COUNT : FAST_LOG);
}

static void write_counts(struct slot *s);

/* Write the committed part of the calling thread's buffer s as one
 * block; block_reset starts the next. */
static void write_block(struct slot *s, uint64_t commit)
{
	uint32_t n = (uint32_t)(commit >> 32);
	size_t end = (size_t)(commit & 0xffffffffu);
	write_thread_name(s);
	if (g_count_only) {
		write_counts(s);
		return;
	}
	if (n == 0 && s->dropped == 0)
		return;
	s->events += n;
	struct ms_hl_block *b = BLOCK_HDR(s);
	b->mono_ns = mono_ns();
	b->mono_ticks = now_ticks();
	b->nevents = n;
	b->dropped = (uint32_t)(s->dropped > UINT32_MAX ? UINT32_MAX : s->dropped);
	if (write_record(MS_HL_REC_EVENTS, s->buf, end - sizeof(struct ms_hl_rec)) == 0) {
		atomic_fetch_add((_Atomic uint64_t *)&counters()->events, n);
		s->dropped = 0;
	} else {
		atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, n);
		s->dropped += n;
		s->dropped_total += n;
	}
	if (!s->first_flushed) {
		s->first_flushed = 1;
		snapshot_maps();   /* this thread's arena now exists */
	}
}

void flush_own(struct slot *s)
{
	write_block(s, commit_load(s));
	block_reset(s);
}

static void write_counts(struct slot *s)
{
	struct ms_hl_counts *ch = s->ch;
	if (!ch || !ch->calls)
		return;
	uint32_t nsites = 0;
	for (uint32_t i = 0; i < COUNT_SLOTS; i++)
		nsites += s->counts[i].caller != 0;
	size_t len = sizeof(struct ms_hl_counts) + nsites * sizeof(struct ms_hl_count_site);
	unsigned char *buf = map_zeroed(sizeof(struct ms_hl_rec) + len);
	if (!buf)
		return;
	struct ms_hl_counts *c = (struct ms_hl_counts *)(buf + sizeof(struct ms_hl_rec));
	memcpy(c, ch, sizeof *c);
	c->nsites = nsites;
	struct ms_hl_count_site *out = (struct ms_hl_count_site *)(c + 1);
	for (uint32_t i = 0, k = 0; i < COUNT_SLOTS; i++)
		if (s->counts[i].caller) {
			out[k].caller = s->counts[i].caller;
			out[k].calls = s->counts[i].calls;
			out[k].bytes = s->counts[i].bytes;
			k++;
		}
	if (write_record(MS_HL_REC_COUNTS, buf, len) == 0)
		atomic_fetch_add((_Atomic uint64_t *)&counters()->events, ch->calls);
	else
		atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, ch->calls);
	munmap(buf, sizeof(struct ms_hl_rec) + len);
	/* counted once: block_reset starts the table over */
}

/* ---- the image ends: exit, exec, crash ---- */
static void write_end(unsigned reason, int sig)
{
	struct ms_hl_end e = { .mono_ns = mono_ns(), .reason = reason, .signal = (uint32_t)sig };
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
		e.events += s->events;
		e.dropped += s->dropped_total;
		if (s->hdr && !s->ch && atomic_load(&s->in_use))
			e.events += commit_load(s) >> 32;   /* in its buffer still */
	}
	write_small(MS_HL_REC_END, &e, sizeof e);
}

/* The image ends: write the calling thread's buffer (unless `in_signal`:
 * it may have been interrupted mid-event), a last maps snapshot and the
 * END record.  The other threads' buffers, and the caller's own events
 * from now on, stay in the buffer file, where the reader finds them: no
 * thread is interrupted. */
void flush_all(unsigned reason, int sig, int in_signal)
{
	struct tls *t = &tls;
	int saved = t->busy;
	t->busy = 1;
	if (t->s && !in_signal && saved == 0)
		flush_own(t->s);
	snapshot_maps();
	write_end(reason, sig);
	t->busy = saved;
}

/* ---- init ---- */
void open_log(int forked, uint32_t parent_seq)
{
	const char *dir = getenv("MEMSLEUTH_HOOK_DIR");
	char tmpl[PATH_MAX];
	if (!g_dir[0]) {
		if (!dir || !*dir) {
			const char *tmp = getenv("TMPDIR");
			char *p = put_str(tmpl, tmpl + sizeof tmpl - 32, tmp && *tmp ? tmp : "/tmp");
			p = put_str(p, tmpl + sizeof tmpl - 1, "/memsleuth-hook.XXXXXX");
			*p = 0;
			if (!mkdtemp(tmpl)) {
				g_off = 1;
				return;
			}
			dir = tmpl;
			char msg[PATH_MAX + 64];
			char *m = put_str(msg, msg + sizeof msg - 2, "memsleuth-hook: logging to ");
			m = put_str(m, msg + sizeof msg - 2, dir);
			*m++ = '\n';
			(void)!write(2, msg, (size_t)(m - msg));
		}
		char *d = put_str(g_dir, g_dir + sizeof g_dir - 80, dir);
		*d = 0;
		int dfd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dfd < 0 || (size_t)(d - g_dir) >= sizeof g_dir - 81) {
			if (dfd >= 0)
				close(dfd);
			g_dir[0] = 0;
			g_off = 1;
			return;
		}
		int cfd = openat(dfd, "counters", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		close(dfd);
		if (cfd >= 0) {
			struct stat st;
			if (fstat(cfd, &st) == 0 && st.st_size >= (off_t)sizeof(struct ms_hl_counters)) {
				void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
				if (m != MAP_FAILED && ((struct ms_hl_counters *)m)->magic == MS_HL_COUNTERS_MAGIC)
					g_counters = m;
			}
			close(cfd);
		}
	}
	g_pid = getpid();
	uint32_t pid = (uint32_t)g_pid;
	for (uint32_t seq = 0; seq < 4096; seq++) {
		char name[64];
		char *p = put_str(name, name + 40, "proc-");
		p = put_uint(p, name + 52, pid);
		*p++ = '-';
		p = put_uint(p, name + 62, seq);
		p = put_str(p, name + 63, ".msl");
		*p = 0;
		char path[PATH_MAX];
		p = put_str(path, path + sizeof path - 1, g_dir);
		*p++ = '/';
		p = put_str(p, path + sizeof path - 1, name);
		*p = 0;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			struct stat st;
			g_fd = fd_high(fd);
			g_seq = seq;
			if (fstat(g_fd, &st) == 0) {
				g_log_dev = st.st_dev;
				g_log_ino = st.st_ino;
				memcpy(g_log_path, path, sizeof path);
			}
			break;
		}
		if (errno != EEXIST) {
			break;
		}
	}
	if (g_fd < 0) {
		g_off = 1;
		return;
	}
	/* the buffer file next to it: proc-PID-SEQ.buf */
	g_buf_path[0] = 0;
	atomic_store(&g_nmapped, 0);
	size_t plen = strlen(g_log_path);
	if (plen > 4 && plen < sizeof g_buf_path) {
		memcpy(g_buf_path, g_log_path, plen + 1);
		memcpy(g_buf_path + plen - 3, "buf", 3);
		int bfd = open(g_buf_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (bfd < 0)
			g_buf_path[0] = 0;
		else
			close(bfd);
	}
	atomic_fetch_add((_Atomic uint64_t *)&counters()->images, 1);
	_Alignas(8) unsigned char rec[sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_process) + PATH_MAX];
	struct ms_hl_process *pr = (struct ms_hl_process *)(rec + sizeof(struct ms_hl_rec));
	memset(pr, 0, sizeof *pr);
	pr->pid = pid;
	pr->ppid = (uint32_t)getppid();
	pr->flags = (g_count_only ? MS_HL_P_COUNT_ONLY : 0) | (g_depth ? MS_HL_P_STACKS : 0) |
		    (g_buf_path[0] ? 0 : MS_HL_P_NO_TAILS);
	pr->stack_depth = g_depth;
	pr->mono_ns = mono_ns();
	pr->ticks = now_ticks();
	pr->parent_seq = parent_seq;
	pr->forked = (uint32_t)forked;
	char *exe = (char *)(pr + 1);
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);
	exe[n > 0 ? n : 0] = 0;
	write_record(MS_HL_REC_PROCESS, rec, sizeof *pr + (size_t)(n > 0 ? n : 0) + 1);
	snapshot_maps();
}
