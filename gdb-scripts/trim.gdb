# memsleuth trim: call malloc_trim(0) once in an attached process, then
# detach.  Run as: gdb --batch -nx -p PID -x trim.gdb
# No Python; works without libc debug info (the cast gives the call its
# type).  If the call is interrupted (memsleuth's timeout sends gdb SIGINT)
# or the inferior gets a signal inside it, unwindonsignal restores the
# registers the call replaced, so the target resumes where it was.
set pagination off
set confirm off
set width 0
set unwindonsignal on
set print thread-events off
printf "memsleuth-trim: attached\n"
set $memsleuth_ret = ((int (*)(unsigned long)) malloc_trim)(0)
printf "memsleuth-trim: malloc_trim returned %d\n", $memsleuth_ret
detach
quit
