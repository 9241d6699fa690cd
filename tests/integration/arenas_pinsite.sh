#!/usr/bin/env bash
# arenas --hotspots DIR: the pin's call site and thread, from a hotspots
# recording of the same process.  The case study (pin: 500,000 x 1 KiB
# freed below a 1-byte block) recorded from its start; while it holds,
# arenas names the pinning chunk, the 495.9 MiB it pins and its call site.
# Oracles: the source line of `pinned = malloc(1)` in examples/pin.c, and
# addr2line on the call's return address (binutils, not our symboliser);
# the chunk is the recording's own live pointer less the 16-byte header.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)

"$MS" hotspots --record-only --output "$TMP/rec" --duration 120 -- "$EX/pin" --hold >"$TMP/pin.out" 2>&1 &
HS=$!
_pids+=("$HS")
for _ in $(seq 1 600); do grep -q "phase=freed" "$TMP/pin.out" && break; sleep 0.1; done
PIN=$(sed -n 's/.*pid=\([0-9]*\) phase=freed.*/\1/p' "$TMP/pin.out")
if [ -z "$PIN" ]; then
	fail "pin under hotspots --record-only did not reach phase freed: $(cat "$TMP/pin.out")"
	exit 1
fi
"$MS" arenas --json --hotspots "$TMP/rec" "$PIN" >"$TMP/a.json"
check_eq "arenas --hotspots: exit 0" "$?" 0
"$MS" arenas --hotspots "$TMP/rec" "$PIN" >"$TMP/a.txt"
line=$(grep -n 'pinned = malloc(1);' "$REPO/examples/pin.c" | cut -d: -f1)
pin=$(jq -r '.arenas[0].pins[0].address' "$TMP/a.json")
check_eq "the pin's call site: pin.c:LINE of its malloc(1) (LINE from the source)" \
	"$(jq -r '.arenas[0].pins[0].allocated_at' "$TMP/a.json")" "pin.c:$line (main)"
check_eq "the pin's thread: the program's main thread, by name and TID" \
	"$(jq -r '.arenas[0].pins[0] | "\(.thread) \(.tid)"' "$TMP/a.json")" "pin $PIN"
check_eq "one pin looked up, one named" "$(jq -c '[.pin_sites.pins, .pin_sites.named]' "$TMP/a.json")" "[1,1]"
# the recording's own live pointer at that address: the chunk + 16
ptr=$("$MS" hotspots --from "$TMP/rec" --address "$(printf '0x%x' $((pin + 16)))" --json | jq -r '.address.allocation')
check_eq "the recording's live 1-byte allocation is the pinning chunk's user pointer" "$ptr" "$(printf '0x%x' $((pin + 16)))"
# addr2line on the site's return address - 1 (the call instruction)
off=$(jq -r '.arenas[0].pins[0].site' "$TMP/a.json" | sed -n 's/^main+\(0x[0-9a-f]*\) .*/\1/p')
mainaddr=$(nm "$EX/pin" | awk '$3 == "main" {print $1}')
if [ -n "$off" ] && [ -n "$mainaddr" ] && command -v addr2line >/dev/null; then
	check_eq "addr2line on the call site gives the same line" \
		"$(addr2line -e "$EX/pin" "$(printf '0x%x' $((0x$mainaddr + off - 1)))" | sed 's|.*/||; s/ .*//')" "pin.c:$line"
else
	skip "addr2line oracle: no main+OFF site (${off:-none}), no main symbol or no addr2line"
fi
check_match "text: the pinning chunk with its address, call site, thread and bytes pinned" \
	"$(tr -s ' \n' ' ' <"$TMP/a.txt")" "1 live chunk of 32 B at $pin allocated at pin.c:$line \\(main\\) by thread pin pins 495.9 MiB"
check_match "the cause names the call site too" "$(jq -r '.causes[] | select(.kind == "main_heap_pinned") | .text' "$TMP/a.json")" \
	"allocated at pin.c:$line \\(main\\) by thread pin pins 495.9 MiB"
# a recording of another process names nothing, and says so
"$MS" hotspots --record-only --output "$TMP/other" -- "$EX/pin" --count 10 >/dev/null 2>&1
check_eq "another process's recording: 0 of 1 pins named" \
	"$("$MS" arenas --json --hotspots "$TMP/other" "$PIN" | jq -c '[.pin_sites.named, (.arenas[0].pins[0].allocated_at // "none")]')" '[0,"none"]'
check_status "--hotspots on a directory without a recording: exit 2" 2 "$MS" arenas --hotspots "$TMP" "$PIN"
kill -INT "$HS" 2>/dev/null; wait "$HS" 2>/dev/null
check_eq "the recorded command is gone" "$(kill -0 "$PIN" 2>/dev/null && echo alive || echo gone)" gone
