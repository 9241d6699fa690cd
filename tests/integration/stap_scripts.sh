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
fi
