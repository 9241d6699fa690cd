# watch on live workloads whose growth rate is known (examples/growth.c keeps
# it against the clock): the fitted slope against that rate, the verdict
# kinds, NDJSON, the Prometheus textfile checked by promtool and served by a
# real node_exporter, and a clean end on Ctrl-C, SIGTERM and target exit.
source "$(dirname "$0")/lib.sh"
MATRIX_STEP=watch
G="$EX/growth"
J() { jq -r "$1" "$2"; }
summary() { grep '"type":"summary"' "$1"; }

# --- leak, retention and flat, watched side by side (8 s each) ---
start_example growth running leak 2048 || exit 1; LEAK=$EX_PID
start_example growth running retain 2048 12 || exit 1; RET=$EX_PID
start_example growth running flat || exit 1; FLAT=$EX_PID
"$MS" watch --json -i 0.5 -d 8 --walk-every 1 "$LEAK" > "$TMP/leak.ndjson" & w1=$!
"$MS" watch --json -i 0.5 -d 8 --walk-every 1 "$RET" > "$TMP/ret.ndjson" & w2=$!
"$MS" watch --json -i 0.5 -d 10 "$FLAT" > "$TMP/flat.ndjson" & w3=$!
wait $w1; check_eq "leak: exit status" $? 0
wait $w2; check_eq "retention: exit status" $? 0
wait $w3; check_eq "flat: exit status" $? 0
summary "$TMP/leak.ndjson" > "$TMP/leak.sum"
summary "$TMP/ret.ndjson" > "$TMP/ret.sum"
summary "$TMP/flat.ndjson" > "$TMP/flat.sum"

