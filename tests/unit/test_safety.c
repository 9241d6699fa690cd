/* Hostile input and hostile places (docs/security.md): the tracefs line
 * parser at its edges, float seconds out of range, the hook log's stream
 * bound, the trust rule, and safe output creation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/systrace.h"
#include "records/hotlog_read.h"
#include "util/outfile.h"
#include "util/size.h"
#include "util/trust.h"

/* An exact-size heap copy: ASan sees one byte past the line's end. */
static int tracefs_line(const char *text, struct ms_sysev *ev, int64_t *ret)
{
	size_t n = strlen(text) + 1;
	char *line = malloc(n);
	memcpy(line, text, n);
	int k = ms_tracefs_parse_line(line, ev, ret);
	free(line);
	return k;
}

static void tracefs_edges(void **state)
{
	(void)state;
	struct ms_sysev ev;
	int64_t ret = 0;
	/* the field case: the line ends right after the call's name */
	assert_int_equal(tracefs_line("x-1 (1) [0] 1.0: sys_mmap", &ev, &ret), 0);
	assert_int_equal(tracefs_line("x-1 (1) [000] ..... 1e99: sys_brk(brk: 0)", &ev, &ret), 'E');
	assert_int_equal(ev.ts_ns, 0);
	assert_int_equal(tracefs_line("x-1 (1) [000] ..... inf: sys_brk -> 0x0", &ev, &ret), 'X');
	assert_int_equal(ev.ts_ns, 0);
	assert_int_equal(tracefs_line("x-1 (1) [000] ..... 12.5: sys_brk -> 0x1000", &ev, &ret), 'X');
	assert_int_equal(ev.ts_ns, 12500000000ull);
	assert_int_equal(ret, 0x1000);
	assert_int_equal(tracefs_line("x-1 (1) [000] ..... 1.0: sys_munmap(addr: 0x7f00, len: 0x1000)", &ev, &ret), 'E');
	assert_int_equal(ev.sc, MS_SC_MUNMAP);
	assert_int_equal(ev.arg[1], 0x1000);
}

static void seconds_to_ns(void **state)
{
	(void)state;
	assert_int_equal(ms_secs_to_ns(1.5), 1500000000ull);
	assert_int_equal(ms_secs_to_ns(1e99), 0);
	assert_int_equal(ms_secs_to_ns(INFINITY), 0);
	assert_int_equal(ms_secs_to_ns(NAN), 0);
	assert_int_equal(ms_secs_to_ns(-1), 0);
}

/* One record as the hook writes it (records/hotlog.h). */
static size_t hl_record(unsigned char *out, uint16_t type, const void *payload, uint32_t len)
{
	struct ms_hl_rec h = { .magic = MS_HL_MAGIC, .type = type, .version = MS_HL_VERSION, .len = len,
			       .check = ms_hl_hash(payload, len) };
	memcpy(out, &h, sizeof h);
	memcpy(out + sizeof h, payload, len);
	return sizeof h + len;
}

static void hotlog_stream_bound(void **state)
{
	(void)state;
	unsigned char buf[64];
	struct ms_hl_thread t = { .stream = 0x3fffffff, .tid = 1234 };
	memcpy(t.name, "evil", 5);
	size_t len = hl_record(buf, MS_HL_REC_THREAD, &t, sizeof t);
	assert_int_equal(len, 40);   /* the field case's 40 bytes */
	size_t off = 0;
	uint64_t skipped = 0;
	struct ms_hl_rec rec;
	const unsigned char *pl;
	/* a stream the 40 bytes cannot hold: not an intact record */
	assert_int_equal(ms_hl_next_record(buf, len, &off, &rec, &pl, &skipped), 0);
	assert_int_equal(skipped, 40);
	/* a plausible stream is read */
	t.stream = 3;
	len = hl_record(buf, MS_HL_REC_THREAD, &t, sizeof t);
	off = skipped = 0;
	assert_int_equal(ms_hl_next_record(buf, len, &off, &rec, &pl, &skipped), 1);
	assert_int_equal(rec.type, MS_HL_REC_THREAD);
}

static char dir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/memsleuth-unit.%d.XXXXXX", (int)getpid());
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void trust_rule(void **state)
{
	(void)state;
	char p[128], real[4096];
	struct ms_err e;
	snprintf(p, sizeof p, "%s/lib.so", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ms_trust_check(p, real, sizeof real, NULL, &e), 0);
	assert_string_equal(real, p);
	chmod(dir, 0777);   /* others could swap lib.so */
	assert_int_equal(ms_trust_check(p, NULL, 0, "unset X", &e), -1);
	assert_non_null(strstr(e.msg, "mode 0777"));
	assert_string_equal(e.hint, "unset X");
	chmod(dir, 01777);  /* sticky, but not root's unless we are root */
	assert_int_equal(ms_trust_check(p, NULL, 0, NULL, &e), getuid() == 0 ? 0 : -1);
	chmod(dir, 0700);
	chmod(p, 0664);     /* the file itself group-writable */
	assert_int_equal(ms_trust_check(p, NULL, 0, NULL, &e), -1);
	assert_int_equal(ms_trust_check("/usr/bin/env", NULL, 0, NULL, &e), 0);
}

static void out_files(void **state)
{
	(void)state;
	char victim[128], link[128], fresh[128];
	struct ms_err e;
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	snprintf(fresh, sizeof fresh, "%s/fresh", dir);
	FILE *f = fopen(victim, "w");
	fputs("precious", f);
	fclose(f);
	assert_int_equal(symlink(victim, link), 0);
	chmod(dir, 01777);   /* a shared directory: the link could be anyone's */
	assert_int_equal(ms_out_open(link, MS_OUT_SHARED, &e), -1);
	assert_non_null(strstr(e.msg, "symbolic link"));
	struct stat st;
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 8);   /* not truncated */
	int fd = ms_out_open(fresh, MS_OUT_PRIVATE, &e);
	assert_true(fd >= 0);
	fstat(fd, &st);
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);
	chmod(dir, 0700);    /* the user's own directory: their own link is followed */
	fd = ms_out_open(link, MS_OUT_SHARED, &e);
	assert_true(fd >= 0);
	close(fd);
	fd = ms_out_open("/dev/null", MS_OUT_SHARED, &e);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ms_out_dir(link, &e), -1);
	assert_non_null(strstr(e.msg, "symbolic link"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tracefs_edges),
		cmocka_unit_test(seconds_to_ns),
		cmocka_unit_test(hotlog_stream_bound),
		cmocka_unit_test_setup_teardown(trust_rule, setup_dir, remove_dir),
		cmocka_unit_test_setup_teardown(out_files, setup_dir, remove_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
