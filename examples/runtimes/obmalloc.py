# CPython's own small-object allocator holds the memory: N small objects
# (tuples, floats, short strings: all pymalloc) are made and most deleted,
# keeping one in KEEP_EVERY, so almost every pymalloc arena (1 MiB,
# anonymous mmap) stays partly used and none returns to the system.
# glibc's heaps hold little of it; tracemalloc and sys._debugmallocstats()
# are the tools that see it.
# usage: python3 obmalloc.py   (N, KEEP_EVERY, STATS=1 from the environment)
import gc, os, sys
N = int(os.environ.get("N", "1000000"))
KEEP_EVERY = int(os.environ.get("KEEP_EVERY", "500"))
data = [(i, i * 0.5, "species-%d" % i) for i in range(N)]
kept = data[::KEEP_EVERY]
del data
gc.collect()
if os.environ.get("STATS"):
    sys._debugmallocstats()
    sys.stderr.flush()
print(f"memsleuth-example: pid={os.getpid()} phase=kept objects={len(kept)} holding", flush=True)
import signal
signal.pause()
