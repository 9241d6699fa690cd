#!/usr/bin/env bash
# memsleuth syscalls: every backend usable here reports exactly the calls
# syscall_mix makes (its own printed plan is the oracle), the arena heap
# pattern is recognised, and bad input fails cleanly with nothing left
# behind (tracefs instances, uprobe events, stopped processes).
source "$(dirname "$0")/lib.sh"
# memsleuth's temporary directories go to TMPDIR: ours, not the shared /tmp others leave things in
export TMPDIR=$TMP
TRACEFS=/sys/kernel/tracing

# trace BACKEND: syscall_mix --wait attached by PID; sets J (json path)
trace() {
	local b=$1
	start_example syscall_mix ready --wait || return 1
	J="$TMP/$b.json"
	"$MS" syscalls --backend "$b" --json "$EX_PID" >"$J" 2>"$TMP/$b.err" &
	local m=$!
	# stap compiles first (5 s quiet, a minute on a loaded machine)
	for _ in $(seq 1 1800); do
		grep -q 'tracing process' "$TMP/$b.err" && break
		kill -0 "$m" 2>/dev/null || break
		sleep 0.1
	done
	kill -USR1 "$EX_PID"
	for _ in $(seq 1 100); do grep -q phase=done "$EX_OUT" && break; sleep 0.1; done
	kill -INT "$m"     # the example holds: Ctrl-C ends the trace
	wait "$m"
	local rc=$?
	check_eq "$b: exit status" "$rc" 0
}

expect() { awk -v s="$1" -v f="$2" '$1=="expect" && $2==s {print $f}' "$EX_OUT"; }

usable=()
for b in stap stap-bpf bpftrace tracefs ptrace; do
	if "$MS" syscalls --backend "$b" --duration 0.1 -- true >"$TMP/probe.out" 2>"$TMP/probe.err"; then
		usable+=("$b")
	else
		skip "backend $b not usable here: $(grep -v '^memsleuth syscalls: backend' "$TMP/probe.err" | head -1)"
	fi
done
check_cmp "at least tracefs or ptrace usable" "${#usable[@]}" -ge 1

for b in "${usable[@]}"; do
	trace "$b" || { fail "$b: example did not start"; continue; }
	check_eq "$b: backend named" "$(jq -r .backend "$J")" "$b"
	for s in brk mmap munmap mprotect madvise; do
		check_eq "$b: $s count" "$(jq ".totals[] | select(.syscall==\"$s\") | .count" "$J")" "$(expect $s 3)"
		check_eq "$b: $s bytes" "$(jq ".totals[] | select(.syscall==\"$s\") | .length_bytes" "$J")" "$(expect $s 4)"
	done
	check_eq "$b: arena heaps created" "$(jq .arena_heaps_created "$J")" "$(expect heaps 3)"
	# per thread: mixer-2 made 2+2 madvise calls, mixer-0 made 2
	check_eq "$b: mixer-2 madvise" "$(jq '.threads[] | select(.name=="mixer-2") | .syscalls[] | select(.syscall=="madvise") | .count' "$J")" 4
	check_eq "$b: mixer-0 heaps" "$(jq '.threads[] | select(.name=="mixer-0") | .arena_heaps_created' "$J")" 1
	check_eq "$b: madvise returned" "$(jq .returned.madvise_bytes "$J")" "$(expect madvise 4)"
	check_eq "$b: heap trims" "$(jq .arena_heaps.trims "$J")" 6
	check_eq "$b: brk high water - start" "$(jq '.brk[0].high_water_address - .brk[0].start_address' "$J")" 4194304
	check_eq "$b: nothing lost" "$(jq .lost "$J")" 0
	# whole, unless the tool outlived its 15 s to end after SIGINT (seen
	# once for bpftrace at load 7): then its end-of-run lines are missing
	# and the result must say so
	if [ "$(jq -r .partial_reason "$J")" = "$b did not end within 15 s of being stopped and was killed: its end-of-run lines (folded repeats, its kernel counts) are missing" ]; then
		pass "$b: partial, its end-of-run lines missing (killed after 15 s)"
	else
		check_eq "$b: whole, not partial" "$(jq -c '[.partial, .partial_reason, (.segments | length)]' "$J")" '[false,null,1]'
	fi
	# field names (docs/json.md, syscalls schema_version 2)
	check_eq "$b: schema_version 2, duration_s a number" "$(jq -c '[.schema_version, (.duration_s | type)]' "$J")" '[2,"number"]'
	check_eq "$b: no old field name left (seconds, bytes, start, high_water, end)" \
		"$(jq '[paths | map(strings) | last | select(IN("seconds","bytes","start","high_water","end"))] | length' "$J")" 0
	stop_example "$EX_PID"
