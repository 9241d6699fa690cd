# memsleuth lab: the shipped lessons reproduce their findings in-process
# (checked against glibc's own malloc_stats and /proc), calls reach the
# allocator that is loaded, and every kind of bad input is one clear line.
source "$(dirname "$0")/lib.sh"

# 1. The 1-byte pin: 500,000 x 1 KiB freed below a pin stay; malloc_trim
#    gives them back.
"$MS" lab pin --json >"$TMP/pin.json" 2>"$TMP/pin.err"
check_eq "pin lab: exit 0 (expectations held)" "$?" 0
J="$TMP/pin.json"
check_eq "pin lab: passed" "$(jq -r .passed "$J")" true
after_free=$(jq '.steps[] | select(.did | startswith("free blocks")) | .rss_bytes' "$J")
after_trim=$(jq '.steps[] | select(.did | startswith("call malloc_trim")) | .rss_bytes' "$J")
check_match "pin lab: all 500000 blocks freed" "$(jq -r '.steps[] | select(.did | startswith("free blocks")) | .did' "$J")" '\(500000 freed\)$'
check_cmp "pin lab: RSS after the free still holds ~500 MiB" "$after_free" -gt $((480 << 20))
check_cmp "pin lab: malloc_trim gives it back" "$after_trim" -lt $((20 << 20))
check_match "pin lab: malloc_trim resolved in glibc, returned 1" "$(jq -r '.steps[] | select(.did | startswith("call malloc_trim")) | .did' "$J")" '= 1  \[libc\.so\.6\]$'
check_match "pin lab: the pin lands above the blocks" "$(jq -r '.steps[] | select(.did | startswith("pin top")) | .did' "$J")" 'above the rest'
check_eq "pin lab: one line with RSS per step on stderr under --json" "$(grep -cE '^ +[0-9]+ +[0-9.]+ ([KMG]i)?B +[-+][0-9.]+ ([KMG]i)?B  [a-z]' "$TMP/pin.err")" 8

# 2. Arena explosion and the cap, against glibc's own malloc_stats.
"$MS" lab arena_explosion --json >"$TMP/ae.json" 2>"$TMP/ae.err"
check_eq "arena explosion: exit 0" "$?" 0
arenas=$(jq -r '[.steps[] | select(.did | startswith("heaps:"))][1].did' "$TMP/ae.json" | sed 's/.*arenas: \([0-9]*\) .*/\1/')
check_eq "arena explosion: arenas = glibc's malloc_stats count" "$arenas" "$(grep -c '^Arena [0-9]*:$' "$TMP/ae.err")"
cap=$(( $(nproc) * 8 ))
check_eq "arena explosion: one arena per thread up to 8 x cores" "$arenas" $(( cap < 33 ? cap : 33 ))
"$MS" lab arena_cap --json >"$TMP/ac.json" 2>"$TMP/ac.err"
check_eq "arena cap: exit 0" "$?" 0
check_eq "arena cap: malloc_stats shows 2 arenas" "$(grep -c '^Arena [0-9]*:$' "$TMP/ac.err")" 2
check_match "arena cap: heaps checkpoint agrees" "$(jq -r '.steps[] | select(.did | startswith("heaps:")) | .did' "$TMP/ac.json")" 'arenas: 2 \(main \+ 1\)$'
check_match "arena cap: mallopt returned 1" "$(jq -r '.steps[0].did' "$TMP/ac.json")" '^call mallopt\(M_ARENA_MAX, 2\) = 1 '

# 3. Trim recovery: half-freed pages cannot be trimmed, whole ones can.
"$MS" lab trim_recovery >"$TMP/tr.out" 2>&1
check_eq "trim recovery: exit 0" "$?" 0

