"""Parts catalogue, vehicle identification and lookup (to be built)."""
