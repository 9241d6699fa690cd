#!/usr/bin/env bash
# The HTML report rendered by headless Chromium: the screenshot is not
# blank (a blank page, rendered the same way, is the control), the SVG
# charts are in the DOM with one bar per memory class the JSON has; the
# report needs nothing from the network; msreport's bad input.
source "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
cc -O2 -o "$TMP/pngcolors" "$(dirname "$0")/../tools/pngcolors.c" -lz || { fail "pngcolors did not build"; exit 1; }

# chromium_run OUT.png|- FILE.html [--dump-dom]: headless, no network, no profile.
chromium_run() {
	local png=$1 html=$2; shift 2
	local prof; prof=$(mktemp -d "$TMP/prof.XXXXXX")
	local shot=()
	[ "$png" != - ] && shot=(--screenshot="$png")
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" "${shot[@]}" --window-size=1200,2000 "$@" "file://$html" 2>/dev/null
}

start_example zlib_workers inflated --threads 4 --rounds 40 || exit 1
"$MS" guide --batch --json --window 1 --accounted 4M --report "$TMP/r.html" "$EX_PID" >"$TMP/r.json" 2>"$TMP/r.err"
check_eq "guide --report r.html exits 0" "$?" 0
stop_example "$EX_PID"
html=$TMP/r.html

# Self-contained: no scripts, no external URLs (the SVG namespace is a name, not a fetch).
check_eq "no <script> in the report" "$(grep -ci '<script' "$html")" 0
check_eq "no external references" "$(grep -oE '(src|href)="[a-z]+://' "$html" | wc -l)" 0
check_match "a CSP forbids any fetch" "$(cat "$html")" "Content-Security-Policy\" content=\"default-src 'none'"

if [ -z "$CHROMIUM" ]; then
	skip "chromium not installed (scripts/install-deps installs it): HTML rendering not checked"
	exit 0
fi
printf '<!DOCTYPE html><html><body></body></html>\n' >"$TMP/blank.html"
chromium_run "$TMP/blank.png" "$TMP/blank.html" >/dev/null
chromium_run "$TMP/r.png" "$html" >/dev/null
read -r _ blank_cols _ blank_nw _ _ < <("$TMP/pngcolors" "$TMP/blank.png")
read -r _ cols _ nonwhite _ pixels < <("$TMP/pngcolors" "$TMP/r.png")
check_eq "control: a blank page renders in one colour" "$blank_cols" 1
check_cmp "report screenshot has many colours (text, charts)" "$cols" -ge 50
check_cmp "report screenshot: over 2% of pixels drawn" $((nonwhite * 100 / pixels)) -ge 2

chromium_run - "$html" --dump-dom >"$TMP/dom.html"
dom=$(cat "$TMP/dom.html")
check_eq "DOM: the RSS-by-class bar chart" "$(grep -c 'class="chart chart-bar"' "$TMP/dom.html")" \
	"$(grep -c 'class="chart chart-bar"' "$html")"
check_cmp "DOM: at least one bar chart" "$(grep -c 'class="chart chart-bar"' "$TMP/dom.html")" -ge 1
classes=$(jq '[.steps[1].findings.classes[] | select(.rss_bytes > 0)] | length' "$TMP/r.json")
bars=$(awk '/RSS by memory class/ { on = 1 } on && /<rect class="bar"/ { n++ } on && /<\/svg>/ { print n; exit }' "$TMP/dom.html")
check_eq "DOM: one bar per memory class with RSS" "$bars" "$classes"
# the causes come first, their bytes on one chart: one bar per cause
causes=$(jq '.causes | length' "$TMP/r.json")
bars=$(awk '/Resident bytes by cause/ { on = 1 } on && /<rect class="bar"/ { n++ } on && /<\/svg>/ { print n + 0; exit }' "$TMP/dom.html")
check_eq "DOM: one bar per cause on the causes chart" "${bars:-0}" "$causes"
first=$(grep -o 'Resident bytes by cause\|RSS by memory class' "$TMP/dom.html" | head -1)
check_eq "DOM: the causes chart comes first" "$first" "Resident bytes by cause"
main_rss=$(jq '.steps[1].findings.classes[] | select(.class == "arena_heap") | .rss_bytes' "$TMP/r.json")
check_match "DOM: the arena_heap bar carries the JSON's bytes" "$dom" "arena_heap: $main_rss bytes"
check_cmp "DOM: the RSS timeline is drawn" "$(grep -c 'class="chart chart-line"' "$TMP/dom.html")" -ge 1
if [ "$(jq -r '.steps[2].status' "$TMP/r.json")" = done ]; then
	check_cmp "DOM: the arena map, one bar per arena" \
		"$(awk '/chart-stack/ { on = 1 } on && /<rect class="seg seg0"/ { n++ } on && /<\/svg>/ { print n + 0; exit }' "$TMP/dom.html")" \
		-eq "$(jq '.steps[2].findings.arenas | length' "$TMP/r.json")"
