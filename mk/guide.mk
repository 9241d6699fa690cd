# bash completion for memsleuth and msreport (scripts/memsleuth.bash-completion).
install: install-completion
.PHONY: install-completion
install-completion:
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 scripts/memsleuth.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/memsleuth
	install -m 0644 scripts/memsleuth.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/msreport
