# memsleuth arenas on a pre-forking server's worker (trial 5, T5-1): a
# forked child that grew the brk heap after fork has two adjacent [heap]
# VMAs (the inherited part and its own growth: different anon_vmas) and
# one contiguous glibc heap.  Read live, from a gcore of it and from a core
# the kernel writes of an identical twin, it is a healthy contiguous heap:
# no damage, no "non-contiguous", the chunk straddling the VMA boundary
# counted, in use or free; overview --core puts both VMAs in the main
# heap.  Oracles: gdb with libc6-dbg reading memory (main_arena.flags,
# mp_.sbrk_base), the program's own malloc_info, /proc/PID/maps, and a real
# malloc_trim(0) run by the child itself (the Rss of its [heap] mappings
# before and after, from smaps) against the trim prediction.
source "$(dirname "$0")/lib.sh"
matrix_row "glibc $(ldd --version | head -1 | awk '{print $NF}')" host debuginfo glibc; MATRIX_STEP=arenas

# The figures a core must give exactly as the live process gave them.
same() {
	jq -c '[.snapshot_consistent, .damage, .partial, .noncontiguous, .corrupt_lists, (.arenas | length),
		.totals.in_use_bytes, .totals.in_use_chunks, .totals.free_by_kind, .tcaches_found,
		[.arenas[] | [.address, .heaps, .segments, .top_at_brk, .reserved_bytes, .in_use_bytes, .bins]]]' "$1"
}
child_of() { sed -n 's/.*pid=\([0-9]*\) phase=grown.*/\1/p' "$1" | head -1; }
heap_lines() { awk '$NF == "[heap]" {print $1}' "/proc/$1/maps"; }
# "healthy": consistent, no damage, whole, contiguous, one range, one segment
healthy='[true,"none",false,false,0,1,1]'
health() { jq -c '[.snapshot_consistent, .damage, .partial, .noncontiguous, .corrupt_lists, .arenas[0].heaps, .arenas[0].segments]' "$1"; }

start_example fork_heap grown --malloc-info "$TMP/mi.xml" || exit 1
C=$(child_of "$EX_OUT"); _pids+=("$C")
mapfile -t H < <(heap_lines "$C")
if [ "${#H[@]}" != 2 ] || [ "${H[0]#*-}" != "${H[1]%-*}" ]; then
	skip "forked child: its brk heap is not two adjacent [heap] VMAs here (${H[*]}): the case does not arise"
	exit 0
fi
pass "forked child $C: two adjacent [heap] VMAs (${H[*]})"
check_eq "the VMA boundary is the parent's break at fork (the example's sbrk(0))" \
	"$((16#${H[0]#*-}))" "$(printf %d "$(sed -n 's/.*parent_brk=\(0x[0-9a-f]*\).*/\1/p' "$EX_OUT")")"
straddle=$(sed -n 's/.*straddle=\(0x[0-9a-f]*\).*/\1/p' "$EX_OUT")

"$MS" arenas "$C" --json --chunks --limit 0 >"$TMP/a.json"
check_eq "arenas --json: exit 0" $? 0
"$MS" arenas "$C" >"$TMP/a.txt"
check_eq "live: consistent, no damage, partial false, contiguous, 1 heap, 1 segment" "$(health "$TMP/a.json")" "$healthy"
check_eq "live text: no CORRUPTED, UNRELIABLE or non-contiguous" \
	"$(grep -Ec 'CORRUPTED|UNRELIABLE|non-contiguous' "$TMP/a.txt")" 0
check_match "live text: the snapshot is consistent" "$(grep '^snapshot:' "$TMP/a.txt")" "^snapshot: consistent"
check_eq "the block straddling the VMA boundary is an in-use chunk of the walk" \
	"$(jq -r --arg p "$(printf '0x%x' $(( straddle - 16 )))" '[.chunks[] | select(.address == $p) | .kind] | join(" ")' "$TMP/a.json")" in_use
