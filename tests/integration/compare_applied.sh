# compare says which configurations reached the process it measured: a
# static binary ignores LD_PRELOAD (no dynamic linker), musl and a linked-in
# jemalloc ignore glibc's settings.  Such a configuration is "applied":
# false with the reason, never ranked, never "no change", never in the
# recommendation; the default is named by the allocator it ran on.
# Oracles: the kernel's own /proc/PID/maps of a twin started the same way
# (the library is mapped or not), readelf (static or dynamic, NEEDED).
source "$(dirname "$0")/lib.sh"
cp "$(dirname "$0")/../fixtures/c/hold_freed.c" "$TMP/hold.c"   # 20,000 x 500 B, 49 of 50 freed, "holding"
je=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null)
cfgs=glibc,jemalloc-decay-0,glibc-arena-max-2
run() {   # [cfgs=LIST] run NAME CMD... : compare --json into $TMP/NAME.json, stderr in $TMP/NAME.err
	local name=$1; shift
	"$MS" compare --json --runs 1 --final-at holding -c $cfgs -- "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	check_eq "compare $name: exit" "$?" 0
}
cfg() { jq -c --arg c "$2" ".runs[] | select(.config == \$c) | $3" "$TMP/$1.json"; }
# mapped NAME CMD... : how many mappings of libjemalloc the kernel shows in a twin run with it preloaded
mapped() {
	LD_PRELOAD="$je" "$@" >"$TMP/twin.out" & local p=$!; _pids+=("$p")
	for _ in $(seq 1 100); do grep -q holding "$TMP/twin.out" 2>/dev/null && break; sleep 0.05; done
	grep -c jemalloc "/proc/$p/maps"; kill "$p"
}

if gcc -static -O1 -o "$TMP/hold-static" "$TMP/hold.c" 2>/dev/null; then
	check_eq "static glibc: no dynamic linker (readelf)" "$(readelf -l "$TMP/hold-static" | grep -c 'Requesting program interpreter')" 0
	run static "$TMP/hold-static"
	check_eq "compare static: one warning line names what is not run" \
		"$(grep -c "warning: $TMP/hold-static runs on glibc, static binary: jemalloc-decay-0 cannot apply (a static binary ignores LD_PRELOAD) and is not run" "$TMP/static.err")" 1
	if [ -n "$je" ]; then
		check_eq "static glibc: a twin with LD_PRELOAD maps no jemalloc (oracle)" "$(mapped "$TMP/hold-static")" 0
		check_eq "compare static: jemalloc not applied, with the reason" "$(cfg static jemalloc-decay-0 '[.applied, .not_applied]')" \
			'[false,"jemalloc was not loaded: static binary ignores LD_PRELOAD"]'
		check_eq "compare static: jemalloc not run, not ranked, no effect" "$(cfg static jemalloc-decay-0 '[(.samples | length), .rank, .effect, .runs_ok]')" '[0,null,null,0]'
		check_match "compare static: the recommendation lists it as not applied" "$(jq -r .recommendation.not_applied "$TMP/static.json")" \
			'^jemalloc-decay-0 \(jemalloc was not loaded: static binary ignores LD_PRELOAD\)$'
		check_eq "compare static: never 'no change' nor 'worse'" "$(jq -r '.recommendation | [.no_change, .worse] | map(test("jemalloc")) | any' "$TMP/static.json")" false
	else
		skip "compare static: jemalloc not installed (apt-get install libjemalloc2)"
	fi
	# static glibc reads MALLOC_ARENA_MAX and GLIBC_TUNABLES (csu/libc-start.c: __tunables_init)
	check_eq "compare static: glibc's setting applies to static glibc" "$(cfg static glibc-arena-max-2 '[.applied, .compared]')" '[true,true]'
	check_eq "compare static: the default ran on static glibc" "$(cfg static glibc '.allocator_seen | [.allocator, .static]')" '["glibc-static",true]'
	check_eq "compare static: the baseline is named by it" "$(jq -r .recommendation.baseline "$TMP/static.json")" "the default (glibc, static binary)"

	# a script that runs the static binary (not exec): nothing is known before
	# it runs; the default's run tells, and what cannot apply is not run
	printf '#!/bin/sh\n"$@"\n' > "$TMP/wrap.sh"; chmod +x "$TMP/wrap.sh"
	run wrapped "$TMP/wrap.sh" "$TMP/hold-static"
	check_eq "compare via a script: no warning before the runs, one after the default's" \
		"$(grep -n 'cannot apply' "$TMP/wrapped.err" | sed 's/:.*//; 1q') $(grep -c 'warning: the default run used glibc, static binary: jemalloc-decay-0 cannot apply' "$TMP/wrapped.err")" "3 1"
	# without the default, jemalloc's own run is made and its measured process read
	if [ -n "$je" ]; then
		cfgs=jemalloc-decay-0 run wrapped1 "$TMP/wrap.sh" "$TMP/hold-static"
		check_eq "compare via a script: jemalloc ran, then read as not applied" \
			"$(cfg wrapped1 jemalloc-decay-0 '[.runs_ok, .applied, .not_applied, .rank, .effect, .allocator_seen.allocator]')" \
			'[1,false,"jemalloc was not loaded: static binary ignores LD_PRELOAD",null,null,"glibc-static"]'
		check_eq "compare via a script: the process read is the measured one, not the script" \
			"$(cfg wrapped1 jemalloc-decay-0 '[.allocator_seen.pid == .samples[0].target_pid, .samples[0].wrapper_pid != null]')" '[true,true]'
	fi
