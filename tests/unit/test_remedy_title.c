/* A process whose command line is a title it wrote (trial 5, T5-2: a
 * PostgreSQL backend's "postgres: postgres postgres [local] idle" padded
 * with NULs) gets no command made of that title: the title is told apart
 * from a real argv (probe/procfs.h ms_cmdline_title), its remedies say
 * where a setting goes (the process that starts it, its parent) and what
 * compare needs; a real argv keeps its relaunch command, and trailing NULs
 * are never '' arguments. */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings/causes.h"
#include "probe/procfs.h"

#define MIB (1ull << 20)

static int title(const char *raw, size_t n, const char *exe, char *why, size_t len)
{
	struct ms_exe_view v = { .exe = exe, .root = "" };
	return ms_cmdline_title(raw, n, &v, why, len);
}

#define RAW(s) s, sizeof(s) - 1   /* the bytes with their NULs, without C's own */

/* The trial's backend: 132 bytes, the title then NULs. */
static void postgres_backend_is_a_title(void **state)
{
	(void)state;
	char raw[132] = "postgres: postgres postgres [local] idle", why[320];
	assert_int_equal(title(raw, sizeof raw, "/usr/lib/postgresql/15/bin/postgres", why, sizeof why), 1);
	assert_string_equal(why, "argv[0] 'postgres: postgres postgres [local] idle' does not name its executable "
			    "/usr/lib/postgresql/15/bin/postgres, holds ': ' and 91 NUL bytes pad its end: a title "
			    "the program wrote over its arguments, not a command that starts it");
	/* the executable not readable: ": " and the padding still tell */
	assert_int_equal(title(raw, sizeof raw, NULL, why, sizeof why), 1);
	assert_non_null(strstr(why, "holds ': ' and 91 NUL bytes"));
	/* nginx's worker, Node's process.title: padded, argv[0] not the executable */
	assert_int_equal(title(RAW("nginx: worker process\0\0\0\0\0\0\0"), "/usr/sbin/nginx", why, sizeof why), 1);
	assert_int_equal(title(RAW("myapp\0\0\0\0\0\0\0\0\0\0"), "/usr/bin/node", why, sizeof why), 1);
	assert_non_null(strstr(why, "does not name its executable /usr/bin/node and 9 NUL bytes pad its end"));
}

/* Real argvs: the executable by name, through PATH and symlinks, an
 * interpreter's versioned name, a login shell; an empty argument between
 * others is no padding. */
static void real_argv_is_no_title(void **state)
{
	(void)state;
	char why[320];
	char exe[PATH_MAX];
	assert_non_null(realpath("/bin/sh", exe));   /* Debian: /usr/bin/dash */
	assert_int_equal(title(RAW("sh\0-c\0sleep 1\0"), exe, why, sizeof why), 0);   /* sh found in PATH, a symlink */
	assert_string_equal(why, "");
	assert_int_equal(title(RAW("/bin/sh\0-c\0x\0"), exe, why, sizeof why), 0);    /* by its path */
	assert_int_equal(title(RAW("python3\0app.py\0"), "/usr/bin/python3.11", why, sizeof why), 0);
	assert_int_equal(title(RAW("-bash\0"), "/usr/bin/bash", why, sizeof why), 0);
	assert_int_equal(title(RAW("/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/pg\0"),
			       "/usr/lib/postgresql/15/bin/postgres", why, sizeof why), 0);   /* the postmaster */
	assert_int_equal(title(RAW("prog\0\0x\0"), "/opt/prog", why, sizeof why), 0);
	/* exec -a NAME: argv[0] is not the executable, but nothing a title has */
	assert_int_equal(title(RAW("name\0arg\0"), "/usr/bin/foo", why, sizeof why), 0);
	/* the executable unknown: padding alone, or ": " alone, is not enough */
	assert_int_equal(title(RAW("a: b\0c\0"), NULL, why, sizeof why), 0);
	assert_int_equal(title(RAW("ab\0\0\0\0"), NULL, why, sizeof why), 0);
	assert_int_equal(title("", 0, "/bin/x", why, sizeof why), 0);
}

/* A live process: its argv quoted for a shell, empty arguments between
 * others as '', and a title (here: one whose argv[0] names nothing)
 * gives no command but its parent. */
