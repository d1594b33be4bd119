"""The PID table: every decodable value as data.

One CSV row per *field*: a PID whose answer carries several values (an O2 sensor's
voltage and trim, a multi-sensor PID) has one row per value, all with the same byte count.
Columns:

``mode``  service in hex (``01``; ``01`` rows also serve Mode 02 freeze frames; ``09``,
          ``22``, ``21``... for vehicle information and manufacturer PIDs)
``pid``   PID in hex (1 byte; 2 bytes for service ``22`` data identifiers)
``name``  unique upper-case identifier (``ENGINE_RPM``)
``bytes`` data bytes after the PID
``formula`` an expression over ``A``, ``B``... (see :mod:`obdcore.protocol.formula`), or
          ``@name`` for a structured value decoded by code (bitmaps, status words,
          enumerations, text)
``unit``  the unit of the returned value (SI, or accepted for use with SI: ``°C``, ``kPa``,
          ``km/h``, ``rpm``, ``s``, ``g/s``, ``V``, ``%``, ``ratio``...); empty if structured
``min``, ``max`` the range the formula can produce (empty when not numeric)
``description`` one line for people
``header`` optional request header for manufacturer PIDs (``7E0``); empty for SAE PIDs

The standard table ships as ``obdcore/data/pids.csv``; users extend it with their own rows
in the same format (:meth:`PidTable.extended`, :meth:`PidTable.from_csv`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from obdcore.errors import FormulaError, TableError
from obdcore.protocol.formula import Formula, compile_formula

COLUMNS = ("mode", "pid", "name", "bytes", "formula", "unit", "min", "max", "description", "header")
MAX_PID_BYTES = 52
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_HEADER = re.compile(r"^([0-9A-F]{3}|[0-9A-F]{6}|[0-9A-F]{8})$")


@dataclass(frozen=True)
class FieldDef:
    """One decodable value of one PID."""

    mode: int
    pid: int
    name: str
    size: int
    formula: str
    unit: str
    minimum: float | None
    maximum: float | None
    description: str
    header: str = ""
    compiled: Formula | None = None

    @property
    def special(self) -> str | None:
        """The structured decoder's name for ``@name`` formulas, else None."""
        return self.formula[1:] if self.formula.startswith("@") else None

    @property
    def decimals(self) -> int | None:
        """How many decimals the value is worth: those of the formula's step (``A/4``:
        2, ``(256*A+B)/100``: 2, ``A-40``: 0), one past the first significant one for a
        step with no exact decimal (``A*100/255``: 0.39 -> 1). None when the formula is
        not affine (structured values, bit tests): nothing to round to."""
        affine = self.compiled.affine if self.compiled is not None else None
        if affine is None:
            return None
        return max(_decimals(abs(affine.scale)), _decimals(abs(affine.offset)))

    def rounded(self, value: float) -> float:
        """``value`` rounded to :attr:`decimals` (unchanged when there are none)."""
        decimals = self.decimals
        return value if decimals is None else float(round_values(np.float64(value), decimals))

    @property
    def pid_width(self) -> int:
        """How many bytes the PID itself takes in requests and answers."""
        return 2 if self.mode == 0x22 else 1


class PidTable:
    """An immutable set of :class:`FieldDef`, indexed by ``(mode, pid)`` and by name."""

    def __init__(self, fields: Iterable[FieldDef]):
        self._fields: tuple[FieldDef, ...] = tuple(fields)
        self._by_pid: dict[tuple[int, int], tuple[FieldDef, ...]] = {}
        self._by_name: dict[str, FieldDef] = {}
        for field in self._fields:
            self._add(field)

    def _add(self, field: FieldDef) -> None:
        if field.name in self._by_name:
            raise TableError(f"field name {field.name} appears twice")
        siblings = self._by_pid.get((field.mode, field.pid), ())
        if siblings and siblings[0].size != field.size:
            raise TableError(
                f"{field.name}: mode {field.mode:02X} PID {field.pid:02X} has "
                f"{siblings[0].size} bytes in another row, {field.size} here"
            )
        self._by_pid[(field.mode, field.pid)] = siblings + (field,)
        self._by_name[field.name] = field

    @classmethod
    def standard(cls) -> PidTable:
        """The SAE J1979 table shipped with obdcore (loaded once)."""
        return _standard_table()

    @classmethod
    def from_csv(cls, source: str | Path | io.TextIOBase) -> PidTable:
        """Reads a table from a CSV path, a file object or CSV text.

        Raises :class:`TableError` naming the first bad row.
        """
        if isinstance(source, Path):
            with source.open(newline="", encoding="utf-8") as handle:
                return cls(parse_rows(handle))
        if isinstance(source, str):
            return cls(parse_rows(io.StringIO(source)))
        return cls(parse_rows(source))

    def extended(self, extra: Iterable[FieldDef] | PidTable) -> PidTable:
        """A new table with ``extra`` rows added; an extra PID replaces the same PID here."""
        extra = tuple(extra)
        replaced = {(f.mode, f.pid) for f in extra}
        kept = (f for f in self._fields if (f.mode, f.pid) not in replaced)
        return PidTable((*kept, *extra))

    def fields(self, mode: int, pid: int) -> tuple[FieldDef, ...]:
        """The fields of one PID, empty when unknown."""
        return self._by_pid.get((mode, pid), ())

    def by_name(self, name: str) -> FieldDef:
        """The field called ``name``; raises KeyError when there is none."""
        return self._by_name[name]

    def decimals(self, name: str) -> int | None:
        """:attr:`FieldDef.decimals` of the field called ``name``; None when the table has
        no such field (decoder-made values: DTC lists, ``CLEAR_DTC``) or it has none."""
        field = self._by_name.get(name)
        return field.decimals if field is not None else None

    def pids(self, mode: int) -> list[int]:
        """The PIDs of one mode, sorted."""
        return sorted(pid for (m, pid) in self._by_pid if m == mode)

    def __iter__(self) -> Iterator[FieldDef]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def encode_pid(fields: tuple[FieldDef, ...], values: dict[str, float]) -> bytes:
    """The data bytes of one PID carrying ``values`` (field name -> value), the inverse of
    decoding: ``decode(encode_pid(f, v))`` is ``v`` to the formula's resolution.

    Fields left out of ``values`` encode as zero bytes. Raises :class:`TableError` for a
    field that is not affine (structured ``@`` fields, bit formulas): those are built by
    the caller.
    """
    data = bytearray(fields[0].size if fields else 0)
    for field in fields:
        if field.name not in values:
            continue
        affine = field.compiled.affine if field.compiled is not None else None
        if affine is None:
            raise TableError(f"{field.name} ({field.formula}) cannot be encoded from a number")
        data[affine.start : affine.start + affine.nbytes] = affine.encode(values[field.name])
    return bytes(data)


