# memsleuth arenas: the walker against independent oracles -- gdb with
# libc6-dbg (arena list, system_mem, top size, per-bin counts; the target is
# stopped while gdb is attached) and glibc's own malloc_info XML -- on
# workloads with known contents; the trim prediction against a real
# malloc_trim(0); refusals; a corrupted heap; --stop always resuming.
source "$(dirname "$0")/lib.sh"
matrix_row "glibc $(ldd --version | head -1 | awk '{print $NF}')" host debuginfo glibc; MATRIX_STEP=arenas
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GDBS="$ROOT/gdb-scripts"

have_gdb=1
if ! command -v gdb >/dev/null || ! ls /usr/lib/debug/.build-id >/dev/null 2>&1; then
	have_gdb=0
fi

# Our per-bin counts, in bins.gdb's format.
our_bins() {
	jq -r '.arenas[] | .address as $a | .bins[] |
		if .kind == "fast" then "arena \($a) fast \(.index) count \(.count)"
		elif .kind == "tcache" then empty
		else "arena \($a) bin \(.index) count \(.count)" end' "$1" | sort
}
our_arenas() {
	jq -r '.arenas[] | "arena \(.address) system_mem \(.system_mem_bytes) top_size \(.top_bytes)"' "$1" | sort
}
gdb_run() {  # gdb_run PID SCRIPT
	gdb -batch -p "$1" -x "$GDBS/$2" 2>/dev/null
}
# Numbers that must not depend on debug info.
numbers() {
	jq -c '[.main_arena, .mp, (.arenas[] | [.address, .system_mem_bytes, .in_use_bytes, .free_bytes,
		.top_bytes, .free_resident_bytes, .trim_bytes, .bins]), .trim_prediction_bytes]' "$1"
}

# --- 1. known contents in every list: heap_kinds, 3 threads + main ------
start_example heap_kinds ready --threads 3 --malloc-info "$TMP/hk.xml" || exit 1
HK=$EX_PID
"$MS" arenas "$HK" --json --bins >"$TMP/hk.json"; rc=$?
check_eq "heap_kinds: exit status (finding or not)" "$([ $rc -le 1 ] && echo ok)" ok
MEMSLEUTH_NO_DEBUGINFO=1 "$MS" arenas "$HK" --json --bins >"$TMP/hk-nodbg.json"
check_eq "heap_kinds: 4 arenas" "$(jq '.arenas | length' "$TMP/hk.json")" 4
# field names (docs/json.md, arenas schema_version 2): bytes end in _bytes
check_eq "heap_kinds: schema_version 2" "$(jq .schema_version "$TMP/hk.json")" 2
check_eq "heap_kinds: no field named by the old names" \
	"$(jq '[paths | map(strings) | last | select(IN("bytes","min","max","from","size","system_mem","max_system_mem","trim_threshold","top_pad","mmap_threshold","mmapped_mem","thp_pagesize"))] | length' "$TMP/hk.json")" 0
check_eq "heap_kinds: snapshot consistent" "$(jq .snapshot_consistent "$TMP/hk.json")" true
check_eq "heap_kinds: 4 tcaches found" "$(jq .tcaches_found "$TMP/hk.json")" 4
check_eq "heap_kinds: fastbin 5 holds 13 per arena" \
	"$(jq -c '[.arenas[] | .bins[] | select(.kind=="fast" and .index==5) | .count]' "$TMP/hk.json")" "[13,13,13,13]"
check_eq "heap_kinds: tcache 7+7+7 per arena" \
	"$(jq -c '[.arenas[] | .free_by_kind.tcache.chunks]' "$TMP/hk.json")" "[21,21,21,21]"
check_eq "heap_kinds: unsorted 2 x 1520 B per arena" \
	"$(jq -c '[.arenas[] | .free_by_kind.unsorted.free_bytes]' "$TMP/hk.json")" "[3040,3040,3040,3040]"
check_eq "heap_kinds: large bin 79 holds 4 x 2016 B" \
	"$(jq -c '[.totals.bins[] | select(.index==79 and .kind=="large") | .free_bytes]' "$TMP/hk.json")" "[32256]"
