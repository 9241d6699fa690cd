# make portability: run the tests that exercise other glibc releases,
# containers, no debug info and other allocators, with their results
# recorded, and write docs/portability.md from them (scripts/portability).
.PHONY: portability
portability: all
	@BUILD=$(abspath $(BUILD)) scripts/portability
