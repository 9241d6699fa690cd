#!/usr/bin/env bash
# Trust rules (docs/security.md): nothing is run or loaded from a place
# another user controls.  The field case: MEMSLEUTH_CACHE pointing at a
# directory owned by nobody, holding a memlock_shim.so that would be
# LD_PRELOADed into stap/stapbpf as root.  A marker file proves the
# planted shim never ran.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { skip "trust: needs root (the planted files belong to nobody)"; exit 0; }
command -v gcc >/dev/null || { skip "trust: no gcc to build the planted shim"; exit 0; }

chmod 0755 "$TMP"
C=$TMP/mscache
mkdir -p "$C/stap-bpf/dl" "$TMP/mark"
chmod 0777 "$TMP/mark"
cat > "$TMP/shim.c" <<EOC
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void) {
	FILE *f = fopen("$TMP/mark/SHIM-RAN", "a");
	if (f) { fprintf(f, "planted shim ran in pid %d uid %d\n", getpid(), getuid()); fclose(f); }
}
EOC
gcc -shared -fPIC -o "$C/stap-bpf/memlock_shim.so" "$TMP/shim.c"
uname -r > "$C/stap-bpf/stamp"
if [ -d /var/cache/memsleuth/stap-bpf/build ]; then
	ln -s "$(readlink -f /var/cache/memsleuth/stap-bpf/build)" "$C/stap-bpf/build"
fi
chown -R nobody:nogroup "$C"
chmod 0777 "$C"

sleep 60 & T=$!; _pids+=("$T")

# 1. the driver refuses the cache, with one line naming it, its owner and mode
if command -v stap >/dev/null; then
	MEMSLEUTH_CACHE=$C "$MS" syscalls --backend stap-bpf --duration 2 "$T" >"$TMP/out" 2>"$TMP/err"; rc=$?
	check_eq "trust: syscalls --backend stap-bpf with a cache owned by nobody exits 2" "$rc" 2
	check_match "trust: the refusal names the directory, its owner and mode, and the way out" \
		"$(grep -v '^memsleuth syscalls: backend' "$TMP/err")" "$C.*nobody.*0777.*MEMSLEUTH_CACHE"
	check_eq "trust: the refusal is one line" "$(grep -vc '^memsleuth syscalls: backend' "$TMP/err")" 1
else
	skip "trust: stap not installed (the driver path of the planted shim)"
fi
check_eq "trust: the planted shim never ran (no marker)" "$(cat "$TMP/mark/SHIM-RAN" 2>/dev/null | wc -l)" 0

# 2. the shell set-up applies the same rule
MEMSLEUTH_CACHE=$C "$BUILD/stap-bpf-setup" >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "trust: stap-bpf-setup refuses the cache owned by nobody (exit 2)" "$rc" 2
check_match "trust: stap-bpf-setup names the directory, owner and mode" "$(cat "$TMP/err")" "$C.*nobody.*0777"
check_eq "trust: stap-bpf-setup printed no tree" "$(grep -c STAP_BPF_TREE "$TMP/out")" 0

# 3. the rootfs cache (roots chrooted into as root)
ROOTFS=$(cd "$(dirname "$0")/../.." && pwd)/scripts/rootfs
MEMSLEUTH_ROOTFS_CACHE=$C "$ROOTFS" --exec bullseye true >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "trust: scripts/rootfs refuses MEMSLEUTH_ROOTFS_CACHE owned by nobody (exit 3)" "$rc" 3
check_match "trust: scripts/rootfs names it" "$(cat "$TMP/err")" "$C.*nobody"

# 4. a group-writable hook library is not preloaded
mkdir -p "$TMP/b" && cp "$MS" "$BUILD/libmemsleuth-hook.so" "$TMP/b/" 2>/dev/null
if [ -f "$TMP/b/libmemsleuth-hook.so" ]; then
	chmod g+w "$TMP/b/libmemsleuth-hook.so"
	"$TMP/b/memsleuth" hotspots -- "$EX/alloc_counts" >"$TMP/out" 2>"$TMP/err"; rc=$?
	check_eq "trust: hotspots refuses a group-writable hook library (exit 2)" "$rc" 2
	check_match "trust: the refusal names the hook, its mode" "$(cat "$TMP/err")" "libmemsleuth-hook.so.*mode 0775"
fi