check_eq "heap_kinds: same numbers without debug info" "$(numbers "$TMP/hk-nodbg.json")" "$(numbers "$TMP/hk.json")"
check_eq "heap_kinds: no-debuginfo run used heuristics" "$(jq .debuginfo_used "$TMP/hk-nodbg.json")" false
# malloc_info oracle: per arena, fast totals exact; "rest" is the bins plus
# top, summing raw size fields (each bin chunk's PREV_INUSE bit adds 1).
xml_fast=$(grep 'total type="fast"' "$TMP/hk.xml" | head -4 | sed 's/.*size="\([0-9]*\)".*/\1/' | tr '\n' ' ')
our_fast=$(jq -r '[.arenas[] | .free_by_kind.fast.free_bytes] | map(tostring) | join(" ")' "$TMP/hk.json")
check_eq "heap_kinds: fastbin bytes per arena = malloc_info" "$xml_fast" "$our_fast "
xml_rest=$(grep 'total type="rest"' "$TMP/hk.xml" | head -4 | sed 's/.*count="\([0-9]*\)" size="\([0-9]*\)".*/\2 \1/' | awk '{printf "%d ", $1 - $2 + 1}')
our_rest=$(jq -r '[.arenas[] | .free_by_kind | .unsorted.free_bytes + .small.free_bytes + .large.free_bytes + .top.free_bytes] | map(tostring) | join(" ")' "$TMP/hk.json")
check_eq "heap_kinds: bins+top per arena = malloc_info rest" "$xml_rest" "$our_rest "
xml_sys=$(grep 'system type="current"' "$TMP/hk.xml" | head -4 | sed 's/.*size="\([0-9]*\)".*/\1/' | tr '\n' ' ')
check_eq "heap_kinds: system_mem per arena = malloc_info" "$xml_sys" "$(jq -r '[.arenas[].system_mem_bytes] | map(tostring) | join(" ")' "$TMP/hk.json") "
if [ $have_gdb = 1 ]; then
	gdb_run "$HK" arenas.gdb >"$TMP/g-arenas"
	check_eq "heap_kinds: arena count = gdb" "$(sed -n 's/^arenas //p' "$TMP/g-arenas")" 4
	check_eq "heap_kinds: system_mem and top size per arena = gdb" \
		"$(sed -n 's/^arena \(0x[0-9a-f]*\) main [01] system_mem \([0-9]*\) top 0x[0-9a-f]* top_size \([0-9]*\)/arena \1 system_mem \2 top_size \3/p' "$TMP/g-arenas" | sort)" \
		"$(our_arenas "$TMP/hk.json")"
	gdb_run "$HK" bins.gdb >"$TMP/g-bins"
	check_eq "heap_kinds: per-bin counts = gdb" "$(grep '^arena' "$TMP/g-bins" | sort)" "$(our_bins "$TMP/hk.json")"
	check_eq "heap_kinds: tcache counts = gdb" \
		"$(grep '^tcache' "$TMP/g-bins" | awk '{s+=$6} END {print s}')" \
		"$(jq '[.arenas[].free_by_kind.tcache.chunks] | add' "$TMP/hk.json")"
	gdb_run "$HK" mp.gdb >"$TMP/g-mp"
	check_eq "heap_kinds: mp_ sbrk_base = gdb" "$(sed -n 's/^sbrk_base //p' "$TMP/g-mp")" "$(jq -r .mp.sbrk_base "$TMP/hk.json")"
	check_eq "heap_kinds: mp_ address = gdb" "$(sed -n 's/^mp_ //p' "$TMP/g-mp")" "$(jq -r .mp.address "$TMP/hk-nodbg.json")"
else
	skip "gdb oracle: gdb or libc debug symbols (libc6-dbg) not installed"
fi
stop_example "$HK"

# --- 2. many arenas: arena_explosion, 8 threads ---------------------------
start_example arena_explosion spread --threads 8 --blocks 16 || exit 1
AE=$EX_PID
"$MS" arenas "$AE" --json --stop >"$TMP/ae.json"
MEMSLEUTH_NO_DEBUGINFO=1 "$MS" arenas "$AE" --json --stop >"$TMP/ae-nodbg.json"
check_eq "arena_explosion: 9 arenas (main + 8 threads)" "$(jq '.arenas | length' "$TMP/ae.json")" 9
check_eq "arena_explosion: same numbers without debug info" "$(numbers "$TMP/ae-nodbg.json")" "$(numbers "$TMP/ae.json")"
check_eq "arena_explosion: 8 x 16 blocks of 4 KiB in use in thread arenas" \
	"$(jq '[.arenas[] | select(.is_main|not) | .in_use_chunks] | add' "$TMP/ae.json")" $((8 * 17))
