# Runtimes that keep their own objects in glibc's live blocks (trial5
# T5-9, T5-3): Perl's SV arenas and threaded Tcl's allocator caches are
# named with their own retention and the way to tell them from a leak
# (watch), not "a leak or a cache, try hotspots"; the guide attached to
# an idle process, whose hotspots recorded no call, does not offer
# hotspots PID again.  Oracle that it is reuse, not a leak: the
# program's own VmRSS after each round of building and freeing the same
# data (examples/runtimes/sv_arenas.pl, tcl_cache.tcl) stays flat.
# (PostgreSQL's memory contexts: causes_shmem.sh.)
source "$(dirname "$0")/lib.sh"
RT=$(cd "$(dirname "$0")/../../examples/runtimes" && pwd)
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }
# the last two rounds' VmRSS (kB) differ by at most 3%: the freed objects were reused
check_reused() {
	local a b
	a=$(sed -n 's/^rss_kb=//p' "$2" | tail -2 | head -1); b=$(sed -n 's/^rss_kb=//p' "$2" | tail -1)
	check_within "$1: a round's VmRSS stays flat (the program's own, kB)" "$b" "$a" 3
}

# --- Perl: SV arenas ---------------------------------------------------------
if command -v perl >/dev/null; then
	if start_rt perl perl "$RT/sv_arenas.pl" 300000 3; then
		check_reused perl "$RT_OUT"
		"$MS" overview --json "$RT_PID" >"$TMP/plo.json" 2>/dev/null
		check_eq "perl: the runtime recognised" "$(jq -r .runtime "$TMP/plo.json")" perl
		"$MS" guide --batch --json "$RT_PID" >"$TMP/pl.json" 2>"$TMP/pl.err"
		check_eq "perl: guide exits 0" "$?" 0
		c=$(cause "$TMP/pl.json" in_use_unaccounted)
		check_match "perl: in use named as perl's arenas" "$(jq -r .text <<<"$c")" \
			"is in use \\(live blocks\\).*perl keeps freed scalars in its own arenas"
		check_eq "perl: watch tells a cache from a leak" "$(jq -r '.remedies[0].command' <<<"$c")" \
			"memsleuth watch $RT_PID --duration 60"
		check_match "perl: Devel::Size / Devel::Gladiator named" "$(jq -r '.remedies[].command' <<<"$c")" "Devel::Gladiator"
		check_eq "perl: no conclusion says 'a leak or a cache'" "$(jq -r '.verdicts[].text' "$TMP/pl.json" | grep -c 'a leak or a cache')" 0
		ev=$(jq -r '[.steps[] | select(.findings.events? != null)][0].findings.events // "none"' "$TMP/pl.json")
		if [ "$ev" = 0 ]; then
			check_match "perl: the idle hotspots step says watch or record from the start" \
				"$(jq -r '[.steps[] | select(.findings.events? == 0)][0].verdict' "$TMP/pl.json")" \
				"the process was idle.*memsleuth watch $RT_PID.*memsleuth guide -- perl "
			check_eq "perl: no conclusion offers hotspots PID again" \
				"$(jq -r '.verdicts[].next' "$TMP/pl.json" | grep -c "hotspots $RT_PID")" 0
		else
			skip "perl: hotspots recorded $ev calls (the process was not idle): the idle case not exercised"
		fi
		stop_example "$RT_PID"
	fi
else
	skip "perl: not installed (apt install perl)"
fi

# --- Tcl: the threaded allocator's caches ------------------------------------
TCLSH=$(command -v tclsh8.6 || command -v tclsh || true)
if [ -n "$TCLSH" ]; then
	if start_rt tcl "$TCLSH" "$RT/tcl_cache.tcl" 200000 3; then
		check_reused tcl "$RT_OUT"
		"$MS" arenas --json "$RT_PID" >"$TMP/tc.json" 2>/dev/null
		c=$(cause "$TMP/tc.json" in_use_unaccounted)
		check_match "tcl: in use named as Tcl's allocator caches" "$(jq -r .text <<<"$c")" \
			"threaded Tcl's allocator caches freed objects per thread"
		check_eq "tcl: watch tells a cache from a leak" "$(jq -r '.remedies[0].command' <<<"$c")" \
			"memsleuth watch $RT_PID --duration 60"
		check_eq "tcl: no hotspots for it" "$(jq -r '.remedies[].command' <<<"$c" | grep -c hotspots)" 0
		"$MS" overview --json "$RT_PID" >"$TMP/tco.json" 2>/dev/null
		check_eq "tcl: the runtime recognised" "$(jq -r .runtime "$TMP/tco.json")" tcl
		stop_example "$RT_PID"
	fi
else
	skip "tcl: no tclsh (apt install tcl8.6)"
fi

# --- a launched leak (trial5 T5-8): the guide ends it, so no next names its PID
"$MS" guide --batch --json --no-compare --when running -- "$EX/growth" leak 1024 >"$TMP/gl.json" 2>"$TMP/gl.err"
check_eq "launched: guide exits 0" "$?" 0
lp=$(jq -r '.pid' "$TMP/gl.json")
gv=$(jq -c '[.verdicts[] | select(.text | test("^Over the [0-9]+ s watch, live malloc memory gr"))][0]' "$TMP/gl.json")
if [ "$gv" = null ]; then
	skip "launched: the short watch saw no growth here (a loaded machine): its next not exercised"
else
	check_eq "launched: the watch's growth's next records a new run" "$(jq -r .next <<<"$gv")" \
		"memsleuth hotspots -- $EX/growth leak 1024"
fi
check_eq "launched: no next names the ended PID $lp" "$(jq -r '.verdicts[].next' "$TMP/gl.json" | grep -cw -- "$lp")" 0
check_eq "launched: the process is gone" "$(kill -0 "$lp" 2>/dev/null && echo alive || echo gone)" gone
