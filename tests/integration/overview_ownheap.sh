#!/usr/bin/env bash
# A runtime's or allocator's own heap is named (trial 3 #6): a program
# running on jemalloc (preloaded), Redis (Debian links it with jemalloc)
# and PHP's Zend MM.  The bytes are the anonymous memory outside glibc's
# heaps, checked against /proc/PID/smaps; the remedies are the allocator's
# or runtime's own statistics, never a glibc one; PHP's chunks are counted
# (2 MiB-aligned anonymous mappings) against memory_get_usage(true); the
# guide's remedies step ends on a whole sentence.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }
# RSS of anonymous mappings that are not [heap]/[stack] (no path), from smaps
anon_rss() { awk '/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF == 5) } /^Rss:/ { if (anon) s += $2 } END { print s * 1024 }' "/proc/$1/smaps"; }
# whole 2 MiB units on 2 MiB boundaries inside anonymous mappings (no path)
units_2m() {
	local n=0 range s e lo hi rest
	while read -r range _ _ _ _ rest; do
		[ -z "${rest:-}" ] || continue
		s=$((16#${range%-*})) e=$((16#${range#*-}))
		lo=$(( (s + 2097151) / 2097152 )) hi=$(( e / 2097152 ))
		[ "$hi" -gt "$lo" ] && n=$((n + hi - lo))
	done < "/proc/$1/maps"
	echo "$n"
}
GLIBC_REMEDY='MALLOC_ARENA_MAX|GLIBC_TUNABLES|memsleuth trim|malloc_trim|memsleuth arenas'

# --- jemalloc preloaded: fill 100,000 x 1 KiB and free them --------------
if ! ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1; then
	skip "jemalloc: libjemalloc2 not installed"
else
	# decay off: the freed pages stay with jemalloc, as dirty pages
	LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 \
		start_example pin freed --count 100000 || exit 0
	"$MS" overview --json "$EX_PID" >"$TMP/je.json"
	check_eq "jemalloc: overview exits 0" "$?" 0
	"$MS" overview "$EX_PID" >"$TMP/je.txt"
	c=$(cause "$TMP/je.json" runtime_heap)
	check_eq "jemalloc: the allocator detected" "$(jq -r .allocator "$TMP/je.json")" jemalloc
	check_eq "jemalloc: runtime_heap is jemalloc's" "$(jq -r .runtime <<<"$c")" jemalloc
	check_within "jemalloc: its bytes are the anonymous memory in smaps" "$(jq .resident_bytes <<<"$c")" "$(anon_rss "$EX_PID")" 2
	check_cmp "jemalloc: at least the 100,000 freed KiB it keeps" "$(jq .resident_bytes <<<"$c")" -ge 102400000
	check_match "jemalloc: named, glibc's arenas not used" "$(jq -r .text <<<"$c")" \
		"^jemalloc's own heap: [0-9.]+ MiB of anonymous memory; glibc's arenas are not used"
	check_eq "jemalloc: not 'another allocator or direct mmap'" "$(grep -c 'another allocator or direct mmap' "$TMP/je.txt")" 0
	check_match "jemalloc: its own statistics are the remedy" "$(jq -r '.remedies[].command' <<<"$c")" "MALLOC_CONF=stats_print:true"
	check_eq "jemalloc: no glibc remedy anywhere" "$(jq -r '.causes[].remedies[].command' "$TMP/je.json" | grep -cE "$GLIBC_REMEDY")" 0
	# the guide's remedies step: a whole sentence, the cause's own words
	"$MS" guide --batch --json --window 1 --watch 0 "$EX_PID" >"$TMP/g.json" 2>"$TMP/g.err"
	check_eq "jemalloc: guide exits 0" "$?" 0
	v=$(jq -r '.steps[-1].verdict' "$TMP/g.json")
	check_match "jemalloc: guide's remedies verdict names the cause in a whole sentence" "$v" \
		"use the allocator's own controls\\. The largest cause \\([0-9.]+ MiB, [0-9]+% of the RSS\\): jemalloc's own heap: .*\\.$"
	stop_example "$EX_PID"
fi

# --- Redis (Debian's is linked with jemalloc) ----------------------------
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null ||
   ! redis-server --version | grep -q 'malloc=jemalloc'; then
	skip "redis: redis-server with jemalloc not installed"
else
	redis-server --port 0 --unixsocket "$TMP/redis.sock" --save '' --appendonly no --enable-debug-command local \
		--dir "$TMP" >"$TMP/redis.log" 2>&1 &
	rpid=$!
	_pids+=("$rpid")
	for _ in $(seq 1 100); do [ -S "$TMP/redis.sock" ] && break; sleep 0.1; done
	redis-cli -s "$TMP/redis.sock" debug populate 200000 key 200 >/dev/null
	"$MS" overview --json "$rpid" >"$TMP/rd.json"
	c=$(cause "$TMP/rd.json" runtime_heap)
	check_eq "redis: runtime_heap is jemalloc's" "$(jq -r .runtime <<<"$c")" jemalloc
	check_within "redis: its bytes are the anonymous memory in smaps" "$(jq .resident_bytes <<<"$c")" "$(anon_rss "$rpid")" 2
	check_eq "redis: Redis's own account first, then jemalloc's statistics from inside it" \
		"$(jq -c '[.remedies[].command]' <<<"$c")" '["redis-cli info memory","redis-cli memory malloc-stats"]'
	check_eq "redis: the verdict's next step is redis-cli info memory" \
		"$(jq -r '.verdicts[] | select(.text | startswith("jemalloc'"'"'s own heap")) | .next' "$TMP/rd.json")" "redis-cli info memory"
	check_eq "redis: no glibc remedy" "$(jq -r '.causes[].remedies[].command' "$TMP/rd.json" | grep -cE "$GLIBC_REMEDY")" 0
	redis-cli -s "$TMP/redis.sock" shutdown nosave >/dev/null 2>&1
	wait "$rpid" 2>/dev/null || true
