/* Parsers of /proc records, fed captured fixtures and hand-made buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "probe/kconfig.h"
#include "probe/procfs.h"
#include "probe/tasks.h"
#include "records/cgroup.h"
#include "records/environ.h"
#include "records/maps.h"
#include "records/status.h"

#define FIX "tests/fixtures/"

static char *slurp(const char *path, size_t *len)
{
	char *buf;
	struct ms_err e;
	if (ms_read_file(path, &buf, len, 64 << 20, &e) < 0)
		fail_msg("%s", e.msg);
	return buf;
}

static void jvm_maps(void **state)
{
	size_t len;
	char *buf = slurp(FIX "jvm/maps", &len);
	struct ms_maps m;
	struct ms_err e;
	assert_int_equal(ms_maps_parse(buf, len, &m, &e), 0);
	assert_int_equal(m.n, 186);
	assert_int_equal(m.v[0].has_fields, 0);
	const struct ms_mapping *jvm = NULL;
	for (size_t i = 0; i < m.n; i++)
		if (strstr(m.v[i].path, "libjvm.so") && m.v[i].perms[2] == 'x')
			jvm = &m.v[i];
	assert_non_null(jvm);
	assert_int_equal(jvm->start, 0x7f778bc51000ull);
	assert_int_equal(jvm->end, 0x7f778c9a4000ull);
	assert_int_equal(jvm->offset, 0x251000);
	assert_int_equal(jvm->dev_major, 0xfe);
	assert_int_equal(jvm->inode, 318057);
	assert_ptr_equal(ms_maps_find(&m, 0x7f778bc51000ull + 5), jvm);
	assert_null(ms_maps_find(&m, 0x10));
	ms_maps_free(&m);
	free(buf);
}

static void jvm_smaps_sum_equals_rollup(void **state)
{
	size_t len, rlen;
	char *buf = slurp(FIX "jvm/smaps", &len), *rb = slurp(FIX "jvm/smaps_rollup", &rlen);
	struct ms_maps m;
	struct ms_memfields roll;
	struct ms_err e;
	assert_int_equal(ms_maps_parse(buf, len, &m, &e), 0);
	assert_int_equal(m.n, 186);
	assert_int_equal(ms_rollup_parse(rb, rlen, &roll, &e), 0);
	assert_int_equal(roll.rss, 35912ull * 1024);
	assert_int_equal(roll.pss, 34238ull * 1024);
	uint64_t rss = 0, size = 0;
	for (size_t i = 0; i < m.n; i++) {
		assert_true(m.v[i].has_fields);
		rss += m.v[i].m.rss;
		size += m.v[i].m.size;
		assert_int_equal(m.v[i].m.size, m.v[i].end - m.v[i].start);
	}
	assert_int_equal(rss, roll.rss);
	ms_maps_free(&m);
	free(buf);
	free(rb);
}

static void maps_malformed(void **state)
{
	struct ms_maps m;
	struct ms_err e;
	const char *bad = "00400000-00452000 r-xp 00000000 08:02 173521 /bin/x\nzzzz\n";
	assert_int_equal(ms_maps_parse(bad, strlen(bad), &m, &e), -1);
	assert_string_equal(e.msg, "smaps line 2: malformed counter line");
	ms_maps_free(&m);
	const char *rev = "00500000-00400000 r-xp 00000000 08:02 1 /x\n";
	assert_int_equal(ms_maps_parse(rev, strlen(rev), &m, &e), -1);
	assert_string_equal(e.msg, "maps line 1: malformed mapping line");
	ms_maps_free(&m);
	const char *trunc = "00400000-004";
	assert_int_equal(ms_maps_parse(trunc, strlen(trunc), &m, &e), -1);
	ms_maps_free(&m);
	const char *counter_first = "Rss: 4 kB\n";
	assert_int_equal(ms_maps_parse(counter_first, strlen(counter_first), &m, &e), -1);
	ms_maps_free(&m);
	const char *path_spaces = "7f0000000000-7f0000001000 rw-s 00000000 00:01 42  /dev/shm/a b (deleted)\n";
	assert_int_equal(ms_maps_parse(path_spaces, strlen(path_spaces), &m, &e), 0);
	assert_string_equal(m.v[0].path, "/dev/shm/a b (deleted)");
	ms_maps_free(&m);
}

static void status_fixture(void **state)
{
	size_t len;
	char *buf = slurp(FIX "jvm/status", &len);
	struct ms_status st;
	assert_int_equal(ms_status_parse(buf, len, &st), 0);
	assert_string_equal(st.name, "java");
	assert_int_equal(st.vm_rss, 35912ull * 1024);
	assert_int_equal(st.threads, 19);
	assert_true(st.has_vm);
	assert_int_equal(st.nspid_n, 1);
	free(buf);
	const char *kthread = "Name:\tkthreadd\nState:\tS (sleeping)\nTgid:\t2\nNSpid:\t2\n";
	assert_int_equal(ms_status_parse(kthread, strlen(kthread), &st), 0);
	assert_false(st.has_vm);
	const char *ns = "Name:\tx\nState:\tZ (zombie)\nNSpid:\t4242\t7\n";
	assert_int_equal(ms_status_parse(ns, strlen(ns), &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.nspid_n, 2);
	assert_int_equal(st.nspid[1], 7);
	assert_int_equal(ms_status_parse("garbage", 7, &st), -1);
}

static void environ_and_tunables(void **state)
{
	const char env[] = "A=1\0MALLOC_ARENA_MAX=4\0GLIBC_TUNABLES=glibc.malloc.trim_threshold=1:glibc.malloc.arena_max=2:glibc.malloc.arena_max=3\0MALLOC_ARENA_MAX=9\0";
	size_t vl;
	const char *v = ms_environ_get(env, sizeof env - 1, "MALLOC_ARENA_MAX", &vl);
	assert_non_null(v);
	assert_int_equal(vl, 1);
	assert_memory_equal(v, "4", 1);
	assert_null(ms_environ_get(env, sizeof env - 1, "MALLOC", &vl));
	const char *t = ms_environ_get(env, sizeof env - 1, "GLIBC_TUNABLES", &vl);
	const char *a = ms_tunable_get(t, vl, "glibc.malloc.arena_max", &vl);
	assert_non_null(a);
	assert_memory_equal(a, "3", 1);   /* last one wins */
	assert_null(ms_tunable_get("glibc.malloc.arena_maxx=1", 25, "glibc.malloc.arena_max", &vl));
}

