#!/usr/bin/env bash
# A program blocked in wait() for a command it runs (system(), os.execute,
# subprocess.run) while it holds its memory is the program, not a wrapper
# (findings/launch.h rule 2a; trial3 #1: the guide examined `sleep` under
# lua5.4 and found "no gap").  examples/runs_command leaves ~100 MiB free in
# glibc's main heap, prints its line, then system("sleep 30").  Oracles: the
# pid and RSS the example prints itself, its own malloc_info at that moment
# (free = fast + rest), and the shell in front of it (sh -c '...; true')
# still said as the wrapper.
source "$(dirname "$0")/lib.sh"
export TMPDIR=$TMP

# --- guide -- runs_command: the program, not the sleep it waits for --------
"$MS" guide --batch --json --window 1 --watch 0 --no-compare --accounted 1M --when 'phase=running' -- \
	"$EX/runs_command" --malloc-info "$TMP/mi.xml" --run 'sleep 30.7' >"$TMP/g.json" 2>"$TMP/g.txt"
check_eq "guide -- runs_command: exit 0" "$?" 0
J=$TMP/g.json
line=$(grep -m1 'pid=[0-9]* phase=running' "$TMP/g.txt")
pid=$(printf '%s' "$line" | sed -n 's/.*pid=\([0-9]*\) phase=running.*/\1/p')
rss_kb=$(printf '%s' "$line" | sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p')
check_eq "runs_command: the process examined is the one that printed its pid" "$(jq .pid "$J")" "$pid"
check_eq "runs_command: examined by name" "$(jq -r .name "$J")" runs_command
check_match "runs_command: the launched line says why (it runs a command it started)" "$(jq -r .launch "$J")" \
	"^program: runs_command \\(pid $pid\\), [0-9.]+ MiB RSS; its child sh \\(pid [0-9]+\\), [0-9.]+ (KiB|MiB) with its children, runs a command it started$"
check_match "runs_command: ... and on the guide's own output" "$(cat "$TMP/g.txt")" "launched: program: runs_command \\(pid $pid\\)"
check_within "runs_command: RSS examined = the example's own at its line" "$(jq .rss_bytes "$J")" $((rss_kb * 1024)) 5
fast=$(sed -n 's/.*<total type="fast" count="[0-9]*" size="\([0-9]*\)".*/\1/p' "$TMP/mi.xml" | tail -1)
rest=$(sed -n 's/.*<total type="rest" count="[0-9]*" size="\([0-9]*\)".*/\1/p' "$TMP/mi.xml" | tail -1)
check_cmp "runs_command: malloc_info holds > 90 MiB free (the workload)" $((fast + rest)) -gt $((90 << 20))
check_within "runs_command: the arenas step's free = malloc_info's fast + rest" "$(jq .free_bytes "$J")" $((fast + rest)) 1
check_eq "runs_command: the arenas step ran" "$(jq -r '.steps[] | select(.name=="arenas") | .status' "$J")" done
check_eq "runs_command: stopped, and its sleep with it" \
	"$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone) $(pgrep -f 'sleep 30[.]7' | wc -l)" "gone 0"

# --- a shell in front: sh gives way, runs_command stays --------------------
"$MS" guide --batch --json --window 1 --watch 0 --no-compare --accounted 1M --when 'phase=running' -- \
	sh -c "$EX/runs_command --blocks 600000; true" >"$TMP/s.json" 2>"$TMP/s.txt"
check_eq "guide -- sh -c 'runs_command; true': exit 0" "$?" 0
pid=$(sed -n 's/.*pid=\([0-9]*\) phase=running.*/\1/p' "$TMP/s.txt" | head -1)
check_eq "sh -c: the process examined is runs_command" "$(jq -r '"\(.pid) \(.name)"' "$TMP/s.json")" "$pid runs_command"
check_match "sh -c: the shell said as the wrapper, and why" "$(jq -r .launch "$TMP/s.json")" \
	"^wrapper: sh \\(pid [0-9]+\\) -> program: runs_command \\(pid $pid\\), .*runs a command it started; sh \\(pid [0-9]+\\), [0-9.]+ (KiB|MiB) RSS, is a shell or launcher \\((dash|bash|sh)\\) running it$"
