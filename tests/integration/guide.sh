#!/usr/bin/env bash
# memsleuth guide on live workloads: the pin example's verdict with its real
# numbers (oracle: smaps' [heap] Rss, the pin's known chunk count), a step
# that is missing or writes bad JSON is reported and the guide goes on, a
# launched command is watched and always stopped, bad input gives one line.
source "$(dirname "$0")/lib.sh"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# ms_size_fmt's rendering: B under 1 KiB, else one decimal in KiB, MiB, GiB
sz() { awk -v b="$1" 'BEGIN { if (b < 1024) { printf "%d B", b; exit } split("KiB MiB GiB TiB", u); v = b / 1024; i = 1
	while (v >= 1024 && i < 4) { v /= 1024; i++ }; printf "%.1f %s", v, u[i] }'; }

# --- the pin example: 200,000 x 1 KiB freed under a 1-byte pin ----------
start_example pin freed --count 200000 || exit 1
heap_kb=$(awk '/\[heap\]/ { h = 1; next } h && /^Rss:/ { print $2; exit }' "/proc/$EX_PID/smaps")
"$MS" guide --batch --json --window 1 --accounted 1M "$EX_PID" >"$TMP/pin.json" 2>"$TMP/pin.err"
check_eq "guide on pin exits 0" "$?" 0
j=$TMP/pin.json
check_eq "steps in method order" "$(jq -r '[.steps[].name] | join(",")' "$j")" \
	"accounted,overview,arenas,hotspots,syscalls,remedies"
main_rss=$(jq '.steps[1].findings.classes[] | select(.class == "main_heap") | .rss_bytes' "$j")
check_within "main heap RSS in the guide vs smaps [heap] Rss" "$main_rss" $((heap_kb * 1024)) 1
check_cmp "the main heap holds the 200,000 KiB freed" "$main_rss" -ge $((200000 * 1024))
check_match "overview verdict: glibc's main heap, with its real size" \
	"$(jq -r '.steps[1].verdict' "$j")" "most of it in glibc's main heap \\($(mib "$main_rss")\\)"
check_eq "gap = RSS - accounted" "$(jq '.gap_bytes' "$j")" "$(jq '.rss_bytes - 1048576' "$j")"
check_match "arena-explosion branch skipped with its reason" "$(jq -r '.steps[1].evidence | join(" ")' "$j")" \
	"no arenas beyond main: the arena-explosion branch does not apply"
if [ "$(jq -r '.steps[2].status' "$j")" = done ]; then
	# arenas is in this build: the freed memory itself, 200,000 chunks of 1040 B
	free=$(jq '.free_resident_bytes' "$j")
	check_within "free memory glibc keeps = 200,000 chunks of 1040 B" "$free" 208000000 5
	check_match "arenas verdict: the main heap holds the freed memory" "$(jq -r '.steps[2].verdict' "$j")" \
		"glibc's main heap keeps $(mib "$free") of freed memory below live blocks"
else
	check_match "arenas missing: said plainly" "$(jq -r '.steps[2].reason' "$j")" "not available in this build yet"
	check_match "arenas missing: the main heap's size still concluded" "$(jq -r '.verdicts[].text' "$j")" \
		"glibc's main heap \\($(mib "$main_rss")\\)"
fi
check_eq "remedies reached" "$(jq -r '.steps[5].status' "$j")" done
check_match "remedies give the trim command for this PID" "$(jq -r '.steps[5].commands[0]' "$j")" "memsleuth trim $EX_PID"
# the printed compare runs where the target runs and samples when the guide looked
check_match "printed compare: target's cwd and the moment" "$(jq -r '.steps[5].commands[]' "$j" | grep -E '^[^#]*memsleuth compare')" \
	"^cd '$(readlink "/proc/$EX_PID/cwd")' && memsleuth compare --configs [a-z0-9,-]+ --final-after [0-9]+ -- $EX/pin"