# 4. The same lab under each allocator: its own purge call is the one that works.
for a in jemalloc:mallctl:libjemalloc tcmalloc:MallocExtension_ReleaseFreeMemory:libtcmalloc mimalloc:mi_collect:libmimalloc; do
	IFS=: read -r name call lib <<<"$a"
	if ! ls /usr/lib/*/"$lib"*.so* >/dev/null 2>&1; then skip "allocators lab under $name: not installed"; continue; fi
	"$MS" lab allocators --allocator "$name" --json >"$TMP/al.json" 2>/dev/null
	check_eq "allocators lab --allocator $name: runs on $name" "$(jq -r .allocator "$TMP/al.json")" "$name"
	before=$(jq '[.steps[] | select(.did == "rss checkpoint")][0].rss_bytes' "$TMP/al.json")
	did=$(jq -r --arg c "call? $call(" '.steps[] | select(.did | startswith($c)) | .did' "$TMP/al.json")
	check_match "allocators lab --allocator $name: $call resolved in $lib" "$did" "\\[$lib"
	rss=$(jq --arg c "call? $call(" '.steps[] | select(.did | startswith($c)) | .rss_bytes' "$TMP/al.json")
	check_cmp "allocators lab --allocator $name: $call returns the freed 200 MiB" "$rss" -lt $((before / 4))
	check_match "allocators lab --allocator $name: glibc's malloc_trim does nothing there" \
		"$(jq -r '.steps[] | select(.did | startswith("call? malloc_trim")) | .did' "$TMP/al.json")" '= 0  \[libc\.so\.6\]$'
done
check_status "--allocator absent: exit 2" 2 env MEMSLEUTH_ALLOCATOR_DIRS=/nonexistent "$MS" lab pin --allocator jemalloc
check_eq "--allocator absent: error" "$(cat "$TMP/err")" "memsleuth lab: --allocator jemalloc: not installed (apt-get install libjemalloc2)"

# 5. arenas checkpoint: the arenas step's totals, or why they are unavailable.
printf 'alloc a 1000 x 1K\narenas\n' >"$TMP/ar.lab"
"$MS" lab "$TMP/ar.lab" --json >"$TMP/ar.json" 2>/dev/null
check_match "arenas checkpoint: totals or the reason" "$(jq -r '.steps[1].did' "$TMP/ar.json")" '^arenas: (unavailable: .+|1 arena, system .+, in use .+, free .+ \(resident .+\); malloc_trim would return .+)$'
pred=$(jq -r '.steps[] | select(.did | startswith("arenas:")) | .did' "$J" | sed -n 's/.*malloc_trim would return \([0-9.]*\) MiB$/\1/p')
if [ -n "$pred" ]; then
	drop=$(( (after_free - after_trim) >> 20 ))
	check_within "pin lab: the arenas checkpoint's prediction = what malloc_trim returned (MiB)" "${pred%.*}" "$drop" 3
else
	skip "pin lab: arenas step unavailable, no prediction to check"
fi

# 6. A failed expectation fails the lab.
printf 'alloc a 1000 x 4K\nexpect rss < 1M\n' >"$TMP/ex.lab"
check_status "failed expectation: exit 1" 1 "$MS" lab "$TMP/ex.lab"
check_match "failed expectation: says so" "$(cat "$TMP/out")" 'expect rss < 1\.0 MiB: FAILED, RSS is [0-9.]+ MiB'

# 7. Bad input: exact file:line:column messages, nothing run.
bad() {   # bad NAME TEXT EXPECTED-STDERR
	printf '%b' "$2" >"$TMP/bad.lab"
	check_status "$1: exit 2" 2 "$MS" lab "$TMP/bad.lab"
	check_eq "$1: message" "$(cat "$TMP/err")" "$3"
}
bad "syntax error" 'rss\nalloc a 10 x\n' "$TMP/bad.lab:2:13: expected a block size (like 1, 1K, 64K, 1.5M), got end of line"
bad "unknown symbol" 'declare int no_such_fn(int)\ncall no_such_fn(1)\n' \
	"$TMP/bad.lab:2:6: unknown symbol 'no_such_fn': no loaded library defines it (use call? to skip it when absent, or run with --allocator)"
bad "wrong argument type" 'call malloc_trim("x")\n' "$TMP/bad.lab:1:18: expected argument 1 of malloc_trim to be size_t, got \"x\""
bad "wrong argument count" 'call mallopt(M_ARENA_MAX)\n' "$TMP/bad.lab:1:25: expected 2 arguments for mallopt, got 1"
printf 'alloc big 4 x 1T\n' >"$TMP/big.lab"
check_status "too large for the host: exit 2" 2 "$MS" lab "$TMP/big.lab"
check_match "too large for the host: checked before allocating" "$(cat "$TMP/err")" "^$TMP/big.lab:1:1: alloc needs 4\\.0 TiB but only [0-9.]+ [KMG]iB is available \\(lower the count or the size\\)$"
printf 'threads 1000 {\n  alloc w 1000 x 1M\n}\n' >"$TMP/thr.lab"
check_status "threads together too large: exit 2" 2 "$MS" lab "$TMP/thr.lab"
check_match "threads together too large: checked before starting them" "$(cat "$TMP/err")" "^$TMP/thr.lab:1:1: 1000 threads need 976\\.6 GiB but only [0-9.]+ [KMG]iB is available"
printf 'alloc big 1 x 300M\n' >"$TMP/oom.lab"
( ulimit -v 250000; "$MS" lab "$TMP/oom.lab" >/dev/null 2>"$TMP/oom.err" ); rc=$?
check_eq "allocation failure: exit 2" "$rc" 2
check_match "allocation failure: clear error" "$(cat "$TMP/oom.err")" "^$TMP/oom.lab:1:1: malloc\\(314572800\\) returned NULL after 0 of 1 blocks \\(Cannot allocate memory\\)"
check_status "unknown lab: exit 2" 2 "$MS" lab no_such_lab
check_match "unknown lab: points at --list" "$(cat "$TMP/err")" "lab 'no_such_lab': not found .*memsleuth lab --list"

# 8. --allocator each: the same lab once per allocator, skipping absent ones.
printf 'alloc a 1000 x 1K\nexpect rss > 1K\n' >"$TMP/each.lab"
"$MS" lab "$TMP/each.lab" --allocator each >"$TMP/each.out" 2>&1
check_eq "--allocator each: exit 0" "$?" 0
check_eq "--allocator each: one run per installed allocator" "$(grep -c '^lab passed' "$TMP/each.out")" \
	"$(( 1 + $(for l in libjemalloc libtcmalloc libmimalloc; do ls /usr/lib/*/$l*.so* >/dev/null 2>&1 && echo; done | wc -l) ))"
MEMSLEUTH_ALLOCATOR_DIRS=/nonexistent "$MS" lab "$TMP/each.lab" --allocator each >"$TMP/each2.out" 2>&1
check_eq "--allocator each: absent allocators named and skipped" "$(grep -c 'not installed (apt-get install lib.*), skipped$' "$TMP/each2.out")" 3
check_match "--allocator each: glibc still runs" "$(cat "$TMP/each2.out")" "=== glibc.*allocator: glibc"
