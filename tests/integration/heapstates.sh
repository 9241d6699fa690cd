# memsleuth arenas on unusual and corrupted heaps (examples/heap_states,
# one state per mode; pin for the pinning chunk): every count, byte total
# and flag against gdb with libc6-dbg on the held process, through
# expressions written here (not the project's gdb scripts); a damaged list
# is flagged by name and address, the others kept, and such a snapshot is
# never called consistent; a non-contiguous main heap is healthy.
source "$(dirname "$0")/lib.sh"
matrix_row "glibc $(ldd --version | head -1 | awk '{print $NF}')" host debuginfo glibc; MATRIX_STEP=arenas

if ! command -v gdb >/dev/null || ! ls /usr/lib/debug/.build-id >/dev/null 2>&1; then
	skip "heap states: the gdb oracle needs gdb and libc6-dbg"
	exit 0
fi

# gdb on the held process; prints what the expressions print
g() {  # g PID EXPR...  -> one value per line
	local pid=$1; shift
	local args=()
	for e in "$@"; do args+=(-ex "printf \"%lu\\n\", (unsigned long) ($e)"); done
	gdb -batch -nx -p "$pid" "${args[@]}" 2>/dev/null | grep -E '^[0-9]+$'
}
hex() { printf '%#x' "$1"; }
# gdb's own walk of a contiguous main heap: chunks that look in use (the
# next chunk's PREV_INUSE set: in use, tcache and fastbin chunks) and free
# ones, with bytes, top excluded
gdb_walk() {
	cat >"$TMP/walk.gdb" <<'GDB'
set $p = (unsigned long) mp_.sbrk_base
set $top = (unsigned long) main_arena.top
set $u = 0
set $ub = 0
set $f = 0
set $fb = 0
set $n = 0
while $p < $top && $n < 1000000
  set $s = *(unsigned long *) ($p + 8) & ~7UL
  if *(unsigned long *) ($p + $s + 8) & 1
    set $u = $u + 1
    set $ub = $ub + $s
  else
    set $f = $f + 1
    set $fb = $fb + $s
  end
  set $p = $p + $s
  set $n = $n + 1
end
printf "%lu %lu %lu %lu\n", $u, $ub, $f, $fb
GDB
	gdb -batch -nx -p "$1" -x "$TMP/walk.gdb" 2>/dev/null | grep -E '^[0-9]+ [0-9]+ [0-9]+ [0-9]+$' 
}
tcache_total() {  # all counts of the main thread's tcache
	local e="0" i
	for i in $(seq 0 63); do e="$e + tcache->counts[$i]"; done
	g "$1" "$e"
}
run() {  # run NAME: ours as JSON with every list, exit status checked
	"$MS" arenas "$EX_PID" --json --bins --lists >"$TMP/$1.json"; local rc=$?
	check_cmp "$1: arenas ran (exit status 0, or 1 for a finding while the old rule holds)" "$rc" -le 1
}
corrupt_lists() { jq -r '[.lists[] | select(.corrupt) | "\(.kind) \(.index) \(.address)"] | join(", ")' "$1"; }

