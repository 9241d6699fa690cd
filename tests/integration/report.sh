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
