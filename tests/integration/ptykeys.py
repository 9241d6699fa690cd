# Run a command on a pseudo-terminal and type keys when it prompts:
#   python3 ptykeys.py [--on TEXT KEYS]... -- CMD ARGS...
# each --on in turn: when TEXT appears in the output (after the previous
# one's), KEYS are typed (\r, \n and \xNN escapes; no Enter unless given).
# Prints the output (\r dropped), then "SENT=True|False EXIT=N" (True when
# every --on was typed).  Gives up after 150 s.
import os, pty, select, sys, time

args, ons = sys.argv[1:], []
while args and args[0] == "--on":
    ons.append((args[1].encode(), args[2].encode().decode("unicode_escape").encode("latin-1")))
    args = args[3:]
if args and args[0] == "--":
    args = args[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
buf, seen, end = b"", 0, time.time() + 150
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd in r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        buf += d
    if ons:
        text, keys = ons[0]
        at = buf.find(text, seen)
        if at >= 0:
            time.sleep(0.2)
            os.write(fd, keys)
            seen = at + len(text)
            ons.pop(0)
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace").replace("\r", ""))
print("\nSENT=%s EXIT=%s" % (not ons, os.waitstatus_to_exitcode(st)))
