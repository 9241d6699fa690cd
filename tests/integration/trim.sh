# memsleuth trim: the call really returns memory (checked against /proc),
# refusals and failures are one-line errors, and after every case the
# target is neither stopped nor traced and still exits cleanly.
source "$(dirname "$0")/lib.sh"
matrix_row "glibc $(ldd --version | head -1 | awk '{print $NF}')" host debuginfo glibc; MATRIX_STEP=trim

# state_ok NAME PID: running or sleeping, no tracer (the invariant)
state_ok() {
	local st tr
	st=$(awk '/^State:/ {print $2}' "/proc/$2/status" 2>/dev/null)
	tr=$(awk '/^TracerPid:/ {print $2}' "/proc/$2/status" 2>/dev/null)
	check_match "$1: target not stopped" "$st" '^[RSD]$'
	check_eq "$1: target not traced" "$tr" 0
}
# ends_clean NAME PID: the example exits 0 on SIGTERM only from its sigwait,
# so a target left inside an abandoned call would not.
ends_clean() {
	kill -TERM "$2"; wait "$2"; check_eq "$1: target still exits cleanly" "$?" 0
}
vmrss() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }

# 1. without --yes and without a TTY nothing is done
start_example pin freed --count 100000 || exit 1
before=$(vmrss "$EX_PID")
check_status "no --yes, no TTY: exit 0" 0 "$MS" trim "$EX_PID"
check_match "no --yes: says nothing was done" "$(cat "$TMP/err")" "not confirmed, nothing done"
check_within "no --yes: RSS unchanged" "$(vmrss "$EX_PID")" "$before" 3

# 2. --yes --json: 100,000 x 1 KiB freed below a pin, ~100 MiB returned
"$MS" trim "$EX_PID" --yes --json >"$TMP/t.json" 2>"$TMP/t.err"
check_eq "trim --yes: exit" "$?" 0
check_eq "method" "$(jq -r .method "$TMP/t.json")" ptrace
check_eq "schema_version 2, call_s a number (docs/json.md)" "$(jq -c '[.schema_version, (.call_s | type), has("call_seconds")]' "$TMP/t.json")" '[2,"number",false]'
check_eq "the blocked main thread made the call" "$(jq -r '[.thread, .thread_was_in_syscall] | @tsv' "$TMP/t.json")" "$EX_PID	true"
check_eq "extended register state put back" "$(jq -r .xstate_restored "$TMP/t.json")" true
check_eq "malloc_trim returned 1" "$(jq -r .malloc_trim_result "$TMP/t.json")" 1
rb=$(jq -r .rss_before_bytes "$TMP/t.json"); ra=$(jq -r .rss_after_bytes "$TMP/t.json")
check_cmp "RSS before holds the freed 100 MiB" "$rb" -gt $((95 << 20))
check_cmp "RSS after is small" "$ra" -lt $((12 << 20))
check_within "rss_after matches /proc VmRSS" "$(vmrss "$EX_PID")" "$ra" 3
check_eq "returned = before - after" "$(jq -r .returned_bytes "$TMP/t.json")" $((rb - ra))
pred=$(jq -r .predicted_bytes "$TMP/t.json")
if [ "$pred" = null ]; then
	check_match "prediction unavailable says why" "$(jq -r .prediction_unavailable "$TMP/t.json")" "arenas"
else
	check_within "arenas prediction vs bytes returned" "$pred" $((rb - ra)) 2
	check_eq "prediction_error_bytes = returned - predicted" "$(jq -r .prediction_error_bytes "$TMP/t.json")" $((rb - ra - pred))
fi
state_ok "after trim" "$EX_PID"
ends_clean "after trim" "$EX_PID"

# 3. a PID that is gone
true & gone=$!; wait "$gone"
check_status "gone PID: exit 2" 2 "$MS" trim "$gone" --yes
check_match "gone PID: one-line error" "$(cat "$TMP/err")" "^memsleuth trim: process $gone: No such process \(check the PID"

# 4. not permitted (unprivileged user on root's process), gdb missing
start_example pin freed --count 1000 || exit 1
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	check_status "not permitted: exit 2" 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$MS" trim "$EX_PID" --yes
	check_match "not permitted: says so and how out" "$(cat "$TMP/err")" "Permission denied \(run as root or as the process owner"
	state_ok "not permitted" "$EX_PID"
else
	skip "not permitted: needs root and setpriv"
fi
check_status "gdb missing: exit 2" 2 env PATH=/nonexistent "$MS" trim "$EX_PID" --yes --method gdb
check_eq "gdb missing: error" "$(cat "$TMP/err")" "memsleuth trim: gdb: not found in PATH (install it: apt-get install gdb)"
state_ok "gdb missing" "$EX_PID"
ends_clean "gdb missing" "$EX_PID"

