#!/usr/bin/env bash
# A process whose command line is a title it wrote (trial 5, T5-2: a
# PostgreSQL backend, "postgres: postgres postgres [local] idle" padded with
# NULs) is no command anyone starts: memsleuth prints no command line made
# of its title -- no "GLIBC_TUNABLES=... proctitle: worker idle", no ''
# for its NUL padding, no compare run on it -- but where the setting goes:
# the environment of the process that starts it, its parent (pid and exe).
# A worker that keeps its argv still gets its relaunch command, an empty
# argument between others quoted as ''.
# Oracles: /proc (the worker's cmdline bytes, PPid, the parent's exe), and
# the remedies applied as printed: the relaunch command run as printed, and
# the setting put into the parent's environment, both lower the worker's
# RSS by the kept top (ps_status.c-style title: examples/proctitle.c).
source "$(dirname "$0")/lib.sh"
FIXED=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
TITLE="proctitle: worker idle"
worker_of() { sed -n 's/.*pid=\([0-9]*\) phase=kept.*/\1/p' "$1" | head -1; }
rss_of() { sed -n 's/.*phase=kept rss_kb=\([0-9]*\).*/\1/p' "$1" | head -1; }
# no_title_command NAME FILE: nothing in FILE runs the title as a command
no_title_command() {
	local flat
	flat=$(tr -s ' \n' ' ' <"$2")
	check_eq "$1: no empty '' argument" "$(grep -c "''" <<<"$flat")" 0
	check_eq "$1: no setting in front of the title" \
		"$(grep -Ec "(GLIBC_TUNABLES|LD_PRELOAD|MALLOC_ARENA_MAX|MALLOC_CONF)=[^ ]* '?proctitle: worker" <<<"$flat")" 0
	check_eq "$1: no compare run on the title" "$(grep -Ec -- "-- '?proctitle: worker" <<<"$flat")" 0
}

