#!/usr/bin/env bash
# Bounded work from hostile input (docs/security.md): the program being
# recorded writes the hook's log, so it controls it.  The field case: one
# intact 40-byte THREAD record naming stream 0x3fffffff (0xffffffff) made
# `hotspots --from` allocate and zero a 4 GiB (16 GiB) table.  Now the
# reader's memory is a function of the file's size: with the address space
# limited to 64 MiB, memsleuth answers with one line.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { skip "safety_input: python3 missing (writes the log)"; exit 0; }

# mk_log DIR STREAM: the field case's record (hash = ms_hl_hash, records/hotlog.h)
mk_log() {
	python3 - "$1" "$2" <<'EOP'
import struct, sys, os
d = sys.argv[1]; stream = int(sys.argv[2], 0)
def h(b):
    M = (1 << 64) - 1; n = len(b); x = (0x9e3779b97f4a7c15 ^ n) & M; i = 0
    while i + 8 <= n:
        w = struct.unpack_from('<Q', b, i)[0]; x = ((x ^ w) * 0xff51afd7ed558ccd) & M; x ^= x >> 29; i += 8
    while i < n:
        x = ((x ^ b[i]) * 0x100000001b3) & M; i += 1
    x ^= x >> 32; return x & 0xffffffff
pl = struct.pack('<II16s', stream, 1234, b'evil')
rec = struct.pack('<IHHII', 0x524c534d, 4, 1, len(pl), h(pl)) + pl
os.makedirs(d, exist_ok=True)
open(os.path.join(d, 'proc-1-0.msl'), 'wb').write(rec)
EOP
}

for s in 0x3fffffff 0xffffffff; do
	mk_log "$TMP/log$s" "$s"
	check_eq "hotlog $s: the log is 40 bytes" "$(stat -c %s "$TMP/log$s/proc-1-0.msl")" 40
	( ulimit -v 65536; exec "$MS" hotspots --from "$TMP/log$s" ) >"$TMP/out" 2>"$TMP/err"; rc=$?
	check_eq "hotlog $s: hotspots --from under ulimit -v 65536 exits 2" "$rc" 2
	check_eq "hotlog $s: one line on stderr" "$(wc -l < "$TMP/err")" 1
	check_match "hotlog $s: the line says no intact record, not out of memory" "$(cat "$TMP/err")" \
		"40 bytes.*no intact record"
done
exit 0