# 5. not glibc: jemalloc preloaded
je=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$je" ]; then
	LD_PRELOAD=$je start_example pin freed --count 1000 || exit 1
	check_status "jemalloc target refused: exit 2" 2 "$MS" trim "$EX_PID" --yes
	check_match "jemalloc target refused: says why" "$(cat "$TMP/err")" "allocator is jemalloc .*, not glibc"
	stop_example "$EX_PID"
else
	skip "jemalloc target: libjemalloc2 not installed"
fi

# 6. a call that cannot finish: another thread holds the main arena's lock
#    (malloc_stats prints to stderr while it holds it, and stderr is a full
#    pipe nobody reads), so malloc_trim waits for the lock in futex(2).
cat >"$TMP/holdlock.c" <<'C'
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *stats(void *a) { (void)a; malloc_stats(); return NULL; }
int main(void)
{
	int p[2]; char buf[4096] = { 0 };
	sigset_t set; int sig;
	free(malloc(100));
	if (pipe(p)) return 1;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	while (write(p[1], buf, sizeof buf) > 0) ;
	fcntl(p[1], F_SETFL, 0);
	dup2(p[1], 2);
	sigemptyset(&set); sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pthread_t t; pthread_create(&t, NULL, stats, NULL);
	sleep(1);
	/* no stdio from here: its buffer would come from malloc, whose lock is held */
	char line[80]; int n = snprintf(line, sizeof line, "memsleuth-example: pid=%d phase=locked\n", (int)getpid());
	if (write(1, line, (size_t)n) != n) return 1;
	sigwait(&set, &sig);
	_exit(0);
}
C
# start_locked: the program above, waiting with the lock held by its thread
start_locked() {
	"$TMP/holdlock" >"$TMP/hl.out" & EX_PID=$!; _pids+=("$EX_PID")
	for _ in $(seq 1 100); do grep -q phase=locked "$TMP/hl.out" && return 0; sleep 0.1; done
	echo "holdlock did not start"; return 1
}
if cc -o "$TMP/holdlock" "$TMP/holdlock.c" -lpthread; then
	start_locked || exit 1
	t0=$(date +%s)
	check_status "call waiting for a lock: exit 2" 2 "$MS" trim "$EX_PID" --yes --timeout 2
	check_cmp "call waiting for a lock: gave up within 8 s" $(( $(date +%s) - t0 )) -le 8
	check_match "call waiting for a lock: timeout reported" "$(cat "$TMP/err")" "did not return in time; abandoned while it waited in a system call, registers restored"
	state_ok "call waiting for a lock" "$EX_PID"
	ends_clean "call waiting for a lock" "$EX_PID"

	# 7. memsleuth itself gets SIGTERM during the call
	start_locked || exit 1
	"$MS" trim "$EX_PID" --yes --timeout 60 >"$TMP/o" 2>"$TMP/e" & ms=$!
	sleep 1.5; kill -TERM "$ms"; wait "$ms"
	check_eq "SIGTERM during the call: exit" "$?" 2
	check_match "SIGTERM during the call: reported" "$(cat "$TMP/e")" "interrupted; abandoned while it waited in a system call"
	state_ok "SIGTERM during the call" "$EX_PID"
	ends_clean "SIGTERM during the call" "$EX_PID"
else
	skip "call waiting for a lock: no C compiler"
fi

# 8. A JVM: never gdb by default; the JDK's own jcmd System.trim_native_heap
if command -v java >/dev/null && command -v javac >/dev/null && command -v jcmd >/dev/null; then
	cat >"$TMP/Hold.java" <<'J'
public class Hold { public static void main(String[] a) throws Exception { System.out.println("ready"); System.out.flush(); Thread.sleep(120000); } }
J
	javac -d "$TMP" "$TMP/Hold.java"
	java -Xmx64m -cp "$TMP" Hold >"$TMP/java.out" 2>&1 & jp=$!; _pids+=("$jp")
	for _ in $(seq 1 100); do grep -q ready "$TMP/java.out" && break; sleep 0.1; done
	check_status "JVM without --yes: exit 0" 0 "$MS" trim "$jp"
	check_match "JVM: warns that a debugger call can crash it" "$(cat "$TMP/err")" "is a JVM; calling into it from a debugger can crash it"
	if jcmd "$jp" help 2>/dev/null | grep -q System.trim_native_heap; then
		"$MS" trim "$jp" --yes --json >"$TMP/j.json" 2>"$TMP/j.err"
		check_eq "JVM --yes: exit" "$?" 0
		check_eq "JVM: method is jcmd, not gdb" "$(jq -r .method "$TMP/j.json")" jcmd
		check_match "JVM: the JVM's own account of the trim" "$(jq -r .jcmd_output "$TMP/j.json")" '^Trim native heap: RSS\+Swap: [0-9]+K->[0-9]+K'
		check_match "JVM: offers the exact jcmd line" "$(cat "$TMP/j.err")" "jcmd $jp System.trim_native_heap"
	else
		check_status "JVM without System.trim_native_heap: refused" 2 "$MS" trim "$jp" --yes
	fi
	state_ok "JVM" "$jp"
	kill "$jp"; wait "$jp" 2>/dev/null || true