done

# A tight loop of 100000 identical madvise calls: the script backends fold
# repeats in the kernel and must see every call; tracefs may overflow at
# this rate but must then say so (lost > 0); ptrace sees every call.
for b in "${usable[@]}"; do
	"$MS" syscalls --backend "$b" --json -- "$EX/syscall_mix" --madvise-loop 100000 2>/dev/null | sed -n '/^{/,$p' >"$TMP/loop.json"
	seen=$(jq '.totals[] | select(.syscall=="madvise") | .count' "$TMP/loop.json")
	lost=$(jq .lost "$TMP/loop.json")
	if [ "$b" = tracefs ]; then
		if [ "$seen" = 100000 ] || [ "$lost" -gt 0 ]; then pass "$b: 100000 madvise seen ($seen) or loss reported ($lost)"
		else fail "$b: saw $seen of 100000 madvise calls and reported no loss"; fi
	else
		check_eq "$b: 100000 identical madvise calls counted" "$seen" 100000
		check_eq "$b: none lost" "$lost" 0
	fi
done

# Launched command: the mixer threads are exact even though ld.so adds calls
# to the main thread; the text output ends with the plain-words reading.
b=${usable[-1]}
out=$("$MS" syscalls --backend "$b" -- "$EX/syscall_mix" --threads 2 2>&1)
check_match "$b launch: mixer-1 mprotect row" "$out" 'mixer-1 +mprotect +3 +3\.0 MiB'
check_match "$b launch: interpretation" "$out" 'thread [0-9]+ \(mixer-0\) created 1 arena heap'
check_match "$b launch: madvise sentence" "$out" 'madvise returned 5\.0 MiB to the kernel \(MADV_DONTNEED 3\.0 MiB, MADV_FREE 2\.0 MiB\)'
ev=$("$MS" syscalls --events --backend "$b" -- "$EX/syscall_mix" --threads 1 2>&1)
# --events --json: NDJSON, type and the envelope on every line, the summary last
"$MS" syscalls --events --json --backend "$b" -- "$EX/syscall_mix" --threads 1 >"$TMP/ev.ndjson" 2>/dev/null
check_eq "$b --events --json: every line has type, step, schema_version 2" \
	"$(jq -c 'select(.type != "event" and .type != "summary" or .step != "syscalls" or .schema_version != 2)' "$TMP/ev.ndjson" | wc -l)" 0
check_eq "$b --events --json: the last line is the summary, its events = the event lines' calls" \
	"$(jq -s -c '[last.type, (last.events == ([.[] | select(.type == "event") | .times] | add))]' "$TMP/ev.ndjson")" '["summary",true]'
check_eq "$b --events --json: the command's end and the verdicts in the summary" \
	"$(tail -1 "$TMP/ev.ndjson" | jq -c '[.command_end.how, .command_end.status, (.verdicts | length > 0)]')" '["exit",0,true]'
