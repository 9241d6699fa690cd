#!/usr/bin/env bash
# Every one-liner of docs/oneliners.md still works here: the stap ones
# compile for the bpf runtime (memsleuth stap --stap-opt=-p4: no run), the
# bpftrace ones run against the workload named in the comment before them
# (<!-- test: WORKLOAD ARGS | REGEX -->, $1 -> cpid) and print a line
# matching REGEX.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC=$ROOT/docs/oneliners.md
need_root "one-liners" || exit 0

n=0
if command -v stap >/dev/null && "$BUILD/stap-bpf-setup" >/dev/null 2>&1; then
	while IFS= read -r line; do
		n=$((n + 1))
		cmd=${line% PID*}                 # drop the target: compile only
		args=${line#"$cmd" PID}
		eval "set -- ${cmd#memsleuth stap } $args"
		"$MS" stap --runtime bpf --stap-opt=-p4 "$@" >"$TMP/s$n.out" 2>"$TMP/s$n.err"
		check_eq "oneliners.md stap #$n compiles for the bpf runtime${args:+ ($args)}" "$?" 0
		[ -s "$TMP/s$n.err" ] && grep -v '^memsleuth stap: compiling' "$TMP/s$n.err" | head -3
	done < <(grep '^memsleuth stap ' "$DOC")
	check_eq "oneliners.md: stap one-liners found" "$n" 5
else
	skip "stap one-liners: stap or its bpf runtime set-up missing"
fi

command -v bpftrace >/dev/null || { skip "bpftrace one-liners: bpftrace not installed"; exit 0; }
n=0
test_line=""
while IFS= read -r line; do
	case $line in
	'<!-- test: '*)
		test_line=${line#'<!-- test: '}
		test_line=${test_line%' -->'}
		continue ;;
	"bpftrace -e '"*) ;;
	*) continue ;;
	esac
	n=$((n + 1))
	work=${test_line%% | *}
	want=${test_line#* | }
	prog=$(printf '%s' "$line" | sed "s/^bpftrace -e '//; s/' PID\$//; s/\\\$1/cpid/g")
	timeout 120 bpftrace -e "$prog" -c "$EX/$work" >"$TMP/b$n.out" 2>"$TMP/b$n.err"
	if grep -Eq -- "$want" "$TMP/b$n.out"; then
		pass "oneliners.md bpftrace #$n on $work: $(grep -Em1 -- "$want" "$TMP/b$n.out")"
	else
		fail "oneliners.md bpftrace #$n on $work: no line /$want/; $(grep -v RLIMIT "$TMP/b$n.err" | head -2)"
	fi
	test_line=""
done < "$DOC"
check_eq "oneliners.md: bpftrace one-liners found" "$n" 5