start_example proctitle kept || exit 0
parent=$EX_PID out=$EX_OUT
w=$(worker_of "$out")
[ -n "$w" ] || { fail "the worker's pid in: $(cat "$out")"; exit 0; }
# the oracles: the title and its padding, the parent and its executable
check_eq "/proc: the worker's argv[0] is its title" "$(tr '\0' '\n' <"/proc/$w/cmdline" | head -1)" "$TITLE"
check_cmp "/proc: NULs pad the title (cmdline longer than the title and its NUL)" \
	"$(wc -c <"/proc/$w/cmdline")" -gt $(( ${#TITLE} + 1 ))
check_eq "/proc: the worker's parent is the process started" "$(awk '/^PPid:/ {print $2}' "/proc/$w/status")" "$parent"
pexe=$(readlink "/proc/$parent/exe")
check_eq "/proc: the parent's executable" "$pexe" "$(readlink -f "$EX/proctitle")"
where="in the environment of the process that starts $w: its parent $parent ($pexe), e.g. the service's unit or its environment file"

"$MS" arenas "$w" >"$TMP/a.txt" 2>"$TMP/a.err"
check_eq "arenas exits 0" "$?" 0
no_title_command "arenas" "$TMP/a.txt"
check_match "arenas: fixed thresholds go into the parent's environment" "$(tr -s ' \n' ' ' <"$TMP/a.txt")" \
	"\(advice\) set GLIBC_TUNABLES=$FIXED $(sed 's/[.()]/\\&/g' <<<"$where")"
check_match "arenas: compare needs a command that starts the workload" "$(tr -s ' \n' ' ' <"$TMP/a.txt")" \
	"compare needs a command that starts the workload \(e\.g\. the service's start command\), not the process's title: memsleuth compare -c glibc,glibc-fixed-thresholds -- START-COMMAND"

"$MS" arenas --json "$w" >"$TMP/a.json" 2>/dev/null
check_eq "arenas --json exits 0" "$?" 0
no_title_command "arenas --json" "$TMP/a.json"
jq -c '[.causes[].remedies[] | select(.command | test("GLIBC_TUNABLES|LD_PRELOAD"))]' "$TMP/a.json" >"$TMP/set.json"
check_cmp "arenas --json: settings offered (fixed thresholds, jemalloc)" "$(jq length "$TMP/set.json")" -ge 2
check_eq "arenas --json: each setting is advice, not a command" "$(jq '[.[] | select(.advice != true)] | length' "$TMP/set.json")" 0
check_eq "arenas --json: no compare command (measure_with null)" "$(jq '[.[] | select(.measure_with != null)] | length' "$TMP/set.json")" 0
check_eq "arenas --json: the configuration to measure instead" \
	"$(jq -r '[.[] | .measure_config] | sort | join(",")' "$TMP/set.json")" "glibc-fixed-thresholds,jemalloc-decay-0"
check_match "arenas --json: no_command_reason says why" "$(jq -r '.[0].no_command_reason' "$TMP/set.json")" \
	"^process $w: argv\[0\] 'proctitle: worker idle' does not name its executable $pexe, holds ': ' and [0-9]+ NUL bytes pad its end: a title"
check_eq "arenas --json: the setting's sentence names the parent" \
	"$(jq -r --arg w "$where" '[.[] | select(.command == "set GLIBC_TUNABLES='$FIXED' " + $w)] | length' "$TMP/set.json")" 1

"$MS" overview "$w" >"$TMP/o.txt" 2>/dev/null
check_eq "overview exits 0" "$?" 0
no_title_command "overview" "$TMP/o.txt"

"$MS" guide --batch --json "$w" >"$TMP/g.json" 2>"$TMP/g.txt"
check_eq "guide --json exits 0" "$?" 0
no_title_command "guide (text)" "$TMP/g.txt"
no_title_command "guide --json" "$TMP/g.json"
check_eq "guide --json: target_cmdline null" "$(jq -r .target_cmdline "$TMP/g.json")" null
check_eq "guide --json: target_title" "$(jq -r .target_title.text "$TMP/g.json")" "$TITLE"
check_eq "guide --json: target_title.parent_pid" "$(jq -r .target_title.parent_pid "$TMP/g.json")" "$parent"
check_eq "guide --json: target_title.parent_exe" "$(jq -r .target_title.parent_exe "$TMP/g.json")" "$pexe"
check_eq "guide: no command of step 6 names the title" \
	"$(jq '[.steps[] | select(.name == "remedies") | .commands[] | select(test("proctitle: worker"))] | length' "$TMP/g.json")" 0
check_match "guide: the setting, in the parent's environment" "$(tr -s ' \n' ' ' <"$TMP/g.txt")" \
	"set GLIBC_TUNABLES=$FIXED $(sed 's/[.()]/\\&/g' <<<"$where")"
check_match "guide: compare needs a command that starts the workload" "$(tr -s ' \n' ' ' <"$TMP/g.txt")" \
	"compare needs a command that starts the workload .* memsleuth compare -c glibc,glibc-fixed-thresholds[a-z0-9,-]* -- START-COMMAND"
stop_example "$parent"

# the advice applied: the setting in the parent's environment reaches the worker
GLIBC_TUNABLES=$FIXED "$EX/proctitle" >"$TMP/env.out" 2>&1
rss_def=$(rss_of "$out") rss_env=$(rss_of "$TMP/env.out")
check_cmp "the setting in the parent's environment: the worker's RSS lower by most of the 20 MiB top" \
	$(( rss_def - rss_env )) -ge $(( 18 * 1024 ))

# the normal case: a worker that keeps its argv (an empty argument between
# others) gets its relaunch command, runnable as printed
start_example proctitle kept --title '' || exit 0
parent=$EX_PID out=$EX_OUT
w=$(worker_of "$out")
"$MS" arenas --json "$w" >"$TMP/n.json" 2>/dev/null
cmd="$EX/proctitle --title '' --hold"
check_eq "argv kept: the relaunch command, '' in the middle" \
	"$(jq -r --arg c "GLIBC_TUNABLES=$FIXED $cmd" '[.causes[].remedies[] | select(.command | endswith($c))] | length' "$TMP/n.json")" 1
check_eq "argv kept: no no_command_reason" "$(jq '[.causes[].remedies[] | select(.no_command_reason != null)] | length' "$TMP/n.json")" 0
check_eq "argv kept: the compare run on its command" \
	"$(jq -r --arg c "memsleuth compare -c glibc,glibc-fixed-thresholds -- $cmd" '[.causes[].remedies[] | select(.measure_with // "" | endswith($c))] | length' "$TMP/n.json")" 1
"$MS" guide --batch --json "$w" >"$TMP/ng.json" 2>/dev/null
check_eq "argv kept: guide's target_cmdline" "$(jq -r .target_cmdline "$TMP/ng.json")" "$cmd"
check_eq "argv kept: guide's target_title null" "$(jq -r .target_title "$TMP/ng.json")" null
printed=$(jq -r --arg c "GLIBC_TUNABLES=$FIXED $cmd" '[.causes[].remedies[] | select(.command | endswith($c))][0].command' "$TMP/n.json")
stop_example "$parent"
# run as printed, in a session of its own (its --hold ended once the phase is out)
setsid bash -c "$printed" >"$TMP/run.out" 2>&1 &
run=$!
_pids+=("$run")
for _ in $(seq 1 300); do
	grep -q "phase=kept" "$TMP/run.out" 2>/dev/null && break
	kill -0 "$run" 2>/dev/null || break
	sleep 0.1
done
rss_run=$(rss_of "$TMP/run.out")
kill -- -"$run" 2>/dev/null; wait "$run" 2>/dev/null
check_cmp "argv kept: the relaunch command runs as printed, the worker's RSS lower by most of the top" \
	$(( $(rss_of "$out") - ${rss_run:-999999} )) -ge $(( 18 * 1024 ))
