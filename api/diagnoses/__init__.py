"""Diagnoses through the API: stored, listed per vehicle, answered, verified (calls
:mod:`diagnostics`; no diagnosis logic lives here)."""
