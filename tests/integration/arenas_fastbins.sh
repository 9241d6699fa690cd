# A long fastbin list freed in random order over two heaps of a thread
# arena (trial 5, T5-10: a Perl process's 12 M fastbin chunks took the
# walk 295 s, one process_vm_readv per list node).  The walk reads an
# arena's heaps once, then follows its lists in memory: a handful of reads
# whatever the order (counted with strace), and the same figures as the
# list freed in address order, both against glibc's own malloc_info.
# Then the in-order arena only partly buffered, and not at all
# (MEMSLEUTH_ARENA_BUFFER_MAX below its size: a heap left out streams, its
# list nodes through the read cache; in address order that stays fast):
# the same figures and lists again.
. "$(dirname "$0")/lib.sh"

# 1,600,000 x 48 B chunks: 77 MB, more than one 64 MiB heap (an arena of
# one heap was always read whole)
N=1600000

# per arena: fastbin chunks and bytes, as malloc_info counts them (its
# last "fast" total is the whole process's: left out)
xml_fast() {
	grep 'total type="fast"' "$1" | sed '$d' | sed 's/.*count="\([0-9]*\)" size="\([0-9]*\)".*/\1 \2/' | tr '\n' ' '
}
our_fast() {
	jq -r '[.arenas[] | "\(.free_by_kind.fast.chunks) \(.free_by_kind.fast.free_bytes)"] | join(" ")' "$1"
}
# the figures a reader acts on, addresses left out (two processes)
figures() {
	jq -c '[.chunks_walked, .snapshot_consistent, .corrupt_lists, .trim_prediction_bytes,
		(.arenas[] | [.heaps, .in_use_bytes, .in_use_chunks, .free_bytes, .top_bytes, .trim_bytes,
		 .free_by_kind, [.bins[] | [.kind, .index, .count, .free_bytes]]])]' "$1"
}

start_example fastbins_long freed --count "$N" --malloc-info "$TMP/inorder.xml" || exit 1
IN=$EX_PID
"$MS" arenas --json --bins "$IN" >"$TMP/inorder.json"
start_example fastbins_long freed --count "$N" --shuffle --malloc-info "$TMP/shuf.xml" || exit 1
SH=$EX_PID
"$MS" arenas --json --bins "$SH" >"$TMP/shuf.json"

check_eq "fastbins shuffled: snapshot consistent" "$(jq .snapshot_consistent "$TMP/shuf.json")" true
check_eq "fastbins shuffled: the thread arena spans 2 heaps" "$(jq '.arenas[1].heaps' "$TMP/shuf.json")" 2
check_eq "fastbins shuffled: fastbin chunks and bytes per arena = malloc_info" \
	"$(xml_fast "$TMP/shuf.xml")" "$(our_fast "$TMP/shuf.json") "
check_eq "fastbins in order: fastbin chunks and bytes per arena = malloc_info" \
	"$(xml_fast "$TMP/inorder.xml")" "$(our_fast "$TMP/inorder.json") "
check_eq "fastbins: shuffled and in-order lists, the same malloc_info" \
	"$(xml_fast "$TMP/shuf.xml")" "$(xml_fast "$TMP/inorder.xml")"
check_eq "fastbins: shuffled = in order (chunks, free bytes by kind, bins, trim prediction)" \
	"$(figures "$TMP/shuf.json")" "$(figures "$TMP/inorder.json")"

if command -v strace >/dev/null; then
	strace -f -c -e trace=process_vm_readv -o "$TMP/strace" "$MS" arenas --json "$SH" >"$TMP/shuf2.json" 2>/dev/null
	calls=$(awk '$NF == "process_vm_readv" {print $4}' "$TMP/strace")
	# a read per resident stretch, not one per node (the old walk: ~N)
	check_cmp "fastbins shuffled: process_vm_readv calls of the walk" "${calls:-0}" -lt 300
	check_cmp "fastbins shuffled: process_vm_readv calls counted" "${calls:-0}" -gt 0
	check_eq "fastbins shuffled: the same figures under strace" "$(figures "$TMP/shuf2.json")" "$(figures "$TMP/shuf.json")"
else
	skip "fastbins shuffled: process_vm_readv calls: strace not installed"
fi

stop_example "$SH"

# partly buffered: the first heap in memory, the second read as the walks
# go; then nothing buffered (a budget below the smallest heap).  The lists
# entry by entry (1.6 M of them) once, as a checksum.
lists() { jq -c '.lists' "$1" | md5sum | cut -d' ' -f1; }
MEMSLEUTH_ARENA_BUFFER_MAX=$((66 << 20)) "$MS" arenas --json --bins "$IN" >"$TMP/part.json"
check_eq "fastbins in order, partly buffered: the same figures" "$(figures "$TMP/part.json")" "$(figures "$TMP/inorder.json")"
"$MS" arenas --json --lists "$IN" >"$TMP/lists.json"
MEMSLEUTH_ARENA_BUFFER_MAX=4096 "$MS" arenas --json --bins --lists "$IN" >"$TMP/none.json"
check_eq "fastbins in order, nothing buffered: the same figures" "$(figures "$TMP/none.json")" "$(figures "$TMP/inorder.json")"
check_eq "fastbins in order, nothing buffered: the same lists, entry by entry" "$(lists "$TMP/none.json")" "$(lists "$TMP/lists.json")"
stop_example "$IN"