if [ "$(jq -r '.steps[2].status' "$j")" = done ]; then
	# the arenas' summary counts their free tops (where arena_top_kept lives)
	check_match "arenas summary: the tops' free bytes" "$(jq -r '.steps[2].evidence[0]' "$j")" \
		"their tops .* free of which $(sz "$(jq '[.steps[2].findings.arenas[].top_resident_bytes] | add' "$j")") resident"
fi

# --- the report from the same findings: Markdown and JSON agree --------
"$BUILD/msreport" --markdown -o "$TMP/pin.md" "$j"
check_eq "msreport markdown exits 0" "$?" 0
md=$(cat "$TMP/pin.md")
rss=$(jq '.steps[1].findings.rss_bytes' "$j")
check_match "markdown carries the RSS in bytes" "$md" "\\| RSS \\| $(mib "$rss") \\| $rss bytes \\|"
check_match "markdown carries the main heap's RSS in bytes" "$md" "\\| main_heap \\| 1 \\| [^|]+ \\| $(mib "$main_rss") \\| $main_rss \\|"
n_md_rows=$(grep -cE '^\| (main_heap|arena_heap|malloc_mmap|thread_stack|file|anon_other|shmem|kernel) \|' "$TMP/pin.md")
check_eq "markdown has one row per class with mappings" "$n_md_rows" "$(jq '[.steps[1].findings.classes[] | select(.mappings > 0)] | length' "$j")"
check_match "markdown links its charts" "$md" '!\[RSS by memory class\]\(pin-[0-9]+\.svg\)'
svg=$(grep -o 'pin-[0-9]*\.svg' "$TMP/pin.md" | head -1)
check_eq "chart SVG beside the markdown" "$(head -c 4 "$TMP/$svg")" "<svg"
for v in $(jq -r '.verdicts[].text' "$j" | head -3 | cut -c1-60 | tr ' ' '~'); do
	v=${v//\~/ }
	grep -qF -- "$v" "$TMP/pin.md" && pass "verdict in markdown: ${v:0:40}..." || fail "verdict missing in markdown: $v"
done

# --- a missing step and a step with broken JSON: said, and the guide goes on
cat >"$TMP/steps" <<EOF
#!/bin/sh
case "\$1" in
arenas) echo "memsleuth arenas: not available in this build yet (tracked as issue #3; run 'memsleuth --help' for the steps that are)" >&2; exit 2 ;;
syscalls) printf '{"step": "syscalls",\n "totals": [1,}\n'; exit 0 ;;
esac
exec "$MS" "\$@"
EOF
chmod 700 "$TMP/steps"
MEMSLEUTH_STEPS=$TMP/steps "$MS" guide --batch --explain --window 1 "$EX_PID" >"$TMP/miss.txt" 2>&1
check_eq "guide with a missing step exits 0" "$?" 0
out=$(cat "$TMP/miss.txt")
check_match "missing step said plainly" "$out" "not available: memsleuth arenas: not available in this build yet \\(tracked +as issue #3"
check_match "broken JSON named with line:column" "$out" "failed: its JSON could not be read: memsleuth syscalls:2:15: expected +a +value"
check_match "the guide went on to the remedies" "$out" "Step 6/6: Which fix applies"
check_match "and concluded" "$out" "== Conclusions"
check_eq "--explain: a lesson for each of the six steps" "$(grep -c '^   lesson: ' "$TMP/miss.txt")" 6
stop_example "$EX_PID"

