# memsleuth arenas --core: a core of an example read the way the live
# process was read just before, with the target stopped in between (the
# live reading is the oracle): gdb's gcore and a core the kernel writes,
# the pin example and a thread-arena workload (every arena, every tcache);
# a core cut at half its size (what is missing named, exit 0); a core that
# is not one; a libc under --sysroot that is not the core's (build-id
# mismatch); jemalloc preloaded and a static binary (the live refusals);
# a core of a process in the bullseye root (glibc 2.31) with --sysroot.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
_dirs=()
trap '_cleanup; for d in "${_dirs[@]}"; do rm -rf --one-file-system "$d"; done' EXIT

if ! command -v gcore >/dev/null; then
	skip "postmortem: gcore (gdb) not installed"
	exit 0
fi
need_root "postmortem: gcore and cores of other users' processes" || exit 0

# The figures a core must give exactly as the live process gave them.
same() {
	jq -c '[(.arenas | length), .totals.in_use_bytes, .totals.in_use_chunks, .totals.free_by_kind,
		.tcaches_found, [.arenas[] | [.address, .in_use_bytes, .in_use_chunks, .free_by_kind, .bins]]]' "$1"
}
A() { if [ "$1" = -c ]; then jq -c "$2" "$TMP/core.json"; else jq -r "$1" "$TMP/core.json"; fi; }