else
	check_eq "no arena map without arenas findings" "$(grep -c 'chart-stack' "$TMP/dom.html")" 0
fi
check_match "DOM: every conclusion is in the page" "$dom" "$(jq -r '.verdicts[0].text' "$TMP/r.json" | cut -c1-50 | sed 's/[][().*+?^$|\\]/\\&/g')"

# msreport from a file, and its errors: one line, LINE:COL, a way out.
"$BUILD/msreport" --html "$TMP/r.json" >"$TMP/again.html"
check_eq "msreport renders the guide's JSON as the guide did" "$(grep -c '<svg' "$TMP/again.html")" "$(grep -c '<svg' "$html")"
printf '{"step": "overview",\n  "rss_bytes": 12,,\n}\n' >"$TMP/bad.json"
check_status "msreport: malformed JSON" 2 "$BUILD/msreport" --html "$TMP/bad.json"
check_match "malformed JSON: file:line:col" "$(cat "$TMP/err")" "^msreport: $TMP/bad.json:2:19: expected '\"' to start a member name"
echo '{"rss": 1}' | check_status "msreport: not findings" 2 "$BUILD/msreport"
check_match "not findings: way out" "$(cat "$TMP/err")" 'no "step" field\) \(feed the output of'
check_status "msreport: unknown option" 2 "$BUILD/msreport" --pdf
check_match "unknown option: hint" "$(cat "$TMP/err")" "^msreport: --pdf: unknown option or missing argument \\(see 'msreport --help'\\)$"
check_status "msreport: missing file" 2 "$BUILD/msreport" "$TMP/nope.json"

# --- The guide's report on a launched workload with a known call site (pin:
# 500,000 mallocs from main at examples/pin.c), compare measuring every
# configuration: the oracles are the JSON's own ranks, nm + addr2line on the
# example's binary, and the JSON's moment examined.
"$MS" guide --batch --json --window 2 --watch 1 --accounted 8M --report "$TMP/p.html" -- "$EX/pin" --hold \
	>"$TMP/p.json" 2>"$TMP/p.err"
check_eq "guide -- pin --report p.html exits 0" "$?" 0
chromium_run - "$TMP/p.html" --dump-dom >"$TMP/pdom.html"
# svg_of TITLE FILE: the one chart with that title, a line per element
svg_of() { awk -v t="$1" 'index($0, "<title>" t "</title>") { on = 1 } on { print } on && /<\/svg>/ { exit }' "$2"; }