if [ $have_gdb = 1 ]; then
	gdb_run "$AE" arenas.gdb >"$TMP/g-ae"
	check_eq "arena_explosion: arenas, system_mem, top = gdb" \
		"$(sed -n 's/^arena \(0x[0-9a-f]*\) main [01] system_mem \([0-9]*\) top 0x[0-9a-f]* top_size \([0-9]*\)/arena \1 system_mem \2 top_size \3/p' "$TMP/g-ae" | sort)" \
		"$(our_arenas "$TMP/ae.json")"
fi
check_match "arena_explosion: resumed after --stop" "$(cat /proc/$AE/task/*/stat | awk '{print $3}' | sort -u | tr '\n' ' ')" '^[RSD ]+$'
stop_example "$AE"

# An arena grown past one 64 MiB heap: 70,000 x 1 KiB in one thread arena.
start_example arena_explosion spread --threads 1 --blocks 70000 --size 1024 --malloc-info "$TMP/big.xml" || exit 1
"$MS" arenas "$EX_PID" --json >"$TMP/big.json"
check_eq "two-heap arena: consistent walk across heaps" "$(jq .snapshot_consistent "$TMP/big.json")" true
check_eq "two-heap arena: heaps = malloc_info subheaps" "$(jq '.arenas[1].heaps' "$TMP/big.json")" \
	"$(sed -n '/phase=spread/,$p' "$TMP/big.xml" | sed -n 's/.*subheaps" size="\([0-9]*\)".*/\1/p' | head -1)"
check_eq "two-heap arena: 70,000 blocks + the tcache struct in use" "$(jq '.arenas[1].in_use_chunks' "$TMP/big.json")" 70001
check_eq "two-heap arena: system_mem = malloc_info" "$(jq '.arenas[1].system_mem_bytes' "$TMP/big.json")" \
	"$(sed -n '/phase=spread/,$p' "$TMP/big.xml" | grep 'system type="current"' | sed -n '2s/.*size="\([0-9]*\)".*/\1/p')"
stop_example "$EX_PID"

# --stop held open (stdout is a pipe nobody reads: the chunk list blocks
# while the target is frozen), then SIGTERM: every thread must resume.
start_example arena_explosion spread --threads 2 --blocks 5000 --size 32 || exit 1
AE=$EX_PID
mkfifo "$TMP/fifo"
exec 7<>"$TMP/fifo"
"$MS" arenas "$AE" --stop --chunks --limit 0 >"$TMP/fifo" 2>/dev/null &
MSP=$!
for i in $(seq 1 50); do
	[ "$(awk '{print $3}' /proc/$AE/task/*/stat 2>/dev/null | sort -u | tr '\n' ' ')" = "t " ] && break
	sleep 0.1
done
check_eq "--stop: target threads held while walking" "$(awk '{print $3}' /proc/$AE/task/*/stat | sort -u | tr '\n' ' ')" "t "
kill -TERM $MSP
wait $MSP 2>/dev/null
exec 7<&-
sleep 0.2
check_match "--stop + SIGTERM: every thread resumed" "$(awk '{print $3}' /proc/$AE/task/*/stat | sort -u | tr '\n' ' ')" '^[RSD ]+$'
# the same with SIGINT (Ctrl-C)
exec 7<>"$TMP/fifo"
"$MS" arenas "$AE" --stop --chunks --limit 0 >"$TMP/fifo" 2>/dev/null &
MSP=$!
for i in $(seq 1 50); do
	[ "$(awk '{print $3}' /proc/$AE/task/*/stat 2>/dev/null | sort -u | tr '\n' ' ')" = "t " ] && break
	sleep 0.1
done
check_eq "--stop: held again" "$(awk '{print $3}' /proc/$AE/task/*/stat | sort -u | tr '\n' ' ')" "t "
kill -INT $MSP
wait $MSP 2>/dev/null
exec 7<&-
sleep 0.2
check_match "--stop + SIGINT: every thread resumed" "$(awk '{print $3}' /proc/$AE/task/*/stat | sort -u | tr '\n' ' ')" '^[RSD ]+$'
stop_example "$AE"

