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

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
skip() { echo "SKIP $*"; }

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

stop_example() {
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true
}

need_root() {
	[ "$(id -u)" = 0 ] || { skip "$1: needs root (run as root; CI does)"; return 1; }
}
