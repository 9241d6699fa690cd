#!/usr/bin/env bash
# The guide's conclusions on the new-user trial's cases (findings 3, 5 and
# the guide items of 10): a bad --when is refused before anything runs;
# the accounted question fits 80 columns and stops at q without Enter;
# the hotspots step and the in-use remedy name the call site holding the
# live bytes, not the one making the most calls; a few MiB seen in a short
# watch are info and never lead a cause of hundreds of MiB (a JVM whose
# Java heap is the answer); attached hotspots fit 80 columns and read an
# imbalance of a growing program as growth.
source "$(dirname "$0")/lib.sh"
MATRIX_STEP=guide
J() { jq -r "$1" "$2"; }

# --- a bad --when: refused (exit 2, one line) before the command runs ---
check_refused "guide --when '(': refused" "$MS" guide --batch --when '(' -- sh -c "touch '$TMP/launched'"
check_match "guide --when '(': the line says why" "$(cat "$TMP/err")" "^memsleuth guide: --when '\\(': not a POSIX extended regular expression"
check_eq "guide --when '(': nothing launched" "$(ls "$TMP/launched" 2>/dev/null | wc -l)" 0

# --- the hotspots step: the site holding live bytes, most calls apart ---
# churn() makes 20000 short-lived calls; keep() holds 400 x 64 KiB live
cat > "$TMP/twosites.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void *held[400];
__attribute__((noinline)) static void churn(void) { for (int i = 0; i < 20000; i++) { void *p = malloc(48); __asm__ volatile("" : : "r"(p) : "memory"); free(p); } }
__attribute__((noinline)) static void keep(void) { for (int i = 0; i < 400; i++) { held[i] = malloc(64 << 10); memset(held[i], 1, 64 << 10); } }
int main(void) { churn(); keep(); printf("holding\n"); fflush(stdout); pause(); return 0; }
C
cc -O1 -g -o "$TMP/twosites" "$TMP/twosites.c" || fail "twosites: cc"
"$MS" guide --batch --json --no-compare --watch 0 --when holding -- "$TMP/twosites" > "$TMP/ts.json" 2> "$TMP/ts.err"
check_eq "two sites: guide exit status" $? 0
HS='.steps[] | select(.name == "hotspots")'
if [ "$(J "$HS | .status" "$TMP/ts.json")" != done ]; then
	skip "two sites: the hotspots step did not run ($(J "$HS | .reason" "$TMP/ts.json"))"
else
	check_match "two sites: the step names the live site first" "$(J "$HS | .evidence[]" "$TMP/ts.json")" \
		"top call site by bytes live at the moment: keep\\+0x[0-9a-f]+ twosites\\.c:[0-9]+ \\(twosites\\), 25\\.0 MiB live, 400 calls"
	check_match "two sites: most calls on its own line" "$(J "$HS | .evidence[]" "$TMP/ts.json")" \
		"most calls: churn\\+0x[0-9a-f]+ twosites\\.c:[0-9]+ \\(twosites\\), 20000 calls, 0 B live"
	check_match "two sites: the verdict names the live site" "$(J "$HS | .verdict" "$TMP/ts.json")" \
		"^The most bytes still live at the moment were allocated at keep\\+0x[0-9a-f]+ twosites\\.c:[0-9]+ \\(twosites\\): 25\\.0 MiB of the 25\\.[0-9] MiB live in all call sites"
	check_match "two sites: the in-use remedy's so far is the live site" \
		"$(J '.causes[] | select(.kind == "in_use_unaccounted") | .remedies[0].expected_effect' "$TMP/ts.json")" \
		"^names the call sites whose blocks stay live; so far: keep\\+0x[0-9a-f]+ twosites\\.c:[0-9]+ \\(twosites\\), 25\\.0 MiB live$"
fi

# --- the accounted question at 80 columns: q without Enter stops ---
start_example growth running flat || exit 1; FLAT=$EX_PID
if command -v python3 >/dev/null; then
	PK="$(dirname "$0")/ptykeys.py"
	COLUMNS=80 NO_COLOR=1 python3 "$PK" --on 'q: stop)?' q -- "$MS" guide --watch 0 "$FLAT" > "$TMP/q.txt" 2>&1
	check_eq "prompt: q without Enter ends the guide, exit 0" "$(tail -1 "$TMP/q.txt")" "SENT=True EXIT=0"
	check_eq "prompt: the question, 77 columns and a space (the trial's was 84 at 80 columns)" \
		"$(grep -o '^   Memory the application believes.*q: stop)?' "$TMP/q.txt" | awk '{print length}')" 77
	check_match "prompt: stopped after step 1" "$(cat "$TMP/q.txt")" "Stopped before the last step"
	check_eq "prompt: no step 2" "$(grep -c 'Step 2/6' "$TMP/q.txt")" 0
	COLUMNS=80 NO_COLOR=1 python3 "$PK" --on 'q: stop)?' '50M\r' --on 'q: stop]' q -- "$MS" guide --watch 0 "$FLAT" \
		> "$TMP/a.txt" 2>&1
	check_match "prompt: a size and Enter is taken" "$(cat "$TMP/a.txt")" "the application accounts for 50\\.0 MiB \\(given at the prompt\\)"
else
	skip "prompt: no python3 for a pseudo-terminal"
fi

