# arenas.gdb -- list glibc malloc arenas: address, system_mem, top chunk.
# Needs the target libc's debug symbols (Debian/Ubuntu: libc6-dbg).
# glibc's objects are named through their file ('malloc.c'::main_arena,
# 'malloc.c'::mp_, 'malloc.c'::tcache): a program with globals of the same
# names would otherwise shadow them.
# Use:   gdb -batch -p PID -x arenas.gdb
# gdb stops the process while attached and resumes it when it detaches.
# No Python: plain gdb CLI, usable on minimal hosts.
# Output, one line per arena, then the count:
#   arena 0x7f.. main 1 system_mem N top 0x55.. top_size N
#   arenas N
set pagination off
set $ms_a = &'malloc.c'::main_arena
set $ms_n = 0
while $ms_n < 4096
  set $ms_top = (unsigned long) $ms_a->top
  printf "arena %#lx main %d system_mem %lu top %#lx top_size %lu\n", (unsigned long) $ms_a, $ms_a == &'malloc.c'::main_arena, (unsigned long) $ms_a->system_mem, $ms_top, *(unsigned long *) ($ms_top + 8) & ~7UL
  set $ms_n = $ms_n + 1
  set $ms_a = $ms_a->next
  if $ms_a == &'malloc.c'::main_arena
    loop_break
  end
end
printf "arenas %d\n", $ms_n
