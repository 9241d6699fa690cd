#!/usr/bin/env bash
# Text that fits the terminal (report/table.c, cli/wrap.c) at COLUMNS=60
# and 200, beside cli_conformance.sh's 100 on a pipe: for doctor, overview,
# arenas --bins and compare, no line wider than COLUMNS, every value of the
# JSON still in the text (wrapping moves text to the next line, never
# drops it: compared with all whitespace removed, which also joins a path
# broken after a '/'), and specific header cells still over their column
# (a left-aligned column's title starts where its cells start, a
# right-aligned one's ends where they end), or, where a table cannot fit,
# its record layout ("name: value").  Plus the colour policy (--color,
# NO_COLOR) and the guide's pause answering 'q' without Enter on a tty.
. "$(dirname "$0")/lib.sh"

export NO_COLOR=1
# run COLS TIMEOUT CMD...: text in $TMP/o, status in $rc
run() {
	local cols=$1 t=$2; shift 2
	COLUMNS=$cols timeout -k 5 "$t" "$@" </dev/null >"$TMP/o" 2>"$TMP/e"; rc=$?
}
widest() { LC_ALL=C.UTF-8 wc -L <"$1"; }
squash() { tr -d ' \n\t' <"$1"; }
# size FORM of bytes as the text prints it (util/size.c: "N B", one decimal and KiB..)
size() { awk -v b="$1" 'BEGIN { if (b < 1024) { printf "%d B", b; exit } split("KiB MiB GiB TiB PiB", u); v = b / 1024; i = 1;
	while (v >= 1024 && i < 5) { v /= 1024; i++ } printf "%.1f %s", v, u[i] }'; }
# col FILE LINE-ERE TOKEN start|end: the column (1-based) where TOKEN starts
# or ends on the first line matching LINE-ERE; 0 when absent.  Spaces
# around TOKEN (" 1 ": the whole number) only find it, they are not counted.
col() {
	awk -v re="$2" -v tok="$3" -v which="$4" '$0 ~ re { i = index($0, tok); if (!i) { print 0; exit }
		lead = match(tok, /^ +/) ? RLENGTH : 0; trail = match(tok, / +$/) ? RLENGTH : 0
		print (which == "start" ? i + lead : i + length(tok) - 1 - trail); found = 1; exit }
		END { if (!found) print 0 }' "$1"
}
# aligned NAME FILE HEAD-ERE HEAD-TOKEN ROW-ERE ROW-TOKEN start|end
aligned() {
	local h r
	h=$(col "$2" "$3" "$4" "$7") r=$(col "$2" "$5" "$6" "$7")
	if [ "$h" != 0 ] && [ "$h" = "$r" ]; then pass "$1: '$4' and '$6' share their column's $7 ($h)"
	else fail "$1: '$4' at $h, '$6' at $r (column $7)"; fi
}
# present NAME FILE VALUE...: every value in the text, whitespace aside
present() {
	local name=$1 text missing=0 n=0 v; text=$(squash "$2"); shift 2
	for v in "$@"; do
		n=$((n + 1))
		v=${v//[[:space:]]/}
		case $text in *"$v"*) ;; *) missing=$((missing + 1)); echo "    not in the text: $v" ;; esac
	done
	if [ $missing = 0 ] && [ $n -gt 0 ]; then pass "$name: all $n values of the JSON in the text"
	else fail "$name: $missing of $n values of the JSON missing from the text"; fi
}
fits() { check_cmp "$1: no line wider than $2 (widest $(widest "$3"))" "$(widest "$3")" -le "$2"; }

start_example pin freed || exit 1
PID=$EX_PID
"$MS" doctor -q -j "$PID" >"$TMP/doctor.json" 2>/dev/null
"$MS" overview -j --accounted 8M "$PID" >"$TMP/overview.json"
"$MS" arenas -j --bins "$PID" >"$TMP/arenas.json"
"$MS" compare -j --runs 1 --configs glibc,glibc-arena-max-2 -- "$EX/pin" --count 20000 --hold >"$TMP/compare.json" 2>/dev/null

