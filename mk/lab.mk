# lab calls allocator functions by name at run time through libffi.
LDLIBS_memsleuth += -lffi -ldl

# The shipped labs live beside the examples; installed where the driver
# looks for them (util/paths.c, MS_RES_LAB).
install: install-labs
.PHONY: install-labs
install-labs:
	install -d $(DESTDIR)$(PREFIX)/share/memsleuth/labs
	for f in $(wildcard examples/labs/*.lab); do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/memsleuth/labs/; done