static void cgroup_lines(void **state)
{
	char path[512];
	const char v1[] = "9:name=systemd:/\n4:cpu,memory:/process_api/abc\n0::/\n";
	assert_int_equal(ms_cgroup_parse(v1, sizeof v1 - 1, path, sizeof path), 1);
	assert_string_equal(path, "/process_api/abc");
	const char v2[] = "0::/system.slice/app.service\n";
	assert_int_equal(ms_cgroup_parse(v2, sizeof v2 - 1, path, sizeof path), 2);
	assert_string_equal(path, "/system.slice/app.service");
	assert_int_equal(ms_cgroup_parse("1:cpu:/\n", 8, path, sizeof path), 0);
}

static void kconfig_lookup(void **state)
{
	const char cfg[] = "# CONFIG_MODULES is not set\nCONFIG_UPROBE_EVENTS=y\nCONFIG_KPROBES_X=y\nCONFIG_FOO=m\n";
	assert_int_equal(ms_kconfig_lookup(cfg, sizeof cfg - 1, "CONFIG_MODULES"), 'n');
	assert_int_equal(ms_kconfig_lookup(cfg, sizeof cfg - 1, "CONFIG_UPROBE_EVENTS"), 'y');
	assert_int_equal(ms_kconfig_lookup(cfg, sizeof cfg - 1, "CONFIG_KPROBES"), 'n');
	assert_int_equal(ms_kconfig_lookup(cfg, sizeof cfg - 1, "CONFIG_FOO"), 'm');
}

static void syscall_stack_pointer(void **state)
{
	uint64_t sp = 0;
	assert_int_equal(ms_syscall_sp_parse("230 0x0 0x0 0x7fff673a3490 0x7fff673a34d0 0x0 0x0 0x7fff673a3478 0x7f2c70240503\n", &sp), 0);
	assert_int_equal(sp, 0x7fff673a3478ull);
	assert_int_equal(ms_syscall_sp_parse("-1 0x7ffd00001000 0x55550000\n", &sp), 0);
	assert_int_equal(sp, 0x7ffd00001000ull);
	assert_int_equal(ms_syscall_sp_parse("running\n", &sp), -1);
}

static void pid_parse(void **state)
{
	pid_t p;
	struct ms_err e;
	assert_int_equal(ms_pid_parse("1234", &p, &e), 0);
	assert_int_equal(p, 1234);
	assert_int_equal(ms_pid_parse("12a", &p, &e), -1);
	assert_string_equal(e.msg, "PID '12a': not a process ID (digits only)");
	assert_int_equal(ms_pid_parse("0", &p, &e), -1);
	assert_int_equal(ms_pid_parse("99999999999", &p, &e), -1);
	assert_int_equal(ms_pid_parse("", &p, &e), -1);
	assert_int_equal(ms_pid_parse("-5", &p, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jvm_maps),
		cmocka_unit_test(jvm_smaps_sum_equals_rollup),
		cmocka_unit_test(maps_malformed),
		cmocka_unit_test(status_fixture),
		cmocka_unit_test(environ_and_tunables),
		cmocka_unit_test(cgroup_lines),
		cmocka_unit_test(kconfig_lookup),
		cmocka_unit_test(syscall_stack_pointer),
		cmocka_unit_test(pid_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
