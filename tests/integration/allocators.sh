# Which allocator is in charge: overview and doctor must say so, from the
# target's own mappings and files, for jemalloc/tcmalloc/mimalloc preloaded
# and linked, a static glibc binary and musl (dynamic and static) -- and
# what still works there: overview's classes still add up to the kernel's
# RSS.  Each case is a row of the portability matrix.
source "$(dirname "$0")/lib.sh"
hostver=$(ldd --version | head -1 | awk '{print $NF}')
cat > "$TMP/hold.c" <<'C'
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
char *volatile keep;   /* else the compiler drops the malloc altogether */
int main(void) { char *p = malloc(1 << 20); memset(p, 1, 1 << 20); keep = p; write(1, "ready\n", 6); pause(); return 0; }
C

run_held() {   # run_held NAME CMD... -> HELD_PID once it printed ready
	local out="$TMP/$1.out"; shift
	"$@" > "$out" 2>&1 & HELD_PID=$!; _pids+=("$HELD_PID")
	for _ in $(seq 1 100); do grep -q ready "$out" 2>/dev/null && return 0; sleep 0.05; done
	echo "did not start: $(cat "$out")"; return 1
}
ov() { "$MS" overview --json "$HELD_PID" > "$TMP/ov.json"; }
dr() { "$MS" doctor --json "$HELD_PID" > "$TMP/dr.json"; }
check_field() { jq -r ".checks[] | select(.name==\"$1\") | .$2" "$TMP/dr.json"; }
# what still works on any allocator: the classes add up to smaps_rollup
classes_add_up() {
	check_within "overview $1: class RSS sums to smaps_rollup Rss" \
		"$(jq -r .class_rss_sum_bytes "$TMP/ov.json")" "$(rollup_rss "$HELD_PID")" 1
}

