#include "findings/doctor.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "findings/sysbackend.h"
#include "probe/cgroup.h"
#include "probe/kconfig.h"
#include "probe/procfs.h"
#include "probe/remote.h"
#include "probe/target.h"
#include "findings/glibclayout.h"
#include "findings/verified.h"
#include "util/size.h"
#include "util/spawn.h"

const char *ms_check_state_name(enum ms_check_state s)
{
	return s == MS_CHECK_YES ? "yes" : s == MS_CHECK_NO ? "no" : "unknown";
}

static void add(struct ms_doctor *d, const char *name, enum ms_check_state st,
		const char *hint, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct ms_doctor *d, const char *name, enum ms_check_state st,
		const char *hint, const char *fmt, ...)
{
	if (d->n >= MS_MAX_CHECKS)
		return;
	struct ms_check *c = &d->c[d->n++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->state = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	snprintf(c->hint, sizeof c->hint, "%s", st == MS_CHECK_YES || !hint ? "" : hint);
}

/* First line of `PROG --version`, or "" */
static void version_of(const char *prog, char *out, size_t n)
{
	char buf[512];
	char *argv[] = { (char *)prog, "--version", NULL };
	out[0] = 0;
	if (ms_run_capture(argv, buf, sizeof buf, 5000) < 0)
		return;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(out, n, "%s", buf);
}

static void check_tools(struct ms_doctor *d)
{
	char path[512], ver[256];
	if (ms_which("gdb", path, sizeof path)) {
		version_of(path, ver, sizeof ver);
		add(d, "gdb", MS_CHECK_YES, NULL, "%s (%s)", path, ver);
	} else {
		add(d, "gdb", MS_CHECK_NO, "apt-get install gdb", "gdb not in PATH: trim and the gdb-scripts oracles need it");
	}
	if (ms_which("bpftrace", path, sizeof path)) {
		version_of(path, ver, sizeof ver);
		add(d, "bpftrace", geteuid() == 0 ? MS_CHECK_YES : MS_CHECK_NO, "run as root",
		    "%s (%s)%s", path, ver, geteuid() == 0 ? "" : "; needs root to load programs");
	} else {
		add(d, "bpftrace", MS_CHECK_NO, "apt-get install bpftrace", "bpftrace not in PATH");
	}
}

static void check_kernel(struct ms_doctor *d, const struct ms_kconfig *kc)
{
	struct utsname u;
	uname(&u);
	char modules = ms_kconfig_get(kc, "CONFIG_MODULES");
	char build[300];
	snprintf(build, sizeof build, "/lib/modules/%s/build", u.release);
	int tree = access(build, F_OK) == 0;
	char stap[512];
	int have_stap = ms_which("stap", stap, sizeof stap);
	if (!have_stap) {
		add(d, "stap", MS_CHECK_NO, "apt-get install systemtap", "SystemTap (stap) not in PATH");
	} else {
		char ver[256];
		version_of(stap, ver, sizeof ver);
		add(d, "stap", MS_CHECK_YES, NULL, "%s (%s)", stap, ver);
	}
	if (modules == 'n')
		add(d, "stap_module_runtime", MS_CHECK_NO,
		    "use the bpf runtime (stap --runtime=bpf), bpftrace or tracefs instead",
		    "kernel %s has no module support (CONFIG_MODULES not set, %s): stap's default runtime cannot load",
		    u.release, kc->source);
	else if (!tree)
		add(d, "stap_module_runtime", MS_CHECK_NO,
		    "install the kernel headers and debug info for this kernel (e.g. linux-headers-$(uname -r))",
		    "no kernel build tree at %s", build);
	else
		add(d, "stap_module_runtime", have_stap ? MS_CHECK_YES : MS_CHECK_NO, "apt-get install systemtap",
		    "kernel modules supported (%c) and build tree at %s", modules, build);
	char stapbpf[512];
	if (!ms_which("stapbpf", stapbpf, sizeof stapbpf))
		add(d, "stap_bpf_runtime", MS_CHECK_NO, "apt-get install systemtap systemtap-runtime",
		    "stapbpf not found");
	else if (geteuid() != 0)
		add(d, "stap_bpf_runtime", MS_CHECK_NO, "run as root", "%s present; loading BPF needs root", stapbpf);
	else if (ms_kconfig_get(kc, "CONFIG_BPF_SYSCALL") == 'n')
		add(d, "stap_bpf_runtime", MS_CHECK_NO, "use tracefs or ptrace", "kernel without CONFIG_BPF_SYSCALL");
	else {
		/* scripts/stap-bpf-setup writes the kernel release to its stamp last */
		const char *cache = getenv("MEMSLEUTH_CACHE");
		char dir[PATH_MAX - 16], stamp[PATH_MAX], *rel = NULL;
		snprintf(dir, sizeof dir, "%s/stap-bpf", cache && cache[0] ? cache : "/var/cache/memsleuth");
		snprintf(stamp, sizeof stamp, "%s/stamp", dir);
		int ready = ms_read_file(stamp, &rel, NULL, 256, NULL) == 0 &&
			    !strncmp(rel, u.release, strlen(u.release));
		free(rel);
		add(d, "stap_bpf_runtime", MS_CHECK_YES, NULL,
		    "%s present, BPF available%s%s", stapbpf,
		    tree ? "" : ready ? "; the minimal kernel tree for this kernel is prepared in " :
		    "; needs a minimal kernel tree, which memsleuth syscalls --backend stap-bpf prepares",
		    !tree && ready ? dir : "");
	}

	int tracefs = access("/sys/kernel/tracing/trace", F_OK) == 0;
	int tracefs_w = access("/sys/kernel/tracing/instances", W_OK) == 0;
	if (!tracefs)
		add(d, "tracefs", MS_CHECK_NO, "mount -t tracefs nodev /sys/kernel/tracing (as root)",
		    "tracefs not mounted at /sys/kernel/tracing");
	else
		add(d, "tracefs", tracefs_w ? MS_CHECK_YES : MS_CHECK_NO, "run as root",
		    "mounted at /sys/kernel/tracing%s", tracefs_w ? ", instances writable" : ", not writable by this user");
	int debugfs = access("/sys/kernel/debug/tracing", F_OK) == 0;
	add(d, "debugfs", debugfs ? MS_CHECK_YES : MS_CHECK_NO,
	    "mount -t debugfs none /sys/kernel/debug (stap's bpf runtime opens uprobe_events there)",
	    debugfs ? "mounted at /sys/kernel/debug" : "not mounted at /sys/kernel/debug");
	char up = ms_kconfig_get(kc, "CONFIG_UPROBE_EVENTS");
	int up_file = access("/sys/kernel/tracing/uprobe_events", F_OK) == 0;
	add(d, "uprobes", up == 'y' || up_file ? MS_CHECK_YES : up == '?' ? MS_CHECK_UNKNOWN : MS_CHECK_NO,
	    "relaunch under the LD_PRELOAD hook (memsleuth hotspots -- CMD) instead",
	    "CONFIG_UPROBE_EVENTS=%c%s", up, up_file ? ", uprobe_events present" : "");
	char kp = ms_kconfig_get(kc, "CONFIG_KPROBES");
	add(d, "kprobes", kp == 'y' ? MS_CHECK_YES : kp == '?' ? MS_CHECK_UNKNOWN : MS_CHECK_NO,
	    "syscall tracepoints (tracefs, bpftrace, stap kernel.trace) work without kprobes",
	    "CONFIG_KPROBES=%c", kp);
	char *pbuf;
	if (ms_read_file("/proc/sys/kernel/perf_event_paranoid", &pbuf, NULL, 64, NULL) == 0) {
		long long paranoid = strtoll(pbuf, NULL, 10);   /* may be negative */
		free(pbuf);
		add(d, "perf_event_paranoid", paranoid <= 1 || geteuid() == 0 ? MS_CHECK_YES : MS_CHECK_NO,
		    "run as root, or sysctl kernel.perf_event_paranoid=1",
		    "kernel.perf_event_paranoid = %lld%s", paranoid,
		    geteuid() == 0 ? " (root is exempt)" : "");
	}
}

/* The backend `memsleuth syscalls` would pick now, without running the
 * stap-bpf set-up: the same decision, from the same code. */
static void check_syscall_backend(struct ms_doctor *d)
{
	struct ms_backend_choice c;
	struct ms_err e = { 0 };
	char stap[PATH_MAX];
	int bpf_later = geteuid() == 0 && ms_which("stap", stap, sizeof stap);
	if (ms_backend_choose(MS_BE_AUTO, 0, &c, &e) == 0)
		add(d, "syscalls_backend", MS_CHECK_YES, NULL, "%s without set-up%s (%s)", ms_backend_name(c.backend),
		    bpf_later && (c.backend == MS_BE_BPFTRACE || c.backend == MS_BE_PTRACE)   /* after stap-bpf in auto's order */
			    ? "; as root, memsleuth syscalls first prepares stap-bpf (a cached kernel tree) and prefers it" : "",
		    c.why);
	else
		add(d, "syscalls_backend", MS_CHECK_NO, e.hint[0] ? e.hint : "run as root", "%s", e.msg);
}

static void check_ptrace_host(struct ms_doctor *d)
{
	unsigned long long scope;
	int yama = ms_read_u64_file("/proc/sys/kernel/yama/ptrace_scope", &scope) == 0;
	int root = geteuid() == 0;
	if (!yama)
		add(d, "ptrace_scope", MS_CHECK_YES, NULL, "no Yama LSM: any process of the same user (or any, as root) can be traced");
	else
		add(d, "ptrace_scope", scope == 0 || (root && scope < 3) ? MS_CHECK_YES : MS_CHECK_NO,
		    scope == 3 ? "ptrace is disabled until reboot (ptrace_scope 3)"
			       : "run as root, or sysctl kernel.yama.ptrace_scope=0",
		    "kernel.yama.ptrace_scope = %llu%s", scope, root ? " (running as root)" : "");
}

/* Is the way memsleuth reads this glibc's private structures proven on it? */
static void check_layout(struct ms_doctor *d, const char *version)
{
	const struct ms_verified *v = ms_verified_find(version);
	char list[128];
	ms_verified_list(list, sizeof list);
	if (v)
		add(d, "glibc_layout", MS_CHECK_YES, NULL,
		    "glibc %s struct layouts verified by tests on %s (%s); verified: %s",
		    version, v->where, v->steps, list);
	else if (ms_version_cmp(version, MS_GLIBC_MIN) < 0 || ms_version_cmp(version, MS_GLIBC_MAX) > 0)
		add(d, "glibc_layout", MS_CHECK_NO,
		    "memsleuth arenas --assume-version X.Y reads it with a known layout; cross-check with gdb",
		    "glibc %s: outside the layouts memsleuth knows (%s to %s); verified: %s",
		    version, MS_GLIBC_MIN, MS_GLIBC_MAX, list);
	else
		add(d, "glibc_layout", MS_CHECK_NO,
		    "cross-check arena numbers with gdb and the release's debug info (p narenas, p main_arena)",
		    "glibc %s: unverified, no passing test on this release; its layout is taken from the "
		    "%s to %s table (heap_info %s); verified: %s",
		    version, MS_GLIBC_MIN, MS_GLIBC_MAX,
		    ms_version_cmp(version, "2.35") >= 0 ? "48 B from 2.35" : "32 B before 2.35", list);
}

/* Another PID namespace, mount namespace or chroot: which PIDs, and that
 * its files are read through /proc/PID/root and /proc/PID/map_files. */
static void check_namespaces(struct ms_doctor *d, const struct ms_target *t)
{
	const struct ms_status *st = &t->status;
	if (st->nspid_n > 1) {
		char chain[96] = "";
		size_t off = 0;
		for (int i = 0; i < st->nspid_n && off < sizeof chain; i++)
			off += (size_t)snprintf(chain + off, sizeof chain - off, "%s%d", i ? " " : "", (int)st->nspid[i]);
		d->ns_pid = st->nspid[st->nspid_n - 1];
		add(d, "pid_namespace", MS_CHECK_YES, NULL,
		    "process %d is PID %d in its own PID namespace (NSpid: %s)", (int)t->pid, (int)d->ns_pid, chain);
	} else {
		add(d, "pid_namespace", MS_CHECK_YES, NULL, "same PID namespace as memsleuth");
	}
	char ours[64] = "", theirs[64] = "", link[64];
	snprintf(link, sizeof link, "/proc/%d/ns/mnt", (int)t->pid);
	ssize_t n = readlink(link, theirs, sizeof theirs - 1);
	theirs[n > 0 ? n : 0] = 0;
	n = readlink("/proc/self/ns/mnt", ours, sizeof ours - 1);
	ours[n > 0 ? n : 0] = 0;
	int other_ns = theirs[0] && ours[0] && strcmp(theirs, ours);
	int chrooted = t->root_link[0] && strcmp(t->root_link, "/");
	if (!t->root_link[0])
		add(d, "filesystem_view", MS_CHECK_NO, "run as root or as the process owner",
		    "%s unreadable: the target's libc and debug info cannot be reached", t->root);
	else if (other_ns || chrooted)
		add(d, "filesystem_view", MS_CHECK_YES, NULL,
		    "%s%s%s%s: its libc and debug info are read through %s and /proc/%d/map_files",
		    other_ns ? "own mount namespace " : "", other_ns ? theirs : "",
		    chrooted ? (other_ns ? ", root at " : "root at ") : "", chrooted ? t->root_link : "",
		    t->root, (int)t->pid);
	else
		add(d, "filesystem_view", MS_CHECK_YES, NULL, "same mount namespace and root as memsleuth");
}

static void check_target(struct ms_doctor *d, const struct ms_target *t)
{
	struct ms_remote r;
	struct ms_err e = { 0 };
	int readable = 0;
	char *buf = NULL, *env = NULL;
	size_t len = 0, envlen = 0;
	struct ms_maps maps = { 0 };
	if (ms_proc_read(t->pid, "maps", &buf, &len, &e) == 0)
		ms_maps_parse(buf, len, &maps, NULL);
	free(buf);
	if (ms_remote_open(&r, t->pid, &e) == 0) {
		unsigned char b;
		readable = maps.n && ms_remote_read_exact(&r, maps.v[0].start, &b, 1) == 0;
		if (!readable)
			ms_err_set(&e, errno, NULL, NULL, "reading memory of process %d", (int)t->pid);
		ms_remote_close(&r);
	}
	if (readable)
		add(d, "memory_read", MS_CHECK_YES, NULL, "process_vm_readv on process %d works", (int)t->pid);
	else
		add(d, "memory_read", MS_CHECK_NO,
		    "run as root or as the process owner; check kernel.yama.ptrace_scope", "%s", e.msg);
	ms_proc_read(t->pid, "environ", &env, &envlen, NULL);
	struct ms_libc lc;
	if (ms_libc_identify(t, &maps, env, envlen, &lc, &e) < 0) {
		add(d, "target_libc", MS_CHECK_UNKNOWN, "run as root", "%s", e.msg);
	} else {
		if (lc.libc_found)
			add(d, "target_libc", MS_CHECK_YES, NULL, "%s (%d-bit), read as %s", lc.libc_path,
			    lc.elf.elf_class, lc.libc_file);
		else
			add(d, "target_libc", MS_CHECK_NO, "arena analysis needs a dynamically linked glibc",
			    "no shared libc mapped: %s", lc.elf.has_interp ? "unusual loader" : "statically linked");
		if (lc.elf.glibc_version[0]) {
			add(d, "glibc_version", MS_CHECK_YES, NULL, "%s (%s)", lc.elf.glibc_version, lc.elf.glibc_banner);
			check_layout(d, lc.elf.glibc_version);
		} else
			add(d, "glibc_version", MS_CHECK_NO, "glibc-specific steps (arenas, trim) do not apply",
			    "not glibc%s", lc.allocator == MS_ALLOC_MUSL ? ": musl libc" : "");
		enum ms_check_state st = lc.allocator == MS_ALLOC_GLIBC ? MS_CHECK_YES : MS_CHECK_NO;
		if (lc.allocator_dso[0])
			add(d, "allocator", st, "overview, syscalls and hotspots still work; arenas and trim are glibc-only",
			    "%s (%s%s) replaces glibc malloc", ms_allocator_name(lc.allocator), lc.allocator_dso,
			    lc.preloaded ? ", via LD_PRELOAD" : ", linked");
		else
			add(d, "allocator", st, "overview and syscalls still work; arenas and trim are glibc-only",
			    "%s", lc.allocator == MS_ALLOC_GLIBC ? "glibc ptmalloc2" : ms_allocator_name(lc.allocator));
		if (lc.debuginfo_ignored)
			add(d, "libc_debuginfo", MS_CHECK_NO, "drop --no-debuginfo and unset MEMSLEUTH_NO_DEBUGINFO",
			    "ignored on request (--no-debuginfo or MEMSLEUTH_NO_DEBUGINFO=1)");
		else if (lc.has_debuginfo)
			add(d, "libc_debuginfo", MS_CHECK_YES, NULL, "%s (build-id %s)", lc.debuginfo, lc.elf.build_id);
		else if (lc.libc_found)
			add(d, "libc_debuginfo", MS_CHECK_NO,
			    "apt-get install libc6-dbg (Debian/Ubuntu) or debuginfo-install glibc (RHEL); memsleuth works without it",
			    "no debug file for build-id %s under %s/usr/lib/debug/.build-id",
			    lc.elf.build_id[0] ? lc.elf.build_id : "(none)", t->root);
		if (lc.libc_found)
			add(d, "sdt_probes", lc.elf.sdt_memory_probes ? MS_CHECK_YES : MS_CHECK_NO,
			    "Debian's glibc has none; stap uses uprobes on functions instead (needs libc6-dbg for internals)",
			    "%d SDT probes in libc, %d memory_* (arena/heap/sbrk events)", lc.elf.sdt_probes,
			    lc.elf.sdt_memory_probes);
		int dynamic = lc.elf.has_interp || lc.libc_found;
		add(d, "ld_preload_hook", dynamic ? MS_CHECK_YES : MS_CHECK_NO,
		    "a static binary cannot load the malloc hook: use uprobes (memsleuth hotspots PID) instead",
		    dynamic ? "dynamically linked: the LD_PRELOAD hook can be used on a relaunch" : "statically linked");
	}
	struct ms_cgroup_mem cg;
	if (ms_cgroup_memory(t->pid, "/sys/fs/cgroup", &cg) == 0) {
		char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
		if (cg.limit == MS_CG_UNLIMITED)
			add(d, "cgroup_memory", MS_CHECK_YES, NULL, "cgroup v%d %s: no limit, usage %s", cg.version,
			    cg.path, ms_size_fmt(cg.usage, b));
		else
			add(d, "cgroup_memory", MS_CHECK_YES, NULL, "cgroup v%d %s: limit %s, usage %s", cg.version,
			    cg.path, ms_size_fmt(cg.limit, a), ms_size_fmt(cg.usage, b));
	} else {
		add(d, "cgroup_memory", MS_CHECK_UNKNOWN, "check that the cgroup filesystem is mounted at /sys/fs/cgroup",
		    "memory cgroup of process %d not found", (int)t->pid);
	}
	free(env);
	ms_maps_free(&maps);
}

/* Without a target: this host's own libc, the one memsleuth itself maps
 * (its path differs between architectures and distributions). */
static void check_host_libc(struct ms_doctor *d)
{
	struct ms_target self;
	struct ms_err le = { 0 };
	struct ms_maps maps = { 0 };
	struct ms_libc lc;
	char *buf = NULL;
	size_t len = 0;
	int ok = ms_target_open(getpid(), &self, &le) == 0 &&
		 ms_proc_read(getpid(), "maps", &buf, &len, &le) == 0 &&
		 ms_maps_parse(buf, len, &maps, &le) == 0;
	self.root[0] = 0;   /* our own files: plain host paths */
	if (!ok || ms_libc_identify(&self, &maps, NULL, 0, &lc, &le) < 0) {
		add(d, "glibc_version", MS_CHECK_UNKNOWN, NULL, "host libc: %s", le.msg);
	} else if (!lc.libc_found) {
		add(d, "glibc_version", MS_CHECK_UNKNOWN, NULL, "memsleuth is linked statically: host libc not seen");
	} else {
		add(d, "glibc_version", lc.elf.glibc_version[0] ? MS_CHECK_YES : MS_CHECK_NO, NULL,
		    "host libc %s: %s", lc.libc_path, lc.elf.glibc_version[0] ? lc.elf.glibc_version : "not glibc");
		if (lc.elf.glibc_version[0])
			check_layout(d, lc.elf.glibc_version);
		if (lc.debuginfo_ignored)
			add(d, "libc_debuginfo", MS_CHECK_NO, "drop --no-debuginfo and unset MEMSLEUTH_NO_DEBUGINFO",
			    "ignored on request (--no-debuginfo or MEMSLEUTH_NO_DEBUGINFO=1)");
		else
			add(d, "libc_debuginfo", lc.has_debuginfo ? MS_CHECK_YES : MS_CHECK_NO,
			    "apt-get install libc6-dbg; memsleuth works without it",
			    lc.has_debuginfo ? "%s" : "no debug file for build-id %s",
			    lc.has_debuginfo ? lc.debuginfo : lc.elf.build_id);
		add(d, "sdt_probes", lc.elf.sdt_memory_probes ? MS_CHECK_YES : MS_CHECK_NO,
		    "Debian's glibc has none; uprobes on functions work instead",
		    "%d SDT probes in libc, %d memory_*", lc.elf.sdt_probes, lc.elf.sdt_memory_probes);
	}
	free(buf);
	ms_maps_free(&maps);
}

int ms_doctor_collect(pid_t pid, struct ms_doctor *d, struct ms_err *e)
{
	memset(d, 0, sizeof *d);
	d->pid = pid;
	struct ms_target t;
	if (pid > 0) {
		if (ms_target_open(pid, &t, e) < 0)
			return -1;
		snprintf(d->target_name, sizeof d->target_name, "%s", t.status.name);
	}
	add(d, "root", geteuid() == 0 ? MS_CHECK_YES : MS_CHECK_NO,
	    "tracing (tracefs, bpf, stap) needs root; overview and arenas work on your own processes",
	    "effective uid %d", (int)geteuid());
	check_ptrace_host(d);
	if (pid > 0) {
		check_namespaces(d, &t);
		check_target(d, &t);
	} else {
		check_host_libc(d);
	}
	check_tools(d);
	struct ms_kconfig kc;
	ms_kconfig_load(&kc);
	check_kernel(d, &kc);
	ms_kconfig_free(&kc);
	check_syscall_backend(d);
	return 0;
}
