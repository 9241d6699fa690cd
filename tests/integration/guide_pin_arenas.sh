#!/usr/bin/env bash
# Several thread arenas, each pinned by one live block (trial 3's pins12):
# the pins are put together -- by their call site when the guide's
# recording names it, by arena kind otherwise -- and their total is what
# malloc_trim(0) would return from thread arenas, not "the largest pin
# pins 8%; the rest is whole free pages".  The FRAG total is computed as
# the rows are (0.00 for arenas of one free block each).  Oracles: the
# example's own counts (N threads x (COUNT - 7 kept by tcache) freed
# 1000-byte blocks of 1008 B below each pin), the pointers it prints, the
# source line of its pin, arenas' per-arena pins.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
N=6 COUNT=20480
pinl=$(grep -n 'pins\[id\] = malloc(64)' "$REPO/examples/arena_pins.c" | cut -d: -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# --- arenas alone: no recording, pins grouped by arena kind --------------
start_example arena_pins freed --threads $N --count $COUNT || { fail "arena_pins did not start"; exit 0; }
"$MS" arenas --json "$EX_PID" >"$TMP/a.json"
check_eq "arenas --json exits 0" "$?" 0
"$MS" arenas "$EX_PID" >"$TMP/a.txt"
a=$TMP/a.json
tcache=$(jq '.mp.tcache_count' "$a")
per=$(( (COUNT - tcache) * 1008 ))
check_eq "one pin per thread arena, each the example's freed blocks ((COUNT - tcache_count) x 1008 B)" \
	"$(jq -c '[.arenas[] | select(.is_main | not) | .pins[0].pinned_bytes] | unique' "$a")" "[$per]"
check_eq "the pins' addresses are the example's pointers - 16" \
	"$(jq -r '[.arenas[] | select(.is_main | not) | .pins[0].address] | sort | .[]' "$a" | tr '\n' ' ')" \
	"$(while read -r _ _ p; do printf '0x%x\n' $((p - 16)); done < <(grep '^pin ' "$EX_OUT") | sort | tr '\n' ' ')"
sum=$(jq '[.arenas[].pins[0].pinned_bytes // 0] | add' "$a")
trim=$(jq '[.arenas[] | select(.is_main | not) | .trim_bytes] | add' "$a")
check_eq "pin_summary: $N pins, their total the sum of the arenas' pins" \
	"$(jq -c '.pin_summary | [.pins, .pinned_bytes, .is_main, .allocated_at]' "$a")" "[$N,$sum,false,null]"
check_eq "... = N x the example's freed blocks" "$sum" "$((N * per))"
check_eq "... against the thread arenas' trim, 100%, nothing left over" \
	"$(jq -c '.pin_summary | [.trim_bytes, .share, .minor, .rest_bytes, .other_pins]' "$a")" "[$trim,1,false,0,0]"
txt=$(tr -s ' \n' ' ' <"$TMP/a.txt")
check_match "text: the pins together, by arena" "$txt" \
	"pins together: $N pins, one per thread arena, 80 B each, pin $(mib "$sum") together: 100% of the $(mib "$trim") malloc_trim\\(0\\) would return from thread arenas "
check_eq "text: no 'the rest is whole free pages'" "$(grep -c 'whole free pages' "$TMP/a.txt")" 0
# FRAG: each arena one free block (and a few tcache'd chunks): 0.00, and so the total
check_eq "FRAG: every row 0.00 and the total too (not 1 - largest/all free)" \
	"$(awk '$1 ~ /^0x/ && NF == 3 { print $2 } $1 ~ /^0x/ && $2 == "main" && NF == 4 { print $3 } $1 == "total" && NF == 3 { print $2 }' "$TMP/a.txt" | sort -u | tr '\n' ' ')" "0.00 "
check_cmp "FRAG in the JSON: the total below 0.01" \
	"$(jq '.totals.fragmentation * 10000 | floor' "$a")" -lt 100
stop_example "$EX_PID"

# --- the guide: recorded from the start, pins grouped by call site -------
"$MS" guide --batch --json --watch 0 --window 1 --no-compare -- "$EX/arena_pins" --threads $N --count $COUNT --hold \
	>"$TMP/g.json" 2>"$TMP/g.txt"
check_eq "guide -- arena_pins exits 0" "$?" 0
g=$TMP/g.json
gsum=$(jq '[.steps[2].findings.arenas[].pins[0].pinned_bytes // 0] | add' "$g")
gtrim=$(jq '[.steps[2].findings.arenas[] | select(.is_main | not) | .trim_bytes] | add' "$g")
check_eq "guide: the pins' total is the sum of arenas' per-arena pins" \
	"$(jq '.steps[2].findings.pin_summary.pinned_bytes' "$g")" "$gsum"
ev=$(jq -r '.steps[2].evidence[] | select(test("pins, one per thread arena"))' "$g")
check_match "guide: $N pins at the example's pin line, their total, 100% of the thread arenas' trim" "$ev" \
	"^$N pins, one per thread arena, allocated at arena_pins\\.c:$pinl \\(worker\\), 80 B each, pin $(mib "$gsum") together: 100% of the $(mib "$gtrim") malloc_trim\\(0\\) would return from thread arenas -- from the recording"
check_eq "guide: no 'largest pin' and no 'rest'" "$(grep -cE 'largest pin|the rest is' "$TMP/g.txt")" 0
check_eq "guide: the pins are the next step (not 'who allocates')" \
	"$(jq -r '.steps[2].next' "$g" | grep -c '^who allocated the pin')" 1
pid=$(jq '.pid' "$g")
check_eq "the command is stopped" "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)" gone
