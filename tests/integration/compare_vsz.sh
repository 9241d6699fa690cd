#!/usr/bin/env bash
# compare under an address-space limit (trial5 T5-11): VSZ per run (VmSize
# at the line, VmPeak), ranked by VSZ when RLIMIT_AS is near the default's
# VmPeak, and a configuration that breaks on the limit (mimalloc: a thread
# stack's mmap fails with ENOMEM) named as such, not as a timer problem.
# Oracle: VmSize in /proc/PID/status of the same program under the same
# limit.  Workload: examples/vsz_threads, 40 threads (a 64 MiB arena
# heap each up to the cap, an 8 MiB stack each).
source "$(dirname "$0")/lib.sh"

LIMIT_KB=1600000
W="$EX/vsz_threads"
vmsize() {   # VmSize (bytes) of the program at its line, with env $@
	(ulimit -v $LIMIT_KB; env "$@" "$W" --threads 40 --hold >"$TMP/o" 2>/dev/null & p=$!
	 for _ in $(seq 1 200); do grep -q holding "$TMP/o" && break; sleep 0.05; done
	 awk '/^VmSize:/ { print $2 * 1024 }' /proc/$p/status; kill $p; wait $p 2>/dev/null)
}
o_def=$(vmsize X=1)
o_two=$(vmsize MALLOC_ARENA_MAX=2)
if [ -z "$o_def" ] || [ "$o_def" -lt $((LIMIT_KB * 1024 * 3 / 4)) ]; then
	skip "compare VSZ: the default's VmSize ($o_def) is not near the limit on this host"
	exit 0
fi
cfgs=glibc,glibc-arena-max-2
have_mi=0
if ls /usr/lib/*/libmimalloc.so* >/dev/null 2>&1; then cfgs=$cfgs,mimalloc; have_mi=1; fi
(ulimit -v $LIMIT_KB; "$MS" compare --json --runs 1 -c $cfgs -- "$W" --threads 40 --hold >"$TMP/j.json" 2>/dev/null)
check_eq "under ulimit -v: exit 0" "$?" 0
J="$TMP/j.json"
fv() { jq -r --arg c "$1" '.runs[] | select(.config == $c) | .final_vsz_bytes' "$J"; }
check_eq "JSON: RLIMIT_AS and ranked by VSZ (auto)" "$(jq -c '[.rlimit_as_bytes, .ranked_by]' "$J")" "[$((LIMIT_KB * 1024)),\"vsz\"]"
check_within "the default's final VSZ = its VmSize in /proc" "$(fv glibc)" "$o_def" 2
check_within "MALLOC_ARENA_MAX=2's final VSZ = its VmSize in /proc" "$(fv glibc-arena-max-2)" "$o_two" 2
check_eq "peak VSZ >= final VSZ" "$(jq '[.runs[] | select(.runs_ok > 0) | .peak_vsz_bytes >= .final_vsz_bytes] | all' "$J")" true
check_eq "the arena cap recommended, judged on VSZ" "$(jq -r '[.recommendation.config, (.runs[] | select(.config == "glibc-arena-max-2") | .effect)] | join(" ")' "$J")" "glibc-arena-max-2 lower"
check_match "the text says VSZ" "$(jq -r .recommendation.text "$J")" '^Use glibc-arena-max-2 .*: the final VSZ is [0-9.]+ MiB instead of 1\.[0-9] GiB with glibc.s default \([67][0-9]% less'
if [ $have_mi = 1 ]; then
	check_match "mimalloc: fails under the address-space limit, with its VmPeak" \
		"$(jq -r '.runs[] | select(.config == "mimalloc") | .address_space_failure' "$J")" \
		'^fails under the address-space limit \(VmPeak 1\.[0-9] GiB of RLIMIT_AS 1\.5 GiB\)$'
	(ulimit -v $LIMIT_KB; COLUMNS=200 "$MS" compare --runs 1 -c glibc,mimalloc -- "$W" --threads 40 --hold >"$TMP/t" 2>/dev/null)
	check_match "text: the failure named, not the timer" "$(grep '^failed  mimalloc' "$TMP/t")" \
		'^failed  mimalloc: fails under the address-space limit \(VmPeak 1\.[0-9] GiB of RLIMIT_AS 1\.5 GiB\): exit status 1'
	check_eq "text: no --final-after advice" "$(grep -c 'final-after' "$TMP/t")" 0
else
	skip "mimalloc under the limit: libmimalloc not installed"
fi
# --rank-by rss ranks by RSS whatever the limit; without a limit auto is RSS
(ulimit -v $LIMIT_KB; "$MS" compare --json --runs 1 --rank-by rss -c glibc,glibc-arena-max-2 -- "$W" --threads 40 --hold >"$TMP/r.json" 2>/dev/null)
check_eq "--rank-by rss" "$(jq -r .ranked_by "$TMP/r.json")" rss
"$MS" compare --json --runs 1 -c glibc -- "$W" --threads 4 --hold >"$TMP/n.json" 2>/dev/null
check_eq "no limit: RSS, rlimit null" "$(jq -c '[.ranked_by, .rlimit_as_bytes]' "$TMP/n.json")" '["rss",null]'
check_status "--rank-by bogus: exit 2" 2 "$MS" compare --rank-by bogus -- true
