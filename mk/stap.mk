# memsleuth's own SystemTap tapset (stap/tapset/), passed with -I by
# `memsleuth stap`; installed beside the bundled scripts.
install: install-stap-tapset
.PHONY: install-stap-tapset
install-stap-tapset:
	install -d $(DESTDIR)$(PREFIX)/share/memsleuth/stap/tapset
	for f in $(wildcard stap/tapset/*.stp); do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/memsleuth/stap/tapset/; done