# The kernel writes a core into the target's directory only when
# core_pattern is a plain file name; nothing here changes that setting.
pattern=$(cat /proc/sys/kernel/core_pattern)
kernel_cores=1
case $pattern in
	*/*|*%*|'|'*) kernel_cores=0 ;;
esac
kcore_file() {   # kcore_file DIR PID: the core the kernel wrote there
	if [ "$(cat /proc/sys/kernel/core_uses_pid)" = 1 ]; then echo "$1/$pattern.$2"; else echo "$1/$pattern"; fi
}
# start_dumpable NAME PHASE DIR ARGS...: an example with cores allowed,
# run in DIR; sets EX_PID, EX_OUT
start_dumpable() {
	local name=$1 phase=$2 dir=$3; shift 3
	EX_OUT="$TMP/$name.$RANDOM.out"
	(ulimit -c unlimited; cd "$dir" && exec "$EX/$name" "$@" --hold) >"$EX_OUT" 2>&1 &
	EX_PID=$!
	_pids+=("$EX_PID")
	for _ in $(seq 1 600); do
		grep -q "phase=$phase" "$EX_OUT" 2>/dev/null && return 0
		kill -0 "$EX_PID" 2>/dev/null || { echo "example $name died: $(cat "$EX_OUT")"; return 1; }
		sleep 0.1
	done
	return 1
}
# kernel_dump PID: the stopped target gets SIGABRT and is resumed: it dies
# at once, writing its core, without running another instruction of its own
kernel_dump() {
	kill -ABRT "$1"; kill -CONT "$1"
	wait "$1" 2>/dev/null
}

# live_and_gcore PID NAME: with the target stopped, the live reading
# ($TMP/live.json) and a gcore ($TMP/NAME.PID), then resumed; the core's
# reading in $TMP/core.json; returns arenas --core's exit status
live_and_gcore() {
	kill -STOP "$1"
	"$MS" arenas --json --bins "$1" > "$TMP/live.json"
	gcore -o "$TMP/$2" "$1" >/dev/null 2>&1
	kill -CONT "$1"
	"$MS" arenas --core "$TMP/$2.$1" --json --bins > "$TMP/core.json"
}

# --- 1. pin, gcore: equal to the live reading ---------------------------
start_example pin freed --count 20000 || exit 1
PIN=$EX_PID
live_and_gcore "$PIN" pin
check_eq "pin gcore: exit status" $? 0
check_eq "pin gcore: arenas, in-use bytes and chunks, free bytes per kind, bins, tcaches = live" \
	"$(same "$TMP/core.json")" "$(same "$TMP/live.json")"
check_eq "pin gcore: one arena, 7 tcache'd chunks, the freed blocks in the unsorted bin" \
	"$(A '[(.arenas|length), .totals.free_by_kind.tcache.chunks, .totals.free_by_kind.unsorted.chunks] | map(tostring) | join(" ")')" "1 7 1"
check_eq "pin gcore: the pinning chunk named, as live" "$(A -c '.arenas[0].pins')" "$(jq -c '.arenas[0].pins' "$TMP/live.json")"
check_match "pin gcore: one 32-byte chunk pins the freed blocks" "$(A -c '.arenas[0].pins[0] | [.size_bytes, .pinned_bytes]')" '^\[32,[0-9]{8}\]$'
check_eq "pin gcore: read from a core of that process" "$(A '.source + " " + (.pid|tostring)')" "core $PIN"
check_eq "pin gcore: residency unknown (gcore writes every page)" "$(A .residency)" unknown
check_eq "pin gcore: whole" "$(A .partial)" false
check_match "pin gcore: the verdicts say residency is an upper bound there" "$(A '.verdicts[].text')" "Read from a core: resident bytes unknown .* an upper bound"
"$MS" arenas --core "$TMP/pin.$PIN" > "$TMP/core.txt"
check_match "pin gcore text: names the core's process" "$(head -1 "$TMP/core.txt")" "^core of process $PIN: glibc "
# gcore leaves the process running: a core cannot tell, so the remedy that
# acts on the live process names its PID with that caveat, never "has ended"
check_eq "pin gcore: the process still runs (oracle: kill -0)" "$(kill -0 "$PIN" && echo yes)" yes
check_match "pin gcore: the next step says it needs the live process" "$(A '[.verdicts[].next] | join(" ")')" "^memsleuth trim $PIN   # if it is still the core's process"
check_eq "pin gcore: trim on the live process, said as from a core" \
	"$(A '[.causes[].remedies[] | select(.command | startswith("memsleuth trim")) | .command + " | " + .expected_effect][0]')" \
	"memsleuth trim $PIN   # if it is still the core's process | from a core: to act on the live process, run this on it (if it still runs; else in a rerun of its command, at the same moment)"
check_eq "pin gcore: nothing says the process has ended" "$(grep -c 'process has ended' "$TMP/core.txt" "$TMP/core.json" | awk -F: '{s += $2} END {print s}')" 0
kill "$PIN"

# a core of a process glibc's malloc does not serve: the next step reads the core too
je=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null)
if [ -n "$je" ]; then
	LD_PRELOAD=$je "$EX/pin" --count 1000 --hold > "$TMP/je.out" 2>&1 & JE=$!; _pids+=("$JE")
	for _ in $(seq 1 600); do grep -q phase=freed "$TMP/je.out" && break; sleep 0.1; done
	gcore -o "$TMP/je" "$JE" >/dev/null 2>&1
	kill "$JE"
	"$MS" arenas --core "$TMP/je.$JE" --json > "$TMP/core.json"
	check_eq "jemalloc gcore: exit 0, glibc not in charge" "$? $(A '.allocator + " " + (.glibc_in_charge | tostring)')" "0 jemalloc false"
	check_eq "jemalloc gcore: next reads the core, not a PID" "$(A '[.verdicts[].next] | join(" ")')" "memsleuth overview --core $TMP/je.$JE"
	"$MS" overview --core "$TMP/je.$JE" > /dev/null 2>"$TMP/ov.err"
	check_eq "jemalloc gcore: that next command works on the core" "$? $(wc -c < "$TMP/ov.err")" "0 0"
else
	skip "jemalloc gcore: jemalloc not installed (apt-get install libjemalloc2)"
fi

# --- 2. pin, a core the kernel writes: equal, residency from its holes ---
if [ "$kernel_cores" = 1 ]; then
	mkdir "$TMP/kc"
	start_dumpable pin freed "$TMP/kc" --count 20000 || { fail "pin: did not start"; exit 1; }
	PIN=$EX_PID
	kill -STOP "$PIN"
	"$MS" arenas --json --bins "$PIN" > "$TMP/live.json"
	"$MS" overview --json "$PIN" > "$TMP/ovl.json"
	kernel_dump "$PIN"
	KCORE=$(kcore_file "$TMP/kc" "$PIN")
	if [ -f "$KCORE" ]; then
		"$MS" arenas --core "$KCORE" --json --bins > "$TMP/core.json"
		check_eq "pin kernel core: exit status" $? 0
		check_eq "pin kernel core: arenas, in-use, free per kind, bins, tcaches = live" \
			"$(same "$TMP/core.json")" "$(same "$TMP/live.json")"
		check_eq "pin kernel core: residency from the core's holes" "$(A .residency)" core_holes
		check_match "pin kernel core: the verdicts say so" "$(A '.verdicts[].text')" "Read from a core: resident bytes from the core's holes"
		check_match "pin kernel core: the process is gone, so the next step reruns its command (NT_PRPSINFO)" \
			"$(A '[.verdicts[].next] | join(" ")')" "memsleuth guide -- .*pin --count 20000"
		check_within "pin kernel core: trim prediction = live (pagemap)" "$(A .trim_prediction_bytes)" \
			"$(jq .trim_prediction_bytes "$TMP/live.json")" 1
		check_within "pin kernel core: resident bytes in free chunks = live" "$(A .totals.free_resident_bytes)" \
			"$(jq .totals.free_resident_bytes "$TMP/live.json")" 1
		"$MS" overview --core "$KCORE" --json > "$TMP/ovc.json"
		check_eq "overview --core, kernel core: exit status" $? 0
		check_eq "overview --core: main heap size, and its bytes in the core = its live RSS" \
			"$(jq -c '.classes[] | select(.class == "main_heap") | [.size_bytes, .in_core_bytes]' "$TMP/ovc.json")" \
			"$(jq -c '.classes[] | select(.class == "main_heap") | [.size_bytes, .rss_bytes]' "$TMP/ovl.json")"
		check_eq "overview --core: RSS is not in a core (null), residency from its holes" \
			"$(jq -c '[.rss_bytes, .residency]' "$TMP/ovc.json")" '[null,"core_holes"]'
		# --- 3. the same core cut at half its size (holes kept) ---
		cp --sparse=always "$KCORE" "$TMP/cut"
		truncate -s $(( $(stat -c %s "$KCORE") / 2 )) "$TMP/cut"
		"$MS" arenas --core "$TMP/cut" --json > "$TMP/core.json" 2>"$TMP/err"
		check_eq "kernel core cut at half: exit 0 (the step ran)" $? 0
		check_eq "kernel core cut at half: partial" "$(A .partial)" true
		check_match "kernel core cut at half: the missing ranges named" "$(A .missing)" \
			"^[0-9.]+ [KMG]iB in [0-9]+ ranges? not in the core \(cut: the file ends early\): 0x[0-9a-f]+-0x[0-9a-f]+"
	else
		fail "pin kernel core: no core written as $KCORE (core_pattern '$pattern')"
	fi
else
	skip "pin kernel core: core_pattern is '$pattern' (a pipe or a path); the kernel-core checks need a plain file name"
fi

# --- 4. a gcore cut at half: its notes are at the end, so they go too ----
start_example pin freed --count 20000 || exit 1
PIN=$EX_PID
gcore -o "$TMP/pin" "$PIN" >/dev/null 2>&1
kill "$PIN"
truncate -s $(( $(stat -c %s "$TMP/pin.$PIN") / 2 )) "$TMP/pin.$PIN"
"$MS" arenas --core "$TMP/pin.$PIN" --json > "$TMP/core.json" 2>"$TMP/err"
check_eq "gcore cut at half: exit 0, no crash" $? 0
check_eq "gcore cut at half: partial" "$(A .partial)" true
check_match "gcore cut at half: says the notes and ranges are missing" "$(A .missing)" \
	"^its notes are cut .*not in the core \(cut: the file ends early\): 0x"
rm -f "$TMP/pin.$PIN"

# --- 5. threads: every arena and every thread's tcache ----------------
start_example arena_explosion spread --threads 3 || exit 1
AE=$EX_PID
live_and_gcore "$AE" ae
check_eq "arena_explosion gcore: exit status" $? 0
check_eq "arena_explosion gcore: 4 arenas, 4 tcaches (main + 3 threads)" \
	"$(A '[(.arenas|length), .tcaches_found] | map(tostring) | join(" ")')" "4 4"
check_eq "arena_explosion gcore: every arena's figures and bins = live" "$(same "$TMP/core.json")" "$(same "$TMP/live.json")"
rm -f "$TMP/ae.$AE"
kill "$AE"
if [ "$kernel_cores" = 1 ]; then
	mkdir -p "$TMP/kc2"
	start_dumpable arena_explosion spread "$TMP/kc2" --threads 3 || { fail "arena_explosion: did not start"; exit 1; }
	AE=$EX_PID
	kill -STOP "$AE"
	"$MS" arenas --json --bins "$AE" > "$TMP/live.json"
	kernel_dump "$AE"
	AECORE=$(kcore_file "$TMP/kc2" "$AE")
	"$MS" arenas --core "$AECORE" --json --bins > "$TMP/core.json"
	check_eq "arena_explosion kernel core: every arena's figures, bins and tcaches = live" \
		"$(same "$TMP/core.json")" "$(same "$TMP/live.json")"
	# each thread's tcache: gdb with libc6-dbg reads the TLS variable itself
	if ls /usr/lib/debug/.build-id >/dev/null 2>&1; then
		ours=$(jq -r '.tcaches[] | "\(.tid) \(.chunk)"' "$TMP/core.json" | while read -r t c; do printf '%s %#x\n' "$t" $((c + 16)); done | sort)
		theirs=$(gdb -batch -nx -ex "thread apply all p/x (unsigned long)tcache" "$EX/arena_explosion" "$AECORE" 2>/dev/null |
			sed -n 's/^Thread .*(LWP \([0-9]*\)).*/\1/p; s/^\$[0-9]* = \(0x[0-9a-f]*\)/\1/p' | paste -d' ' - - | sort)
		check_eq "arena_explosion kernel core: every thread's tcache attributed through fs_base = gdb's tcache per thread" \
			"$ours" "$theirs"
		check_match "arena_explosion kernel core: says how" "$(A .tcache_attribution)" "^fs_base - 0x[0-9a-f]+ .*from debug info\): 4 of 4 tcaches"
		MEMSLEUTH_NO_DEBUGINFO=1 "$MS" arenas --core "$AECORE" --json > "$TMP/core.json"
		check_eq "arena_explosion kernel core without debug info: found, not attributed" \
			"$(A '[.tcaches_found, ([.tcaches[].tid] | unique)[0], .tcache_attribution] | map(tostring) | join("; ")')" \
			"4; null; not attributed: the TLS offset of tcache needs libc's debug info (libc6-dbg)"
	else
		skip "tcache attribution: no libc debug info (libc6-dbg)"
	fi
