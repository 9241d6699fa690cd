#!/usr/bin/env bash
# overview on a process recorded by hotspots: memsleuth's own recorder in
# the target (the hook's buffer files proc-PID-SEQ.buf, one 256 KiB slot
# per thread mapped shared, its counters page and libmemsleuth-hook.so) is
# its own class, memsleuth_recorder, not "file" -- that part of the RSS is
# ours, not the program's.  Oracle: the Rss lines of /proc/PID/smaps for
# those mappings, read before and after overview (the program is idle).
source "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 2
cat >idle.c <<'EOF2'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *volatile keep;   /* the compiler may not drop a malloc/free pair */
static volatile int done[3];
static void *run(void *a)
{
	for (int i = 0; i < 20000; i++) {   /* some pages of its buffer slot written */
		void *p = malloc(100 + i % 4000);
		keep = p;
		free(p);
	}
	done[(long)a] = 1;
	pause();
	return NULL;
}
int main(void)
{
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, run, (void *)(long)i);
	for (int i = 0; i < 1000; i++) {
		void *p = malloc(200);
		keep = p;
		free(p);
	}
	for (int i = 0; i < 3; i++)   /* wait for the threads' calls: then idle */
		while (!done[i])
			usleep(10000);
	printf("READY pid %d\n", (int)getpid());
	fflush(stdout);
	sleep(60);
	return 0;
}
EOF2
cc -O2 -o idle idle.c -lpthread || { fail "cc idle.c"; exit 0; }
threads=4
# Rss (bytes) of the mappings of pid $1 whose path matches the awk regex $2
smaps_rss() { awk -v re="$2" '/^[0-9a-f]+-[0-9a-f]+ / { on = ($6 ~ re) } on && /^Rss:/ { s += $2 } END { print s * 1024 }' "/proc/$1/smaps"; }
BUF='/proc-[0-9]+-[0-9]+\.buf$'
# the hook's anonymous memory is named where the kernel can (CONFIG_ANON_VMA_NAME)
ALL="$BUF|/rec/counters\$|/libmemsleuth-hook\\.so\$|^\\[anon:memsleuth-hook\\]\$"

"$MS" hotspots --record-only --output rec -- ./idle >rec.out 2>&1 &
mp=$!
pid=$(ready_pid_in rec.out) || { fail "the recorded program did not start: $(head -c 300 rec.out)"; kill "$mp"; exit 0; }
# READY: its threads made their calls, each into its own slot, and are idle
b0=$(smaps_rss "$pid" "$BUF"); a0=$(smaps_rss "$pid" "$ALL")
"$MS" overview --json "$pid" >ov.json 2>ov.err
check_eq "overview --json on the recorded process: exit 0" "$?" 0
COLUMNS=200 "$MS" overview "$pid" >ov.txt 2>&1
b1=$(smaps_rss "$pid" "$BUF"); a1=$(smaps_rss "$pid" "$ALL")
rec() { jq ".classes[] | select(.class == \"memsleuth_recorder\") | .$1" ov.json; }
check_cmp "smaps: the buffer files are resident (oracle)" "$b0" -gt 0
within_pages() {   # NAME GOT LOW HIGH: LOW - a page per thread <= GOT <= HIGH + a page per thread
	local lo=$(( $3 < $4 ? $3 : $4 )) hi=$(( $3 > $4 ? $3 : $4 )) tol=$(( threads * 4096 ))
	if [ "$2" -ge $(( lo - tol )) ] && [ "$2" -le $(( hi + tol )) ]; then pass "$1 ($2 vs smaps $3..$4)"
	else fail "$1: $2 outside smaps $3..$4 +- $tol"; fi
}
within_pages "recorder class: the buffer files' RSS = smaps' (within a page per thread)" \
	"$(jq .recorder_buffer_rss_bytes ov.json)" "$b0" "$b1"
within_pages "recorder class: its RSS = smaps' for the buffer files, counters page and hook library" \
	"$(rec rss_bytes)" "$a0" "$a1"
check_eq "recorder class: the mappings are the buffer files, counters and the hook's" "$(rec mappings)" \
	"$(awk '{ print $6 }' "/proc/$pid/maps" | grep -cE "$ALL")"
if grep -q '\[anon:memsleuth-hook\]' "/proc/$pid/maps"; then
	pass "the hook's anonymous memory is named [anon:memsleuth-hook]"
else
	skip "the hook's anonymous memory unnamed: this kernel has no CONFIG_ANON_VMA_NAME (prctl PR_SET_VMA fails)"
fi
check_eq "no file class mapping is the hook's" \
	"$(jq '[.top_files[]?.path | select(test("libmemsleuth-hook|\\.buf$"))] | length' ov.json)" 0
check_match "text: the recorder's line, in words, with its bytes" "$(grep "of the RSS is memsleuth's own recorder" ov.txt)" \
	"^  [0-9.]+ [KM]iB of the RSS is memsleuth's own recorder \\(its buffer files [0-9.]+ [KM]iB, counters page and hook library\\), not the program's"
check_match "text: the class in the table" "$(grep '^  memsleuth_recorder ' ov.txt)" "^  memsleuth_recorder +[0-9]+ "
kill "$pid" 2>/dev/null
wait "$mp" 2>/dev/null || true

# the same program not recorded: no such class
./idle >bare.out 2>&1 &
bp=$!
pid=$(ready_pid_in bare.out) || { fail "bare run did not start"; kill "$bp"; exit 0; }
"$MS" overview --json "$pid" >bare.json 2>/dev/null
check_eq "not recorded: the recorder class is empty" \
	"$(jq -c '.classes[] | select(.class == "memsleuth_recorder") | [.mappings, .rss_bytes]' bare.json)" "[0,0]"
kill "$bp" 2>/dev/null
wait "$bp" 2>/dev/null || true
