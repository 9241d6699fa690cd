/* Memory syscall records and their summary: pairing, flag decoding, the
 * script line protocol, arena heap recognition, brk accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "findings/memsyssum.h"
#include "records/memsys.h"

#define MiB (1024ull * 1024)

static struct ms_sysev ev(pid_t tid, enum ms_sc sc, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int64_t ret)
{
	struct ms_sysev e = { .tid = tid, .tgid = 100, .sc = sc, .arg = { a0, a1, a2, a3 }, .ret = ret };
	return e;
}

static void test_pairer(void **state)
{
	(void)state;
	struct ms_pairer *p = malloc(sizeof *p);
	struct ms_sysev out, a = ev(101, MS_SC_MMAP, 0, 4096, 3, 0x22, 0), b = ev(102, MS_SC_MADVISE, 0x1000, 4096, 4, 0, 0);
	ms_pairer_init(p);
	ms_pairer_enter(p, &a);
	ms_pairer_enter(p, &b);
	assert_int_equal(ms_pairer_exit(p, 102, MS_SC_MADVISE, 0, 0, &out), 1);
	assert_int_equal(out.arg[2], 4);
	assert_int_equal(ms_pairer_exit(p, 101, MS_SC_N, 0x7f0000, 0, &out), 1);
	assert_int_equal(out.ret, 0x7f0000);
	assert_int_equal(ms_pairer_exit(p, 101, MS_SC_MMAP, 0, 0, &out), 0);   /* no entry */
	assert_int_equal(p->dropped, 1);
	free(p);
}

static void test_format(void **state)
{
	(void)state;
	char buf[256];
	struct ms_sysev e = ev(1, MS_SC_MMAP, 0, 128 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, 0x7f0000000000);
	ms_sysev_format(&e, buf, sizeof buf);
	assert_string_equal(buf, "mmap(NULL, 128.0 MiB, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE) = 0x7f0000000000");
	e = ev(1, MS_SC_MADVISE, 0x1000, MiB, MADV_DONTNEED, 0, -22);
	ms_sysev_format(&e, buf, sizeof buf);
	assert_string_equal(buf, "madvise(0x1000, 1.0 MiB, MADV_DONTNEED) = -1 EINVAL");
}

static int ms_sysline_parse_1(const char *line, struct ms_sysev *e)
{
	uint64_t times = 0;
	int k = ms_sysline_parse(line, e, &times);
	if (k == 'S')
		assert_int_equal(times, 1);
	return k;
}

static void test_repeat_line(void **state)
{
	(void)state;
	struct ms_sysev e;
	uint64_t times = 0;
	assert_int_equal(ms_sysline_parse("M 999999 12 10 28 140000 4096 4 0 0", &e, &times), 'M');
	assert_int_equal(times, 999999);
	assert_int_equal(e.tid, 12);
	assert_int_equal(e.arg[2], 4);
	assert_int_equal(ms_sysline_parse("M 0 12 10 28 140000 4096 4 0 0", &e, &times), 0);
}

static void test_line(void **state)
{
	(void)state;
	struct ms_sysev e;
	assert_int_equal(ms_sysline_parse_1("S 12 10 28 140000 4096 4 0 0", &e), 'S');
	assert_int_equal(e.sc, MS_SC_MADVISE);
	assert_int_equal(e.arg[1], 4096);
	assert_int_equal(ms_sysline_parse_1("S 12 10 9 0 -1 3 34 -12", &e), 'S');
	assert_int_equal(e.ret, -12);
	assert_int_equal(e.arg[1], UINT64_MAX);
	assert_string_equal(e.comm, "");
	assert_int_equal(ms_sysline_parse_1("S 12 10 12 0 0 0 0 94000 my worker", &e), 'S');
	assert_string_equal(e.comm, "my worker");
	assert_int_equal(ms_sysline_parse_1("S 12 10 0 1 2 3 4 5", &e), 0);   /* read(): not ours */
	assert_int_equal(ms_sysline_parse_1("S 12 10 9 1 2", &e), 0);         /* cut short */
	assert_int_equal(ms_sysline_parse_1("READY", &e), 0);
}

static void test_heap_lifecycle(void **state)
{
	(void)state;
	struct ms_sys_summary s;
	assert_int_equal(ms_sys_summary_init(&s), 0);
	uint64_t res = 0x7f0001000000, al = 0x7f0004000000, resv = 2 * 64 * MiB + 4096;
	struct ms_sysev seq[] = {
		ev(101, MS_SC_MMAP, 0, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, (int64_t)res),
		ev(101, MS_SC_MUNMAP, res, al - res, 0, 0, 0),
		ev(101, MS_SC_MUNMAP, al + 64 * MiB, res + resv - al - 64 * MiB, 0, 0, 0),
		ev(101, MS_SC_MPROTECT, al, MiB, PROT_READ | PROT_WRITE, 0, 0),
		ev(101, MS_SC_MADVISE, al, MiB, MADV_DONTNEED, 0, 0),
		ev(101, MS_SC_MADVISE, al, MiB, MADV_FREE, 0, 0),
		ev(101, MS_SC_MUNMAP, al, 64 * MiB, 0, 0, 0),
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
		ms_sys_summary_add(&s, &seq[i]);
	assert_int_equal(s.heaps_created, 1);
	assert_int_equal(s.heap_trims, 2);
	assert_int_equal(s.heap_trim_bytes, 64 * MiB + 4096);
	assert_int_equal(s.heap_grows, 1);
	assert_int_equal(s.heap_shrinks, 2);
	assert_int_equal(s.heaps_destroyed, 1);
	assert_int_equal(s.madv_dontneed, MiB);
	assert_int_equal(s.madv_free, MiB);
	assert_int_equal(s.munmap_returned, 64 * MiB);
	assert_int_equal(s.total[MS_SC_MUNMAP].count, 3);
	assert_int_equal(ms_sys_summary_thread(&s, 101)->heaps_created, 1);
	ms_sys_summary_free(&s);
}

static void test_brk(void **state)
{
	(void)state;
	struct ms_sys_summary s;
	assert_int_equal(ms_sys_summary_init(&s), 0);
	uint64_t b = 0x555555560000;
	struct ms_sysev seq[] = {
		ev(100, MS_SC_BRK, 0, 0, 0, 0, (int64_t)b),
		ev(100, MS_SC_BRK, b + MiB, 0, 0, 0, (int64_t)(b + MiB)),
		ev(100, MS_SC_BRK, b + 3 * MiB, 0, 0, 0, (int64_t)(b + 3 * MiB)),
		ev(100, MS_SC_BRK, b + 2 * MiB, 0, 0, 0, (int64_t)(b + 2 * MiB)),
		ev(100, MS_SC_BRK, 1, 0, 0, 0, (int64_t)(b + 2 * MiB)),   /* refused: break unchanged */
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
		ms_sys_summary_add(&s, &seq[i]);
	assert_int_equal(s.total[MS_SC_BRK].count, 5);
	assert_int_equal(s.total[MS_SC_BRK].bytes, 4 * MiB);
	assert_int_equal(s.brk[0].grown, 3 * MiB);
	assert_int_equal(s.brk[0].shrunk, MiB);
	assert_int_equal(s.brk[0].high - s.brk[0].first, 3 * MiB);
	ms_sys_summary_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairer), cmocka_unit_test(test_format), cmocka_unit_test(test_line), cmocka_unit_test(test_repeat_line),
		cmocka_unit_test(test_heap_lifecycle), cmocka_unit_test(test_brk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
