# bash completion: completion/memsleuth, installed where bash-completion
# looks for it.
.PHONY: install-completion
install: install-completion
install-completion:
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 completion/memsleuth $(DESTDIR)$(PREFIX)/share/bash-completion/completions/memsleuth
