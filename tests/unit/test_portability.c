/* Portability: maps paths of chrooted targets mapped back through
 * /proc/PID/root, the verified-glibc table, the no-debug-info switch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "findings/allocator.h"
#include "findings/verified.h"
#include "probe/target.h"

static void root_relative(void **state)
{
	char out[256];
	/* chrooted below our root: the kernel prints the prefix, strip it */
	ms_root_relative("/proc/7/root", "/srv/bullseye", "/srv/bullseye/usr/lib/libc-2.31.so", out, sizeof out);
	assert_string_equal(out, "/proc/7/root/usr/lib/libc-2.31.so");
	/* same root, or another mount namespace: the path is the target's */
	ms_root_relative("/proc/7/root", "/", "/usr/lib/x86_64-linux-gnu/libc.so.6", out, sizeof out);
	assert_string_equal(out, "/proc/7/root/usr/lib/x86_64-linux-gnu/libc.so.6");
	/* a prefix that is only a string prefix, not a directory, stays */
	ms_root_relative("/proc/7/root", "/srv/b", "/srv/bullseye/lib/libc.so.6", out, sizeof out);
	assert_string_equal(out, "/proc/7/root/srv/bullseye/lib/libc.so.6");
	/* root hidden (readlink failed): nothing to strip */
	ms_root_relative("/proc/7/root", "", "/lib/libc.so.6", out, sizeof out);
	assert_string_equal(out, "/proc/7/root/lib/libc.so.6");
}

static void verified_table(void **state)
{
	const struct ms_verified *v = ms_verified_find("2.31");
	assert_non_null(v);
	assert_non_null(strstr(v->steps, "overview"));
	assert_non_null(strstr(v->where, "bullseye"));
	assert_null(ms_verified_find("2.33"));
	assert_null(ms_verified_find(""));
	assert_null(ms_verified_find(NULL));
	char list[64];
	ms_verified_list(list, sizeof list);
	assert_string_equal(list, "2.31, 2.36, 2.41");
	char tiny[6];
	ms_verified_list(tiny, sizeof tiny);   /* truncates, stays terminated */
	assert_string_equal(tiny, "2.31,");
}

static void debuginfo_switch(void **state)
{
	unsetenv("MEMSLEUTH_NO_DEBUGINFO");
	assert_false(ms_debuginfo_ignored());
	setenv("MEMSLEUTH_NO_DEBUGINFO", "0", 1);
	assert_false(ms_debuginfo_ignored());
	ms_debuginfo_ignore();   /* what --no-debuginfo does */
	assert_true(ms_debuginfo_ignored());
	assert_string_equal(getenv("MEMSLEUTH_NO_DEBUGINFO"), "1");
	unsetenv("MEMSLEUTH_NO_DEBUGINFO");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_relative),
		cmocka_unit_test(verified_table),
		cmocka_unit_test(debuginfo_switch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
