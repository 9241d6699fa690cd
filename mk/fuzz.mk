# Fuzzing (tests/fuzz/): one libFuzzer harness per parser of untrusted
# input.  `make fuzz` runs each for FUZZ_SECONDS (clang,
# -fsanitize=fuzzer,address,undefined), growing a work corpus in
# $(BUILD)/fuzz/ from the saved one in tests/fuzz/corpus/NAME/; a finding
# is written to $(BUILD)/fuzz/crash-NAME-* (copy it to tests/fuzz/crashes/NAME/
# once fixed).  `make test` replays every saved input through the same
# harness built with gcc + ASan/UBSan (tests/fuzz/replay.c), as unit tests
# named fuzz_NAME.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_REPLAY  := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz_%)
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -g -Isrc/lib \
		-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_LDLIBS  := $(LDLIBS) -ldw -lelf

UNITS += $(FUZZ_REPLAY)

.PHONY: fuzz fuzz-build

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/libmemsleuth-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ_BINS): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libmemsleuth-fuzz.a
	@$(if $(Q),echo "  FUZZER  $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libmemsleuth-fuzz.a $(FUZZ_LDLIBS)

$(FUZZ_REPLAY): $(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/libmemsleuth-san.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  REPLAY  $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -DFUZZ_NAME='"$*"' -o $@ $< tests/fuzz/replay.c \
	  $(BUILD)/libmemsleuth-san.a $(FUZZ_LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Each harness in turn, FUZZ_SECONDS each (nice: the machine is shared).
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$n; \
	  echo "  FUZZ    $$n for $(FUZZ_SECONDS) s"; \
	  nice -n 19 $(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash-$$n- \
	    $(BUILD)/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>$(BUILD)/fuzz/$$n.log \
	    || { tail -40 $(BUILD)/fuzz/$$n.log; echo "fuzz $$n: finding in $(BUILD)/fuzz/crash-$$n-*"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(BUILD)/fuzz/$$n.log | sed "s/^/    $$n /"; \
	done