else
	skip "compare static: gcc -static failed (libc6-dev's libc.a missing?)"
fi

if command -v musl-gcc >/dev/null; then
	musl-gcc -static -O1 -o "$TMP/hold-musl" "$TMP/hold.c"
	run musl "$TMP/hold-musl"
	check_eq "compare musl: glibc's setting not applied, not run" "$(cfg musl glibc-arena-max-2 '[.applied, .not_applied, (.samples | length)]')" \
		'[false,"glibc'"'"'s malloc is not in use (the allocator is musl, static binary): it ignores MALLOC_ARENA_MAX",0]'
	check_eq "compare musl: the default ran, named by musl" "$(jq -r '.recommendation.baseline' "$TMP/musl.json")" "the default (musl, static binary)"
	check_eq "compare musl: the default's run is named by musl, as the text's row" "$(cfg musl glibc '[.label, .allocator, .description]')" \
		'["default (musl)","musl","the program'"'"'s own allocator (musl, static binary), default settings"]'
	check_match "compare musl: nothing compared, no 'keep the default'" "$(jq -r '.recommendation.text' "$TMP/musl.json")" '^Nothing compared: no configuration reached this process'
	"$MS" compare --runs 1 --final-at holding -c $cfgs -- "$TMP/hold-musl" >"$TMP/musl.txt" 2>/dev/null
	check_match "compare musl text: the default's row names musl" "$(grep -E '^ +1 ' "$TMP/musl.txt")" '^ +1  default \(musl\) '
	check_eq "compare musl text: no 'No change' line" "$(grep -c '^No change' "$TMP/musl.txt")" 0
	# trim sends a process to compare only when compare has something for it
	"$TMP/hold-musl" >"$TMP/held.out" & p=$!; _pids+=("$p")
	for _ in $(seq 1 100); do grep -q holding "$TMP/held.out" 2>/dev/null && break; sleep 0.05; done
	check_status "trim musl: refused" 2 "$MS" trim --yes "$p"
	check_eq "trim musl: no hint to compare, which has nothing for it" "$(grep -c "try 'memsleuth compare'" "$TMP/err")" 0
	kill "$p"
else
	skip "compare musl: musl-gcc not installed (apt-get install musl-tools)"
fi

if [ -n "$je" ]; then
	# regression: a dynamic glibc program, where LD_PRELOAD does load jemalloc
	gcc -O1 -o "$TMP/hold" "$TMP/hold.c"
	run dynamic "$TMP/hold"
	check_cmp "dynamic: a twin with LD_PRELOAD maps jemalloc (oracle)" "$(mapped "$TMP/hold")" -gt 0
	check_eq "compare dynamic: jemalloc applied and read in the process" "$(cfg dynamic jemalloc-decay-0 '[.applied, .not_applied, .allocator_seen.allocator, .allocator_seen.built_in]')" '[true,null,"jemalloc",false]'
	check_eq "compare dynamic: every configuration ranked" "$(jq -c '[.runs[].rank] | sort' "$TMP/dynamic.json")" '[1,2,3]'
	check_eq "compare dynamic: glibc's default" "$(jq -r .recommendation.baseline "$TMP/dynamic.json")" "glibc's default"
	check_eq "compare dynamic: the default's run is glibc's" "$(cfg dynamic glibc '[.label, .allocator]')" '["glibc","glibc"]'
	check_eq "compare dynamic: no warning" "$(grep -c 'cannot apply' "$TMP/dynamic.err")" 0

	# jemalloc linked in (as Redis): glibc's settings are not run, jemalloc's are
	gcc -O1 -o "$TMP/hold-je" "$TMP/hold.c" "$je"
	check_match "jemalloc linked: the binary needs it (readelf)" "$(readelf -d "$TMP/hold-je")" 'NEEDED.*\[libjemalloc.so.2\]'
	run linked "$TMP/hold-je"
	check_eq "compare linked: one warning after the default's run" \
		"$(grep -c "warning: the default run used jemalloc, built in: glibc-arena-max-2 cannot apply (jemalloc ignores glibc's settings) and is not run" "$TMP/linked.err")" 1
	check_eq "compare linked: glibc's setting not applied" "$(cfg linked glibc-arena-max-2 '[.applied, .rank, (.samples | length)]')" '[false,null,0]'
	check_eq "compare linked: jemalloc's own setting applied" "$(cfg linked jemalloc-decay-0 '.applied')" true
	check_eq "compare linked: the baseline is jemalloc's" "$(jq -r .recommendation.baseline "$TMP/linked.json")" "the default (jemalloc, built in)"
	check_eq "compare linked: the default's run is named by jemalloc" "$(cfg linked glibc '[.label, .allocator]')" '["default (jemalloc)","jemalloc"]'
	check_eq "compare linked: no glibc wording in the conclusion" "$(jq -r .recommendation.text "$TMP/linked.json" | grep -c "glibc")" 0
else
	skip "compare dynamic: jemalloc not installed (apt-get install libjemalloc2)"
fi
