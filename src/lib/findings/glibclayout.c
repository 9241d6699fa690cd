#include "findings/glibclayout.h"

#include <stdio.h>
#include <string.h>

#include "findings/arenaheaps.h"
#include "probe/elf.h"

/* History of the fields we read (glibc malloc/malloc.c, malloc/arena.c):
 *  - malloc_state: have_fastchunks added in 2.27 (fastbinsY moves to 16);
 *    unchanged since, through 2.41: 2200 bytes.
 *  - malloc_par: tcache_* fields added in 2.26; max_total_mem gone since
 *    2.24; thp_pagesize, hp_pagesize, hp_flags inserted after arena_max in
 *    2.35 (the ints after move by 20 bytes, the size_t fields by 24).
 *  - heap_info: pagesize added in 2.35 (32 -> 48 bytes): ms_heap_info_size.
 *  - tcache_perthread_struct: counts char[64] until 2.29, uint16_t[64]
 *    since 2.30.
 *  - safe-linking (PROTECT_PTR) of tcache and fastbin next pointers: 2.32.
 * Verified by tests: 2.36 against gdb + libc6-dbg (the host); 2.31 (Debian 11)
 * and 2.41 (Debian 13) against malloc_info when their debootstrapped root
 * file systems are present (tests/integration/arenas_glibc.sh). */
int ms_glibc_layout_for(const char *v, struct ms_glibc_layout *l, struct ms_err *e)
{
	memset(l, 0, sizeof *l);
	if (!v || !v[0])
		return ms_err_set(e, 0, "version unknown",
				  "pass --assume-version X.Y (the target's glibc version)", "glibc layout");
	if (ms_version_cmp(v, MS_GLIBC_MIN) < 0 || ms_version_cmp(v, MS_GLIBC_MAX) > 0)
		return ms_err_set(e, 0, "outside the supported range " MS_GLIBC_MIN ".." MS_GLIBC_MAX,
				  "pass --assume-version X.Y with the closest supported version, at your own risk",
				  "glibc %s", v);
	snprintf(l->version, sizeof l->version, "%s", v);
	l->ms_size = 2200;
	l->ms_mutex = 0;
	l->ms_flags = 4;
	l->ms_fastbins = 16;
	l->ms_top = 96;
	l->ms_last_remainder = 104;
	l->ms_bins = 112;
	l->ms_next = 2160;
	l->ms_attached_threads = 2176;
	l->ms_system_mem = 2184;
	l->ms_max_system_mem = 2192;

	/* 2.35's two size_t and one int: the ints after move by 20, the
	 * size_t fields (after a 4-byte hole) by 24 */
	int hp35 = ms_version_cmp(v, "2.35") >= 0;
	size_t hp = hp35 ? 24 : 0, hpi = hp35 ? 20 : 0;
	l->mp_trim_threshold = 0;
	l->mp_top_pad = 8;
	l->mp_mmap_threshold = 16;
	l->mp_arena_test = 24;
	l->mp_arena_max = 32;
	l->mp_n_mmaps = 40 + hpi;
	l->mp_n_mmaps_max = 44 + hpi;
	l->mp_no_dyn_threshold = 52 + hpi;   /* after max_n_mmaps: an int */
	l->mp_mmapped_mem = 56 + hp;
	l->mp_sbrk_base = 72 + hp;
	l->mp_tcache_bins = 80 + hp;
	l->mp_tcache_max_bytes = 88 + hp;
	l->mp_tcache_count = 96 + hp;
	l->mp_size = 112 + hp;
	l->mp_thp_pagesize = hp35 ? 40 : 0;

	l->heap_info_size = ms_heap_info_size(v);
	l->tcache_count_size = ms_version_cmp(v, "2.30") >= 0 ? 2 : 1;
	l->tcache_struct_size = MS_TCACHE_BINS * (l->tcache_count_size + 8);
	l->safe_linking = ms_version_cmp(v, "2.32") >= 0;
	return 0;
}

int ms_bin_index(unsigned long sz)
{
	if (sz < 1024)
		return (int)(sz >> 4);
	if ((sz >> 6) <= 48)
		return 48 + (int)(sz >> 6);
	if ((sz >> 9) <= 20)
		return 91 + (int)(sz >> 9);
	if ((sz >> 12) <= 10)
		return 110 + (int)(sz >> 12);
	if ((sz >> 15) <= 4)
		return 119 + (int)(sz >> 15);
	if ((sz >> 18) <= 2)
		return 124 + (int)(sz >> 18);
	return 126;
}
