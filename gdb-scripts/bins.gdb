# bins.gdb -- count the chunks in every non-empty bin of every glibc arena,
# and in every thread's tcache.
# Needs the target libc's debug symbols (Debian/Ubuntu: libc6-dbg) and
# glibc >= 2.32 (fastbin and tcache pointers are safe-linked:
# stored = (address of the field >> 12) ^ pointer).
# Use:   gdb -batch -p PID -x bins.gdb
# gdb stops the process while attached and resumes it when it detaches.
# Every list walk stops after 10,000,000 nodes.
# Output lines:
#   arena 0x.. fast I count N
#   arena 0x.. bin I count N          (bin 1 is the unsorted bin)
#   tcache 0x.. bin I count N         (one tcache per thread)
set pagination off
set $ms_a = &'malloc.c'::main_arena
set $ms_k = 0
while $ms_k < 4096
  set $ms_i = 0
  while $ms_i < 10
    set $ms_p = (unsigned long) $ms_a->fastbinsY[$ms_i]
    set $ms_c = 0
    while $ms_p != 0 && $ms_c < 10000000
      set $ms_c = $ms_c + 1
      set $ms_p = (($ms_p + 16) >> 12) ^ *(unsigned long *) ($ms_p + 16)
    end
    if $ms_c > 0
      printf "arena %#lx fast %d count %d\n", (unsigned long) $ms_a, $ms_i, $ms_c
    end
    set $ms_i = $ms_i + 1
  end
  set $ms_i = 1
  while $ms_i < 127
    set $ms_bin = (unsigned long) &$ms_a->bins[($ms_i - 1) * 2] - 16
    set $ms_p = (unsigned long) $ms_a->bins[($ms_i - 1) * 2]
    set $ms_c = 0
    while $ms_p != $ms_bin && $ms_c < 10000000
      set $ms_c = $ms_c + 1
      set $ms_p = *(unsigned long *) ($ms_p + 16)
    end
    if $ms_c > 0
      printf "arena %#lx bin %d count %d\n", (unsigned long) $ms_a, $ms_i, $ms_c
    end
    set $ms_i = $ms_i + 1
  end
  set $ms_k = $ms_k + 1
  set $ms_a = $ms_a->next
  if $ms_a == &'malloc.c'::main_arena
    loop_break
  end
end
define ms_tcache
  set $ms_t = 'malloc.c'::tcache
  if $ms_t != 0
    set $ms_i = 0
    while $ms_i < 64
      if $ms_t->counts[$ms_i] != 0
        printf "tcache %#lx bin %d count %d\n", (unsigned long) $ms_t, $ms_i, $ms_t->counts[$ms_i]
      end
      set $ms_i = $ms_i + 1
    end
  end
end
thread apply all -q ms_tcache