else
	skip "JVM: no JDK (java, javac, jcmd)"
fi

# 9. Someone else's tracer or stop is respected: refused, left as found.
start_example pin freed --count 1000 || exit 1
if command -v strace >/dev/null; then
	strace -p "$EX_PID" -o /dev/null 2>/dev/null & st=$!
	for _ in $(seq 1 50); do [ "$(awk '/^TracerPid:/ {print $2}' "/proc/$EX_PID/status")" != 0 ] && break; sleep 0.1; done
	check_status "already traced: exit 2" 2 "$MS" trim "$EX_PID" --yes
	check_eq "already traced: error" "$(cat "$TMP/err")" "memsleuth trim: process $EX_PID (pin): already traced by process $st (detach the debugger or strace first)"
	kill "$st"; wait "$st" 2>/dev/null || true
else
	skip "already traced: no strace"
fi
kill -STOP "$EX_PID"
check_status "stopped target: exit 2" 2 "$MS" trim "$EX_PID" --yes
check_eq "stopped target: left stopped as found" "$(awk '/^State:/ {print $2}' "/proc/$EX_PID/status")" T
kill -CONT "$EX_PID"
state_ok "after the refusals" "$EX_PID"
ends_clean "after the refusals" "$EX_PID"

# 10. gdb itself hangs (a stand-in that ignores every polite signal): the
#     target is stopped to end the call, gdb is killed, and the target is
#     found stopped without a tracer and resumed.
mkdir -p "$TMP/fakegdb"
printf '#!/bin/sh\ntrap "" INT TERM\nwhile :; do sleep 1; done\n' >"$TMP/fakegdb/gdb"
chmod +x "$TMP/fakegdb/gdb"
start_example pin freed --count 1000 || exit 1
check_status "gdb hangs: exit 2" 2 env PATH="$TMP/fakegdb:$PATH" "$MS" trim "$EX_PID" --yes --timeout 1 --method gdb
check_match "gdb hangs: killed, target resumed" "$(cat "$TMP/err")" "gdb did not finish and was killed; the kernel detached it \(the target was left stopped and has been resumed with SIGCONT\)"
check_eq "gdb hangs: no stand-in left running" "$(pgrep -fc "$TMP/fakegdb" || true)" 0
state_ok "gdb hangs" "$EX_PID"
ends_clean "gdb hangs" "$EX_PID"

# 11. A thread that never blocks, with live values in AVX registers: the
#     call is made on it in user space; every register, the extended state
#     included, is put back (the workload checks its own sums).
"$EX/vector_spin" >"$TMP/vs.out" 2>&1 & vs=$!; _pids+=("$vs")
for _ in $(seq 1 100); do grep -q phase=spinning "$TMP/vs.out" && break; sleep 0.1; done
ok=0
for _ in 1 2 3 4 5; do
	"$MS" trim "$vs" --yes --json >"$TMP/vs.json" 2>"$TMP/err" && ok=$((ok + 1))
done
check_eq "spinning thread: 5 calls made" "$ok" 5
check_eq "spinning thread: called in user space" "$(jq -r .thread_was_in_syscall "$TMP/vs.json")" false
kill -TERM "$vs"; wait "$vs"
check_eq "spinning thread: no register came back wrong" "$?" 0
check_match "spinning thread: it kept computing" "$(cat "$TMP/vs.out")" "iterations=[1-9][0-9]* wrong=0"

# 12. gdb's own call, where this host's gdb can write the registers back
#     (Debian 12's gdb 13 cannot on CPUs with AMX: the kernel wants the
#     whole XSAVE area).
start_example pin freed --count 100000 || exit 1
"$MS" trim "$EX_PID" --yes --json --method gdb >"$TMP/g.json" 2>"$TMP/g.err"
if grep -q "Couldn't write extended state" "$TMP/g.err"; then
	skip "trim --method gdb: this host's gdb cannot restore the x86 extended state ($(grep -o -m1 -w amx_tile /proc/cpuinfo || echo 'no AMX')); the ptrace method is the default"
else
	check_eq "trim --method gdb: method" "$(jq -r .method "$TMP/g.json")" gdb
	check_eq "trim --method gdb: malloc_trim returned 1" "$(jq -r .malloc_trim_result "$TMP/g.json")" 1
fi
state_ok "after gdb's call" "$EX_PID"
ends_clean "after gdb's call" "$EX_PID"
