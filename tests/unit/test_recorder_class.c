/* findings/memclass.c: memsleuth's own recorder in a recorded process --
 * the hook's buffer files, its counters page, the hook library -- is the
 * class memsleuth_recorder, not file or shmem; look-alikes are not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "findings/memclass.h"

static void paths(void **state)
{
	(void)state;
	assert_int_equal(ms_is_recorder_path("/tmp/memsleuth-hotspots.77.Ab12Cd/proc-1234-0.buf"), MS_RECORDER_BUFFER);
	assert_int_equal(ms_is_recorder_path("/home/u/rec/proc-1234-17.buf (deleted)"), MS_RECORDER_BUFFER);
	assert_int_equal(ms_is_recorder_path("/usr/libexec/memsleuth/libmemsleuth-hook.so"), MS_RECORDER_LIBRARY);
	const char *no[] = { "proc-1-0.buf" /* not a path */, "/tmp/proc-12a-0.buf", "/tmp/proc-1-0.bufx",
			     "/tmp/proc--0.buf", "/tmp/proc-1-.buf", "/tmp/proc-1.buf", "/tmp/xproc-1-0.buf",
			     "/tmp/proc-1-0.msl", "/usr/lib/libmemsleuth-hook.so.1", "", "[heap]",
			     "/tmp/proc-12345678901-0.buf" /* no pid has 11 digits */ };
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(ms_is_recorder_path(no[i]), MS_RECORDER_NONE);
}

static void classified(void **state)
{
	(void)state;
	static const char maps[] =
		"55d0a0000000-55d0a0021000 rw-p 00000000 00:00 0                          [heap]\n"
		"7f0000000000-7f0000041000 rw-s 00000000 fe:00 11                         /r/proc-42-0.buf\n"
		"7f0000041000-7f0000082000 rw-s 00041000 fe:00 11                         /r/proc-42-0.buf\n"
		"7f0000100000-7f0000101000 rw-s 00000000 fe:00 12                         /r/counters\n"
		"7f0000200000-7f0000201000 rw-s 00000000 fe:00 13                         /other/counters\n"
		"7f0000300000-7f0000302000 r-xp 00000000 fe:00 14                         /b/libmemsleuth-hook.so\n"
		"7f0000400000-7f0000401000 rw-s 00000000 00:01 15                         /dev/shm/proc-1-0.bufx\n"
		"7f0000500000-7f0000501000 rw-p 00000000 00:00 0                          [anon:memsleuth-hook unwind]\n"
		"7f0000600000-7f0000700000 r-xp 00000000 fe:00 16                         /usr/lib/libc.so.6\n";
	struct ms_maps m = { 0 };
	struct ms_err e;
	assert_int_equal(ms_maps_parse(maps, sizeof maps - 1, &m, &e), 0);
	assert_int_equal(m.n, 9);
	struct ms_mapclass mc[9];
	ms_classify(&m, NULL, NULL, 1, NULL, mc);
	const enum ms_class want[9] = { MS_CLASS_MAIN_HEAP, MS_CLASS_RECORDER, MS_CLASS_RECORDER, MS_CLASS_RECORDER,
					MS_CLASS_FILE /* a counters file with no buffer file beside it */,
					MS_CLASS_RECORDER, MS_CLASS_SHMEM, MS_CLASS_RECORDER, MS_CLASS_FILE };
	for (size_t i = 0; i < 9; i++)
		assert_int_equal(mc[i].cls, want[i]);
	assert_string_equal(ms_class_name(MS_CLASS_RECORDER), "memsleuth_recorder");
	ms_maps_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths),
		cmocka_unit_test(classified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