# --- growth severity: 2 MiB seen in 4 s is info ---
stop_example "$FLAT"
start_example growth running retain 512 12 || exit 1; RET=$EX_PID
"$MS" watch --json -i 0.5 -d 4 --walk-every 1 "$RET" | grep '"type":"summary"' > "$TMP/ret.sum"
k=$(J '.verdicts[0].kind' "$TMP/ret.sum")
if [ "$k" = retention ]; then
	check_eq "watch: retention of ~2 MiB in 4 s is info ($(J '.verdicts[0].text' "$TMP/ret.sum"))" "$(J '.verdicts[0].level' "$TMP/ret.sum")" info
else
	skip "watch: the 4 s watch did not fit a retention trend ($k) on this loaded machine"
fi
stop_example "$RET"

# --- a JVM whose Java heap is the answer: the watch never leads it ---
if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v jcmd >/dev/null; then
	skip "jvm heap: no JDK (java, javac, jcmd) on this host"
else
	javac -d "$TMP" "$(dirname "$0")/../../examples/runtimes/JavaHeapHold.java" || fail "jvm heap: javac"
	"$MS" guide --batch --json --no-compare --when 'phase=holding' -- java -Xmx512m -XX:NativeMemoryTracking=summary \
		-cp "$TMP" JavaHeapHold 300 40 > "$TMP/jh.json" 2> "$TMP/jh.err"
	check_eq "jvm heap: guide exit status" $? 0
	first_problem=$(J '[.verdicts[] | select(.level == "problem")][0].text' "$TMP/jh.json")
	check_match "jvm heap: the first problem is the JVM's own memory" "$first_problem" "belongs to the JVM"
	# a growth the 4 s watch saw (the JVM settling) comes after it, if at all
	rt=$(jq '[.verdicts[].text] | map(test("belongs to the JVM")) | index(true)' "$TMP/jh.json")
	gi=$(jq '[.verdicts[].text] | map(test("^Over the")) | index(true) // 99' "$TMP/jh.json")
	check_cmp "jvm heap: the runtime heap comes before the watch's growth ($(jq -c '[.verdicts[] | [.level, .text[0:50]]]' "$TMP/jh.json"))" "$rt" -lt "$gi"
fi

# --- attached guide on a server that leaks (trial5 T5-7): the watch sees
# in use grow, so hotspots attaches with --live and names the leaking site
# (remember_request), not the busiest one (scratch_round: frees all it takes)
if need_root "guide attached with bpftrace" && command -v bpftrace >/dev/null; then
	start_example growth running server 1024 || exit 1; GS=$EX_PID
	"$MS" guide --batch --json "$GS" >"$TMP/gs.json" 2>"$TMP/gs.txt"
	check_eq "guide PID (server leak): exit 0" "$?" 0
	hs='.steps[] | select(.name=="hotspots")'
	check_match "guide PID (server leak): hotspots attached with --live" "$(jq -r "$hs | .commands | join(\" \")" "$TMP/gs.json")" \
		"memsleuth hotspots --json --duration [0-9]+ --live $GS"
	check_match "guide PID (server leak): the verdict names the leaking site by live bytes" "$(jq -r "$hs | .verdict" "$TMP/gs.json")" \
		"^The most bytes still live at the end were allocated at remember_request"
	check_match "guide PID (server leak): the busiest site said apart, 0 B live" "$(jq -r "$hs | .evidence | join(\"|\")" "$TMP/gs.json")" \
		"most calls: scratch_round[^|]*, [0-9]+ calls, 0 B live"
	check_eq "guide PID (server leak): the in-use cause's remedy is hotspots --live" \
		"$(grep -c "memsleuth hotspots $GS --live" "$TMP/gs.txt")" "$(grep -c "memsleuth hotspots $GS" "$TMP/gs.txt")"
	stop_example "$GS"
fi

# --- attached hotspots at 80 columns; a growing program's imbalance ---
if need_root "attach with bpftrace" && command -v bpftrace >/dev/null; then
	start_example growth running leak 1024 || exit 1; GL=$EX_PID
	COLUMNS=80 "$MS" hotspots "$GL" --live --duration 3 > "$TMP/att.txt" 2> "$TMP/att.err"
	check_eq "attach: exit status" $? 0
	check_eq "attach: stderr lines fit 80 columns" "$(awk 'length > 80' "$TMP/att.err" | wc -l)" 0
	check_match "attach: Tracing line" "$(grep -m1 '^Tracing' "$TMP/att.err")" "^Tracing PID $GL \\(bpftrace uprobes on its libc\\)\\.\\.\\. Ctrl-C to end"
	lost=$(grep -o '; [0-9]* events lost' "$TMP/att.txt" | grep -o '[0-9]*')
	if [ "${lost:-0}" = 0 ]; then
		check_match "attach: the imbalance reads as growth, with its live bytes" "$(tr '\n' ' ' < "$TMP/att.txt" | tr -s ' ')" \
			"note: [0-9]+ more allocations than frees \\(100\\.0%\\), none counted lost: growth -- live bytes rose by [0-9.]+ MiB in the window"
		check_eq "attach: no loss warning" "$(grep -c 'warning: allocations and frees differ' "$TMP/att.txt")" 0
	else
		skip "attach: bpftrace lost $lost events: the imbalance is loss here"
	fi
	stop_example "$GL"
fi