# --fail-on reads the step's own verdicts (findings/stepverdict.c): more
# than 8 arena heaps created is a notice; 2 are info
MALLOC_ARENA_MAX=16 "$MS" syscalls --backend "$b" --json --fail-on notice -- "$EX/arena_explosion" --threads 12 --blocks 4 >"$TMP/ae.json" 2>/dev/null
check_eq "$b: 12 arena heaps: --fail-on notice exits 1" "$?" 1
check_eq "$b: 12 arena heaps: the notice" "$(jq -c '[.arena_heaps_created, ([.verdicts[].level] | index("notice") != null)]' "$TMP/ae.json")" '[12,true]'
check_status "$b: 2 arena heaps: --fail-on notice exits 0" 0 env MALLOC_ARENA_MAX=16 "$MS" syscalls --backend "$b" --fail-on notice -- "$EX/arena_explosion" --threads 2 --blocks 4
check_status "$b: 2 arena heaps: --fail-on info exits 1" 1 "$MS" syscalls --backend "$b" --fail-on info -- "$EX/arena_explosion" --threads 2 --blocks 4
check_match "$b --events decodes the reservation" "$ev" 'mixer-0 +mmap\(NULL, 128\.0 MiB, PROT_NONE, MAP_PRIVATE\|MAP_ANONYMOUS\|MAP_NORESERVE\)'
check_match "$b --events decodes madvise" "$ev" 'madvise\(0x[0-9a-f]+, 1\.0 MiB, MADV_FREE\) = 0'

# Bad input
check_status "PID gone" 2 "$MS" syscalls --backend ptrace 999999
check_match "PID gone: message" "$(cat "$TMP/err")" '999999'
check_status "unknown backend" 2 "$MS" syscalls --backend dtrace 1
check_match "unknown backend: way out" "$(cat "$TMP/err")" 'use auto, stap, stap-bpf'
check_status "tracefs not mounted" 2 env MEMSLEUTH_TRACEFS="$TMP/none" "$MS" syscalls --backend tracefs -- true
check_match "tracefs not mounted: message" "$(cat "$TMP/err")" 'not mounted.*--backend ptrace'
if [[ " ${usable[*]} " == *" stap-bpf "* ]]; then
	check_status "stap set-up failing" 2 env MEMSLEUTH_CACHE=/proc/no-such-dir "$MS" syscalls --backend stap-bpf -- true
	check_match "stap set-up failing: message" "$(cat "$TMP/err")" 'stap bpf runtime set-up: cannot create /proc/no-such-dir/stap-bpf.*use --backend tracefs or ptrace'
	# auto tries stap-bpf only after tracefs (here made "not mounted")
	MEMSLEUTH_TRACEFS="$TMP/none" MEMSLEUTH_CACHE=/proc/no-such-dir "$MS" syscalls -- true >"$TMP/out" 2>"$TMP/err"
	check_match "auto falls back past a failing stap set-up, saying why" "$(head -1 "$TMP/err")" 'backend bpftrace: .*not better ones: .*tracefs .*not mounted.*cannot create /proc/no-such-dir'
	# Ctrl-C while stap is still compiling: no trace, no leftovers, command not run
	"$MS" syscalls --backend stap-bpf -- "$EX/syscall_mix" >"$TMP/early.out" 2>&1 &
	m=$!
	sleep 0.5; kill -INT $m; wait $m
	check_eq "Ctrl-C during stap start-up: exit 0" "$?" 0
	check_eq "Ctrl-C during stap start-up: command never ran" "$(grep -c '^expect' "$TMP/early.out")" 0
	# this tree's script only (other runs on the machine may trace too),
	# polled: the run's guard ends stap just after memsleuth exits
	mine="$(cd "$(dirname "$0")/../.." && pwd)/stap/memsyscalls.stp"
	for _ in $(seq 1 100); do pgrep -f "$mine" >/dev/null || break; sleep 0.1; done
	check_eq "Ctrl-C during stap start-up: no stap left" "$(pgrep -f "$mine" | wc -l)" 0
