# The command-line convention (docs/cli.md, src/lib/cli/): the table of
# short options is read from docs/cli.md at build time, and the build's
# `git describe` is compiled into -V/--version.  GIT_DESCRIBE=... overrides
# it (distribution builds from a tarball); outside git it says so.
GEN := $(BUILD)/gen
CPPFLAGS += -I$(GEN)

$(GEN)/cli_table.h: docs/cli.md mk/cli.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)awk -F'|' '/^\| -[A-Za-z] \| --[a-z]/ { gsub(/[ -]/, "", $$2); gsub(/^ *--| *$$/, "", $$3); \
	  printf "\t{ '"'"'%s'"'"', \"%s\" },\n", $$2, $$3 }' $< > $@.tmp && mv $@.tmp $@

# Rewritten only when the describe changes, so that a rebuild is not forced.
$(GEN)/ms_build.h: FORCE
	@mkdir -p $(dir $@)
	@d='$(GIT_DESCRIBE)'; [ -n "$$d" ] || d=$$(git describe --always --dirty --tags 2>/dev/null) || true; \
	  [ -n "$$d" ] || d="unknown, not built from a git checkout"; \
	  printf '#define MS_GIT_DESCRIBE "%s"\n' "$$d" > $@.tmp; \
	  cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE
FORCE:

$(BUILD)/obj/src/lib/cli/args.o $(BUILD)/san/src/lib/cli/args.o: $(GEN)/cli_table.h
$(BUILD)/obj/src/lib/cli/version.o $(BUILD)/san/src/lib/cli/version.o: $(GEN)/ms_build.h

# Scripts get the same -V/--version line: $(call ms_fill_version,IN,OUT)
# replaces @MS_VERSION@ and @MS_GIT_DESCRIBE@ and makes OUT executable.
MS_VERSION_NUM := $(shell sed -n "s/^CPPFLAGS += -DMS_VERSION='\"\(.*\)\"'/\1/p" Makefile)
ms_fill_version = sed -e 's|@MS_VERSION@|$(MS_VERSION_NUM)|' \
	-e "s|@MS_GIT_DESCRIBE@|$$(sed -n 's/^\#define MS_GIT_DESCRIBE "\(.*\)"/\1/p' $(GEN)/ms_build.h)|" $(1) > $(2).tmp && \
	chmod 0755 $(2).tmp && mv $(2).tmp $(2)
