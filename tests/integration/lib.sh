# Shared by the integration tests: assertions that print one PASS/FAIL line
# each (tests/run-all counts them), and starting/stopping example workloads
# so that nothing is left running.  Source it; do not run it.
set -u
: "${BUILD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
MS="$BUILD/memsleuth"
EX="$BUILD/examples"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/memsleuth-it.XXXXXX")
_pids=()

_cleanup() {
	for p in "${_pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap _cleanup EXIT

pass() { echo "PASS $*"; _matrix_note pass "$*"; }
fail() { echo "FAIL $*"; _matrix_note fail "$*"; }
skip() { echo "SKIP $*"; _matrix_note skip "$*"; }

# The portability matrix (docs/portability.md, `make portability`).  With
# MEMSLEUTH_RESULTS=FILE set, every assertion made while a row is set
# appends one tab-separated line to FILE:
#   STATUS RELEASE CONTAINER DEBUGINFO ALLOCATOR STEP NAME
# STATUS is pass, fail, skip or refused.  STEP is the assertion name's first
# word when it names a step ("arenas bullseye: ..."), else MATRIX_STEP, so
# a new check joins the matrix by its name alone.
MATRIX_ROW="" MATRIX_STEP=""
# matrix_row RELEASE CONTAINER DEBUGINFO ALLOCATOR
matrix_row() { MATRIX_ROW="$1	$2	$3	$4"; }
_matrix_note() {
	[ -n "${MEMSLEUTH_RESULTS:-}" ] && [ -n "$MATRIX_ROW" ] || return 0
	local step=${2%%[ :]*}
	case $step in doctor|overview|arenas|hotspots|syscalls|trim) ;; *) step=$MATRIX_STEP ;; esac
	[ -n "$step" ] || return 0
	printf '%s\t%s\t%s\t%s\n' "$1" "$MATRIX_ROW" "$step" "$(printf '%s' "$2" | tr '\t\n' '  ' | head -c 300)" >> "$MEMSLEUTH_RESULTS"
}
# check_refused NAME CMD... : the step refuses this target the way steps
# must (exit 2, one line naming the reason); the matrix cell shows that line.
check_refused() {
	local name=$1; shift
	"$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l < "$TMP/err")" = 1 ]; then
		echo "PASS $name (refused: $(cat "$TMP/err"))"
		_matrix_note refused "$name: $(cat "$TMP/err")"
	else
		fail "$name: exit $rc, expected a refusal (exit 2, one line); stderr: $(head -c 300 "$TMP/err")"
	fi
}

# ready_pid_in FILE: wait (up to 60 s) for a "READY pid N" line in FILE; print N
ready_pid_in() {
	local p
	for _ in $(seq 1 600); do
		p=$(sed -n 's/.*READY pid \([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

# check_eq NAME ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', expected '$3'"; fi
}
# check_match NAME TEXT REGEX
check_match() {
	if printf '%s' "$2" | tr '\n' ' ' | grep -Eq -- "$3"; then pass "$1"; else fail "$1: '$(printf '%s' "$2" | head -c 300)' does not match /$3/"; fi
}
# check_within NAME ACTUAL EXPECTED PERCENT  (integers)
check_within() {
	local a=$2 e=$3 pct=$4
	local d=$(( a > e ? a - e : e - a ))
	if [ "$e" -ne 0 ] && [ $(( d * 10000 / (e < 0 ? -e : e) )) -le $(( pct * 100 )) ]; then
		pass "$1 ($a vs $e, within $pct%)"
	else
		fail "$1: $a vs $e differ by more than $pct%"
	fi
}
# check_cmp NAME A OP B   (integer comparison: -lt -le -eq -ge -gt)
check_cmp() {
	if [ "$2" "$3" "$4" ]; then pass "$1 ($2 $3 $4)"; else fail "$1: not $2 $3 $4"; fi
}
# check_status NAME EXPECTED CMD...  (runs CMD, compares exit status)
check_status() {
	local name=$1 want=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
	if [ "$rc" = "$want" ]; then pass "$name (exit $rc)"; else fail "$name: exit $rc, expected $want; stderr: $(head -c 300 "$TMP/err")"; fi
}

# start_example NAME PHASE ARGS... : runs build/examples/NAME ARGS --hold in
# the background and waits until it prints "phase=PHASE".  Sets EX_PID and
# EX_OUT (its stdout file).
start_example() {
	local name=$1 phase=$2; shift 2
	EX_OUT="$TMP/$name.$RANDOM.out"
	"$EX/$name" "$@" --hold >"$EX_OUT" 2>&1 &
	EX_PID=$!
	_pids+=("$EX_PID")
	local i
	for i in $(seq 1 600); do
		grep -q "phase=$phase" "$EX_OUT" 2>/dev/null && return 0
		kill -0 "$EX_PID" 2>/dev/null || { echo "example $name died: $(cat "$EX_OUT")"; return 1; }
		sleep 0.1
	done
	echo "example $name did not reach phase $phase in 60 s"; return 1
}

# start_rt NAME CMD...: runs a runtime's example (examples/runtimes/) in the
# background until it prints "holding"; sets RT_PID and RT_OUT (its stdout)
start_rt() {
	local name=$1; shift
	RT_OUT="$TMP/$name.out"
	"$@" >"$RT_OUT" 2>"$TMP/$name.err" &
	RT_PID=$!
	_pids+=("$RT_PID")
	for _ in $(seq 1 1200); do
		grep -q holding "$RT_OUT" 2>/dev/null && return 0
		kill -0 "$RT_PID" 2>/dev/null || { fail "$name died: $(head -c 300 "$TMP/$name.err")"; return 1; }
		sleep 0.1
	done
	fail "$name: not holding after 120 s"; return 1
}

stop_example() {
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true
}

# Independent oracles from /proc, shared by the tests.
rollup_rss() { awk '/^Rss:/ {print $2 * 1024}' "/proc/$1/smaps_rollup"; }
# arena heaps the way a person would count them in maps: 64 MiB aligned
# anonymous rw-p directly followed by ---p reaching the next 64 MiB boundary
maps_heap_count() {
	local n=0 prev_rw=0 ps=0 pe=0 range perms rest s e inode
	while read -r range perms _ _ inode rest; do
		s=$((16#${range%-*})); e=$((16#${range#*-}))
		if [ "$prev_rw" = 1 ] && [ "$perms" = "---p" ] && [ -z "$rest" ] && [ "$inode" = 0 ] &&
		   [ "$s" = "$pe" ] && [ "$e" -ge $((ps + 67108864)) ]; then n=$((n + 1)); fi
		prev_rw=0
		[ "$perms" = "rw-p" ] && [ -z "$rest" ] && [ "$inode" = 0 ] && [ $((s % 67108864)) = 0 ] && prev_rw=1
		ps=$s pe=$e
	done < "/proc/$1/maps"
	echo "$n"
}

need_root() {
	[ "$(id -u)" = 0 ] || { skip "$1: needs root (run as root; CI does)"; return 1; }
}
