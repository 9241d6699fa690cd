# Portability, proven on real libcs: the examples compiled and run inside
# Debian bullseye (glibc 2.31, the 32-byte heap_info) and trixie (2.41)
# chroots, inspected from the host against the same oracles as on the host
# (smaps_rollup, the example's own malloc_info, a count from maps, and gdb
# run inside the chroot with that release's libc6-dbg); the same release as
# a container (own PID and mount namespace and root); a target in its own
# PID namespace; as a user without map_files; the same numbers with and
# without debug info.
#
# The roots are built once by scripts/rootfs into its cache (~100 s cold,
# needs root and the Debian archive; otherwise SKIP with the reason).  Every
# assertion lands in the portability matrix under the row set by matrix_row
# and the step its name starts with: a new check for a release is one line
# in pin_checks, explosion_checks or on_release, named "STEP $rel ...:".
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
J() { jq -r "$1" "$TMP/ov.json"; }
D() { jq -r "$1" "$TMP/dr.json"; }
class() { jq -r ".classes[] | select(.class==\"$1\") | .$2" "$TMP/ov.json"; }
check() { jq -r ".checks[] | select(.name==\"$1\") | .$2" "$TMP/dr.json"; }
sysmem_at() {   # sysmem_at XML PHASE: main arena's system current from malloc_info
	sed -n "/phase=$2/,\$p" "$1" | grep -m1 '<system type="current"' | sed 's/.*size="\([0-9]*\)".*/\1/'
}
# what stays the same whether or not debug info is read: everything but the
# debug-info fields themselves, the cgroup's usage and Pss (other processes
# move both: Pss divides shared pages among everyone mapping them)
# (PSS and private-dirty bytes are the kernel's and move between two
# readings of a live process: a page shared or collapsed meanwhile)
numbers() { jq -S 'del(.libc_debuginfo, .debuginfo_ignored, .cgroup) | del(.. | .private_dirty_bytes?, .pss_bytes?)' "$1"; }   # PSS moves with who else maps a page
arenas_numbers() { jq -S 'del(.debuginfo_used, .symbols_agree, .walk_ms, .attempts)' "$1"; }
A() { jq -r "$1" "$TMP/ar.json"; }
doctor_numbers() { jq -S '.checks |= map(select(.name != "libc_debuginfo" and .name != "cgroup_memory"))' "$1"; }
# check_same NAME A B: the two texts are identical (a diff on failure)
check_same() {
	if [ "$2" = "$3" ]; then pass "$1 (identical, $(printf '%s\n' "$2" | wc -l) lines of JSON)"
	else fail "$1: $(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -6 | tr '\n' ' ')"; fi
}
online=$(awk -F, '{n=0; for (i=1;i<=NF;i++) { split($i,a,"-"); n += (a[2]=="" ? 1 : a[2]-a[1]+1) } print n}' /sys/devices/system/cpu/online)

# in_target_root PID CMD...: CMD in the target's own mount namespace and
# root: gdb there finds the chroot's libc and libc6-dbg, not ours (gdb from
# outside would read the host's libc through "target:" paths).
in_target_root() {
	local pid=$1; shift
	nsenter --target "$pid" --mount --root -- sh -c 'cd / && exec "$@"' sh "$@"
}

# start_in_root REL DIR NAME PHASE ARGS...: build/examples' twin, run inside
# the chroot; sets EX_PID (the chain rootfs -> unshare -> chroot execs in
# place, so $! is the example's PID) and EX_OUT.
start_in_root() {
	local rel=$1 dir=$2 name=$3 phase=$4; shift 4
	EX_OUT="$TMP/$rel.$name.$RANDOM.out"
	"$REPO/scripts/rootfs" --exec "$rel" "$dir/$name" "$@" --hold >"$EX_OUT" 2>&1 &
	EX_PID=$!
	_pids+=("$EX_PID")
	for _ in $(seq 1 300); do
		grep -q "phase=$phase" "$EX_OUT" 2>/dev/null && return 0
		kill -0 "$EX_PID" 2>/dev/null || { echo "example $name in $rel died: $(cat "$EX_OUT")"; return 1; }
		sleep 0.1
	done
	echo "example $name in $rel did not reach phase $phase in 30 s"; return 1
}

