#!/usr/bin/env bash
# hotspots on real runtimes, against independent oracles:
# - exact pairing across threads: cross_free allocates on some threads and
#   frees on others, and counts the bytes it still holds: the hook's live
#   bytes at its allocation site equal that count exactly; cross_reuse
#   moves blocks between 6 threads in every direction (tcache, arenas,
#   mmapped chunks, realloc): the order stamps' domains and thread clocks
#   (hotlog.h "Order") must still pair every free;
# - node's zlib (rounds of concurrent zlib.deflate, frees on libuv's
#   threads): live at end between glibc's in-use chunk bytes as `arenas`
#   reads them in the same run, minus chunk overhead, and those bytes;
# - a JVM whose named threads allocate through java.util.zip.Deflater:
#   every thread that allocated shows its Java name.
source "$(dirname "$0")/lib.sh"

# 1. cross-thread frees, exact
for shape in "2 2" "3 1" "1 4"; do
	set -- $shape
	"$MS" hotspots --json -- "$EX/cross_free" --producers "$1" --consumers "$2" --items 30000 --keep 37 \
		>"$TMP/cf.json" 2>"$TMP/cf.err"
	want=$(sed -n 's/^live_requested_bytes=\([0-9]*\) live_blocks=\([0-9]*\)$/\1 \2/p' "$TMP/cf.err")
	got=$(jq -r '[.sites[] | select(.symbol == "produce_block")] | "\(map(.live_bytes) | add) \(map(.live_allocations) | add)"' "$TMP/cf.json")
	check_eq "cross_free $1 producers, $2 consumers: live bytes and blocks exact" "$got" "$want"
	check_eq "cross_free $1x$2: every free paired, nothing dropped" "$(jq -c '[.unknown_frees, .dropped, .complete]' "$TMP/cf.json")" "[0,0,true]"
done

for seed in 1 2 3; do
	"$MS" hotspots --json -- "$EX/cross_reuse" --threads 6 --steps 100000 --seed "$seed" >"$TMP/cr.json" 2>"$TMP/cr.err"
	want=$(sed -n 's/^live_requested_bytes=\([0-9]*\) live_blocks=\([0-9]*\)$/\1 \2/p' "$TMP/cr.err")
	got=$(jq -r '[.sites[] | select(.symbol == "reuse_alloc" or .symbol == "reuse_resize")] | "\(map(.live_bytes) | add) \(map(.live_allocations) | add)"' "$TMP/cr.json")
	check_eq "cross_reuse seed $seed: live bytes and blocks exact" "$got" "$want"
	check_eq "cross_reuse seed $seed: every free paired, nothing dropped" "$(jq -c '[.unknown_frees, .dropped, .complete]' "$TMP/cr.json")" "[0,0,true]"
done

# who allocated this address: the first block cross_free kept
"$MS" hotspots --record-only --output "$TMP/cfrec" -- "$EX/cross_free" --items 5000 --keep 13 >"$TMP/cfrec.out" 2>&1
read -r addr size < <(sed -n 's/^first_kept=\(0x[0-9a-f]*\) size=\([0-9]*\)$/\1 \2/p' "$TMP/cfrec.out")
inside=$(printf '0x%x' $((addr + 5)))
"$MS" hotspots --from "$TMP/cfrec" --address "$inside" --json >"$TMP/addr.json"
check_match "--address: the live allocation holding ADDR+5: its start, size, site" \
	"$(jq -r '.address | "\(.found) \(.allocation) \(.size_bytes) \(.site)"' "$TMP/addr.json")" "^true $addr $size produce_block\\+0x[0-9a-f]+ \\(cross_free\\)"
check_match "--address: its thread" "$(jq -r '.address.thread' "$TMP/addr.json")" '^cross_free$'
check_match "--address: text says who" "$("$MS" hotspots --from "$TMP/cfrec" --address "$inside")" "Address $inside is inside the allocation at $addr \\(\\+5\\).*allocated by produce_block"
check_eq "--address: a freed address is not live" "$("$MS" hotspots --from "$TMP/cfrec" --address 0x10 --json | jq .address.found)" false

# 2. node zlib: nodejs/node#8871-style rounds of concurrent deflates
if command -v node >/dev/null; then
	cat >"$TMP/zlib.js" <<'JS'
