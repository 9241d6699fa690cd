# memsleuth arenas on other glibc releases: heap_kinds built against and run
# on each debootstrapped Debian root file system found (read-only) under
# MEMSLEUTH_ROOTFS (default /var/cache/memsleuth/rootfs, made by the
# portability set-up), its own ld.so and libc; the walk must agree with
# that glibc's malloc_info XML arena by arena.  No debug info there: this
# checks the layout table and the symbol-free path for that version.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RFS=${MEMSLEUTH_ROOTFS:-${MEMSLEUTH_ROOTFS_CACHE:-/var/cache/memsleuth/rootfs}}
# build the roots when missing (cached; a fresh CI machine runs this test
# before portability.sh): scripts/rootfs is the portability set-up
[ "$(id -u)" = 0 ] && [ -z "${MEMSLEUTH_ROOTFS:-}" ] && "$ROOT/scripts/rootfs" bullseye trixie >/dev/null 2>&1
MATRIX_STEP=arenas

# resolve a path inside root R, following symlinks the way the target would
in_root() {
	local r=$1 p=$2 i
	for i in 1 2 3 4 5 6 7 8; do
		[ -L "$r$p" ] || break
		local t
		t=$(readlink "$r$p")
		case $t in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
	done
	[ -e "$r$p" ] && echo "$r$p"
}

found=0
for R in "$RFS"/*/; do
	R=${R%/}
	[ -d "$R" ] || continue
	case $R in *.build) continue ;; esac   # being built by scripts/rootfs
	name=$(basename "$R")
	libc=$(in_root "$R" /lib/x86_64-linux-gnu/libc.so.6)
	ld=$(in_root "$R" /lib64/ld-linux-x86-64.so.2)
	crt=$R/usr/lib/x86_64-linux-gnu
	if [ -z "$libc" ] || [ -z "$ld" ] || [ ! -e "$crt/Scrt1.o" ] || [ ! -e "$crt/libc_nonshared.a" ]; then
		skip "$name: root file system incomplete (libc, ld.so or libc6-dev missing)"
		continue
	fi
	found=1
	libdir=$(dirname "$libc")
	ver=$(strings "$libc" | sed -n 's/.*release version \([0-9.]*[0-9]\).*/\1/p' | head -1)
	matrix_row "glibc $ver" "$name libc run by its ld.so on the host" no-debuginfo glibc
	pthread=$(in_root "$R" /lib/x86_64-linux-gnu/libpthread.so.0)
	if ! gcc --sysroot="$R" -std=c11 -D_GNU_SOURCE -O2 -nostdlib -o "$TMP/hk-$name" \
		"$crt/Scrt1.o" "$crt/crti.o" "$ROOT/examples/heap_kinds.c" "$crt/libc_nonshared.a" \
		${pthread:+"$pthread"} "$libc" "$ld" "$crt/crtn.o" -lgcc 2>"$TMP/cc.err"; then
		skip "$name: cannot build against its glibc: $(head -c 200 "$TMP/cc.err")"
		continue
	fi
	"$ld" --library-path "$libdir" "$TMP/hk-$name" --threads 2 --hold --malloc-info "$TMP/$name.xml" >"$TMP/$name.out" 2>&1 &
	P=$!
	_pids+=("$P")
	for i in $(seq 1 50); do grep -q holding "$TMP/$name.out" && break; sleep 0.1; done
	"$MS" arenas "$P" --json >"$TMP/$name.json"
	check_eq "$name: glibc version read from its libc" "$(jq -r .glibc_version "$TMP/$name.json")" "$ver"
	check_eq "$name (glibc $ver): consistent walk" "$(jq .snapshot_consistent "$TMP/$name.json")" true
	check_eq "$name (glibc $ver): 3 arenas" "$(jq '.arenas | length' "$TMP/$name.json")" 3
	check_eq "$name (glibc $ver): fastbin bytes per arena = malloc_info" \
		"$(grep 'total type="fast"' "$TMP/$name.xml" | head -3 | sed 's/.*size="\([0-9]*\)".*/\1/' | tr '\n' ' ')" \
		"$(jq -r '[.arenas[] | .free_by_kind.fast.free_bytes] | map(tostring) | join(" ")' "$TMP/$name.json") "
	check_eq "$name (glibc $ver): bins+top per arena = malloc_info rest" \
		"$(grep 'total type="rest"' "$TMP/$name.xml" | head -3 | sed 's/.*count="\([0-9]*\)" size="\([0-9]*\)".*/\2 \1/' | awk '{printf "%d ", $1 - $2 + 1}')" \
		"$(jq -r '[.arenas[] | .free_by_kind | .unsorted.free_bytes + .small.free_bytes + .large.free_bytes + .top.free_bytes] | map(tostring) | join(" ")' "$TMP/$name.json") "
	check_eq "$name (glibc $ver): system_mem per arena = malloc_info" \
		"$(grep 'system type="current"' "$TMP/$name.xml" | head -3 | sed 's/.*size="\([0-9]*\)".*/\1/' | tr '\n' ' ')" \
		"$(jq -r '[.arenas[].system_mem_bytes] | map(tostring) | join(" ")' "$TMP/$name.json") "
	check_eq "$name (glibc $ver): 3 tcaches of 21 chunks" "$(jq -c '[.arenas[].free_by_kind.tcache.chunks]' "$TMP/$name.json")" "[21,21,21]"
	stop_example "$P"
done
[ $found = 1 ] || skip "other glibc releases: no root file system under $RFS (the portability set-up debootstraps them)"