# --- guide -- CMD: looks when the command says so, stops it afterwards ---
"$MS" guide --batch --json --window 1 --no-compare -- "$EX/pin" --count 20000 --hold >"$TMP/cmd.json" 2>"$TMP/cmd.err"
check_eq "guide -- CMD exits 0" "$?" 0
lp=$(jq '.pid' "$TMP/cmd.json")
check_match "looked at the holding line" "$(jq -r '.looked_when' "$TMP/cmd.json")" "phase=freed rss_kb=[0-9]+ holding"
check_cmp "RSS sampled over time" "$(jq '.rss_timeline | length' "$TMP/cmd.json")" -ge 2
check_eq "the command line is recorded" "$(jq -r '.command' "$TMP/cmd.json")" "$EX/pin --count 20000 --hold"
if kill -0 "$lp" 2>/dev/null; then fail "launched command $lp left running"; kill -9 "$lp"; else pass "launched command stopped"; fi
# SIGINT in the middle of a step: the findings so far, the command stopped.
"$MS" guide --batch --json --no-compare -- "$EX/zlib_workers" --threads 2 --rounds 40 --evict --hold >"$TMP/int.json" 2>"$TMP/int.err" &
gp=$!
for _ in $(seq 1 300); do grep -q "running memsleuth hotspots" "$TMP/int.err" && break; sleep 0.05; done
kill -INT "$gp"; wait "$gp"
check_eq "SIGINT mid-step: exit 0 with the findings so far" "$?" 0
check_eq "SIGINT: stopped early" "$(jq '.stopped_early' "$TMP/int.json")" true
check_eq "SIGINT: remedies not reached" "$(jq -r '.steps[5].status' "$TMP/int.json")" "not reached"
ip=$(jq '.pid' "$TMP/int.json")
if kill -0 "$ip" 2>/dev/null; then fail "SIGINT: launched command $ip left running"; kill -9 "$ip"; else pass "SIGINT: launched command stopped"; fi
# anchored: memsleuth-guard, a fork of memsleuth with its command line,
# lives a moment after memsleuth to sweep; the command's own line starts with it
check_eq "SIGINT: nothing of it left" "$(pgrep -f -- "^$EX/zlib_workers --threads 2 --rounds 40 --evict" | wc -l)" 0
check_status "no matching line within --wait-max: error" 2 "$MS" guide --batch --when 'never-printed' --wait-max 1 -- "$EX/pin" --count 1237 --hold
check_match "one-line reason and way out" "$(cat "$TMP/err")" "^memsleuth guide: waiting 1 s for a line matching 'never-printed': no line matched in time \\(use --when"
check_eq "and the command was stopped" "$(pgrep -f -- "^$EX/pin --count 1237 --hold" | wc -l)" 0
check_status "command exits before the moment" 2 "$MS" guide --batch -- /bin/true
check_match "says it exited" "$(cat "$TMP/err")" "it exited before the moment to look"

# --- bad input: one line, a way out, exit 2 ------------------------------
check_status "no target" 2 "$MS" guide --batch
check_match "no target: says so" "$(cat "$TMP/err")" "no PID or command given"
check_status "bad size" 2 "$MS" guide --accounted 12Q 1
check_match "bad size: way out" "$(cat "$TMP/err")" "--accounted '12Q': not a size \\(write it like 512M"
check_status "bad report name" 2 "$MS" guide --report out.pdf 1
check_status "unknown option" 2 "$MS" guide --frobnicate 1
check_match "unknown option: hint" "$(cat "$TMP/err")" "--frobnicate: unknown option or missing argument \\(see 'memsleuth guide --help'\\)"
check_status "--when without -- CMD" 2 "$MS" guide --when x 1
check_status "PID that does not exist" 2 "$MS" guide --batch 999999999
check_eq "stderr is one line" "$(wc -l <"$TMP/err")" 1
for o in batch explain accounted report json when after wait-max window no-compare no-debuginfo help; do
	"$MS" guide --help | grep -q -- "--$o" && pass "guide --help lists --$o" || fail "guide --help lacks --$o"
done

# --- the case study's sentence on the bundled reproduction ---------------
"$MS" guide --batch --json --no-compare --accounted 8M --report "$TMP/z.md" \
	-- "$EX/zlib_workers" --threads 4 --rounds 100 --evict --hold >"$TMP/z.json" 2>"$TMP/z.err"
