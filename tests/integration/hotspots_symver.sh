#!/usr/bin/env bash
# A function is printed by its name, never with the symbol version a
# .symtab keeps in it (libc6-dbg's "pthread_create@GLIBC_2.2.5",
# "pthread_create@@GLIBC_2.34"): hotspots' tables and JSON "function", the
# symres helper; JSON "symbol" keeps the exact name.  Oracle: readelf on
# libc's debug file shows the versioned names at pthread_create's address.
source "$(dirname "$0")/lib.sh"
libc=/usr/lib/x86_64-linux-gnu/libc.so.6
id=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ { print $3 }')
dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
if [ -z "$id" ] || [ ! -r "$dbg" ]; then
	skip "hotspots symver: no libc debug file (apt-get install libc6-dbg)"
	exit 0
fi
check_match "symver: libc's .symtab names pthread_create with its version (readelf)" \
	"$(readelf -sW "$dbg" 2>/dev/null | awk '$8 ~ /^pthread_create@/ { print $8 }')" 'pthread_create@@?GLIBC_'

cat > "$TMP/thr.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *run(void *a) { (void)a; return NULL; }
int main(int argc, char **argv)
{
	if (argc > 1) {   /* hold: print the function's address and wait */
		printf("%p\n", (void *)pthread_create); fflush(stdout);
		sleep(30);
		return 0;
	}
	for (int i = 0; i < 20; i++) { pthread_t t; pthread_create(&t, NULL, run, NULL); pthread_join(t, NULL); }
	return 0;
}
C
gcc -O1 -o "$TMP/thr" "$TMP/thr.c" -lpthread || { fail "symver: build"; exit 0; }

# pthread_create allocates each thread's stack and TLS: a call site in it
"$MS" hotspots --json -- "$TMP/thr" >"$TMP/hs.json" 2>"$TMP/hs.err"
check_eq "hotspots symver: exit" "$?" 0
site=$(jq -c '[.sites[] | select(.symbol | startswith("pthread_create"))][0] | [.function, .symbol]' "$TMP/hs.json")
check_match "hotspots symver: JSON function without the version, symbol exact" "$site" \
	'^\["pthread_create","pthread_create@@?GLIBC_[0-9.]+"\]$'
check_eq "hotspots symver: no version in any JSON function" \
	"$(jq '[.. | objects | .function? // empty | strings | select(test("@"))] | length' "$TMP/hs.json")" 0
"$MS" hotspots -- "$TMP/thr" >"$TMP/hs.txt" 2>/dev/null
check_match "hotspots symver: the table names pthread_create" "$(cat "$TMP/hs.txt")" ' pthread_create\+0x[0-9a-f]+ \(libc\.so\.6\)'
check_eq "hotspots symver: no version in the text" "$(grep -c '@@\?GLIBC_' "$TMP/hs.txt")" 0

"$TMP/thr" hold >"$TMP/held.out" & p=$!; _pids+=("$p")
for _ in $(seq 1 100); do [ -s "$TMP/held.out" ] && break; sleep 0.05; done
check_match "symres symver: pthread_create without its version" "$("$BUILD/symres" -p "$p" "$(cat "$TMP/held.out")")" \
	'^0x[0-9a-f]+ pthread_create\+0x0 \(libc\.so\.6\)'
kill "$p"
