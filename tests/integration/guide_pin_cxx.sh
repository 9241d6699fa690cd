#!/usr/bin/env bash
# guide -- CMD on C++: a pin allocated through a helper function and
# operator new is named by the first frame outside the wrapper (the guide
# records a few frames of stack), `hotspots --from --address` prints and
# JSONs that stack; the hotspots step compares the recording's live bytes
# with glibc's in use PLUS its mmapped chunks (a vector's reserve) and never
# speaks of a rerun; a thread-arena pin that explains a small part of the
# trim is put in proportion and is not the next step; FILE.hotspots is
# never left without its report (exit 2, SIGINT, kill -9 swept by the next
# run) and an earlier run's recording is named with the way out.  Oracles:
# the fixtures' own source lines (tests/fixtures/cxx/*.cc), arenas' JSON
# (trim_bytes, mmapped_bytes), the files on disk.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FX=$REPO/tests/fixtures/cxx
if ! command -v g++ >/dev/null; then
	skip "guide on C++: no g++ to build the fixtures"
	exit 0
fi
g++ -O2 -g -pthread -o "$TMP/pin_new" "$FX/pin_new.cc" && g++ -O2 -g -pthread -o "$TMP/arena_pin" "$FX/arena_pin.cc" ||
	{ fail "building the C++ fixtures"; exit 0; }
