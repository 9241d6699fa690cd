#!/usr/bin/env bash
# memsleuth guide --core CORE: the method over a core file.  A gcore of the
# pin example (the process goes on) and a core the kernel writes of
# arena_pins (the process is gone), each taken with the target stopped
# right after the live `arenas` reading: the guide names the same causes
# with the same bytes as `arenas --core` on the core and as `arenas` on the
# live process, and the pins' bytes are the freed chunks glibc's own
# malloc_info printed in the program (the independent oracle).  The
# live-only steps (watch, hotspots, syscalls, trim, compare) are skipped
# with their reason and the command for a live process; --accounted,
# --json and --report work; the refusals are one line, exit 2.
source "$(dirname "$0")/lib.sh"

if ! command -v gcore >/dev/null; then
	skip "guide --core: gcore (gdb) not installed"
	exit 0
fi
need_root "guide --core: gcore and kernel cores of the examples" || exit 0
command -v jq >/dev/null || { skip "guide --core: jq not installed"; exit 0; }

causes() { jq -c '[.causes[] | [.kind, .resident_bytes]]' "$1"; }
# the freed chunk sizes malloc_info printed at phase=freed (size field: flag bits masked)
freed_chunks() {
	sed -n '/phase=freed/,$p' "$1" | sed -n 's/.*<unsorted from="\([0-9]*\)".*/\1/p' |
		while read -r s; do echo $((s & ~7)); done
}

# --- 1. pin, gcore: the process goes on ------------------------------------
start_example pin freed --count 20000 --malloc-info "$TMP/pin.mi" || { fail "pin did not start"; exit 1; }
PIN=$EX_PID
kill -STOP "$PIN"
"$MS" arenas --json "$PIN" > "$TMP/live.json"
gcore -o "$TMP/pin" "$PIN" >/dev/null 2>&1
kill -CONT "$PIN"
CORE=$TMP/pin.$PIN
"$MS" arenas --core "$CORE" --json > "$TMP/ac.json"
"$MS" guide --batch --core "$CORE" --json > "$TMP/g.json" 2> "$TMP/g.txt"
check_eq "guide --core pin gcore: exit 0" "$?" 0
G=$TMP/g.json
check_eq "pin: the guide's causes and bytes = arenas --core's on the core" "$(causes "$G")" "$(causes "$TMP/ac.json")"
# gcore writes every page, residency unknown: the core's bytes are an upper
# bound of the live (pagemap) ones -- above them by at most the free top,
# whose untouched pages the live reading leaves out
check_eq "pin: the same causes as arenas on the live process before it was dumped" \
	"$(jq -c '[.causes[].kind]' "$G")" "$(jq -c '[.causes[].kind]' "$TMP/live.json")"
live=$(jq '.causes[0].resident_bytes' "$TMP/live.json")
core=$(jq '.causes[0].resident_bytes' "$G")
check_cmp "pin: its bytes at least the live reading's" "$core" -ge "$live"
check_cmp "pin: ... above it by at most the free top (gcore counts its untouched pages)" "$((core - live))" -le \
	"$(jq '.totals.top_bytes' "$TMP/live.json")"
check_eq "pin: the pin's bytes = the live reading's" "$(jq '.pin.pinned_bytes' "$G")" \
	"$(jq '.pin_summary.largest.pinned_bytes' "$TMP/live.json")"
check_eq "pin: the cause is the main heap's pinned free memory" "$(jq -r '.causes[0].kind' "$G")" main_heap_pinned
check_eq "pin: the pin's bytes = the freed chunk in malloc_info (the program's own)" \
	"$(jq '.pin.pinned_bytes' "$G")" "$(freed_chunks "$TMP/pin.mi" | head -1)"
check_eq "pin: a 32-byte chunk, as live" "$(jq '.pin.size_bytes' "$G")" "$(jq '.pin_summary.largest.size_bytes' "$TMP/live.json")"
check_eq "pin: trim prediction = arenas --core's" "$(jq '.trim_prediction_bytes' "$G")" "$(jq '.trim_prediction_bytes' "$TMP/ac.json")"
check_eq "pin: the steps: the core answers 1-3 and 6, hotspots and syscalls skipped" \
	"$(jq -r '[.steps[] | .name + ":" + .status] | join(" ")' "$G")" \
	"accounted:done overview:done arenas:done hotspots:skipped syscalls:skipped remedies:done"
check_eq "pin: JSON envelope, RSS null (not in a core), source core" \
	"$(jq -c '[(.schema_version | type), .memsleuth_version != null, .rss_bytes, .source, .core.written_by, .core.residency]' "$G")" \
	'["number",true,null,"core","gcore","unknown"]'
check_eq "pin: the core's bytes = overview --core's" "$(jq '.core.in_core_bytes' "$G")" \
	"$("$MS" overview --core "$CORE" --json | jq '.in_core_bytes')"
check_eq "pin: live-only checks, each with a reason and a command" \
	"$(jq -r '[.live_only[] | select(.reason != "" and .command != "") | .check] | join(" ")' "$G")" \
	"watch hotspots syscalls trim compare"
