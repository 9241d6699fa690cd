#!/usr/bin/env bash
# Chunks in a thread's tcache are never pins (trial 4 F-B).  glibc's
# tcache_put leaves a cached chunk marked in use in the heap: a walk that
# does not set the tcache apart saw the 7 chunks cached right below the
# top of examples/tcache_hold as live pins.  Oracles: gdb with libc6-dbg,
# read-only (tcache->counts/entries in the thread; the lowest cached
# chunk's own header says free memory lies right below it, and its
# prev_size how much); a real malloc_trim(0) on an identical twin; a twin
# with glibc.malloc.tcache_count=0.  And a real live pin (examples/pin) is
# still named.
source "$(dirname "$0")/lib.sh"
CHUNK=1008   # request2size(1000)
TIDX=61      # csize2tidx(1008)

start_example tcache_hold held --mib 16 || exit 1
pid=$EX_PID out=$EX_OUT
"$MS" arenas --stop --json "$pid" >"$TMP/s.json" 2>"$TMP/s.err"
check_eq "arenas --stop --json exits 0" "$?" 0
"$MS" arenas --stop "$pid" >"$TMP/s.txt" 2>/dev/null
"$MS" arenas --json "$pid" >"$TMP/a.json" 2>/dev/null
h=$(jq -c '.arenas[0].tcache_hold' "$TMP/s.json")
if command -v gdb >/dev/null && ls /usr/lib/debug/.build-id >/dev/null 2>&1; then
	# read-only: print, never call (an inferior call kills the target on this kernel)
	gdb -p "$pid" -batch -ex "p tcache->counts[$TIDX]" -ex "p/x tcache->entries[$TIDX]" \
		-ex "p ((size_t*)tcache->entries[$TIDX])[-1]" -ex "p ((size_t*)tcache->entries[$TIDX])[-2]" \
		>"$TMP/gdb.txt" 2>&1
	gcount=$(sed -n 's/^\$1 = \([0-9]*\)$/\1/p' "$TMP/gdb.txt")
	gentry=$(sed -n 's/^\$2 = \(0x[0-9a-f]*\)$/\1/p' "$TMP/gdb.txt")
	gsize=$(sed -n 's/^\$3 = \([0-9]*\)$/\1/p' "$TMP/gdb.txt")
	gprev=$(sed -n 's/^\$4 = \([0-9]*\)$/\1/p' "$TMP/gdb.txt")
	if [ -n "$gcount" ] && [ -n "$gentry" ] && [ -n "$gsize" ]; then
		check_eq "gdb: the tcache holds 7 chunks of $CHUNK B" "$gcount" 7
		# its head (the last freed: the lowest) has PREV_INUSE clear: free
		# memory right below it -- the chunk the walk used to call "1 live
		# chunk ... pins"; its prev_size is that free chunk's size
		check_eq "gdb: the lowest cached chunk sits right above free memory (size field, PREV_INUSE clear)" "$gsize" $CHUNK
		pinaddr=$(printf '%#x' $((gentry - 16)))
		check_eq "no pin named at gdb's tcache entry $pinaddr (--stop)" \
			"$(jq --arg a "$pinaddr" '[.arenas[].pins[] | select(.address == $a)] | length' "$TMP/s.json")" 0
		check_eq "no pin at all: pin_summary null (so no --address link to a freed chunk)" \
			"$(jq -c .pin_summary "$TMP/s.json")" null
		check_eq "tcache_hold: chunks = gdb's count" "$(jq .chunks <<<"$h")" "$gcount"
		check_eq "tcache_hold: bytes = gdb's count x chunk size" "$(jq .bytes <<<"$h")" $((gcount * CHUNK))
		check_eq "tcache_hold: free below = gdb's prev_size of the lowest cached chunk" \
			"$(jq .free_below_bytes <<<"$h")" "$gprev"
		check_eq "no pin without --stop either" "$(jq -c '[.arenas[].pins[]] | length' "$TMP/a.json")" 0
		check_eq "without --stop: the same hold, thread not attributed" \
			"$(jq -c '.arenas[0].tcache_hold | [.chunks, .bytes, .tid]' "$TMP/a.json")" "[$gcount,$((gcount * CHUNK)),0]"
	else
		skip "gdb could not read the thread's tcache: $(head -c 200 "$TMP/gdb.txt")"
	fi