# --- healthy: every kind of list in 3 arenas (heap_kinds --threads 2):
# every list's count = gdb following the same list
start_example heap_kinds ready --threads 2 || exit 1
"$MS" arenas "$EX_PID" --json --bins --lists >"$TMP/hk.json"
cat >"$TMP/lists.gdb" <<'GDB'
set pagination off
set $a = &'malloc.c'::main_arena
set $k = 0
while $k < 64
  set $i = 0
  while $i < 10
    set $p = (unsigned long) $a->fastbinsY[$i]
    set $c = 0
    while $p != 0 && $c < 100000
      set $c = $c + 1
      set $p = (($p + 16) >> 12) ^ *(unsigned long *) ($p + 16)
    end
    if $c > 0
      printf "fastbin %d %#lx %d\n", $i, (unsigned long) $a, $c
    end
    set $i = $i + 1
  end
  set $i = 1
  while $i < 127
    set $bin = (unsigned long) &$a->bins[($i - 1) * 2] - 16
    set $p = (unsigned long) $a->bins[($i - 1) * 2]
    set $c = 0
    while $p != $bin && $c < 100000
      set $c = $c + 1
      set $p = *(unsigned long *) ($p + 16)
    end
    if $c > 0 && $i == 1
      printf "unsorted %d %#lx %d\n", $i, (unsigned long) $a, $c
    end
    if $c > 0 && $i > 1 && $i < 64
      printf "small %d %#lx %d\n", $i, (unsigned long) $a, $c
    end
    if $c > 0 && $i >= 64
      printf "large %d %#lx %d\n", $i, (unsigned long) $a, $c
    end
    set $i = $i + 1
  end
  set $k = $k + 1
  set $a = $a->next
  if $a == &'malloc.c'::main_arena
    loop_break
  end
end
define tc
  set $t = 'malloc.c'::tcache
  if $t != 0
    set $i = 0
    while $i < 64
      if $t->counts[$i] != 0
        printf "tcache %d %#lx %d\n", $i, (unsigned long) $t - 16, $t->counts[$i]
      end
      set $i = $i + 1
    end
  end
end
thread apply all -q tc
GDB
gdb -batch -nx -p "$EX_PID" -x "$TMP/lists.gdb" 2>/dev/null | grep -E '^(fastbin|unsorted|small|large|tcache) ' | sed 's/ bin / /' | sort >"$TMP/g-lists"
jq -r '.lists[] | "\(.kind | sub(" bin$"; "")) \(.index) \(.owner) \(.count)"' "$TMP/hk.json" | sort >"$TMP/o-lists"
check_eq "heap_kinds: $(wc -l <"$TMP/g-lists") lists (tcache per thread, fastbins, unsorted, small, large in 3 arenas): every count = gdb" \
	"$(cat "$TMP/o-lists")" "$(cat "$TMP/g-lists")"
check_eq "heap_kinds: healthy: consistent, nothing corrupt, contiguous" \
	"$(jq -c '[.snapshot_consistent, .corrupt_lists, .noncontiguous, .damage]' "$TMP/hk.json")" '[true,0,false,"none"]'
read -r u ub f fb < <(gdb_walk "$EX_PID")
check_eq "heap_kinds: main arena chunks that look in use / free, with bytes = gdb's walk" \
	"$(jq -r '.arenas[0] | "\(.in_use_chunks + .free_by_kind.tcache.chunks + .free_by_kind.fast.chunks) \(.in_use_bytes + .free_by_kind.tcache.free_bytes + .free_by_kind.fast.free_bytes) \(.free_by_kind.unsorted.chunks + .free_by_kind.small.chunks + .free_by_kind.large.chunks) \(.free_by_kind.unsorted.free_bytes + .free_by_kind.small.free_bytes + .free_by_kind.large.free_bytes)"' "$TMP/hk.json")" \
	"$u $ub $f $fb"
stop_example "$EX_PID"

# --- poisoned tcache: the second entry of tcache 7 (144 B) points to a static
start_example heap_states ready poison || exit 1
run poison
read -r c0 c7 bad < <(g "$EX_PID" 'tcache->counts[0]' 'tcache->counts[7]' \
	'((unsigned long) tcache->entries[7] >> 12) ^ *(unsigned long *) tcache->entries[7]' | tr '\n' ' ')
check_eq "poison: only tcache 7 flagged, at the poisoned pointer (gdb)" "$(corrupt_lists "$TMP/poison.json")" "tcache 7 $(hex "$bad")"
check_eq "poison: tcache 0 kept, count = gdb" "$(jq '[.lists[] | select(.kind=="tcache" and .index==0) | .count] | add' "$TMP/poison.json")" "$c0"
check_eq "poison: tcache chunks = gdb's counts, the poisoned entry excluded" \
	"$(jq '.totals.free_by_kind.tcache.chunks' "$TMP/poison.json")" $((c0 + c7 - 1))
