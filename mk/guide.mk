# msreport is a tool people run themselves (memsleuth STEP --json | msreport
# --html), so it goes to bin/ as well as libexec/; bash completion for
# memsleuth and msreport (scripts/memsleuth.bash-completion).
install: install-guide
.PHONY: install-guide
install-guide: $(BUILD)/msreport
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(BUILD)/msreport $(DESTDIR)$(PREFIX)/bin/msreport
	install -m 0644 scripts/memsleuth.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/memsleuth
	install -m 0644 scripts/memsleuth.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/msreport
