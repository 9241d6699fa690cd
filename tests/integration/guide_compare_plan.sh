#!/usr/bin/env bash
# The guide's compare on a launched command runs only the allocator swaps
# when glibc's heaps hold under 10% of the gap (findings/guide.h
# ms_guide_compare_plan; trial3 #7: PHP's Zend MM, glibc 1.8 MiB, and 9
# glibc configurations took most of the run).  examples/anon_map maps and
# writes 64 MiB outside glibc.  Oracles: `compare --list --json` (the
# configurations of another allocator), the example's own RSS line, and
# overview's malloc figure the guide quotes.
source "$(dirname "$0")/lib.sh"
export TMPDIR=$TMP

swaps=$("$MS" compare --list --json | jq -r '[.configurations[] | select(.allocator != "glibc") | .name] | join(",")')
check_match "compare --list: allocator swaps to expect" "$swaps" 'jemalloc.*mimalloc'

"$MS" guide --batch --json --window 1 --watch 0 --accounted 1M --when 'phase=mapped' -- "$EX/anon_map" --mib 64 --hold \
	>"$TMP/g.json" 2>"$TMP/g.txt"
check_eq "guide -- anon_map: exit 0" "$?" 0
J=$TMP/g.json
rss_kb=$(sed -n 's/.*pid=[0-9]* phase=mapped rss_kb=\([0-9]*\).*/\1/p' "$TMP/g.txt" | head -1)
check_within "anon_map: RSS examined = its own" "$(jq .rss_bytes "$J")" $((rss_kb * 1024)) 5
R='.steps[] | select(.name=="remedies")'
check_eq "compare ran the baseline and the allocator swaps only" \
	"$(jq -r "[$R | .findings.runs[].config] | join(\",\")" "$J")" "glibc,$swaps"
mrss=$(jq -r '.steps[] | select(.name=="overview") | .findings.malloc_rss_bytes' "$J")
check_cmp "glibc's heaps hold under 10% of the gap (overview)" $((mrss * 10)) -lt "$(jq .gap_bytes "$J")"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
check_match "the one line says why" "$(jq -r "$R | .evidence[]" "$J")" \
	"^compare: glibc's heaps hold [0-9.]+ (B|KiB|MiB) of the $(mib "$(jq .gap_bytes "$J")") MiB gap: its settings cannot reach the rest; ran the allocator swaps only"
check_match "... and on the guide's output" "$(tr '\n' ' ' <"$TMP/g.txt" | tr -s ' ')" \
	"compare: glibc's heaps hold .* ran the allocator swaps only"
