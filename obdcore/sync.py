"""Kept so that ``from obdcore.sync import SyncClient`` keeps working: the wrapper lives in
:mod:`obdcore.io.sync` (also ``from obdcore import SyncClient``)."""

from obdcore.io.sync import SyncClient

__all__ = ["SyncClient"]
