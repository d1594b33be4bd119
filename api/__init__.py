"""FastAPI service (to be built)."""
