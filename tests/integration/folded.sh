#!/usr/bin/env bash
# hotspots --folded FILE --folded-weight calls|bytes|live: exact weights per
# stack on alloc_counts (its source fixes the calls and the bytes of every
# stack), one line per distinct stack, the same from --from DIR, attaching
# (bpftrace) and the guide; and the file imported by a real consumer:
# speedscope (npm) loaded headless in chromium, its sandwich table read
# from the DOM.
source "$(dirname "$0")/lib.sh"
AC="$EX/alloc_counts"
cd "$TMP" || exit 2

# weight of the line whose stack ends in ";$2" (or is exactly $2), in $1
w_of() { awk -v s="$2" '{ w = $NF; t = $0; sub(/ [0-9]+$/, "", t) }
	t == s || substr(t, length(t) - length(s)) == ";" s { n++; v = w } END { print (n == 1 ? v : "lines=" n + 0) }' "$1"; }
# stacks that appear on more than one line
dups() { sed -E 's/ [0-9]+$//' "$1" | sort | uniq -d | head -3 | tr '\n' '|'; }
# lines not of the form "frame;frame WEIGHT" (WEIGHT > 0)
bad_lines() { grep -cvE '^[^ ;][^;]*(;[^;]+)* [1-9][0-9]*$' "$1"; }

# count_malloc's bytes: thread K makes calls*(K+1) mallocs of 16 + i%64
cm_bytes() { local t n i b=0; for t in "$@"; do n=$t; for ((i = 0; i < n; i++)); do b=$((b + 16 + i % 64)); done; done; echo $b; }

# 1. launched, whole stacks: 2 threads (300 and 600 pairs), fork+exec, 5 kept blocks
for w in calls bytes live; do
	"$MS" hotspots --stacks 6 --folded "$TMP/$w.folded" --folded-weight $w -- \
		"$AC" --threads 2 --calls 300 --fork-exec --keep 5 >"$TMP/$w.out" 2>&1
	check_eq "folded $w: exit 0" $? 0
	check_eq "folded $w: no stack on two lines" "$(dups "$TMP/$w.folded")" ""
	check_eq "folded $w: every line 'a;b;c WEIGHT'" "$(bad_lines "$TMP/$w.folded")" 0
done
check_eq "calls: run;count_malloc = 300 + 600 mallocs" "$(w_of calls.folded 'run;count_malloc')" 900
check_eq "calls: run;count_free = 900 frees" "$(w_of calls.folded 'run;count_free')" 900
# once_each: 9 allocation calls (realloc twice) + 8 frees per thread, made
# from several return addresses in once_each: one line
check_eq "calls: run;once_each = 2 x (9 + 8), one line" "$(w_of calls.folded 'run;once_each')" 34
# the forked child and the exec'd image: other processes, other load
# addresses, the same stack text: one line each, added up
check_eq "calls: main;child_malloc = 5 + 5 (fork child)" "$(w_of calls.folded 'main;child_malloc')" 10
check_eq "calls: main;exec_malloc = 7 + 7 (exec'd image)" "$(w_of calls.folded 'main;exec_malloc')" 14
check_eq "calls: main;keep_malloc = 5" "$(w_of calls.folded 'main;keep_malloc')" 5
check_eq "bytes: run;count_malloc = sum of 16 + i%64" "$(w_of bytes.folded 'run;count_malloc')" "$(cm_bytes 300 600)"
check_eq "bytes: frees request nothing (no count_free line)" "$(w_of bytes.folded 'run;count_free')" lines=0
check_eq "bytes: run;once_each = 2 x (32+40+4000+100+100+200+128+300+400)" "$(w_of bytes.folded 'run;once_each')" 10600
check_eq "bytes: main;exec_malloc = 7 x 56" "$(w_of bytes.folded 'main;exec_malloc')" 392
check_eq "bytes: main;keep_malloc = 5 x 1000" "$(w_of bytes.folded 'main;keep_malloc')" 5000
check_eq "live: main;keep_malloc = 5 x 1000 never freed" "$(w_of live.folded 'main;keep_malloc')" 5000
check_eq "live: count_malloc's blocks all freed (no line)" "$(w_of live.folded 'run;count_malloc')" lines=0
# the JSON's own numbers for the same run agree (live bytes at the end)
"$MS" hotspots --stacks 6 --json -- "$AC" --threads 2 --calls 300 --keep 5 >"$TMP/k.json" 2>/dev/null
check_eq "JSON: keep_malloc site live_bytes = the folded live weight" \
	"$(jq '[.sites[] | select(.symbol == "keep_malloc") | .live_bytes] | add' "$TMP/k.json")" 5000

# 2. caller only (no --stacks): one frame per call site, by function
"$MS" hotspots --folded "$TMP/site.folded" -- "$AC" --threads 2 --calls 300 >/dev/null 2>&1
check_eq "caller-only: count_malloc 900" "$(grep -E '^count_malloc ' "$TMP/site.folded")" "count_malloc 900"
check_eq "caller-only: once_each from several return addresses, one line" "$(grep -cE '^once_each ' "$TMP/site.folded")" 1

# 3. recorded, then --from DIR: the same lines
"$MS" hotspots --stacks 6 --output "$TMP/rec" --record-only -- "$AC" --threads 2 --calls 300 --fork-exec --keep 5 >/dev/null 2>&1
"$MS" hotspots --from "$TMP/rec" --folded "$TMP/from.folded" --folded-weight bytes >/dev/null 2>&1
check_eq "--from DIR: exit 0, the same bytes lines as launched" "$?:$(diff "$TMP/from.folded" "$TMP/bytes.folded" >/dev/null && echo same)" "0:same"

# 4. wrong use: one line, exit 2, before any work
check_refused "--folded-weight: unknown weight" "$MS" hotspots --folded x --folded-weight pages -- true
check_refused "--folded-weight without --folded" "$MS" hotspots --folded-weight bytes -- true
check_refused "--folded-weight live attaching without --live" "$MS" hotspots --folded x --folded-weight live 1
check_refused "--folded into a missing directory" "$MS" hotspots --folded "$TMP/no/such/f" -- touch "$TMP/ran"
check_eq "--folded into a missing directory: refused before the command ran" "$([ -e "$TMP/ran" ] && echo ran)" ""

# 5. attaching with bpftrace: a loop that keeps one 64-byte block in 100
if need_root "attach with bpftrace" && command -v bpftrace >/dev/null; then
	printf '#include <stdlib.h>\n#include <unistd.h>\n__attribute__((noinline)) static void *keep_one(void){return malloc(64);}\nint main(void){for(;;){for(int i=0;i<100;i++){void *p=keep_one();if(i)free(p);}usleep(10000);}}\n' >"$TMP/leaker.c"
	cc -O1 -o "$TMP/leaker" "$TMP/leaker.c"
	"$TMP/leaker" & lp=$!; _pids+=($lp)
	"$MS" hotspots --live --duration 2 --json --folded "$TMP/att.folded" --folded-weight live $lp >"$TMP/att.json" 2>/dev/null
	check_eq "attach: exit 0" $? 0
	check_eq "attach: no stack on two lines" "$(dups "$TMP/att.folded")" ""
	want=$(jq '[.sites[] | select(.symbol | test("^keep_one")) | .live_bytes] | add // 0' "$TMP/att.json")
	if [ "$want" -gt 0 ]; then
		check_eq "attach: keep_one's live weight = the JSON's live_bytes" "$(w_of "$TMP/att.folded" keep_one)" "$want"
		check_eq "attach: live weight in whole 64-byte blocks" "$(( $(w_of "$TMP/att.folded" keep_one) % 64 ))" 0
	else
		skip "attach: keep_one live weight: the kernel lost the probe hits (no live bytes seen)"
	fi
	kill $lp
elif [ "$(id -u)" = 0 ]; then
	skip "attach with bpftrace: bpftrace not installed"
fi

# 6. speedscope imports the file: its sandwich view lists every frame with
# its total and self weight (DOM of the release build, headless chromium)
SS=""   # where scripts/install-deps puts it (npm install -g)
for d in /usr/lib/node_modules /usr/local/lib/node_modules; do
	[ -f "$d/speedscope/dist/release/index.html" ] && SS=$d/speedscope/dist/release/index.html && break
done
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$SS" ]; then
	skip "speedscope import: npm package speedscope not installed (scripts/install-deps)"
elif [ -z "$CHROME" ]; then
	skip "speedscope import: chromium not installed"
else
	# what speedscope's own CLI does: a script that hands it the file
	printf 'speedscope.loadFileFromBase64("calls.folded", "%s")\n' "$(base64 -w0 "$TMP/calls.folded")" >"$TMP/prof.js"
	timeout 60 "$CHROME" --headless=new --no-sandbox --disable-gpu --allow-file-access-from-files \
		--user-data-dir="$TMP/chrome" --virtual-time-budget=10000 \
		--dump-dom "file://$SS#localProfilePath=$TMP/prof.js&view=sandwich" >"$TMP/dom.html" 2>/dev/null
	# rows "TOTAL SELF NAME" of the sandwich table
	python3 - "$TMP/dom.html" >"$TMP/rows.txt" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.row = None; self.cell = None
    def handle_starttag(self, tag, a):
        if tag == 'tr': self.row = []
        elif tag == 'td' and self.row is not None: self.cell = ''
    def handle_endtag(self, tag):
        if tag == 'td' and self.cell is not None: self.row.append(self.cell.strip()); self.cell = None
        elif tag == 'tr' and self.row: self.rows.append(self.row); self.row = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1]).read())