fi

if [ "$kernel_cores" = 1 ]; then
	# zlib_workers: arena heaps and an mmapped chunk, classes as live
	mkdir -p "$TMP/kc3"
	start_dumpable zlib_workers inflated "$TMP/kc3" --threads 3 || { fail "zlib_workers: did not start"; exit 1; }
	ZW=$EX_PID
	kill -STOP "$ZW"
	"$MS" overview --json "$ZW" > "$TMP/ovl.json"
	"$MS" arenas --json --bins "$ZW" > "$TMP/live.json"
	kernel_dump "$ZW"
	ZCORE=$(kcore_file "$TMP/kc3" "$ZW")
	"$MS" overview --core "$ZCORE" --json > "$TMP/ovc.json"
	anon_classes='[.classes[] | select(.class == "main_heap" or .class == "arena_heap" or .class == "malloc_mmap" or .class == "thread_stack") | [.class, .mappings, .size_bytes, (.in_core_bytes // .rss_bytes)]]'
	check_eq "overview --core zlib_workers: heap, arena heap, mmapped chunk, stack classes: maps, sizes, bytes in core = live RSS" \
		"$(jq -c "$anon_classes" "$TMP/ovc.json")" "$(jq -c "$anon_classes" "$TMP/ovl.json")"
	check_eq "overview --core zlib_workers: arenas and stacks matched = live" \
		"$(jq -c '[.arenas, .stacks_matched]' "$TMP/ovc.json")" "$(jq -c '[.arenas, .stacks_matched]' "$TMP/ovl.json")"
	"$MS" arenas --core "$ZCORE" --json --bins > "$TMP/core.json"
	check_eq "zlib_workers kernel core: every arena's figures, bins and tcaches = live" \
		"$(same "$TMP/core.json")" "$(same "$TMP/live.json")"
	check_eq "zlib_workers kernel core: trim prediction = live" "$(A .trim_prediction_bytes)" \
		"$(jq .trim_prediction_bytes "$TMP/live.json")"
