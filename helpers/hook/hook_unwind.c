/* Stacks for --stacks N: a frame walker with a per-IP rule cache and a
 * memo of whole walks, and libunwind behind it for everything it does not
 * know.
 *
 * Why not libunwind alone: unw_backtrace() is already libunwind's fast
 * path (its own per-IP trace cache), yet on bench/hotspots it was 54% of
 * the recorded run's CPU (~75 ns an event, the run 10.4-12x the bare one):
 * getcontext, a 1 KiB cursor set up per call, bit-field decoding per
 * frame, and the hook's own five frames walked first.  Here the walk
 * starts at the allocator wrapper's frame (record_slow passes it), a frame
 * costs one hash probe and two loads, and a walk seen before costs a check
 * of the few stack words it used (walk_memo): the same run went to 3.6x,
 * 2.2x being the recording without stacks.
 *
 * How a frame is stepped (x86-64 only): each return address is looked up
 * in the slot's rule cache; a miss reads the rule from the object's
 * .eh_frame CFI (found through its PT_GNU_EH_FRAME binary-search table),
 * executing the CIE's and the FDE's call-frame instructions up to that
 * address.  Only the common shape is kept: CFA = RSP or RBP + offset,
 * return address saved at CFA + n, RBP saved at CFA + m or unchanged.
 * Anything else (CFA expressions as glibc's signal trampoline or stack
 * realignment use, signal frames, no FDE: JIT code) makes the whole event
 * go to libunwind, so a stack recorded here is either walked by these
 * exact rules or by libunwind, never guessed.
 *
 * Never faulting: every stack read is checked against [the walker's own
 * stack pointer, the top of this thread's stack] (pthread_getattr_np, read
 * once per thread): memory between the two is mapped.  A thread running
 * elsewhere (sigaltstack, coroutine stacks) goes to libunwind.  .eh_frame
 * is read in place from the loaded object, which is mapped as long as its
 * code is.  Rules and walks are dropped when an object is dlopen'ed or
 * dlclose'd (other code may now be at an address).  glibc's own loads
 * and unloads (gconv, NSS: __libc_dlopen) pass no interposed function:
 * a rule cached for a return address in such a module stays, and would
 * be wrong only if another module later loaded there returned to that
 * exact address.
 *
 * glibc's backtrace() is not used where the walker is (x86-64): libgcc's
 * unwinder follows a corrupt saved RBP into a crash of the target (tests/
 * integration/hotspots_stacks.sh had it), libunwind validates what it
 * reads.  Without libunwind, what the walker cannot step keeps the caller
 * alone.
 *
 * Environment (tests compare the walks): MEMSLEUTH_HOOK_UNWIND=libunwind
 * forces libunwind, =walker this walker without libunwind behind it,
 * =walker-here the walk from the walker's own frame only (what frame-
 * pointer code needs when the wrapper's frame does not give RBP). */
#include "hook.h"
#include <link.h>

#define RULE_SLOTS  (1u << 11)       /* return addresses per thread slot */
#define RULE_PROBES 8
#define WALK_MAX    (MS_HL_MAX_DEPTH + 24)  /* frames looked at (hook frames first) */
#define MEMO_SLOTS  256u             /* walks remembered per thread slot */
#define MEMO_READS  24               /* stack words a remembered walk read, at most */
#define MEMO_FRAMES 16               /* and the frames it gave */

enum { RK_EMPTY, RK_STEP, RK_END, RK_BAD };
#define RF_CFA_RBP  0x10             /* CFA = RBP + cfa_off, else RSP + cfa_off */
#define RF_RBP_SAME 0x20             /* RBP not saved in this frame */

struct unw_rule {
	uint64_t ip;                 /* the address looked up: RA - 1, or the walker's own */
	int32_t  cfa_off;
	int16_t  rbp_off;            /* where RBP is saved, from the CFA */
	int8_t   ra_off;             /* where the return address is, from the CFA */
	uint8_t  kind;               /* RK_* | RF_* */
};

/* A walk remembered: the same start (a return address into the wrapper
 * and its stack pointer) and the same values in the stack words the walk
 * used (return addresses, and saved RBPs a CFA was computed from) make
 * the same walk, since each step is a function of the return address (its
 * rule) and of the words used before it.  So a check of
 * those words (independent loads) replaces the walk (a chain of them). */
struct walk_memo {
	uint64_t ip, sp, bp;         /* the start (bp when bp_known); ip 0 = empty */
	uint64_t hash;               /* stack_hash of the frames */
	unsigned gen;                /* g_rules_gen when walked */
	uint32_t id;                 /* their stack id, when id_known */
	uint8_t  nreads, nframes, id_known, bp_known;
	uint8_t  mru;                /* in a set's first way: the way hit last */
	uint64_t addr[MEMO_READS], val[MEMO_READS];
	uint64_t frames[MEMO_FRAMES];
};