# the process still runs (kill -0, the oracle): the live commands name its PID, with the caveat
check_eq "pin: the process still runs" "$(kill -0 "$PIN" && echo yes)" yes
check_eq "pin: hotspots on the live process, said as from a core" "$(jq -r '.live_only[1].command' "$G")" \
	"memsleuth hotspots $PIN   # if it is still the core's process"
check_eq "pin: the skipped steps' commands are the live ones" \
	"$(jq -r '[.steps[3,4].commands[0]] | join("|")' "$G")" \
	"memsleuth hotspots $PIN   # if it is still the core's process|memsleuth syscalls $PIN   # if it is still the core's process"
check_match "pin: hotspots skipped with its reason" "$(jq -r '.steps[3].reason' "$G")" "^live only: a core holds no allocator calls"
check_match "pin: syscalls skipped with its reason" "$(jq -r '.steps[4].reason' "$G")" "^live only: a core holds no system calls"
txt=$(tr -s ' \n' ' ' < "$TMP/g.txt")
check_match "pin text: skipped steps say what to run instead" "$txt" \
	"skipped: live only: a core holds no allocator calls.* instead, on a live process: \\$ memsleuth hotspots $PIN"
check_match "pin text: watch, trim and compare said as skipped" "$txt" \
	"watch: skipped \\(a core is one moment.*trim: skipped \\(a core cannot give memory back.*compare: skipped"
check_match "pin text: RSS is not in a core" "$txt" "RSS: not in a core"
check_match "pin text: the trim remedy for the live process, with its caveat" "$txt" \
	"memsleuth trim $PIN # if it is still the core's process"
check_eq "pin: nothing says the process has ended" "$(grep -c 'process has ended' "$TMP/g.txt")" 0
check_match "pin text: arenas read from the core" "$txt" "memsleuth arenas --json --core $CORE"

# --accounted: the gap against the core's bytes
"$MS" guide --batch --core "$CORE" --accounted 2M --json > "$TMP/ga.json" 2> "$TMP/ga.txt"
check_eq "pin --accounted 2M: gap = the core's bytes - 2 MiB" "$(jq '.gap_bytes' "$TMP/ga.json")" \
	"$(( $(jq '.core.in_core_bytes' "$TMP/ga.json") - 2097152 ))"
check_match "pin --accounted: step 1's verdict" "$(jq -r '.steps[0].verdict' "$TMP/ga.json")" \
	"^The core holds .* above the 2.0 MiB the application accounts for"
# --report: the same findings, rendered
"$MS" guide --batch --core "$CORE" --report "$TMP/r.html" > "$TMP/gr.txt" 2>&1
check_eq "pin --report r.html: exit 0" "$?" 0
check_match "pin report: titled by the core, the live-only steps' commands" \
	"$(tr -s ' \n' ' ' < "$TMP/r.html")" "memsleuth guide: core .*pin.$PIN of process $PIN.*Instead, on a live process"
stop_example "$PIN"