fi

# --- 6. not a core; the wrong libc under --sysroot; options -------------
check_refused "arenas --core on a file that is not a core" "$MS" arenas --core /etc/passwd
check_refused "arenas --sysroot without --core" "$MS" arenas --sysroot / 1
start_example pin freed --count 1000 || exit 1
PIN=$EX_PID
libc=$(awk '$6 ~ /\/libc[-.][^\/]*so/ {print $6; exit}' "/proc/$PIN/maps")
gcore -o "$TMP/pin" "$PIN" >/dev/null 2>&1
kill "$PIN"
# another ELF file where the core's libc should be: a different build-id
mkdir -p "$TMP/fake$(dirname "$libc")"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libz.so.1)" "$TMP/fake$libc"
check_refused "arenas --core with another libc under --sysroot" "$MS" arenas --core "$TMP/pin.$PIN" --sysroot "$TMP/fake"
check_match "build-id mismatch: one line naming both build-ids and --sysroot" "$(cat "$TMP/err")" \
	"libc $libc: build-id [0-9a-f]{40} in the core, [0-9a-f]{40} in $TMP/fake$libc: not the libc the process ran \(pass --sysroot DIR"
check_refused "arenas --core with a missing --sysroot" "$MS" arenas --core "$TMP/pin.$PIN" --sysroot "$TMP/nowhere"
mkdir "$TMP/empty"
check_refused "arenas --core, libc not under --sysroot" "$MS" arenas --core "$TMP/pin.$PIN" --sysroot "$TMP/empty"
check_match "libc missing under --sysroot: names the core's build-id and the way out" "$(cat "$TMP/err")" \
	"\(build-id [0-9a-f]{40} in the core\) looked for as .*--sysroot DIR"