/* The stack words a walk used, in order. */
struct walk_log { unsigned n; uint64_t addr[MEMO_READS], val[MEMO_READS]; };

static inline void log_read(struct walk_log *lg, uint64_t addr, uint64_t val)
{
	if (lg->n < MEMO_READS) {
		lg->addr[lg->n] = addr;
		lg->val[lg->n] = val;
	}
	lg->n++;
}

/* which unwinder: the walker with libunwind behind it, or one alone (the
 * walker alone keeps the caller alone when it fails) */
enum { WALK_AUTO, WALK_LIBUNWIND, WALK_ALONE, WALK_HERE };
static int g_unwind_mode;
static int (*g_unw_backtrace)(void **, int);
static atomic_uint g_rules_gen = 1;  /* bumped at every dlclose */

/* ---- stack ids ---- */

/* A stack's 64-bit hash, the key of a thread's stack ids (equal hashes
 * are taken as one stack): FNV-1a over the frames, then their count.
 * The walker computes it as it goes, in the shadow of its loads. */
#define STACK_HASH_SEED 0xcbf29ce484222325ull
static inline uint64_t stack_hash_step(uint64_t h, uint64_t frame)
{
	return (h ^ frame) * 0x100000001b3ull;
}

static inline uint64_t stack_hash_end(uint64_t h, unsigned n)
{
	return (h ^ n) * 0x100000001b3ull;
}

enum { ID_KNOWN, ID_NEW, ID_UNTABLED };

/* The id of the stack hashed h in this thread's table; *how says whether
 * it is new there (its definition must be written) or not in the table
 * at all (saturated: defined again at each use). */
static uint32_t stack_id(struct slot *s, uint64_t h, int *how)
{
	h |= 1;
	uint32_t at = (uint32_t)(h >> 40) & (STACK_SLOTS - 1);
	for (uint32_t i = 0; i < 64; i++) {
		struct stack_slot *ss = &s->stacks[(at + i) & (STACK_SLOTS - 1)];
		if (LIKELY(ss->used && ss->hash == h)) {
			*how = ID_KNOWN;
			return ss->id;
		}
		if (!ss->used) {
			ss->used = 1;
			ss->hash = h;
			ss->id = s->next_stack_id++;
			*how = ID_NEW;
			return ss->id;
		}
	}
	/* table saturated: the stack is defined again under a fresh id, so
	 * every event still resolves (the reader merges equal stacks) */
	*how = ID_UNTABLED;
	return s->next_stack_id++;
}

/* ---- reading .eh_frame ---- */

struct rd { const unsigned char *p, *end; int bad; };

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; r->p < r->end; shift += 7) {
		unsigned char b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

static int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (r->p < r->end) {
		unsigned char b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~(uint64_t)0 << shift;
			return (int64_t)v;
		}
	}
	r->bad = 1;
	return 0;
}

static uint64_t rd_fixed(struct rd *r, unsigned n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	memcpy(&v, r->p, n);         /* little-endian host */
	r->p += n;
	return v;
}

/* A DW_EH_PE_* encoded pointer; datarel is relative to `data` (the
 * .eh_frame_hdr), pcrel to the field itself.  Indirect and aligned
 * encodings are refused. */
static uint64_t rd_ptr(struct rd *r, unsigned enc, uint64_t data)
{
	if (enc == 0xff) {           /* DW_EH_PE_omit */
		r->bad = 1;
		return 0;
	}
	uint64_t at = (uint64_t)(uintptr_t)r->p, v;
	switch (enc & 0x0f) {
	case 0x00: v = rd_fixed(r, 8); break;                          /* absptr */
	case 0x01: v = rd_uleb(r); break;
	case 0x02: v = rd_fixed(r, 2); break;
	case 0x03: v = rd_fixed(r, 4); break;
	case 0x04: v = rd_fixed(r, 8); break;
	case 0x09: v = (uint64_t)rd_sleb(r); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
	case 0x0c: v = rd_fixed(r, 8); break;
	default: r->bad = 1; return 0;
	}
	switch (enc & 0xf0) {
	case 0x00: return v;
	case 0x10: return v + at;    /* pcrel */
	case 0x30: return v + data;  /* datarel */
	default: r->bad = 1; return 0;
	}
}

/* The .eh_frame_hdr of the loaded object holding `addr`. */
struct find { uint64_t addr; const unsigned char *hdr; size_t hdr_len; };

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct find *f = arg;
	int holds = 0;
	const ElfW(Phdr) *eh = NULL;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && f->addr >= lo && f->addr - lo < ph->p_memsz)
			holds = 1;
		else if (ph->p_type == PT_GNU_EH_FRAME)
			eh = ph;
	}
	if (!holds)
		return 0;
	if (eh) {
		f->hdr = (const unsigned char *)(uintptr_t)(info->dlpi_addr + eh->p_vaddr);
		f->hdr_len = eh->p_memsz;
	}
	return 1;
}

