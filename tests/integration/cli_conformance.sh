#!/usr/bin/env bash
# Every step and helper against the one command-line convention (docs/cli.md):
# options before and after the PID, -h/--help, -V/--version, -j/--json,
# --opt=value, a wrong order and a missing operand.  Checked: exit status,
# one-line errors, JSON validity with schema_version and memsleuth_version,
# no line of text wider than 100 columns on a pipe, and the numbers of the
# JSON in the text.
#
# "Every number of the JSON appears in the text", the interpretation
# checked (on a held PID, where two runs see the same state; a launched
# command's figures differ run to run): the JSON carries the step's conclusions (verdicts[].text) with
# their numbers, and the text prints the same conclusions, wrapped; so each
# verdict's text must appear in the text output with all whitespace
# collapsed (wrapping may move a number to the next line, never drop it).
# And every top-level integer field ending in _bytes that the text names
# (rss_bytes, ...) appears in the size form the text uses ("N B", or one
# decimal and KiB/MiB/GiB).  Other JSON numbers are details the text need
# not repeat (addresses, timings, per-chunk lists).
. "$(dirname "$0")/lib.sh"

unset COLUMNS
export NO_COLOR=1
STEPS="doctor overview arenas hotspots syscalls trim compare lab guide watch stap"
HELPERS="heapwalk symres msreport stap-bpf-setup"
prog_path() { case $1 in doctor|overview|arenas|hotspots|syscalls|trim|compare|lab|guide|watch|stap) echo "$MS $1" ;; *) echo "$BUILD/$1" ;; esac; }

# run NAME TIMEOUT CMD...: output in $TMP/o, $TMP/e, status in $rc
run() {
	local t=$1; shift
	timeout -k 5 "$t" "$@" </dev/null >"$TMP/o" 2>"$TMP/e"; rc=$?
}
width() { awk '{ l = length($0); if (l > m) m = l } END { print m + 0 }' "$1"; }
one_line_err() { [ "$(wc -l <"$TMP/e")" = 1 ]; }

version=$("$MS" --version | awk '{print $2}')

# --- help, version, unknown option: every program ---------------------------
for p in $STEPS $HELPERS; do
	cmd=$(prog_path "$p")
	for h in -h --help; do
		run 20 $cmd $h
		if [ $rc = 0 ] && [ -s "$TMP/o" ] && [ "$(width "$TMP/o")" -le 100 ] && grep -q 'Exit status' "$TMP/o"; then
			pass "$p $h: exit 0, $(wc -l <"$TMP/o") lines, at most $(width "$TMP/o") wide, states the exit status"
		else
			fail "$p $h: exit $rc, width $(width "$TMP/o"), stderr: $(head -c 200 "$TMP/e")"
		fi
	done
	for v in -V --version; do
		run 20 $cmd $v
		name=${p}; case " $STEPS " in *" $p "*) name="memsleuth $p" ;; esac
		check_match "$p $v: '$name $version (git ...)'" "$(cat "$TMP/o")" "^$name $version \(git [^)]+\)$"
	done
	run 20 $cmd --bogus-option
	if [ $rc = 2 ] && one_line_err && grep -q -- '--bogus-option' "$TMP/e"; then
		pass "$p --bogus-option: exit 2, one line"
	else
		fail "$p --bogus-option: exit $rc, stderr: $(head -c 300 "$TMP/e")"
	fi
done

