#!/usr/bin/env bash
# guide -- CMD names the pin: the command runs under the hotspots recorder
# from its start, so the process examined at the moment is the recorded one;
# the arenas step names the pinning chunk with its call site and thread, the
# hotspots step reads that recording (no second run), the conclusion says it
# in the case study's terms, the report shows it.  Oracles: the source line
# of `pinned = malloc(1)` in examples/pin.c, the example's own counts (500,000
# x 1 KiB allocated and freed, chunks of 1040 B), the pid it prints itself,
# and the recording's own live allocation at the pin's address.  Wrappers
# (sh -c 'exec ...', a shell that forks and waits) and the fallbacks (a
# static program, attaching to a PID) are each said in one line.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
line=$(grep -n 'pinned = malloc(1);' "$REPO/examples/pin.c" | cut -d: -f1)
bline=$(grep -n 'blocks\[i\] = malloc' "$REPO/examples/pin.c" | cut -d: -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# --- the case study: 500,000 x 1 KiB freed under a 1-byte block ---------
"$MS" guide --batch --json --watch 0 --window 1 --no-compare --report "$TMP/r.html" -- "$EX/pin" --hold \
	>"$TMP/g.json" 2>"$TMP/g.txt"
check_eq "guide -- pin --hold exits 0" "$?" 0
j=$TMP/g.json
pid=$(jq '.pid' "$j")
check_eq "the process examined is the pin the command printed" "$pid" \
	"$(sed -n 's/.*pid=\([0-9]*\) phase=freed.*/\1/p' "$TMP/g.txt" | head -1)"
check_eq "recording: kept beside the report" "$(jq -c '.recording | [.directory, .kept, .note]' "$j")" \
	"[\"$TMP/r.hotspots\",true,null]"
check_eq "the pin's call site: pin.c:LINE of its malloc(1) (LINE from the source)" \
	"$(jq -r '.pin.allocated_at' "$j")" "pin.c:$line (main)"
check_eq "the pin's thread: the program's main thread, by name and TID" "$(jq -r '.pin | "\(.thread) \(.tid)"' "$j")" "pin $pid"
check_eq "the pin: a 32-byte chunk" "$(jq '.pin.size_bytes' "$j")" 32
check_eq "it pins 495.9 MiB" "$(mib "$(jq '.pin.pinned_bytes' "$j")")" "495.9 MiB"
check_within "pinned: the 500,000 freed chunks of 1040 B" "$(jq '.pin.pinned_bytes' "$j")" 520000000 1
addr=$(jq -r '.pin.address' "$j")
ptr=$(jq -r '.pin.pointer' "$j")
check_eq "the pointer is the chunk + 16" "$ptr" "$(printf '0x%x' $((addr + 16)))"
check_eq "arenas looked the pin up in the recording: 1 of 1 named" \
	"$(jq -c '.steps[2].findings.pin_sites | [.recording, .pins, .named]' "$j")" "[\"$TMP/r.hotspots\",1,1]"
txt=$(tr -s ' \n' ' ' <"$TMP/g.txt")
check_match "text: the pin with its address, bytes pinned, call site and thread" "$txt" \
	"the pin: 1 live chunk of 32 B at $addr pins 495.9 MiB -- allocated at pin.c:$line \\(main\\) by thread pin \\(TID $pid\\)"
check_eq "next: who allocated the pin, in the kept recording" "$(jq -r '.steps[2].next' "$j")" \
	"who allocated the pin: memsleuth hotspots --from $TMP/r.hotspots --address $ptr"
check_eq "the pin's next command in the JSON" "$(jq -r '.pin.next' "$j")" "$(jq -r '.steps[2].next' "$j")"
# that command answers: the recording's live 1-byte allocation at the pointer
"$MS" hotspots --from "$TMP/r.hotspots" --address "$ptr" --json >"$TMP/a.json"
check_eq "hotspots --from --address: the live allocation is the pin's pointer, 1 byte" \
	"$(jq -r '.address | "\(.allocation) \(.size_bytes)"' "$TMP/a.json")" "$ptr 1"
# the hotspots step reads the same recording: no second run
check_match "hotspots reads the recording of the process examined" "$(jq -r '.steps[3].evidence[0]' "$j")" \
	"^reads the recording of process $pid made from its start"
check_eq "hotspots: no second run" "$(grep -c 'runs the command again under hotspots' "$TMP/g.txt")" 0
check_eq "hotspots: the example's 500,000 mallocs of pin.c:$bline and its 1-byte pin" \
	"$(jq -c '[.steps[3].findings.sites[] | select(.line == '"$bline"' or .line == '"$line"') | .calls] | sort' "$j")" \
	"[1,500000]"
check_eq "hotspots: the top site's live bytes are the moment's (comparable)" \
	"$(jq -r '.steps[3].evidence[] | select(startswith("top call site"))' "$j" | grep -c 'live at the moment')" 1
# the hook's presence does not move the causes' bytes: the example's own figure
check_within "main_heap_pinned: the 500,000 freed chunks, hook or not" \
	"$(jq '.causes[] | select(.kind == "main_heap_pinned") | .resident_bytes' "$j")" 520000000 1
# the guide records 6 frames: loading libunwind for them (dlopen, once)
# takes ~5.8 KiB from malloc; the hook itself nothing (688 B bare)
check_cmp "glibc's in-use bytes: the hook allocates nothing from malloc per call (688 B bare + libunwind's dlopen)" \
	"$(jq '.steps[2].findings.totals.in_use_bytes' "$j")" -le 8192
# the conclusion in the case study's terms, right after its cause
pinv=$(jq -r '[.verdicts[].text] | to_entries[] | select(.value | startswith("The pin:")) | .key' "$j")
cause=$(jq -r '[.verdicts[].text] | to_entries[] | select(.value | startswith("glibc'"'"'s main heap keeps")) | .key' "$j")
check_eq "the pin's conclusion follows its cause" "$pinv" "$((cause + 1))"
check_match "conclusion: a live block above freed memory, the fix where it is allocated or freed" \
	"$(jq -r ".verdicts[$pinv].text" "$j")" \
	"^The pin: a live block of 32 B allocated at pin.c:$line \\(main\\) by thread pin sits above 495.9 MiB of freed memory; a heap shrinks only from its top.* Fix it where the block is allocated or freed"
check_eq "conclusion's next: the address query" "$(jq -r ".verdicts[$pinv].next" "$j")" \
	"memsleuth hotspots --from $TMP/r.hotspots --address $ptr"
check_match "the cause's remedies: the fix in the code, at the call site" \
	"$(jq -r '.causes[] | select(.kind == "main_heap_pinned") | .remedies[].command' "$j")" \
	"change where the pinning block is allocated or freed \\(pin.c:$line \\(main\\)\\)"
check_match "report: the pins table with the call site" "$(tr -d '\n' <"$TMP/r.html")" \
	"$addr</td>.*495.9 MiB</td><td[^>]*>pin.c:$line \\(main\\)</td>"
check_eq "the command is stopped" "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)" gone
check_eq "no recorder left" "$(pgrep -f -- "hotspots --record-only --stacks 6 --json --output $TMP/r.hotspots" | wc -l)" 0

# --- wrappers: the program behind sh is the one recorded and examined ----
for w in exec fork; do
	if [ $w = exec ]; then c="exec $EX/pin --count 100000 --hold"; else c="$EX/pin --count 100000 --hold; true"; fi
	"$MS" guide --batch --json --watch 0 --window 1 --no-compare -- sh -c "$c" >"$TMP/w.json" 2>"$TMP/w.txt"
	check_eq "guide -- sh -c ($w): exits 0" "$?" 0
	wp=$(sed -n 's/.*pid=\([0-9]*\) phase=freed.*/\1/p' "$TMP/w.txt" | head -1)
	check_eq "sh -c ($w): the pin examined" "$(jq '.pid' "$TMP/w.json")" "$wp"
	check_eq "sh -c ($w): its pin named at pin.c:$line by thread pin" \
		"$(jq -r '.pin | "\(.allocated_at) \(.thread) \(.tid)"' "$TMP/w.json")" "pin.c:$line (main) pin $wp"
	check_eq "sh -c ($w): the recording is temporary and removed" \
		"$(jq -r '.recording.kept' "$TMP/w.json") $(test -e "$(jq -r '.recording.directory' "$TMP/w.json")" && echo left || echo removed)" \
		"false removed"
done
check_match "sh forking pin: said as a wrapper" "$(cat "$TMP/w.txt")" "launched: wrapper: sh \\(pid [0-9]+\\) -> program: pin \\(pid $wp\\)"

# --- fallbacks: one line, then what the guide did before ------------------
if gcc -static -O1 -I"$REPO/examples" -o "$TMP/pin-static" "$REPO/examples/pin.c" -lpthread 2>/dev/null; then
	"$MS" guide --batch --json --watch 0 --window 1 --no-compare -- "$TMP/pin-static" --count 20000 --hold \
		>"$TMP/s.json" 2>"$TMP/s.txt"
	check_eq "static program: guide exits 0" "$?" 0
	check_eq "static program: one line says there is no recording, and why" \
		"$(grep -c '^no allocation recording (memsleuth hotspots: .*statically linked, so LD_PRELOAD cannot work' "$TMP/s.txt")" 1
	check_match "static program: the JSON says so" "$(jq -r '.recording.note' "$TMP/s.json")" "statically linked"
	check_eq "static program: examined without the hook" "$(jq -r '.name' "$TMP/s.json")" pin-static
else
	skip "static program fallback: gcc -static failed (no libc.a?)"
fi
start_example pin freed --count 100000 || exit 1
"$MS" guide --batch --json --watch 0 --window 1 "$EX_PID" >"$TMP/p.json" 2>/dev/null
check_eq "attached: guide exits 0" "$?" 0
check_eq "attached: the pin, no recording" "$(jq -c '[.pin.size_bytes, .pin.allocated_at, has("recording")]' "$TMP/p.json")" "[32,null,false]"
check_match "attached: one line says why the call site is not known" "$(jq -r '.steps[2].evidence[]' "$TMP/p.json")" \
	"pins 99.2 MiB -- its call site is not known: the guide attached to a running process"
stop_example "$EX_PID"