/* The FDE covering `addr` from the hdr's sorted table (version 1, table
 * encoded datarel|sdata4 as every GNU linker writes it), or NULL. */
static const unsigned char *find_fde(const unsigned char *hdr, size_t len, uint64_t addr)
{
	if (len < 12 || hdr[0] != 1 || hdr[3] != 0x3b)
		return NULL;
	struct rd r = { hdr + 4, hdr + len, 0 };
	uint64_t base = (uint64_t)(uintptr_t)hdr;
	rd_ptr(&r, hdr[1], base);                   /* eh_frame_ptr */
	uint64_t n = rd_ptr(&r, hdr[2], base);      /* fde_count */
	if (r.bad || n == 0 || n > (size_t)(r.end - r.p) / 8)
		return NULL;
	const int32_t *tab = (const int32_t *)(const void *)r.p;
	uint64_t lo = 0, hi = n;              /* last entry with initial_loc <= addr */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (base + (uint64_t)(int64_t)tab[2 * mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (base + (uint64_t)(int64_t)tab[2 * lo] > addr)
		return NULL;
	return (const unsigned char *)(uintptr_t)(base + (uint64_t)(int64_t)tab[2 * lo + 1]);
}

/* A factored offset (value x the CIE's data alignment); overflow, which
 * only a malformed .eh_frame gives, marks the reader bad. */
static int64_t scaled(int64_t v, int64_t factor, struct rd *r)
{
	int64_t out;
	if (__builtin_mul_overflow(v, factor, &out) || out == INT64_MIN) {
		r->bad = 1;
		return 0;
	}
	return out;
}

/* Register rules tracked: the CFA, RBP (DWARF 6), RSP (7), RA (16). */
enum { R_UNSPEC, R_SAME, R_UNDEF, R_OFFSET, R_OTHER };
struct row {
	unsigned cfa_reg;
	int64_t  cfa_off;
	unsigned rule[3];            /* RBP, RSP, RA */
	int64_t  off[3];
};

static int reg_index(uint64_t reg, unsigned ra_reg)
{
	return reg == 6 ? 0 : reg == 7 ? 1 : reg == ra_reg ? 2 : -1;
}

/* Run call-frame instructions [p, end) while the location stays <= addr.
 * `init` is the row after the CIE's instructions (DW_CFA_restore). */
static int run_cfa(struct row *row, const struct row *init, const unsigned char *p, const unsigned char *end,
		   uint64_t *loc, uint64_t addr, uint64_t caf, int64_t daf, unsigned ra_reg, unsigned fde_enc)
{
	struct row saved[8];
	unsigned nsaved = 0;
	struct rd r = { p, end, 0 };
	while (r.p < r.end && !r.bad) {
		unsigned char op = *r.p++;
		uint64_t reg = op & 0x3f, adv = 0;
		int64_t off;
		int i;
		switch (op >> 6) {
		case 1:                                 /* DW_CFA_advance_loc */
			adv = reg;
			goto advance;
		case 2:                                 /* DW_CFA_offset */
			off = scaled((int64_t)rd_uleb(&r), daf, &r);
			goto set_offset;
		case 3:                                 /* DW_CFA_restore */
			goto restore;
		}
		switch (op) {
		case 0x00: break;                       /* nop */
		case 0x01:                              /* set_loc */
			*loc = rd_ptr(&r, fde_enc, 0);
			if (*loc > addr)
				return 0;
			break;
		case 0x02: adv = rd_fixed(&r, 1); goto advance;
		case 0x03: adv = rd_fixed(&r, 2); goto advance;
		case 0x04: adv = rd_fixed(&r, 4); goto advance;
		case 0x05:                              /* offset_extended */
			reg = rd_uleb(&r);
			off = scaled((int64_t)rd_uleb(&r), daf, &r);
			goto set_offset;
		case 0x06:                              /* restore_extended */
			reg = rd_uleb(&r);
			goto restore;
		case 0x07: case 0x08:                   /* undefined, same_value */
			if ((i = reg_index(rd_uleb(&r), ra_reg)) >= 0)
				row->rule[i] = op == 0x07 ? R_UNDEF : R_SAME;
			break;
		case 0x09:                              /* register */
			i = reg_index(rd_uleb(&r), ra_reg);
			rd_uleb(&r);
			if (i >= 0)
				row->rule[i] = R_OTHER;
			break;
		case 0x0a:                              /* remember_state */
			if (nsaved == sizeof saved / sizeof saved[0])
				return -1;
			saved[nsaved++] = *row;
			break;
		case 0x0b:                              /* restore_state */
			if (!nsaved)
				return -1;
			*row = saved[--nsaved];
			break;
		case 0x0c:                              /* def_cfa */
			row->cfa_reg = (unsigned)rd_uleb(&r);
			row->cfa_off = (int64_t)rd_uleb(&r);
			break;
		case 0x0d: row->cfa_reg = (unsigned)rd_uleb(&r); break;
		case 0x0e: row->cfa_off = (int64_t)rd_uleb(&r); break;
		case 0x0f:                              /* def_cfa_expression: not walked here */
			return -1;
		case 0x10: case 0x16:                   /* expression, val_expression */
			i = reg_index(rd_uleb(&r), ra_reg);
			{
				uint64_t n = rd_uleb(&r);
				if (n > (uint64_t)(r.end - r.p))
					return -1;
				r.p += n;
			}
			if (i >= 0)
				row->rule[i] = R_OTHER;
			break;
		case 0x11:                              /* offset_extended_sf */
			reg = rd_uleb(&r);
			off = scaled(rd_sleb(&r), daf, &r);
			goto set_offset;
		case 0x12:                              /* def_cfa_sf */
			row->cfa_reg = (unsigned)rd_uleb(&r);
			row->cfa_off = scaled(rd_sleb(&r), daf, &r);
			break;
		case 0x13: row->cfa_off = scaled(rd_sleb(&r), daf, &r); break;
		case 0x14: case 0x15:                   /* val_offset(_sf) */
			i = reg_index(rd_uleb(&r), ra_reg);
			if (op == 0x14)
				rd_uleb(&r);
			else
				rd_sleb(&r);
			if (i >= 0)
				row->rule[i] = R_OTHER;
			break;
		case 0x2e: rd_uleb(&r); break;          /* GNU_args_size */
		case 0x2f:                              /* GNU_negative_offset_extended */
			reg = rd_uleb(&r);
			off = -scaled((int64_t)rd_uleb(&r), daf, &r);
			goto set_offset;
		default:
			return -1;
		}
		continue;
advance:
		if (__builtin_mul_overflow(adv, caf, &adv) || __builtin_add_overflow(*loc, adv, &adv))
			return -1;
		if (adv > addr)
			return 0;
		*loc = adv;
		continue;
set_offset:
		if ((i = reg_index(reg, ra_reg)) >= 0) {
			row->rule[i] = R_OFFSET;
			row->off[i] = off;
		}
		continue;
restore:
		if ((i = reg_index(reg, ra_reg)) >= 0) {
			row->rule[i] = init->rule[i];
			row->off[i] = init->off[i];
		}
		continue;
	}
	return r.bad ? -1 : 0;
}

/* The rule at `addr` from the CFI of the object holding it. */
static struct unw_rule rule_from_cfi(uint64_t addr)
{
	struct unw_rule out = { .ip = addr, .kind = RK_BAD };
	struct find f = { addr, NULL, 0 };
	dl_iterate_phdr(find_object, &f);
	if (!f.hdr)
		return out;
	const unsigned char *fde = find_fde(f.hdr, f.hdr_len, addr);
	if (!fde)
		return out;
	/* the FDE: length, CIE pointer, pc_begin, pc_range, augmentation, instructions */
	struct rd r = { fde, fde + 8, 0 };
	uint64_t len = rd_fixed(&r, 4);
	if (len == 0 || len >= 0xfffffff0u)
		return out;
	r.end = fde + 4 + len;
	const unsigned char *cie_field = r.p;
	uint64_t cie_off = rd_fixed(&r, 4);
	if (cie_off == 0 || cie_off > (uint64_t)(uintptr_t)cie_field)
		return out;
	const unsigned char *cie = cie_field - cie_off;
	/* the CIE */
	struct rd c = { cie, cie + 8, 0 };
	uint64_t clen = rd_fixed(&c, 4);
	if (clen == 0 || clen >= 0xfffffff0u)
		return out;
	c.end = cie + 4 + clen;
	if (rd_fixed(&c, 4) != 0)
		return out;
	unsigned version = (unsigned)rd_fixed(&c, 1);
	const char *aug = (const char *)c.p;
	size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
	if (c.p + auglen >= c.end)
		return out;
	c.p += auglen + 1;
	uint64_t caf = rd_uleb(&c);
	int64_t daf = rd_sleb(&c);
	unsigned ra_reg = version == 1 ? (unsigned)rd_fixed(&c, 1) : (unsigned)rd_uleb(&c);
	unsigned fde_enc = 0;
	int has_z = aug[0] == 'z';
	if (has_z) {
		uint64_t n = rd_uleb(&c);
		if (n > (uint64_t)(c.end - c.p))
			return out;
		struct rd a = { c.p, c.p + n, 0 };
		for (const char *k = aug + 1; *k && !a.bad; k++) {
			if (*k == 'R')
				fde_enc = (unsigned)rd_fixed(&a, 1);
			else if (*k == 'L')
				rd_fixed(&a, 1);
			else if (*k == 'P')
				rd_ptr(&a, (unsigned)rd_fixed(&a, 1) & 0x7f, 0);  /* indirect bit: the value is skipped */
			else
				return out;             /* 'S' signal frame, or unknown */
		}
		if (a.bad)
			return out;
		c.p += n;
	} else if (aug[0]) {
		return out;
	}
	if (c.bad || ra_reg != 16 || caf == 0)
		return out;
	uint64_t pc_begin = rd_ptr(&r, fde_enc, 0);
	uint64_t pc_range = rd_ptr(&r, fde_enc & 0x0f, 0);
	if (has_z) {
		uint64_t n = rd_uleb(&r);
		if (n > (uint64_t)(r.end - r.p))
			return out;
		r.p += n;
	}
	if (r.bad || addr < pc_begin || addr - pc_begin >= pc_range)
		return out;
	struct row row = { .cfa_reg = 7 }, init;
	uint64_t loc = pc_begin;
	if (run_cfa(&row, &row, c.p, c.end, &loc, UINT64_MAX, caf, daf, ra_reg, fde_enc) < 0)
		return out;
	init = row;
	loc = pc_begin;
	if (run_cfa(&row, &init, r.p, r.end, &loc, addr, caf, daf, ra_reg, fde_enc) < 0)
		return out;
	if (row.rule[2] == R_UNDEF) {
		out.kind = RK_END;
		return out;
	}
	if ((row.cfa_reg != 6 && row.cfa_reg != 7) || row.rule[2] != R_OFFSET ||
	    (row.rule[1] != R_UNSPEC && row.rule[1] != R_SAME) ||
	    (row.rule[0] != R_UNSPEC && row.rule[0] != R_SAME && row.rule[0] != R_OFFSET) ||
	    row.cfa_off < INT32_MIN || row.cfa_off > INT32_MAX || row.off[2] < INT8_MIN || row.off[2] > INT8_MAX ||
	    (row.rule[0] == R_OFFSET && (row.off[0] < INT16_MIN || row.off[0] > INT16_MAX)))
		return out;
	out.cfa_off = (int32_t)row.cfa_off;
	out.ra_off = (int8_t)row.off[2];
	out.rbp_off = row.rule[0] == R_OFFSET ? (int16_t)row.off[0] : 0;
	out.kind = RK_STEP | (row.cfa_reg == 6 ? RF_CFA_RBP : 0) | (row.rule[0] == R_OFFSET ? 0 : RF_RBP_SAME);
	return out;
}

/* ---- the walker ---- */

static inline uint32_t rule_hash(uint64_t ip)
{
	return (uint32_t)((ip * 0x9e3779b97f4a7c15ull) >> 53) & (RULE_SLOTS - 1);
}

/* A rule not cached: read from the CFI (with the guard on: the loader's
 * lock is taken and nothing may be recorded meanwhile). */
static __attribute__((noinline, cold)) const struct unw_rule *rule_miss(struct tls *t, struct slot *s, uint64_t ip)
{
	int saved = t->busy;
	t->busy = 1;
	struct unw_rule nr = rule_from_cfi(ip);
	t->busy = saved;
	uint32_t h = rule_hash(ip);
	struct unw_rule *at = &s->rules[h];
	for (uint32_t i = 0; i < RULE_PROBES; i++) {
		struct unw_rule *u = &s->rules[(h + i) & (RULE_SLOTS - 1)];
		if (u->kind == RK_EMPTY) {
			at = u;
			break;
		}
	}
	*at = nr;                       /* a full run replaces the home slot */
	return at;
}

static inline const struct unw_rule *rule_get(struct tls *t, struct slot *s, uint64_t ip)
{
	uint32_t h = rule_hash(ip);
	for (uint32_t i = 0; i < RULE_PROBES; i++) {
		const struct unw_rule *u = &s->rules[(h + i) & (RULE_SLOTS - 1)];
		if (LIKELY(u->ip == ip))
			return u;
		if (u->kind == RK_EMPTY)
			break;
	}
	return rule_miss(t, s, ip);
}

/* "start-end ..." at the head of a /proc/self/maps line: 1 when parsed. */
static int maps_range(const char *l, const char *e, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t v[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		int digits = 0;
		for (; l < e && digits < 16; l++, digits++) {
			int c = *l, d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				break;
			v[k] = v[k] << 4 | (uintptr_t)d;
		}
		if (!digits || l >= e || *l != (k ? ' ' : '-'))
			return 0;
		l++;
	}
	*lo = v[0];
	*hi = v[1];
	return 1;
}

/* This thread's stack: the mapping that holds its stack pointer, found
 * in /proc/self/maps with plain system calls and a buffer on the stack.
 * Not pthread_getattr_np: it takes the thread's lock and calls malloc, so
 * from inside malloc it deadlocks when the program's own
 * pthread_getattr_np made that call (HotSpot does at each thread start:
 * os::current_stack_base).  A neighbour the kernel merged into the
 * mapping only widens the bound; every frame is still checked. */
static int stack_bounds(struct slot *s)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), lo = 1, hi = 1;
	int ok = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[2048];
		size_t have = 0;
		ssize_t n;
		int skip = 0;   /* in the rest of a line longer than buf */
		while (!ok && (n = read(fd, buf + have, sizeof buf - have)) > 0) {
			have += (size_t)n;
			size_t from = 0;
			for (size_t i = 0; i < have && !ok; i++) {
				if (buf[i] != '\n')
					continue;
				uintptr_t a, b;
				if (!skip && maps_range(buf + from, buf + i, &a, &b) && a <= sp && sp < b) {
					lo = a;
					hi = b;
					ok = 1;
				}
				skip = 0;
				from = i + 1;
			}
			/* a line longer than the buffer (a long path): dropped whole */
			if (from == 0 && have == sizeof buf) {
				from = have;
				skip = 1;
			}
			memmove(buf, buf + from, have - from);
			have -= from;
		}
		close(fd);
	}
	s->stack_lo = lo;
	s->stack_hi = hi;
	return ok;
}

