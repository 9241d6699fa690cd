# The stap bpf runtime set-up script is a helper of the driver (found with
# ms_resource_path like the C helpers, installed to libexec).
$(BUILD)/stap-bpf-setup: scripts/stap-bpf-setup $(GEN)/ms_build.h
	@mkdir -p $(dir $@)
	$(Q)$(call ms_fill_version,$<,$@)
ALL_TARGETS += $(BUILD)/stap-bpf-setup
EXTRA_HELPERS += $(BUILD)/stap-bpf-setup
