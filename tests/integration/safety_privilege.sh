#!/usr/bin/env bash
# Least privilege (docs/security.md): the capabilities each step needs
# against another user's process, checked by running memsleuth as nobody
# with only those capabilities (setpriv, ambient set).  Without them each
# step refuses with one line naming the way out.
. "$(dirname "$0")/lib.sh"
need_root "safety_privilege" || exit 0
command -v setpriv >/dev/null || { skip "safety_privilege: setpriv (util-linux) missing"; exit 0; }
# as_nobody CAPS CMD...: CAPS like +sys_ptrace,+dac_read_search, or "" for none
as_nobody() {
	local caps=$1; shift
	if [ -n "$caps" ]; then
		setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps "$caps" --ambient-caps "$caps" "$@"
	else
		setpriv --reuid nobody --regid nogroup --clear-groups "$@"
	fi
}
case $(readlink -f "$MS") in /root/*|/home/*) skip "safety_privilege: $MS not reachable by nobody"; exit 0 ;; esac
as_nobody "" test -x "$MS" || { skip "safety_privilege: nobody cannot run $MS"; exit 0; }

start_example pin freed --count 1000 || { fail "safety_privilege: pin did not start"; exit 0; }
P=$EX_PID

check_refused "overview of root's process as nobody, no capability" as_nobody "" "$MS" overview "$P"
as_nobody +sys_ptrace "$MS" overview --json "$P" >"$TMP/ov.json" 2>"$TMP/err"
check_eq "overview with CAP_SYS_PTRACE only: exit 0" "$?" 0
check_eq "overview with CAP_SYS_PTRACE only: RSS read" "$(jq '.rss_bytes > 0' "$TMP/ov.json" 2>/dev/null)" true

check_refused "arenas with CAP_SYS_PTRACE only (/proc/PID/mem is 0600)" as_nobody +sys_ptrace "$MS" arenas "$P"
"$MS" arenas --json "$P" >/dev/null 2>&1; root_rc=$?
as_nobody +sys_ptrace,+dac_read_search "$MS" arenas --json "$P" >"$TMP/ar.json" 2>"$TMP/err"
check_eq "arenas with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH: the exit status root gets" "$?" "$root_rc"
check_eq "arenas with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH: main_arena found" \
	"$(jq '[.arenas[]?] | length > 0' "$TMP/ar.json" 2>/dev/null)" true

check_refused "syscalls --backend tracefs as nobody, no capability" \
	as_nobody "" "$MS" syscalls --backend tracefs --duration 1 "$P"
as_nobody +dac_override "$MS" syscalls --backend tracefs --duration 1 "$P" >"$TMP/out" 2>"$TMP/err"
check_eq "syscalls --backend tracefs with CAP_DAC_OVERRIDE only: exit 0" "$?" 0
as_nobody +sys_ptrace "$MS" syscalls --backend ptrace --duration 1 "$P" >"$TMP/out" 2>"$TMP/err"
check_eq "syscalls --backend ptrace with CAP_SYS_PTRACE only: exit 0" "$?" 0
if command -v bpftrace >/dev/null; then
	as_nobody +bpf,+perfmon,+dac_read_search "$MS" syscalls --backend bpftrace --duration 1 "$P" >"$TMP/out" 2>"$TMP/err"
	check_match "syscalls --backend bpftrace is refused below root (bpftrace itself insists on uid 0)" \
		"$(cat "$TMP/err")" "bpftrace: needs root"
fi
exit 0
