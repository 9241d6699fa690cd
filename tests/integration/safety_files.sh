#!/usr/bin/env bash
# Output files are created safely (docs/security.md): in a sticky
# directory anyone can write (like /tmp), a symbolic link planted by
# nobody under the name of each output option is refused with one line,
# and the file it points to is never truncated.  New files: private ones
# 0600, reports by the umask.
. "$(dirname "$0")/lib.sh"
need_root "safety_files" || exit 0
command -v setpriv >/dev/null || { skip "safety_files: setpriv (util-linux) missing: cannot plant as nobody"; exit 0; }
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }

chmod 0755 "$TMP"
PUB=$TMP/pub
mkdir "$PUB" && chmod 1777 "$PUB"
VICTIM=$TMP/victim
echo precious > "$VICTIM"
mkdir "$TMP/victimdir"

# plant NAME: a link PUB/NAME -> VICTIM owned by nobody
plant() { as_nobody ln -s "$VICTIM" "$PUB/$1"; }
# refused NAME STATUS ERRFILE: exit STATUS, one line naming the link, victim intact
refused() {
	check_eq "$1: exit status" "$2" 2
	check_match "$1: one line naming the planted link" "$(grep -v '^memsleuth-example' "$3" | tail -1)" \
		"symbolic link.*(others can write|another user).*not followed"
	check_eq "$1: the link's target was not truncated" "$(cat "$VICTIM")" precious
}

start_example pin freed --count 1000 || { fail "safety_files: pin did not start"; exit 0; }
P=$EX_PID

# hotspots --folded
plant f.folded
"$MS" hotspots --stacks 4 --folded "$PUB/f.folded" -- "$EX/alloc_counts" >/dev/null 2>"$TMP/err"
refused "hotspots --folded onto a planted link" $? "$TMP/err"

# guide --report
plant r.html
"$MS" guide --batch --window 1 --report "$PUB/r.html" "$P" >/dev/null 2>"$TMP/err"
refused "guide --report onto a planted link" $? "$TMP/err"

# msreport -o
plant m.html
"$MS" overview --json "$P" > "$TMP/ov.json"
"$BUILD/msreport" --html -o "$PUB/m.html" < "$TMP/ov.json" 2>"$TMP/err"
refused "msreport -o onto a planted link" $? "$TMP/err"

# hotspots --output DIR: a planted link to a directory
as_nobody ln -s "$TMP/victimdir" "$PUB/rec"
"$MS" hotspots --record-only --output "$PUB/rec" -- "$EX/alloc_counts" >/dev/null 2>"$TMP/err"
check_eq "hotspots --output onto a planted link: exit status" "$?" 2
check_match "hotspots --output: the real reason (a symbolic link, not followed)" "$(tail -1 "$TMP/err")" \
	"rec: a symbolic link .*not followed"
check_eq "hotspots --output: nothing written where the link points" "$(ls "$TMP/victimdir" | wc -l)" 0

# the same options on new names: created, with the right modes
umask 022
"$MS" hotspots --stacks 4 --folded "$PUB/new.folded" -- "$EX/alloc_counts" >/dev/null 2>&1
check_eq "hotspots --folded: a new file is private (0600)" "$(stat -c %a "$PUB/new.folded" 2>/dev/null)" 600
"$BUILD/msreport" --html -o "$PUB/new.html" < "$TMP/ov.json" 2>/dev/null
check_eq "msreport -o: a new report follows the umask (0644 under 022)" "$(stat -c %a "$PUB/new.html" 2>/dev/null)" 644
"$BUILD/msreport" --html -o "$PUB/new.html" < "$TMP/ov.json" 2>/dev/null
check_eq "msreport -o: rewriting one's own report works" "$?" 0
as_nobody sh -c "echo theirs > '$PUB/theirs.html'"
"$BUILD/msreport" --html -o "$PUB/theirs.html" < "$TMP/ov.json" 2>"$TMP/err"
check_eq "msreport -o: another user's file in a shared dir is not replaced (exit 2)" "$?" 2
check_eq "msreport -o: their file is intact" "$(cat "$PUB/theirs.html")" theirs
"$MS" hotspots --record-only --output "$TMP/own" -- "$EX/alloc_counts" >/dev/null 2>&1
check_eq "hotspots --output: a new directory is private (0700)" "$(stat -c %a "$TMP/own" 2>/dev/null)" 700
exit 0
