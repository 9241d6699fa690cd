#!/usr/bin/env bash
# compare on the 1-byte-pin example, checked against the workload's own
# account: for each configuration, memsleuth's median final RSS next to the
# RSS the example itself reads (/proc/self/statm) at its freed phase, run by
# hand with the same environment.  Prints medians and the ratio.
# usage: bench/compare_pin.sh [RUNS] [COUNT]      (default 5 runs, 500000 blocks)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5} count=${2:-500000}
MS=build/memsleuth EX=build/examples/pin
out=$(mktemp -d "${TMPDIR:-/tmp}/ms-bench.XXXXXX"); trap 'rm -rf "$out"' EXIT
t0=$(date +%s.%N)
"$MS" compare --runs "$runs" --json -- "$EX" --count "$count" --hold >"$out/c.json" 2>/dev/null
t1=$(date +%s.%N)
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
printf '%-26s %14s %14s %7s\n' config memsleuth_MiB own_line_MiB ratio
jq -r '.runs[] | select(.available) | [.config, (.preload // "-"), (.env | join(" ") | if . == "" then "-" else . end), .final_rss_bytes] | join("|")' "$out/c.json" |
while IFS='|' read -r cfg pre envs fin; do
	[ "$pre" = - ] && pre=""
	[ "$envs" = - ] && envs=""
	for _ in $(seq "$runs"); do
		env -u MALLOC_ARENA_MAX -u GLIBC_TUNABLES -u MALLOC_CONF ${pre:+LD_PRELOAD=$pre} $envs \
			"$EX" --count "$count" --hold >"$out/ex.out" 2>&1 &
		p=$!
		for _ in $(seq 600); do grep -q holding "$out/ex.out" && break; kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		sed -n 's/.*phase=freed rss_kb=\([0-9]*\).*/\1/p' "$out/ex.out"
		kill "$p"; wait "$p" 2>/dev/null || true
	done | median >"$out/own"
	own=$(( $(cat "$out/own") * 1024 ))
	awk -v c="$cfg" -v m="$fin" -v o="$own" 'BEGIN { printf "%-26s %14.1f %14.1f %7.3f\n", c, m/1048576, o/1048576, m/o }'
done
awk -v s="$t0" -v e="$t1" -v r="$runs" 'BEGIN { printf "\ncompare: %d configurations x %d runs in %.1f s\n", 13, r, e - s }'