# --- every letter a --help shows: the table's, or the program's own ---------
# (docs/cli.md: "| -X | --long |" rows, and "| prog | -X | --long |" own letters)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
for p in $STEPS $HELPERS; do
	bad=$($(prog_path "$p") --help 2>/dev/null | grep -oE '^  -[A-Za-z], --[a-z-]+' | while read -r l; do
		x=${l%%,*} x=${x// /} long=${l##* }
		grep -qE "^\| $x \| $long \|" "$ROOT/docs/cli.md" || grep -qE "^\| $p \| $x \| $long \|" "$ROOT/docs/cli.md" || echo "$x $long"
	done | tr '\n' ' ')
	check_eq "$p --help: every short letter is docs/cli.md's (or its listed own)" "$bad" ""
done
# stap's own letters (docs/cli.md) parsed as stap's: -x PID, -c CMD, -e SCRIPT
run 20 "$MS" stap -e 'probe begin { exit() }' -x 999999999 -c true
check_match "stap -e -x -c: its own letters understood (two targets refused)" "$rc $(cat "$TMP/e")" "^2 .*(one target|no such process)"
run 20 "$MS" watch -c glibc 1
check_match "watch -c: not given (the table's -c is --configs)" "$rc $(cat "$TMP/e")" "^2 .*-c: unknown option"

# --- missing operand and wrong order: one line with what was understood -----
for p in overview arenas trim syscalls hotspots guide heapwalk watch stap; do
	cmd=$(prog_path "$p")
	run 20 $cmd
	if [ $rc = 2 ] && one_line_err && grep -q 'usage: ' "$TMP/e"; then
		pass "$p without a PID: exit 2, one line with the form ($(cut -c1-80 "$TMP/e")...)"
	else
		fail "$p without a PID: exit $rc, stderr: $(head -c 300 "$TMP/e")"
	fi
done
start_example pin freed || exit 1
PID=$EX_PID
for p in overview arenas trim guide watch; do
	run 20 $(prog_path "$p") "$PID" 1
	if [ $rc = 2 ] && one_line_err && grep -q "understood PID $PID, then '1'" "$TMP/e"; then
		pass "$p PID 1: exit 2, says what it understood"
	else
		fail "$p PID 1: exit $rc, stderr: $(head -c 300 "$TMP/e")"
	fi
done
run 20 "$MS" compare "$PID"
check_match "compare PID: a command follows --" "$rc $(cat "$TMP/e")" "^2 .*follows --"
run 20 "$MS" overview -p "$PID" "$((PID + 1))"
check_match "-p PID and another PID operand: refused" "$rc $(cat "$TMP/e")" "^2 .*understood PID $PID"

# --- JSON before and after the PID, --opt=value, text width, numbers --------
# json_ok NAME FILE: valid, schema_version an integer > 0, memsleuth_version
json_ok() {
	local v
	v=$(jq -r '[(.schema_version | type == "number" and . > 0 and . == floor), .memsleuth_version] | @tsv' "$2" 2>/dev/null)
	check_eq "$1: valid JSON with schema_version and memsleuth_version" "$v" "true	$version"
}
collapse() { tr -s ' \n\t' '   ' <"$1"; }
# numbers_in_text NAME JSON TEXT: the interpretation stated at the top
numbers_in_text() {
	local name=$1 j=$2 t=$3 missing=0 n=0 v
	local text; text=$(collapse "$t")
	while IFS= read -r v; do
		[ -n "$v" ] || continue
		n=$((n + 1))
		v=$(printf '%s' "$v" | tr -s ' \n\t' '   ')
		case $text in *"$v"*) ;; *) missing=$((missing + 1)); echo "    not in the text: $v" ;; esac
	done < <(jq -r '.verdicts[]?.text' "$j")
	for key in rss_bytes; do
		v=$(jq -r ".$key // empty" "$j")
		[ -n "$v" ] || continue
		n=$((n + 1))
		f=$(awk -v b="$v" 'BEGIN { if (b < 1024) { printf "%d B", b; exit } split("KiB MiB GiB TiB PiB", u); v = b / 1024; i = 1;
			while (v >= 1024 && i < 5) { v /= 1024; i++ } printf "%.1f %s", v, u[i] }')
		case $text in *"$f"*) ;; *) missing=$((missing + 1)); echo "    not in the text: $key $v ($f)" ;; esac
	done
	if [ "$missing" = 0 ]; then pass "$name: the JSON's $n numbered conclusions and sizes are in the text"
	else fail "$name: $missing of $n conclusions or sizes of the JSON missing from the text"; fi
}
# conform NAME TIMEOUT TEXTARGS -- : the step with options after the PID
# (text), before it (-j), after it (--json); same schema both ways.
conform() {
	local name=$1 t=$2; shift 2
	local before=() after=()
	while [ "$1" != "::" ]; do before+=("$1"); shift; done; shift
	after=("$@")
	run "$t" "${after[@]}"
	cp "$TMP/o" "$TMP/text"
	if [ $rc = 0 ] && [ -s "$TMP/text" ]; then
		check_cmp "$name (options after the PID): text no wider than 100 on a pipe" "$(width "$TMP/text")" -le 100
	else
		fail "$name (options after the PID): exit $rc, stderr: $(head -c 300 "$TMP/e")"
	fi
	run "$t" "${before[@]}"
	cp "$TMP/o" "$TMP/j1"
	[ $rc = 0 ] || fail "$name (-j before the PID): exit $rc, stderr: $(head -c 300 "$TMP/e")"
	json_ok "$name -j before the PID" "$TMP/j1"
	# --json after the PID, before a launched command's --
	local withj=() seen=0 x
	for x in "${after[@]}"; do
		[ "$x" = -- ] && [ $seen = 0 ] && { withj+=(--json); seen=1; }
		withj+=("$x")
	done
	[ $seen = 1 ] || withj+=(--json)
	run "$t" "${withj[@]}"
	cp "$TMP/o" "$TMP/j2"
	[ $rc = 0 ] || fail "$name (--json after the PID): exit $rc, stderr: $(head -c 300 "$TMP/e")"
	json_ok "$name --json after the PID" "$TMP/j2"
	check_eq "$name: the same document kind either way" "$(jq -r .step "$TMP/j1")" "$(jq -r .step "$TMP/j2")"
	# numbers only where both runs look at the same held state: a PID, not a
	# launched command (whose thread ids and figures differ run to run)
	case " ${after[*]} " in *" -- "*) return ;; esac
	if jq -e '.verdicts' "$TMP/j2" >/dev/null 2>&1 || jq -e '.rss_bytes' "$TMP/j2" >/dev/null 2>&1; then
		numbers_in_text "$name" "$TMP/j2" "$TMP/text"
	fi
}
conform "doctor" 60 "$MS" doctor -j "$PID" :: "$MS" doctor "$PID" --color=never
conform "overview" 60 "$MS" overview -j -a 8M "$PID" :: "$MS" overview "$PID" --accounted=8M
conform "arenas" 120 "$MS" arenas -j "$PID" :: "$MS" arenas "$PID" --limit=5 --chunks
conform "heapwalk" 120 "$BUILD/heapwalk" -j -p "$PID" :: "$BUILD/heapwalk" "$PID" --bins
conform "trim (not confirmed: nothing done)" 60 "$MS" trim -j "$PID" :: "$MS" trim "$PID" --timeout=5
conform "syscalls" 120 "$MS" syscalls -j -d 1 "$PID" :: "$MS" syscalls "$PID" --duration=1
conform "hotspots (launch)" 120 "$MS" hotspots -j -d 20 -- "$EX/pin" --count 100 :: "$MS" hotspots --top=3 -- "$EX/pin" --count 100
conform "hotspots (attach)" 120 "$MS" hotspots -j -d 1 "$PID" :: "$MS" hotspots "$PID" --duration=1
conform "lab" 120 "$MS" lab -j pin :: "$MS" lab pin --allocator=glibc
conform "compare" 300 "$MS" compare -j -c glibc -n 1 -- "$EX/pin" --hold :: "$MS" compare --configs=glibc --runs=1 -- "$EX/pin" --hold
# one duration form everywhere (cli/args.c ms_args_seconds)
for form in "compare -i 0 --list" "watch -i 0.05 1" "hotspots -d 0 -- true" "syscalls -d 2x -- true" "guide --watch 3601 1"; do
	run 20 "$MS" $form
	check_eq "$form: refused (exit 2)" "$rc" 2
	check_match "$form: the one duration message" "$(head -1 "$TMP/e")" "(give [0-9.e+]+ to [0-9.e+]+ seconds|not a number of seconds \(e\.g\. 10, 0\.5, 500ms, 2m\))"
