# C++ names are demangled by libstdc++'s __cxa_demangle (util/demangle.c):
# every binary that can print a function name links it.  Not the hook
# (mk/hook.mk links its own list: it is loaded into the target).
LDLIBS += -lstdc++
