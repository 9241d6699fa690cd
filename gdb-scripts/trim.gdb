# trim.gdb -- make the process call malloc_trim(0) now: glibc consolidates
# fastbins, madvises whole free pages inside free chunks of every arena and
# shrinks the main heap's top.  Prints the RSS before and after.
# Needs the target libc's debug symbols (Debian/Ubuntu: libc6-dbg).
# Use:   gdb -batch -p PID -x trim.gdb
# CAUTION: this runs code inside the target.  It takes each arena's lock; if
# the process is stopped while a thread holds one (inside malloc), the call
# blocks until gdb is interrupted.  Prefer 'memsleuth arenas PID' to see
# what it would return first.
set pagination off
info proc status
call (int) malloc_trim(0)
info proc status