#if defined(__x86_64__)
/* Registers of one frame: where it is (ip: a return address into it,
 * or exactly where it stands when `exact`), its stack pointer, its RBP
 * when known. */
struct regs { uint64_t ip, sp, bp; int bp_known, exact; };

/* Step frames from r, then `depth` frames from the allocator's caller on.
 * Reads only [r.sp, the thread's stack top].  Returns the frame count, or
 * -1 when a frame is not one the rules cover, or needs an RBP not known. */
static int walk_from(struct tls *t, struct slot *s, struct regs r, uint64_t caller, void **out, unsigned depth,
		     uint64_t *hash, struct walk_log *lg)
{
	uint64_t h = STACK_HASH_SEED;
	/* where RBP was last read from, until a frame's CFA uses it: code
	 * without frame pointers keeps data in RBP, and a word the walk read
	 * but did not use must not make the memo miss */
	uint64_t bp_from = 0;
	uint64_t lo = r.sp, hi = s->stack_hi;
	if (UNLIKELY(!hi) && !stack_bounds(s))
		return -1;
	hi = s->stack_hi;
	if (lo < s->stack_lo || lo >= hi)
		return -1;                      /* on another stack */
	unsigned gen = atomic_load_explicit(&g_rules_gen, memory_order_acquire);
	if (UNLIKELY(s->rules_gen != gen)) {
		memset(s->rules, 0, RULE_SLOTS * sizeof *s->rules);
		s->rules_gen = gen;
	}
	unsigned k = 0;
	int found = 0;
	for (unsigned step = 0; step < WALK_MAX; step++) {
		if (!found && r.ip == caller && (step || !r.exact))
			found = 1;
		if (found) {
			out[k++] = (void *)(uintptr_t)r.ip;
			h = stack_hash_step(h, r.ip);
			*hash = stack_hash_end(h, k);
			if (k == depth)
				return (int)k;
		}
		const struct unw_rule *u = rule_get(t, s, step || !r.exact ? r.ip - 1 : r.ip);
		unsigned kind = u->kind & 0x0f;
		if (kind == RK_END)
			return found ? (int)k : -1;
		if (kind != RK_STEP)
			return -1;
		if (u->kind & RF_CFA_RBP) {
			if (!r.bp_known)
				return -1;
			if (bp_from) {          /* the saved RBP is used: part of the walk */
				log_read(lg, bp_from, r.bp);
				bp_from = 0;
			}
		}
		uint64_t cfa = ((u->kind & RF_CFA_RBP) ? r.bp : r.sp) + (uint64_t)(int64_t)u->cfa_off;
		uint64_t ra_at = cfa + (uint64_t)(int64_t)u->ra_off;
		/* a frame outside the stack (a corrupt frame pointer or saved
		 * word): the stack ends there, as a validating unwinder stops */
		if (ra_at < lo || ra_at > hi - 8 || cfa <= r.sp)
			return found ? (int)k : -1;
		if (!(u->kind & RF_RBP_SAME)) {
			uint64_t bp_at = cfa + (uint64_t)(int64_t)u->rbp_off;
			if (bp_at < lo || bp_at > hi - 8)
				return found ? (int)k : -1;
			memcpy(&r.bp, (const void *)(uintptr_t)bp_at, 8);
			bp_from = bp_at;
			r.bp_known = 1;
		}
		memcpy(&r.ip, (const void *)(uintptr_t)ra_at, 8);
		log_read(lg, ra_at, r.ip);
		r.sp = cfa;
		if (r.ip < 0x4000)              /* the end, as libunwind judges it */
			return found ? (int)k : -1;
	}
	return found ? (int)k : -1;
}

