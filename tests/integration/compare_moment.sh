#!/usr/bin/env bash
# compare never ranks runs read at different moments as alike (trial
# finding 2), and says a setting measured harmful as "worse".  The workload
# holds 100 MiB, prints "holding" after 0.3 s when MALLOC_ARENA_MAX is set
# and after 10 s without (a default run slowed by a loaded machine), frees
# the 100 MiB before the line -- except under MALLOC_ARENA_MAX=2, the
# "harmful" setting, which keeps it.  It prints its own RSS at the line
# (/proc/self/statm) to $RSS_DIR/rss.SETTING: the oracle for the final RSS
# compare reads there.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null; then
	skip "compare moments: no python3 for the workload"
	exit 0
fi
W="$TMP/late_line.sh"
cat >"$W" <<'EOF'
#!/bin/sh
exec python3 -c '
import os, time
arena_max = os.environ.get("MALLOC_ARENA_MAX")
b = bytearray(100 << 20)
for i in range(0, len(b), 4096): b[i] = 1
time.sleep(10 if arena_max is None else 0.3)
if arena_max != "2":
    del b
rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
open(os.path.join(os.environ["RSS_DIR"], "rss." + (arena_max or "default")), "w").write("%d\n" % rss)
print("holding", flush=True)
time.sleep(60)
'
EOF
chmod +x "$W"
cfgs=glibc,glibc-arena-max-1,glibc-arena-max-2

# 1. The default misses the line (timer at 6 s: room for a loaded machine's
#    python start-up in the other runs): it is reported apart.
COLUMNS=200 RSS_DIR=$TMP "$MS" compare --runs 1 --final-at holding --final-after 6 -c $cfgs -- "$W" >"$TMP/t1" 2>"$TMP/e1"
check_eq "timer before the default's line: exit 0" "$?" 0
check_match "stderr says which run was read at the timer" "$(grep -E 'compare: glibc +run' "$TMP/e1")" 'final RSS [0-9.]+ [KMG]iB \(at the timer\)$'
check_match "the default is reported apart, with why" "$(grep '^not compared glibc: ' "$TMP/t1")" \
	'^not compared glibc: did not reach /holding/ within 6\.0 s: final RSS [0-9.]+ MiB taken at the timer, not compared \(a longer --final-after lets it reach the line\)$'
check_eq "the default is not in the ranked table" "$(grep -cE '^ +[0-9]+  glibc ' "$TMP/t1")" 0
check_eq "the runs at the line are ranked among themselves" "$(grep -cE '^ +[12]  glibc-arena-max-[12] ' "$TMP/t1")" 2
# a paragraph of the text, its wrapped lines joined
para() { sed -n "/^$2/,/^\$/p" "$1" | sed 's/^  //' | tr '\n' ' ' | sed 's/ *$//'; }
check_match "nothing is recommended against a default read at the timer" "$(para "$TMP/t1" 'Not judged')" \
	"^Not judged: glibc's default did not reach /holding/ within 6\.0 s: final RSS [0-9.]+ MiB taken at the timer; no configuration is compared with it and nothing is recommended\. Rerun with a longer --final-after \(e\.g\. --final-after 60\)\.$"
check_eq "no 'No change', no 'Use', no apply lines" "$(grep -cE '^(No change|Use |Apply it)' "$TMP/t1")" 0

RSS_DIR=$TMP "$MS" compare --json --runs 1 --final-at holding --final-after 6 -c $cfgs -- "$W" >"$TMP/j1.json" 2>/dev/null
J="$TMP/j1.json"
check_eq "JSON: compared_at line" "$(jq -r .compared_at "$J")" line
check_eq "JSON: the default apart (compared, final_moment, rank, effect)" \
	"$(jq -c '.runs[0] | [.compared, .final_moment, has("rank"), .effect, .runs_compared, .samples[0].final_by_time]' "$J")" \
	'[false,"timer",false,null,0,true]'
check_eq "JSON: the others compared at the line, not judged (no default at the line)" \
	"$(jq -c '[.runs[1:][] | [.compared, .final_moment, .effect]]' "$J")" '[[true,"line",null],[true,"line",null]]'
check_match "JSON: not_compared names the default and why" "$(jq -r .recommendation.not_compared "$J")" \
	'^glibc did not reach /holding/ within 6\.0 s: final RSS [0-9.]+ MiB taken at the timer, not compared'
check_eq "JSON: no recommendation, no no_change, no worse" \
	"$(jq -c '.recommendation | [.config, .no_change, .worse]' "$J")" '[null,"",""]'
check_match "JSON: its text starts 'Not judged'" "$(jq -r .recommendation.text "$J")" '^Not judged: '

# 2. A timer every run beats: all read at the line; the harmful setting is
#    "worse", never "no change"; the default's final RSS is its own reading.
COLUMNS=200 RSS_DIR=$TMP "$MS" compare --runs 1 --final-at holding --final-after 30 -c $cfgs -- "$W" >"$TMP/t2" 2>"$TMP/e2"
check_eq "timer after every line: exit 0" "$?" 0
check_eq "nothing apart" "$(grep -c '^not compared' "$TMP/t2")" 0
check_match "the arena cap of 1: no change" "$(grep '^No change' "$TMP/t2")" "^No change \(final RSS within 10% of glibc's default, one run each\): glibc-arena-max-1$"
check_match "the arena cap of 2: worse, X -> Y" "$(grep '^Worse' "$TMP/t2")" \
	"^Worse than glibc's default \(final RSS more than 10% higher, one run each; never use these here\): glibc-arena-max-2 \([0-9.]+ MiB -> 1[0-9][0-9]\.[0-9] MiB\)$"
check_match "keep the default" "$(grep -c '^Keep the default' "$TMP/t2")" '^1$'
RSS_DIR=$TMP "$MS" compare --json --runs 1 --final-at holding --final-after 30 -c $cfgs -- "$W" >"$TMP/j2.json" 2>/dev/null
J="$TMP/j2.json"
check_eq "JSON: effects (default, cap 1, cap 2)" "$(jq -c '[.runs[] | .effect]' "$J")" '[null,"no_change","worse"]'
check_eq "JSON: every run at the line" "$(jq -c '[.compared_at, ([.runs[] | .compared, .final_moment == "line"] | all)]' "$J")" '["line",true]'
check_match "JSON: worse lists the cap of 2 with its bytes" "$(jq -r .recommendation.worse "$J")" '^glibc-arena-max-2 \([0-9.]+ MiB -> [0-9.]+ MiB\)$'
oracle=$(cat "$TMP/rss.default" 2>/dev/null)
if [ -n "$oracle" ]; then
	check_within "the default's final RSS = its own reading at the line" "$(jq '.runs[0].final_rss_bytes' "$J")" "$oracle" 10
else
	skip "the workload's own RSS line: not captured"
fi
