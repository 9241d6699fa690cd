#!/usr/bin/env bash
# When tracefs cannot be used (nothing mounted there, no syscall
# tracepoints, not permitted), --backend auto passes on to the next
# backend before the run, saying why in its one "backend" line, and never
# picks tracefs to fail with it; --backend tracefs asked for fails with one
# line naming tracefs, the reason and the way out (exit 2), the command not
# run.  stap and bpftrace are kept out of PATH so that auto's next is ptrace.
# Simulated with MEMSLEUTH_TRACEFS: a missing dir, an empty one, one with
# instances/ but no events/syscalls (a kernel without CONFIG_FTRACE_SYSCALLS).
source "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/empty" "$TMP/notp/instances" "$TMP/bin"
cat > "$TMP/maps.c" <<'C'
#include <stdlib.h>
#include <string.h>
int main(void)
{
	for (int i = 0; i < 10; i++) { void *p = malloc(1 << 20); memset(p, 1, 1 << 20); free(p); }
	return 0;
}
C
gcc -O1 -o "$TMP/maps" "$TMP/maps.c" || { fail "build"; exit 0; }
printf '#!/bin/sh\n: > "%s/ran"\n' "$TMP" > "$TMP/mark"; chmod +x "$TMP/mark"
nostap=$TMP/bin   # a PATH without stap nor bpftrace

for case in "none|not mounted \\(no instances/ there\\) \\(mount -t tracefs nodev /sys/kernel/tracing as root, or use --backend ptrace\\)" \
	    "empty|not mounted \\(no instances/ there\\) \\(mount -t tracefs nodev /sys/kernel/tracing as root, or use --backend ptrace\\)" \
	    "notp|no syscall tracepoints \\(events/syscalls: a kernel built without CONFIG_FTRACE_SYSCALLS\\) \\(use --backend ptrace\\)"; do
	d=${case%%|*} why=${case#*|}
	env PATH="$nostap" MEMSLEUTH_TRACEFS="$TMP/$d" "$MS" syscalls --json -- "$TMP/maps" >"$TMP/$d.json" 2>"$TMP/$d.err"
	check_eq "auto, tracefs $d: exit" "$?" 0
	check_eq "auto, tracefs $d: ptrace traced it" "$(jq -r '[.backend, (.totals[] | select(.syscall == "mmap") | .count > 0)] | @tsv' "$TMP/$d.json")" "ptrace	true"
	check_eq "auto, tracefs $d: one backend line, saying why not tracefs" \
		"$(grep -cE "^memsleuth syscalls: backend ptrace: .*; not better ones: .*tracefs $TMP/$d: $why" "$TMP/$d.err")" 1
	check_eq "auto, tracefs $d: never tried" "$(grep -c 'backend tracefs' "$TMP/$d.err")" 0

	rm -f "$TMP/ran"
	check_status "--backend tracefs, tracefs $d: refused" 2 env MEMSLEUTH_TRACEFS="$TMP/$d" "$MS" syscalls --backend tracefs -- "$TMP/mark"
	check_eq "--backend tracefs, tracefs $d: one line, the thing, the reason, the way out" \
		"$(wc -l < "$TMP/err") $(grep -cE "^memsleuth syscalls: tracefs $TMP/$d: $why\$" "$TMP/err")" "1 1"
	check_eq "--backend tracefs, tracefs $d: the command did not run" "$([ -e "$TMP/ran" ] && echo ran || echo not)" not
done

# not permitted: the real tracefs for another user
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing/instances ] && command -v setpriv >/dev/null; then
	chmod 755 "$TMP" "$TMP/bin"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$nostap" "$@"; }
	as_nobody "$MS" syscalls --backend tracefs -- "$TMP/maps" >/dev/null 2>"$TMP/err"
	check_eq "--backend tracefs, another user: exit" "$?" 2
	check_eq "--backend tracefs, another user: one line with EACCES's reason and the way out" \
		"$(wc -l < "$TMP/err") $(grep -c '^memsleuth syscalls: tracefs /sys/kernel/tracing: Permission denied (run as root, or use --backend ptrace)$' "$TMP/err")" "1 1"
	as_nobody "$MS" syscalls --json -- "$TMP/maps" >"$TMP/nobody.json" 2>"$TMP/nobody.err"
	check_eq "auto, another user: ptrace" "$?:$(jq -r .backend "$TMP/nobody.json")" "0:ptrace"
	check_eq "auto, another user: says why not tracefs" \
		"$(grep -c '^memsleuth syscalls: backend ptrace: .*tracefs /sys/kernel/tracing: Permission denied' "$TMP/nobody.err")" 1
else
	skip "tracefs not permitted: needs root, a mounted tracefs and setpriv"
fi