check_eq "guide -- zlib_workers exits 0" "$?" 0
z=$TMP/z.json
if [ "$(jq -r '.steps[2].status' "$z")" = done ] && [ "$(jq -r '.steps[3].status' "$z")" = done ]; then
	fr=$(jq '.free_resident_bytes' "$z") tp=$(jq '.trim_prediction_bytes' "$z")
	check_cmp "evicted caches leave freed memory in the arenas (> 10 MiB)" "$fr" -gt $((10 << 20))
	check_eq "cause: freed memory spread over the thread arenas" "$(jq -r '.causes[0].kind' "$z")" arena_spread
	check_within "its bytes: what malloc_trim would return (the arenas' prediction)" "$(jq '.causes[0].resident_bytes' "$z")" "$tp" 5
	check_match "conclusion: the cause, then who allocated" "$(jq -r '.verdicts[].text' "$z")" \
		"thread arenas each keep freed memory below live blocks, .*malloc_trim\\(0\\) would return it.*Thread [0-9]+ \\(inflater-0\\) made the most allocator calls"
	# the command has ended: no command names its PID, nor reruns this guide (the run just made)
	zp=$(jq '.pid' "$z")
	check_eq "remedies: no command names the stopped command's PID" "$(jq -r '.steps[5].commands[]' "$z" | grep -c " $zp\b")" 0
	check_eq "remedies: no self-rerun (memsleuth guide -- CMD) offered" "$(jq -r '.steps[5].commands[]' "$z" | grep -c '^memsleuth guide -- ')" 0
	check_match "remedies: trim said as a rerun's step, in words" "$(jq -r '.steps[5].evidence[]' "$z")" "in a rerun, memsleuth trim PID at the same moment"
	check_match "remedies verdict: a command to run first, not the advice" "$(jq -r '.steps[5].verdict' "$z")" "its first remedy: MALLOC_ARENA_MAX=2 "
	# oracle: the example's own count for worker 0 (10x the rounds of the others)
	w0=$(jq '[.steps[3].findings.threads[] | select(.name == "inflater-0")][0].calls' "$z")
	check_cmp "hotspots: inflater-0's calls are the most" "$w0" -ge "$(jq '[.steps[3].findings.threads[] | select(.name != "inflater-0") | .calls] | max' "$z")"
else
	check_match "arenas or hotspots missing: said plainly" "$(jq -r '.steps[2].reason, .steps[3].reason' "$z")" "not available in this build yet"
fi
# The guide's own Markdown and msreport's from its JSON are the same document.
"$BUILD/msreport" --markdown -o "$TMP/z2.md" "$z"
check_eq "guide --report FILE.md = msreport --markdown of its JSON" \
	"$(sed 's/z2-\([0-9]*\)\.svg/z-\1.svg/' "$TMP/z2.md" | diff - "$TMP/z.md" | wc -l)" 0
check_cmp "Markdown charts as SVG files beside it" "$(ls "$TMP"/z-*.svg | wc -l)" -ge 2
if [ "$(jq -r '.steps[3].status' "$z")" = done ]; then
	check_eq "hotspots findings name their step (embedded)" "$(jq -r '.steps[3].findings.step' "$z")" hotspots
	check_match "Markdown: the hotspot table" "$(cat "$TMP/z.md")" "\\| tid \\| thread \\| calls \\| bytes \\|"
fi

# --- bash completion reads the steps and options from --help -------------
comp() { bash -c 'source "$1"; shift; PATH=$BUILD:$PATH; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _memsleuth; echo "${COMPREPLY[*]}"' _ \
	"$(dirname "$0")/../../scripts/memsleuth.bash-completion" "$@"; }
check_eq "completion: steps" "$(comp memsleuth gu)" "guide"
check_eq "completion: a guide option" "$(comp memsleuth guide --no-c)" "--no-compare"

# --- every step: an unknown option is one line with a hint, exit 2 --------
for s in doctor overview arenas hotspots trim compare lab guide; do
	"$MS" "$s" --bogus-option 1 >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "^memsleuth $s: --bogus-option: unknown option.*(see 'memsleuth $s --help')" "$TMP/err"; then
		pass "$s: unknown option is one line with a hint"
	else
		fail "$s: unknown option gave exit $rc: $(head -c 200 "$TMP/err")"
	fi
done

