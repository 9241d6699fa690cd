# memsleuth compare on the 1-byte-pin example: the finding of the case study
# (glibc keeps the freed blocks; arena caps and trim_threshold change
# nothing; jemalloc with decay 0 and mimalloc with immediate decommit give
# them back) measured at the example's "freed ... holding" line.
source "$(dirname "$0")/lib.sh"

count=50000   # 50,000 x 1 KiB: ~50 MiB, fast on 2 cores
# Independent oracle: the example's own RSS line at the freed phase.
start_example pin freed --count $count || exit 1
oracle=$(( $(sed -n 's/.*phase=freed rss_kb=\([0-9]*\).*/\1/p' "$EX_OUT") * 1024 ))
stop_example "$EX_PID"

cfgs=glibc,glibc-arena-max-2,glibc-tunable-arena-max-2,glibc-trim-threshold-0,jemalloc,jemalloc-decay-0,mimalloc,mimalloc-decommit-0
"$MS" compare --runs 1 --configs $cfgs --json -- "$EX/pin" --count $count --hold >"$TMP/c.json" 2>"$TMP/c.err"
check_eq "compare: exit" "$?" 0
J="$TMP/c.json"
check_eq "schema_version 2, wall_s/cpu_s in runs and samples (docs/json.md)" \
	"$(jq -c '[.schema_version, (.runs[0] | has("wall_s"), has("cpu_s")), (.runs[0].samples[0] | has("wall_s"), has("cpu_s")), ([paths | map(strings) | last | select(IN("wall_seconds","cpu_seconds"))] | length)]' "$J")" '[2,true,true,true,true,0]'
fin() { jq -r --arg c "$1" '.runs[] | select(.config == $c) | .final_rss_bytes' "$J"; }
check_eq "configs in the order asked" "$(jq -r '[.runs[].config] | join(",")' "$J")" "$cfgs"
check_eq "final RSS taken at the holding line" "$(jq -r '[.runs[].samples[].final_at_line] | all' "$J")" true
g=$(fin glibc)
check_within "glibc final RSS = the example's own freed-phase RSS" "$g" "$oracle" 5
check_cmp "glibc keeps the ~50 MiB freed below the pin" "$g" -gt $((45 << 20))
check_within "MALLOC_ARENA_MAX=2 changes nothing" "$(fin glibc-arena-max-2)" "$g" 5
check_within "glibc.malloc.arena_max=2 changes nothing" "$(fin glibc-tunable-arena-max-2)" "$g" 5
check_within "trim_threshold=0 changes nothing (the top is pinned)" "$(fin glibc-trim-threshold-0)" "$g" 5
check_eq "no-change list names the arena cap" "$(jq -r '.recommendation.no_change | test("glibc-arena-max-2")' "$J")" true
if jq -e '.runs[] | select(.config == "jemalloc") | .available' "$J" >/dev/null; then
	check_cmp "jemalloc default keeps them too" "$(fin jemalloc)" -gt $((g * 9 / 10))
	check_cmp "jemalloc decay 0 returns them (< 30% of glibc)" "$(fin jemalloc-decay-0)" -lt $((g * 3 / 10))
else
	skip "jemalloc: not installed"
fi
if jq -e '.runs[] | select(.config == "mimalloc") | .available' "$J" >/dev/null; then
	check_cmp "mimalloc default keeps them" "$(fin mimalloc)" -gt $((g * 9 / 10))
	check_cmp "mimalloc decommit 0 returns them (< 20% of glibc)" "$(fin mimalloc-decommit-0)" -lt $((g * 2 / 10))
fi
check_match "recommendation is one of the two that return memory" "$(jq -r .recommendation.config "$J")" '^(jemalloc-decay-0|mimalloc-decommit-0)$'
check_match "apply line: LD_PRELOAD + setting + the command" "$(jq -r .recommendation.shell "$J")" "^LD_PRELOAD=/[^ ]*lib(jemalloc|mimalloc)[^ ]* (MALLOC_CONF|MIMALLOC_DECOMMIT_DELAY)=[^ ]+ $EX/pin --count $count --hold$"
check_match "apply line: systemd form" "$(jq -r .recommendation.systemd "$J")" '^\[Service\] Environment="LD_PRELOAD=/'
check_eq "peak >= final everywhere" "$(jq '[.runs[] | .peak_rss_bytes >= .final_rss_bytes] | all' "$J")" true
check_cmp "peak RSS saw the 50 MiB" "$(jq '[.runs[].peak_rss_bytes] | min' "$J")" -gt $((45 << 20))
check_cmp "RSS timeline sampled" "$(jq '.runs[0].rss_timeline | length' "$J")" -ge 2