# compare's chart: the default, the recommended and the best three, in distinct colours
cmpf=$TMP/cmp.json
jq '.steps[5].findings' "$TMP/p.json" >"$cmpf"
if [ "$(jq -r '.step' "$cmpf")" = compare ]; then
	svg_of "RSS over time, per configuration" "$TMP/pdom.html" >"$TMP/cmp.svg"
	high=$(grep -c 'class="series highlight"' "$TMP/cmp.svg")
	colours=$(grep -o 'class="series highlight"[^>]* stroke="[^"]*"' "$TMP/cmp.svg" | grep -o 'stroke="#[^"]*"' | sort -u | wc -l)
	drawn=$(jq '[.runs[] | select(.available and (.rss_timeline | length) > 1)] | length' "$cmpf")
	check_cmp "compare chart: at most 5 highlighted lines" "$high" -le 5
	check_eq "compare chart: each highlighted line its own colour" "$colours" "$high"
	check_eq "compare chart: the others faded" "$(grep -c 'class="series faded"' "$TMP/cmp.svg")" $((drawn - high))
	want=$(jq -r '.recommendation.config as $r | [.runs[] | select(.available and (.rss_timeline | length) > 1)
		| select(.config == "glibc" or .config == $r or (.rank >= 1 and .rank <= 3)) | .config] | sort | join(" ")' "$cmpf")
	got=$(grep -o '<polyline class="series highlight".*</polyline>' "$TMP/cmp.svg" | sed 's/.*<title>\([^ <]*\).*/\1/' | sort | paste -sd' ')
	check_eq "compare chart: highlighted = default, recommended, ranks 1-3" "$got" "$want"
	# the table in the order of compare's rank
	rows=$(awk '/<th>rank<\/th>/ { on = 1; next } on && /<\/table>/ { exit } on' "$TMP/pdom.html" |
		sed -n 's/^<tr><td class="num">\([0-9-]*\)<\/td><td>\([^<]*\)<\/td>.*/\1 \2/p')
	check_eq "compare table: rows in rank order" "$(printf '%s\n' "$rows" | paste -sd' ')" \
		"$(jq -r '[.runs[] | select(.available and .rank > 0)] | sort_by(.rank) | map("\(.rank) \(.config)") | join(" ")' "$cmpf")"
else
	fail "the guide did not run compare on the launched pin: $(jq -c '.steps[5] | {status, reason}' "$TMP/p.json")"
fi

# call sites "function+offset file:line (object)", checked with nm + addr2line on the binary
sites=$(awk '/<th>call site<\/th>/ { on = 1; next } on && /<\/table>/ { exit } on' "$TMP/pdom.html" |
	sed -n 's/^<tr><td>\([^<]*\)<\/td>.*/\1/p')