check_eq "poison: tcaches found" "$(jq .tcaches_found "$TMP/poison.json")" 1
check_eq "poison: never consistent; the damage is corrupted" "$(jq -c '[.snapshot_consistent, .unreliable, .damage]' "$TMP/poison.json")" '[false,true,"corrupted"]'
# one wording for the damage in every step (findings/arenaverdict.c ms_damage_words)
check_match "poison: arenas says the damage" "$("$MS" arenas "$EX_PID" 2>&1)" 'The heap is corrupted \(the walk found the same damage in two snapshots\)'
check_match "poison: trim says it in the same words" "$("$MS" trim "$EX_PID" 2>&1)" 'the walk found the same damage in two snapshots'
stop_example "$EX_PID"

# --- the same pointer at the list's head: the rest of the tcache is kept
start_example heap_states ready poison-head || exit 1
run head
read -r c0 head < <(g "$EX_PID" 'tcache->counts[0]' 'tcache->entries[7]' | tr '\n' ' ')
check_eq "poison-head: tcache 7 flagged at its head (gdb)" "$(corrupt_lists "$TMP/head.json")" "tcache 7 $(hex "$head")"
check_eq "poison-head: the tcache is found, the other list counted (gdb: $c0)" \
	"$(jq -c '[.tcaches_found, .totals.free_by_kind.tcache.chunks]' "$TMP/head.json")" "[1,$c0]"
read -r u ub f fb < <(gdb_walk "$EX_PID")
check_eq "poison-head: in use + tcache chunks = gdb's walk" \
	"$(jq '.totals.in_use_chunks + .totals.free_by_kind.tcache.chunks + .totals.free_by_kind.fast.chunks' "$TMP/head.json")" "$u"
check_eq "poison-head: never consistent" "$(jq .snapshot_consistent "$TMP/head.json")" false
stop_example "$EX_PID"

# --- house of botcake: a chunk in tcache 15 (272 B) inside the free 544 B chunk
start_example heap_states ready botcake || exit 1
run botcake
read -r c15 a uns usz < <(g "$EX_PID" 'tcache->counts[15]' 'tcache->entries[15]' 'main_arena.bins[0]' \
	'main_arena.bins[0]->mchunk_size & ~7UL' | tr '\n' ' ')
check_eq "botcake: tcache 15 flagged at the double-freed chunk (gdb)" "$(corrupt_lists "$TMP/botcake.json")" "tcache 15 $(hex $((a - 16)))"
check_match "botcake: the overlap names the containing unsorted chunk (gdb)" \
	"$(jq -r '.lists[] | select(.corrupt) | .reason' "$TMP/botcake.json")" "inside the free chunk at $(hex "$uns") \\($usz B\\)"
read -r u ub f fb < <(gdb_walk "$EX_PID")
check_eq "botcake: counted once: in use + tcache = gdb's in-use walk ($u), tcache = count - 1" \
	"$(jq -c '[.totals.in_use_chunks + .totals.free_by_kind.tcache.chunks, .totals.free_by_kind.tcache.chunks]' "$TMP/botcake.json")" \
	"[$u,$((c15 - 1))]"
check_eq "botcake: free bytes = 6 x 272 in tcache + the unsorted chunk (gdb)" \
	"$(jq .totals.free_bytes "$TMP/botcake.json")" $(((c15 - 1) * 272 + usz))
check_eq "botcake: never consistent" "$(jq .snapshot_consistent "$TMP/botcake.json")" false
check_eq "botcake: --address of the double-freed chunk's data: the unsorted chunk holding it (gdb)" \
	"$("$MS" arenas "$EX_PID" --json --address "$(hex "$a")" | jq -r '.address_lookup | "\(.chunk) \(.size_bytes) \(.kind) \(.flags)"')" \
	"$(hex "$uns") $usz unsorted PREV_INUSE"