# --- 2. arena_pins, a core the kernel writes: the process is gone ---------
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
	*/*|*%*|'|'*) skip "guide --core kernel core: core_pattern is '$pattern' (a plain file name is needed here)" ;;
	*)
	mkdir "$TMP/kc"
	EX_OUT=$TMP/ap.out
	(ulimit -c unlimited; cd "$TMP/kc" && exec "$EX/arena_pins" --threads 4 --hold --malloc-info "$TMP/ap.mi") \
		> "$EX_OUT" 2>&1 &
	AP=$!
	_pids+=("$AP")
	for _ in $(seq 1 600); do grep -q phase=freed "$EX_OUT" && break; sleep 0.1; done
	kill -STOP "$AP"
	"$MS" arenas --json "$AP" > "$TMP/live2.json"
	kill -ABRT "$AP"; kill -CONT "$AP"
	wait "$AP" 2>/dev/null
	if [ "$(cat /proc/sys/kernel/core_uses_pid)" = 1 ]; then KC=$TMP/kc/$pattern.$AP; else KC=$TMP/kc/$pattern; fi
	if [ ! -s "$KC" ]; then
		skip "guide --core kernel core: no core written ($KC)"
	else
		"$MS" guide --batch --core "$KC" --json > "$TMP/g2.json" 2> "$TMP/g2.txt"
		check_eq "guide --core arena_pins kernel core: exit 0" "$?" 0
		G=$TMP/g2.json
		check_eq "arena_pins: causes and bytes = arenas --core's" "$(causes "$G")" \
			"$("$MS" arenas --core "$KC" --json | jq -c '[.causes[] | [.kind, .resident_bytes]]')"
		check_eq "arena_pins: = arenas on the live process before it died" "$(causes "$G")" "$(causes "$TMP/live2.json")"
		check_eq "arena_pins: the cause is free memory spread over the 4 thread arenas" \
			"$(jq -r '.causes[0].kind' "$G")" arena_spread
		# malloc_info: one freed chunk per thread arena; the cause is their whole pages
		sum=0; for s in $(freed_chunks "$TMP/ap.mi"); do sum=$((sum + s)); done
		check_eq "arena_pins: malloc_info shows 4 freed chunks" "$(freed_chunks "$TMP/ap.mi" | wc -l)" 4
		bytes=$(jq '.causes[0].resident_bytes' "$G")
		check_cmp "arena_pins: the cause's bytes within malloc_info's freed chunks" "$bytes" -le "$sum"
		check_cmp "arena_pins: ... less the part pages at each end of each" "$bytes" -gt "$((sum - 4 * 2 * 4096))"
		check_eq "arena_pins: residency from the kernel core's holes" "$(jq -r '.core.written_by + " " + .core.residency' "$G")" \
			"kernel core_holes"
		check_eq "arena_pins: the process is gone" "$(kill -0 "$AP" 2>/dev/null && echo runs || echo gone)" gone
		check_match "arena_pins: hotspots instead: a rerun of its command, not a PID" \
			"$(jq -r '.live_only[1].command' "$G")" "^memsleuth guide -- $EX/arena_pins --threads 4 .*# a rerun of its command"
		check_match "arena_pins text: its command line (over 80 bytes here) said as maybe cut" \
			"$(tr -s ' \n' ' ' < "$TMP/g2.txt")" "its command line may be cut: a core's notes keep its first 80 bytes"
		check_match "arena_pins text: signal named" "$(tr -s ' \n' ' ' < "$TMP/g2.txt")" "written by the kernel on signal 6 SIGABRT"
		# cut at half (its notes, at the start, stay): read as far as it goes, exit 0, no cause claimed
		cp --sparse=always "$KC" "$TMP/kcut"; truncate -s $(( $(stat -c %s "$KC") / 2 )) "$TMP/kcut"
		"$MS" guide --batch --core "$TMP/kcut" --json > "$TMP/g3.json" 2> "$TMP/g3.txt"
		check_eq "arena_pins kernel core cut at half: exit 0, partial" "$? $(jq '.core.partial' "$TMP/g3.json")" "0 true"
		check_match "arena_pins cut: no cause claimed from what was not read" "$(jq -r '.steps[5].verdict' "$TMP/g3.json")" \
			"^No cause can be named from this core"
	fi
	;;
esac

# --- 3. refusals: one line, exit 2 -----------------------------------------
start_example pin freed --count 1000 || { fail "pin did not start"; exit 1; }
P=$EX_PID
gcore -o "$TMP/small" "$P" >/dev/null 2>&1
SMALL=$TMP/small.$P
check_refused "guide --core with a PID" "$MS" guide --batch --core "$SMALL" "$P"
check_match "guide --core with a PID: says so" "$(cat "$TMP/err")" "with a PID: a core is read instead of a process"
check_refused "guide --core with -- CMD" "$MS" guide --batch --core "$SMALL" -- "$EX/pin"
check_refused "guide --core with --watch" "$MS" guide --batch --core "$SMALL" --watch 2
check_refused "guide --exe without --core" "$MS" guide --batch --exe /bin/true "$P"
stop_example "$P"
printf 'not a core\n' > "$TMP/notcore"
check_refused "guide --core: not a core" "$MS" guide --batch --core "$TMP/notcore"
check_match "guide --core not a core: names it" "$(cat "$TMP/err")" "core $TMP/notcore: not a 64-bit ELF core file"
head -c 1000 "$SMALL" > "$TMP/cut1k"
check_refused "guide --core: a core cut in its headers" "$MS" guide --batch --core "$TMP/cut1k"
cp "$SMALL" "$TMP/cut"; truncate -s $(( $(stat -c %s "$SMALL") / 2 )) "$TMP/cut"
check_refused "guide --core: a gcore cut at half (its notes lost)" "$MS" guide --batch --core "$TMP/cut"
check_match "guide --core cut: partial, the way out" "$(cat "$TMP/err")" "core $TMP/cut: partial .*take the core whole"
check_eq "guide --core cut: nothing on stdout" "$(wc -c < "$TMP/out")" 0
je=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null | head -1)
if [ -n "$je" ]; then
	LD_PRELOAD=$je "$EX/pin" --count 1000 --hold > "$TMP/je.out" 2>&1 & JE=$!; _pids+=("$JE")
	for _ in $(seq 1 100); do grep -q phase=freed "$TMP/je.out" && break; sleep 0.05; done
	gcore -o "$TMP/je" "$JE" >/dev/null 2>&1
	stop_example "$JE"
	check_refused "guide --core: a core of a program glibc's malloc does not serve" "$MS" guide --batch --core "$TMP/je.$JE"
	check_match "guide --core jemalloc: names the allocator and the way out" "$(cat "$TMP/err")" \
		"the allocator is jemalloc, not glibc's malloc.*memsleuth overview --core $TMP/je.$JE"
else
	skip "guide --core jemalloc: libjemalloc.so.2 not installed (scripts/install-deps installs it)"
fi