fi
check_status "stap module runtime unusable here" 2 "$MS" syscalls --backend stap -- true
check_match "stap: says why" "$(cat "$TMP/err")" 'stap'
if [ "$(id -u)" = 0 ]; then
	start_example syscall_mix ready --wait
	check_status "not permitted (other user)" 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$MS" syscalls --backend ptrace "$EX_PID"
	check_match "not permitted: message" "$(cat "$TMP/err")" 'ptrace attach.*(not your process|Operation not permitted)'
	stop_example "$EX_PID"
	# unprivileged on one's own process: auto says why the kernel backends
	# are out and traces with ptrace, exactly
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	(cd /tmp && "${nobody[@]}" "$MS" syscalls --json -- "$EX/syscall_mix") >"$TMP/nb.out" 2>"$TMP/nb.err"
	check_match "unprivileged auto: ptrace, saying why" "$(head -1 "$TMP/nb.err")" 'backend ptrace: .*bpftrace: needs root'
	check_eq "unprivileged ptrace: mixer-1 madvise" \
		"$(sed -n '/^{/,$p' "$TMP/nb.out" | jq '.threads[] | select(.name=="mixer-1") | .syscalls[] | select(.syscall=="madvise") | .count')" 3
fi
for b in "${usable[@]}"; do
	# target exits immediately
	check_status "$b: target exits at once" 0 "$MS" syscalls --backend "$b" -- true
	# Ctrl-C while tracing a live process: it keeps running, not stopped
	start_example syscall_mix ready --wait
	# a file of its own per backend: the child truncates it only once it runs,
	# and the previous backend's "tracing" line must not send the SIGINT early
	"$MS" syscalls --backend "$b" "$EX_PID" >"$TMP/int.$b.out" 2>"$TMP/int.$b.err" &
	m=$!
	for _ in $(seq 1 1800); do grep -q 'tracing process' "$TMP/int.$b.err" && break; kill -0 $m 2>/dev/null || break; sleep 0.1; done
	kill -INT $m; wait $m
	check_eq "$b: SIGINT ends with status 0" "$?" 0
	state=$(awk '{print $3}' "/proc/$EX_PID/stat")
	check_match "$b: target not left stopped" "$state" '^[RSD]$'
	check_eq "$b: target not traced" "$(awk '/TracerPid/ {print $2}' "/proc/$EX_PID/status")" 0
	stop_example "$EX_PID"
done
check_eq "no stap work dir left in \$TMPDIR" "$(ls "${TMPDIR:-/tmp}" | grep -c '^memsleuth-stap\.')" 0
# A launched command that forks, prints and outlives --duration: its
# output stays out of the JSON, its forked children are not broken by the
# ptrace backend's seccomp filter, and nothing of it is left running.
for b in "${usable[@]}"; do
	[ "$b" = stap ] && continue
	start=$(date +%s)
	"$MS" syscalls --backend "$b" --duration 2 --json -- sh -c "sleep 0.1; echo child-ran-ok; exec sleep 300.$$" \
		> "$TMP/dur.json" 2> "$TMP/dur.err"
	took=$(( $(date +%s) - start ))
	check_eq "$b: --json stays one JSON document while the command prints" "$(jq -r .step "$TMP/dur.json" 2>/dev/null)" syscalls
	check_match "$b: the command's forked child ran (its output on stderr)" "$(cat "$TMP/dur.err")" "child-ran-ok"
	check_eq "$b: no child of the command crashed" "$(grep -c 'Segmentation fault' "$TMP/dur.err")" 0
	# stap compiles for 5 s on a quiet machine, a minute or more on a loaded
	# one: the bound only says the command was ended long before its end
	check_cmp "$b: --duration 2 ends a command that would run 300 s (seconds taken)" "$took" -le 200
	check_eq "$b: the command is not left running" "$(pgrep -fc "^sleep 300\\.$$\$")" 0   # ours (other runs may sleep too), not memsleuth-guard carrying our command line
done
check_eq "no stap .bo left in the cwd" "$(ls | grep -c '^stap_.*\.bo$')" 0
if [ -d "$TRACEFS/instances" ]; then
	# instances/memsleuth-PID-RANDOM whose memsleuth is gone (others' runs may be live now)
	check_eq "no memsleuth tracefs instance left" \
		"$(ls "$TRACEFS/instances" | sed -n 's/^memsleuth-\([0-9]*\)-.*/\1/p' | while read -r p; do kill -0 "$p" 2>/dev/null || echo "$p"; done | wc -l)" 0
	check_eq "no uprobe event left" "$(grep -c . "$TRACEFS/uprobe_events")" 0
fi
