# hotspots attached without --live keeps counters only (trial 4, F-A): the
# LIVE AT END column says n/a (JSON null), not "0 B" at the leaking site,
# and after growth (more allocations than frees) the next command is the
# --live form that does give live bytes, not arenas.  Oracle: the workload
# (examples/growth leak) frees nothing.
source "$(dirname "$0")/lib.sh"
MATRIX_STEP=hotspots
need_root "attach with bpftrace" || exit 0
if ! command -v bpftrace >/dev/null; then
	skip "attach without --live: bpftrace not installed (scripts/install-deps)"
	exit 0
fi
start_example growth running leak 1024 || exit 1; LK=$EX_PID
"$MS" hotspots --duration 3 --json "$LK" >"$TMP/a.json" 2>"$TMP/a.err"
check_eq "attach (no --live): exit status" $? 0
if [ "$(jq '[.sites[].calls] | add // 0' "$TMP/a.json")" -lt 20 ]; then
	skip "attach (no --live): the kernel lost the probe hits ($(head -c 200 "$TMP/a.err"))"
	stop_example "$LK"; exit 0
fi
check_eq "attach (no --live): attach.live false" "$(jq .attach.live "$TMP/a.json")" false
check_eq "attach (no --live): every site's live_bytes is null, not 0" \
	"$(jq '[.sites[] | .live_bytes == null and .live_allocations == null] | all' "$TMP/a.json")" true
check_eq "attach (no --live): attach.live_bytes null" "$(jq .attach.live_bytes "$TMP/a.json")" null
check_eq "attach (no --live): frees of the leak: none" "$(jq '.frees // 0' "$TMP/a.json")" 0
check_match "attach (no --live): next after growth is --live" \
	"$(jq -r '[.verdicts[].next | select(. != "")][0]' "$TMP/a.json")" "^memsleuth hotspots $LK --live --duration 30\$"
"$MS" hotspots --duration 3 "$LK" >"$TMP/a.txt" 2>"$TMP/a.err"
row=$(grep -E '^ +[0-9,]+ +[0-9.]+ [KMG]?i?B +' "$TMP/a.txt" | grep -m1 -E 'leak|touched|main')
check_match "attach (no --live): LIVE AT END n/a at the leaking site" "$row" '^ +[0-9,]+ +[0-9.]+ [KMG]?i?B +n/a +n/a '
check_match "attach (no --live): says --live keeps live bytes" "$(cat "$TMP/a.txt")" 'not kept \(counters only\): --live keeps them'
check_match "attach (no --live): next --live" "$(grep -m1 'next:' "$TMP/a.txt")" "memsleuth hotspots $LK --live --duration 30"
stop_example "$LK"
