# The shared_memory cause (trial5 T5-15): shared mappings are counted in
# the RSS of every process that touched them; the cause names their bytes,
# the PSS that divides them, the mapping, and no glibc remedy.  Oracles:
# /proc/PID/status RssShmem and smaps_rollup Pss_Shmem; the example's own
# design (a forked child reads half the pages: PSS = 3/4 of the RSS); on a
# PostgreSQL backend, shared_buffers' mapping in /proc and the server's own
# memory-context account (pg_log_backend_memory_contexts).
source "$(dirname "$0")/lib.sh"
cause() { jq -c --arg k "$2" '[.causes[] | select(.kind == $k)][0]' "$1"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
rollup_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }

# --- a shared anonymous mapping, written here and half read by a child -----
if start_example shared_mem shared --mib 48; then
	"$MS" overview --json "$EX_PID" >"$TMP/ov.json" 2>"$TMP/ov.err"
	check_eq "overview exits 0" "$?" 0
	c=$(cause "$TMP/ov.json" shared_memory)
	check_eq "the largest cause is shared_memory" "$(jq -r '.causes[0].kind' "$TMP/ov.json")" shared_memory
	check_within "shared_memory bytes = RssShmem (/proc/PID/status)" "$(jq -r .resident_bytes <<<"$c")" \
		$(( $(status_kb "$EX_PID" RssShmem) * 1024 )) 2
	pss=$(jq -r '.evidence.shmem_pss_bytes // 0' <<<"$c")
	check_within "its PSS = Pss_Shmem (smaps_rollup)" "$pss" $(( $(rollup_kb "$EX_PID" Pss_Shmem) * 1024 )) 3
	check_within "its PSS = 3/4 of 48 MiB (the child shares half)" "$pss" $(( 36 << 20 )) 3
	check_match "the text names the mapping, the sharing and PSS" "$(jq -r .text <<<"$c")" \
		"^48\\.0 MiB \\(9[0-9]% of the RSS\\) is shared memory \\(a shared mapping: /dev/zero \\(deleted\\)\\): counted in the RSS of every process that touched it.*PSS 3[56]\\.[0-9] MiB here"
	check_eq "no glibc remedy for it" "$(jq -r '.remedies[].command' <<<"$c" | grep -c 'memsleuth trim\|ARENA_MAX\|GLIBC_TUNABLES\|jemalloc')" 0
	check_eq "the overview's JSON names the largest shared mapping" "$(jq -r .shmem_largest_path "$TMP/ov.json")" "/dev/zero (deleted)"
	"$MS" guide --batch --json "$EX_PID" >"$TMP/g.json" 2>"$TMP/g.err"
	check_eq "guide exits 0" "$?" 0
	check_match "guide step 2's verdict names the shared memory" "$(jq -r '.steps[1].verdict' "$TMP/g.json")" \
		"glibc malloc holds only .* is shared memory \\(a shared mapping"
	check_match "guide's first conclusion is the shared memory" "$(jq -r '.verdicts[0].text' "$TMP/g.json")" \
		"is shared memory"
	stop_example "$EX_PID"
else
	fail "shared_mem did not start"
fi

# --- a PostgreSQL backend: shared_buffers and the memory contexts ----------
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || ! id postgres >/dev/null 2>&1 || ! command -v runuser >/dev/null; then
	skip "postgres: no PostgreSQL server (apt install postgresql) or no postgres user"