# every line one object with schema_version and a known type
bad=$(cat "$TMP"/*.ndjson | jq -c 'select((.schema_version|type) != "number" or (.type|IN("sample","summary","end")|not))' | wc -l)
check_eq "ndjson: every line has schema_version and a sample/summary/end type" "$bad" 0
check_eq "ndjson: samples, one summary, one end (last)" \
	"$(jq -r .type "$TMP/leak.ndjson" | uniq -c | awk '{print $2}' | tr '\n' ' ')" "sample summary end "
check_eq "ndjson: end says the duration ended it" "$(tail -1 "$TMP/leak.ndjson" | jq -r .reason)" duration

# 2048 KiB/s of malloc(4096): 4112-byte chunks
check_eq "leak: verdict" "$(J '.verdicts[0].kind' "$TMP/leak.sum")" leak_or_growing_cache
check_within "leak: in-use slope vs the known rate (2048 KiB/s of 4 KiB blocks)" \
	"$(J '.trends.in_use.slope_bytes_per_s | floor' "$TMP/leak.sum")" $((2048 * 1024 * 4112 / 4096)) 10
check_match "leak: next step is live bytes by site" "$(J '.verdicts[0].next' "$TMP/leak.sum")" "memsleuth hotspots $LEAK"
# independent oracle for the level: in use never exceeds what the kernel says is resident
check_cmp "leak: last in use <= RSS" "$(J .trends.in_use.last_bytes "$TMP/leak.sum")" -le "$(J .trends.rss.last_bytes "$TMP/leak.sum")"

# 2048 KiB/s of 32 KiB holes freed below pins: 32784-byte free chunks
check_eq "retention: verdict" "$(J '.verdicts[0].kind' "$TMP/ret.sum")" retention
check_within "retention: free-kept slope vs the known rate" \
	"$(J '.trends.free_kept.slope_bytes_per_s | floor' "$TMP/ret.sum")" $((2048 * 1024 * 32784 / 32768)) 10
check_eq "retention: in use flat" "$(J .trends.in_use.trend "$TMP/ret.sum")" flat
check_match "retention: the trim prediction is given" "$(J '.verdicts[0].text' "$TMP/ret.sum")" "malloc_trim\\(0\\) would now release [0-9.]+ MiB"

check_eq "flat: verdict" "$(J '.verdicts[0].kind' "$TMP/flat.sum")" stable
n=$(J .samples "$TMP/flat.sum"); a=$(J .samples_with_allocator "$TMP/flat.sum"); sk=$(J .walks_skipped "$TMP/flat.sum")
check_cmp "flat: the budget leaves some samples with allocator figures" "$a" -ge 1
check_eq "flat: samples = walked + skipped + failed" "$n" "$(( $(J .walks "$TMP/flat.sum") + sk ))"
cpu=$(J '.walk_cpu_s * 1000 | floor' "$TMP/flat.sum"); span=$(J '.span_s * 1000 | floor' "$TMP/flat.sum")
first=$(head -1 "$TMP/flat.ndjson" | jq '.walk_cpu_ms | floor')
# the budget: walks after the first stay within 1% of the elapsed time
check_cmp "flat: walk CPU beyond the first walk <= 1% of the span" $(( (cpu - first) * 100 )) -le "$span"
# --fail-on against the summary's worst growth verdict; options after the PID
"$MS" watch "$FLAT" --json -i 0.5 -d 3 --fail-on problem > "$TMP/flat-f.ndjson"; rc=$?
check_eq "flat --fail-on problem: exit 0 ($(summary "$TMP/flat-f.ndjson" | jq -r '[.verdicts[].level] | join(",")'))" $rc 0
lvl=$(J '.verdicts[0].level' "$TMP/leak.sum")
check_status "leak --fail-on $lvl (its verdict's level): exit 1" 1 "$MS" watch "$LEAK" -i 0.5 -d 4 --walk-every 1 --fail-on "$lvl"
stop_example "$FLAT"

# --- the report: components over time, stacked, rates beside ---
"$BUILD/msreport" --html < "$TMP/ret.sum" > "$TMP/ret.html"
check_eq "report: a stacked chart of the components over time" "$(grep -c 'class="chart chart-area"' "$TMP/ret.html")" 1
check_match "report: the free-kept rate beside it" "$(cat "$TMP/ret.html")" "free kept by glibc \\+[12]\\.[0-9] MiB/s"

# --- text: a live line per sample and the summary ---
"$MS" watch -i 0.5 --samples 3 "$RET" > "$TMP/ret.txt"
check_match "text: heads" "$(head -5 "$TMP/ret.txt")" "TIME +RSS +CHANGE +IN USE +CHANGE +FREE KEPT +CHANGE +ARENAS"
check_eq "text: one line per sample" "$(grep -cE '^ +[0-9.]+s ' "$TMP/ret.txt")" 3
check_match "text: too short to tell after 1 s" "$(cat "$TMP/ret.txt")" "too short to tell: 3 samples"

# --- the guide's short watch: a growing in-use total is never "no gap" ---
stop_example "$RET"
start_example growth running retain 2048 8 || exit 1; RET=$EX_PID
"$MS" guide --batch --json --accounted 1G --watch 4 "$RET" > "$TMP/g.json" 2>/dev/null
check_eq "guide: its watch finds the retention" "$(J '.watch.verdicts[0].kind' "$TMP/g.json")" retention
stop_example "$RET"
start_example growth running leak 2048 || exit 1; GL=$EX_PID
"$MS" guide --batch --json --accounted 1G --watch 3 "$GL" > "$TMP/g.json" 2>/dev/null
check_match "guide: the leak leads the conclusions" "$(J '.verdicts[0].text' "$TMP/g.json")" "^Over the 3 s watch, live malloc memory grows: in use \\+[12]\\.[0-9] MiB/s"
check_eq "guide: not concluded \"no gap\"" "$(J '[.verdicts[].text, .steps[].reason] | map(select(test("no gap for"))) | length' "$TMP/g.json")" 0
stop_example "$GL"

# --- bad input ---
check_refused "watch: interval below 0.1 s" "$MS" watch -i 0.05 "$LEAK"
check_refused "watch: interval not a number" "$MS" watch --interval abc "$LEAK"
check_refused "watch: unwritable --prometheus" "$MS" watch --prometheus /proc/memsleuth.prom "$LEAK"
check_eq "watch: unwritable --prometheus fails before the first sample" "$(wc -c < "$TMP/out")" 0
check_refused "watch: --prometheus not ending in .prom" "$MS" watch --prometheus "$TMP/x.txt" "$LEAK"
check_refused "watch: no such process" "$MS" watch 999999999
check_refused "watch: -n is --runs (docs/cli.md), not watch's --samples" "$MS" watch -n 3 "$LEAK"
check_refused "watch: -o FILE is --prometheus: the same check" "$MS" watch -o "$TMP/x.txt" "$LEAK"

# --- Prometheus: promtool and the file's mode ---
PD="$TMP/prom"; mkdir "$PD"
(umask 022; "$MS" watch -i 0.3 --samples 3 --walk-every 1 --prometheus "$PD/leak.prom" --keep "$LEAK" > /dev/null)
check_eq "prometheus: --keep leaves the file, mode per umask" "$(stat -c %a "$PD/leak.prom" 2>&1)" 644
if command -v promtool >/dev/null; then
	promtool check metrics < "$PD/leak.prom" > "$TMP/promtool.out" 2>&1
	check_eq "prometheus: promtool check metrics passes" "$?:$(cat "$TMP/promtool.out")" "0:"
else
	skip "prometheus: promtool not installed (Debian package prometheus)"
fi
check_match "prometheus: in-use series labelled with pid and comm" "$(cat "$PD/leak.prom")" \
	"memsleuth_glibc_in_use_bytes\\{pid=\"$LEAK\",comm=\"growth\"\\} [0-9]+"
check_eq "prometheus: no temp file left" "$(ls -A "$PD" | grep -vc '^leak.prom$')" 0
rm -f "$PD/leak.prom"

# --- a real node_exporter, as its own user, serving the file ---
NE=$(command -v prometheus-node-exporter)
if [ -z "$NE" ] || ! id prometheus >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	skip "prometheus: node_exporter serving the textfile: needs root, the prometheus user and prometheus-node-exporter"
else
	ND=$(mktemp -d /tmp/memsleuth-ne.XXXXXX); chmod 755 "$ND"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	setpriv --reuid=prometheus --regid=prometheus --clear-groups "$NE" --web.listen-address="127.0.0.1:$port" \
		--collector.disable-defaults --collector.textfile --collector.textfile.directory="$ND" > "$TMP/ne.log" 2>&1 &
	NEP=$!; _pids+=("$NEP")
	(umask 022; exec "$MS" watch -i 0.5 -d 20 --walk-every 1 --prometheus "$ND/memsleuth.prom" "$LEAK" > /dev/null) & WP=$!
	got=""
	for i in $(seq 1 60); do
		got=$(curl -sf "http://127.0.0.1:$port/metrics" | grep "^memsleuth_glibc_in_use_bytes{" || true)
		[ -n "$got" ] && break; sleep 0.25
	done
	check_match "prometheus: node_exporter (user prometheus) serves in use for the PID" "$got" \
		"memsleuth_glibc_in_use_bytes\\{comm=\"growth\",pid=\"$LEAK\"\\} [0-9.e+]+"
	kill -INT "$WP"; wait "$WP"; check_eq "prometheus: Ctrl-C ends the watch, exit 0" $? 0
	check_eq "prometheus: the file is removed at the end" "$(ls -A "$ND" | wc -l)" 0
	kill "$NEP"; wait "$NEP" 2>/dev/null
	check_eq "prometheus: node_exporter stopped by its PID" "$(kill -0 "$NEP" 2>&1 | grep -c 'No such')" 1
	rm -rf "$ND"
fi

# --- Ctrl-C and SIGTERM: summary, exit 0, nothing left, target running ---
for sig in INT TERM; do
	SD="$TMP/sig$sig"; mkdir "$SD"
	"$MS" watch -i 0.1 --walk-every 1 --prometheus "$SD/w.prom" "$LEAK" > "$SD/out" & WP=$!
	for i in $(seq 1 100); do [ -e "$SD/w.prom" ] && break; sleep 0.05; done
	sleep 0.3
	kill -$sig "$WP"; wait "$WP"; rc=$?
	check_eq "SIG$sig: exit 0" "$rc" 0
	check_match "SIG$sig: the summary is printed" "$(cat "$SD/out")" "samples over"
	check_eq "SIG$sig: no file left (prom or temp)" "$(ls -A "$SD" | grep -v '^out$' | wc -l)" 0
	check_match "SIG$sig: target not stopped" "$(awk '{print $3}' /proc/$LEAK/stat)" "^[RS]$"
done

# --- the target exits mid-watch (walks every 0.1 s: mid-walk is likely) ---
for k in 1 2 3; do
	start_example growth running leak 8192 || exit 1; P=$EX_PID
	XD="$TMP/exit$k"; mkdir "$XD"
	"$MS" watch --json -i 0.1 --walk-every 1 --prometheus "$XD/w.prom" "$P" > "$XD/out" & WP=$!
	sleep 0.$((3 + k)); { kill -9 "$P"; wait "$P"; } 2>/dev/null; wait "$WP"; rc=$?
	check_eq "target exit $k: exit 0" "$rc" 0
	check_eq "target exit $k: last line says it ended" "$(tail -1 "$XD/out" | jq -r .reason)" target_exited
	check_eq "target exit $k: summary before it" "$(tail -2 "$XD/out" | head -1 | jq -r .type)" summary
	check_eq "target exit $k: no file left" "$(ls -A "$XD" | grep -v '^out$' | wc -l)" 0
done
start_example growth running leak 1024 || exit 1; P=$EX_PID
"$MS" watch -i 0.2 "$P" > "$TMP/exit.txt" & WP=$!
sleep 1; { kill -9 "$P"; wait "$P"; } 2>/dev/null; wait "$WP"
check_match "target exit: text says when it ended" "$(cat "$TMP/exit.txt")" "process $P ended at [0-9:]+, [0-9.]+ s into the watch"
stop_example "$LEAK"

# --- another allocator: the process-level series only, said once ---
JE=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$JE" ]; then
	LD_PRELOAD=$JE "$G" leak 1024 > "$TMP/je.out" 2>&1 & P=$!; _pids+=("$P")
	for i in $(seq 1 50); do grep -q phase=running "$TMP/je.out" && break; sleep 0.1; done
	"$MS" watch -i 0.2 --samples 3 "$P" > "$TMP/je.txt"
	check_eq "jemalloc: said once" "$(grep -c 'not glibc' "$TMP/je.txt")" 1
	"$MS" watch --json -i 0.2 --samples 3 "$P" > "$TMP/je.ndjson"
	check_eq "jemalloc: no allocator figures" "$(summary "$TMP/je.ndjson" | jq -r '"\(.allocator) \(.samples_with_allocator)"')" "jemalloc 0"
	stop_example "$P"
else
	skip "jemalloc: libjemalloc2 not installed"
fi

# --- the JVM field case: Inflaters never end()ed, NMT on ---
if command -v javac >/dev/null && command -v java >/dev/null; then
	mkdir "$TMP/java"
	javac -d "$TMP/java" "$(dirname "$0")/../../examples/runtimes/NativeLeak.java"
	java -Xmx256m -XX:NativeMemoryTracking=summary -cp "$TMP/java" NativeLeak 100000000 400 > "$TMP/java.out" 2>&1 &
	JP=$!; _pids+=("$JP")
	for i in $(seq 1 300); do grep -q phase=leaking "$TMP/java.out" && break; sleep 0.1; done
	"$MS" watch --json -i 1 -d 15 --walk-every 1 "$JP" > "$TMP/java.ndjson"
	summary "$TMP/java.ndjson" > "$TMP/java.sum"
	check_eq "jvm: in-use growth found within 15 s" "$(J '[.verdicts[].kind] | index("leak_or_growing_cache") != null' "$TMP/java.sum")" true
	check_cmp "jvm: in use grows by more than 1 MiB/s" "$(J '.trends.in_use.slope_bytes_per_s | floor' "$TMP/java.sum")" -gt 1048576
	check_eq "jvm: NMT read" "$(J '.trends.runtime_heap.points // 0 | . > 0' "$TMP/java.sum")" true
	stop_example "$JP"
else
	skip "jvm: no JDK (javac, java)"
fi

# --- bash completion: the step, its options, *.prom files ---
mkdir "$TMP/comp"; : > "$TMP/comp/a.prom"; : > "$TMP/comp/b.txt"
comp() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _memsleuth; echo "${COMPREPLY[*]}"' _ \
	"$(dirname "$0")/../../scripts/memsleuth.bash-completion" "$@"; }
check_eq "completion: watch" "$(comp "$MS" wat)" watch
check_eq "completion: --prometheus" "$(comp "$MS" watch --prom)" --prometheus
check_eq "completion: --prometheus FILE.prom" "$(comp "$MS" watch --prometheus "$TMP/comp/")" "$TMP/comp/a.prom"
