/* The walker under ASan/UBSan on real targets: build/examples/heap_kinds
 * (known contents in every free list), intact and with a corrupted chunk
 * header, with and without freezing it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings/arenas.h"
#include "findings/arenaverdict.h"

extern char **environ;

static pid_t spawn_kinds(const char *arg)
{
	const char *b = getenv("BUILD");
	char path[512];
	snprintf(path, sizeof path, "%s/examples/heap_kinds", b ? b : "build");
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	char *argv[] = { path, "--hold", (char *)arg, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	close(fds[1]);
	char buf[512];
	size_t got = 0;
	while (got < sizeof buf - 1) {
		ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		if (strstr(buf, "holding"))
			break;
	}
	close(fds[0]);
	return strstr(buf, "holding") ? pid : -1;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void known_lists(void **state)
{
	(void)state;
	pid_t pid = spawn_kinds(NULL);
	if (pid < 0)
		skip();
	for (int stop = 0; stop < 2; stop++) {
		struct ms_arenas a;
		struct ms_err e = { 0 };
		struct ms_arenas_opts o = { .stop = stop, .no_debuginfo = 1 };
		assert_int_equal(ms_arenas_collect(pid, &o, &a, &e), 0);
		assert_true(a.glibc_in_charge);
		assert_true(a.snapshot_consistent);
		assert_int_equal(a.n, 1);
		assert_int_equal(a.total.fast[0].count, 3);
		assert_int_equal(a.total.fast[5].count, 13);
		assert_int_equal(a.total.tcache[0].count, 7);
		assert_int_equal(a.total.tcache[5].count, 7);
		assert_int_equal(a.total.tcache[11].count, 7);
		assert_int_equal(a.total.bins[1].count, 2);
		assert_int_equal(a.total.bins[1].bytes, 2 * 1520);
		assert_int_equal(a.total.bins[13].count, 3);
		assert_int_equal(a.total.bins[79].count, 4);
		assert_int_equal(a.total.bins[79].bytes, 4 * 2016);
		assert_int_equal(a.stopped, stop);
		ms_arenas_free(&a);
	}
	reap(pid);
}

static void corrupted_header(void **state)
{
	(void)state;
	pid_t pid = spawn_kinds("--corrupt");
	if (pid < 0)
		skip();
	struct ms_arenas a;
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { .no_debuginfo = 1, .retries = 1 };
	assert_int_equal(ms_arenas_collect(pid, &o, &a, &e), 0);
	assert_false(a.snapshot_consistent);
	assert_int_equal(a.attempts, 2);
	assert_non_null(strstr(a.inconsistency, "0x7ffffff0"));
	ms_arenas_free(&a);
	reap(pid);
}

static void gone_process(void **state)
{
	(void)state;
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	struct ms_arenas a;
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { 0 };
	assert_int_equal(ms_arenas_collect(pid, &o, &a, &e), -1);
	assert_true(e.msg[0] != 0);
}

/* FRAG: the total is the arenas' values weighted by their free bytes
 * (trial 3: 13 arenas each of one free block read 0.00 per row and 0.92
 * in total, as if their free memory were one pool). */
static void frag_total(void **state)
{
	(void)state;
	struct ms_arena_stat v[3];
	memset(v, 0, sizeof v);
	struct ms_arenas a = { .v = v, .n = 3 };
	/* two arenas with one 20 MiB free block each, one with 10 MiB of dust
	 * whose largest free chunk is 1 MiB */
	v[0].kind_bytes[MS_CK_UNSORTED] = v[0].largest_free = 20u << 20;
	v[1].kind_bytes[MS_CK_LARGE] = v[1].largest_free = 20u << 20;
	v[2].kind_bytes[MS_CK_SMALL] = 10u << 20;
	v[2].largest_free = 1u << 20;
	ms_arenas_sum_totals(&a);
	assert_true(ms_arena_fragmentation(&v[0]) == 0.0);
	assert_true(ms_arena_fragmentation(&v[1]) == 0.0);
	assert_true(ms_arena_fragmentation(&v[2]) == 0.9);
	assert_int_equal(a.total.free_bytes, 50u << 20);
	assert_int_equal(a.total.largest_free, 20u << 20);
	/* (0 x 20 + 0 x 20 + 0.9 x 10) / 50 = 0.18; one pool would say 0.6 */
	double sum = 0;
	for (int i = 0; i < 3; i++)
		sum += ms_arena_fragmentation(&v[i]) * (double)v[i].free_bytes;
	assert_true(ms_arena_fragmentation(&a.total) > 0.1799 && ms_arena_fragmentation(&a.total) < 0.1801);
	assert_true(fabs(ms_arena_fragmentation(&a.total) - sum / (double)a.total.free_bytes) < 1e-9);
	/* every arena one free block: 0, as each row */
	v[2].largest_free = 10u << 20;
	ms_arenas_sum_totals(&a);
	assert_true(ms_arena_fragmentation(&a.total) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frag_total),
		cmocka_unit_test(known_lists),
		cmocka_unit_test(corrupted_header),
		cmocka_unit_test(gone_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
