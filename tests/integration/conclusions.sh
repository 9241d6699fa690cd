# Conclusions are claims about resident bytes (trial findings 4, 6, 7, 9 and
# the JVM/Ruby items of 10), each checked against an independent oracle:
#  - an in-use cause is its resident part: the untouched example holds
#    COUNT x SIZE in use and writes TOUCH bytes of each block; the walk's
#    resident bytes (in use + free + top) equal /proc/PID/smaps' [heap] Rss,
#    the cause never exceeds smaps_rollup's Rss;
#  - overview's causes add up: glibc's heaps are a row of their own (a lead,
#    notice at most) equal to smaps' [heap] Rss;
#  - a core has no RSS: share "-" / null, severity from the bytes alone;
#  - Ruby (2.6 to 3.2): the anonymous memory's largest mapping is named the
#    transient heap only when it has its size, 32 MiB, its RSS as smaps says;
#  - a JVM with NMT on: no advice to turn it on; watch's runtime heap is the
#    Java heap's resident part (the RSS of jcmd GC.heap_info's range in
#    smaps), never NMT's committed; no `ulimit -s` for Java threads.
source "$(dirname "$0")/lib.sh"
heap_rss() { awk '/\[heap\]/ {f = 1; next} /^[0-9a-f]+-/ {f = 0} f && /^Rss:/ {print $2 * 1024}' "/proc/$1/smaps"; }
# glibc's heaps' Rss from smaps by hand: [heap] plus each 64 MiB aligned
# anonymous rw-p mapping directly followed by a ---p one (an arena heap)
glibc_heaps_rss() {
	local t=0 prev_rw=0 prev_rss=0 s e a b cur_rw=0 cur_rss=0 name
	local -a lines
	while read -r a b c d e f g; do
		case $a in
		*-*)
			s=$((16#${a%-*}))
			# close the previous mapping
			if [ "$b" = "---p" ] && [ "$prev_rw" = 1 ]; then t=$((t + prev_rss)); fi
			prev_rw=0
			[ "$b" = "rw-p" ] && [ "$e" = 0 ] && [ -z "$f" ] && [ $((s % 67108864)) = 0 ] && prev_rw=2
			[ "$f" = "[heap]" ] && prev_rw=3
			;;
		Rss:)
			if [ "$prev_rw" = 3 ]; then t=$((t + b * 1024)); prev_rw=0
			elif [ "$prev_rw" = 2 ]; then prev_rss=$((b * 1024)); prev_rw=1; fi ;;
		esac
	done < "/proc/$1/smaps"
	echo "$t"
}
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }
# the one severity rule on bytes alone (causes.h), for a core
bytes_severity() {
	if [ "$1" -lt $((4 << 20)) ]; then echo info
	elif [ "$1" -ge $((256 << 20)) ]; then echo problem
	elif [ "$1" -ge $((32 << 20)) ]; then echo notice
	else echo info; fi
}

# --- finding 4: in use, resident part apart -------------------------------
count=512 size=98304 touch=4096
start_example untouched held --count $count --size $size --touch $touch || exit 1
P=$EX_PID
"$MS" arenas --json "$P" >"$TMP/ut.json" 2>/dev/null
"$MS" arenas "$P" >"$TMP/ut.txt" 2>/dev/null
hr=$(heap_rss "$P") rss=$(rollup_rss "$P")
c=$(cause "$TMP/ut.json" in_use_unaccounted)
res=$(jq -r .resident_bytes <<<"$c")
inuse=$(jq -r .evidence.in_use_bytes <<<"$c")
check_cmp "untouched: in use >= COUNT x SIZE (the program's arithmetic)" "$inuse" -ge $((count * size))
check_eq "untouched: the cause is the resident part of in use" "$res" "$(jq -r .evidence.in_use_resident_bytes <<<"$c")"
walked=$(jq -r '.arenas[0] | .in_use_resident_bytes + .free_resident_bytes + .top_resident_bytes' "$TMP/ut.json")
check_within "untouched: in use + free + top resident = smaps [heap] Rss" "$walked" "$hr" 1
check_cmp "untouched: resident in use <= smaps_rollup Rss" "$res" -le "$rss"
check_cmp "untouched: resident in use >= COUNT x TOUCH" "$res" -ge $((count * touch))
check_cmp "untouched: resident in use < in use / 4 (pages never written are not RSS)" "$res" -lt $((inuse / 4))
check_cmp "untouched: share of the RSS <= 100%" "$(jq -r '.rss_share * 1000 | floor' <<<"$c")" -le 1000
check_match "untouched: the text gives both figures" "$(jq -r .text <<<"$c")" "^48\.0 MiB of malloc memory is in use \(live blocks\) \(of it 4\.[0-9] MiB resident"
check_match "untouched: the table row is the resident part" "$(grep 'in_use_unaccounted' "$TMP/ut.txt")" "!! +4\.[0-9] MiB +[0-9.]+% +in_use_unaccounted"