for r in p.rows:
    if len(r) == 3: print(r[0].split(' ')[0].replace(',', ''), r[1].split(' ')[0].replace(',', ''), r[2])
EOF
	frames=$(sed -E 's/ [0-9]+$//' "$TMP/calls.folded" | tr ';' '\n' | sort -u | wc -l)
	check_eq "speedscope: one row per distinct frame of the file" "$(wc -l <"$TMP/rows.txt")" "$frames"
	check_eq "speedscope: count_malloc total and self 900" "$(awk '$3 == "count_malloc" { print $1, $2 }' "$TMP/rows.txt")" "900 900"
	check_eq "speedscope: once_each self 34" "$(awk '$3 == "once_each" { print $2 }' "$TMP/rows.txt")" 34
	check_eq "speedscope: run total = 900 + 900 + 34" "$(awk '$3 == "run" { print $1 }' "$TMP/rows.txt")" 1834
	check_eq "speedscope: main;exec_malloc self 14" "$(awk '$3 == "exec_malloc" { print $2 }' "$TMP/rows.txt")" 14
fi

# 7. the guide writes the folded stacks beside its report and says where
# (a launched command whose malloc holds its memory: 20000 kept blocks, so
# that the guide runs hotspots; hotspots reruns it under the hook: exact)
timeout 150 "$MS" guide --batch --watch 0 --no-compare --report "$TMP/r.html" -- \
	"$AC" --threads 2 --calls 300 --keep 20000 --hold >"$TMP/g.txt" 2>&1
step4=$(sed -n '/Step 4\/6/,/Step 5\/6/p' "$TMP/g.txt")
if grep -qE "^ +(skipped|failed):" <<<"$step4"; then
	skip "guide folded stacks: the guide's hotspots step did not run here: $(grep -E -A1 '^ +(skipped|failed):' <<<"$step4" | tr -s ' \n' ' ')"
	check_eq "guide: no empty folded file left when hotspots did not run" "$(ls "$TMP/r.folded" 2>/dev/null)" ""
else
	check_match "guide: the hotspots step names its folded file" "$step4" "folded stacks .*: +$TMP/r\\.folded"
	check_eq "guide: folded keep_malloc = 20000 calls" "$(w_of "$TMP/r.folded" keep_malloc)" 20000
	check_eq "guide: folded count_malloc = 900 calls" "$(w_of "$TMP/r.folded" count_malloc)" 900
	check_eq "guide: no stack on two lines" "$(dups "$TMP/r.folded")" ""
fi