else
	skip "gdb with libc6-dbg not installed: the oracle for the tcache"
fi
check_eq "--stop: the hold names the target's thread" "$(jq .tid <<<"$h")" "$pid"
check_cmp "the example's own arithmetic: about 16 MiB kept below the cache" "$(jq .free_below_bytes <<<"$h")" -ge $((15 << 20))
txt=$(tr -s ' \n' ' ' <"$TMP/s.txt")
check_eq "text: no live chunk called a pin" "$(grep -c 'live chunk' <<<"$txt")" 0
check_match "text: the tcache holds the top, in the field's terms" "$txt" \
	"no live pin in arena 0x[0-9a-f]*: 7 chunks in thread $pid's \(tcache_hold\) tcache \(freed, cached by glibc, 6\.9 KiB\) stand between 16\.[0-9] MiB of free memory and the top: malloc_trim\(0\) would return .*GLIBC_TUNABLES=glibc\.malloc\.tcache_count=0"
c=$(jq -c '[.causes[] | select(.kind == "main_heap_pinned")][0]' "$TMP/s.json")
check_match "cause text: freed memory below chunks glibc caches, no live block" "$(jq -r .text <<<"$c")" \
	"below chunks glibc caches, no live block \(7 chunks in thread $pid's"
check_eq "cause: no 'change where the pinning block is allocated' remedy" \
	"$(jq -r '.remedies[].command' <<<"$c" | grep -c 'pinning block')" 0
check_eq "cause: the tcache_count=0 remedy, measurable by compare" \
	"$(jq -r '.remedies[].measure_with // empty' <<<"$c" | grep -c 'compare -c glibc,glibc-tcache-0')" 1
pred=$(jq .trim_prediction_bytes "$TMP/s.json")
free_below=$(jq .free_below_bytes <<<"$h")
stop_example "$pid"

# a real malloc_trim(0) on an identical twin: what arenas predicted (the
# tcache stays: malloc_trim does not empty it)
start_example tcache_hold held --mib 16 || exit 1
"$MS" trim "$EX_PID" --yes --json >"$TMP/t.json" 2>"$TMP/t.err"
if [ "$(jq -r '.returned_bytes | type' "$TMP/t.json" 2>/dev/null)" = number ]; then
	check_eq "twin: malloc_trim(0) returned 1" "$(jq -r .malloc_trim_result "$TMP/t.json")" 1
	check_within "twin: the real malloc_trim(0) RSS drop = the trim prediction" \
		"$(jq .returned_bytes "$TMP/t.json")" "$pred" 5
	"$MS" arenas --json "$EX_PID" >"$TMP/after.json" 2>/dev/null
	check_eq "twin after the trim: the tcache still holds its 7 chunks" \
		"$(jq '.arenas[0].tcache_hold.chunks' "$TMP/after.json")" 7
else
	skip "twin: trim unavailable: $(head -c 200 "$TMP/t.err")"
fi
stop_example "$EX_PID"
rss_def=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' "$out")
# the twin without a tcache: the top shrinks at free
GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "$EX/tcache_hold" --mib 16 >"$TMP/t0.out" 2>&1
rss_t0=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' "$TMP/t0.out")
check_cmp "twin with tcache_count=0: RSS lower by at least 90% of what the cache held" \
	$(( (rss_def - rss_t0) * 1024 )) -ge $(( free_below / 10 * 9 ))

# the regression: a real live pin is still named
start_example pin freed || exit 1
"$MS" arenas --json "$EX_PID" >"$TMP/p.json" 2>/dev/null
check_eq "examples/pin: its live pin is still named" "$(jq '[.arenas[] | select(.is_main)][0].pins | length' "$TMP/p.json")" 1
check_eq "examples/pin: no tcache hold" "$(jq -c '[.arenas[] | select(.is_main)][0].tcache_hold' "$TMP/p.json")" null
stop_example "$EX_PID"
