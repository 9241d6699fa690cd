#!/usr/bin/env bash
# Launched commands that exec or wrap (findings/launch.h): under
#   sh -c 'exec PROG', a script that runs dirname and uname then exec's PROG,
#   env X=1 PROG, and a script that forks PROG and waits,
# syscalls, hotspots and the guide report on PROG with its own figures and
# show the wrapper apart.  Oracles: strace -f (the program image's memory
# syscalls, counted after its execve), the examples' own printed plans,
# the same program run without a wrapper; a JVM started by a wrapper.
source "$(dirname "$0")/lib.sh"
export TMPDIR=$TMP
command -v strace >/dev/null || { skip "launch: no strace (the oracle)"; exit 0; }

cat >"$TMP/wrap-exec" <<'EOF'
#!/bin/bash
# a launcher script: works out things, then becomes the program
here=$(dirname "$0"); os=$(uname -s)
exec "$@"
EOF
cat >"$TMP/wrap-fork" <<'EOF'
#!/bin/bash
# a launcher script that runs the program as its child and waits
here=$(dirname "$0"); os=$(uname -s)
"$@"
exit $?
EOF
chmod +x "$TMP/wrap-exec" "$TMP/wrap-fork"

# wrapped KIND PROG ARGS...: the command line KIND runs PROG ARGS with
wrapped() {
	local kind=$1; shift
	case $kind in
	sh-exec) printf '%s\0' sh -c 'exec "$0" "$@"' "$@" ;;
	script-exec) printf '%s\0' "$TMP/wrap-exec" "$@" ;;
	env) printf '%s\0' env X=1 "$@" ;;
	script-fork) printf '%s\0' "$TMP/wrap-fork" "$@" ;;
	esac
}
# what the line names as the wrapper (syscalls: the comm, a script's name;
# hotspots: the executable, the shell)
declare -A WNAME=([sh-exec]='(sh|dash)' [script-exec]='(wrap-exec|bash) \(pid [0-9]+, 2 children: dirname, uname\)'
		  [env]='env' [script-fork]='(wrap-fork|bash) \(pid [0-9]+, 2 children: dirname, uname\)')
KINDS=(sh-exec script-exec env script-fork)

