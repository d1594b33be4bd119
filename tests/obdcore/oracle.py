"""python-obd as a test oracle: feed it bytes, get its value in our units.

python-obd (PyPI ``obd``, GPL-2.0-only) is only *called* here, never copied. The helpers
build its own ``Frame``/``Message`` objects around a data payload, run one of its commands
and convert the pint quantity it returns into the unit names used by ``obdcore`` tables
(``°C``, ``kPa``, ``ratio``...), so differential tests can compare plain floats.

Typical use::

    cmd = mode01_commands()[0x0C]
    quantity = decode(cmd, bytes([0x1A, 0xF8]))
    assert magnitude(quantity, "rpm") == 1726.0
"""

from __future__ import annotations

from collections.abc import Iterable

import obd
from obd.OBDCommand import OBDCommand
from obd.protocols import ECU
from obd.protocols.protocol import Frame, Message
from obd.UnitsAndScaling import UAS_IDS

#: The pint registry python-obd builds its quantities in; conversions must use it.
UREG = obd.Unit

#: Our unit names (table ``unit`` columns) -> pint expressions in python-obd's registry.
PINT_UNITS: dict[str, str] = {
    "°C": "degC",
    "kPa": "kilopascal",
    "Pa": "pascal",
    "km/h": "kilometer / hour",
    "rpm": "revolution / minute",
    "g/s": "gram / second",
    "V": "volt",
    "mA": "milliampere",
    "%": "percent",
    "ratio": "ratio",
    "deg": "degree",
    "s": "second",
    "km": "kilometer",
    "L/h": "liter / hour",
    "N·m": "newton * meter",
    "ppm": "ppm",
    "mg/m³": "milligram / meter ** 3",
    "kg/h": "kilogram / hour",
    "count": "count",
    "mg": "milligram",
    "g": "gram",
    "L": "liter",
    "mm": "millimeter",
    "mm²": "millimeter ** 2",
    "Ω": "ohm",
    "Hz": "hertz",
    "V/s": "volt / second",
    "Pa/s": "pascal / second",
}


def pint_unit(unit: str):
    """The pint unit (python-obd's registry) for one of our unit names; KeyError if unknown."""
    return UREG.parse_units(PINT_UNITS[unit])


def magnitude(quantity, unit: str) -> float:
    """``quantity`` (a python-obd pint Quantity) expressed in our ``unit``, as a float."""
    return float(quantity.to(pint_unit(unit)).magnitude)


def message(
    mode: int, pid: int | None, data: bytes | Iterable[int], ecu: int = ECU.ENGINE
) -> Message:
    """A python-obd ``Message`` carrying one answer: ``mode + 0x40``, ``pid``, ``data``.

    ``pid=None`` builds a PID-less answer (Mode 03/07 style).
    """
    frame = Frame("")
    head = [mode + 0x40] if pid is None else [mode + 0x40, pid]
    frame.data = bytearray([*head, *data])
    msg = Message([frame])
    msg.ecu = ecu
    msg.data = bytearray(frame.data)
    return msg


def decode(cmd: OBDCommand, data: bytes | Iterable[int]):
    """Runs python-obd's ``cmd`` on one answer carrying ``data``; returns its ``.value``.

    Goes through ``OBDCommand.__call__`` so python-obd pads or truncates the payload to
    its expected length exactly as it does on a car.
    """
    return cmd([message(cmd.mode, cmd.pid, data)]).value


def data_size(cmd: OBDCommand) -> int:
    """python-obd's expected data length for ``cmd`` without the mode and PID bytes."""
    return cmd.bytes - 2


def mode01_commands() -> dict[int, OBDCommand]:
    """Every Mode 01 command python-obd knows, by PID."""
    return {cmd.pid: cmd for cmd in obd.commands[1] if cmd is not None}


def mode06_commands() -> dict[int, OBDCommand]:
    """Every Mode 06 command python-obd knows, by monitor id (MID)."""
    return {cmd.pid: cmd for cmd in obd.commands[6] if cmd is not None}


def uas_ids() -> dict:
    """python-obd's Unit And Scaling table: id -> callable taking the 2 raw bytes."""
    return dict(UAS_IDS)


def uas_value(uasid: int, raw: int):
    """python-obd's value for a 16-bit raw Mode 06 value (given as an unsigned integer)."""
    return UAS_IDS[uasid](bytearray(raw.to_bytes(2, "big")))