gcc -O1 -o "$TMP/hold" "$TMP/hold.c" || exit 1
for lib in libjemalloc.so.2:jemalloc libtcmalloc_minimal.so.4:tcmalloc libmimalloc.so.2:mimalloc; do
	so=${lib%%:*} name=${lib##*:}
	path=$(ls /usr/lib/x86_64-linux-gnu/$so 2>/dev/null | head -1)
	if [ -z "$path" ]; then skip "$name: $so not installed (scripts/install-deps installs it)"; continue; fi
	matrix_row "glibc $hostver" host debuginfo "$name (LD_PRELOAD)"
	run_held "$name" env LD_PRELOAD="$path" "$TMP/hold" || { fail "overview $name: start"; continue; }
	ov
	check_eq "overview $name preloaded: names the allocator" "$(jq -r .allocator "$TMP/ov.json")" "$name"
	check_match "overview $name preloaded: verdict says arena analysis does not apply" "$(jq -r '.verdicts[].text' "$TMP/ov.json")" "allocator is $name, not glibc"
	classes_add_up "$name preloaded"
	dr
	check_match "doctor $name preloaded: says preloaded" "$(check_field allocator status) $(check_field allocator detail)" "^no $name .*via LD_PRELOAD"
	check_eq "arenas $name preloaded: says glibc is not in charge" "$("$MS" arenas --json "$HELD_PID" | jq -r '.allocator + " " + (.glibc_in_charge | tostring)')" "$name false"
	check_refused "trim $name preloaded" "$MS" trim --yes "$HELD_PID"
	kill "$HELD_PID"

	# Linked: DT_NEEDED names it, no LD_PRELOAD.  Debian ships no -dev
	# package for all three, so link against the runtime library's file;
	# the result is what -ljemalloc gives.
	matrix_row "glibc $hostver" host debuginfo "$name (linked)"
	if ! gcc -O1 -o "$TMP/hold-$name" "$TMP/hold.c" "$path" 2>"$TMP/cc.err"; then
		fail "overview $name linked: cannot link against $path: $(head -c 200 "$TMP/cc.err")"; continue
	fi
	check_match "overview $name linked: the binary needs it (readelf)" "$(readelf -d "$TMP/hold-$name")" "NEEDED.*\[$so\]"
	run_held "$name-linked" "$TMP/hold-$name" || { fail "overview $name linked: start"; continue; }
	ov
	check_eq "overview $name linked: names the allocator" "$(jq -r .allocator "$TMP/ov.json")" "$name"
	check_eq "overview $name linked: arenas not claimed" "$(jq -r .arenas "$TMP/ov.json")" null
	classes_add_up "$name linked"
	dr
	check_match "doctor $name linked: says linked, not preloaded" "$(check_field allocator status) $(check_field allocator detail)" "^no $name \(.*, linked\) replaces glibc malloc"
	check_eq "doctor $name linked: the hook still works (dynamic)" "$(check_field ld_preload_hook status)" yes
	check_eq "arenas $name linked: says glibc is not in charge" "$("$MS" arenas --json "$HELD_PID" | jq -r '.allocator + " " + (.glibc_in_charge | tostring)')" "$name false"
	check_refused "trim $name linked" "$MS" trim --yes "$HELD_PID"
	kill "$HELD_PID"
done

matrix_row "glibc (static)" host debuginfo glibc-static
if gcc -static -O1 -o "$TMP/hold-static" "$TMP/hold.c" 2>/dev/null; then
	run_held static "$TMP/hold-static" || fail "overview static: start"
	ov
	check_eq "overview static glibc: allocator" "$(jq -r .allocator "$TMP/ov.json")" glibc-static
	check_eq "overview static glibc: version unknown (a static binary does not record it)" "$(jq -r .glibc_version "$TMP/ov.json")" null
	check_eq "overview static glibc: arenas not claimed" "$(jq -r .arenas "$TMP/ov.json")" null
	classes_add_up "static glibc"
	dr
	check_eq "doctor static glibc: the hook cannot be used" "$(check_field ld_preload_hook status)" no
	check_eq "doctor static glibc: allocator" "$(check_field allocator detail)" glibc-static
	check_refused "arenas static glibc" "$MS" arenas "$HELD_PID"
	check_refused "trim static glibc" "$MS" trim --yes "$HELD_PID"
	kill "$HELD_PID"
else
	skip "overview static glibc: gcc -static failed (libc6-dev's libc.a missing?)"
fi

if command -v musl-gcc >/dev/null; then
	muslver=$(dpkg-query -W -f='${Version}' musl 2>/dev/null | sed 's/-.*//')
	for kind in dynamic static; do
		matrix_row "musl ${muslver:-?}${kind:+ ($kind)}" host debuginfo musl
		flag=; [ "$kind" = static ] && flag=-static
		musl-gcc $flag -O1 -o "$TMP/hold-musl-$kind" "$TMP/hold.c"
		run_held "musl-$kind" "$TMP/hold-musl-$kind" || { fail "overview musl $kind: start"; continue; }
		ov
		check_eq "overview musl $kind: allocator" "$(jq -r .allocator "$TMP/ov.json")" musl
		check_eq "overview musl $kind: no glibc version" "$(jq -r .glibc_version "$TMP/ov.json")" null
		check_eq "overview musl $kind: no arenas reported" "$(jq -r .arenas "$TMP/ov.json")" null
		classes_add_up "musl $kind"
		dr
		check_match "doctor musl $kind: not glibc" "$(check_field glibc_version status) $(check_field glibc_version detail)" "^no not glibc: musl libc"
		check_eq "doctor musl $kind: hook usable only when dynamic" "$(check_field ld_preload_hook status)" "$([ $kind = dynamic ] && echo yes || echo no)"
		# a known allocator that is not glibc is a finding (exit 0, one line), as for jemalloc
		"$MS" arenas "$HELD_PID" > "$TMP/ar.txt" 2>&1
		check_eq "arenas musl $kind: exit 0, says musl is the allocator" "$? $(head -1 "$TMP/ar.txt")" "0  - glibc arenas unused: musl is the allocator"
		check_eq "arenas musl $kind: JSON says so" "$("$MS" arenas --json "$HELD_PID" | jq -r '.allocator + " " + (.glibc_in_charge | tostring)')" "musl false"
		if grep -q '\[heap\]' "/proc/$HELD_PID/maps"; then
			check_match "overview musl $kind: the brk heap is musl's, not glibc's" "$("$MS" overview "$HELD_PID" | grep '^  main_heap')" "musl's brk heap \(\[heap\]\)$"
		fi
		check_refused "trim musl $kind" "$MS" trim --yes "$HELD_PID"
		kill "$HELD_PID"
	done
	# stripped, a static musl binary says nothing about its libc: memsleuth
	# must not guess, and overview's classes still work
	matrix_row "musl ${muslver:-?} (static, stripped)" host debuginfo unknown
	strip -o "$TMP/hold-musl-stripped" "$TMP/hold-musl-static"
	if run_held musl-stripped "$TMP/hold-musl-stripped"; then
		ov
		check_eq "overview musl stripped: allocator not guessed" "$(jq -r .allocator "$TMP/ov.json")" unknown
		check_eq "overview musl stripped: no arenas reported" "$(jq -r .arenas "$TMP/ov.json")" null
		classes_add_up "musl stripped"
		dr
		check_eq "doctor musl stripped: allocator not guessed" "$(check_field allocator detail)" unknown
		check_refused "arenas musl stripped" "$MS" arenas "$HELD_PID"
		kill "$HELD_PID"
	else
		fail "overview musl stripped: start"
	fi
else
	skip "overview musl: musl-gcc not installed (apt-get install musl-tools)"
fi