rm -f "$TMP/pin.$PIN"

# --- 7. jemalloc preloaded and a static binary: the live refusals --------
jem=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$jem" ]; then
	LD_PRELOAD=$jem "$EX/pin" --count 1000 --hold > "$TMP/jem.out" 2>&1 & JP=$!; _pids+=("$JP")
	for _ in $(seq 1 100); do grep -q phase=freed "$TMP/jem.out" && break; sleep 0.05; done
	gcore -o "$TMP/jem" "$JP" >/dev/null 2>&1
	check_eq "arenas --core jemalloc preloaded: glibc not in charge, as live" \
		"$("$MS" arenas --core "$TMP/jem.$JP" --json | jq -r '.allocator + " " + (.glibc_in_charge | tostring)')" \
		"$("$MS" arenas --json "$JP" | jq -r '.allocator + " " + (.glibc_in_charge | tostring)')"
	kill "$JP"
	rm -f "$TMP/jem.$JP"
else
	skip "arenas --core jemalloc: libjemalloc.so.2 not installed (scripts/install-deps installs it)"
fi
printf '#include <unistd.h>\nint main(void) { write(1, "ready\\n", 6); pause(); return 0; }\n' > "$TMP/hold.c"
if gcc -static -O1 -o "$TMP/hold-static" "$TMP/hold.c" 2>/dev/null; then
	"$TMP/hold-static" > "$TMP/st.out" & SP=$!; _pids+=("$SP")
	for _ in $(seq 1 100); do grep -q ready "$TMP/st.out" && break; sleep 0.05; done
	gcore -o "$TMP/st" "$SP" >/dev/null 2>&1
	check_refused "arenas --core static glibc" "$MS" arenas --core "$TMP/st.$SP"
	check_match "arenas --core static glibc: the live refusal's reason" "$(cat "$TMP/err")" "glibc is linked statically"
	kill "$SP"
