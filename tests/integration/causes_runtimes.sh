# The cause model on real runtimes (examples/runtimes/): CPython's own
# allocator named with its own tools, Node's zlib churn (trim first, no
# arena cap), a JVM's native leak judged against NMT's malloc line with
# the allocator steps run.  Bytes against the runtime's own figures
# (sys._debugmallocstats, jcmd) and /proc.
source "$(dirname "$0")/lib.sh"
RT=$(cd "$(dirname "$0")/../../examples/runtimes" && pwd)
cmds() { jq -r '[.causes[].remedies[].command] | join("\n")' "$1"; }
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }

# --- CPython: pymalloc's arenas hold it ------------------------------------
if command -v python3 >/dev/null; then
	if N=600000 STATS=1 start_rt obmalloc python3 "$RT/obmalloc.py"; then
		"$MS" overview --json "$RT_PID" >"$TMP/py.json" 2>/dev/null
		check_eq "python: the runtime recognised" "$(jq -r .runtime "$TMP/py.json")" cpython
		c=$(cause "$TMP/py.json" runtime_heap)
		check_eq "python: the largest cause is CPython's heap" "$(jq -r '.causes[0].kind + "/" + .causes[0].runtime' "$TMP/py.json")" runtime_heap/cpython
		check_match "python: CPython's allocator named" "$(jq -r .text <<<"$c")" "CPython's own small-object allocator \\(pymalloc"
		check_match "python: tracemalloc is the next step" "$(jq -r '.remedies[0].command' <<<"$c")" "^(cd '[^']+' && )?PYTHONTRACEMALLOC=25 "
		# oracle: CPython's own count of its arenas
		total=$(sed -n 's/^[0-9]* arenas \* [0-9]* bytes\/arena *= *\([0-9,]*\)$/\1/p' "$TMP/obmalloc.err" | tail -1 | tr -d ,)
		check_within "python: bytes = pymalloc's arenas (sys._debugmallocstats)" "$(jq -r .resident_bytes <<<"$c")" "${total:-1}" 5
		check_eq "python: no glibc remedy offered" "$(cmds "$TMP/py.json" | grep -c 'ARENA_MAX\|memsleuth trim')" 0
		stop_example "$RT_PID"
	fi
else
	skip "python: no python3"
fi

# --- Node: zlib churn in the main heap --------------------------------------
if command -v node >/dev/null; then
	if ROUNDS=3 CONCURRENT=2000 start_rt zlib node --expose-gc "$RT/zlib_churn.js"; then
		"$MS" arenas --json "$RT_PID" >"$TMP/nd.json" 2>/dev/null
		check_eq "node: arenas found the main arena" "$(jq '[.arenas[] | select(.is_main)] | length' "$TMP/nd.json")" 1
		check_eq "node: the largest cause is main_heap_pinned" "$(jq -r '.causes[0].kind' "$TMP/nd.json")" main_heap_pinned
		check_match "node: trim first" "$(cmds "$TMP/nd.json" | head -1)" "^memsleuth trim $RT_PID$"
		check_eq "node: no arena cap among the remedies" "$(cmds "$TMP/nd.json" | grep -c 'ARENA_MAX')" 0
		# oracle: the [heap] mapping's RSS in /proc, less the main arena's live chunks
		heap=$(awk '/\[heap\]/ {on = 1; next} on && /^Rss:/ {print $2 * 1024; exit}' "/proc/$RT_PID/smaps")
		inuse=$(jq '[.arenas[] | select(.is_main) | .in_use_bytes][0]' "$TMP/nd.json")
		check_within "node: main_heap_pinned = [heap] RSS less its live chunks (/proc)" \
			"$(jq -r '.causes[0].resident_bytes' "$TMP/nd.json")" $((heap - inuse)) 5
		stop_example "$RT_PID"
	fi
else
	skip "node: not installed"
fi

# --- JVM: a native leak outside NMT's bookkeeping ---------------------------
if command -v javac >/dev/null && command -v jcmd >/dev/null; then
	# -Xint: no JIT, whose arenas would move NMT's malloc line while we look
	javac -d "$TMP" "$RT/NativeLeak.java" 2>"$TMP/javac.err" || fail "jvm: javac: $(head -c 200 "$TMP/javac.err")"
	if start_rt jleak java -Xint -Xmx256m -XX:NativeMemoryTracking=summary -cp "$TMP" NativeLeak 3000; then
		"$MS" guide --batch --json "$RT_PID" >"$TMP/jv.json" 2>"$TMP/jv.err"
		check_eq "jvm: guide exits 0" "$?" 0
		check_eq "jvm: the allocator steps run (arenas)" "$(jq -r '.steps[2].status' "$TMP/jv.json")" done
		c=$(cause "$TMP/jv.json" in_use_unaccounted)
		check_match "jvm: native memory outside the JVM's bookkeeping" "$(jq -r .text <<<"$c")" "outside the JVM's bookkeeping"
		check_match "jvm: gap judged on what is resident" "$(jq -r .accounted_from "$TMP/jv.json")" "^the resident part of NMT's committed"
		# live malloc memory beyond NMT's malloc line is outside the accounted figure: it shows in the gap
		ub=$(jq -r .resident_bytes <<<"$c")
		check_cmp "jvm: the gap holds the native memory outside NMT" "$(jq '.gap_bytes // 0' "$TMP/jv.json")" -ge $((ub - ub / 10))
		# oracle: NMT's own malloc line, read here with jcmd
		nmt=$(jcmd "$RT_PID" VM.native_memory summary | sed -n 's/^ *malloc: \([0-9]*\)KB.*/\1/p' | head -1)
		live=$(jq '.steps[2].findings | .totals.in_use_bytes + .mmapped_bytes' "$TMP/jv.json")
		check_within "jvm: unaccounted = glibc's live bytes less NMT's malloc line (jcmd)" "$(jq -r .evidence.unaccounted_bytes <<<"$c")" \
			$((live - ${nmt:-0} * 1024)) 5
		# the cause is the resident part: at most the live bytes' resident part (pagemap)
		lres=$(jq '.steps[2].findings | .totals.in_use_resident_bytes + .mmapped_found_resident_bytes' "$TMP/jv.json")
		check_eq "jvm: bytes = the unaccounted bytes' resident part at most" "$(jq -r .resident_bytes <<<"$c")" \
			"$(jq -r --argjson r "$lres" '[.evidence.unaccounted_bytes, $r] | min' <<<"$c")"
		check_cmp "jvm: never above the RSS" "$(jq -r .resident_bytes <<<"$c")" -le "$(jq -r .rss_bytes "$TMP/jv.json")"
		check_cmp "jvm: live malloc memory well above NMT's malloc line" "$live" -gt $((2 * ${nmt:-0} * 1024))
		check_eq "jvm: no trim or arena cap for the leak" "$(jq -r '.remedies[].command' <<<"$c" | grep -c 'trim\|ARENA_MAX')" 0
		stop_example "$RT_PID"
	fi
else
	skip "jvm: no JDK"
fi