/* The memo's set for a start: two ways, so that two starts that share a
 * set (a malloc and a free site) do not evict each other at every call. */
static inline struct walk_memo *memo_set(struct slot *s, const struct regs *r)
{
	uint64_t k = r->ip ^ (r->sp << 20) ^ (r->bp_known ? r->bp << 8 : 0);
	uint32_t h = (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 48) & (MEMO_SLOTS / 2 - 1);
	return &s->memo[2 * h];
}

/* Whether m's walk is the walk from r again: the same start, and its
 * stack words still hold what they held. */
static inline int memo_hit(const struct walk_memo *m, const struct regs *r, unsigned gen)
{
	if (m->ip != r->ip || m->sp != r->sp || m->gen != gen || m->bp_known != r->bp_known ||
	    (r->bp_known && m->bp != r->bp))
		return 0;
	/* the words lie in [sp, the stack top], as when they were read */
	uint64_t diff = 0;
	for (unsigned i = 0; i < m->nreads; i++)
		diff |= *(const volatile uint64_t *)(uintptr_t)m->addr[i] ^ m->val[i];
	return !diff;
}

/* The memo entry holding the walk from r, or NULL. */
static inline struct walk_memo *memo_find(struct slot *s, const struct regs *r)
{
	if (UNLIKELY(r->sp < s->stack_lo || r->sp >= s->stack_hi))
		return NULL;
	struct walk_memo *set = memo_set(s, r);
	unsigned gen = atomic_load_explicit(&g_rules_gen, memory_order_relaxed);
	for (unsigned w = 0; w < 2; w++) {
		if (LIKELY(memo_hit(&set[w], r, gen))) {
			set[0].mru = (uint8_t)w;
			return &set[w];
		}
	}
	return NULL;
}

