#!/usr/bin/env bash
# The trial's case itself (T5-2) on a real PostgreSQL: a backend's command
# line is its title ("postgres: postgres postgres [local] idle" and NULs).
# A private cluster (initdb in a temporary directory, Unix socket only), a
# session that sorts and groups with a large work_mem, so glibc raises its
# thresholds and keeps the main heap's top (main_top_kept, as in the
# trial).  memsleuth prints no command made of the title and names the
# postmaster (the backend's parent, its pid and exe) as where the setting
# goes.  Oracles: /proc (the backend's cmdline, PPid, the postmaster's
# exe, postmaster.pid), and the advice applied: the cluster restarted with
# the setting in the postmaster's environment, the same session's backend
# keeps no such top (its RSS after the same queries lower by most of it).
# SKIPs without postgresql (scripts/install-deps: PGSQL) or without root
# (the server runs as the postgres user).
source "$(dirname "$0")/lib.sh"
FIXED=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/postgres" ] || [ ! -x "$PGBIN/psql" ]; then
	skip "PostgreSQL not installed (apt-get install postgresql-15): the real backend of T5-2"
	exit 0
fi
need_root "PostgreSQL backend" || exit 0
id postgres >/dev/null 2>&1 || { skip "no postgres user (the postgresql package creates it)"; exit 0; }

chmod 711 "$TMP"
D="$TMP/pg"
mkdir "$D" && chown postgres "$D"
PORT=$((50000 + RANDOM % 10000))
pg() { runuser -u postgres -- "$@"; }
pg_stop() { [ -f "$D/data/postmaster.pid" ] && pg "$PGBIN/pg_ctl" -D "$D/data" -m immediate stop >/dev/null 2>&1; }
sess=""
trap 'pg_stop; [ -n "$sess" ] && kill -- -"$sess" 2>/dev/null; _cleanup' EXIT

if ! pg "$PGBIN/initdb" -D "$D/data" -A trust --no-sync -U postgres >"$D/initdb.log" 2>&1; then
	skip "initdb failed here: $(tail -n 1 "$D/initdb.log")"
	exit 0
fi

# pg_start [ENV=VALUE]: the postmaster, with that in its environment
pg_start() {
	env "$@" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/data" -w -t 30 -l "$D/server.log" \
		-o "-k $D -p $PORT -c listen_addresses=''" start >/dev/null 2>&1
}
# session: psql on a FIFO held open (read-write) by its own shell, in a
# session of its own so that the whole of it ends with the test
session() {
	rm -f "$D/fifo" "$D/psql.out"
	mkfifo "$D/fifo" && chown postgres "$D/fifo"
	setsid bash -c 'exec 3<>"$1"; exec runuser -u postgres -- "$2/psql" -h "$3" -p "$4" -U postgres -X -A -t -q \
		-d postgres <&3 >"$5" 2>&1' _ "$D/fifo" "$PGBIN" "$D" "$PORT" "$D/psql.out" &
	sess=$!
	_pids+=("$sess")
}
# sql TEXT MARK: send, wait (60 s at most) for MARK in the output
sql() {
	printf '%s\n' "$1" >"$D/fifo"
	for _ in $(seq 1 600); do grep -q "$2" "$D/psql.out" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
WORK="SET work_mem='256MB';
SELECT 'SORTED ' || count(*) FROM (SELECT md5(g::text) m FROM generate_series(1,200000) g ORDER BY 1) s;
SELECT 'GROUPED ' || count(*) FROM (SELECT g % 300000 k, count(*) FROM generate_series(1,600000) g GROUP BY 1) s;"
# work: a session (sess), its backend's pid (B) once the queries ran
work() {
	session
	sql "SELECT 'BACKEND ' || pg_backend_pid();" BACKEND && sql "$WORK" GROUPED || return 1
	B=$(sed -n 's/^BACKEND //p' "$D/psql.out" | head -1)
}

pg_start || { skip "the server did not start: $(tail -n 2 "$D/server.log" 2>/dev/null)"; exit 0; }
work || { fail "the session did not run its queries: $(head -c 300 "$D/psql.out")"; exit 0; }
b=$B
pm=$(head -1 "$D/data/postmaster.pid")
check_match "/proc: the backend's command line is its title" "$(tr '\0' '\n' <"/proc/$b/cmdline" | head -1)" \
	"^postgres: postgres postgres \[local\] idle"
check_cmp "/proc: NULs pad the title" "$(tr -cd '\0' <"/proc/$b/cmdline" | wc -c)" -gt 1
check_eq "/proc: the backend's parent is the postmaster (postmaster.pid)" "$(awk '/^PPid:/ {print $2}' "/proc/$b/status")" "$pm"
check_eq "/proc: the postmaster's exe" "$(readlink "/proc/$pm/exe")" "$PGBIN/postgres"

"$MS" arenas "$b" >"$TMP/a.txt" 2>/dev/null
check_eq "arenas exits 0" "$?" 0
"$MS" arenas --json "$b" >"$TMP/a.json" 2>/dev/null
flat=$(tr -s ' \n' ' ' <"$TMP/a.txt")
check_eq "arenas: no empty '' argument" "$(grep -c "''" <<<"$flat")" 0
check_eq "arenas: no command made of the title" "$(grep -Ec "(=[^ ]*|--) '?postgres: postgres" <<<"$flat")" 0
check_eq "arenas --json: no empty '' argument" "$(grep -c "''" "$TMP/a.json")" 0
top=$(jq '[.causes[] | select(.kind == "main_top_kept")][0].resident_bytes // 0' "$TMP/a.json")
if [ "$top" -lt $((4 << 20)) ]; then
	skip "the backend kept no main heap top this run ($top B): no setting to place"
	exit 0
fi
check_match "arenas: the setting goes into the postmaster's environment" "$flat" \
	"set GLIBC_TUNABLES=$FIXED in the environment of the process that starts $b: its parent $pm \($PGBIN/postgres\), e\.g\. the service's unit"
check_eq "arenas --json: the setting is advice with its reason, no compare command" \
	"$(jq '[.causes[].remedies[] | select(.command | test("GLIBC_TUNABLES")) | select(.advice and .measure_with == null and (.no_command_reason | test("postgres: postgres")))] | length' "$TMP/a.json")" 1
rss_def=$(awk '/^VmRSS:/ {print $2}' "/proc/$b/status")

# the advice applied: the postmaster restarted with the setting; its backend inherits it
kill -- -"$sess" 2>/dev/null; wait "$sess" 2>/dev/null; sess=""
pg_stop
pg_start GLIBC_TUNABLES=$FIXED || { fail "restart with the setting: $(tail -n 2 "$D/server.log")"; exit 0; }
work || { fail "the session (setting applied) did not run its queries"; exit 0; }
b2=$B
"$MS" arenas --json "$b2" >"$TMP/f.json" 2>/dev/null
check_eq "setting in the postmaster's environment: the backend keeps no main heap top" \
	"$(jq '[.causes[] | select(.kind == "main_top_kept")] | length' "$TMP/f.json")" 0
rss_fix=$(awk '/^VmRSS:/ {print $2}' "/proc/$b2/status")
check_cmp "setting in the postmaster's environment: the backend's RSS lower by most of the top" \
	$(( (rss_def - rss_fix) * 1024 )) -ge $(( top / 10 * 7 ))