cd "$TMP" || exit 1
newl=$(grep -n 'PIN-NEW' "$FX/pin_new.cc" | cut -d: -f1)
calll=$(grep -n 'PIN-CALL' "$FX/pin_new.cc" | cut -d: -f1)
loopl=$(grep -n 'push_back(new char\[1000\])' "$FX/pin_new.cc" | cut -d: -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
guide() { "$MS" guide --batch --json --watch 0 --window 1 --no-compare --when holding "$@"; }

# --- leftovers: a guide that ends before its report removes FILE.hotspots -
"$MS" guide --batch --no-compare --when never-printed --wait-max 2 --report nm.html -- ./pin_new >/dev/null 2>x.err
check_eq "no line matched: exit 2" "$?" 2
check_eq "exit 2 before the report: no nm.hotspots left" "$(ls -d nm.* 2>/dev/null | wc -l)" 0
"$MS" guide --batch --no-compare --when never-printed --wait-max 60 --report nm.html -- ./pin_new >/dev/null 2>x.err &
gp=$!
for _ in $(seq 100); do [ -e nm.hotspots/counters ] && break; sleep 0.1; done
check_eq "while waiting, the recording is beside the report" "$(test -e nm.hotspots/counters && echo yes)" yes
kill -INT "$gp"; wait "$gp"
check_eq "SIGINT while waiting: no nm.hotspots left" "$(ls -d nm.* 2>/dev/null | wc -l)" 0
"$MS" guide --batch --no-compare --when never-printed --wait-max 60 --report nm.html -- ./pin_new >/dev/null 2>x.err &
gp=$!
for _ in $(seq 100); do [ -e nm.hotspots/counters ] && break; sleep 0.1; done
sleep 1
kill -9 "$gp"; wait "$gp" 2>/dev/null
for _ in $(seq 100); do pgrep -f "$TMP/pin_new|\./pin_new" >/dev/null || break; sleep 0.1; done
check_eq "kill -9: the recording stays (nothing can remove it then)" "$(test -d nm.hotspots && echo yes)" yes

# --- the C++ pin: the next run sweeps that leftover and keeps its own -----
guide --report nm.html -- ./pin_new >g.json 2>g.txt
check_eq "guide -- pin_new exits 0" "$?" 0
check_eq "the SIGKILLed run's recording is removed, said in one line" "$(head -1 g.txt)" \
	"removed nm.hotspots: the recording of a guide run that ended before writing nm.html"
check_eq "this run's recording is kept" "$(jq -c '.recording | [.directory, .kept]' g.json)" '["nm.hotspots",true]'
check_eq "the pin is named by operator new's caller: make_conf's new line, demangled" "$(jq -r '.pin.allocated_at' g.json)" \
	"pin_new.cc:$newl (make_conf())"
ptr=$(jq -r '.pin.pointer' g.json)
"$MS" hotspots --from nm.hotspots --address "$ptr" --json >a.json
check_match "hotspots --address JSON: the hook saw operator new" "$(jq -r '.address.recorded_caller' a.json)" \
	'^operator new\(unsigned long\)\+0x[0-9a-f]+ \(libstdc\+\+\.so\.6'
check_match "hotspots --address JSON: the site is its caller" "$(jq -r '.address.site' a.json)" \
	"^make_conf\\(\\)\\+0x[0-9a-f]+ \\(pin_new\\) pin_new\\.cc:$newl\$"
check_eq "hotspots --address JSON: the site's symbol as in the symbol table" "$(jq -r '.address.symbol' a.json)" \
	"_ZL9make_confv"
check_match "hotspots --address JSON: the stack, from the site outward" "$(jq -r '.address.stack' a.json)" \
	"^make_conf\\(\\) pin_new\\.cc:$newl <- main pin_new\\.cc:$calll <- "
"$MS" hotspots --from nm.hotspots --address "$ptr" >a.txt
check_match "hotspots --address text: allocated by the caller through operator new, called from main" \
	"$(sed -n '/^Address/,$p' a.txt | tr -s ' \n' ' ')" \
	"allocated by make_conf\\(\\)\\+0x[0-9a-f]+ \\(pin_new\\) pin_new\\.cc:$newl \\(through operator new\\(unsigned long\\)\\+0x[0-9a-f]+ \\(libstdc\\+\\+\\.so\\.6[.0-9]*\\)\\) in thread pin_new .* called from make_conf\\(\\) pin_new\\.cc:$newl <- main pin_new\\.cc:$calll"
# the site is the first frame outside operator new (50,000 new char[1000];
# the Conf and the vector's reserve are other sites now)
check_match "the top site: main's new char[1000] through operator new" \
	"$(jq -r '.steps[3].evidence[] | select(startswith("top call site"))' g.json)" \
	"^top call site: main\\+0x[0-9a-f]+ pin_new\\.cc:$loopl \\(pin_new\\) \\(through operator new\\(unsigned long\\)\\), 50000 calls"
# the mmapped chunk (reserve(200000): 1.5 MiB) is live, outside the arenas' in use
mm=$(jq '.steps[2].findings.mmapped_bytes' g.json)
inuse=$(jq '.steps[2].findings.totals.in_use_bytes' g.json)
check_cmp "arenas: the vector's mmapped chunk (1.5 MiB) is live" "$mm" -ge 1600000
check_cmp "... above in use + 10% + 1 MiB: the old check called it not comparable" "$mm" -gt $((inuse + inuse / 10 + 1048576))
check_eq "hotspots: no 'not comparable', no rerun, no two runs" \
	"$(jq -r '.steps[3].evidence[]' g.json | grep -cE "not comparable|rerun|two runs|suspicious")" 0
check_eq "its live bytes count as the moment's" \
	"$(jq -r '.steps[3].evidence[] | select(startswith("top call site"))' g.json | grep -c 'live at the moment')" 1

# --- an earlier run's recording beside an existing report: named ---------
guide --report nm.html -- ./pin_new >g2.json 2>g2.txt
check_eq "second run on the same report exits 0" "$?" 0
check_match "the recording line names the earlier one and the way out" "$(grep '^recording:' g2.txt)" \
	"\\(temporary: nm\\.hotspots holds an earlier run's recording, which the guide does not write over \\(remove it to keep this run's\\)\\)$"
check_eq "the pin's next: no 'with --report FILE.html' when --report was given" "$(jq -r '.steps[2].next' g2.json)" \
	"who allocated the pin, in full: this run's recording was temporary (an earlier one is beside the report): remove that one and rerun the guide"
check_eq "nowhere 'with --report FILE.html the recording is kept'" "$(grep -c 'with --report FILE.html' g2.txt)" 0
check_eq "the temporary recording is gone" "$(jq -r '.recording.directory' g2.json | xargs ls -d 2>/dev/null | wc -l)" 0

# --- a thread-arena pin that explains a small part of the trim -----------
guide -- ./arena_pin >t.json 2>t.txt
check_eq "guide -- arena_pin exits 0" "$?" 0
confl=$(grep -n 'g_conf = new Conf' "$FX/arena_pin.cc" | cut -d: -f1)
trim=$(jq '[.steps[2].findings.arenas[] | select(.is_main | not) | .trim_bytes] | add' t.json)
pinned=$(jq '.pin.pinned_bytes' t.json)
check_within "the pin holds the 2,048 freed 1000-byte blocks (2 MiB)" "$pinned" 2064384 2
share=$(awk -v p="$pinned" -v t="$trim" 'BEGIN { printf "%.0f", 100 * p / t }')
addr=$(jq -r '.pin.address' t.json)
rest=$(jq '.steps[2].findings.pin_summary.rest_bytes' t.json)
check_eq "the rest is the walk's: the thread arenas' trim minus the pin" "$rest" "$((trim - pinned))"
check_eq "in proportion: the largest pin of the thread arenas' trim, the rest interior pages" \
	"$(jq -r '.steps[2].evidence[] | select(startswith("largest pin"))' t.json | sed 's/ -- that chunk.*//')" \
	"largest pin: 1 live chunk of 32 B at $addr pins $(mib "$pinned") of the $(mib "$trim") malloc_trim(0) would return from thread arenas ($share%); the other $(mib "$rest") is whole free pages between live blocks, which only malloc_trim returns"
check_match "... with its call site" "$(jq -r '.steps[2].evidence[] | select(startswith("largest pin"))' t.json)" \
	"that chunk was allocated at arena_pin\\.cc:$confl "
check_eq "one block is not the next step" "$(jq -r '.steps[2].next' t.json)" "who allocates (hotspots)"
check_eq "no 'The pin:' conclusion" "$(jq '[.verdicts[].text | select(startswith("The pin:"))] | length' t.json)" 0