/* The walk from r, taken from the memo when it can be: its frames and
 * hash, and in *mp the memo entry that now holds it (NULL if none).
 * -1 when the walk failed. */
static int walk_remembered(struct tls *t, struct slot *s, struct regs r, uint64_t caller, void **out,
			   uint64_t *hash, struct walk_memo **mp)
{
	struct walk_memo *m = memo_find(s, &r);
	*mp = m;
	if (m) {
		*hash = m->hash;
		for (unsigned i = 0; i < m->nframes; i++)
			out[i] = (void *)(uintptr_t)m->frames[i];
		return m->nframes;
	}
	struct walk_log lg = { .n = 0 };
	int n = walk_from(t, s, r, caller, out, g_depth, hash, &lg);
	if (n > 0 && n <= MEMO_FRAMES && lg.n <= MEMO_READS) {
		struct walk_memo *set = memo_set(s, &r);
		unsigned w = !set[0].mru;       /* the way not used last */
		m = &set[w];
		set[0].mru = (uint8_t)w;
		m->ip = r.ip;
		m->sp = r.sp;
		m->bp = r.bp_known ? r.bp : 0;
		m->bp_known = (uint8_t)r.bp_known;
		m->hash = *hash;
		m->gen = s->rules_gen;
		m->id_known = 0;
		m->nreads = (uint8_t)lg.n;
		m->nframes = (uint8_t)n;
		memcpy(m->addr, lg.addr, lg.n * sizeof lg.addr[0]);
		memcpy(m->val, lg.val, lg.n * sizeof lg.val[0]);
		for (int i = 0; i < n; i++)
			m->frames[i] = (uint64_t)(uintptr_t)out[i];
		*mp = m;
	}
	return n;
}

