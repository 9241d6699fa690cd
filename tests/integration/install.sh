#!/usr/bin/env bash
# make install into a DESTDIR, as a Debian package build does: the layout
# file by file, modes, the installed driver run from there (it finds its
# companions under its prefix, not in the build tree), WERROR=0, no network
# for the install, and bash completion called as bash calls it.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
root="$TMP/root"
P=/opt/ms
# no network: a network namespace with nothing but a down loopback
NONET=()
unshare --net true 2>/dev/null && NONET=(unshare --net)
"${NONET[@]}" make -s -C "$ROOT" install PREFIX=$P DESTDIR="$root" BUILD="$BUILD" >"$TMP/install.log" 2>&1
check_eq "make install exits 0${NONET:+ (without network)}" $? 0
[ -n "${NONET[*]}" ] || skip "make install without network: unshare --net not available"

# --- the layout, file by file (expected from the source tree) -------------
{
	echo "bin/memsleuth 755"
	echo "bin/msreport 755"
	for h in "$ROOT"/helpers/*.c; do
		n=$(basename "$h" .c)
		[ "$n" = msreport ] || echo "libexec/memsleuth/$n 755"
	done
	echo "libexec/memsleuth/libmemsleuth-hook.so 755"
	echo "libexec/memsleuth/stap-bpf-setup 755"
	echo "libexec/memsleuth/trust.sh 644"
	for f in "$ROOT"/docs/man/*.1; do echo "share/man/man1/${f##*/} 644"; done
	echo "share/doc/memsleuth/README.md 644"
	for f in "$ROOT"/docs/*.md; do echo "share/doc/memsleuth/${f##*/} 644"; done
	for f in "$ROOT"/docs/json/*.md; do echo "share/doc/memsleuth/json/${f##*/} 644"; done
	for f in "$ROOT"/docs/examples/*; do echo "share/doc/memsleuth/examples/${f##*/} 644"; done
	echo "share/bash-completion/completions/memsleuth 644"
	echo "share/bash-completion/completions/msreport link"
	for f in "$ROOT"/stap/*.stp; do echo "share/memsleuth/stap/${f##*/} 644"; done
	for f in "$ROOT"/stap/tapset/*.stp; do echo "share/memsleuth/stap/tapset/${f##*/} 644"; done
	for f in "$ROOT"/gdb-scripts/*.gdb; do echo "share/memsleuth/gdb-scripts/${f##*/} 644"; done
	for f in "$ROOT"/examples/labs/*.lab; do echo "share/memsleuth/labs/${f##*/} 644"; done
} | sort >"$TMP/want"
(cd "$root$P" && find . \( -type f -o -type l \) -printf '%P %m %y\n' | awk '{ print $1, ($3 == "l" ? "link" : $2) }' | sort) >"$TMP/got"
check_eq "layout: every file where a Debian package puts it, with its mode (diff want got)" \
	"$(diff "$TMP/want" "$TMP/got" | grep '^[<>]' | head -5 | tr '\n' '|')" ""
check_eq "msreport installed once (bin/ only)" "$(find "$root" -name msreport -type f | wc -l)" 1
check_eq "completion for msreport links to memsleuth's" "$(readlink "$root$P/share/bash-completion/completions/msreport")" memsleuth
check_eq "nothing outside PREFIX" "$(cd "$root" && find . -mindepth 1 -maxdepth 2 | sort | tr '\n' ' ')" "./opt ./opt/ms "

# --- the installed programs run from there ------------------------------
I="$root$P/bin/memsleuth"
check_status "installed driver: -V" 0 "$I" -V
check_match "installed driver names its version" "$(cat "$TMP/out")" "^memsleuth [0-9]"
check_status "installed msreport: --version" 0 "$root$P/bin/msreport" --version
check_status "installed doctor works" 0 "$I" doctor --json
start_example alloc_counts counted --threads 1 --calls 10
check_status "installed overview on a live PID" 0 "$I" overview --json "$EX_PID"
check_within "installed overview: RSS = /proc/PID/status VmRSS" "$(jq .rss_bytes "$TMP/out")" \
	"$(( $(awk '/^VmRSS:/ { print $2 }' "/proc/$EX_PID/status") * 1024 ))" 5
stop_example "$EX_PID"
# the hook from PREFIX/libexec/memsleuth (it would fail to start without it)
check_status "installed hotspots finds its hook under PREFIX" 0 "$I" hotspots --json -- "$EX/alloc_counts" --threads 1 --calls 50
check_eq "installed hotspots: count_malloc 50 calls" \
	"$(jq '[.sites[] | select(.symbol == "count_malloc") | .calls] | add' "$TMP/out")" 50
