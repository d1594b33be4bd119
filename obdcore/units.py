"""The one place values change units for display: metric (the SI-style units every value
comes in) or imperial (°F, mph, psi, miles, gallons, MPG).

Every value obdcore returns stays in its metric unit (DESIGN.md: conversion is a
presentation choice); the CLI converts what it shows, and the JSON it prints with
``--units imperial``, through :func:`convert`. Imperial volumes are US gallons (3.785 L),
the gallon OBD apps' "MPG" means by default. Pure: no I/O, standard library only.
"""

from __future__ import annotations

from collections.abc import Callable

SYSTEMS = ("metric", "imperial")
ENV_VAR = "NOVAEVO_UNITS"  # the setting: metric (default) or imperial

_KM_PER_MILE = 1.609344
_L_PER_US_GALLON = 3.785411784
_KPA_PER_PSI = 6.894757293168
_PA_PER_INCH_OF_WATER = 249.08891
_NM_PER_LBFT = 1.3558179483
_KG_PER_LB = 0.45359237
_MM_PER_INCH = 25.4
# L/100 km <-> miles per US gallon: 100 km / (x litres) in miles per gallon.
_MPG_TIMES_L_PER_100KM = 100 * _L_PER_US_GALLON / _KM_PER_MILE  # 235.2146

# metric unit -> (imperial unit, conversion of a value)
_IMPERIAL: dict[str, tuple[str, Callable[[float], float]]] = {
    "°C": ("°F", lambda c: c * 9 / 5 + 32),
    "km/h": ("mph", lambda v: v / _KM_PER_MILE),
    "km": ("mi", lambda v: v / _KM_PER_MILE),
    "kPa": ("psi", lambda v: v / _KPA_PER_PSI),
    "Pa": ("inH2O", lambda v: v / _PA_PER_INCH_OF_WATER),
    "L": ("gal", lambda v: v / _L_PER_US_GALLON),
    "L/h": ("gal/h", lambda v: v / _L_PER_US_GALLON),
    "L/100km": ("MPG", lambda v: _MPG_TIMES_L_PER_100KM / v if v > 0 else float("inf")),
    "N·m": ("lb·ft", lambda v: v / _NM_PER_LBFT),
    "kg/h": ("lb/h", lambda v: v / _KG_PER_LB),
    "mm": ("in", lambda v: v / _MM_PER_INCH),
}


def check_system(system: str) -> str:
    """``system`` in lower case, or :class:`ValueError` naming the allowed ones."""
    name = (system or "").strip().lower()
    if name not in SYSTEMS:
        raise ValueError(f"unknown units {system!r}: use {' or '.join(SYSTEMS)}")
    return name


def unit_in(unit: str, system: str) -> str:
    """The unit a value in metric ``unit`` is shown in under ``system``."""
    if system == "imperial" and unit in _IMPERIAL:
        return _IMPERIAL[unit][0]
    return unit


def convert(value: object, unit: str, system: str) -> tuple[object, str]:
    """``value`` (in metric ``unit``) and its unit as shown under ``system``.

    Numbers convert; anything else (None, text, structured values) and units without an
    imperial counterpart (rpm, %, V, g/s) come back unchanged.
    """
    if system != "imperial" or unit not in _IMPERIAL:
        return value, unit
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value, unit
    imperial, change = _IMPERIAL[unit]
    return change(float(value)), imperial
