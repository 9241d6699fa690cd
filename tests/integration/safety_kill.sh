#!/usr/bin/env bash
# Nothing outlives memsleuth, even SIGKILLed (docs/security.md): for each
# syscalls backend, `hotspots PID`, `hotspots -- CMD` (also through sh -c),
# `syscalls -- CMD` and `guide -- CMD`, memsleuth is SIGKILLed while its
# helpers and the launched command run; every process below it must be
# gone (polled with a generous bound) and the tracefs instance it made
# removed.  A normal end leaves nothing running either, not even for a
# moment (the guard is waited for).  Then the guard is killed too, and the next run must sweep what
# the kernel and /tmp kept, and say so.
. "$(dirname "$0")/lib.sh"
need_root "safety_kill" || exit 0
export TMPDIR=$TMP

# every process below $1 (pid per line)
descendants() {
	ps -eo pid=,ppid= | awk -v r="$1" '{ p[$1] = $2 }
		END { s[r] = 1; do { ch = 0; for (k in p) if (!(k in s) && (p[k] in s)) { s[k] = 1; ch = 1 } } while (ch);
		      for (k in s) if (k != r) print k }'
}
# alive and not a zombie
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# wait_comm ROOT COMM: until a process named COMM runs below ROOT (60 s)
wait_comm() {
	local i p
	for i in $(seq 1 600); do
		for p in $(descendants "$1"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && return 0
		done
		alive "$1" || return 1
		sleep 0.1
	done
	return 1
}

# kill_case NAME COMM CMD...: run CMD (memsleuth) until COMM runs below it,
# SIGKILL memsleuth, then nothing of it may remain.
kill_case() {
	local name=$1 comm=$2; shift 2
	"$@" >"$TMP/kc.out" 2>"$TMP/kc.err" &
	local m=$!
	if ! wait_comm "$m" "$comm"; then
		kill -9 "$m" 2>/dev/null; wait "$m" 2>/dev/null
		skip "$name: $comm never started ($(tail -1 "$TMP/kc.err"))"
		return
	fi
	local below
	below=$(descendants "$m")
	sleep 1   # past the start-up: tracing live, command running
	below=$(printf '%s\n' $below $(descendants "$m") | sort -u)
	if ! alive "$m"; then
		wait "$m" 2>/dev/null
		skip "$name: memsleuth ended before it could be killed ($(tail -1 "$TMP/kc.err"))"
		return
	fi
	kill -9 "$m"; wait "$m" 2>/dev/null
	local i left=
	for i in $(seq 1 300); do   # up to 30 s
		left=
		for p in $below; do alive "$p" && left="$left $p($(cat /proc/$p/comm 2>/dev/null))"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	check_eq "$name: nothing of a SIGKILLed memsleuth remains ($(echo $below | wc -w) processes below it)" "${left:-none}" none
	for p in $left; do kill -9 "${p%%(*}" 2>/dev/null; done
	local inst
	for i in $(seq 1 100); do
		inst=$(ls /sys/kernel/tracing/instances 2>/dev/null | grep -c "^memsleuth-$m-")
		[ "$inst" = 0 ] && break
		sleep 0.1
	done
	check_eq "$name: no tracefs instance of it is left" "$inst" 0
	check_eq "$name: no temporary directory of it is left" "$(ls "$TMP" | grep -c "^memsleuth-.*\.$m\.")" 0
}

start_example pin freed --count 1000 || { fail "safety_kill: the pin example did not start"; exit 0; }
P=$EX_PID

kill_case "syscalls tracefs PID" memsleuth-guard "$MS" syscalls --backend tracefs --duration 120 "$P"
kill_case "syscalls ptrace PID" memsleuth-guard "$MS" syscalls --backend ptrace --duration 120 "$P"
if command -v bpftrace >/dev/null; then
	kill_case "syscalls bpftrace PID" bpftrace "$MS" syscalls --backend bpftrace --duration 120 "$P"
	kill_case "hotspots PID (bpftrace uprobes)" bpftrace "$MS" hotspots --duration 120 "$P"
else
	skip "bpftrace not installed: syscalls --backend bpftrace, hotspots PID"
fi
if command -v stap >/dev/null && [ -e /var/cache/memsleuth/stap-bpf/stamp ]; then
	kill_case "syscalls stap-bpf PID" stapbpf "$MS" syscalls --backend stap-bpf --duration 120 "$P"
else
	skip "syscalls stap-bpf: stap or its prepared tree missing (memsleuth syscalls --backend stap-bpf prepares it)"
fi
kill_case "hotspots -- CMD" pin "$MS" hotspots -- "$EX/pin" --count 1000 --hold
kill_case "hotspots -- sh -c CMD" pin "$MS" hotspots -- sh -c "\"$EX/pin\" --count 1000 --hold; sleep 1000"
kill_case "syscalls -- sh -c CMD" pin "$MS" syscalls --backend tracefs -- sh -c "\"$EX/pin\" --count 1000 --hold; sleep 1000"
kill_case "guide -- CMD (waiting for its moment)" pin "$MS" guide --batch --when no-such-line -- sh -c "\"$EX/pin\" --count 1000 --hold; sleep 1000"
if start_example pin freed --count 100000; then
	# the guide runs its steps as nested memsleuth processes; killed while
	# one runs (its tracer starting or live), nothing below may remain
	kill_case "guide PID (in a nested step)" memsleuth "$MS" guide --batch --window 60 "$EX_PID"
	stop_example "$EX_PID"
fi

# A normal end: when memsleuth returns, nothing it started runs any more --
# not its guard (whose command line is memsleuth's) and not a process the
# command left in its group (a background sleep): checked at once, no polling.
for step in syscalls hotspots; do
	for run in 1 2 3; do
		mark="3$$.$run"
		"$MS" "$step" -- sh -c "sleep $mark & true; sleep 0.2" >/dev/null 2>"$TMP/ne.err"
		left=$(ps -eo stat=,args= | awk -v m="$mark" '$1 !~ /^Z/ && index($0, m) && !/awk/' | wc -l)
		check_eq "normal end of $step -- CMD (run $run): nothing it started still runs" "$left" 0
	done
done

# What the kernel keeps when the guard dies too: the next run sweeps it.
"$MS" syscalls --backend tracefs --duration 120 "$P" >"$TMP/kc.out" 2>"$TMP/kc.err" &
m=$!
if wait_comm "$m" memsleuth-guard; then
	sleep 1
	g=$(for p in $(descendants "$m"); do [ "$(cat /proc/$p/comm)" = memsleuth-guard ] && echo "$p"; done)
	kill -9 "$m" $g; wait "$m" 2>/dev/null
	check_eq "sweep: the killed run's tracefs instance is still there" \
		"$(ls /sys/kernel/tracing/instances | grep -c "^memsleuth-$m-")" 1
	mkdir -p "$TMP/memsleuth-hotspots.$m.XXtest"   # as a killed hotspots -- CMD leaves it
	"$MS" doctor >/dev/null 2>"$TMP/doc.err"
	check_match "sweep: doctor removes the stale tracefs instance and says so" "$(cat "$TMP/doc.err")" \
		"removed the stale tracefs instance .*memsleuth-$m-.*pid $m, is gone"
	check_match "sweep: doctor removes the stale temporary directory and says so" "$(cat "$TMP/doc.err")" \
		"removed the stale temporary directory .*memsleuth-hotspots.$m.XXtest"
	check_eq "sweep: the instance is gone" "$(ls /sys/kernel/tracing/instances | grep -c "^memsleuth-$m-")" 0
else
	kill -9 "$m" 2>/dev/null
	skip "sweep: tracefs backend did not start ($(tail -1 "$TMP/kc.err"))"
fi

# stapbpf's uprobe events outlive a SIGKILLed stapbpf; with none running they are swept
UE=/sys/kernel/tracing/uprobe_events
if [ -w "$UE" ] && ! pgrep -x stapbpf >/dev/null; then
	echo "p:uprobes/stapprobe_mstest$$ $EX/pin:0x1000" >> "$UE" 2>/dev/null
	if grep -q "stapprobe_mstest$$" "$UE"; then
		"$MS" syscalls --backend tracefs --duration 1 "$P" >/dev/null 2>"$TMP/sc.err"
		check_match "sweep: the next syscalls run removes stapbpf's stale uprobe events and says so" \
			"$(cat "$TMP/sc.err")" "removed [0-9]+ stale stapbpf uprobe event"
		check_eq "sweep: the uprobe event is gone" "$(grep -c "stapprobe_mstest$$" "$UE")" 0
		echo "-:uprobes/stapprobe_mstest$$" >> "$UE" 2>/dev/null
	else
		skip "sweep: cannot plant a uprobe event in $UE"
	fi
else
	skip "sweep: uprobe_events not writable, or a stapbpf is running now"
fi
exit 0