# --- finding 6: overview's table adds up ---------------------------------
"$MS" overview --json "$P" >"$TMP/ov.json" 2>/dev/null
"$MS" overview "$P" >"$TMP/ov.txt" 2>/dev/null
g=$(cause "$TMP/ov.json" glibc_not_walked)
check_within "overview: glibc's heaps are a cause = smaps [heap] Rss" "$(jq -r .resident_bytes <<<"$g")" "$(heap_rss "$P")" 2
check_eq "overview: glibc's heaps are a lead, notice at most" "$(jq -r .severity <<<"$g")" notice
check_eq "overview: it is the largest row" "$(jq -r '.causes[0].kind' "$TMP/ov.json")" glibc_not_walked
check_eq "overview: its next step is the walk" "$(jq -r '.remedies[0].command // .causes[0].remedies[0].command' "$TMP/ov.json")" "memsleuth arenas $P"
check_eq "overview: max_severity notice (leads only)" "$(jq -r .max_severity "$TMP/ov.json")" notice
sum=$(jq '[.causes[].resident_bytes] | add' "$TMP/ov.json")
check_within "overview: the causes add up to the RSS (smaps_rollup)" "$sum" "$(rollup_rss "$P")" 10
check_match "overview: the row in text" "$(grep glibc_not_walked "$TMP/ov.txt" | head -1)" "^  ! +4\.[0-9] MiB +[0-9.]+% +glibc_not_walked"

# --- finding 7: a core has no RSS ----------------------------------------
if command -v gcore >/dev/null; then
	gcore -o "$TMP/ut.core" "$P" >/dev/null 2>&1
	if [ -s "$TMP/ut.core.$P" ]; then
		"$MS" arenas --core "$TMP/ut.core.$P" --json >"$TMP/core.json" 2>/dev/null
		"$MS" arenas --core "$TMP/ut.core.$P" >"$TMP/core.txt" 2>/dev/null
		cc=$(cause "$TMP/core.json" in_use_unaccounted)
		check_eq "core: rss_share is null" "$(jq -r '.rss_share | type' <<<"$cc")" null
		check_match "core: the table prints - for the share" "$(grep in_use_unaccounted "$TMP/core.txt" | head -1)" "MiB +- +in_use_unaccounted"
		check_eq "core: severity from the bytes alone" "$(jq -r .severity <<<"$cc")" "$(bytes_severity "$(jq -r .resident_bytes <<<"$cc")")"
		check_eq "core: in use as live" "$(jq -r .evidence.in_use_bytes <<<"$cc")" "$inuse"
		# every cause: the severity the bytes rule gives; the live run's
		# is the same or higher (the share of the RSS raises it)
		jq -r '.causes[] | "\(.kind) \(.resident_bytes) \(.severity)"' "$TMP/core.json" | while read -r k b s; do
			check_eq "core: $k severity = bytes rule" "$s" "$(bytes_severity "$b")"
		done
	else
		skip "core: gcore wrote nothing"
	fi
else
	skip "core: gcore (gdb) not installed"
fi
stop_example "$P"

# --- 10: Ruby's 32 MiB anonymous mapping -----------------------------------
if command -v ruby >/dev/null; then
	cat >"$TMP/rb.rb" <<'RB'
keep = []
4.times.map { |t| Thread.new { 3000.times { |i| s = "x" * (200 + i % 3000); a = Array.new(50 + i % 200) { |j| j }; keep << s << a if i % 25 == 0 } } }.each(&:join)
puts "memsleuth-example: pid=#{Process.pid} phase=held holding"; STDOUT.flush
sleep 60
RB
	ruby "$TMP/rb.rb" >"$TMP/rb.out" 2>&1 &
	RP=$!; _pids+=("$RP")
	for _ in $(seq 1 300); do grep -q phase=held "$TMP/rb.out" && break; sleep 0.1; done
	"$MS" overview --json "$RP" >"$TMP/rb.json" 2>/dev/null
	rc=$(cause "$TMP/rb.json" runtime_heap)
	big=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {n = NF} /^Size:/ {s = $2} /^Rss:/ {if (s == 32768 && n == 5) print $2 * 1024}' "/proc/$RP/smaps" | head -1)
	if [ -n "$big" ]; then
		check_match "ruby: the 32 MiB mapping is named the transient heap" "$(jq -r .text <<<"$rc")" "largest mapping, .* resident of 32\.0 MiB, has the size of the transient heap"
		check_within "ruby: its RSS as smaps says" "$(jq -r .evidence.largest_mapping_rss_bytes <<<"$rc")" "$big" 2
	else
		check_eq "ruby: no 32 MiB mapping, no transient heap named" "$(jq -r .text <<<"$rc" | grep -c 'transient heap')" 0
	fi
	check_eq "ruby: not called Ruby's heap pages" "$(jq -r .text <<<"$rc" | grep -c "holds Ruby's heap pages")" 0
	stop_example "$RP"