/* The wrapper's frame as record_slow gave it: RBP not known there.  Two
 * loads, as they were stored: one 16-byte load would wait for the two
 * stores record_slow just made (a store-forwarding stall). */
static inline struct regs wrapper_regs(const struct tls *t)
{
	struct regs r = { .ip = __atomic_load_n(&t->frame_ip, __ATOMIC_RELAXED),
			  .sp = __atomic_load_n(&t->frame_sp, __ATOMIC_RELAXED) };
	return r;
}

/* The whole walk from this function's own frame, every register known:
 * for callers whose CFA is computed from an RBP the wrapper's frame does
 * not give (frame-pointer builds). */
static __attribute__((noinline)) int walk_here(struct tls *t, struct slot *s, uint64_t caller, void **out,
					       uint64_t *hash, struct walk_memo **mp)
{
	struct regs r = { .bp_known = 1, .exact = 1 };
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(r.ip), "=r"(r.sp), "=r"(r.bp));
	if (UNLIKELY(!s->stack_hi) && !stack_bounds(s))
		return -1;
	return walk_remembered(t, s, r, caller, out, hash, mp);
}
#endif

/* libunwind from here (backtrace() where there is no walker); the frames
 * from `caller` on, or the caller alone. */
static int slow_stack(struct tls *t, uint64_t caller, void **out, unsigned depth)
{
	void *frames[MS_HL_MAX_DEPTH + 16];
	int want = (int)depth + 14;
	if (want > (int)(sizeof frames / sizeof frames[0]))
		want = (int)(sizeof frames / sizeof frames[0]);
	int saved = t->busy;
	t->busy = 1;
#if defined(__x86_64__)
	int n = g_unw_backtrace ? g_unw_backtrace(frames, want) : 0;
#else
	int n = g_unw_backtrace ? g_unw_backtrace(frames, want) : backtrace(frames, want);
#endif
	t->busy = saved;
	int start = 0;
	while (start < n && (uint64_t)(uintptr_t)frames[start] != caller)
		start++;
	if (start == n) {       /* unwinder disagrees: keep the caller alone */
		out[0] = (void *)(uintptr_t)caller;
		return 1;
	}
	int k = 0;
	for (int i = start; i < n && k < (int)depth; i++)
		out[k++] = frames[i];
	return k;
}