done
# one count form everywhere (cli/args.c ms_args_count): one line naming the
# option and its value, exit 2
for form in "compare --runs 0 --list" "compare --timeout 1.5 --list" "watch --samples x 1" "watch --walk-every=0 1" \
	    "hotspots --top 0 -- true" "hotspots --stacks=99 -- true" "trim --timeout=0 1" "arenas --limit=-1 1"; do
	run 20 "$MS" $form
	opt=${form#* }; opt=${opt%% *}; opt=${opt%%=*}
	check_eq "$form: refused (exit 2, one line)" "$rc $(wc -l <"$TMP/e")" "2 1"
	check_match "$form: the one count message" "$(cat "$TMP/e")" \
		"^memsleuth [a-z]+: $opt [^ ]+: (give -?[0-9]+ (to [0-9]+|or more)|not a whole number \(e\.g\. 10\)) \(usage: "
done
run 20 "$BUILD/heapwalk" --limit=x 1
check_match "heapwalk --limit=x: the one count message" "$rc $(cat "$TMP/e")" "^2 heapwalk: --limit x: not a whole number"
run 20 "$MS" compare -i 10ms --list
check_eq "compare -i 10ms: accepted (seconds, like watch's -i)" "$rc" 0
run 20 "$MS" compare --list --json
json_ok "compare --list --json" "$TMP/o"
check_cmp "compare --list --json: every configuration" "$(jq '.configurations | length' "$TMP/o")" -ge 10
check_eq "compare --list --json: each with name, what, allocator, env; glibc's default first" \
	"$(jq -c '[.configurations[0].name, .configurations[0].allocator, all(.configurations[]; (.name | type) == "string" and (.what | type) == "string" and (.allocator | type) == "string" and (.env | type) == "array")]' "$TMP/o")" '["glibc","glibc",true]'
# watch: NDJSON (one document per line, each with the envelope), so its own check
run 60 "$MS" watch -j -d 1 "$PID"
check_eq "watch -j before the PID: every line with schema_version and memsleuth_version" \
	"$rc $(jq -c "select((.schema_version | type) != \"number\" or .memsleuth_version != \"$version\")" "$TMP/o" | wc -l) $(wc -l <"$TMP/o")" "0 0 $(wc -l <"$TMP/o")"
check_cmp "watch -j: at least a sample, the summary and the end" "$(wc -l <"$TMP/o")" -ge 3
run 60 "$MS" watch "$PID" --duration=1 --interval=0.5
check_cmp "watch (options after the PID): text no wider than 100 on a pipe" "$rc$(width "$TMP/o")" -le 100
conform "guide" 300 "$MS" guide -j -b --window 1 "$PID" :: "$MS" guide "$PID" --batch --window=1
"$MS" overview --json "$PID" >"$TMP/ov.json"
run 20 "$BUILD/msreport" "$TMP/ov.json" --text
check_cmp "msreport --text (options after the file): no wider than 100" "$(width "$TMP/o")" -le 100
run 20 "$BUILD/msreport" --output="$TMP/ov.html" --html "$TMP/ov.json"
check_match "msreport --output=FILE: written" "$rc $(head -c 15 "$TMP/ov.html")" "^0 <!DOCTYPE html>"
cp "/proc/$PID/maps" "$TMP/maps"
addr=0x$(awk '/libc.so/ {print $1; exit}' "$TMP/maps" | cut -d- -f1)
run 20 "$BUILD/symres" "$addr" --maps="$TMP/maps"
check_eq "symres ADDR --maps=FILE: options after the address, same as -p" "$(cat "$TMP/o")" "$("$BUILD/symres" -p "$PID" "$addr")"

# --- the exit rule: --fail-on --------------------------------------------------
check_status "arenas without --fail-on: exit 0 whatever it found" 0 "$MS" arenas "$PID"
# --fail-on compares with the worst verdict printed (ms_verdicts_worst):
# pin holds ~500 MiB of freed memory resident (a problem); vsz_threads has a
# large VSZ and a few MiB resident (address space, not memory: no problem)
# (overview alone sees heap, not what in it is free: the arena walk names it)
check_status "pin: arenas --fail-on problem: exit 1 (~500 MiB freed but resident)" 1 "$MS" arenas "$PID" --fail-on problem
check_status "overview --fail-on=bogus: exit 2" 2 "$MS" overview "$PID" --fail-on=bogus
stop_example "$PID"
start_example vsz_threads idle || exit 1
VSZ=$EX_PID
for p in overview arenas; do
	check_status "vsz_threads: $p --fail-on problem: exit 0 (VSZ $(( $(awk '{print $1}' /proc/$VSZ/statm) * $(getconf PAGESIZE) / 1048576 )) MiB, little resident)" \
		0 "$MS" $p "$VSZ" --fail-on problem
done
stop_example "$VSZ"

# --- $TMPDIR: every temporary file and directory goes there ------------------
# An unusable TMPDIR makes each step that needs a temporary file fail at
# once with exit 2, naming it: proof that it asked there, not in /tmp.
# (tracefs and ptrace tracing, watch, compare make none.)  A facility this
# host lacks fails on its own first: SKIP.
badtmp=/proc/no-such-tmpdir
tmp_case() {
	local name=$1; shift
	TMPDIR=$badtmp timeout -k 5 60 "$@" </dev/null >"$TMP/o" 2>"$TMP/e"; local rc=$?
	if [ "$rc" = 2 ] && grep -q "$badtmp" "$TMP/e"; then pass "TMPDIR honoured: $name (exit 2 naming it)"
	elif [ "$rc" = 2 ]; then skip "TMPDIR: $name: not usable here: $(head -1 "$TMP/e")"
	else fail "TMPDIR not honoured: $name: exit $rc, stderr: $(head -c 300 "$TMP/e")"; fi
}
tmp_case "hotspots -- CMD (the log directory)" "$MS" hotspots -- true
tmp_case "guide -- CMD (its work directory)" "$MS" guide -b -- true
tmp_case "syscalls --backend bpftrace (its stderr file)" "$MS" syscalls --backend bpftrace -- true
tmp_case "syscalls --backend stap-bpf (the stap work directory)" "$MS" syscalls --backend stap-bpf -- true
tmp_case "stap SCRIPT (the stap work directory)" "$MS" stap "$(dirname "$0")/stap/mprotect_native.stp" -c true
start_example pin freed --count 100 || exit 1
tmp_case "hotspots PID (the bpftrace script)" "$MS" hotspots -d 1 "$EX_PID"
stop_example "$EX_PID"