# --- 3. the case study: 500,000 x 1 KiB + 1-byte pin, prediction vs trim --
start_example pin freed || exit 1
PIN=$EX_PID
"$MS" arenas "$PIN" --json >"$TMP/pin.json"; rc=$?
check_eq "pin: exit 0 (it ran; findings do not fail without --fail-on)" "$rc" 0
check_status "pin --fail-on problem: exit 1 (most RSS is trimmable: a problem)" 1 "$MS" arenas "$PIN" --fail-on problem
check_eq "pin: single-threaded, one arena" "$(jq '.arenas | length' "$TMP/pin.json")" 1
MEMSLEUTH_NO_DEBUGINFO=1 "$MS" arenas "$PIN" --json >"$TMP/pin-nodbg.json"
check_eq "pin: same numbers without debug info" "$(numbers "$TMP/pin-nodbg.json")" "$(numbers "$TMP/pin.json")"
pred=$(( $(jq .trim_prediction_bytes "$TMP/pin.json") / 1024 ))
if [ $have_gdb = 1 ]; then
	before=$(awk '/VmRSS/ {print $2}' /proc/$PIN/status)
	gdb_run "$PIN" trim.gdb >"$TMP/g-trim"
	after=$(awk '/VmRSS/ {print $2}' /proc/$PIN/status)
	check_within "pin: predicted trim (kB) vs real malloc_trim(0) RSS drop" "$pred" $((before - after)) 5
else
	skip "pin: real malloc_trim via gdb needs gdb and libc6-dbg"
fi
stop_example "$PIN"

# After a real trim the freed chunk's pages are gone: nothing left to
# predict, and reading the heap must not make them look resident (reading
# untouched memory maps the zero page, which pagemap calls present), not
# even on a second look.
start_example pin trimmed --count 100000 --trim || exit 1
"$MS" arenas "$EX_PID" --json >"$TMP/t1.json"
"$MS" arenas "$EX_PID" --json >"$TMP/t2.json"
check_cmp "trimmed pin: prediction below 1 MiB" "$(jq .trim_prediction_bytes "$TMP/t1.json")" -lt 1048576
check_eq "trimmed pin: second look sees the same residency" \
	"$(jq -c '[.totals.free_resident_bytes, .totals.top_resident_bytes, .trim_prediction_bytes]' "$TMP/t2.json")" \
	"$(jq -c '[.totals.free_resident_bytes, .totals.top_resident_bytes, .trim_prediction_bytes]' "$TMP/t1.json")"
check_cmp "trimmed pin: free chunk 100 MB, resident part below 256 KiB" "$(jq .totals.free_resident_bytes "$TMP/t2.json")" -lt 262144
# Someone else (gdb here) reads untouched memory: the zero page gets mapped
# there; told apart by its PFN (visible to root only).
if [ $have_gdb = 1 ] && [ "$(id -u)" = 0 ]; then
	gdb -batch -p "$EX_PID" -ex 'x/8192gx mp_.sbrk_base + 200000' >/dev/null 2>&1
	"$MS" arenas "$EX_PID" --json >"$TMP/t3.json"
	check_eq "trimmed pin: zero pages mapped by a reader are not resident" \
		"$(jq .totals.free_resident_bytes "$TMP/t3.json")" "$(jq .totals.free_resident_bytes "$TMP/t1.json")"
else
	skip "zero-page check: needs root (PFNs) and gdb"
fi
stop_example "$EX_PID"

# A target that keeps allocating in 4 threads while we walk: without --stop
# each snapshot is consistent or reported as not (after at most 4
# attempts), never a crash; with --stop it is exact.
"$EX/zlib_workers" --threads 4 --rounds 100000 >/dev/null 2>&1 &
ZW=$!
_pids+=("$ZW")
sleep 0.5
bad=0
for i in 1 2 3; do
	"$MS" arenas $ZW --json >"$TMP/zw.json" 2>"$TMP/err"; rc=$?
	[ $rc -le 1 ] && [ "$(jq '.attempts <= 4 and (.snapshot_consistent or (.inconsistency | length > 0))' "$TMP/zw.json")" = true ] || bad=$((bad + 1))