fi

# --- PHP's Zend MM ------------------------------------------------------
if ! command -v php >/dev/null; then
	skip "php: php-cli not installed"
else
	php "$REPO/tests/fixtures/php/zend_churn.php" >"$TMP/php.out" 2>&1 &
	ppid=$!
	_pids+=("$ppid")
	for _ in $(seq 1 200); do grep -q holding "$TMP/php.out" && break; sleep 0.1; done
	"$MS" overview --json "$ppid" >"$TMP/php.json"
	"$MS" overview "$ppid" >"$TMP/php.txt"
	real=$(sed -n 's/^usage [0-9]* real \([0-9]*\)$/\1/p' "$TMP/php.out")
	c=$(cause "$TMP/php.json" runtime_heap)
	check_eq "php: the runtime detected" "$(jq -r .runtime "$TMP/php.json")" php
	check_eq "php: runtime_heap is PHP's" "$(jq -r .runtime <<<"$c")" php
	check_eq "php: Zend's chunks = memory_get_usage(true) / 2 MiB" "$(jq .evidence.zend_chunks <<<"$c")" $((real / 2097152))
	check_eq "php: ... = the 2 MiB units of 2 MiB-aligned anonymous mappings in maps" \
		"$(jq .anon_other_2m_chunks "$TMP/php.json")" "$(units_2m "$ppid")"
	check_within "php: its bytes are the anonymous memory in smaps" "$(jq .resident_bytes <<<"$c")" "$(anon_rss "$ppid")" 2
	check_match "php: named Zend MM with its chunks" "$(jq -r .text <<<"$c")" \
		"is PHP's own: the Zend memory manager's heap, $((real / 2097152)) chunks of 2 MiB \\(2 MiB-aligned anonymous mappings"
	check_match "php: PHP's own accounting" "$(jq -r '.remedies[].command' <<<"$c")" "memory_get_usage\\(true\\) with memory_get_usage\\(\\)"
	check_match "php: USE_ZEND_ALLOC=0 as a diagnosis" "$(jq -c '.remedies[] | select(.command | test("USE_ZEND_ALLOC=0 php ")) | .expected_effect' <<<"$c")" \
		"^\"a diagnosis, not a fix"
	check_eq "php: not 'another allocator or direct mmap'" "$(grep -c 'another allocator or direct mmap' "$TMP/php.txt")" 0
	check_eq "php: no glibc remedy for these bytes" "$(jq -r '.remedies[].command' <<<"$c" | grep -cE "$GLIBC_REMEDY")" 0
	kill "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null || true
fi
