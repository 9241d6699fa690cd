#!/usr/bin/env bash
# hotspots changes nothing in the program it records: no signal is sent
# into it, so blocking calls that a signal would wake (pause, sleep,
# nanosleep, read on a pipe, epoll_wait, sigwait, poll) end exactly as
# they do without memsleuth; a C++ program whose main thread and a
# std::thread wait in pause() ends the same way; the command's own end is
# reported as command_end.  Also: 0 dropped when nothing was lost, a known
# drop count when the log's disk is full.
source "$(dirname "$0")/lib.sh"
BC="$EX/blocking_calls"

# 1. stopped by SIGTERM after 1 s (bare: the test's kill; hooked: --duration):
# the call must still be blocked, so the program prints nothing after READY
for mode in pause sleep nanosleep read epoll_wait sigwait poll; do
	rm -f "$TMP/bare.out" "$TMP/h.err"   # no stale READY line from the last mode
	"$BC" "$mode" >"$TMP/bare.out" 2>&1 & bp=$!; _pids+=($bp)
	ready_pid_in "$TMP/bare.out" >/dev/null; sleep 1; kill -TERM $bp; wait $bp; brc=$?
	"$MS" hotspots --duration 1 --json -- "$BC" "$mode" >"$TMP/h.json" 2>"$TMP/h.err"; hrc=$?
	check_eq "$mode: bare ends by SIGTERM, blocked to the end" "$brc $(grep -c returned "$TMP/bare.out")" "143 0"
	check_eq "$mode: under hotspots, driver exit 0" "$hrc" 0
	check_eq "$mode: under hotspots the call is still blocked when stopped (no early return)" "$(grep -c returned "$TMP/h.err")" 0
	check_eq "$mode: command_end: killed by memsleuth's SIGTERM" "$(jq -c '.command_end | [.how, .signal, .by_memsleuth]' "$TMP/h.json")" '["signal",15,true]'
	# 10 mallocs + 10 frees, and stdout's buffer (printf's malloc)
	check_eq "$mode: its 21 calls, 0 dropped, complete" "$(jq -c '[.events, .dropped, .complete]' "$TMP/h.json")" "[21,0,true]"
	check_eq "$mode: main's 10 + 10 calls" "$(jq '[.sites[] | select(.symbol == "main") | .calls] | add' "$TMP/h.json")" 20
done

# 2. the test's own signal wakes the call, as bare: the same line, exit 0
for mode in pause sigwait read; do
	rm -f "$TMP/bare.out" "$TMP/h.err"   # no stale READY line from the last mode
	"$BC" "$mode" >"$TMP/bare.out" 2>&1 & bp=$!; _pids+=($bp)
	ready_pid_in "$TMP/bare.out" >/dev/null; sleep 0.3; kill -USR1 $bp; wait $bp; brc=$?
	"$MS" hotspots --json -- "$BC" "$mode" >"$TMP/h.json" 2>"$TMP/h.err" & dp=$!; _pids+=($dp)
	pp=$(ready_pid_in "$TMP/h.err") || kill -INT $dp; sleep 0.3; kill -USR1 "$pp"; wait $dp
	check_eq "$mode: woken by the test's SIGUSR1, same line with and without memsleuth" \
		"$(grep returned "$TMP/h.err")" "$(grep returned "$TMP/bare.out")"
	check_eq "$mode: command_end: exit status as bare ($brc)" "$(jq -c '.command_end | [.how, .status, .by_memsleuth]' "$TMP/h.json")" "[\"exit\",$brc,false]"
done

# 3. C++: main and a std::thread in pause(); killed by the test's SIGUSR2
# (default action: terminate) it ends by that signal, with or without us;
# stopped by --duration, by SIGTERM (std::terminate/abort would be a change)
if command -v g++ >/dev/null; then
	cat >"$TMP/thr_pause.cc" <<'CC'
#include <cstdio>
#include <thread>
#include <unistd.h>
int main() { std::thread t([] { for (;;) pause(); }); std::printf("READY pid %d\n", (int)getpid()); std::fflush(stdout); pause(); }
CC
	g++ -O1 -pthread -o "$TMP/thr_pause" "$TMP/thr_pause.cc"
	rm -f "$TMP/bare.out" "$TMP/t.err"
	"$TMP/thr_pause" >"$TMP/bare.out" 2>&1 & bp=$!; _pids+=($bp)
	ready_pid_in "$TMP/bare.out" >/dev/null; sleep 0.3; kill -USR2 $bp; wait $bp; brc=$?
	"$MS" hotspots --json -- "$TMP/thr_pause" >"$TMP/t.json" 2>"$TMP/t.err" & dp=$!; _pids+=($dp)
	pp=$(ready_pid_in "$TMP/t.err") || kill -INT $dp; sleep 0.3; kill -USR2 "$pp"; wait $dp
	check_eq "thr_pause bare: killed by SIGUSR2" "$brc" $((128 + 12))
	check_eq "thr_pause under hotspots: command_end is the same signal, not ours" "$(jq -c '.command_end | [.signal, .by_memsleuth]' "$TMP/t.json")" "[12,false]"
	"$MS" hotspots --duration 1 -- "$TMP/thr_pause" >"$TMP/t.txt" 2>&1
	check_match "thr_pause --duration 1: ended by memsleuth's SIGTERM, not an abort" "$(cat "$TMP/t.txt")" 'the command was killed by signal 15 \(Terminated\), sent by memsleuth'
	check_eq "thr_pause --duration 1: no std::terminate" "$(grep -cE 'Aborted|terminate called' "$TMP/t.txt")" 0
	"$MS" hotspots --duration 1 --json -- "$TMP/thr_pause" >"$TMP/t.json" 2>/dev/null
	check_eq "thr_pause: both threads' names ($(basename "$TMP/thr_pause"))" "$(jq -r '[.threads[].name] | unique | join(",")' "$TMP/t.json")" "thr_pause"
else
	skip "C++ pause program: no g++"
fi

# 4. a full disk: a tmpfs too small for the log; every call is either
# recorded or counted dropped: recorded + dropped = the calls of the same
# run with room (alloc_counts is deterministic)
"$MS" hotspots --json -- "$EX/alloc_counts" --threads 2 --calls 40000 >"$TMP/room.json" 2>/dev/null
total=$(jq .events "$TMP/room.json")
check_eq "with room: 0 dropped" "$(jq .dropped "$TMP/room.json")" 0
mkdir -p "$TMP/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=200k tmpfs "$TMP/full" 2>/dev/null; then
	"$MS" hotspots --record-only --output "$TMP/full/rec" -- "$EX/alloc_counts" --threads 2 --calls 40000 >/dev/null 2>&1
	cp -r "$TMP/full/rec" "$TMP/fullcopy"; umount "$TMP/full"
	"$MS" hotspots --from "$TMP/fullcopy" --json >"$TMP/full.json" 2>/dev/null
	d=$(jq .dropped "$TMP/full.json"); n=$(jq .events "$TMP/full.json")
	check_cmp "disk full: events dropped" "$d" -gt 0
	check_eq "disk full: recorded + dropped = every call ($total)" $((n + d)) "$total"
	check_eq "disk full: not complete" "$(jq .complete "$TMP/full.json")" false
else
	skip "disk full: cannot mount a small tmpfs here (needs root and mount)"
fi