# strace_counts FILE PROGNAME: "brk mmap munmap mprotect madvise" calls of
# PROGNAME's image (after its successful execve: its pid and the threads it
# makes), then the same for everything else (the wrapper: every process
# seen before that execve, and that pid before it)
strace_counts() {
	awk -v prog="$2" '
	function sc(l,   m) { if (match(l, /^[0-9]+ +(brk|mmap|munmap|mprotect|madvise)\(/)) { m = substr(l, RSTART, RLENGTH); sub(/^[0-9]+ +/, "", m); sub(/\($/, "", m); return m } return "" }
	{
		pid = $1
		if (!inprog && $0 ~ /execve\(/ && $0 ~ ("/" prog "\"") && $0 ~ /= 0$/) { progpid = pid; inprog = 1; next }
		if (!inprog) before[pid] = 1
		s = sc($0); if (s == "") next
		if (inprog && (pid == progpid || !(pid in before))) p[s]++; else w[s]++
	}
	END { printf "%d %d %d %d %d %d %d %d %d %d\n", p["brk"], p["mmap"], p["munmap"], p["mprotect"], p["madvise"],
		w["brk"], w["mmap"], w["munmap"], w["mprotect"], w["madvise"] }' "$1"
}

# --- syscalls: the program's calls exactly as strace -f counts them -------
PROG=("$EX/syscall_mix" --threads 1 --linger 0.4)
# every wrapper with the default backend (tracefs here; stap-bpf before: what does not depend
# on the order of its per-CPU output) and with ptrace (ordered: the exact split)
for combo in auto:sh-exec auto:script-exec auto:env auto:script-fork ptrace:sh-exec ptrace:script-exec ptrace:env ptrace:script-fork; do
	b=${combo%%:*} k=${combo#*:}
	{
		mapfile -d '' cmd < <(wrapped "$k" "${PROG[@]}")
		strace -f -qq -e trace=brk,mmap,munmap,mprotect,madvise,execve -o "$TMP/st.$k" "${cmd[@]}" >/dev/null 2>&1
		read -r -a n < <(strace_counts "$TMP/st.$k" syscall_mix)
		"$MS" syscalls --backend "$b" --json -- "${cmd[@]}" >"$TMP/sc.json" 2>"$TMP/sc.err"
		check_eq "syscalls $b $k: exit 0" "$?" 0
		J="$TMP/sc.json"
		# stap-bpf's output comes per CPU: under load a fork or exec line can
		# arrive after calls made after it (memsleuth-syscalls(1)), so which
		# image a call belongs to is checked on the ordered backends (ptrace,
		# tracefs); on it, what does not depend on the order
		if [ "$b" != auto ]; then
			check_eq "syscalls $b $k: the program is syscall_mix" "$(jq -r .launch.program.name "$J")" syscall_mix
			check_match "syscalls $b $k: the wrapper shown apart" "$(jq -r .launch.text "$J")" \
				"^wrapper: ${WNAME[$k]}.* -> program: syscall_mix \(pid [0-9]+\)$"
		fi
		prog_calls=$(jq '[.totals[].count] | add' "$J")
		wrap_calls=$(jq '[.launch.wrapper[].calls] | add // 0' "$J")
		if [ "$b" = auto ]; then
			check_eq "syscalls $b $k: program + wrapper calls = strace -f's" $((prog_calls + wrap_calls)) \
				$((n[0] + n[1] + n[2] + n[3] + n[4] + n[5] + n[6] + n[7] + n[8] + n[9]))
		else
			i=0
			for s in brk mmap munmap mprotect madvise; do
				check_eq "syscalls $b $k: program's $s calls = strace -f's" \
					"$(jq ".totals[] | select(.syscall==\"$s\") | .count" "$J")" "${n[$i]}"
				i=$((i + 1))
			done
			check_eq "syscalls $b $k: wrapper's calls = strace -f's" "$wrap_calls" $((n[5] + n[6] + n[7] + n[8] + n[9]))
		fi
		# the break: one entry per image, the program's moved 4 MiB up by its own brk calls
		# (plus what malloc took first), never compared across an exec
		check_eq "syscalls $b $k: no brk entry ends below its start" \
			"$(jq '[.brk[] | select(.end_address < .start_address)] | length' "$J")" 0
		hw=$(jq '[.brk[] | select(.wrapper | not) | .high_water_address - .start_address] | max' "$J")
		check_cmp "syscalls $b $k: program's brk high water >= its 4 MiB" "$hw" -ge 4194304
		check_cmp "syscalls $b $k: ... and < 5 MiB (no delta across exec)" "$hw" -lt 5242880
		check_eq "syscalls $b $k: mixer-0 madvise (its plan: 2)" \
			"$(jq '.threads[] | select(.name=="mixer-0") | .syscalls[] | select(.syscall=="madvise") | .count' "$J")" 2
		[ "$b" = auto ] || check_eq "syscalls $b $k: no wrapper thread in the table" \
			"$(jq '[.threads[] | select(.name | test("^(sh|bash|env|dirname|uname|wrap-)"))] | length' "$J")" 0
	}
done
# the issue's case: sh -c 'exec python3 ...' never reports a break delta across the exec.
# Three runs: a short-lived command's lines name no process ("-------") or an
# earlier task's with its pid, and only the exec lines' own fields are exact.
if [ -x /usr/bin/python3 ]; then
	for run in 1 2 3; do
		out=$("$MS" syscalls -- sh -c 'exec /usr/bin/python3 -c "x = bytearray(10**7); del x"' 2>&1)
		check_match "syscalls sh -c 'exec python3' (run $run): program named" "$out" 'launched: wrapper: sh \(pid [0-9]+\) -> program: python3'
		if printf '%s' "$out" | grep -Eq 'ends below it by [0-9.]+ (GiB|TiB)'; then
			fail "syscalls sh -c 'exec python3' (run $run): a break delta across exec: $(printf '%s' "$out" | grep 'ends below')"
		else pass "syscalls sh -c 'exec python3' (run $run): no break delta across exec"; fi
	done
fi

# --- hotspots: the program's allocator calls, the wrapper's left out -------
AC=("$EX/alloc_counts" --threads 2)
"$MS" hotspots --json -- "${AC[@]}" >"$TMP/direct.json" 2>/dev/null
direct=$(jq .allocations "$TMP/direct.json")
for k in "${KINDS[@]}"; do
	mapfile -d '' cmd < <(wrapped "$k" "${AC[@]}")
	"$MS" hotspots --json -- "${cmd[@]}" >"$TMP/hs.json" 2>"$TMP/hs.err"
	check_eq "hotspots $k: exit 0" "$?" 0
	J="$TMP/hs.json"
	check_eq "hotspots $k: the program is alloc_counts" "$(jq -r .launch.program.name "$J")" alloc_counts
	check_match "hotspots $k: the wrapper shown apart" "$(jq -r .launch.text "$J")" \
		"^wrapper: ${WNAME[$k]}.* -> program: alloc_counts \(pid [0-9]+\)$"
	ppid=$(jq .launch.program.pid "$J")
	check_eq "hotspots $k: every thread is the program's" "$(jq "[.threads[] | select(.pid != $ppid)] | length" "$J")" 0
	c1=$(jq '[.threads[] | select(.name == "counter-1") | .calls] | add' "$J")
	check_cmp "hotspots $k: counter-1 made its 4017 calls" "$c1" -ge 4017
	check_cmp "hotspots $k: ... (+ at most 4 thread-exit frees)" "$c1" -le 4021
	check_within "hotspots $k: program's allocations = the run without wrapper" "$(jq .allocations "$J")" "$direct" 1
	check_cmp "hotspots $k: the wrapper's own calls counted apart" "$(jq '[.launch.wrapper[].calls] | add' "$J")" -gt 0
	check_eq "hotspots $k: top thread is the program's (not dirname's)" "$(jq -r '.threads[0].name' "$J")" counter-1
done
out=$("$MS" hotspots -- "$TMP/wrap-fork" "${AC[@]}" 2>&1)
check_match "hotspots text: the launch line" "$out" 'launched: wrapper: bash \(pid [0-9]+, 2 children: dirname, uname\)'
check_match "hotspots text: the wrapper's calls said apart" "$out" "the wrapper's own [0-9]+ allocator calls"

# --- the guide: the program examined and its allocator named --------------
for k in "${KINDS[@]}"; do
	mapfile -d '' cmd < <(wrapped "$k" "$EX/pin" --count 20000)
	"$MS" guide --batch --json --window 1 --watch 0 --no-compare -- "${cmd[@]}" --hold >"$TMP/g.json" 2>"$TMP/g.err"
	check_eq "guide $k: exit 0" "$?" 0
	check_eq "guide $k: examined the program" "$(jq -r .name "$TMP/g.json")" pin
	hs=$(jq -r '.steps[] | select(.name=="hotspots" or .step=="hotspots") | .verdict' "$TMP/g.json")
	check_match "guide $k: the top allocator is the program's" "$hs" '^Thread [0-9]+ \(pin\) made the most allocator calls'
	if [ "$k" = script-fork ]; then
		check_match "guide $k: the wrapper said apart" "$(cat "$TMP/g.err")" \
			'launched: wrapper: wrap-fork \(pid [0-9]+\) -> program: pin \(pid [0-9]+\)'
	fi
done

# --- a JVM started by a wrapper script (forks java and waits) ------------
if command -v java >/dev/null && command -v javac >/dev/null; then
	cat >"$TMP/Alloc.java" <<'J'
public class Alloc { public static void main(String[] a) throws Exception {
	java.util.List<byte[]> l = new java.util.ArrayList<>(); for (int i = 0; i < 2000; i++) l.add(new byte[1024]);
	System.out.println("ready " + l.size()); System.out.flush(); Thread.sleep(120000); } }
J
	if javac -d "$TMP" "$TMP/Alloc.java"; then
		"$MS" hotspots --json --duration 6 -- "$TMP/wrap-fork" java -Xmx64m -Xss512k -XX:TieredStopAtLevel=1 -cp "$TMP" Alloc \
			>"$TMP/jh.json" 2>"$TMP/jh.err"
		check_eq "jvm hotspots: the program is java" "$(jq -r .launch.program.name "$TMP/jh.json")" java
		check_match "jvm hotspots: the wrapper apart" "$(jq -r .launch.text "$TMP/jh.json")" \
			'^wrapper: bash \(pid [0-9]+, 2 children: dirname, uname\) -> .*program: java'
		jp=$(jq .launch.program.pid "$TMP/jh.json")
		check_eq "jvm hotspots: every thread is java's" "$(jq "[.threads[] | select(.pid != $jp)] | length" "$TMP/jh.json")" 0
	else
		fail "jvm: javac"
	fi
else
	skip "launch: no JDK (java, javac)"
fi
