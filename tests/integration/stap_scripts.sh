#!/usr/bin/env bash
# Every SystemTap script in stap/ compiles to BPF (stap -p4 --runtime=bpf,
# no root needed once the cached tree exists), and the arena heap script
# run for real under the bpf runtime sees syscall_mix's 3 heaps and its
# 9 x 1 MiB grows.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v stap >/dev/null || { skip "stap not installed (scripts/install-deps)"; exit 0; }
if [ "$(id -u)" = 0 ]; then
	TREE=$("$BUILD/stap-bpf-setup" | sed -n 's/^STAP_BPF_TREE=//p')
else
	TREE=${XDG_CACHE_HOME:-$HOME/.cache}/memsleuth/stap-bpf
fi
[ -f "$TREE/stamp" ] || { skip "stap bpf tree not prepared (build/stap-bpf-setup as root, or --consent)"; exit 0; }
LIBC=$(ldd "$EX/syscall_mix" | awk '/libc.so/ {print $3}')
stapbpf() { LD_PRELOAD="$TREE/memlock_shim.so" stap --runtime=bpf -r "$TREE/build" "$@"; }
cd "$TMP" || exit 1   # stap -p4 --runtime=bpf writes stap_PID.bo into the current dir
for s in "$ROOT"/stap/*.stp; do
	n=$(basename "$s")
	case $n in
	memsyscalls.stp) args=(1) ;;
	mallocfree.stp|arenaevents.stp) args=("$LIBC") ;;
	*) args=() ;;
	esac
	stapbpf -p4 "$s" "${args[@]}" >/dev/null 2>"$TMP/$n.err"
	check_eq "$n compiles for the bpf runtime" "$?" 0
	head -3 "$s" | grep -q "^# $n -- " && pass "$n has a header" || fail "$n has no header"
done
if need_root "arenaheaps.stp run"; then
	start_example syscall_mix ready --wait
	# env execs stap: $! is stap itself, which the signal below must reach
	env LD_PRELOAD="$TREE/memlock_shim.so" stap --runtime=bpf -r "$TREE/build" -x "$EX_PID" \
		"$ROOT/stap/arenaheaps.stp" >"$TMP/ah.out" 2>"$TMP/ah.err" &
	sp=$!
	for _ in $(seq 1 600); do grep -q READY "$TMP/ah.out" && break; kill -0 $sp 2>/dev/null || break; sleep 0.1; done
	kill -USR1 "$EX_PID"
	for _ in $(seq 1 100); do grep -q phase=done "$EX_OUT" && break; sleep 0.1; done
	sleep 0.5
	kill -TERM $sp; wait $sp   # background jobs of a script ignore SIGINT: TERM
	check_eq "arenaheaps.stp: NEW lines" "$(grep -c '^NEW ' "$TMP/ah.out")" 3
	check_eq "arenaheaps.stp: GROW lines" "$(grep -c '^GROW ' "$TMP/ah.out")" 9
	check_eq "arenaheaps.stp: bytes grown" "$(awk '$1=="GROW" {s+=$4} END {print s}' "$TMP/ah.out")" 9437184
	check_eq "arenaheaps.stp: DONTNEED shrinks" "$(awk '$1=="SHRINK" && $5==4' "$TMP/ah.out" | wc -l)" 6
	check_eq "arenaheaps.stp: end summary, shrunk per thread" \
		"$(awk '$2=="heaps" {print $7}' "$TMP/ah.out" | sort -n | tr '\n' ' ')" "2097152 3145728 4194304 "
	stop_example "$EX_PID"

	# mallocfree.stp (the format hotspots reads): the workers' malloc counts
	# are exactly the ones zlib_workers prints; frees add one per thread
	# (glibc frees the thread's tcache when the thread exits)
	ZLIB="$EX/zlib_workers --threads 2 --rounds 5"
	stapbpf -c "$ZLIB" "$ROOT/stap/mallocfree.stp" "$LIBC" >"$TMP/mf.out" 2>"$TMP/mf.err"
	for w in 0 1; do
		want=$(sed -n "s/.*worker=$w name=inflater-$w mallocs=\([0-9]*\) frees=\([0-9]*\).*/\1 \2/p" "$TMP/mf.out")
		m=${want% *} f=${want#* }
		row=$(awk -v m="$m" 'NF == 4 && $2 == m' "$TMP/mf.out" | head -1)
		check_match "mallocfree.stp: inflater-$w has $m mallocs" "$row" "^[0-9]+ $m [0-9]+ [0-9]+$"
		check_eq "mallocfree.stp: inflater-$w frees (+1 tcache)" "$(echo "$row" | awk '{print $4}')" "$((f + 1))"
	done
	check_match "mallocfree.stp: header" "$(cat "$TMP/mf.out")" '# TID MALLOCS MALLOC_BYTES FREES'
	# brk.stp attached: syscall_mix moves the break +4 MiB, -2 MiB in 7 calls
	start_example syscall_mix ready --wait
	env LD_PRELOAD="$TREE/memlock_shim.so" stap --runtime=bpf -r "$TREE/build" -x "$EX_PID" \
		"$ROOT/stap/brk.stp" >"$TMP/brk.out" 2>"$TMP/brk.err" &
	sp=$!
	for _ in $(seq 1 600); do grep -q READY "$TMP/brk.out" && break; kill -0 $sp 2>/dev/null || break; sleep 0.1; done
	kill -USR1 "$EX_PID"
	for _ in $(seq 1 100); do grep -q phase=done "$EX_OUT" && break; sleep 0.1; done
	sleep 0.5
	kill -TERM $sp; wait $sp
	check_match "brk.stp: totals" "$(cat "$TMP/brk.out")" 'brk grown 4194304 shrunk 2097152 high-water \+4194304 calls 7'
	stop_example "$EX_PID"
	# arenaevents.stp (glibc internals, libc6-dbg): arena_explosion's 3
	# threads, alive together (a barrier), each get a new arena once it
	# continues past its first phase
	start_example arena_explosion started --threads 3 --step
	env LD_PRELOAD="$TREE/memlock_shim.so" stap --runtime=bpf -r "$TREE/build" -x "$EX_PID" \
		"$ROOT/stap/arenaevents.stp" "$LIBC" >"$TMP/aev.out" 2>"$TMP/aev.err" &
	sp=$!
	for _ in $(seq 1 600); do grep -q READY "$TMP/aev.out" && break; kill -0 $sp 2>/dev/null || break; sleep 0.1; done
	kill -USR1 "$EX_PID"
	for _ in $(seq 1 100); do grep -q phase=spread "$EX_OUT" && break; sleep 0.1; done
	# the target's exit_group ends the script: stapbpf then removes its
	# uprobes itself (a signal to stap can leave them behind)
	stop_example "$EX_PID"
	for _ in $(seq 1 100); do kill -0 $sp 2>/dev/null || break; sleep 0.1; done
	kill -TERM $sp 2>/dev/null; wait $sp
	check_eq "arenaevents.stp: NEW_ARENA lines" "$(grep -c '^NEW_ARENA ' "$TMP/aev.out")" 3
	check_match "arenaevents.stp: totals" "$(cat "$TMP/aev.out")" 'totals new_arena 3 sysmalloc [1-9][0-9]* heap_trim'
fi
check_eq "no uprobe event left" "$(cat /sys/kernel/debug/tracing/uprobe_events 2>/dev/null | grep -c .)" 0
