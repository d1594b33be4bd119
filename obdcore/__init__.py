"""Sans-I/O ELM327 + OBD-II decoding core."""
