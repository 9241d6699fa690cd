# watch on a growth that stops and on a steady leak (trial 4, F-C): the
# shape of the trend (grew, then flat: when it stopped, what it added) and
# what grew (free kept in the holes between kept blocks, named with its
# bytes as fragmentation), against independent oracles: the workload's own
# clock for when it stopped, /proc's RSS before and after, and `arenas`
# reading the idle heap at the end; the steady leak's rate against the rate
# the workload keeps against the clock.
source "$(dirname "$0")/lib.sh"
MATRIX_STEP=watch
J() { jq -r "$1" "$2"; }
summary() { grep '"type":"summary"' "$1"; }

# growth plateau 5: on SIGUSR1, 5 s of rounds (every 0.6 s, 100,000 blocks,
# 9 of 10 freed, every 10th kept), then flat; the leak: 200 KiB/s of 4 KiB
# blocks never freed (trial 4's leak.c rate), both watched for 13 s
start_example growth running plateau 5 || exit 1; PL=$EX_PID; PL_OUT=$EX_OUT
start_example growth running leak 200 || exit 1; LK=$EX_PID
"$MS" watch --json -i 0.5 -d 13 --walk-every 1 "$PL" >"$TMP/pl.ndjson" 2>"$TMP/pl.err" & w1=$!
"$MS" watch --json -i 0.5 -d 13 --walk-every 1 "$LK" >"$TMP/lk.ndjson" 2>"$TMP/lk.err" & w2=$!
# the growth begins once the watch has its first sample: RSS before it
for i in $(seq 1 300); do grep -q '"type":"sample"' "$TMP/pl.ndjson" 2>/dev/null && break; sleep 0.1; done
rss0=$(rollup_rss "$PL")
kill -USR1 "$PL"
wait $w1; check_eq "plateau: exit status" $? 0
wait $w2; check_eq "leak: exit status" $? 0
rss1=$(rollup_rss "$PL")
"$MS" arenas --json "$PL" >"$TMP/pl-arenas.json" 2>/dev/null
summary "$TMP/pl.ndjson" >"$TMP/pl.sum"
summary "$TMP/lk.ndjson" >"$TMP/lk.sum"

# when it stopped: the workload's CLOCK_MONOTONIC when its last round's
# blocks were touched (RSS grows no more after it), on the watch's clock
# (started_monotonic_s); the first flat sample comes within one sample
# (0.5 s) after it, 0.1 s allowed for a loaded machine
until_mono=$(sed -n 's/^touched_until_mono=\([0-9.]*\) .*/\1/p' "$PL_OUT")
rel=$(awk -v u="$until_mono" -v t0="$(J .started_monotonic_s "$TMP/pl.sum")" 'BEGIN { printf "%.3f", u - t0 }')
for c in rss in_use free_kept; do
	check_eq "plateau: $c trend stopped" "$(J .trends.$c.trend "$TMP/pl.sum")" stopped
done
st=$(J .trends.rss.stopped_at_s "$TMP/pl.sum")
check_eq "plateau: RSS stopped at ${st} s, the workload's last blocks were touched at ${rel} s: within one sample" \
	"$(awk -v s="$st" -v r="$rel" 'BEGIN { print (s >= r - 0.1 && s <= r + 0.6) ? "yes" : "no" }')" yes
check_within "plateau: RSS added (grown_bytes) vs /proc's RSS change" \
	"$(J .trends.rss.grown_bytes "$TMP/pl.sum")" $(( rss1 - rss0 )) 5
check_eq "plateau: verdict" "$(J '.verdicts[0].kind' "$TMP/pl.sum")" growth_stopped
check_eq "plateau: not a problem" "$(J '.verdicts[0].level' "$TMP/pl.sum")" notice
text=$(J '.verdicts[0].text' "$TMP/pl.sum")
check_match "plateau: says it stopped and what grew, fragmentation" "$text" \
	'^growth stopped at t=[0-9]+ s, flat for the last [0-9]+ s: in use \+[0-9.]+ [KM]iB and free kept \+[0-9.]+ MiB: glibc keeps freed memory in holes between live blocks \(fragmentation\); malloc_trim\(0\) would return [0-9.]+ (B|KiB) '
case "$text" in *"not the allocator"*) fail "plateau: 'not the allocator' said of free kept";; *) pass "plateau: no 'not the allocator'";; esac
# free kept then = what arenas reads of the idle heap (a page per arena)
na=$(jq '.arenas | length' "$TMP/pl-arenas.json")
fk=$(J .trends.free_kept.last_bytes "$TMP/pl.sum")
ar=$(jq '[.arenas[] | .free_resident_bytes + .top_resident_bytes] | add' "$TMP/pl-arenas.json")
check_cmp "plateau: free kept $fk = arenas' free resident $ar within a page per arena ($na)" \
	$(( fk > ar ? fk - ar : ar - fk )) -le $(( 4096 * na ))
check_within "plateau: the free kept added vs arenas' free resident - the first sample's" \
	"$(J .trends.free_kept.grown_bytes "$TMP/pl.sum")" \
	$(( ar - $(J .trends.free_kept.first_bytes "$TMP/pl.sum") )) 1
check_eq "plateau: next is what arenas hold" "$(J '.verdicts[0].next' "$TMP/pl.sum")" "memsleuth arenas $PL"
stop_example "$PL"

# the steady leak still grows, at its rate (4 KiB blocks: 4112-byte chunks)
check_eq "leak 200 KiB/s: verdict" "$(J '.verdicts[0].kind' "$TMP/lk.sum")" leak_or_growing_cache
check_eq "leak 200 KiB/s: in use growing" "$(J .trends.in_use.trend "$TMP/lk.sum")" growing
check_within "leak 200 KiB/s: in-use slope vs the known rate" \
	"$(J '.trends.in_use.slope_bytes_per_s | floor' "$TMP/lk.sum")" $(( 200 * 1024 * 4112 / 4096 )) 10
check_eq "leak 200 KiB/s: next is live bytes by site (--live)" "$(J '.verdicts[0].next' "$TMP/lk.sum")" \
	"memsleuth hotspots $LK --live --duration 30"
check_match "leak 200 KiB/s: the remedy's command" \
	"$(J '[.causes[] | select(.kind == "leak_or_growing_cache") | .remedies[0].command][0]' "$TMP/lk.sum")" \
	"^memsleuth hotspots $LK --live --duration 30\$"
stop_example "$LK"
