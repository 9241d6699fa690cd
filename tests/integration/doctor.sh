# doctor against what the host and the target really have.
source "$(dirname "$0")/lib.sh"
matrix_row "glibc $(ldd --version | head -1 | awk '{print $NF}')" host debuginfo glibc; MATRIX_STEP=doctor
st() { jq -r ".checks[] | select(.name==\"$1\") | .status" "$TMP/dr.json"; }
"$MS" doctor --json > "$TMP/dr.json"
check_eq "host: exit 0 and valid JSON" "$(jq -r .step "$TMP/dr.json")" doctor
if [ -r /proc/config.gz ]; then
	if zcat /proc/config.gz | grep -q '^CONFIG_MODULES=y'; then mods=maybe; else mods=no; fi
	[ "$mods" = no ] && check_eq "host: module runtime refused without CONFIG_MODULES" "$(st stap_module_runtime)" no
	if zcat /proc/config.gz | grep -q '^CONFIG_KPROBES=y'; then kp=yes; else kp=no; fi
	check_eq "host: kprobes per the kernel config" "$(st kprobes)" "$kp"
else
	skip "host: no /proc/config.gz to compare with"
fi
if [ -e /sys/kernel/tracing/trace ] && [ -w /sys/kernel/tracing/instances ]; then tf=yes; else tf=no; fi
check_eq "host: tracefs per /sys/kernel/tracing" "$(st tracefs)" "$tf"
if command -v gdb >/dev/null; then g=yes; else g=no; fi
check_eq "host: gdb per PATH" "$(st gdb)" "$g"

if [ "$(id -u)" = 0 ] && command -v bpftrace >/dev/null; then
	check_match "host: syscall backend without set-up is what syscalls --backend auto would take before stap-bpf" \
		"$(jq -r '.checks[] | select(.name=="syscalls_backend") | .status + " " + .detail' "$TMP/dr.json")" "^yes (stap|tracefs|bpftrace) without set-up"
else
	skip "host: syscalls_backend check needs root and bpftrace"
fi

start_example pin freed --count 1000 || exit 1
"$MS" doctor --json "$EX_PID" > "$TMP/dr.json"
check_eq "target: memory readable" "$(st memory_read)" yes
check_match "target: glibc version" "$(jq -r '.checks[] | select(.name=="glibc_version") | .detail' "$TMP/dr.json")" "^$(ldd --version | head -1 | awk '{print $NF}') "
bid=$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 | awk '/Build ID/ {print $3}')
if [ -e "/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug" ]; then dbg=yes; else dbg=no; fi
check_eq "target: libc debug info per the build-id file" "$(st libc_debuginfo)" "$dbg"
MEMSLEUTH_NO_DEBUGINFO=1 "$MS" doctor --json "$EX_PID" > "$TMP/dr.json"
check_eq "target: MEMSLEUTH_NO_DEBUGINFO=1 ignores debug info" "$(st libc_debuginfo)" no
if readelf -n /lib/x86_64-linux-gnu/libc.so.6 | grep -q stapsdt; then sdt=yes; else sdt=no; fi
check_eq "target: SDT notes per readelf" "$(st sdt_probes)" "$sdt"
"$MS" doctor "$EX_PID" > "$TMP/dr.txt"
check_match "text: a table and ways out" "$(cat "$TMP/dr.txt")" "check +ok +what was found.*memory_read +yes"
stop_example "$EX_PID"