else
	PGD="$TMP/pg"
	mkdir -p "$PGD" && chmod o+x "$TMP" && chown postgres "$PGD"
	pg() { runuser -u postgres -- "$@"; }
	pg_stop() { [ -f "$PGD/data/postmaster.pid" ] && pg "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1; }
	trap 'pg_stop; _cleanup' EXIT
	PORT=$(( 40000 + $$ % 20000 ))
	sql() { pg "$PGBIN/psql" -h "$PGD" -p "$PORT" -d postgres -X -q -At -c "$1"; }
	if pg "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres >"$PGD/initdb.log" 2>&1 &&
	   pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 60 -o "-k $PGD -p $PORT -c listen_addresses='' \
		-c shared_buffers=64MB -c jit=off -c logging_collector=off" start >/dev/null 2>&1; then
		sql "CREATE EXTENSION pg_prewarm; CREATE TABLE t AS SELECT g, md5(g::text) m FROM generate_series(1, 300000) g;" \
			>/dev/null 2>"$PGD/sql.err" || fail "postgres: the table: $(head -c 300 "$PGD/sql.err")"
		# a backend that reads the table into shared_buffers, keeps a temporary
		# table in its local buffers (a memory context of its own, malloc'd),
		# then sleeps
		pg "$PGBIN/psql" -h "$PGD" -p "$PORT" -d postgres -X -q -c "SET temp_buffers = '16MB'; CREATE TEMP TABLE tt AS \
SELECT g, md5(g::text) m FROM generate_series(1, 100000) g; SELECT pg_prewarm('t'); SELECT pg_sleep(300);" \
			>/dev/null 2>&1 &
		_pids+=("$!")
		BK=""
		for _ in $(seq 1 300); do
			BK=$(sql "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%pg_sleep(300)%'")
			[ -n "$BK" ] && break
			sleep 0.1
		done
		if [ -z "$BK" ]; then
			fail "postgres: no sleeping backend"
		else
			"$MS" overview --json "$BK" >"$TMP/pg.json" 2>"$TMP/pg.err"
			check_eq "postgres: the runtime recognised (exe $(readlink "/proc/$BK/exe"))" "$(jq -r .runtime "$TMP/pg.json")" postgres
			c=$(cause "$TMP/pg.json" shared_memory)
			check_eq "postgres: the largest cause is shared_memory" "$(jq -r '.causes[0].kind' "$TMP/pg.json")" shared_memory
			check_within "postgres: shared_memory bytes = RssShmem (/proc/PID/status)" "$(jq -r .resident_bytes <<<"$c")" \
				$(( $(status_kb "$BK" RssShmem) * 1024 )) 2
			check_match "postgres: shared_buffers named" "$(jq -r .text <<<"$c")" "for PostgreSQL: shared_buffers"
			check_match "postgres: SHOW shared_buffers offered" "$(jq -r '.remedies[].command' <<<"$c")" "SHOW shared_buffers"
			"$MS" arenas --json "$BK" >"$TMP/pga.json" 2>"$TMP/pga.err"
			u=$(cause "$TMP/pga.json" in_use_unaccounted)
			if [ "$u" = null ]; then
				skip "postgres: glibc's in use under 1 MiB here: no in-use cause to name"
			else
				check_match "postgres: the in-use cause names the memory contexts" "$(jq -r .text <<<"$u")" \
					"PostgreSQL's memory contexts"
				check_match "postgres: its tool is pg_log_backend_memory_contexts" "$(jq -r '.remedies[0].command' <<<"$u")" \
					"^psql -c 'SELECT pg_log_backend_memory_contexts\\($BK\\)'$"
				check_eq "postgres: no hotspots PID for it" "$(jq -r '.remedies[].command' <<<"$u" | grep -c hotspots)" 0
			fi
			# oracle: the server's own account of the backend's contexts, all in malloc's live blocks
			sql "SELECT pg_log_backend_memory_contexts($BK)" >/dev/null 2>&1
			gt=""
			for _ in $(seq 1 100); do
				gt=$(sed -n 's/.*Grand total: \([0-9]*\) bytes.*/\1/p' "$PGD/log" | tail -1)
				[ -n "$gt" ] && break
				sleep 0.1
			done
			# the contexts' blocks are malloc'd: live chunks, the large ones mmapped
			inuse=$(jq -r '.totals.in_use_bytes + .mmapped_bytes' "$TMP/pga.json")
			if [ -n "$gt" ]; then
				check_cmp "postgres: glibc's live blocks hold the contexts' grand total (server log: $gt B)" "$inuse" -ge "$gt"
				check_cmp "postgres: ... and not 4 MiB more" "$inuse" -le $((gt + (4 << 20)))
			else
				fail "postgres: no Grand total in the server log"
			fi
		fi
	else
		skip "postgres: the server did not start here: $(tail -c 300 "$PGD/log" "$PGD/initdb.log" 2>/dev/null | tr '\n' ' ')"
	fi
	pg_stop
fi
