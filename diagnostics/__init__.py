"""Rules plus a learned model that rank probable causes (to be built)."""