# --- another allocator: glibc's arena steps skipped, saying why ------------
je=$(ls /usr/lib/*-linux-gnu/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$je" ]; then
	LD_PRELOAD=$je "$EX/pin" --count 20000 --hold >"$TMP/je.out" 2>&1 & jpid=$!; _pids+=("$jpid")
	for _ in $(seq 1 100); do grep -q holding "$TMP/je.out" && break; sleep 0.1; done
	"$MS" guide --batch --json --window 1 "$jpid" >"$TMP/je.json" 2>/dev/null
	check_eq "jemalloc: arenas skipped" "$(jq -r '.steps[2].status' "$TMP/je.json")" skipped
	check_match "jemalloc: the reason names the allocator" "$(jq -r '.steps[2].reason' "$TMP/je.json")" "the allocator is jemalloc, not glibc"
	check_match "jemalloc: no glibc remedy offered" "$(jq -r '.steps[5].verdict' "$TMP/je.json")" "not glibc: glibc's trim and arena settings do not apply"
	stop_example "$jpid"
else
	skip "jemalloc target: libjemalloc2 not installed"
fi

# --- a JVM with NMT on: the accounted figure is what it occupies: the
#     resident part of NMT's committed total --------------------------------
if command -v java >/dev/null && command -v javac >/dev/null && command -v jcmd >/dev/null; then
	printf 'public class Hold { public static void main(String[] a) throws Exception { System.out.println("ready"); System.out.flush(); Thread.sleep(120000); } }\n' >"$TMP/Hold.java"
	javac -d "$TMP" "$TMP/Hold.java" && {
		java -XX:NativeMemoryTracking=summary -Xmx64m -cp "$TMP" Hold >"$TMP/java.out" 2>&1 & jp=$!; _pids+=("$jp")
		for _ in $(seq 1 100); do grep -q ready "$TMP/java.out" && break; sleep 0.1; done
		"$MS" guide --batch --json --window 1 "$jp" >"$TMP/jvm.json" 2>/dev/null
		jcmd "$jp" VM.native_memory summary >"$TMP/nmt.txt"
		nmt_kb=$(sed -n 's/^Total: reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1/p' "$TMP/nmt.txt")
		heap_kb=$(sed -n 's/.*Java Heap (reserved=[0-9]*KB, committed=\([0-9]*\)KB).*/\1/p' "$TMP/nmt.txt")
		# the heap's range from GC.heap_info, its resident part from smaps (kB)
		range=$(jcmd "$jp" GC.heap_info | grep -o '\[0x[0-9a-f]*, 0x[0-9a-f]*)' | head -1 | tr -d '[),')
		set -- $range
		res_kb=$(awk -v lo=$(( $1 )) -v hi=$(( $2 )) '
			function hex(x,   i, n) { n = 0; for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1; return n }
			/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); s = hex(r[1]); e = hex(r[2]); in_ = s >= lo && e <= hi }
			/^Rss:/ && in_ { t += $2 } END { print t + 0 }' "/proc/$jp/smaps")
		# what NMT commits but never touches (the heap's rest, GC structures) is
		# not in the RSS: the accounted figure is the resident part, never more
		# than the anonymous RSS, never less than the Java heap's resident part
		check_match "JVM: accounted is the resident part of NMT's committed" "$(jq -r '.accounted_from' "$TMP/jvm.json")" "^the resident part of NMT's committed"
		acc=$(jq '.accounted_bytes' "$TMP/jvm.json")
		check_cmp "JVM: accounted <= RssAnon (/proc status)" "$acc" -le $(( $(awk '/^RssAnon:/ {print $2}' "/proc/$jp/status") * 1024 + (1 << 20) ))
		check_cmp "JVM: accounted >= the Java heap's resident part (GC.heap_info range, smaps)" "$acc" -ge $(( res_kb * 1024 ))
		check_cmp "JVM: accounted < NMT committed (the untouched heap and GC structures out)" "$acc" -lt $(( nmt_kb * 1024 ))
		stop_example "$jp"
	}
else
	skip "JVM with NMT: no JDK (java, javac, jcmd) on this host"
fi
