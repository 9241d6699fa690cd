# trim.gdb -- make the process call malloc_trim(0) now: glibc consolidates
# fastbins, madvises whole free pages inside free chunks of every arena and
# shrinks the main heap's top.  Prints the RSS before and after, then
# detaches.  No Python, and no libc debug symbols needed: the cast gives the
# call its return type.
# Use:   gdb -batch -nx -p PID -x trim.gdb       ('memsleuth trim PID' runs it
#        with a timeout and the safety rails described in memsleuth-trim(1))
# CAUTION: this runs code inside the target.  It takes each arena's lock; if
# the process is stopped while a thread holds one (inside malloc), the call
# blocks until gdb is interrupted.  Prefer 'memsleuth arenas PID' to see
# what it would return first.  If the call is interrupted, or the target
# gets a signal inside it (memsleuth trim's timeout sends SIGSTOP to the
# calling thread), unwindonsignal restores the registers the call replaced,
# so the target resumes where it was.
set pagination off
set confirm off
set width 0
set unwindonsignal on
set print thread-events off
info proc status
call (int) malloc_trim(0)
printf "memsleuth-trim: malloc_trim returned %d\n", $
info proc status
detach
quit
