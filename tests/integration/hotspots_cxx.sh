#!/usr/bin/env bash
# hotspots on C++: function names demangled in the tables, --json (the
# demangled `function` beside the `symbol` as in the symbol table),
# folded stacks and --address; long template names printed whole; with
# --stacks each site is the first frame outside the allocation wrappers
# (operator new and the rest), so two callers of operator new are two rows
# with their own live bytes, and the header says what was skipped.
# Oracles: nm and c++filt (binutils) for the names, the fixture's own
# arithmetic (tests/fixtures/cxx/two_callers.cc) for the bytes.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FX=$REPO/tests/fixtures/cxx
if ! command -v g++ >/dev/null || ! command -v c++filt >/dev/null; then
	skip "hotspots on C++: no g++ or c++filt"
	exit 0
fi
cd "$TMP" || exit 2
g++ -O2 -g -o two_callers "$FX/two_callers.cc" || { fail "building two_callers.cc"; exit 0; }
mangled() { nm two_callers | awk -v p="$1" '$3 ~ p { print $3; exit }'; }
fill=$(c++filt "$(mangled '^_ZN5Cache4fill')")
add=$(c++filt "$(mangled '^_ZN3Log3add')")
regm=$(mangled '^_ZN8Registry')
reg=$(c++filt "$regm")
check_eq "oracle: c++filt names the fixture's callers" "$fill|$add" "Cache::fill(int)|Log::add(char const*)"
fillL=$(grep -n 'FILL-NEW' "$FX/two_callers.cc" | cut -d: -f1)
addL=$(grep -n 'ADD-NEW' "$FX/two_callers.cc" | cut -d: -f1)
newm=$(c++filt _Znwm)

# --- without stacks: the recorded caller is operator new, demangled ------
"$MS" hotspots -- ./two_callers >plain.txt 2>&1
check_eq "hotspots -- two_callers: exit 0" "$?" 0
"$MS" hotspots --json -- ./two_callers >plain.json 2>/dev/null
check_eq "text: operator new named as c++filt names _Znwm" \
	"$(grep -cF "  $newm+0x" plain.txt)" 4
check_eq "text: no mangled name of the program's or libstdc++'s" "$(grep -cE '_Z[nNL]' plain.txt)" 0
check_eq "JSON: function demangled, symbol as in the symbol table" \
	"$(jq -r '[.sites[] | select(.symbol == "_Znwm")][0] | .function' plain.json)" "$newm"
check_eq "JSON: operator new holds both callers' live bytes (200 x 256 + 120 x 64 + 10 x 32)" \
	"$(jq '[.sites[] | select(.symbol == "_Znwm") | .live_bytes] | add' plain.json)" $((200 * 256 + 120 * 64 + 10 * 32))

# --- with stacks: the first frame outside the wrappers -----------------
COLUMNS=2000 "$MS" hotspots --stacks 8 -- ./two_callers >st.txt 2>&1
check_eq "hotspots --stacks 8: exit 0" "$?" 0
"$MS" hotspots --stacks 8 --json --folded st.folded --folded-weight bytes -- ./two_callers >st.json 2>/dev/null
site() { jq -c --arg f "$1" '[.sites[] | select(.function == $f)] | [length, (map(.live_bytes) | add),
	(map(.live_allocations) | add), (map(.calls) | add), .[0].through, .[0].line]' st.json; }
check_eq "Cache::fill: its own row, 200 x 256 B live of 300 calls, through operator new" \
	"$(site "$fill")" "[1,51200,200,300,\"$newm\",$fillL]"
check_eq "Log::add: its own row, 120 x 64 B live" "$(site "$add")" "[1,7680,120,120,\"$newm\",$addL]"
check_eq "JSON: symbol keeps the mangled name" \
	"$(jq -r --arg f "$add" '.sites[] | select(.function == $f) | .symbol' st.json)" "_ZN3Log3addEPKc"
check_eq "JSON: no site is operator new's any more" "$(jq '[.sites[] | select(.symbol == "_Znwm")] | length' st.json)" 0
check_eq "JSON: wrappers_skipped" "$(jq -r .wrappers_skipped st.json)" "$newm"
check_eq "JSON: the site's stack starts at the site" \
	"$(jq -r --arg f "$fill" '.sites[] | select(.function == $f) | .stack[0]' st.json | sed 's/+0x[0-9a-f]*//')" \
	"$fill (two_callers) two_callers.cc:$fillL"
check_eq "JSON: total live bytes unchanged by the regrouping" \
	"$(jq '[.sites[].live_bytes] | add' st.json)" "$(jq '[.sites[].live_bytes] | add' plain.json)"
live_table() { sed -n '/^Top call sites by bytes still live/,/^$/p' "$1"; }
check_eq "text: the header line says which wrappers were skipped" \
	"$(grep '^Top call sites by ' st.txt | grep -cF " -- each site the first frame outside the allocation wrappers (skipped: $newm)")" 4
check_match "text: Cache::fill's row, 50.0 KiB live" "$(live_table st.txt | grep -F "$fill+")" \
	"^ +300 +75\\.0 KiB +50\\.0 KiB .* two_callers\\.cc:$fillL "
check_match "text: Log::add's row, 7.5 KiB live" "$(live_table st.txt | grep -F "$add+")" \
	"^ +120 +7\\.5 KiB +7\\.5 KiB .* two_callers\\.cc:$addL "
# a long template name (~900 characters) whole on a wide terminal...
check_eq "text: the template's whole demangled name (${#reg} characters), in 3 tables (none short-lived)" \
	"$(grep -cF "$reg+0x" st.txt)" 3
# ... and on 80 columns: no line wider, nothing of it cut (the cell's pieces joined)
COLUMNS=80 "$MS" hotspots --stacks 8 -- ./two_callers >n.txt 2>&1
check_eq "80 columns: no line wider" "$(awk 'length > 80' n.txt | wc -l)" 0
col=$(live_table n.txt | awk '/CALL SITE/ { print index($0, "CALL SITE"); exit }')
cell=$(live_table n.txt | awk -v c="$col" '/^ +[0-9]+ / { on = index($0, "Registry<") > 0 } on { print substr($0, c) }' |
	tr -d ' \n')
check_match "80 columns: the template's name whole in its cell" "$cell" "^$(printf %s "$reg" | tr -d ' ' | sed 's/[][()*.^$]/\\&/g')\\+0x"
# folded stacks: demangled frames, root first
check_eq "folded: main;Cache::fill(int) has 300 x 256 B" \
	"$(awk -v s="main;$fill" '{ w = $NF; t = $0; sub(/ [0-9]+$/, "", t) } index(t, s ";") || substr(t, length(t) - length(s) + 1) == s { n += w } END { print n + 0 }' st.folded)" \
	$((300 * 256))
check_eq "folded: no mangled frame" "$(grep -c '_Z[nNL]' st.folded)" 0
# the HTML/Markdown report from the same JSON: demangled, through the wrapper
"$BUILD/msreport" --markdown st.json >st.md 2>/dev/null
check_eq "msreport: Cache::fill's site through operator new" \
	"$(grep -cF "$fill+" st.md | head -1) $(grep -F "$fill+" st.md | grep -cF "(through $newm)")" "1 1"
check_eq "msreport: no mangled name" "$(grep -cE '_Z[nNL]' st.md)" 0
