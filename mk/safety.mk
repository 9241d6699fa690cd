# The shell form of the trust rule (util/trust.h), sourced by the shell
# helpers from their own directory: installed beside stap-bpf-setup.
$(BUILD)/trust.sh: scripts/trust.sh
	@mkdir -p $(dir $@)
	install -m 0644 $< $@
ALL_TARGETS += $(BUILD)/trust.sh
EXTRA_HELPERS += $(BUILD)/trust.sh
