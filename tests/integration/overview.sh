# overview on live example workloads, against independent oracles:
# /proc/PID/smaps_rollup, an awk count of arena heaps in maps, gdb's narenas.
source "$(dirname "$0")/lib.sh"
matrix_row "glibc $(ldd --version | head -1 | awk '{print $NF}')" host debuginfo glibc; MATRIX_STEP=overview
J() { jq -r "$1" "$TMP/ov.json"; }
class() { jq -r ".classes[] | select(.class==\"$1\") | .$2" "$TMP/ov.json"; }
# --- the 1-byte pin: freed memory stays in the main heap ---
start_example pin freed --count 200000 --malloc-info "$TMP/pin.xml" || exit 1
"$MS" overview --json "$EX_PID" > "$TMP/ov.json"
check_eq "pin: exit status" $? 0
# glibc's own oracle: main arena's system_mem at the freed checkpoint
sysmem=$(sed -n '/phase=freed/,$p' "$TMP/pin.xml" | grep -m1 '<system type="current"' | sed 's/.*size="\([0-9]*\)".*/\1/')
check_eq "pin: main heap size = malloc_info's system current" "$(class main_heap size_bytes)" "$sysmem"
sum=$(J .class_rss_sum_bytes); roll=$(rollup_rss "$EX_PID")
check_within "pin: class RSS sums to smaps_rollup Rss" "$sum" "$roll" 1
check_cmp "pin: main heap holds the 200,000 freed 1 KiB blocks (>= 200000*1040 B)" "$(class main_heap rss_bytes)" -ge 208000000
check_eq "pin: no arena heaps" "$(J .arena_heaps)" 0
check_eq "pin: only main_arena" "$(J .arenas)" 1
check_eq "pin: allocator" "$(J .allocator)" glibc
check_eq "pin: glibc version from the target's libc" "$(J .glibc_version)" "$(ldd --version | head -1 | awk '{print $NF}')"
check_eq "pin: thread stacks matched" "$(J .stacks_matched)" 1
"$MS" overview --accounted 100M --json "$EX_PID" > "$TMP/ov.json"
check_eq "pin: gap = RSS - accounted" "$(J .gap_bytes)" "$(( $(J .rss_bytes) - 104857600 ))"
"$MS" overview --accounted 100M "$EX_PID" > "$TMP/ov.txt"
check_match "pin: text verdict points at the main heap and the next step" "$(cat "$TMP/ov.txt")" "glibc malloc holds .*next: memsleuth arenas $EX_PID"
stop_example "$EX_PID"

# --- arena explosion: 40 threads on a 8 x CPUs cap ---
cpus=$(grep -c ^processor /proc/cpuinfo); online=$(awk -F- '{print ($2==""?1:$2-$1+1)}' /sys/devices/system/cpu/online)
cap=$(( 8 * online )); want=$(( 41 < cap ? 41 : cap ))
start_example arena_explosion spread --threads 40 || exit 1
"$MS" overview --json "$EX_PID" > "$TMP/ov.json"
check_eq "explosion: arena cap = 8 x online CPUs" "$(J .arena_cap)" "$cap"
check_eq "explosion: arenas = min(threads + 1, cap)" "$(J .arenas)" "$want"
check_eq "explosion: arena heaps = independent count from maps" "$(J .arena_heaps)" "$(maps_heap_count "$EX_PID")"
check_eq "explosion: every heap confirmed by heap_info" "$(J .arena_heaps_verified)" true
gdb_n=$(gdb -batch -p "$EX_PID" -ex 'p narenas' 2>/dev/null | awk '/^\$1 =/ {print $3}')
if [ -n "$gdb_n" ]; then check_eq "explosion: arenas = gdb's narenas" "$(J .arenas)" "$gdb_n"; else skip "gdb narenas oracle: gdb could not read narenas (libc6-dbg missing?)"; fi
check_eq "explosion: every thread's stack found by its stack pointer" "$(J .stacks_matched)" 41
check_eq "explosion: stacks are named by their threads" "$(jq -r '[.top_stacks[].name | select(startswith("spreader-") or startswith("arena_explosio"))] | length' "$TMP/ov.json")" 8
check_eq "explosion: a worker stack is the 256 KiB it was created with" "$(jq -r '[.top_stacks[] | select(.name | startswith("spreader-")) | .size_bytes] | max' "$TMP/ov.json")" 262144
check_within "explosion: class RSS sums to smaps_rollup Rss" "$(J .class_rss_sum_bytes)" "$(rollup_rss "$EX_PID")" 1
check_eq "explosion: arena class mappings = 2 per heap" "$(class arena_heap mappings)" "$(( 2 * $(J .arena_heaps) ))"
stop_example "$EX_PID"

# --- the cap from the target's environment ---
MALLOC_ARENA_MAX=2 start_example arena_explosion spread --threads 8 || exit 1
"$MS" overview --json "$EX_PID" > "$TMP/ov.json"
check_eq "MALLOC_ARENA_MAX=2: cap" "$(J .arena_cap)" 2
check_eq "MALLOC_ARENA_MAX=2: arenas" "$(J .arenas)" 2
bid=$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 | awk '/Build ID/ {print $3}')
if [ -e "/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug" ]; then
	check_eq "MALLOC_ARENA_MAX=2: read from mp_ with debug info" "$(J .arena_cap_source)" "mp_.arena_max = 2, read from the process"
else
	skip "mp_.arena_max: libc6-dbg not installed"
fi
MEMSLEUTH_NO_DEBUGINFO=1 "$MS" overview --json "$EX_PID" > "$TMP/ov.json"
check_eq "MALLOC_ARENA_MAX=2 without debug info: from the environment" "$(J .arena_cap_source)" "environ: MALLOC_ARENA_MAX=2"
check_eq "MALLOC_ARENA_MAX=2 without debug info: same cap" "$(J .arena_cap)" 2
stop_example "$EX_PID"
GLIBC_TUNABLES=glibc.malloc.arena_max=3 start_example arena_explosion spread --threads 8 || exit 1
"$MS" overview --json "$EX_PID" > "$TMP/ov.json"
check_eq "GLIBC_TUNABLES arena_max=3: cap" "$(J .arena_cap)" 3
check_eq "GLIBC_TUNABLES arena_max=3: arenas" "$(J .arenas)" 3
stop_example "$EX_PID"

# --- zlib workers: one large block malloc got from mmap ---
start_example zlib_workers inflated --threads 4 --rounds 40 || exit 1
"$MS" overview --json "$EX_PID" > "$TMP/ov.json"
# compressBound(192 KiB) = 196681 B -> one mmapped chunk of 49 pages
check_eq "zlib: the compressed buffer is a malloc_mmap chunk of 49 pages" "$(class malloc_mmap size_bytes)" 200704
# workers that do not overlap in time reuse each other's arenas: ask gdb
gdb_n=$(gdb -batch -p "$EX_PID" -ex 'p narenas' 2>/dev/null | awk '/^\$1 =/ {print $3}')
if [ -n "$gdb_n" ]; then check_eq "zlib: arenas = gdb's narenas" "$(J .arenas)" "$gdb_n"; else skip "zlib: gdb narenas oracle unavailable"; fi
check_eq "zlib: 4 cached stacks of exited threads (guard + stack) + [stack]" "$(class thread_stack mappings)" 9
stop_example "$EX_PID"
