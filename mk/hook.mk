# The LD_PRELOAD allocator hook: a shared object, not a one-.c binary.  It
# links nothing of the project library (it must not allocate through the
# functions it hooks), only the log format header.
HOOK_SO := $(BUILD)/libmemsleuth-hook.so
ALL_TARGETS += $(HOOK_SO)
EXTRA_HELPERS += $(HOOK_SO)

HOOK_SRC := $(sort $(wildcard helpers/hook/*.c))
$(HOOK_SO): $(HOOK_SRC) helpers/hook/hook.h src/lib/records/hotlog.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOOK    $@")
	$(Q)$(CC) $(CPPFLAGS) $(filter-out -MMD -MP,$(CFLAGS)) -fPIC -shared -fvisibility=hidden \
	  -ftls-model=initial-exec -Wl,-z,defs -o $@ $(HOOK_SRC) -ldl -lpthread

# Symbol resolution (library code in probe/symres.c) needs elfutils.
LDLIBS_memsleuth += -ldw -lelf
LDLIBS_symres += -ldw -lelf
LDLIBS_test_symres += -ldw -lelf
