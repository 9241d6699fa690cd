# Bad input to overview and doctor: one clear line on stderr, exit 2, no crash.
source "$(dirname "$0")/lib.sh"
one_line() { [ "$(wc -l < "$TMP/err")" = 1 ]; }

for step in overview doctor; do
	check_status "$step: nonexistent PID" 2 "$MS" "$step" 999999
	check_match "$step: nonexistent PID names it and the way out" "$(cat "$TMP/err")" "process 999999: No such process \(check the PID with ps"
	one_line && pass "$step: one line" || fail "$step: more than one line: $(cat "$TMP/err")"
	check_status "$step: kernel thread" 2 "$MS" "$step" 2
	check_match "$step: kernel thread explained" "$(cat "$TMP/err")" "process 2 \(kthreadd\): is a kernel thread"
	check_status "$step: not a PID" 2 "$MS" "$step" 12ab
	check_match "$step: not a PID explained" "$(cat "$TMP/err")" "PID '12ab': not a process ID"
	check_status "$step: unknown option" 2 "$MS" "$step" --frobnicate 1
	check_match "$step: unknown option named" "$(cat "$TMP/err")" "--frobnicate: unknown option"
done
check_status "overview: no PID" 2 "$MS" overview
check_match "overview: no PID explained" "$(cat "$TMP/err")" "no PID given \(usage: memsleuth overview"
check_status "overview: malformed size" 2 "$MS" overview --accounted 12Q 1
check_match "overview: malformed size explained" "$(cat "$TMP/err")" "--accounted '12Q': not a size \(write it like 512M"
check_status "unknown step" 2 "$MS" frobnicate
check_status "a thread ID is not a process" 2 "$MS" overview "$(ls /proc/self/task | head -1)" 
check_status "help exits 0" 0 "$MS" overview --help

# a zombie: the child of 'sleep 5' exits and is never reaped
sh -c 'sleep 0.2 & exec sleep 5' & parent=$!; _pids+=("$parent")
sleep 1
zombie=$(ps -o pid=,stat= --ppid "$parent" | awk '$2 ~ /^Z/ {print $1}')
if [ -n "$zombie" ]; then
	check_status "zombie refused" 2 "$MS" overview "$zombie"
	check_match "zombie explained" "$(cat "$TMP/err")" "is a zombie: it has exited"
else
	fail "zombie: could not make one"
fi

# permission: an unprivileged user cannot read a root process's memory map
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	sleep 30 & victim=$!; _pids+=("$victim")
	check_status "permission denied" 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$MS" overview "$victim"
	check_match "permission denied explained" "$(cat "$TMP/err")" "Permission denied \(run as root or as the process owner"
else
	skip "permission test: needs root and setpriv to switch to an unprivileged user"
fi

# processes that exit while being read: never a crash, always 0 or 2
bad=0
for i in $(seq 1 30); do
	sleep 0.0$((i % 5)) & p=$!
	"$MS" overview --json "$p" >/dev/null 2>"$TMP/err"; rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 2 ] || { bad=1; echo "exit $rc: $(cat "$TMP/err")"; }
	wait "$p" 2>/dev/null
done
check_eq "30 targets exiting mid-read: exit 0 or 2 only" "$bad" 0
