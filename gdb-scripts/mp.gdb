# mp.gdb -- print glibc malloc's global parameters (struct malloc_par mp_):
# thresholds, arena limits, mmap counters, sbrk_base, tcache settings.
# Needs the target libc's debug symbols (Debian/Ubuntu: libc6-dbg).
# glibc's objects are named through their file ('malloc.c'::main_arena,
# 'malloc.c'::mp_, 'malloc.c'::tcache): a program with globals of the same
# names would otherwise shadow them.
# Use:   gdb -batch -p PID -x mp.gdb
# gdb stops the process while attached and resumes it when it detaches.
set pagination off
printf "mp_ %#lx\n", (unsigned long) &'malloc.c'::mp_
printf "trim_threshold %lu\n", (unsigned long) 'malloc.c'::mp_.trim_threshold
printf "top_pad %lu\n", (unsigned long) 'malloc.c'::mp_.top_pad
printf "mmap_threshold %lu\n", (unsigned long) 'malloc.c'::mp_.mmap_threshold
printf "arena_test %lu\n", (unsigned long) 'malloc.c'::mp_.arena_test
printf "arena_max %lu\n", (unsigned long) 'malloc.c'::mp_.arena_max
printf "n_mmaps %d\n", 'malloc.c'::mp_.n_mmaps
printf "n_mmaps_max %d\n", 'malloc.c'::mp_.n_mmaps_max
printf "mmapped_mem %lu\n", (unsigned long) 'malloc.c'::mp_.mmapped_mem
printf "sbrk_base %#lx\n", (unsigned long) 'malloc.c'::mp_.sbrk_base
printf "tcache_bins %lu\n", (unsigned long) 'malloc.c'::mp_.tcache_bins
printf "tcache_max_bytes %lu\n", (unsigned long) 'malloc.c'::mp_.tcache_max_bytes
printf "tcache_count %lu\n", (unsigned long) 'malloc.c'::mp_.tcache_count
