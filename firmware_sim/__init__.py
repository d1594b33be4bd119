"""ELM327 firmware emulator and virtual vehicle (issue: firmware_sim)."""