check_status "installed lab finds its labs under PREFIX/share" 0 "$I" lab --list
check_match "installed lab --list: the shipped labs" "$(cat "$TMP/out")" "pin .*trim_recovery"
check_status "installed stap finds its scripts under PREFIX/share" 0 "$I" stap --list
check_match "installed stap --list: memsyscalls" "$(cat "$TMP/out")" "memsyscalls"
# never the build tree, never a file others can write: a copy of the
# installed tree with a world-writable share/memsleuth is refused
cp -a "$root" "$TMP/root2"
chmod 0777 "$TMP/root2$P/share/memsleuth/labs"
"$TMP/root2$P/bin/memsleuth" lab pin >"$TMP/o2" 2>"$TMP/e2"
check_match "lab from a prefix others can write: refused (exit 2, names it)" "$? $(cat "$TMP/e2")" \
	"^2 .*$TMP/root2$P/share/memsleuth/labs.*(writable|mode)"
rm -rf "$TMP/root2"

# --- WERROR=0 for distribution builds -----------------------------------
werr() { make -s -n -B -C "$ROOT" BUILD="$TMP/wb" V=1 "$@" "$TMP/wb/obj/src/lib/util/paths.o" 2>/dev/null | grep -c -- '-Werror'; }
check_eq "default build: -Werror" "$(werr)" 1
check_eq "WERROR=0: no -Werror" "$(werr WERROR=0)" 0

# --- bash completion, as bash calls it ----------------------------------
# In a PID namespace of its own the running processes are known exactly:
# the shell (PID 1) and the sleep it started.
comp="$root$P/share/bash-completion/completions/memsleuth"
cat >"$TMP/comp.sh" <<EOF
cd "$TMP/empty" || exit 2
PATH="$root$P/bin:\$PATH"
source "$comp"
sleep 30 & sp=\$!
c() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _memsleuth;
      ((\${#COMPREPLY[@]})) && printf '%s\n' "\${COMPREPLY[@]}" | sort | tr '\n' ' '; echo; }
echo "sleep \$sp"
c memsleuth ""
c memsleuth overview ""
c memsleuth overview -p ""
c memsleuth overview 1 ""
c memsleuth lab ""
c memsleuth arenas -
c memsleuth hotspots --folded-weight ""
c memsleuth compare ""
kill \$sp
EOF
mkdir -p "$TMP/empty"
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	unshare --pid --fork --mount-proc bash "$TMP/comp.sh" >"$TMP/comp.out" 2>"$TMP/comp.err"
	sp=$(sed -n 's/^sleep //p' "$TMP/comp.out")
	line() { sed -n "$(($1 + 1))p" "$TMP/comp.out"; }
	steps=$("$I" --help | awk '/^Steps:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' | sort | tr '\n' ' ')
	check_eq "completion: step names first" "$(line 1)" "$(printf '%s\n' $steps -h --help -V --version | sort | tr '\n' ' ')"
	check_eq "completion: PIDs after 'overview '" "$(line 2)" "$(printf '%s\n' 1 "$sp" | sort | tr '\n' ' ')"
	check_eq "completion: PIDs after 'overview -p '" "$(line 3)" "$(printf '%s\n' 1 "$sp" | sort | tr '\n' ' ')"
	check_eq "completion: no PID once the PID is given" "$(line 4)" ""
	check_eq "completion: lab names after 'lab ', no PIDs" "$(line 5)" \
		"$(ls "$ROOT/examples/labs" | sed -n 's/\.lab$//p' | sort | tr '\n' ' ')"
	# arenas' options: every option line of its --help, short and long
	want=$("$I" arenas --help | sed -nE 's/^  (-[A-Za-z]), (--[a-z][a-z0-9-]*).*/\1 \2/p; s/^      (--[a-z][a-z0-9-]*).*/\1/p' | tr ' ' '\n' | sort | tr '\n' ' ')
	check_eq "completion: arenas' options after 'arenas -'" "$(line 6)" "$want"
	check_match "completion: arenas' options include -s and --stop" "$(line 6)" "--stop .*(^| )-s( |$)"
	check_eq "completion: --folded-weight values" "$(line 7)" "bytes calls live "
	check_eq "completion: no PIDs for compare (it launches a command)" "$(line 8)" ""
else
	skip "completion: unshare --pid not available (no PID namespace to know the PIDs exactly)"
fi
