#!/usr/bin/env bash
# The README's and every man page's synopsis lines, run: each form with its
# optional parts left out, PID replaced by a live example process, CMD by
# an example command (build/examples/pin; with --hold where the step waits
# for the moment to look), NAME by a shipped lab, DIR by a log recorded
# here, ADDR by an address in the example's libc, CORE by a gcore of the
# example, SCRIPT by a shipped SystemTap script (stap/brk.stp).  A form must run (exit 0):
# what the documentation shows people to type works as written.
# compare gets --configs glibc --runs 1 added (its default is 13 x 3 runs);
# a step that watches a PID until Ctrl-C gets Ctrl-C after 20 s.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_example pin freed || exit 1
PID=$EX_PID
"$MS" hotspots --record-only --output "$TMP/rec" -- "$EX/pin" >/dev/null 2>&1
ADDR=0x$(awk '/libc.so/ {print $1; exit}' "/proc/$PID/maps" | cut -d- -f1)
"$MS" overview --json "$PID" >"$TMP/ov.json"
gcore -o "$TMP/core" "$PID" >/dev/null 2>&1
CORE=$TMP/core.$PID
[ -s "$CORE" ] || CORE=
attach_ok=0
"$MS" hotspots -d 1 "$PID" >/dev/null 2>&1 && attach_ok=1

# roff synopsis -> one form per line (.br separates forms)
man_forms() {
	awk '/^\.SH SYNOPSIS/ {on = 1; next} /^\.SH/ {on = 0} on' "$1" |
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/^\.[BI] //' |
	awk '/^\.br/ { if (f != "") print f; f = ""; next } { f = f (f == "" ? "" : " ") $0 } END { if (f != "") print f }'
}
# README: the commands of the steps table, `memsleuth ...` in backticks,
# alternatives written "A \| B" split into forms.
readme_forms() {
	grep -o '^| `memsleuth [^`]*`' "$ROOT/README.md" | sed -e 's/^| `//' -e 's/`$//' |
	grep -E 'PID|CMD' | while IFS= read -r l; do
		case $l in
		*'['*'\|'*']'*) printf '%s\n' "$l" | sed 's/ *\\| */ | /g' ;;   # alternatives inside [...]: one form
		*'\|'*) head=${l%% *} rest=${l#* }; step=${rest%% *}; alts=${rest#* }
			printf '%s\n' "$alts" | sed 's/ *\\| */\n/g' | while IFS= read -r a; do echo "$head $step $a"; done ;;
		*) echo "$l" ;;
		esac
	done
}
# A form, made runnable: optional [...] out, (A | B) -> A, names filled in.
runnable() {
	local f=$1 prev=
	while [ "$f" != "$prev" ]; do prev=$f; f=$(printf '%s' "$f" | sed -E 's/\[[^][]*\]//g'); done
	f=$(printf '%s' "$f" | sed -E -e 's/\(([^|()]*)\|[^()]*\)/\1/g' -e 's/ < text//' -e 's/ \.\.\.( |$)/ /g' -e 's/ +/ /g' -e 's/ $//')
	local cmd="$EX/pin"
	case $f in *guide*|*compare*) cmd="$EX/pin --hold" ;; esac
	f=$(printf '%s' "$f" | sed -E -e "s#CMD ARGS|CMD#$cmd#" -e "s#NAME\|FILE#pin#" -e "s#(^| )DIR#\1$TMP/rec#" \
		-e "s#ADDR\.\.\.#$ADDR#" -e "s#'?SCRIPT'?#$ROOT/stap/brk.stp#g" \
		${CORE:+-e "s#(^| )CORE#\1$CORE#"} -e "s#(^| )STEP#\1doctor#" -e "s#(^| )PID#\1$PID#g")
	case $f in memsleuth\ compare\ *--*) f=${f/memsleuth compare/memsleuth compare --configs glibc --runs 1} ;; esac
	printf '%s' "$f"
}
try() {
	local src=$1 form=$2 r
	r=$(runnable "$form")
	case $r in
	*"hotspots $PID"*|*"hotspots --duration"*) [ $attach_ok = 1 ] || { skip "$src: '$form': attaching does not work here"; return; } ;;
	esac
	# a placeholder with no example value here (CORE, SCRIPT): not run
	local left
	left=$(printf '%s' "$r" | grep -oE "(^| )'?[A-Z][A-Z0-9_.-]{2,}'?( |$)" | head -1 | tr -d " '")
	if [ -n "$left" ]; then skip "$src: '$form': no example value for $left here"; return; fi
	local argv in=/dev/null t=300 sig=TERM
	read -r -a argv <<<"$r"
	argv[0]=$([ "${argv[0]}" = memsleuth ] && echo "$MS" || echo "$BUILD/${argv[0]}")
	# msreport reads findings on stdin; syscalls and hotspots on a PID
	# watch until Ctrl-C, which they answer with their report (exit 0)
	case $r in msreport*) in=$TMP/ov.json ;; esac
	case $r in *"syscalls $PID"*|*"hotspots $PID"*|*"watch $PID"*) t=20 sig=INT ;; esac
	# a script with no target runs until Ctrl-C (after its compile, ~5 s)
	case $r in "memsleuth stap $ROOT"*) t=30 sig=INT ;; esac
	timeout --preserve-status -s $sig -k 30 $t "${argv[@]}" <"$in" >"$TMP/o" 2>"$TMP/e"; local rc=$?
	if [ $rc = 0 ]; then pass "$src: '$form' runs as '$r'"
	else fail "$src: '$form' as '$r': exit $rc: $(head -c 300 "$TMP/e")"; fi
}
for m in "$ROOT"/docs/man/*.1; do
	while IFS= read -r form; do try "$(basename "$m")" "$form"; done < <(man_forms "$m")
done
while IFS= read -r form; do try README.md "$form"; done < <(readme_forms)
stop_example "$PID"
