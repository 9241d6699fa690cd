#!/usr/bin/env bash
# compare judges a difference only beyond the runs' spread (trial5 T5-5),
# keeps the environment's allocator variables in an as-launched baseline
# row and never recommends the setting in effect (T5-6), and judges cost
# on CPU time, not wall time (T5-14).  The workload (examples/run_spread)
# keeps a size chosen by MALLOC_ARENA_MAX and the run number: the oracle
# for every range is the list given here (+ the program's ~1.5 MiB).
source "$(dirname "$0")/lib.sh"

W="$EX/run_spread"
MiB=$((1 << 20))
para() { sed -n "/^$2/,/^\$/p" "$1" | sed 's/^  //' | tr '\n' ' ' | sed 's/ *$//'; }

# 1. three runs each: the default keeps 100/110/120 MiB; one arena
#    60/115/65 (median 65: 41% less, but its range overlaps); two arenas
#    60/62/64 (no overlap: measured)
mkdir -p "$TMP/s1" "$TMP/s2"
args=(--mib 100,110,120 --for 1 60,115,65 --for 2 60,62,64 --hold)
COLUMNS=200 "$MS" compare --runs 3 -c glibc,glibc-arena-max-1,glibc-arena-max-2 -- "$W" --state "$TMP/s1" "${args[@]}" >"$TMP/t1" 2>"$TMP/e1"
check_eq "spread: exit 0" "$?" 0
check_match "table: the default's range 100..120 MiB (+ the program)" "$(grep -E '^ +[0-9]+  glibc ' "$TMP/t1")" \
	' 10[01]\.[0-9]\.\.12[01]\.[0-9] MiB '
check_match "table: one arena's range 60..115 MiB" "$(grep -E '^ +[0-9]+  glibc-arena-max-1 ' "$TMP/t1")" \
	' 6[01]\.[0-9]\.\.11[56]\.[0-9] MiB '
check_match "overlapping ranges: not measured, with the spread and --runs" \
	"$(grep '^Within run-to-run variation' "$TMP/t1")" \
	"^Within run-to-run variation \(\+-27\.[0-9] MiB\) of glibc's default: not measured; use --runs 10: glibc-arena-max-1 \(6[01]\.[0-9] MiB\.\.11[56]\.[0-9] MiB\)$"
check_match "the non-overlapping one is recommended, with both ranges" "$(para "$TMP/t1" 'Use ')" \
	"^Use glibc-arena-max-2 \(glibc, at most 2 arenas\): the final RSS is 6[34]\.[0-9] MiB \(6[01]\.[0-9] MiB\.\.6[56]\.[0-9] MiB over 3 runs\) instead of 11[01]\.[0-9] MiB \(10[01]\.[0-9] MiB\.\.12[01]\.[0-9] MiB over 3 runs\) with glibc's default \(4[2-4]% less; the ranges do not overlap\)"
check_eq "one arena is neither 'No change' nor 'Worse'" "$(grep -cE '^(No change|Worse).*glibc-arena-max-1' "$TMP/t1")" 0
"$MS" compare --json --runs 3 -c glibc,glibc-arena-max-1,glibc-arena-max-2 -- "$W" --state "$TMP/s2" "${args[@]}" >"$TMP/j1.json" 2>/dev/null
J="$TMP/j1.json"
check_eq "JSON: min/max = the list's ends (MiB, the program's own bytes apart)" \
	"$(jq -c '[.runs[] | [.config, (.final_rss_min_bytes / 1048576 | floor), (.final_rss_max_bytes / 1048576 | floor)]]' "$J")" \
	'[["glibc",101,121],["glibc-arena-max-1",61,116],["glibc-arena-max-2",61,65]]'
check_eq "JSON: effects (overlap: not_measured)" "$(jq -c '[.runs[].effect]' "$J")" '[null,"not_measured","lower"]'
check_eq "JSON: recommendation, baseline, not_measured" \
	"$(jq -c '.recommendation | [.config, .baseline_config, (.not_measured | test("^glibc-arena-max-1 ")), (.run_to_run_bytes > 27 * 1048576)]' "$J")" \
	'["glibc-arena-max-2","glibc",true,true]'
check_eq "JSON: per-run VSZ recorded" "$(jq '[.runs[].samples[] | .final_vsz_bytes >= .final_rss_bytes and .peak_vsz_bytes >= .final_vsz_bytes] | all' "$J")" true