'use strict';
const zlib = require('zlib');
const payload = Buffer.alloc(16 * 1024);
let s = 12345;
for (let i = 0; i < payload.length; i++) { s = (s * 1103515245 + 12345) & 0x7fffffff; payload[i] = (s >> 16) & 0x3f; }
const keep = [];
function round() {
  return new Promise((resolve) => {
    let left = 1000;
    for (let i = 0; i < 1000; i++)
      zlib.deflate(payload, (err, out) => { if (err) throw err; if (i % 500 === 0) keep.push(out); if (--left === 0) resolve(); });
  });
}
(async () => {
  for (let r = 0; r < 3; r++) await round();
  for (let i = 0; i < 3; i++) { global.gc(); await new Promise((r) => setTimeout(r, 100)); }
  console.log(`READY pid ${process.pid} holding ${keep.length}`);
  setInterval(() => {}, 1 << 30);
})();
JS
	"$MS" hotspots --json -- node --expose-gc "$TMP/zlib.js" >"$TMP/node.json" 2>"$TMP/node.err" & dp=$!; _pids+=($dp)
	np=$(ready_pid_in "$TMP/node.err")
	if [ -n "$np" ]; then
		# frozen: node's own threads (GC, the platform's workers) may still
		# run, and a walk of a moving heap can leave an arena out
		"$MS" arenas --json --stop "$np" >"$TMP/arenas.json" 2>"$TMP/arenas.err"
		kill -INT $dp; wait $dp
		check_eq "node zlib: the walk it is measured against is consistent" \
			"$(jq .snapshot_consistent "$TMP/arenas.json")" true
		in_use=$(jq '[.arenas[].in_use_bytes] | add' "$TMP/arenas.json")
		chunks=$(jq '[.arenas[].in_use_chunks] | add' "$TMP/arenas.json")
		mmapped=$(jq '.mp.mmapped_mem_bytes' "$TMP/arenas.json")
		live=$(jq '[.processes[].live_bytes] | add' "$TMP/node.json")
		top=$(jq '[.sites[].live_bytes] | max' "$TMP/node.json")
		# a chunk holds its request + an 8-byte size field, rounded up to
		# 16, 32 at least: at most 24 bytes more than asked
		check_cmp "node zlib: live at end <= glibc in-use + mmapped chunks ($in_use + $mmapped)" "$live" -le $((in_use + mmapped))
		check_cmp "node zlib: live at end >= in-use - 24 B x $chunks chunks" "$live" -ge $((in_use - 24 * chunks))
		check_cmp "node zlib: no leak site above glibc's in-use bytes" "$top" -le $((in_use + mmapped))
		check_eq "node zlib: frees all paired, nothing dropped" "$(jq -c '[.unknown_frees, .dropped]' "$TMP/node.json")" "[0,0]"
	else
		fail "node zlib: never READY: $(head -c 300 "$TMP/node.err")"
	fi
else
	skip "node zlib: node not installed"
fi

# 3. a JVM: Java threads named zip-worker-N allocate through Deflater
if command -v java >/dev/null && command -v javac >/dev/null; then
	cat >"$TMP/Zip.java" <<'J'
import java.util.zip.Deflater;
public class Zip {
    public static void main(String[] a) throws Exception {
        Thread[] t = new Thread[3];
        for (int i = 0; i < t.length; i++) {
            t[i] = new Thread(() -> {
                byte[] in = new byte[65536], out = new byte[70000];
                for (int k = 0; k < in.length; k++) in[k] = (byte) (k * 7 % 61);
                for (int r = 0; r < 100; r++) {
                    Deflater d = new Deflater();
                    d.setInput(in); d.finish();
                    while (!d.finished()) d.deflate(out);
                    d.end();
                }
            }, "zip-worker-" + i);
            t[i].start();
        }
        for (Thread x : t) x.join();
    }
}
J
	if javac -d "$TMP" "$TMP/Zip.java"; then
		"$MS" hotspots --json -- java -Xmx64m -cp "$TMP" Zip >"$TMP/jvm.json" 2>"$TMP/jvm.err"
		check_eq "jvm: the three zip workers named" "$(jq -r '[.threads[] | select(.name | startswith("zip-worker-")) | .name] | sort | join(",")' "$TMP/jvm.json")" "zip-worker-0,zip-worker-1,zip-worker-2"
		check_cmp "jvm: each zip worker made >= 300 calls (100 Deflaters)" "$(jq '[.threads[] | select(.name | startswith("zip-worker-")) | .calls] | min' "$TMP/jvm.json")" -ge 300
		check_eq "jvm: no thread without a name" "$(jq '[.threads[] | select(.name == (.tid | tostring))] | length' "$TMP/jvm.json")" 0
	else
		fail "jvm: javac failed"
	fi
else
	skip "jvm: no JDK"
fi