stop_example "$EX_PID"

# --- broken links: small bin 33's fd and large bin 68's bk
start_example heap_states ready links || exit 1
run links
read -r s l c31 < <(g "$EX_PID" 'main_arena.bins[64]' 'main_arena.bins[134]' 'tcache->counts[31]' | tr '\n' ' ')
check_eq "links: small bin 33 flagged at its bad fd, large bin 68 at the chunk with the bad bk (gdb)" \
	"$(corrupt_lists "$TMP/links.json")" "small bin 33 0xdeadbeef, large bin 68 $(hex "$l")"
check_match "links: the small bin's reason names its chunk (gdb)" "$(jq -r '.lists[] | select(.kind=="small bin") | .reason' "$TMP/links.json")" "fd of $(hex "$s") is 0xdeadbeef"
check_eq "links: tcache 31 kept = gdb" "$(jq '[.lists[] | select(.kind=="tcache" and .index==31) | .count] | add' "$TMP/links.json")" "$c31"
check_eq "links: never consistent" "$(jq .snapshot_consistent "$TMP/links.json")" false
# tcache 31 in list order, as gdb follows it (safe-linked next pointers)
cat >"$TMP/t31.gdb" <<'GDB'
set $e = (unsigned long) tcache->entries[31]
set $n = 0
while $e != 0 && $n < 16
  printf "%#lx\n", $e - 16
  set $e = ($e >> 12) ^ *(unsigned long *) $e
  set $n = $n + 1
end
GDB
check_eq "links: --lists gives tcache 31's entries in list order = gdb" \
	"$(jq -r '.lists[] | select(.kind=="tcache" and .index==31) | .entries[]' "$TMP/links.json" | tr '\n' ' ')" \
	"$(gdb -batch -nx -p "$EX_PID" -x "$TMP/t31.gdb" 2>/dev/null | grep -E '^0x[0-9a-f]+$' | tr '\n' ' ')"
stop_example "$EX_PID"

# --- fastbin loop in fastbin 1 (48 B)
start_example heap_states ready fastloop || exit 1
run fastloop
read -r fb1 c1 < <(g "$EX_PID" 'main_arena.fastbinsY[1]' 'tcache->counts[1]' | tr '\n' ' ')
check_eq "fastloop: fastbin 1 flagged (gdb: head $(hex "$fb1"))" "$(jq -r '[.lists[] | select(.corrupt) | "\(.kind) \(.index)"] | join(",")' "$TMP/fastloop.json")" "fastbin 1"
check_match "fastloop: says it loops" "$(jq -r '.lists[] | select(.corrupt) | .reason' "$TMP/fastloop.json")" "loops"
check_eq "fastloop: tcache 1 kept = gdb" "$(jq '.totals.free_by_kind.tcache.chunks' "$TMP/fastloop.json")" "$c1"
stop_example "$EX_PID"

# --- a thread arena's top with size 0xfffffffffffffff1: no impossible number
start_example heap_states ready topsize || exit 1
run topsize
check_eq "topsize: gdb sees the bad size" "$(g "$EX_PID" 'main_arena.next->top->mchunk_size')" 18446744073709551601
check_eq "topsize: that arena's top not counted, never consistent" \
	"$(jq -c '[(.arenas[] | select(.is_main|not) | .top_bytes), .snapshot_consistent]' "$TMP/topsize.json")" "[0,false]"
check_match "topsize: the problem names the top and its size" "$(jq -r .inconsistency "$TMP/topsize.json")" "top chunk 0x[0-9a-f]+ has a size of 0xfffffffffffffff1"
out=$("$MS" arenas "$EX_PID")
check_eq "topsize: no PiB or EiB figure printed" "$(printf '%s' "$out" | grep -cE 'PiB|EiB')" 0
check_match "topsize: figures labelled unreliable" "$out" "UNRELIABLE"
check_eq "topsize: --chunks shows NON_MAIN_ARENA on the thread arena's chunks, not on main's" \
	"$("$MS" arenas "$EX_PID" --json --chunks --limit 0 | jq -c '[.chunks[] | select(.kind == "in_use") | [.arena, (.flags | test("NON_MAIN_ARENA"))]] | unique')" \
	'[[0,false],[1,true]]'
