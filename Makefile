# memsleuth build. Components add themselves by dropping files into the
# folders below (wildcards) or a fragment into mk/*.mk, so that parallel work
# never has to edit this file.
CC      ?= gcc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

# WERROR=0 for distribution builds (a newer compiler's new warning must not
# fail a package build); the default stays -Werror.
WERROR  ?= 1
WERROR_FLAG := $(if $(filter 0,$(WERROR)),,-Werror)
WARN    := -Wall -Wextra $(WERROR_FLAG) -Wshadow -Wno-unused-parameter -Wno-format-truncation -Wno-unknown-warning-option
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -Isrc/lib -MMD -MP
CPPFLAGS += -DMS_VERSION='"0.1"'
LDLIBS  := -lz -lpthread

# Sanitized objects for the unit tests.
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC    := $(sort $(wildcard src/lib/*/*.c))
DRIVER_SRC := $(sort $(wildcard src/driver/*.c))
HELPER_SRC := $(sort $(wildcard helpers/*.c))
EXAMPLE_SRC:= $(sort $(wildcard examples/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_SAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
DRIVER_OBJ  := $(DRIVER_SRC:%.c=$(BUILD)/obj/%.o)
HELPERS     := $(HELPER_SRC:helpers/%.c=$(BUILD)/%)
EXAMPLES    := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
UNITS       := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Extra link flags per binary can be set by fragments: LDLIBS_<name> := ...
ALL_TARGETS := $(BUILD)/memsleuth $(HELPERS) $(EXAMPLES)

.PHONY: all deps test unit integration demo install clean
.DEFAULT_GOAL := all

# Fragments come before 'all' so that their ALL_TARGETS += ... is seen when
# the rule's prerequisites are expanded.
-include $(sort $(wildcard mk/*.mk))

all: $(ALL_TARGETS)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/libmemsleuth.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/libmemsleuth-san.a: $(LIB_SAN_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/memsleuth: $(DRIVER_OBJ) $(BUILD)/libmemsleuth.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(LDLIBS_memsleuth)

$(BUILD)/%: $(BUILD)/obj/helpers/%.o $(BUILD)/libmemsleuth.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(LDLIBS_$*)

# Examples are the workloads under investigation: plain -O2, no project
# library, so that what they do to the heap is only what their source says.
$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EXAMPLE $@")
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra $(WERROR_FLAG) -o $@ $< -lz -lpthread $(LDLIBS_ex_$*)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmemsleuth-san.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -o $@ $< $(BUILD)/libmemsleuth-san.a $(LDLIBS) -lcmocka $(LDLIBS_$*)

deps:
	@scripts/install-deps

# The README's test command: unit tests (ASan/UBSan, cmocka) then the
# integration tests (shell + jq) on live example workloads.
test: deps
	@$(MAKE) --no-print-directory all $(UNITS)
	@BUILD=$(abspath $(BUILD)) tests/run-all $(UNITS)

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(abspath $(BUILD)) scripts/demo

# `make install PREFIX=/usr DESTDIR=DIR` lays memsleuth out as a Debian
# package would: bin/ what people run (memsleuth, msreport), libexec/memsleuth/
# what memsleuth runs (helpers, the hook), share/memsleuth/ its scripts and
# labs (fragments add to these with install: install-NAME), share/man/man1,
# share/doc/memsleuth (README, docs/*.md, docs/json/, docs/examples/), bash
# completion.  Nothing is fetched: everything comes from the source tree and
# $(BUILD).  The installed driver finds its companions from its own place
# (util/paths.c), never from the current directory.
BINDIR     := $(DESTDIR)$(PREFIX)/bin
LIBEXECDIR := $(DESTDIR)$(PREFIX)/libexec/memsleuth
DATADIR    := $(DESTDIR)$(PREFIX)/share/memsleuth
MANDIR     := $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR     := $(DESTDIR)$(PREFIX)/share/doc/memsleuth
COMPDIR    := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
BIN_PROGS  := $(BUILD)/memsleuth $(BUILD)/msreport

install: all
	install -d $(BINDIR) $(LIBEXECDIR) $(DATADIR)/stap $(DATADIR)/gdb-scripts $(MANDIR) \
	  $(DOCDIR)/json $(DOCDIR)/examples $(COMPDIR)
	install -m 0755 $(BIN_PROGS) $(BINDIR)/
	install -m 0755 $(filter-out $(BIN_PROGS),$(HELPERS)) $(filter-out %.sh,$(EXTRA_HELPERS)) $(LIBEXECDIR)/
	install -m 0644 $(filter %.sh,$(EXTRA_HELPERS)) $(LIBEXECDIR)/
	install -m 0644 $(wildcard stap/*.stp) $(DATADIR)/stap/
	install -m 0644 $(wildcard gdb-scripts/*.gdb) $(DATADIR)/gdb-scripts/
	install -m 0644 $(wildcard docs/man/*.1) $(MANDIR)/
	install -m 0644 README.md $(wildcard docs/*.md) $(DOCDIR)/
	install -m 0644 $(wildcard docs/json/*.md) $(DOCDIR)/json/
	install -m 0644 $(wildcard docs/examples/*) $(DOCDIR)/examples/
	install -m 0644 scripts/memsleuth.bash-completion $(COMPDIR)/memsleuth
	ln -sf memsleuth $(COMPDIR)/msreport

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
