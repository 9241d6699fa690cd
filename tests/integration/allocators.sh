# Which allocator is in charge: overview and doctor must say so, from the
# target's own mappings and files, for glibc, jemalloc/tcmalloc/mimalloc
# preloaded, a static glibc binary and a musl binary.
source "$(dirname "$0")/lib.sh"
cat > "$TMP/hold.c" <<'C'
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) { char *p = malloc(1 << 20); memset(p, 1, 1 << 20); write(1, "ready\n", 6); pause(); return 0; }
C

run_held() {   # run_held NAME CMD... -> HELD_PID once it printed ready
	local out="$TMP/$1.out"; shift
	"$@" > "$out" 2>&1 & HELD_PID=$!; _pids+=("$HELD_PID")
	for _ in $(seq 1 100); do grep -q ready "$out" && return 0; sleep 0.05; done
	echo "did not start: $(cat "$out")"; return 1
}

gcc -O1 -o "$TMP/hold" "$TMP/hold.c" || exit 1
for lib in libjemalloc.so.2:jemalloc libtcmalloc_minimal.so.4:tcmalloc libmimalloc.so.2:mimalloc; do
	so=${lib%%:*} name=${lib##*:}
	path=$(ls /usr/lib/x86_64-linux-gnu/$so 2>/dev/null | head -1)
	if [ -z "$path" ]; then skip "$name: $so not installed (scripts/install-deps installs it)"; continue; fi
	run_held "$name" env LD_PRELOAD="$path" "$TMP/hold" || { fail "$name: start"; continue; }
	"$MS" overview --json "$HELD_PID" > "$TMP/ov.json"
	check_eq "$name preloaded: overview names the allocator" "$(jq -r .allocator "$TMP/ov.json")" "$name"
	check_match "$name preloaded: verdict says arena analysis does not apply" "$(jq -r '.verdicts[].text' "$TMP/ov.json")" "allocator is $name, not glibc"
	"$MS" doctor --json "$HELD_PID" > "$TMP/dr.json"
	check_match "$name preloaded: doctor says preloaded" "$(jq -r '.checks[] | select(.name=="allocator") | .status + " " + .detail' "$TMP/dr.json")" "^no $name .*via LD_PRELOAD"
	kill "$HELD_PID"
done

if gcc -static -O1 -o "$TMP/hold-static" "$TMP/hold.c" 2>/dev/null; then
	run_held static "$TMP/hold-static" || fail "static: start"
	"$MS" overview --json "$HELD_PID" > "$TMP/ov.json"
	check_eq "static glibc: allocator" "$(jq -r .allocator "$TMP/ov.json")" glibc-static
	check_eq "static glibc: version unknown (a static binary does not record it)" "$(jq -r .glibc_version "$TMP/ov.json")" null
	check_eq "static glibc: arenas not claimed" "$(jq -r .arenas "$TMP/ov.json")" null
	"$MS" doctor --json "$HELD_PID" > "$TMP/dr.json"
	check_eq "static glibc: doctor says the hook cannot be used" "$(jq -r '.checks[] | select(.name=="ld_preload_hook") | .status' "$TMP/dr.json")" no
	kill "$HELD_PID"
else
	skip "static glibc: gcc -static failed (libc6-dev's libc.a missing?)"
fi

if command -v musl-gcc >/dev/null; then
	musl-gcc -O1 -o "$TMP/hold-musl" "$TMP/hold.c"
	run_held musl "$TMP/hold-musl" || fail "musl: start"
	"$MS" overview --json "$HELD_PID" > "$TMP/ov.json"
	check_eq "musl: allocator" "$(jq -r .allocator "$TMP/ov.json")" musl
	check_eq "musl: no glibc version" "$(jq -r .glibc_version "$TMP/ov.json")" null
	check_eq "musl: no arenas reported" "$(jq -r .arenas "$TMP/ov.json")" null
	kill "$HELD_PID"
else
	skip "musl: musl-gcc not installed (apt-get install musl-tools)"
fi