check_eq "the break is at the top's end (second VMA's end)" \
	"$(jq -c '[.arenas[0].top_at_brk, .arenas[0].reserved_bytes]' "$TMP/a.json")" \
	"[true,$(( 16#${H[1]#*-} - 16#${H[0]%-*} ))]"

# glibc's own record: contiguous (gdb reads memory; inferior calls fail here)
if command -v gdb >/dev/null && ls /usr/lib/debug/.build-id >/dev/null 2>&1; then
	g=$(gdb -batch -p "$C" -ex 'p main_arena.flags' -ex 'p/x mp_.sbrk_base' 2>/dev/null | sed -n 's/^\$[0-9]* = //p' | tr '\n' ' ')
	check_eq "gdb: main_arena.flags 0 (no NONCONTIGUOUS_BIT), sbrk_base = memsleuth's" \
		"$g" "0 $(jq -r .mp.sbrk_base "$TMP/a.json") "
else
	skip "gdb oracle: needs gdb and libc6-dbg"
fi

# the program's own malloc_info: in use = system - fastbins - rest (bins
# and top; each bin chunk's raw size adds its PREV_INUSE bit, 1)
sys=$(grep -m1 'system type="current"' "$TMP/mi.xml" | sed 's/.*size="\([0-9]*\)".*/\1/')
fast=$(grep -m1 'total type="fast"' "$TMP/mi.xml" | sed 's/.*size="\([0-9]*\)".*/\1/')
read -r rest_n rest < <(grep -m1 'total type="rest"' "$TMP/mi.xml" | sed 's/.*count="\([0-9]*\)" size="\([0-9]*\)".*/\1 \2/')
check_eq "system_mem = malloc_info" "$(jq .arenas[0].system_mem_bytes "$TMP/a.json")" "$sys"
check_eq "in use (with tcache'd chunks, in use to glibc) = malloc_info's system - fast - rest" \
	"$(jq '.arenas[0] | .in_use_bytes + .free_by_kind.tcache.free_bytes' "$TMP/a.json")" \
	"$(( sys - fast - (rest - rest_n + 1) ))"
check_eq "bins + top = malloc_info rest" \
	"$(jq '.arenas[0].free_by_kind | .unsorted.free_bytes + .small.free_bytes + .large.free_bytes + .top.free_bytes' "$TMP/a.json")" \
	"$(( rest - rest_n + 1 ))"

# the same child from a gcore: the same figures; residency unknown there
# (gcore writes every page), so its trim prediction is an upper bound
if ! command -v gcore >/dev/null; then
	skip "gcore: gdb's gcore not installed"
elif need_root "gcore of the child"; then
	gcore -o "$TMP/gc" "$C" >/dev/null 2>&1
	"$MS" arenas --core "$TMP/gc.$C" --json >"$TMP/g.json"
	check_eq "gcore: exit 0" $? 0
	check_eq "gcore: healthy, contiguous" "$(health "$TMP/g.json")" "$healthy"
	check_eq "gcore: in use, free by kind, bins, heaps, break = live" "$(same "$TMP/g.json")" "$(same "$TMP/a.json")"
	check_eq "gcore text: no CORRUPTED, UNRELIABLE or non-contiguous" \
		"$("$MS" arenas --core "$TMP/gc.$C" | grep -Ec 'CORRUPTED|UNRELIABLE|non-contiguous')" 0
	check_cmp "gcore: trim prediction at least the live one (an upper bound)" \
		"$(jq .trim_prediction_bytes "$TMP/g.json")" -ge "$(jq .trim_prediction_bytes "$TMP/a.json")"
	# a core names no mapping: both VMAs are labelled [heap] again, as
	# /proc/PID/maps names them, so the memory is the main heap's there too
	check_eq "overview --core: the main heap is both VMAs, as the maps say" \
		"$("$MS" overview --core "$TMP/gc.$C" --json | jq -c '.classes[] | select(.class == "main_heap") | [.mappings, .size_bytes]')" \
		"[2,$(( 16#${H[1]#*-} - 16#${H[0]%-*} ))]"
	rm -f "$TMP/gc.$C"
fi