for W in 60 200; do
	# --- doctor: check, ok, what was found (the long column wraps in place) ---
	run $W 60 "$MS" doctor -q "$PID"
	cp "$TMP/o" "$TMP/doctor.$W"
	fits "doctor COLUMNS=$W" $W "$TMP/o"
	mapfile -t vals < <(jq -r '.checks[] | .name, .status, .detail' "$TMP/doctor.json" | grep -v '^cgroup' )
	present "doctor COLUMNS=$W: every check's name, state and finding" "$TMP/o" "${vals[@]}"
	aligned "doctor COLUMNS=$W" "$TMP/o" '^  check ' ok '^  root ' yes start
	aligned "doctor COLUMNS=$W" "$TMP/o" '^  check ' what '^  root ' effective start
	aligned "doctor COLUMNS=$W" "$TMP/o" '^  check ' what '^  memory_read ' process_vm_readv start

	# --- overview: the classes' table, numbers right-aligned ---------------
	run $W 60 "$MS" overview --accounted 8M "$PID"
	cp "$TMP/o" "$TMP/overview.$W"
	fits "overview COLUMNS=$W" $W "$TMP/o"
	mapfile -t vals < <(jq -r '.verdicts[].text, (.classes[] | select(.mappings > 0) | .class, (.mappings | tostring))' "$TMP/overview.json")
	vals+=("$(size "$(jq -r .rss_bytes "$TMP/overview.json")")")
	present "overview COLUMNS=$W: conclusions, classes, mapping counts, RSS" "$TMP/o" "${vals[@]}"
	pct=$(grep -m1 -E '^  main_heap ' "$TMP/o" | grep -oE '[0-9]+\.[0-9]%' | head -1)
	aligned "overview COLUMNS=$W" "$TMP/o" '^  class ' 'rss%' '^  main_heap ' "$pct" end
	aligned "overview COLUMNS=$W" "$TMP/o" '^  class ' maps '^  main_heap ' ' 1 ' end
	aligned "overview COLUMNS=$W" "$TMP/o" '^  class ' what '^  main_heap ' glibc start

	# --- arenas --bins: the arenas' table (records at 60), the bins' table --
	run $W 60 "$MS" arenas --bins "$PID"
	cp "$TMP/o" "$TMP/arenas.$W"
	fits "arenas --bins COLUMNS=$W" $W "$TMP/o"
	mapfile -t vals < <(jq -r '.verdicts[].text, (.arenas[].bins[] | .index, .count | tostring)' "$TMP/arenas.json")
	for b in $(jq -r '.arenas[].bins[].free_bytes' "$TMP/arenas.json"); do vals+=("$(size "$b")"); done
	present "arenas --bins COLUMNS=$W: conclusions, every bin's index, count and bytes" "$TMP/o" "${vals[@]}"
	aligned "arenas --bins COLUMNS=$W (bins)" "$TMP/o" '^    list ' count '^    tcache ' ' 7 ' end
	aligned "arenas --bins COLUMNS=$W (bins)" "$TMP/o" '^    list ' list '^    tcache ' tcache start
	main=$(jq -r '.main_arena' "$TMP/arenas.json")
	if [ $W = 200 ]; then
		aligned "arenas COLUMNS=$W (arenas)" "$TMP/o" '^  ARENA ' ARENA "^  $main" "$main" start
		aligned "arenas COLUMNS=$W (arenas)" "$TMP/o" '^  ARENA ' HEAPS "^  $main" ' 1 ' end
	else
		check_match "arenas COLUMNS=$W: the arenas' table as records (ARENA: ADDR main, HEAPS: 1)" \
			"$(grep -A1 -E "^  ARENA: $main main" "$TMP/o" | tr '\n' '|')" "^  ARENA: $main main\|    HEAPS: 1\|$"
	fi

	# --- compare: ranked runs (two panels at 60) ----------------------------
	run $W 120 "$MS" compare --runs 1 --configs glibc,glibc-arena-max-2 -- "$EX/pin" --count 20000 --hold
	cp "$TMP/o" "$TMP/compare.$W"
	fits "compare COLUMNS=$W" $W "$TMP/o"
	mapfile -t vals < <(jq -r '.runs[] | .config, (.rank | tostring)' "$TMP/compare.json")
	present "compare COLUMNS=$W: every configuration and its rank" "$TMP/o" "${vals[@]}"
	if [ $W = 200 ]; then
		aligned "compare COLUMNS=$W" "$TMP/o" '^rank ' config '^   [12]  ' glibc start
		aligned "compare COLUMNS=$W" "$TMP/o" '^rank ' runs '^   [12]  ' 1/1 start
		aligned "compare COLUMNS=$W" "$TMP/o" '^rank ' 'final RSS' '^   1  ' ' MiB ' end
	else   # two panels, rank and config heading both, every value whole
		check_eq "compare COLUMNS=$W: the runs in two panels (rank, config in each)" \
			"$(grep -cE '^rank  config ' "$TMP/o") $(grep -cE '^ +[12]  glibc(-arena-max-2)? ' "$TMP/o")" "2 4"
		check_cmp "compare COLUMNS=$W: final RSS with its unit" "$(grep -cE '^ +1  glibc.* [0-9.]+ MiB ' "$TMP/o")" -ge 1
	fi
