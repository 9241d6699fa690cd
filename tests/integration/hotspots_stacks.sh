#!/usr/bin/env bash
# hotspots --stacks: the recorded frames of known call chains, named by
# symbolisation, from the hook's own walker (CFI rules cached per return
# address, walks remembered; from the allocator wrapper's frame or from its
# own), from libunwind behind it and from each alone
# (MEMSLEUTH_HOOK_UNWIND); on programs built with and without frame
# pointers and at -O0 (every frame's CFA from RBP), through an alloca frame
# (CFA from RBP in an -fomit-frame-pointer build), a signal handler (the
# signal trampoline: libunwind's part), a thread, and a corrupt saved frame
# pointer, which must end the stack there, never crash the target.
source "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 2

cat >chain.c <<'EOF'
#include <alloca.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#define NI __attribute__((noinline))
volatile int sink;   /* work after each call: no tail calls */
NI void *level3(size_t n) { void *p = malloc(n); sink += 1; return p; }
NI void *level2(size_t n) { void *p = level3(n); sink += 2; return p; }
NI void *level1(size_t n) { void *p = level2(n); sink += 3; return p; }
/* a variable-size frame: its CFA is RBP-based in any build */
NI void *with_alloca(size_t n)
{
	char *b = alloca(n % 64 + 16);
	memset(b, 1, 16);
	void *p = level1(n);
	sink += b[5];
	return p;
}
/* the saved frame pointer of its caller overwritten while it calls malloc */
NI void *corrupt_fp(size_t n)
{
#ifdef CORRUPT
	void *volatile *fp = __builtin_frame_address(0);
	void *keep = fp[0];
	fp[0] = (void *)0x10;
	void *p = level3(n);
	fp[0] = keep;
#else
	void *p = level3(n);
#endif
	sink += 4;
	return p;
}
static void on_sig(int s) { (void)s; free(level1(48)); }
static void *thr(void *a) { (void)a; for (int i = 0; i < 200; i++) free(level1(32)); return NULL; }
int main(void)
{
	for (int i = 0; i < 300; i++)
		free(level1(24));
	for (int i = 0; i < 100; i++)
		free(with_alloca(40));
	signal(SIGUSR1, on_sig);
	for (int i = 0; i < 5; i++)
		raise(SIGUSR1);
	pthread_t t;
	pthread_create(&t, NULL, thr, NULL);
	pthread_join(t, NULL);
	for (int i = 0; i < 7; i++)
		free(corrupt_fp(64));
	return 0;
}
EOF

# weight of the malloc calls whose stack ends in ";$2" (or is exactly $2), in $1
w_of() { awk -v s="$2" '{ w = $NF; t = $0; sub(/ [0-9]+$/, "", t) }
	t == s || substr(t, length(t) - length(s)) == ";" s { n += w } END { print n + 0 }' "$1"; }

for build in nofp fp O0; do
	case $build in
		nofp) flags="-O2 -fomit-frame-pointer";;
		fp) flags="-O2 -fno-omit-frame-pointer -DCORRUPT";;
		O0) flags="-O0 -fno-omit-frame-pointer -DCORRUPT";;
	esac
	# shellcheck disable=SC2086
	cc -g $flags -o "chain_$build" chain.c -lpthread || { fail "$build: cc"; continue; }
	for mode in auto walker walker-here libunwind; do
		env=(); [ $mode != auto ] && env=(MEMSLEUTH_HOOK_UNWIND=$mode)
		env "${env[@]}" "$MS" hotspots --stacks 8 --folded "$build.$mode.folded" --folded-weight bytes \
			-- "./chain_$build" >"$build.$mode.out" 2>&1
		check_eq "$build/$mode: exit 0 (the target ran to its end)" "$?:$(grep -c 'command_end\|crashed\|signal' "$build.$mode.out")" "0:0"
		f="$build.$mode.folded"
		check_eq "$build/$mode: main;level1;level2;level3 = 300 x 24 B" "$(w_of "$f" main\;level1\;level2\;level3)" 7200
		check_eq "$build/$mode: main;with_alloca;level1;level2;level3 = 100 x 40 B" \
			"$(w_of "$f" main\;with_alloca\;level1\;level2\;level3)" 4000
		check_eq "$build/$mode: start_thread;thr;level1;level2;level3 = 200 x 32 B" \
			"$(w_of "$f" start_thread\;thr\;level1\;level2\;level3)" 6400
		case $mode in
			walker) # the signal trampoline is not for the walker: the caller alone
				check_eq "$build/walker: the signal handler's calls: level3 alone" "$(grep -E '^level3 ' "$f")" "level3 240" ;;
			*)	check_eq "$build/$mode: on_sig;level1;level2;level3 = 5 x 48 B" \
					"$(grep -E ';on_sig;level1;level2;level3 ' "$f" | awk '{n += $NF} END {print n + 0}')" 240 ;;
		esac
		# corrupt_fp's caller's saved RBP is garbage (frame-pointer builds):
		# the stack ends at main, whose frame cannot be stepped (glibc's
		# backtrace() crashed the target here: the hook does not use it)
		if [ $build = nofp ]; then
			check_eq "$build/$mode: main;corrupt_fp;level3 = 7 x 64 B" "$(w_of "$f" main\;corrupt_fp\;level3)" 448
		else
			check_eq "$build/$mode: corrupt saved RBP: the stack ends at main" \
				"$(grep -E '^main;corrupt_fp;level3 ' "$f")" "main;corrupt_fp;level3 448"
		fi
	done
	# the walker and libunwind agree frame by frame (the same lines), from
	# the wrapper's frame and from the walker's own
	for mode in auto walker-here; do
		check_eq "$build: walker ($mode) + libunwind = libunwind alone, every line" \
			"$(diff "$build.$mode.folded" "$build.libunwind.folded" >/dev/null && echo same)" same
	done
done

# A malloc from inside pthread_getattr_np (HotSpot calls it at each thread
# start): the walker's first walk on a thread must not call it again (it
# holds the thread's lock: a JVM under --stacks hung at start)
cat >getattr.c <<'EOF2'
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
static void *run(void *arg)
{
	pthread_attr_t a;
	size_t size = 0;
	void *lo;
	(void)arg;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getstack(&a, &lo, &size);
		pthread_attr_destroy(&a);
	}
	return (void *)size;
}
int main(void)
{
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, run, NULL);
	pthread_join(t, &r);
	printf("stack %zu\n", (size_t)r);
	return 0;
}
EOF2
gcc -O2 -o getattr getattr.c -lpthread
for mode in auto walker libunwind; do
	if [ $mode = auto ]; then
		timeout 30 "$MS" hotspots --record-only --stacks 6 --output "getattr.$mode" -- ./getattr >"getattr.$mode.out" 2>&1
	else
		MEMSLEUTH_HOOK_UNWIND=$mode timeout 30 "$MS" hotspots --record-only --stacks 6 --output "getattr.$mode" -- ./getattr \
			>"getattr.$mode.out" 2>&1
	fi
	check_eq "malloc inside pthread_getattr_np ($mode): the program ends, exit 0" "$?" 0
	check_match "malloc inside pthread_getattr_np ($mode): it ran to its end" "$(cat "getattr.$mode.out")" "stack [1-9]"
done
