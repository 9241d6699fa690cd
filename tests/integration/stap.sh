#!/usr/bin/env bash
# memsleuth stap: scripts in the tapset's style run on this host.
#  - the preflight names what cannot run (line numbers) and stap is never
#    started (a stap in PATH that records each call);
#  - a script with what the bpf runtime has (-c 'CMD'), and two tapset
#    scripts after --translate (-- CMD), count exactly what strace counts
#    on syscall_mix;
#  - --symbols resolves malloc's callers like gdb's `info line`;
#  - Ctrl-C, SIGTERM and SIGKILL (then the next run) leave no uprobe event,
#    tracefs instance, work directory or .bo file.
source "$(dirname "$0")/lib.sh"
# the stap work directories go to TMPDIR: ours, so that another run's sweep
# of the shared /tmp cannot take the one the SIGKILL check leaves
export TMPDIR=$TMP
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S=$ROOT/tests/integration/stap

# --- preflight: no stap needed to run, none started ---
mkdir -p "$TMP/bin"
printf '#!/bin/sh\necho "$@" >> %s/stap.called\nexec /usr/bin/stap "$@"\n' "$TMP" > "$TMP/bin/stap"
chmod +x "$TMP/bin/stap"
if command -v stap >/dev/null && [ "$(id -u)" = 0 ]; then
	PATH="$TMP/bin:$PATH" "$MS" stap --runtime bpf "$S/bad_constructs.stp" -c true LIBC >"$TMP/pf.out" 2>"$TMP/pf.err"
	check_eq "preflight: exit 2" "$?" 2
	check_match "preflight: print_ubacktrace on line 11" "$(cat "$TMP/pf.err")" "bad_constructs.stp:11: print_ubacktrace: .*ms_ucaller\(\)"
	check_match "preflight: kprobe on line 14" "$(cat "$TMP/pf.err")" "bad_constructs.stp:14: kprobe: this kernel has no CONFIG_KPROBES"
	check_match "preflight: %d on line 14" "$(cat "$TMP/pf.err")" "bad_constructs.stp:14: %d: .*write %ld"
	check_match "preflight: @hist_log on line 16" "$(cat "$TMP/pf.err")" "bad_constructs.stp:16: @hist_log: .*buckets in an array"
	check_eq "preflight: nothing from comments or strings (lines 3, 10)" \
		"$(grep -c 'stp:3:\|stp:10:' "$TMP/pf.err")" 0
	check_match "preflight: summary line" "$(tail -1 "$TMP/pf.err")" "3 constructs cannot run here \(stap not started\)"
	check_eq "preflight: stap never started" "$(cat "$TMP/stap.called" 2>/dev/null | wc -l)" 0
fi

command -v stap >/dev/null || { skip "stap not installed (scripts/install-deps)"; exit 0; }
need_root "memsleuth stap runs" || exit 0
"$MS" doctor 2>/dev/null | grep -q 'stap' || true
TREE=$("$BUILD/stap-bpf-setup" 2>/dev/null | sed -n 's/^STAP_BPF_TREE=//p')
[ -n "$TREE" ] || { skip "stap bpf runtime cannot be prepared here (build/stap-bpf-setup fails)"; exit 0; }