# settle PID: wait until every thread is blocked in a system call and its
# memory stays put for 0.2 s.  A workload that has just printed its phase
# is still on its way into sigwait, faulting in and dirtying a few more
# pages of code and stack: numbers taken then differ by those pages.
settle() {
	local before now=""
	for _ in $(seq 1 25); do
		before=$now
		now=$(grep -E '^(Rss|Private_Dirty):' "/proc/$1/smaps_rollup" 2>/dev/null)
		if [ "$now" = "$before" ] && ! grep -qs '^running' /proc/"$1"/task/*/syscall; then return 0; fi
		sleep 0.2
	done
}

# overview and doctor on a glibc target, in both debug-info modes, against
# the oracles.  pin_checks PID XML ROOTPATH VERSION REL CONTAINER
pin_checks() {
	local pid=$1 xml=$2 root=$3 ver=$4 rel=$5 container=$6 mode flag
	local libc bid
	settle "$pid"
	libc=$(awk '$6 ~ /\/libc[-.][^\/]*so/ {print $6; exit}' "/proc/$pid/maps")
	bid=$(readelf -n "/proc/$pid/map_files/$(awk -v l="$libc" '$6 == l {print $1; exit}' "/proc/$pid/maps")" | awk '/Build ID/ {print $3}')
	for mode in debuginfo no-debuginfo; do
		flag=; [ "$mode" = no-debuginfo ] && flag=--no-debuginfo
		matrix_row "glibc $ver" "$container" "$mode" glibc
		"$MS" overview --json $flag "$pid" > "$TMP/ov.json"
		check_eq "overview $rel $mode: exit status" $? 0
		check_eq "overview $rel $mode: glibc version read from the target's libc" "$(J .glibc_version)" "$ver"
		check_eq "overview $rel $mode: main heap = the example's malloc_info system current" \
			"$(class main_heap size_bytes)" "$(sysmem_at "$xml" freed)"
		check_within "overview $rel $mode: class RSS sums to smaps_rollup Rss" "$(J .class_rss_sum_bytes)" "$(rollup_rss "$pid")" 1
		check_eq "overview $rel $mode: no arena heaps in a single-threaded pin" "$(J .arena_heaps)" 0
		check_match "overview $rel $mode: libc read through map_files, not a host path" "$(J .libc_read_as)" "^/proc/$pid/map_files/"
		"$MS" arenas --json $flag "$pid" > "$TMP/ar.json"
		check_eq "arenas $rel $mode: consistent walk" "$(A .snapshot_consistent)" true
		check_eq "arenas $rel $mode: main arena system_mem = the example's malloc_info" \
			"$(A '.arenas[0].system_mem_bytes')" "$(sysmem_at "$xml" freed)"
		check_eq "arenas $rel $mode: debug info used exactly when allowed" "$(A .debuginfo_used)" \
			"$([ "$mode" = debuginfo ] && echo true || echo false)"
		cp "$TMP/ar.json" "$TMP/ar.$mode.json"
		"$MS" doctor --json $flag "$pid" > "$TMP/dr.json"
		check_match "doctor $rel $mode: that release's glibc" "$(check glibc_version detail)" "^$ver \(GNU C Library"
		check_eq "doctor $rel $mode: layout verified for $ver" "$(check glibc_layout status)" yes
		if [ "$mode" = debuginfo ]; then
			check_eq "overview $rel: debug info found through /proc/PID/root by build-id" "$(J .libc_debuginfo)" \
				"/proc/$pid/root/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug"
			check_match "doctor $rel: debug info through /proc/PID/root" "$(check libc_debuginfo status) $(check libc_debuginfo detail)" \
				"^yes /proc/$pid/root/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug"
			cp "$TMP/ov.json" "$TMP/ov.with.json"; cp "$TMP/dr.json" "$TMP/dr.with.json"
		else
			check_eq "overview $rel: --no-debuginfo reads none" "$(J .libc_debuginfo)/$(J .debuginfo_ignored)" null/true
			check_eq "doctor $rel: --no-debuginfo says ignored" "$(check libc_debuginfo status)" no
			check_same "overview $rel: --no-debuginfo gives identical numbers" "$(numbers "$TMP/ov.json")" "$(numbers "$TMP/ov.with.json")"
			check_same "doctor $rel: --no-debuginfo gives identical checks" "$(doctor_numbers "$TMP/dr.json")" "$(doctor_numbers "$TMP/dr.with.json")"
			check_same "arenas $rel: --no-debuginfo gives identical numbers" "$(arenas_numbers "$TMP/ar.no-debuginfo.json")" "$(arenas_numbers "$TMP/ar.debuginfo.json")"
		fi
	done
	# the trim prediction against a real malloc_trim(0), run by that
	# release's gdb inside the target's root
	local before after predicted
	predicted=$(jq -r .trim_prediction_bytes "$TMP/ar.debuginfo.json")
	before=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")
	in_target_root "$pid" gdb -batch -p "$pid" -ex 'call (int) malloc_trim(0)' >/dev/null 2>&1
	after=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")
	check_within "arenas $rel: trim prediction within 5% of a real malloc_trim(0)" "$predicted" "$((before - after))" 5
}

# explosion_checks PID VERSION REL CONTAINER GDB_N
explosion_checks() {
	local pid=$1 ver=$2 rel=$3 container=$4 gdb_n=$5 mode flag
	local cap=$((8 * online)); local want=$(( 41 < cap ? 41 : cap ))
	for mode in debuginfo no-debuginfo; do
		flag=; [ "$mode" = no-debuginfo ] && flag=--no-debuginfo
		matrix_row "glibc $ver" "$container" "$mode" glibc
		"$MS" overview --json $flag "$pid" > "$TMP/ov.json"
		check_eq "overview $rel $mode: arena cap = 8 x online CPUs" "$(J .arena_cap)" "$cap"
		check_eq "overview $rel $mode: arenas = min(threads + 1, cap)" "$(J .arenas)" "$want"
		if [ -n "$gdb_n" ]; then
			check_eq "overview $rel $mode: arenas = narenas from gdb inside the root" "$(J .arenas)" "$gdb_n"
		else
			skip "overview $rel $mode: gdb inside the root could not read narenas"
		fi
		check_eq "overview $rel $mode: arena heaps = independent count from maps" "$(J .arena_heaps)" "$(maps_heap_count "$pid")"
		check_eq "overview $rel $mode: every heap confirmed by its heap_info" "$(J .arena_heaps_verified)" true
		check_within "overview $rel $mode: class RSS sums to smaps_rollup Rss" "$(J .class_rss_sum_bytes)" "$(rollup_rss "$pid")" 1
		check_eq "overview $rel $mode: every thread's stack found" "$(J .stacks_matched)" 41
		"$MS" arenas --json $flag "$pid" > "$TMP/ar.json"
		check_eq "arenas $rel $mode: consistent walk" "$(A .snapshot_consistent)" true
		if [ -n "$gdb_n" ]; then
			check_eq "arenas $rel $mode: arenas = narenas from gdb inside the root" "$(A '.arenas | length')" "$gdb_n"
		fi
		check_eq "arenas $rel $mode: non-main arena heaps = overview's" "$(A '[.arenas[] | select(.is_main | not) | .heaps] | add')" "$(J .arena_heaps)"
		# more arenas checks for this release and mode: one line each,
		# named "arenas $rel $mode: ..." (they land in the arenas column)
	done
}

on_release() {   # on_release REL ROOT
	local rel=$1 root=$2 ver dir container="chroot $1"
	ver=$("$REPO/scripts/rootfs" --exec "$rel" ldd --version | head -1 | awk '{print $NF}')
	dir=$(mktemp -d "$root/tmp/memsleuth-it.XXXXXX")
	_dirs+=("$dir")
	local in=${dir#"$root"}
	cp "$REPO"/examples/*.c "$REPO"/examples/*.h "$dir/"
	if ! "$REPO/scripts/rootfs" --exec "$rel" sh -c "cd $in && for e in pin zlib_workers arena_explosion; do
		gcc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o \$e \$e.c -lz -lpthread || exit 1; done" >"$TMP/cc.$rel" 2>&1; then
		fail "$rel: examples do not build with its gcc: $(head -c 300 "$TMP/cc.$rel")"; return
	fi
	start_in_root "$rel" "$in" pin freed --count 100000 --malloc-info "$in/pin.xml" || { fail "$rel: pin did not start"; return; }
	check_eq "$rel: the example's PID is the job's (no PID namespace)" "$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$EX_OUT" | head -1)" "$EX_PID"
	pin_checks "$EX_PID" "$dir/pin.xml" "$root" "$ver" "$rel" "$container"
	matrix_row "glibc $ver" "$container" debuginfo glibc
	"$MS" doctor --json "$EX_PID" > "$TMP/dr.json"
	check_match "doctor $rel: the chroot is seen and read through /proc/PID/root" "$(check filesystem_view detail)" \
		"root at $root: .* read through /proc/$EX_PID/root and /proc/$EX_PID/map_files"
	stop_example "$EX_PID"

	start_in_root "$rel" "$in" arena_explosion spread --threads 40 || { fail "$rel: arena_explosion did not start"; return; }
	local gdb_n
	gdb_n=$(in_target_root "$EX_PID" gdb -batch -p "$EX_PID" -ex 'p narenas' 2>/dev/null | awk '/^\$1 =/ {print $3}')
	# after gdb detaches, threads restart their syscalls: wait until every
	# one is blocked again, so its stack pointer can be read
	settle "$EX_PID"
	explosion_checks "$EX_PID" "$ver" "$rel" "$container" "$gdb_n"
	stop_example "$EX_PID"

	# trim from the host: gdb pointed at the target's own files
	for mode in debuginfo no-debuginfo; do
		local flag=; [ "$mode" = no-debuginfo ] && flag=--no-debuginfo
		start_in_root "$rel" "$in" pin freed --count 100000 || { fail "trim $rel: pin did not start"; continue; }
		matrix_row "glibc $ver" "$container" "$mode" glibc
		timeout 120 "$MS" trim --yes --json $flag "$EX_PID" > "$TMP/tr.json" 2>"$TMP/err"
		check_eq "trim $rel $mode: malloc_trim(0) called and returned 1" \
			"$(jq -r '(.trimmed | tostring) + " " + (.malloc_trim_result | tostring)' "$TMP/tr.json")" "true 1"
		check_within "trim $rel $mode: released within 5% of the prediction" \
			"$(jq -r .returned_bytes "$TMP/tr.json")" "$(jq -r .predicted_bytes "$TMP/tr.json")" 5
		check_match "trim $rel $mode: the target runs on, untraced" "$(grep -E '^(State|TracerPid)' "/proc/$EX_PID/status" | tr -s '\t\n' '  ')" \
			"State: S .*TracerPid: 0"
		stop_example "$EX_PID"
	done

	# A container in all but name: its own PID and mount namespace, root
	# the release's tree (unshare --root), /proc of its own
	unshare --mount --pid --fork --root="$root" --mount-proc "$in/arena_explosion" --threads 8 --hold \
		>"$TMP/ct.out" 2>&1 &
	local cu=$! cp=
	_pids+=("$cu")
	for _ in $(seq 1 100); do grep -q phase=spread "$TMP/ct.out" && break; sleep 0.1; done
	cp=$(pgrep -P "$cu" | head -1)
	if [ -z "$cp" ]; then
		fail "overview $rel container: did not start: $(head -c 200 "$TMP/ct.out")"
	else
		_pids+=("$cp")
		matrix_row "glibc $ver" "container $rel (PID+mount namespace, own root)" debuginfo glibc
		# gdb in the container: its mount and PID namespace, where the target is PID 1
		gdb_n=$(nsenter --target "$cp" --mount --pid --root -- sh -c 'cd / && exec gdb -batch -p 1 -ex "p narenas"' 2>/dev/null |
			awk '/^\$1 =/ {print $3}')
		"$MS" overview --json "$cp" > "$TMP/ov.json"
		check_eq "overview $rel container: both PIDs" "$(J .pid) $(J .ns_pid)" "$cp 1"
		check_eq "overview $rel container: glibc version" "$(J .glibc_version)" "$ver"
		check_eq "overview $rel container: arenas = narenas from gdb in the container" "$(J .arenas)" "${gdb_n:-gdb failed}"
		check_eq "overview $rel container: arena heaps = independent count from maps" "$(J .arena_heaps)" "$(maps_heap_count "$cp")"
		check_within "overview $rel container: class RSS sums to smaps_rollup Rss" "$(J .class_rss_sum_bytes)" "$(rollup_rss "$cp")" 1
		"$MS" arenas --json "$cp" > "$TMP/ar.json"
		check_eq "arenas $rel container: arenas = narenas from gdb in the container" "$(A '.arenas | length')" "${gdb_n:-gdb failed}"
		check_eq "arenas $rel container: debug info read from the container" "$(A .debuginfo_used)" true
		"$MS" doctor --json "$cp" > "$TMP/dr.json"
		check_eq "doctor $rel container: ns_pid" "$(D .ns_pid)" 1
		check_match "doctor $rel container: its root and debug info" "$(check filesystem_view detail) $(check libc_debuginfo detail)" \
			"root at $root: .* /proc/$cp/root/usr/lib/debug/.build-id/"
		kill -9 "$cp" 2>/dev/null; wait "$cu" 2>/dev/null
	fi

	# Without root, map_files is closed: the path from maps carries the
	# chroot's prefix, which must be stripped before /proc/PID/root.
	"$REPO/scripts/rootfs" --exec "$rel" setpriv --reuid=65534 --regid=65534 --clear-groups "$in/pin" --count 1000 --hold \
		>"$TMP/nobody.out" 2>&1 &
	local np=$!; _pids+=("$np")
	for _ in $(seq 1 100); do grep -q phase=freed "$TMP/nobody.out" && break; sleep 0.1; done
	matrix_row "glibc $ver" "$container, not root" debuginfo glibc
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MS" overview --json "$np" > "$TMP/ov.json" 2>"$TMP/err"
	check_eq "overview $rel as a user: libc through /proc/PID/root, chroot prefix stripped" "$(J .libc_read_as)" \
		"/proc/$np/root$(awk '$6 ~ /\/libc[-.][^\/]*so/ {print $6; exit}' "/proc/$np/maps" | sed "s|^$root||")"
	check_eq "overview $rel as a user: glibc version" "$(J .glibc_version)" "$ver"
	check_within "overview $rel as a user: class RSS sums to smaps_rollup Rss" "$(J .class_rss_sum_bytes)" "$(rollup_rss "$np")" 1
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MS" doctor --json "$np" > "$TMP/dr.json" 2>"$TMP/err"
	check_match "doctor $rel as a user: that release's glibc, read through /proc/PID/root" \
		"$(check glibc_version detail) $(check target_libc detail)" "^$ver .* read as /proc/$np/root/"
	stop_example "$np"
}

need_root "portability: chroots and namespaces" || exit 0
_dirs=()
trap '_cleanup; rm -rf "${_dirs[@]}"' EXIT

# --- another PID namespace (and mount namespace): unshare ---
hostver=$(ldd --version | head -1 | awk '{print $NF}')
unshare --mount --pid --fork --mount-proc "$EX/pin" --count 1000 --hold > "$TMP/ns.out" 2>&1 &
up=$!; _pids+=("$up")
for _ in $(seq 1 100); do grep -q phase=freed "$TMP/ns.out" && break; sleep 0.1; done
np=$(pgrep -P "$up" | head -1)
if [ -z "$np" ]; then
	fail "unshare --pid: the example did not start: $(cat "$TMP/ns.out")"
else
	_pids+=("$np")
	matrix_row "glibc $hostver" "PID+mount namespace (unshare)" debuginfo glibc
	check_eq "unshare: the example sees itself as PID 1" "$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$TMP/ns.out" | head -1)" 1
	"$MS" overview --json "$np" > "$TMP/ov.json"
	check_eq "overview unshare: pid is the host's" "$(J .pid)" "$np"
	check_eq "overview unshare: ns_pid is the namespace's" "$(J .ns_pid)" 1
	check_within "overview unshare: class RSS sums to smaps_rollup Rss" "$(J .class_rss_sum_bytes)" "$(rollup_rss "$np")" 1
	check_eq "overview unshare: glibc version" "$(J .glibc_version)" "$hostver"
	"$MS" overview "$np" > "$TMP/ov.txt"
	check_match "overview unshare: text names both PIDs" "$(head -1 "$TMP/ov.txt")" "^process $np \(pin\), PID 1 in its own namespace"
	"$MS" doctor --json "$np" > "$TMP/dr.json"
	check_eq "doctor unshare: ns_pid" "$(D .ns_pid)" 1
	check_match "doctor unshare: pid_namespace names both" "$(check pid_namespace detail)" "^process $np is PID 1 in its own PID namespace \(NSpid: $np 1\)"
	check_match "doctor unshare: own mount namespace seen" "$(check filesystem_view detail)" "^own mount namespace mnt:"
fi
# a namespace's init drops signals it has no handler for (the example
# sigwaits), and unshare ignores SIGTERM: SIGKILL the init, unshare follows
[ -n "$np" ] && kill -9 "$np" 2>/dev/null; wait "$up" 2>/dev/null

# --- the host's glibc without debug info: identical numbers ---
start_example pin freed --count 100000 --malloc-info "$TMP/pin.xml" || exit 1
pin_checks "$EX_PID" "$TMP/pin.xml" / "$hostver" host host
stop_example "$EX_PID"

# --- other glibc releases ---
# the archive out of reach: a clear reason and exit 3, so that tests can skip
MEMSLEUTH_ROOTFS_CACHE=$TMP/no-cache MEMSLEUTH_DEBIAN_MIRROR=http://127.0.0.1:9/debian \
	"$REPO/scripts/rootfs" bullseye >/dev/null 2>"$TMP/unreach.err"
check_eq "rootfs: unreachable archive gives exit 3" $? 3
check_match "rootfs: and says so" "$(cat "$TMP/unreach.err")" "^rootfs: bullseye: Debian archive unreachable \(http://127.0.0.1:9/debian/dists/bullseye/Release"
if ! roots=$("$REPO/scripts/rootfs" bullseye trixie 2>"$TMP/rootfs.err"); then
	skip "bullseye, trixie: no root filesystems: $(tail -1 "$TMP/rootfs.err")"
	exit 0
fi
for root in $roots; do
	on_release "$(basename "$root")" "$root"
done
