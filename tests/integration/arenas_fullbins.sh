# Arenas whose small and large bins are nearly all in use: a healthy heap
# after long fragmentation (Ruby and Node arenas had 100-108 of 126 bins
# non-empty).  The walk used to call such an arena "not a malloc_state",
# stop there and drop the arenas after it (trim predicted half of what a
# real malloc_trim returned), and --no-debuginfo found no main_arena.
# Oracle: gdb with libc debug info, through expressions written here.
. "$(dirname "$0")/lib.sh"
command -v gdb >/dev/null || { skip "gdb not installed"; exit 0; }

cat >"$TMP/fullbins.c" <<'C'
/* For each chunk size from 0x90 to ~120 KiB: 8 chunks, each followed by a
 * live guard; all freed (7 fill the tcache, the rest reach the unsorted
 * bin), then one larger malloc sorts the unsorted bin into the small and
 * large bins.  Main arena first, then a thread's arena. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *keep[8192];
static size_t nkeep;

static void fill_bins(void)
{
	static __thread void *freed[2048];
	size_t nf = 0, cs = 0x90;
	while (cs <= 0x1e000 && nf + 8 <= 2048) {
		for (int k = 0; k < 8; k++) {
			freed[nf++] = malloc(cs - 8);
			keep[nkeep++] = malloc(24);
		}
		cs = cs < 0x400 ? cs + 0x10 : cs + cs / 256 * 16 + 0x10;
	}
	for (size_t i = 0; i < nf; i++)
		free(freed[i]);
	keep[nkeep++] = malloc(0x1f000);
}

static void *worker(void *arg)
{
	(void)arg;
	fill_bins();
	printf("holding\n");
	fflush(stdout);
	pause();
	return NULL;
}

int main(void)
{
	pthread_t t;
	fill_bins();
	pthread_create(&t, NULL, worker, NULL);
	pause();
	return 0;
}
C
gcc -O0 -g -o "$TMP/fullbins" "$TMP/fullbins.c" -lpthread || { fail "cannot build the workload"; exit 0; }
"$TMP/fullbins" >"$TMP/out" 2>&1 & P=$!
_pids+=("$P")
for i in $(seq 1 100); do grep -q holding "$TMP/out" && break; sleep 0.1; done

# gdb: per arena, the non-empty bins and the bytes in small+large bins
cat >"$TMP/bins.gdb" <<'G'
set pagination off
set $a = &main_arena
set $n = 0
while $n < 64
  set $ne = 0
  set $bytes = 0
  set $i = 1
  while $i < 127
    set $bin = (mchunkptr)((char *)&$a->bins[($i-1)*2] - 16)
    if $a->bins[($i-1)*2] != $bin
      set $ne = $ne + 1
      if $i > 1
        set $c = $a->bins[($i-1)*2]
        set $k = 0
        while $c != $bin && $k < 100000
          set $bytes = $bytes + ($c->mchunk_size & ~7)
          set $c = $c->fd
          set $k = $k + 1
        end
      end
    end
    set $i = $i + 1
  end
  printf "arena %#lx nonempty %d binbytes %lu system_mem %lu\n", (unsigned long)$a, $ne, $bytes, $a->system_mem
  set $n = $n + 1
  set $a = $a->next
  if $a == &main_arena
    loop_break
  end
end
printf "main_arena %#lx\n", (unsigned long)&main_arena
G
gdb -batch -p "$P" -x "$TMP/bins.gdb" >"$TMP/gdb.out" 2>/dev/null
narenas=$(grep -c '^arena ' "$TMP/gdb.out")
check_eq "gdb sees 2 arenas" "$narenas" 2
fewest_empty=$(awk '/^arena / {e = 126 - $4; if (m == "" || e < m) m = e} END {print m}' "$TMP/gdb.out")
check_cmp "the workload fills the bins: under 32 of 126 empty (gdb: $fewest_empty)" "$fewest_empty" -lt 32

"$MS" arenas --json "$P" >"$TMP/a.json" 2>"$TMP/err"
check_eq "walk consistent" "$(jq .snapshot_consistent "$TMP/a.json")" true
check_eq "damage none" "$(jq -r .damage "$TMP/a.json")" none
check_eq "every arena of the ring walked (gdb: $narenas)" "$(jq '.arenas | length' "$TMP/a.json")" "$narenas"
for addr in $(awk '/^arena / {print $2}' "$TMP/gdb.out"); do
	want=$(awk -v a="$addr" '$1 == "arena" && $2 == a {print $6 " " $8}' "$TMP/gdb.out")
	got=$(jq -r --arg a "$addr" '.arenas[] | select(.address == $a) |
		"\(.free_by_kind.small.free_bytes + .free_by_kind.large.free_bytes) \(.system_mem_bytes)"' "$TMP/a.json")
	check_eq "arena $addr: small+large bin bytes and system_mem = gdb's" "$got" "$want"
done
main=$(awk '/^main_arena/ {print $2}' "$TMP/gdb.out")
"$MS" arenas --no-debuginfo --json "$P" >"$TMP/n.json" 2>"$TMP/err"
check_eq "--no-debuginfo: main_arena found where gdb has it" "$(jq -r .main_arena "$TMP/n.json" 2>/dev/null)" "$main"
check_eq "--no-debuginfo: consistent, $narenas arenas" \
	"$(jq -c '[.snapshot_consistent, (.arenas | length)]' "$TMP/n.json" 2>/dev/null)" "[true,$narenas]"
stop_example "$P"
