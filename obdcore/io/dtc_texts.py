"""Descriptions of trouble codes, from python-obd's table (the one third-party table
obdcore uses at run time; it lives in the I/O layer so that the sans-I/O core stays on
the standard library, numpy and Cython)."""

from __future__ import annotations

from functools import cache


@cache
def _dtc_texts() -> dict[str, str]:
    # python-obd carries ~2,000 generic descriptions; imported lazily (it loads pint).
    from obd.codes import DTC

    return dict(DTC)


def describe_dtc(code: str) -> str | None:
    """The generic description of ``code`` (``"P0301"``, any case), None when python-obd's
    table has none."""
    return _dtc_texts().get(code.upper())