# the "Apply it" lines are pasted: never broken inside a value, even on a
# narrow terminal (trial5: the systemd line broke inside "trim_threshold")
if jq -e '.runs[] | select(.config == "jemalloc-decay-0") | .available' "$J" >/dev/null; then
	COLUMNS=60 "$MS" compare --runs 1 --configs glibc,jemalloc-decay-0 -- "$EX/pin" --count $count --hold >"$TMP/apply.txt" 2>/dev/null
	sed -n '/^Apply it:/,$p' "$TMP/apply.txt" >"$TMP/apply"
	check_eq "apply it (COLUMNS=60): [Service] on its own line" "$(grep -cE '^  systemd +\[Service\]$' "$TMP/apply")" 1
	check_eq "apply it (COLUMNS=60): the Environment= line whole" \
		"$(grep -cE '^ +Environment="LD_PRELOAD=/[^ ]*libjemalloc[^ ]*" "MALLOC_CONF=[^ ]+"$' "$TMP/apply")" 1
	check_eq "apply it (COLUMNS=60): the shell line whole" \
		"$(grep -cE "^  shell +LD_PRELOAD=/[^ ]* MALLOC_CONF=[^ ]+ $EX/pin --count $count --hold\$" "$TMP/apply")" 1
else
	skip "apply it: jemalloc not installed"
fi

# allocators absent from the host: skipped with the package to install
MEMSLEUTH_ALLOCATOR_DIRS=/nonexistent "$MS" compare --runs 1 --configs glibc,jemalloc --json -- "$EX/pin" --count 1000 --hold >"$TMP/s.json" 2>/dev/null
check_eq "absent jemalloc: exit 0" "$?" 0
check_eq "absent jemalloc: skipped with the package" "$(jq -r '.runs[1].skipped' "$TMP/s.json")" "jemalloc not installed (apt-get install libjemalloc2)"

# without a holding line, the final RSS is the last sample before exit (a
# workload of ~0.3 s, so that samples exist even on a loaded machine)
"$MS" compare --runs 1 --configs glibc --json -- "$EX/pin" --count 300000 >"$TMP/n.json" 2>/dev/null
check_eq "no holding line: final from the last sample" "$(jq -r '.runs[0].samples[0] | "\(.ok) \(.final_at_line) \(.error)"' "$TMP/n.json")" "true false null"

# bad input and interruption: one-line errors, nothing left running
check_status "missing command: exit 2" 2 "$MS" compare --configs glibc -- /nonexistent/cmd
check_eq "missing command: error" "$(cat "$TMP/err")" "memsleuth compare: cannot run /nonexistent/cmd: No such file or directory (install it or fix PATH)"
check_status "unknown config: exit 2" 2 "$MS" compare --configs glibc,bogus -- true
check_status "failing command: exit 2" 2 "$MS" compare --runs 1 --configs glibc -- false
check_match "failing command: says how it failed" "$(cat "$TMP/out")" "failed  glibc: exit status 1"
check_status "run timeout: exit 2" 2 "$MS" compare --runs 1 --configs glibc --final-at NEVER --timeout 1 -- "$EX/pin" --count 1231 --hold
for _ in $(seq 1 100); do pgrep -f -- '--count 1231' >/dev/null || break; sleep 0.1; done  # reaped just after compare exits
check_eq "run timeout: workload gone" "$(pgrep -fc -- '--count 1231' || true)" 0
"$MS" compare --runs 1 --configs glibc --final-at NEVER -- "$EX/pin" --count 1232 --hold >/dev/null 2>"$TMP/i.err" & ms=$!
sleep 1; kill -TERM "$ms"; wait "$ms"
check_eq "SIGTERM: exit" "$?" 2
for _ in $(seq 1 100); do pgrep -f -- '--count 1232' >/dev/null || break; sleep 0.1; done  # reaped just after compare exits
check_eq "SIGTERM: workload gone" "$(pgrep -fc -- '--count 1232' || true)" 0