done
check_eq "busy target without --stop: consistent or a stated inconsistency, bounded attempts" "$bad" 0
"$MS" arenas $ZW --json --stop >"$TMP/zws.json"
# (frozen inside malloc or free, a thread holds its arena's lock with the
# lists mid-update: the walk resumes it a moment and freezes again)
check_eq "busy target with --stop: exact snapshot" \
	"$(jq -c '[.snapshot_consistent, .stopped, .attempts == .refreezes + 1]' "$TMP/zws.json")" "[true,true,true]"
check_match "busy target: resumed after --stop" "$(awk '{print $3}' /proc/$ZW/task/*/stat | sort -u | tr '\n' ' ')" '^[RSD ]+$'
stop_example $ZW

# --- 4. other allocators, static, 32-bit, gone -----------------------------
JE=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$JE" ]; then
	LD_PRELOAD=$JE start_example pin freed --count 1000 || exit 1
	out=$("$MS" arenas "$EX_PID"); rc=$?
	check_match "jemalloc preloaded: says so" "$out" "glibc arenas unused: jemalloc is the allocator"
	check_eq "jemalloc preloaded: exit 0" "$rc" 0
	check_eq "jemalloc preloaded: JSON says so" "$("$MS" arenas "$EX_PID" --json | jq -r .allocator)" jemalloc
	stop_example "$EX_PID"
else
	skip "jemalloc: libjemalloc2 not installed"
fi
printf '#include <unistd.h>\nint main(void){ pause(); return 0; }\n' >"$TMP/p.c"
if gcc -static -o "$TMP/static" "$TMP/p.c" 2>/dev/null; then
	"$TMP/static" & SP=$!; _pids+=("$SP"); sleep 0.2
	check_status "static glibc: refused" 2 "$MS" arenas "$SP"
	check_match "static glibc: says why in one line" "$(cat "$TMP/err")" "statically.*\(.*\)$"
	stop_example "$SP"
else
	skip "static target: gcc -static failed (libc6-dev static libs missing)"
fi
if gcc -m32 -o "$TMP/p32" "$TMP/p.c" 2>/dev/null; then
	"$TMP/p32" & SP=$!; _pids+=("$SP"); sleep 0.2
	check_status "32-bit target: refused" 2 "$MS" arenas "$SP"
	check_match "32-bit target: says why" "$(cat "$TMP/err")" "32-bit"
	stop_example "$SP"
else
	skip "32-bit target: gcc -m32 cannot link (gcc-multilib not installed)"
fi

# A target that exits during the walk: run against a short-lived pin
# repeatedly; every run ends with 0/1/2 and at most one line on stderr.
"$EX/pin" --count 200000 >/dev/null & SP=$!
bad=0 runs=0
while kill -0 $SP 2>/dev/null && [ $runs -lt 200 ]; do
	"$MS" arenas $SP >/dev/null 2>"$TMP/err"; rc=$?
	runs=$((runs + 1))
	{ [ $rc -le 2 ] && [ "$(wc -l <"$TMP/err")" -le 1 ]; } || bad=$((bad + 1))
done
wait $SP 2>/dev/null
check_eq "target exiting during walks: $runs runs, no crash or multi-line error" "$bad" 0
check_status "gone PID: clear error" 2 "$MS" arenas "$SP"

# --- 5. corrupted heap -------------------------------------------------------
start_example heap_kinds ready --corrupt || exit 1
"$MS" arenas "$EX_PID" --json >"$TMP/bad.json"; rc=$?
check_eq "corrupted heap: exit 0 (it ran; the inconsistency is reported), no crash" "$rc" 0
check_eq "corrupted heap: snapshot inconsistent" "$(jq .snapshot_consistent "$TMP/bad.json")" false
check_match "corrupted heap: names the chunk and its size" "$(jq -r .inconsistency "$TMP/bad.json")" "chunk at 0x[0-9a-f]+ has a size of 0x7ffffff0"
out=$("$MS" arenas "$EX_PID" --stop)
check_match "corrupted heap with --stop: reported in plain words" "$out" "CORRUPTED after 1 attempt"
check_eq "corrupted heap: target still running" "$(awk '{print $3}' /proc/$EX_PID/stat)" S
stop_example "$EX_PID"

# --- 6. options ---------------------------------------------------------------
check_status "--assume-version outside range: refused" 2 "$MS" arenas $$ --assume-version 2.20
check_match "--assume-version: hint names the option" "$(cat "$TMP/err")" "assume-version"
check_status "--help" 0 "$MS" arenas --help
