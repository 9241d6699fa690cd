#!/usr/bin/env bash
# main_top_kept (trial 3 #5, PHP with USE_ZEND_ALLOC=0): a free top of the
# main heap kept because glibc raised mp_.trim_threshold after a large
# mmapped block was freed is a cause of its own, with fixed thresholds as
# its remedy; main_heap_pinned keeps only the pages below the live block.
# Oracles: gdb with libc6-dbg, read-only (mp_.trim_threshold, the main
# top's size field), the example's own arithmetic, and an identical twin
# run with fixed thresholds (its RSS drops by the top).
source "$(dirname "$0")/lib.sh"
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }
FIXED=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072

start_example main_top_kept kept --top 40 --pinned 8 || exit 0
pid=$EX_PID out=$EX_OUT
"$MS" arenas --json "$pid" >"$TMP/a.json" 2>"$TMP/a.err"
check_eq "arenas --json exits 0" "$?" 0
"$MS" arenas "$pid" >"$TMP/a.txt" 2>/dev/null
top=$(cause "$TMP/a.json" main_top_kept)
pinned=$(cause "$TMP/a.json" main_heap_pinned)
check_eq "main_top_kept named" "$(jq -r .kind <<<"$top")" main_top_kept
ttop=$(jq '.evidence.top_bytes' <<<"$top")
tres=$(jq '.resident_bytes' <<<"$top")
tthr=$(jq '.evidence.trim_threshold_bytes' <<<"$top")
if command -v gdb >/dev/null && ls /usr/lib/debug/.build-id >/dev/null 2>&1; then
	# read-only: print, never call (an inferior call kills the target on this kernel)
	gdb -p "$pid" -batch -ex 'p mp_.trim_threshold' -ex 'p ((struct malloc_chunk*)main_arena.top)->mchunk_size & ~7' \
		>"$TMP/gdb.txt" 2>&1
	gthr=$(sed -n 's/^\$1 = \([0-9]*\)$/\1/p' "$TMP/gdb.txt")
	gtop=$(sed -n 's/^\$2 = \([0-9]*\)$/\1/p' "$TMP/gdb.txt")
	if [ -n "$gthr" ] && [ -n "$gtop" ]; then
		check_eq "trim_threshold: gdb's mp_.trim_threshold" "$tthr" "$gthr"
		check_cmp "the top's size: gdb's main_arena.top size, within a page (above)" "$ttop" -le $((gtop + 4096))
		check_cmp "the top's size: gdb's main_arena.top size, within a page (below)" "$ttop" -ge $((gtop - 4096))
	else
		skip "gdb could not read mp_/main_arena: $(head -c 200 "$TMP/gdb.txt")"
	fi
else
	skip "gdb with libc6-dbg not installed: the oracle for mp_ and the top"
fi
check_cmp "the threshold was raised above the default 128 KiB (twice the freed 30 MiB block)" "$tthr" -ge $((60 << 20))
check_cmp "the top is below it (that is why free() keeps it)" "$ttop" -lt "$tthr"
check_cmp "resident bytes: the top's resident part (<= its size)" "$tres" -le "$ttop"
# the last sbrk's top_pad (128 KiB) is never written: not resident
check_cmp "resident bytes: all of it but the untouched pad" "$tres" -ge $((ttop - 132 * 1024))
check_within "the top: the example's 40 MiB of freed 1000-byte blocks" "$ttop" $(( (40 << 20) / 1000 * 1008 )) 1
check_match "text: raised from the default, and why it is kept" "$(jq -r .text <<<"$top")" \
	"main heap keeps a free top of .*raised mp_\\.trim_threshold from its default 128\\.0 KiB to 60\\.0 MiB .*only when its top reaches the trim threshold"
check_eq "its first remedy: fixed thresholds" "$(jq -r '.remedies[0].command' <<<"$top" | grep -c "GLIBC_TUNABLES=$FIXED")" 1
check_eq "its verdict's next command: fixed thresholds" \
	"$(jq -r '.verdicts[] | select(.text | startswith("glibc'"'"'s main heap keeps a free top")) | .next' "$TMP/a.json" | grep -c "GLIBC_TUNABLES=$FIXED")" 1
check_eq "text output: the remedy line names fixed thresholds for main_top_kept" \
	"$(tr -s ' \n' ' ' <"$TMP/a.txt" | grep -c "main_top_kept: fixed thresholds turn glibc's dynamic adjustment off")" 1
# the pinned cause: only the pages below the live block, not the top
check_eq "main_heap_pinned: none of the top" "$(jq '.evidence.trim_from_top_bytes' <<<"$pinned")" 0
check_within "main_heap_pinned: the example's 8 MiB below the pin" "$(jq '.resident_bytes' <<<"$pinned")" \
	$(( (8 << 20) / 1000 * 1008 )) 2
check_eq "main_heap_pinned: no threshold remedy (thresholds do not reach below a live block)" \
	"$(jq -r '.remedies[].command' <<<"$pinned" | grep -c GLIBC_TUNABLES)" 0
check_eq "the two causes do not count a byte twice: together what malloc_trim(0) returns from the main heap" \
	"$(jq '[.arenas[] | select(.is_main)][0].trim_bytes' "$TMP/a.json")" \
	"$(( $(jq '.resident_bytes' <<<"$pinned") + $(jq '.arenas[0].trim_top_bytes' "$TMP/a.json") ))"
rss_def=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' "$out")
stop_example "$pid"

# the twin with fixed thresholds: the top goes back at free
GLIBC_TUNABLES=$FIXED "$EX/main_top_kept" --top 40 --pinned 8 >"$TMP/twin.out" 2>&1
rss_fix=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' "$TMP/twin.out")
check_cmp "twin with fixed thresholds: RSS lower by at least 90% of the kept top" \
	$(( (rss_def - rss_fix) * 1024 )) -ge $(( tres / 10 * 9 ))
