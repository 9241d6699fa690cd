#!/usr/bin/env bash
# What is glibc's (the arena cap of 8 x CPUs, MALLOC_ARENA_MAX, "glibc
# malloc holds") is stated only when glibc's malloc is the allocator in use:
# never for a static musl program nor one with jemalloc linked in; a static
# glibc one is still ptmalloc2 (its cap applies, its arenas are not located).
# Oracles: readelf (static, NEEDED), the kernel's online CPU list.
source "$(dirname "$0")/lib.sh"
cp "$(dirname "$0")/../fixtures/c/hold_freed.c" "$TMP/hold.c"   # 20,000 x 500 B, 49 of 50 freed, "holding"
# held NAME BINARY: start it, wait for its line; the pid in $p
held() {
	"$2" >"$TMP/$1.out" & p=$!; _pids+=("$p")
	for _ in $(seq 1 200); do grep -q holding "$TMP/$1.out" 2>/dev/null && break; sleep 0.05; done
}
# not_glibc NAME ALLOCATOR: overview and the guide's overview step of $p say nothing of glibc's
not_glibc() {
	"$MS" overview --json "$p" >"$TMP/$1.json"
	check_eq "overview $1: exit" "$?" 0
	"$MS" overview "$p" >"$TMP/$1.txt"
	check_eq "overview $1: the allocator (oracle: how it was built)" "$(jq -r .allocator "$TMP/$1.json")" "$2"
	check_eq "overview $1: no arena cap in JSON" "$(jq -c '[.arena_cap, .arena_cap_source]' "$TMP/$1.json")" '[null,null]'
	check_eq "overview $1: no arenas line nor cap in the text" "$(grep -cE '^arenas:|cap [0-9]+ \(computed' "$TMP/$1.txt")" 0
	check_eq "overview $1: no glibc setting advised" "$(grep -cE 'MALLOC_ARENA_MAX|M_ARENA_MAX|GLIBC_TUNABLES' "$TMP/$1.txt")" 0
	"$MS" overview --json --accounted 1M "$p" >"$TMP/$1-acc.json"
	check_match "overview $1 --accounted: the gap names the allocator, not glibc malloc" \
		"$(jq -r '.verdicts[] | select(.text | startswith("RSS")) | .text' "$TMP/$1-acc.json")" \
		"above the 1.0 MiB the application accounts for; the allocator is $2: the brk heap holds"
	"$MS" guide --batch --json --window 1 --watch 0 "$p" >"$TMP/$1-g.json" 2>/dev/null
	local s='.steps[] | select(.name == "overview")'
	check_eq "guide $1: the overview step never says glibc malloc holds" \
		"$(jq -r "$s | [.evidence[], .verdict] | map(select(test(\"glibc malloc\"))) | length" "$TMP/$1-g.json")" 0
	check_match "guide $1: the overview step names the allocator" "$(jq -r "$s | .evidence[0]" "$TMP/$1-g.json")" \
		"^the brk heap holds [0-9.]+ [KMG]?i?B of the RSS .*; the allocator is $2: glibc's malloc and its arenas are not in use$"
}

if command -v musl-gcc >/dev/null; then
	musl-gcc -static -O1 -o "$TMP/hold-musl" "$TMP/hold.c"
	check_eq "musl: a static binary (readelf)" "$(readelf -l "$TMP/hold-musl" | grep -c 'Requesting program interpreter')" 0
	held musl "$TMP/hold-musl"
	not_glibc musl musl
	kill "$p"
else
	skip "overview musl: musl-gcc not installed (apt-get install musl-tools)"
fi

je=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null)
if [ -n "$je" ]; then
	gcc -O1 -o "$TMP/hold-je" "$TMP/hold.c" "$je"
	check_match "jemalloc linked: the binary needs it (readelf)" "$(readelf -d "$TMP/hold-je")" 'NEEDED.*\[libjemalloc.so.2\]'
	held je "$TMP/hold-je"
	not_glibc je jemalloc
	kill "$p"
else
	skip "overview jemalloc: libjemalloc2 not installed"
fi

# static glibc is ptmalloc2: the cap is stated, and it is not called "not glibc's"
if gcc -static -O1 -o "$TMP/hold-static" "$TMP/hold.c" 2>/dev/null; then
	online=$(awk -F- '{print ($2==""?1:$2-$1+1)}' /sys/devices/system/cpu/online)
	held static "$TMP/hold-static"
	"$MS" overview --json "$p" >"$TMP/static.json"
	check_eq "overview static glibc: allocator" "$(jq -r .allocator "$TMP/static.json")" glibc-static
	check_eq "overview static glibc: the cap is 8 x online CPUs" "$(jq -r .arena_cap "$TMP/static.json")" $(( 8 * online > 9 ? 8 * online : 9 ))
	check_eq "overview static glibc: never 'not glibc's ptmalloc2'" "$(jq -r '.verdicts[].text' "$TMP/static.json" | grep -c "not glibc's ptmalloc2")" 0
	check_eq "overview static glibc: said linked statically" "$(jq -r '.verdicts[].text' "$TMP/static.json" | grep -c "^glibc's malloc is linked statically: its arenas are not located")" 1
	kill "$p"
else
	skip "overview static glibc: gcc -static failed (libc6-dev's libc.a missing?)"
fi