static void live_command_line(void **state)
{
	(void)state;
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 5; :", "x", "", "a b", (char *)NULL);
		_exit(127);
	}
	char cmd[512] = "", cwd[256], want[64];
	struct ms_proc_origin o;
	int rc = -1;
	for (int i = 0; i < 200 && rc < 0; i++) {   /* until the exec is seen */
		rc = ms_proc_command(p, cmd, sizeof cmd, cwd, sizeof cwd, &o) == 0 && !strncmp(cmd, "sh ", 3) ? 0 : -1;
		if (rc < 0)
			usleep(10000);
	}
	assert_int_equal(rc, 0);
	assert_string_equal(cmd, "sh -c 'sleep 5; :' x '' 'a b'");
	assert_int_equal(o.title, 0);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);

	p = fork();
	assert_true(p >= 0);
	if (p == 0) {   /* a title over argv, padded: exec -a gives that argv[0] */
		execl("/bin/sh", "worker: idle", "-c", "sleep 5; :", "", "", "", (char *)NULL);
		_exit(127);
	}
	rc = -1;
	for (int i = 0; i < 200 && rc < 0; i++) {
		ms_proc_command(p, cmd, sizeof cmd, NULL, 0, &o);
		rc = o.title ? 0 : -1;
		if (rc < 0)
			usleep(10000);
	}
	assert_int_equal(rc, 0);
	assert_string_equal(cmd, "");
	assert_string_equal(o.text, "worker: idle");
	assert_int_equal(o.parent, getpid());
	snprintf(want, sizeof want, "/proc/%d/exe", (int)getpid());
	char self[256];
	ssize_t l = readlink(want, self, sizeof self - 1);
	self[l > 0 ? l : 0] = 0;
	assert_string_equal(o.parent_exe, self);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

static void top_kept_facts(struct ms_cause_facts *f)
{
	ms_cause_facts_init(f, 17462);
	f->rss = 80 * MIB;
	f->have_overview = 1;
	f->have_arenas = 1;
	f->arenas = 1;
	f->no_dyn_threshold = 0;
	f->mmap_threshold = 25169920;
	f->trim_threshold = 50339840;
	f->main_top = f->main_top_resident = f->main_trim_top = 20 * MIB;
	f->main_trim = 28 * MIB;
	snprintf(f->allocator, sizeof f->allocator, "glibc");
}

static int has_exact(const struct ms_cause_remedy *r, int n, const char *command)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].command, command))
			return 1;
	return 0;
}

/* Its remedies: the setting in words, in the parent's environment; no
 * command made of the title, no compare run on it. */
static void title_remedies_name_the_parent(void **state)
{
	(void)state;
	static struct ms_cause_facts f;
	static struct ms_causes c;
	top_kept_facts(&f);
	f.origin.title = 1;
	snprintf(f.origin.text, sizeof f.origin.text, "postgres: postgres postgres [local] idle");
	snprintf(f.origin.why, sizeof f.origin.why, "argv[0] 'postgres: postgres postgres [local] idle' ...");
	f.origin.parent = 17400;
	snprintf(f.origin.parent_exe, sizeof f.origin.parent_exe, "/usr/lib/postgresql/15/bin/postgres");
	ms_causes_build(&f, &c);
	struct ms_cause_remedy r[32];
	int n, settings = 0;
	ms_causes_remedies(&c, r, 32, &n);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		assert_null(strstr(r[i].command, "''"));
		assert_null(strstr(r[i].command, " CMD"));
		assert_null(strstr(r[i].measure_with, "compare"));
		if (!strstr(r[i].command, "GLIBC_TUNABLES") && !strstr(r[i].command, "LD_PRELOAD"))
			continue;
		settings++;
		assert_true(r[i].advice);
		assert_non_null(strstr(r[i].command, " in the environment of the process that starts 17462: its parent "
					"17400 (/usr/lib/postgresql/15/bin/postgres), e.g. the service's unit or its "
					"environment file"));
		assert_non_null(strstr(r[i].no_command, "process 17462: argv[0] 'postgres: "));
		assert_string_equal(r[i].measure_with, "");
		assert_true(r[i].measure_config[0]);
		char d[1024];
		ms_cause_remedy_describe(&r[i], d, sizeof d);
		assert_non_null(strstr(d, "compare needs a command that starts the workload (e.g. the service's start "
					  "command), not the process's title: memsleuth compare -c glibc,"));
	}
	assert_true(settings >= 2);   /* fixed thresholds and jemalloc */
	assert_true(has_exact(r, n, "set GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold="
				    "131072 in the environment of the process that starts 17462: its parent 17400 "
				    "(/usr/lib/postgresql/15/bin/postgres), e.g. the service's unit or its environment file"));

	/* the same facts with a command: the relaunch command as ever */
	top_kept_facts(&f);
	snprintf(f.command, sizeof f.command, "./server --port 1");
	ms_causes_build(&f, &c);
	ms_causes_remedies(&c, r, 32, &n);
	assert_true(has_exact(r, n, "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold="
				    "131072 ./server --port 1"));
	for (int i = 0; i < n; i++)
		assert_string_equal(r[i].no_command, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postgres_backend_is_a_title),
		cmocka_unit_test(real_argv_is_no_title),
		cmocka_unit_test(live_command_line),
		cmocka_unit_test(title_remedies_name_the_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