int stack_capture(struct tls *t, struct slot *s, uint64_t caller, void **out, uint32_t *id)
{
	uint64_t hash = 0;
	int n = -1;
#if defined(__x86_64__)
	struct walk_memo *m = NULL;
	if (LIKELY(g_unwind_mode != WALK_LIBUNWIND && s->rules)) {
		/* from the wrapper's frame when record_slow gave it: the hook's
		 * own frames are not walked; a walk seen before gives its id */
		if (LIKELY(t->frame_sp && g_unwind_mode != WALK_HERE)) {
			struct regs r = wrapper_regs(t);
			m = memo_find(s, &r);
			if (LIKELY(m && m->id_known)) {
				*id = m->id;
				return 0;
			}
			n = walk_remembered(t, s, r, caller, out, &hash, &m);
		}
		if (n <= 0) {
			n = walk_here(t, s, caller, out, &hash, &m);
			if (n > 0 && m && m->id_known) {
				*id = m->id;
				return 0;
			}
		}
	}
#endif
	if (n <= 0) {
		n = 1;
		out[0] = (void *)(uintptr_t)caller;
		if (g_unwind_mode != WALK_ALONE)
			n = slow_stack(t, caller, out, g_depth);
		uint64_t h = STACK_HASH_SEED;
		for (int i = 0; i < n; i++)
			h = stack_hash_step(h, (uint64_t)(uintptr_t)out[i]);
		hash = stack_hash_end(h, (unsigned)n);
	}
	int how;
	*id = stack_id(s, hash, &how);
#if defined(__x86_64__)
	if (m && how != ID_UNTABLED) {
		m->id = *id;
		m->id_known = 1;
	}
#endif
	return how == ID_KNOWN ? 0 : n;
}

void stack_slot_start(struct slot *s)
{
	s->stack_lo = s->stack_hi = 0;
	if (g_unwind_mode != WALK_LIBUNWIND && !s->rules) {
		s->rules = map_zeroed(RULE_SLOTS * sizeof *s->rules);
		s->memo = map_zeroed(MEMO_SLOTS * sizeof *s->memo);
		s->rules_gen = atomic_load(&g_rules_gen);
		if (!s->rules || !s->memo)
			s->rules = NULL;        /* libunwind for this thread */
	} else if (s->memo) {
		/* another thread's walks: its stack words are not this one's */
		memset(s->memo, 0, MEMO_SLOTS * sizeof *s->memo);
	}
}

void stack_forget_rules(void)
{
	atomic_fetch_add_explicit(&g_rules_gen, 1, memory_order_acq_rel);
}

void stack_init(void)
{
	const char *v = getenv("MEMSLEUTH_HOOK_UNWIND");
	g_unwind_mode = !v ? WALK_AUTO : !strcmp(v, "libunwind") ? WALK_LIBUNWIND : !strcmp(v, "walker") ? WALK_ALONE
		      : !strcmp(v, "walker-here") ? WALK_HERE : WALK_AUTO;
#ifdef HAVE_LIBUNWIND
	void *lib = g_unwind_mode == WALK_ALONE ? NULL : dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	int (*policy)(unw_addr_space_t, unw_caching_policy_t) =
		lib ? (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(lib, STR(unw_set_caching_policy)) : NULL;
	unw_addr_space_t *local = lib ? dlsym(lib, STR(unw_local_addr_space)) : NULL;
	g_unw_backtrace = lib ? (int (*)(void **, int))dlsym(lib, STR(unw_backtrace)) : NULL;
	if (policy && local)
		policy(*local, UNW_CACHE_PER_THREAD);
#endif
	void *warm[4];
	if (g_unw_backtrace)
		g_unw_backtrace(warm, 4);   /* its first use sets up, with the guard on */
#if !defined(__x86_64__)
	else
		backtrace(warm, 4);         /* loads libgcc_s now, with the guard on */
#endif
}