stop_example "$EX_PID"

# --- a program that calls sbrk() itself: healthy, non-contiguous (2 segments)
start_example heap_states ready sbrk || exit 1
run sbrk
"$MS" arenas "$EX_PID" --json --chunks --limit 0 >"$TMP/sbrk-chunks.json"
read -r top tsz sys < <(g "$EX_PID" 'main_arena.top' 'main_arena.top->mchunk_size & ~7UL' 'main_arena.system_mem' | tr '\n' ' ')
check_eq "sbrk: consistent, non-contiguous in 2 segments, nothing corrupt" \
	"$(jq -c '[.snapshot_consistent, .noncontiguous, .arenas[0].segments, .corrupt_lists]' "$TMP/sbrk.json")" "[true,true,2,0]"
check_eq "sbrk: top address and size = gdb" "$(jq -r '"\(.arenas[0].top_address) \(.arenas[0].top_bytes)"' "$TMP/sbrk.json")" "$(hex "$top") $tsz"
check_eq "sbrk: the three 100,016 B chunks past the foreign area found" \
	"$(jq '[.chunks[] | select(.size_bytes == 100016 and .kind == "in_use")] | length' "$TMP/sbrk-chunks.json")" 3
check_eq "sbrk: the old top, fenced and freed, is in its bin (gdb: unsorted or large)" \
	"$(jq '.arenas[0].free_by_kind | .unsorted.chunks + .small.chunks + .large.chunks' "$TMP/sbrk.json")" 1