leftovers() {   # uprobe events, tracefs instances, work dirs, .bo files
	local u i d b
	u=$(cat /sys/kernel/tracing/uprobe_events /sys/kernel/debug/tracing/uprobe_events 2>/dev/null | grep -c stapprobe)
	i=$(ls /sys/kernel/tracing/instances 2>/dev/null | grep -c stap)
	d=0   # work directories whose memsleuth is gone (others' runs may be live now)
	for x in "${TMPDIR:-/tmp}"/memsleuth-stap.[0-9]*.*; do
		[ -d "$x" ] || continue
		p=${x##*/memsleuth-stap.}
		kill -0 "${p%%.*}" 2>/dev/null || d=$((d + 1))
	done
	b=$(ls "$TMP"/run/*.bo 2>/dev/null | wc -l)
	echo "uprobes=$u instances=$i workdirs=$d bo=$b"
}
mkdir -p "$TMP/run"
cd "$TMP/run" || exit 1

# --- the oracle: strace on the same workload ---
strace -f -qq -o "$TMP/strace.txt" -e trace=brk,mmap,munmap,mprotect,madvise "$EX/syscall_mix" >/dev/null 2>&1
sc() { grep -c " $1(" "$TMP/strace.txt"; }

# what the bpf runtime has, as it is, with -c as stap users type it
"$MS" stap "$S/mprotect_native.stp" -c "$EX/syscall_mix" >"$TMP/native.out" 2>"$TMP/native.err"
check_eq "native script: exit" "$?" 0
check_eq "native script: mprotect calls = strace's" \
	"$(awk -F'calls=' '/^mprotect/ {split($2, a, " "); s += a[1]} END {print s+0}' "$TMP/native.out")" "$(sc mprotect)"

# tapset style after --translate, run with -- CMD
"$MS" stap --translate "$S/madvise_tapset.stp" -- "$EX/syscall_mix" >"$TMP/madv.out" 2>"$TMP/madv.err"
check_eq "madvise_tapset after --translate: exit" "$?" 0
check_eq "madvise_tapset: MADV_DONTNEED calls = strace's" \
	"$(awk '/^madvise .*advice=4 / {split($4, a, "="); s += a[2]} END {print s+0}' "$TMP/madv.out")" \
	"$(grep -c 'madvise(.*MADV_DONTNEED' "$TMP/strace.txt")"
check_eq "madvise_tapset: MADV_FREE calls = strace's" \
	"$(awk '/^madvise .*advice=8 / {split($4, a, "="); s += a[2]} END {print s+0}' "$TMP/madv.out")" \
	"$(grep -c 'madvise(.*MADV_FREE' "$TMP/strace.txt")"
"$MS" stap --translate "$S/brk_mmap2_tapset.stp" -- "$EX/syscall_mix" >"$TMP/bm.out" 2>"$TMP/bm.err"
check_eq "brk_mmap2_tapset after --translate: exit" "$?" 0
check_match "brk_mmap2_tapset: brk, mmap, munmap calls = strace's" "$(cat "$TMP/bm.out")" \
	"brk calls=$(sc brk) mmap calls=$(sc mmap) bytes=[0-9]+ munmap calls=$(sc munmap)"
check_match "brk_mmap2_tapset: name and prot_str as the tapset defines them" "$(cat "$TMP/bm.out")" \
	"mmap2 big: length=134221824 prot=0x0"
check_eq "after runs that ended with their command" "$(leftovers)" "uprobes=0 instances=0 workdirs=0 bo=0"

# --- --symbols vs gdb, ended by Ctrl-C ---
start_example zlib_workers compressed --threads 1 --rounds 2 --step
"$MS" stap --symbols "$S/malloc_callers.stp" -x "$EX_PID" LIBC >"$TMP/sym.out" 2>"$TMP/sym.err" &
mp=$!
for _ in $(seq 1 600); do grep -q READY "$TMP/sym.out" && break; kill -0 $mp 2>/dev/null || break; sleep 0.1; done
kill -USR1 "$EX_PID"
for _ in $(seq 1 100); do grep -q phase=inflated "$EX_OUT" && break; sleep 0.1; done
kill -INT $mp; wait $mp
check_eq "--symbols run ended by Ctrl-C: exit" "$?" 0
line=$(grep -m1 'caller=0x[0-9a-f]* run (zlib_workers.c:' "$TMP/sym.out")
check_match "--symbols: zlib_workers' own malloc call resolved" "$line" 'caller=0x[0-9a-f]+ run \(zlib_workers.c:[0-9]+\) calls=20 '
addr=$(echo "$line" | sed 's/caller=\(0x[0-9a-f]*\).*/\1/')
want=$(gdb -p "$EX_PID" -batch -ex "info line *($addr - 1)" 2>/dev/null | sed -n 's/^Line \([0-9]*\) of "\([^"]*\)".*<\([a-z_]*\)[+>].*/\3 (\2:\1)/p' | sed 's#([^ ]*/#(#')
check_eq "--symbols: FUNC (FILE:LINE) = gdb's info line" "$(echo "$line" | sed 's/.*caller=0x[0-9a-f]* \(.*)\) calls.*/\1/')" "$want"
check_eq "after Ctrl-C" "$(leftovers)" "uprobes=0 instances=0 workdirs=0 bo=0"

# --- SIGTERM to memsleuth: the end probe still prints ---
LIBC=$(ldd "$EX/zlib_workers" | awk '/libc.so/ {print $3}')
"$MS" stap "$S/wait_target.stp" -x "$EX_PID" "$LIBC" >"$TMP/term.out" 2>"$TMP/term.err" &
mp=$!
for _ in $(seq 1 600); do grep -q READY "$TMP/term.out" && break; kill -0 $mp 2>/dev/null || break; sleep 0.1; done
kill -TERM $mp; wait $mp
check_eq "SIGTERM: exit" "$?" 0
check_match "SIGTERM: the end probe printed" "$(cat "$TMP/term.out")" "END syscalls=[0-9]+ mallocs=[0-9]+"
check_eq "after SIGTERM" "$(leftovers)" "uprobes=0 instances=0 workdirs=0 bo=0"

# --- SIGKILL to memsleuth, then the next run sweeps ---
"$MS" stap "$S/wait_target.stp" -x "$EX_PID" "$LIBC" >"$TMP/kill.out" 2>"$TMP/kill.err" &
mp=$!
for _ in $(seq 1 600); do grep -q READY "$TMP/kill.out" && break; kill -0 $mp 2>/dev/null || break; sleep 0.1; done
killed=$(pgrep -P $mp -x stap)   # its stap and stapbpf, which outlive it
killed="$killed $(pgrep -P "${killed:-1}" -x stapbpf)"
kill -KILL $mp; wait $mp 2>/dev/null
check_match "SIGKILL: its work directory is left" "$(leftovers)" "workdirs=1"
"$MS" stap --stap-opt=-p1 "$S/mprotect_native.stp" >/dev/null 2>"$TMP/next.err"
check_match "the next run says what it swept" "$(cat "$TMP/next.err")" "removed what an earlier run left: 1 work directory"
check_eq "after SIGKILL and the next run" "$(leftovers)" "uprobes=0 instances=0 workdirs=0 bo=0"
alive=0
for p in $killed; do   # a zombie waiting for init to reap it has ended
	st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && alive=$((alive + 1))
done
check_eq "no stap of the killed run still running ($killed)" "$alive" 0
stop_example "$EX_PID"