check_cmp "hotspots: call sites in the report" "$(printf '%s\n' "$sites" | grep -c .)" -ge 1
main_at=$(nm "$EX/pin" | awk '$3 == "main" { print $1 }')
nsite=0
while read -r fn_off fl obj; do
	[ -n "$fn_off" ] || continue
	if [ "$obj" != "(pin)" ]; then
		check_match "call site outside pin, format" "$fn_off $fl $obj" '^([A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+ ([^ ]+:[0-9]+|\?\?:\?)|\?\?( [^ ]+:[0-9]+)?) \('
		continue
	fi
	off=${fn_off#main+}
	addr=$(printf '0x%x' $((0x$main_at + off - 1)))   # the call: one before the return address
	oracle=$(addr2line -f -e "$EX/pin" "$addr" | paste -sd' ')
	check_eq "call site $fn_off $fl (pin): addr2line agrees" "main ${fl}" "$(echo "$oracle" | sed 's| .*/| |; s/ (discriminator [0-9]*)//')"
	check_match "call site's line is an allocator call in examples/pin.c" \
		"$(sed -n "${fl#pin.c:}p" "$(dirname "$0")/../../examples/pin.c")" 'malloc|free'
	nsite=$((nsite + 1))
done < <(printf '%s\n' "$sites")
check_cmp "hotspots: pin's own call sites checked" "$nsite" -ge 1

# the RSS timeline ends at the moment examined; the later samples apart
svg_of "RSS over time (sampled by the guide)" "$TMP/pdom.html" >"$TMP/tl.svg"
ex_s=$(jq '.examined_at_s' "$TMP/p.json")
last=$(sed -n 's/.*class="series highlight"[^>]*data-t-last="\([^"]*\)".*/\1/p' "$TMP/tl.svg")
check_eq "timeline ends at the moment examined" "$(awk -v a="$last" -v b="$ex_s" 'BEGIN { d = a - b; print (d < 0 ? -d : d) < 1e-5 }')" 1
mx=$(sed -n 's/.*class="marker"[^>]* x1="\([^"]*\)".*/\1/p' "$TMP/tl.svg")
lastx=$(grep 'class="series highlight"' "$TMP/tl.svg" | sed 's/.*points="\([^"]*\)".*/\1/' | tr ' ' '\n' | tail -1 | cut -d, -f1)
check_eq "timeline: its last point is on the marker line" "$lastx" "$mx"
check_match "timeline: the marker says the moment" "$(grep -o 'class="marker-label"[^<]*<' "$TMP/tl.svg")" \
	"examined at $(printf '%.2f' "$ex_s") s"
later=$(jq --argjson e "$ex_s" '[.rss_timeline[] | select(.[0] > $e)] | length' "$TMP/p.json")
if [ "$later" -gt 0 ]; then
	firstx=$(grep 'class="series later"' "$TMP/tl.svg" | sed 's/.*points="\([^"]*\)".*/\1/' | cut -d' ' -f1 | cut -d, -f1)
	check_eq "timeline: the guide's later samples apart, from the marker on" "$firstx" "$mx"
else
	skip "no sample after the moment examined in this run"
fi
chromium_run "$TMP/p.png" "$TMP/p.html" >/dev/null
read -r _ cols _ nonwhite _ pixels < <("$TMP/pngcolors" "$TMP/p.png")
check_cmp "pin report screenshot: not blank" "$cols" -ge 50

# --- Edge cases from a hand-made document: 12 configurations (ties in
# rank, one not installed), call sites with unknown parts, a very long command.
long=$(printf 'averyveryverylongargumentwithoutanyspace%.0s' $(seq 1 20))
jq -n --arg long "/opt/app/bin/server --config=$long" '
	def tl($k): [range(0; 20) | [. * 0.1, (1000000 * (. + 1) * ($k + 1))]];
	{step: "guide", pid: 4242, name: "server", command: $long, rss_bytes: 5000000,
	 examined_at_s: 1.05, rss_timeline: [range(0; 30) | [. * 0.1, 4000000 + 10000 * .]],
	 verdicts: [], causes: [],
	 steps: [
	  {name: "hotspots", title: "who", status: "done", evidence: [], commands: ["memsleuth hotspots -- \($long)"],
	   findings: {step: "hotspots", events: 3, dropped: 0, threads: [], sites: [
	    {symbol: "0x7f0000001234", dso: "/usr/lib/libfoo.so", address: "0x7f0000001234", dso_offset: 4660, offset: 0, file: "", line: 0, calls: 3, requested_bytes: 30, live_bytes: 0},
	    {symbol: "wrap_alloc", dso: "/usr/lib/libbar.so.2", address: "0x7f0000009999", dso_offset: 39321, offset: 16, file: "", line: 0, calls: 2, requested_bytes: 20, live_bytes: 0},
	    {symbol: "0x1234", dso: "", address: "0x1234", offset: 0, file: "", line: 0, calls: 1, requested_bytes: 10, live_bytes: 0}]}},
	  {name: "remedies", title: "fix", status: "done", evidence: [], commands: [],
	   findings: {step: "compare", recommendation: {config: "c7", text: "use c7", shell: "LD_PRELOAD=x \($long)"},
	    runs: ([range(0; 12) | {config: (if . == 0 then "glibc" else "c\(.)" end), available: true,
	             rank: ([9, 4, 1, 11, 2, 12, 6, 5, 3, 8, 3, 10][.]),
	             final_rss_bytes: (1000 * .), peak_rss_bytes: 2000, wall_s: 1, rss_timeline: tl(.)}]
	          + [{config: "tcmalloc", available: false, skipped: "install libtcmalloc-minimal4"}])}}]}' >"$TMP/edge.json"
"$BUILD/msreport" --html -o "$TMP/edge.html" "$TMP/edge.json"
check_eq "msreport renders the hand-made document" "$?" 0
# chart: glibc (rank 9), c7 (recommended), the first three in rank order (c2, c4, then c8 of the tied 3s)
svg_of "RSS over time, per configuration" "$TMP/edge.html" >"$TMP/ecmp.svg"
check_eq "12 configurations: 5 highlighted" "$(grep -c 'class="series highlight"' "$TMP/ecmp.svg")" 5
check_eq "12 configurations: 7 faded" "$(grep -c 'class="series faded"' "$TMP/ecmp.svg")" 7
check_eq "12 configurations: 5 distinct colours" \
	"$(grep -o 'class="series highlight"[^>]* stroke="[^"]*"' "$TMP/ecmp.svg" | grep -o 'stroke="#[^"]*"' | sort -u | wc -l)" 5
check_eq "12 configurations: which are highlighted" \
	"$(grep -o '<polyline class="series highlight".*</polyline>' "$TMP/ecmp.svg" | sed 's/.*<title>\([^ <]*\).*/\1/' | sort | paste -sd' ')" \
	"c2 c4 c7 c8 glibc"
rows=$(awk '/<th>rank<\/th>/ { on = 1; next } on && /<\/table>/ { exit } on' "$TMP/edge.html" |
	sed -n 's/^<tr><td class="num">\([0-9-]*\)<\/td><td>\([^<]*\)<\/td>.*/\1 \2/p' | paste -sd' ')
check_eq "12 configurations: table by rank, the uninstalled last" "$rows" \
	"1 c2 2 c4 3 c8 3 c10 4 c1 5 c7 6 c6 8 c9 9 glibc 10 c11 11 c3 12 c5 - tcmalloc"
sites=$(awk '/<th>call site<\/th>/ { on = 1; next } on && /<\/table>/ { exit } on' "$TMP/edge.html" |
	sed -n 's/^<tr><td>\([^<]*\)<\/td>.*/\1/p' | paste -sd'|')
check_eq "call sites: unknown parts said compactly" "$sites" "?? (libfoo.so+0x1234)|wrap_alloc+0x10 ??:? (libbar.so.2)|?? (0x1234)"
svg_of "RSS over time (sampled by the guide)" "$TMP/edge.html" >"$TMP/etl.svg"
check_eq "hand-made timeline ends at examined_at_s" \
	"$(sed -n 's/.*class="series highlight"[^>]*data-t-last="\([^"]*\)".*/\1/p' "$TMP/etl.svg")" 1.05
# long commands wrap: nothing wider than a narrow window, every character
# kept.  Layout is measured by a script in a copy (the report itself has none).
cat >"$TMP/measure.js" <<'JS'
var w = document.documentElement.clientWidth, n = 0;
document.querySelectorAll("pre, code, h1, td, p").forEach(function (e) {
	if (e.getBoundingClientRect().right > w + 1 || e.scrollWidth > e.clientWidth + 1) n++;
});
document.body.setAttribute("data-overflow", n + " " + (document.documentElement.scrollWidth - w));
document.body.setAttribute("data-width", w);
JS
awk -v js="$(cat "$TMP/measure.js")" '!/Content-Security-Policy/ { sub(/<\/body>/, "<script>" js "</script></body>"); print }' \
	"$TMP/edge.html" >"$TMP/edge-measure.html"
chromium_run - "$TMP/edge-measure.html" --dump-dom --window-size=700,1500 >"$TMP/edom.html"
check_eq "long commands wrap: no element wider than a 700-px window, no page scroll" \
	"$(sed -n 's/.*data-overflow="\([^"]*\)".*/\1/p' "$TMP/edom.html")" "0 0"
# the heading, the step's command and the recommendation's shell line, uncut
check_eq "long commands: every character still in the page" "$(grep -c -- "--config=$long" "$TMP/edom.html")" 3