# the real malloc_trim(0), run by the child itself, after every reading
pred=$(jq .trim_prediction_bytes "$TMP/a.json")
kill -USR1 "$C"
for _ in $(seq 1 300); do grep -q 'trim rc=' "$EX_OUT" && break; sleep 0.1; done
line=$(grep 'trim rc=' "$EX_OUT")
check_match "the child's malloc_trim(0) returned 1" "$line" "trim rc=1 "
real=$(sed -n 's/.*returned=\([0-9-]*\).*/\1/p' <<<"$line")
d=$(( pred > real ? pred - real : real - pred ))
check_cmp "trim prediction ($pred B) within 4 KiB of the real malloc_trim(0)'s [heap] Rss drop ($real B)" "$d" -le 4096
check_cmp "the trim returns more than 40 MiB (the freed growth below the live blocks)" "$real" -gt $((40 << 20))
stop_example "$EX_PID"

# the straddling block freed too: a free chunk across the VMA boundary, in
# the run malloc_trim returns (the trial's prediction was short by it)
start_example fork_heap grown --free-straddle || exit 1
F=$(child_of "$EX_OUT"); _pids+=("$F")
"$MS" arenas "$F" --json >"$TMP/f.json"
check_eq "free straddle: healthy, contiguous" "$(health "$TMP/f.json")" "$healthy"
fpred=$(jq .trim_prediction_bytes "$TMP/f.json")
kill -USR1 "$F"
for _ in $(seq 1 300); do grep -q 'trim rc=' "$EX_OUT" && break; sleep 0.1; done
freal=$(sed -n 's/.*trim rc=1 .*returned=\([0-9-]*\).*/\1/p' "$EX_OUT")
check_cmp "free straddle: trim prediction ($fpred B) within 4 KiB of the real malloc_trim(0) ($freal B)" \
	"$(( fpred > freal ? fpred - freal : freal - fpred ))" -le 4096
stop_example "$EX_PID"

# an identical twin, dumped by the kernel: residency from the core's holes,
# so the trim prediction too is the live one
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
	*/*|*%*|'|'*) skip "kernel core: core_pattern '$pattern' does not write into the process's directory"; exit 0 ;;
esac
need_root "kernel core of the twin" || exit 0
mkdir "$TMP/kc"
(ulimit -c unlimited; cd "$TMP/kc" && exec "$EX/fork_heap" --hold) >"$TMP/twin.out" 2>&1 &
TW=$!; _pids+=("$TW")
for _ in $(seq 1 600); do grep -q phase=grown "$TMP/twin.out" && break; sleep 0.1; done
T=$(child_of "$TMP/twin.out"); _pids+=("$T")
kill -STOP "$T"
"$MS" arenas "$T" --json >"$TMP/tl.json"
kill -ABRT "$T"; kill -CONT "$T"
wait "$TW" 2>/dev/null
KCORE="$TMP/kc/$pattern"
[ "$(cat /proc/sys/kernel/core_uses_pid)" = 1 ] && KCORE="$KCORE.$T"
if [ -f "$KCORE" ]; then
	"$MS" arenas --core "$KCORE" --json >"$TMP/k.json"
	check_eq "kernel core: exit 0" $? 0
	check_eq "kernel core: healthy, contiguous" "$(health "$TMP/k.json")" "$healthy"
	check_eq "kernel core: in use, free by kind, bins, heaps, break = the live twin" "$(same "$TMP/k.json")" "$(same "$TMP/tl.json")"
	check_eq "kernel core: residency from its holes" "$(jq -r .residency "$TMP/k.json")" core_holes
	check_eq "kernel core: trim prediction = the live twin's" \
		"$(jq .trim_prediction_bytes "$TMP/k.json")" "$(jq .trim_prediction_bytes "$TMP/tl.json")"
	tp=$(jq .trim_prediction_bytes "$TMP/tl.json")
	check_cmp "the twin's trim prediction ($tp B) within 4 KiB of the first child's real trim" \
		"$(( tp > real ? tp - real : real - tp ))" -le 4096
else
	skip "kernel core: none written in $TMP/kc (ulimit or coredump settings)"
fi