else
	skip "arenas --core static glibc: gcc -static failed (libc6-dev's libc.a missing?)"
fi

# --- 8. a core of a process in the bullseye root (glibc 2.31) ------------
CACHE=${MEMSLEUTH_ROOTFS_CACHE:-/var/cache/memsleuth/rootfs}
if [ ! -f "$CACHE/bullseye/.memsleuth-rootfs" ]; then
	skip "arenas --core bullseye: no root filesystem in $CACHE (scripts/rootfs bullseye builds it)"
	exit 0
fi
if [ "$kernel_cores" = 0 ]; then
	skip "arenas --core bullseye: core_pattern is '$pattern'; the core is written by the kernel inside the root"
	exit 0
fi
root=$("$REPO/scripts/rootfs" bullseye) || { skip "arenas --core bullseye: root not ready"; exit 0; }
dir=$(mktemp -d "$root/tmp/memsleuth-pm.XXXXXX")
_dirs+=("$dir")
in=${dir#"$root"}
cp "$REPO/examples/pin.c" "$REPO/examples/example_common.h" "$dir/"
if ! "$REPO/scripts/rootfs" --exec bullseye sh -c "cd $in && gcc -std=c11 -D_GNU_SOURCE -O2 -g -o pin pin.c -lz -lpthread" \
	>"$TMP/cc.out" 2>&1; then
	fail "arenas --core bullseye: pin does not build there: $(head -c 300 "$TMP/cc.out")"
	exit 0
fi
EX_OUT=$TMP/bl.out
"$REPO/scripts/rootfs" --exec bullseye sh -c "ulimit -c unlimited; cd $in && exec ./pin --count 20000 --hold" >"$EX_OUT" 2>&1 &
BP=$!
_pids+=("$BP")
for _ in $(seq 1 300); do grep -q phase=freed "$EX_OUT" && break; sleep 0.1; done
kill -STOP "$BP"
"$MS" arenas --json --bins "$BP" > "$TMP/live.json"
kernel_dump "$BP"
BCORE=$(kcore_file "$dir" "$BP")
"$MS" arenas --core "$BCORE" --sysroot "$root" --json --bins > "$TMP/core.json"
check_eq "arenas --core bullseye --sysroot: exit status" $? 0
check_eq "arenas --core bullseye --sysroot: glibc 2.31, read with that root's debug info" \
	"$(A '.glibc_version + " " + (.debuginfo_used | tostring)')" "2.31 true"
check_eq "arenas --core bullseye --sysroot: arenas, in-use, free per kind, bins, tcaches = live" \
	"$(same "$TMP/core.json")" "$(same "$TMP/live.json")"
check_refused "arenas --core bullseye without --sysroot" "$MS" arenas --core "$BCORE"
check_match "arenas --core bullseye without --sysroot: names the core's libc, its build-id and --sysroot" \
	"$(cat "$TMP/err")" "libc /.*libc-2\.31\.so.*build-id [0-9a-f]{40}.*--sysroot DIR"