def markdown(table: PidTable) -> str:
    """The table as a Markdown document (``docs/PIDS.md`` is this, for the standard table)."""
    out = [
        "# PID table",
        "",
        "Generated from `obdcore/data/pids.csv` by `novaevo pids --markdown`; do not edit by hand.",
        "",
        "| mode | PID | name | bytes | formula | unit | min | max | description |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in table:
        low = "" if f.minimum is None else f"{f.minimum:g}"
        high = "" if f.maximum is None else f"{f.maximum:g}"
        formula = f.formula.replace("|", "\\|")
        out.append(
            f"| {f.mode:02X} | {f.pid:0{2 * f.pid_width}X} | {f.name} | {f.size} | "
            f"`{formula}` | {f.unit} | {low} | {high} | {f.description} |"
        )
    return "\n".join(out) + "\n"


@cache
def _standard_table() -> PidTable:
    text = resources.files("obdcore").joinpath("data/pids.csv").read_text(encoding="utf-8")
    return PidTable.from_csv(text)


def parse_rows(handle: Iterable[str]) -> Iterator[FieldDef]:
    """Yields one :class:`FieldDef` per CSV row; raises :class:`TableError` on a bad row."""
    reader = csv.DictReader(handle)
    missing = set(COLUMNS[:9]) - set(reader.fieldnames or ())
    if missing:
        raise TableError(f"PID table lacks the columns {sorted(missing)}")
    for number, row in enumerate(reader, start=2):
        try:
            yield _parse_row(row)
        except (ValueError, TypeError, FormulaError) as exc:
            raise TableError(f"PID table line {number}: {exc}") from None


def _parse_row(row: dict[str, str]) -> FieldDef:
    mode, pid, size = int(row["mode"], 16), int(row["pid"], 16), int(row["bytes"])
    name, formula = row["name"].strip(), row["formula"].strip()
    header = (row.get("header") or "").strip().upper()
    if not 0 < mode < 0x40 or not 0 <= pid <= (0xFFFF if mode == 0x22 else 0xFF):
        raise TableError(f"mode {row['mode']} / PID {row['pid']} out of range")
    if not 0 <= size <= MAX_PID_BYTES:
        raise TableError(f"{name}: byte count {size} out of range 0..{MAX_PID_BYTES}")
    if not _NAME.match(name):
        raise TableError(f"name {name!r} must be upper case letters, digits and _")
    if header and not _HEADER.match(header):
        raise TableError(f"{name}: header {header!r} is not 3, 6 or 8 hex digits")
    compiled = None if formula.startswith("@") else compile_formula(formula)
    if compiled is not None and max(compiled.byte_indices) >= size:
        raise TableError(f"{name}: formula {formula!r} reads past its {size} bytes")
    return FieldDef(
        mode,
        pid,
        name,
        size,
        formula,
        row["unit"].strip(),
        _optional_float(row["min"]),
        _optional_float(row["max"]),
        row["description"].strip(),
        header,
        compiled,
    )


def round_values(values, decimals: int):
    """``values`` (a number or a numpy array) rounded to ``decimals``: the one rounding of
    every value shown or written (numpy's, so a whole column rounds at once)."""
    return np.round(values, decimals)


def _decimals(step: float, most: int = 6) -> int:
    """The decimals a value on a grid of ``step`` is worth: enough to show the step's first
    significant digit (0.39 -> 1, 0.78125 -> 1, 0.005 -> 3), one more when that writes the
    step exactly (0.25 -> 2: RPM keeps its quarters); at most ``most``."""
    if step == 0:
        return 0
    first = min(most, max(0, math.ceil(-math.log10(step) - 1e-12)))
    for decimals in (first, first + 1):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, scaled):
            return min(most, decimals)
    return first


def _optional_float(text: str | None) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None