else
	skip "ruby: not installed"
fi

# --- finding 9 and 10: a JVM with NMT on ---------------------------------
if command -v javac >/dev/null && command -v java >/dev/null && command -v jcmd >/dev/null; then
	mkdir "$TMP/java"
	javac -d "$TMP/java" "$(dirname "$0")/../../examples/runtimes/NativeLeak.java"
	java -Xmx256m -Xms256m -XX:NativeMemoryTracking=summary -cp "$TMP/java" NativeLeak 2000 > "$TMP/java.out" 2>&1 &
	JP=$!; _pids+=("$JP")
	for _ in $(seq 1 300); do grep -q phase=leaked "$TMP/java.out" && break; sleep 0.1; done
	"$MS" overview --json "$JP" >"$TMP/jov.json" 2>/dev/null
	"$MS" overview "$JP" >"$TMP/jov.txt" 2>/dev/null
	check_eq "jvm: overview knows NMT is on" "$(jq -r .jvm.nmt "$TMP/jov.json")" true
	check_eq "jvm: no advice to start it with NMT" "$(grep -c 'start the JVM with\|start it with' "$TMP/jov.txt")" 0
	check_eq "jvm: no ulimit -s for Java threads" "$(jq -r '[.causes[].remedies[].command | select(test("ulimit -s"))] | length' "$TMP/jov.json")" 0
	st=$(cause "$TMP/jov.json" thread_stacks)
	if [ "$st" != null ] && [ "$(jq -r .severity <<<"$st")" != info ]; then
		check_match "jvm: Java threads' stacks by -Xss" "$(jq -r '.remedies[0].command' <<<"$st")" "^JAVA_TOOL_OPTIONS=-Xss512k "
	else
		check_eq "jvm: a small stacks cause has no remedy" "$(jq -r '.remedies // [] | length' <<<"$st")" 0
	fi
	# zlib's inflate windows, mostly unwritten: the cause is their resident part
	"$MS" arenas --json "$JP" >"$TMP/ja.json" 2>/dev/null
	walked=$(jq -r '.totals | .in_use_resident_bytes + .free_resident_bytes + .top_resident_bytes' "$TMP/ja.json")
	check_within "jvm: in use + free + top resident = glibc's heaps in smaps" "$walked" "$(glibc_heaps_rss "$JP")" 2
	jc=$(cause "$TMP/ja.json" in_use_unaccounted)
	check_cmp "jvm: the in-use cause <= smaps_rollup Rss" "$(jq -r .resident_bytes <<<"$jc")" -le "$(rollup_rss "$JP")"
	check_cmp "jvm: the in-use cause < in use (windows not all written)" "$(jq -r .resident_bytes <<<"$jc")" -lt "$(jq -r .evidence.in_use_bytes <<<"$jc")"
	"$MS" watch --json -i 0.5 --samples 3 "$JP" > "$TMP/jw.ndjson" 2>/dev/null
	# the oracle: the Java heap's range from jcmd, its RSS from smaps
	range=$(jcmd "$JP" GC.heap_info 2>/dev/null | grep -o '\[0x[0-9a-f]*, *0x[0-9a-f]*)' | head -1 | tr -d '[)' | tr ',' ' ')
	lo=$(awk '{print $1}' <<<"$range") hi=$(awk '{print $2}' <<<"$range")
	orc=0 in=0
	while read -r a b _; do
		case $a in
			*-*) s=$((16#${a%-*})) e=$((16#${a#*-})); in=0; [ "$s" -ge $((lo)) ] && [ "$e" -le $((hi)) ] && in=1 ;;
			Rss:) [ "$in" = 1 ] && orc=$((orc + b * 1024)) ;;
		esac
	done < "/proc/$JP/smaps"
	last=$(jq -s -r '[.[] | select(.type == "sample" and .runtime_heap_resident_bytes != null)] | last | .runtime_heap_resident_bytes // 0' "$TMP/jw.ndjson")
	com=$(jq -s -r '[.[] | select(.type == "sample" and .runtime_heap_committed_bytes != null)] | last | .runtime_heap_committed_bytes // 0' "$TMP/jw.ndjson")
	check_within "jvm: watch's runtime heap = the RSS of GC.heap_info's range (smaps)" "$last" "$orc" 5
	nmt=$(jcmd "$JP" VM.native_memory summary 2>/dev/null | sed -n 's/.*Java Heap (reserved=[0-9]*KB, committed=\([0-9]*\)KB).*/\1/p' | head -1)
	check_eq "jvm: committed as NMT says (jcmd VM.native_memory)" "$com" "$((nmt * 1024))"
	check_cmp "jvm: the resident part is below the committed -Xms heap" "$last" -lt "$com"
	stop_example "$JP"
else
	skip "jvm: no JDK (javac, java, jcmd)"
fi