brk_end=$((16#$(awk '/\[heap\]/ {split($1, r, "-"); print r[2]}' /proc/$EX_PID/maps)))
check_eq "sbrk: top at the break (maps: [heap] ends at the top's end) -> systrim may cut" \
	"$(jq .arenas[0].top_at_brk "$TMP/sbrk.json")" "$([ $((top + tsz)) = "$brk_end" ] && echo true || echo false)"
check_match "sbrk: said as a fact, not corruption" "$("$MS" arenas "$EX_PID")" "non-contiguous \\(2 segments"
stop_example "$EX_PID"

# --- the break blocked: the main heap continues in mmapped memory
start_example heap_states ready brk-blocked || exit 1
run blocked
read -r top tsz flags < <(g "$EX_PID" 'main_arena.top' 'main_arena.top->mchunk_size & ~7UL' 'main_arena.flags' | tr '\n' ' ')
check_eq "brk-blocked: gdb: NONCONTIGUOUS_BIT set" $((flags & 2)) 2
check_eq "brk-blocked: consistent, non-contiguous, top = gdb" \
	"$(jq -c '[.snapshot_consistent, .noncontiguous, .arenas[0].top_address, .arenas[0].top_bytes]' "$TMP/blocked.json")" \
	"[true,true,\"$(hex "$top")\",$tsz]"
check_eq "brk-blocked: no systrim from a top outside the brk heap" \
	"$(jq -c '[.arenas[0].top_at_brk, .arenas[0].trim_top_bytes]' "$TMP/blocked.json")" "[false,0]"
stop_example "$EX_PID"

# --- mmapped chunks: what is mapped, not only what mp_ counts
start_example heap_states ready mmapped || exit 1
run mmapped
read -r n a0 a1 s0 s1 < <(g "$EX_PID" 'mp_.n_mmaps' 'mm_keep[0]' 'mm_keep[1]' '((unsigned long *) mm_keep[0])[-1] & ~7UL' \
	'((unsigned long *) mm_keep[1])[-1] & ~7UL' | tr '\n' ' ')
check_eq "mmapped: mp_ counts 3 (gdb), 2 found mapped with gdb's sizes" \
	"$(jq -c '[.mmapped_chunks, .mmapped_chunks_found, .mmapped_found_bytes]' "$TMP/mmapped.json")" "[$n,2,$((s0 + s1))]"
check_eq "mmapped: --address inside the second one names it (gdb)" \
	"$("$MS" arenas "$EX_PID" --json --address "$(hex $((a1 + 100)))" | jq -r '.address_lookup | "\(.chunk) \(.kind)"')" "$(hex $((a1 - 16))) mmapped"
stop_example "$EX_PID"

# --- per-thread tcaches, live: three named threads, each its own tcache
# contents; with --stop each thread's fs_base is read, and gdb prints every
# thread's tcache pointer and its counts (bytes: count x chunk size)
start_example heap_states ready tcache-threads || exit 1
"$MS" arenas "$EX_PID" --stop --json >"$TMP/tct.json"
cnt="0" by="0"
for i in $(seq 0 63); do cnt="$cnt + tcache->counts[$i]"; by="$by + tcache->counts[$i] * $((i * 16 + 32))"; done
theirs=$(gdb -batch -nx -p "$EX_PID" -ex "thread apply all printf \"%#lx %lu %lu\\n\", (unsigned long) tcache, (unsigned long) ($cnt), (unsigned long) ($by)" 2>/dev/null |
	sed -n 's/^Thread .*(LWP \([0-9]*\)) "\([^"]*\)".*/\1 \2/p; s/^\(0x[0-9a-f]* [0-9]* [0-9]*\)$/\1/p' | paste -d' ' - - | sort)
ours=$(jq -r '.tcaches[] | "\(.tid) \(.thread) \(.chunk) \(.chunks) \(.free_bytes)"' "$TMP/tct.json" |
	while read -r t n c k b; do printf '%s %s %#x %s %s\n' "$t" "$n" $((c + 16)) "$k" "$b"; done | sort)
check_eq "tcache-threads --stop: each thread's tcache, name, count and bytes = gdb's tcache per thread" "$ours" "$theirs"
check_eq "tcache-threads: four threads, three of them holding 1, 5 and 11 chunks (the example's table)" \
	"$(jq -c '[.tcaches[] | .chunks] | sort' "$TMP/tct.json")" "[0,1,5,11]"
check_match "tcache-threads: the text names each thread with its counts" \
	"$("$MS" arenas "$EX_PID" --stop | tr -s ' ' | grep 'tc-two')" "thread [0-9]+ tc-two tcache at 0x[0-9a-f]+: 5 chunks, 432 B"
check_eq "tcache-threads without --stop: counted, not attributed, and says why" \
	"$("$MS" arenas "$EX_PID" --json | jq -c '[([.tcaches[].chunks] | sort), ([.tcaches[].tid] | unique), (.tcache_attribution | test("without --stop"))]')" \
	'[[0,1,5,11],[null],true]'
check_eq "tcache-threads --stop without debug info: not attributed, says why" \
	"$(MEMSLEUTH_NO_DEBUGINFO=1 "$MS" arenas "$EX_PID" --stop --json | jq -r '[([.tcaches[].tid] | unique), .tcache_attribution] | map(tostring) | join("; ")')" \
	"[null]; not attributed: the TLS offset of tcache needs libc's debug info (libc6-dbg)"
check_eq "tcache-threads: the target runs on after --stop" "$(awk '{print $3}' "/proc/$EX_PID/stat")" S
stop_example "$EX_PID"

# --- the case study: one live 32 B chunk pins the freed 500,000 x 1 KiB
start_example pin freed || exit 1
"$MS" arenas "$EX_PID" --json >"$TMP/pin.json"
read -r top < <(g "$EX_PID" 'main_arena.top')
check_eq "pin: the pinning chunk is the one below the top (gdb), 32 B" \
	"$(jq -r '.arenas[0].pins[0] | "\(.address) \(.size_bytes)"' "$TMP/pin.json")" "$(hex $((top - 32))) 32"
check_eq "pin: it pins 499,993 x 1,040 B (7 freed blocks stay in tcache)" \
	"$(jq '.arenas[0].pins[0].pinned_bytes' "$TMP/pin.json")" $((499993 * 1040))
check_match "pin: named in the text" "$("$MS" arenas "$EX_PID")" "1 live chunk of 32 B at $(hex $((top - 32))) pins 495.9 MiB"
stop_example "$EX_PID"

# --- the project's gdb scripts on a program with its own tcache, main_arena
# and mp_ (glibc's are named through 'malloc.c'::), against memsleuth and
# the expressions above
cat >"$TMP/own.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int tcache = 5; long main_arena[4] = { 1, 2, 3, 4 }; char mp_[16] = "mine";
int main(void)
{
	printf("pid=%d\n", (int)getpid());   /* stdout's buffer first: no consolidation later */
	fflush(stdout);
	void *p[20];
	for (int i = 0; i < 20; i++) p[i] = malloc(24);
	for (int i = 0; i < 20; i++) free(p[i]);   /* 7 in tcache 0, 13 in fastbin 0 */
	printf("phase=ready holding\n");
	fflush(stdout);
	pause();
	return tcache + (int)main_arena[0] + mp_[0];
}
C
if gcc -g -O0 -o "$TMP/own" "$TMP/own.c" 2>"$TMP/cc.err"; then
	"$TMP/own" >"$TMP/own.out" 2>&1 &
	OWN=$!
	_pids+=("$OWN")
	for i in $(seq 1 50); do grep -q holding "$TMP/own.out" && break; sleep 0.1; done
	GS=$(cd "$(dirname "$0")/../.." && pwd)/gdb-scripts
	"$MS" arenas "$OWN" --json --bins >"$TMP/own.json"
	gdb -batch -nx -p "$OWN" -x "$GS/arenas.gdb" >"$TMP/own-arenas" 2>&1
	gdb -batch -nx -p "$OWN" -x "$GS/bins.gdb" >"$TMP/own-bins" 2>&1
	gdb -batch -nx -p "$OWN" -x "$GS/mp.gdb" >"$TMP/own-mp" 2>&1
	check_eq "gdb-scripts/arenas.gdb with a program's own main_arena: glibc's arena = memsleuth" \
		"$(sed -n 's/^arena \(0x[0-9a-f]*\) main 1 system_mem \([0-9]*\) .* top_size \([0-9]*\)/\1 \2 \3/p' "$TMP/own-arenas")" \
		"$(jq -r '.arenas[0] | "\(.address) \(.system_mem_bytes) \(.top_bytes)"' "$TMP/own.json")"
	check_eq "gdb-scripts/bins.gdb with a program's own tcache: fastbin 0 and tcache 0 = memsleuth" \
		"$(grep -E '^(arena .* fast 0|tcache .* bin 0) ' "$TMP/own-bins" | awk '{print $NF}' | tr '\n' ' ')" \
		"$(jq -r '[.arenas[0].bins[] | select(.index==0 and (.kind=="fast" or .kind=="tcache")) | .count] | reverse | map(tostring) | join(" ")' "$TMP/own.json") "
	check_eq "gdb-scripts/mp.gdb with a program's own mp_: glibc's mp_ and sbrk_base = memsleuth" \
		"$(sed -n 's/^mp_ //p; s/^sbrk_base //p' "$TMP/own-mp" | tr '\n' ' ')" \
		"$(jq -r '"\(.mp.address) \(.mp.sbrk_base) "' "$TMP/own.json")"
	check_eq "own symbols: the program's tcache/main_arena/mp_ are not glibc's (gdb)" \
		"$(g "$OWN" 'tcache' "'malloc.c'::tcache->counts[0]" | tr '\n' ' ')" "5 7 "
	stop_example "$OWN"
else
	skip "gdb scripts on own symbols: cannot compile: $(head -c 200 "$TMP/cc.err")"
fi
