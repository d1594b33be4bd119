"""Kept so that ``from obdcore.client import Client`` keeps working: the client lives in
:mod:`obdcore.io.client` (also ``from obdcore import Client``)."""

from obdcore.io.client import Client, Dtc, FreezeFrame, Readiness, Sample, check_live_names

__all__ = ["Client", "Dtc", "FreezeFrame", "Readiness", "Sample", "check_live_names"]
