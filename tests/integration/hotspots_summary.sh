#!/usr/bin/env bash
# hotspots' closing lines say each thing once and point somewhere new
# (trial4 F-G, F-H): with --stacks the summary's "call site allocating
# the most" is the bytes table's top row (the first frame outside the
# allocation wrappers, not operator new's total); a command's end is said
# once; an --address answer is not followed by the whole report nor by the
# same question as next; without --stacks, when operator new holds the
# live bytes, next is the --stacks 8 rerun.  Oracle: the report's own
# --json sites (the tables' rows) and the fixture's arithmetic
# (tests/fixtures/cxx/two_callers.cc).
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v g++ >/dev/null; then
	skip "hotspots summary on C++: no g++"
	exit 0
fi
cd "$TMP" || exit 2
g++ -O2 -g -o two_callers "$REPO/tests/fixtures/cxx/two_callers.cc" || { fail "building two_callers.cc"; exit 0; }

# --- F-G: the summary's site is the bytes table's top row ----------------
"$MS" hotspots --stacks 8 --json -- ./two_callers >st.json 2>/dev/null
top=$(jq '[.sites[].requested_bytes] | max' st.json)
total=$(jq '.requested_bytes' st.json)
check_eq "oracle: two_callers.cc's Cache::fill asks 300 x 256 B, the largest caller" "$top" $((300 * 256))
want=$(awk -v b="$top" -v t="$total" 'BEGIN { printf "made %.1f KiB of them (%.0f%%)", b / 1024, 100 * b / t }')
check_eq "summary names the bytes table's top row: $want" \
	"$(jq -r '.verdicts[0].text' st.json | grep -oF "$want")" "$want"

# --- F-H: the command's end said once ------------------------------------
"$MS" hotspots -- bash -c 'exit 3' >end.txt 2>&1
check_eq "the command's exit status 3 said once" "$(grep -c 'status 3' end.txt)" 1

# --- F-H: without --stacks, operator new on top: next is the note's rerun
"$MS" hotspots --json -- ./two_callers >plain.json 2>/dev/null
check_eq "without --stacks: next is the --stacks 8 rerun" \
	"$(jq -r '[.verdicts[].next | select(. != "")] | last' plain.json)" "memsleuth hotspots --stacks 8 -- ./two_callers"
"$MS" hotspots --stacks 8 --json -- ./two_callers >st2.json 2>/dev/null
check_eq "with --stacks: next is compare" \
	"$(jq -r '[.verdicts[].next | select(. != "")] | last' st2.json)" "memsleuth compare -- ./two_callers"

# --- F-H: an --address answer alone, and a next that is not the same ------
"$MS" hotspots --output rec --record-only -- ./two_callers >/dev/null 2>&1
"$MS" hotspots --from rec --address 0x10 >addr.txt 2>&1
check_eq "--address: exit 0" "$?" 0
check_eq "--address: the answer is given" "$(grep -c '^Address 0x10: no allocation live at the end holds it' addr.txt)" 1
check_eq "--address: no table after the answer" "$(grep -c 'Top call sites' addr.txt)" 0
check_eq "--address: next is the whole report, not the same question" \
	"$(grep -o 'next: .*' addr.txt | tail -1)" "next: memsleuth hotspots --from rec"
"$MS" hotspots --from rec >full.txt 2>&1
check_eq "without --address: the tables, and next asks about an address" \
	"$(grep -c 'Top call sites by bytes allocated' full.txt)|$(grep -o 'next: .*' full.txt | tail -1)" \
	"1|next: memsleuth hotspots --from rec --address ADDR"