done

# --- trial 10: at 80 and 100 columns (the pipe's default) a value keeps its
#     unit and a configuration name stays whole: every size of the JSON and
#     every name appears verbatim on one line (not only with whitespace
#     squashed, as present() checks) -------------------------------------
# verbatim NAME FILE VALUE...: each value on one line of the text
verbatim() {
	local name=$1 f=$2 missing=0 n=0 v; shift 2
	for v in "$@"; do
		n=$((n + 1))
		grep -qF -- "$v" "$f" || { missing=$((missing + 1)); echo "    split or missing: $v"; }
	done
	if [ $missing = 0 ] && [ $n -gt 0 ]; then pass "$name: all $n values whole on a line"
	else fail "$name: $missing of $n values split across lines or missing"; fi
}
for W in 80 100; do
	run $W 60 "$MS" arenas "$PID"
	cp "$TMP/o" "$TMP/arenas.$W"
	fits "arenas COLUMNS=$W" $W "$TMP/o"
	vals=()
	for b in $(jq -r '.arenas[] | .system_mem_bytes, .in_use_bytes, .free_bytes, .top_bytes' "$TMP/arenas.json"); do
		vals+=("$(size "$b")")
	done
	verbatim "arenas COLUMNS=$W: sizes with their unit" "$TMP/o" "${vals[@]}"
	run $W 120 "$MS" compare --runs 1 --configs glibc,glibc-tunable-arena-max-2 -- "$EX/pin" --count 20000 --hold
	cp "$TMP/o" "$TMP/compare2.$W"
	fits "compare COLUMNS=$W" $W "$TMP/o"
	check_cmp "compare COLUMNS=$W: the long configuration name whole in the table" \
		"$(grep -cE '^ +[12]  glibc-tunable-arena-max-2 ' "$TMP/o")" -ge 1
	check_eq "compare COLUMNS=$W: no name broken at a '-'" "$(grep -cE -- '-$' "$TMP/o")" 0
	check_match "compare COLUMNS=$W: a table (panels if need be), not records" "$(head -12 "$TMP/o")" '(^| )rank  config '
done

# --- one colour policy: --color and NO_COLOR, the same in every step --------
esc=$'\033['
for s in overview arenas; do
	COLUMNS=100 timeout 60 "$MS" $s --color=always "$PID" </dev/null >"$TMP/c" 2>/dev/null
	check_cmp "$s --color=always on a pipe: colour sequences" "$(grep -cF "$esc" "$TMP/c")" -ge 1
	COLUMNS=100 env -u NO_COLOR timeout 60 "$MS" $s "$PID" </dev/null >"$TMP/c" 2>/dev/null
	check_eq "$s on a pipe (auto): no colour" "$(grep -cF "$esc" "$TMP/c")" 0
done
if command -v script >/dev/null; then
	# on a terminal: colour unless NO_COLOR or --color=never
	script -qec "env -u NO_COLOR $MS overview $PID" /dev/null </dev/null >"$TMP/c" 2>&1
	check_cmp "overview on a terminal: colour" "$(grep -cF "$esc" "$TMP/c")" -ge 1
	script -qec "env NO_COLOR=1 $MS overview $PID" /dev/null </dev/null >"$TMP/c" 2>&1
	check_eq "overview on a terminal with NO_COLOR: none" "$(grep -cF "$esc" "$TMP/c")" 0
	script -qec "env -u NO_COLOR $MS overview --color=never $PID" /dev/null </dev/null >"$TMP/c" 2>&1
	check_eq "overview on a terminal with --color=never: none" "$(grep -cF "$esc" "$TMP/c")" 0