# 2. one run each: no spread, today's rule, said as such
mkdir -p "$TMP/s3"
COLUMNS=200 "$MS" compare --runs 1 -c glibc,glibc-arena-max-1 -- "$W" --state "$TMP/s3" --mib 100 --for 1 60 --hold >"$TMP/t2" 2>/dev/null
check_match "one run each: Use, said with no spread" "$(para "$TMP/t2" 'Use ')" \
	'^Use glibc-arena-max-1 .*: the final RSS is 6[01]\.[0-9] MiB instead of 10[01]\.[0-9] MiB with glibc.s default \(3[89]% less; one run each, no spread measured\)'
check_match "one run each: the table says so" "$(grep -E '^ +1  glibc-arena-max-1 ' "$TMP/t2")" ' 1 run '

# 3. the setting in the environment: an as-launched baseline row; the
#    setting in effect is never recommended; savings against what runs
mkdir -p "$TMP/s4"
MALLOC_ARENA_MAX=2 COLUMNS=200 "$MS" compare --runs 1 -c glibc,glibc-arena-max-2,glibc-tunable-arena-max-2 -- \
	"$W" --state "$TMP/s4" --mib 100 --for 2 40 --hold >"$TMP/t3" 2>"$TMP/e3"
check_eq "as launched: exit 0" "$?" 0
check_eq "as launched: said once on stderr" "$(grep -c '^memsleuth compare: the environment sets MALLOC_ARENA_MAX=2: the row as-launched keeps it and is the baseline; every other row runs without it$' "$TMP/e3")" 1
check_match "as launched: its row, labelled with the setting, at the oracle's 40 MiB" \
	"$(grep -E '^ +[0-9]+  glibc \(MALLOC_ARENA_MAX=2\) ' "$TMP/t3")" ' 4[01]\.[0-9] MiB '
check_match "as launched: the setting in effect named" "$(grep '^Already in effect' "$TMP/t3")" \
	'^Already in effect \(the command.s environment sets it; never recommended\): glibc-arena-max-2, glibc-tunable-arena-max-2$'
check_eq "as launched: nothing recommended (only the setting in effect is lower)" "$(grep -cE '^(Use |Apply it)' "$TMP/t3")" 0
check_match "as launched: keep what runs, against it" "$(para "$TMP/t3" 'Keep')" \
	'^Keep what runs: no configuration ends more than 10% below the command as launched \(MALLOC_ARENA_MAX=2\), 4[01]\.[0-9] MiB\.'
mkdir -p "$TMP/s5"
MALLOC_ARENA_MAX=2 "$MS" compare --json --runs 1 -c glibc,glibc-arena-max-2 -- "$W" --state "$TMP/s5" --mib 100 --for 2 40 --hold >"$TMP/j3.json" 2>/dev/null
check_eq "JSON as launched: its label" "$(jq -r '.runs[0].label' "$TMP/j3.json")" "glibc (MALLOC_ARENA_MAX=2)"
check_eq "JSON as launched: rows, baseline, in effect" \
	"$(jq -c '[.launched_with, .recommendation.baseline_config, .recommendation.config, [.runs[] | [.config, .baseline, .in_effect, .effect]]]' "$TMP/j3.json")" \
	'["MALLOC_ARENA_MAX=2","as-launched",null,[["as-launched",true,false,null],["glibc",false,false,"worse"],["glibc-arena-max-2",false,true,null]]]'

# 4. cost on CPU time: a setting that sleeps 1 s (wall 5x, CPU alike) costs
#    nothing; one that spins 0.5 s of CPU does
mkdir -p "$TMP/s6"
COLUMNS=200 "$MS" compare --runs 1 -c glibc,glibc-arena-max-1,glibc-arena-max-2 -- "$W" --state "$TMP/s6" --mib 100 \
	--for 1 40 --for 2 30 --sleep-for 1 1.5 --spin-for 2 0.6 --hold >"$TMP/t4" 2>/dev/null
check_match "CPU cost: the spinning one is recommended, costs CPU time" "$(para "$TMP/t4" 'Use ')" \
	'^Use glibc-arena-max-2 .*CPU time [0-9]+\.[0-9]{2}x the default.s \(wall time [0-9.]+x\)\. It costs CPU time: measure'
mkdir -p "$TMP/s7"
COLUMNS=200 "$MS" compare --runs 1 -c glibc,glibc-arena-max-1 -- "$W" --state "$TMP/s7" --mib 100 \
	--for 1 40 --sleep-for 1 1.5 --hold >"$TMP/t5" 2>/dev/null
check_match "wall time alone: no cost claimed" "$(para "$TMP/t5" 'Use ')" \
	'^Use glibc-arena-max-1 .*CPU time [0-9.]+x the default.s \(wall time ([4-9]|[1-9][0-9])\.[0-9]{2}x\)\.$'
