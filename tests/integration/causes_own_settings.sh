#!/usr/bin/env bash
# The remedies' expected bytes under the process's own settings (trial 5):
#  T5-4  the code fix for a pin is credited with what the pin holds, not
#        with all malloc_trim(0) returns from the main heap (most of it
#        lies below other live blocks);
#  T5-13 a top_pad above the default (MALLOC_TOP_PAD_) is said, and a
#        free()-based remedy expects the top above it only;
#  T5-6  a threshold set by a tunable is named with its source, and the
#        remedy does not claim to turn off an adjustment already off.
# Oracles: the examples' own VmRSS after free() did the shrinking (the pin
# freed in the same process; a twin with tcache_count=0), gdb with
# libc6-dbg reading mp_ (read-only), the environment the test sets.
source "$(dirname "$0")/lib.sh"
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }
rss_of() { sed -n "s/.*phase=$2 rss_kb=\([0-9]*\).*/\1/p" "$1" | head -1; }
have_gdb() { command -v gdb >/dev/null && ls /usr/lib/debug/.build-id >/dev/null 2>&1; }
# gdb_mp PID FIELD...: mp_'s fields, read-only (an inferior call fails here)
gdb_mp() {
	local pid=$1; shift
	local args=() f
	for f in "$@"; do args+=(-ex "p mp_.$f"); done
	gdb -p "$pid" -batch "${args[@]}" 2>/dev/null | sed -n 's/^\$[0-9]* = \([0-9]*\)$/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# --- T5-4: 19 MiB freed below 297 live blocks, 1 MiB below the pin ------
# recorded from its start, so that arenas names the pin's call site
"$MS" hotspots --record-only --output "$TMP/rec" --duration 120 -- "$EX/pin" --count 20000 --size 1024 \
	--keep-every 64 --tail 1000 --pin-size 2000 --unpin --step --hold >"$TMP/pin.out" 2>&1 &
_pids+=("$!")
PIN=""
for ph in allocated pinned freed; do
	for _ in $(seq 1 600); do grep -q "phase=$ph" "$TMP/pin.out" && break; sleep 0.1; done
	PIN=$(sed -n "s/.*pid=\([0-9]*\) phase=$ph.*/\1/p" "$TMP/pin.out")
	[ -n "$PIN" ] || break
	[ "$ph" = freed ] || kill -USR1 "$PIN"
done
if [ -z "$PIN" ]; then
	fail "pin under hotspots --record-only did not reach phase freed: $(cat "$TMP/pin.out")"
else
	"$MS" arenas --json --hotspots "$TMP/rec" "$PIN" >"$TMP/p.json" 2>"$TMP/p.err"
	check_eq "T5-4 arenas --hotspots --json exits 0" "$?" 0
	c=$(cause "$TMP/p.json" main_heap_pinned)
	trim=$(jq .resident_bytes <<<"$c")
	pinned=$(jq '.arenas[0].pinned_free_bytes' "$TMP/p.json")
	code=$(jq -c '[.remedies[] | select(.command | contains("pinning block"))][0]' <<<"$c")
	check_cmp "T5-4 the code fix is offered (the pin's site is known)" "$(jq -r '.command | length' <<<"$code")" -gt 0
	expected=$(jq .expected_bytes <<<"$code")
	check_cmp "T5-4 the trim figure is the main heap's (about 19 MiB)" "$trim" -ge $((18 << 20))
	check_cmp "T5-4 the pin pins the 1000 freed tail blocks (about 1 MiB)" "$pinned" -le $((1100 * 1040))
	kill -USR1 "$PIN"
	for _ in $(seq 1 600); do grep -q "phase=unpinned" "$TMP/pin.out" && break; sleep 0.1; done
	before=$(rss_of "$TMP/pin.out" freed) after=$(rss_of "$TMP/pin.out" unpinned)
	if [ -n "$before" ] && [ -n "$after" ]; then
		# the oracle: free() of the pin, in the same process, measured by VmRSS
		check_within "T5-4 the code fix's expected bytes = what free() returned once the pin was freed" \
			"$expected" $(( (before - after) * 1024 )) 5
		check_cmp "T5-4 not the whole trim figure (the rest lies below other live blocks)" "$expected" -lt $((trim / 4))
	else
		fail "T5-4 the pin did not reach phase unpinned: $(cat "$TMP/pin.out")"
	fi
	check_match "T5-4 the remedy says the pin's part is small, and why" "$(jq -r .expected_effect <<<"$code")" \
		"^for good, in the code, for the pin's part only: the pin holds 1\.0 MiB; 1[78]\.[0-9] MiB lie below [0-9]+ other live blocks: not one block's fault; only malloc_trim or another allocator returns them"
	others=$(jq -r .expected_effect <<<"$code" | sed -n 's/.* lie below \([0-9]*\) other live blocks.*/\1/p')
	# 20000 / 64 blocks kept outside the tail (the example's arithmetic), the stdout buffer
	check_within "T5-4 the other live blocks: the 297 the example keeps (and its stdout buffer)" "$others" 298 1
fi

# --- T5-13: MALLOC_TOP_PAD_=64 MiB, 96 MiB held by 7 cached chunks ------
PAD=67108864
MALLOC_TOP_PAD_=$PAD start_example tcache_hold held --mib 96 || exit 1
pid=$EX_PID out=$EX_OUT
"$MS" arenas --json "$pid" >"$TMP/t.json" 2>/dev/null
check_eq "T5-13 arenas reads mp_.top_pad = the environment's" "$(jq .mp.top_pad_bytes "$TMP/t.json")" "$PAD"
if have_gdb; then
	check_eq "T5-13 gdb: mp_.top_pad" "$(gdb_mp "$pid" top_pad)" "$PAD"
else
	skip "gdb with libc6-dbg not installed: the oracle for mp_.top_pad"
fi
c=$(cause "$TMP/t.json" main_heap_pinned)
check_match "T5-13 the cause says the top_pad in effect and where it comes from" "$(jq -r .text <<<"$c")" \
	"top_pad is 64\.0 MiB \(MALLOC_TOP_PAD_=$PAD, from its environment\): free\(\) keeps that much at the heap's top; malloc_trim\(0\) does not\."
tc=$(jq '[.remedies[] | select(.command | contains("tcache_count=0"))][0].expected_bytes' <<<"$c")
mt=$(jq '[.remedies[] | select(.command | contains("memsleuth trim"))][0].expected_bytes' <<<"$c")
stop_example "$pid"
rss_pad=$(rss_of "$out" held)
# the twin without a tcache, under the same top_pad: free() shrinks the top down to top_pad
MALLOC_TOP_PAD_=$PAD GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "$EX/tcache_hold" --mib 96 >"$TMP/t0.out" 2>&1
rss_t0=$(rss_of "$TMP/t0.out" held)
check_within "T5-13 tcache_count=0: expected = the twin's RSS drop under the same top_pad" "$tc" \
	$(( (rss_pad - rss_t0) * 1024 )) 5
check_cmp "T5-13 malloc_trim(0) still expects the whole 96 MiB (it pads with 0)" "$mt" -ge $((95 << 20))
if [ -n "${MEMSLEUTH_REAL_TRIM:-1}" ]; then
	MALLOC_TOP_PAD_=$PAD start_example tcache_hold held --mib 96 || exit 1
	"$MS" trim "$EX_PID" --yes --json >"$TMP/tr.json" 2>"$TMP/tr.err"
	if [ "$(jq -r '.returned_bytes | type' "$TMP/tr.json" 2>/dev/null)" = number ]; then
		check_within "T5-13 twin: a real malloc_trim(0) returns the trim figure (top_pad or not)" \
			"$(jq .returned_bytes "$TMP/tr.json")" "$mt" 5
	else
		skip "T5-13 twin: trim unavailable: $(head -c 200 "$TMP/tr.err")"
	fi
	stop_example "$EX_PID"
fi

# --- T5-6: a trim threshold set by a tunable -----------------------------
TUN=glibc.malloc.trim_threshold=67108864
GLIBC_TUNABLES=$TUN start_example main_top_kept kept --top 40 --pinned 8 || exit 1
pid=$EX_PID
"$MS" overview --json "$pid" >"$TMP/o.json" 2>/dev/null
check_eq "T5-6 overview: the allocator settings of its environment" "$(jq -c .allocator_env "$TMP/o.json")" \
	"[\"GLIBC_TUNABLES=$TUN\"]"
"$MS" arenas --json "$pid" >"$TMP/m.json" 2>/dev/null
if have_gdb; then
	check_eq "T5-6 gdb: mp_.trim_threshold set, no dynamic adjustment" "$(gdb_mp "$pid" trim_threshold no_dyn_threshold)" \
		"67108864 1"
else
	skip "gdb with libc6-dbg not installed: the oracle for mp_"
fi
c=$(cause "$TMP/m.json" main_top_kept)
check_match "T5-6 the threshold's source: its environment's GLIBC_TUNABLES" "$(jq -r .text <<<"$c")" \
	"mp_\.trim_threshold is 64\.0 MiB, above glibc's default 128\.0 KiB \(set: GLIBC_TUNABLES=$TUN, from its environment"
fx=$(jq -r '[.remedies[] | select(.command | contains("trim_threshold=131072"))][0].expected_effect' <<<"$c")
check_match "T5-6 the fixed-thresholds remedy: the adjustment is already off" "$fx" "already off"
check_eq "T5-6 ... and it does not claim to turn it off" "$(grep -c "turn glibc's dynamic adjustment off" <<<"$fx")" 0
stop_example "$pid"