else
	skip "colour on a terminal: no script(1) (bsdutils)"
fi

# --- the guide's pause: 'q' without Enter on a terminal ----------------------
if command -v python3 >/dev/null; then
	# colour by the same policy as every step: on a terminal, unless NO_COLOR
	for nc in unset 1; do
		if [ $nc = unset ]; then e="env -u NO_COLOR"; want=1; else e="env NO_COLOR=1"; want=0; fi
		timeout -k 5 170 $e python3 "$(dirname "$0")/ptykeys.py" --on 'q: stop]' q -- "$MS" guide --watch 0 --accounted 8M "$PID" >"$TMP/g" 2>&1
		sed "s/$(printf '\033')\[[0-9;]*m//g" "$TMP/g" >"$TMP/g.plain"
		check_match "guide on a terminal (NO_COLOR $nc): 'q' at the first pause stops it without Enter, conclusions printed, exit 0" \
			"$(grep -c '^== Step' "$TMP/g.plain") $(grep -c '^== Conclusions' "$TMP/g.plain") $(tail -1 "$TMP/g")" "^1 1 SENT=True EXIT=0.?$"
		check_eq "guide on a terminal (NO_COLOR $nc): headings in bold: $([ $want = 1 ] && echo yes || echo no)" \
			"$(grep -cF "$esc" "$TMP/g" | awk '{print ($1 > 0)}')" $want
	done
else
	skip "guide's pause on a terminal: no python3 for a pty"
fi
stop_example "$PID"

# --- hotspots at 60 and 40 columns: every site table keeps its CALL SITE ----
# (a table's name column is never dropped: the numbers first, the name
# wrapped under its row; trial4 F-E).  Oracle: the sites of --json.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
if command -v g++ >/dev/null && g++ -O2 -g -o "$TMP/two_callers" "$REPO/tests/fixtures/cxx/two_callers.cc"; then
	(cd "$TMP" && "$MS" hotspots --stacks 4 --output "$TMP/hsrec" --record-only -- ./two_callers >/dev/null 2>&1)
	"$MS" hotspots --from "$TMP/hsrec" --json >"$TMP/hs.json" 2>/dev/null
	names=$(jq -r '.sites[] | select(.function | length < 28) | "\(.function)+0x\(.offset | tostring)"' "$TMP/hs.json" |
		while read -r n; do printf '%s+0x%x\n' "${n%+0x*}" "${n##*+0x}"; done)
	check_cmp "oracle: the fixture's short-named sites (Cache::fill, Log::add, Cache::trim...)" "$(printf '%s\n' "$names" | grep -c .)" -ge 3
	run 200 60 "$MS" hotspots --from "$TMP/hsrec"
	cp "$TMP/o" "$TMP/hs200"
	for w in 60 40; do
		run $w 60 "$MS" hotspots --from "$TMP/hsrec"
		tables=$(grep -c '^Top call sites' "$TMP/o")
		missing=0
		while read -r n; do   # as many rows name it as at 200 columns, whole
			[ "$(grep -cF -- "$n" "$TMP/o")" = "$(grep -cF -- "$n" "$TMP/hs200")" ] ||
				{ missing=$((missing + 1)); echo "  not whole in every row: $n"; }
		done <<<"$names"
		check_eq "hotspots at $w columns: every row of the $tables site tables names its site whole (as at 200)" "$missing" 0
		check_eq "hotspots at $w columns: each CALLS header has CALL SITE on it or right under it (no panel of numbers alone)" \
			"$(awk '/^ +CALLS / { n++; h = NR; if (/CALL SITE/) ok++ } NR == h + 1 && /^ +CALL SITE$/ { ok++ }
				/^ +(LIVE AT|END)$/ && NR == h + 1 { h = NR } END { print n "/" ok }' "$TMP/o")" "$tables/$tables"
		check_cmp "hotspots at $w columns: no line wider than $w" "$(widest "$TMP/o")" -le $w
	done
else
	skip "hotspots at narrow widths: no g++ to build the C++ fixture"
fi
