"""Custom (manufacturer) PIDs from a file: the PID table's own CSV, or Torque Pro's.

Torque Pro exports its extra PIDs as CSV rows of eight columns, with or without a header
line: long name, short name, mode and PID in hex (``2101``, ``0x220101``), equation
(``(A*256+B)/10``, ``Signed(K)``, ``{j:7}``; see :mod:`obdcore.protocol.formula`'s
``torque`` dialect), min, max, unit, and the request header (the ECU: ``7E4``).
A file whose header names the PID table's columns (``mode,pid,name,bytes,...``) is read
as the PID table (:meth:`PidTable.from_csv`).

Each Torque row becomes a :class:`FieldDef` named after its short name in capitals
(``Aux Batt SOC`` -> ``AUX_BATT_SOC``); the data bytes of a PID are as many as its
equations read. A custom PID replaces the table's PID of the same mode and number, and
a custom name the table's field of that name (``Oil Temp`` in a file is the user's
``OIL_TEMP``, not Mode 01 PID 5C). Every bad row is a
:class:`~obdcore.errors.TableError` naming the file and line. Sans I/O but for reading
the files it is given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

from obdcore.errors import FormulaError, TableError
from obdcore.protocol.formula import compile_formula
from obdcore.protocol.pidtable import COLUMNS, FieldDef, PidTable

TORQUE_COLUMNS = ("name", "short name", "mode and PID", "equation", "min", "max", "unit", "header")
MAX_FILE_BYTES = 4 * 1024 * 1024  # Torque's largest PID packs are a few hundred kB
_HEADER = re.compile(r"^([0-9A-F]{3}|[0-9A-F]{6}|[0-9A-F]{8})$")
_UNITS = {"C": "°C", "DEGC": "°C", "°C": "°C", "DEG C": "°C"}


def load_pids(paths: Iterable[Path], base: PidTable | None = None) -> PidTable:
    """``base`` (the standard table by default) extended with the PIDs of every file in
    ``paths``, in order (a later file's PID replaces an earlier one's).

    Raises :class:`TableError` naming the file and line of the first bad row, or a file
    that cannot be read.
    """
    table = base if base is not None else PidTable.standard()
    for path in paths:
        fields = read_pid_file(Path(path), table)
        names = {field.name for field in fields}
        # The user's PID wins: a name the table already has (OIL_TEMP) is theirs now.
        table = PidTable(f for f in table if f.name not in names).extended(fields)
    return table


def data_dir_files(data_dir: Path) -> list[Path]:
    """The custom PID files of a data directory: ``DATA_DIR/pids/*.csv``, sorted."""
    folder = Path(data_dir) / "pids"
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def read_pid_file(path: Path, base: PidTable | None = None) -> list[FieldDef]:
    """The fields defined in one file (either format); see :func:`load_pids`."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TableError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise TableError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TableError(f"{path}: not a text (UTF-8) CSV file") from None
    try:
        return parse_pid_text(text, base)
    except TableError as exc:
        raise TableError(f"{path}: {exc}") from None


def parse_pid_text(text: str, base: PidTable | None = None) -> list[FieldDef]:
    """The fields of a CSV text in either format (decided by its first line)."""
    first = next(csv.reader(io.StringIO(text)), [])
    if set(COLUMNS[:9]) <= {cell.strip().lower() for cell in first}:
        return list(PidTable.from_csv(text))
    return parse_torque(text, base)


def parse_torque(text: str, base: PidTable | None = None) -> list[FieldDef]:
    """The fields of a Torque Pro CSV export (see the module's docstring)."""
    base = base if base is not None else PidTable.standard()
    rows: list[tuple[int, dict]] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        if number == 1 and _is_torque_header(cells):
            continue
        try:
            rows.append((number, _torque_row(cells)))
        except (TableError, FormulaError, ValueError) as exc:
            raise TableError(f"line {number}: {exc}") from None
    if not rows:
        raise TableError("no PID in it (Torque CSV: name, short name, mode and PID, ...)")
    return _fields(rows, base)


def _is_torque_header(cells: list[str]) -> bool:
    words = " ".join(cells).lower()
    return "equation" in words and ("pid" in words or "name" in words)


def _torque_row(cells: list[str]) -> dict:
    if len(cells) < 4:
        raise TableError(f"{len(cells)} columns; a Torque PID has 8 ({', '.join(TORQUE_COLUMNS)})")
    cells = [cell.strip() for cell in cells] + [""] * (8 - len(cells))
    long_name, short_name, code, equation, low, high, unit, header = cells[:8]
    mode, pid = _mode_and_pid(code)
    compiled = compile_formula(equation, dialect="torque")
    header = header.upper().removeprefix("0X")
    if header and not _HEADER.match(header):
        raise TableError(f"header {header!r} is not 3, 6 or 8 hex digits (7E0, 18DA10F1)")
    return {
        "mode": mode,
        "pid": pid,
        "name": _identifier(short_name or long_name),
        "formula": equation,
        "compiled": compiled,
        "unit": _UNITS.get(unit.upper(), unit),
        "min": _number(low, "min"),
        "max": _number(high, "max"),
        "description": long_name or short_name,
        "header": header,
    }


def _mode_and_pid(code: str) -> tuple[int, int]:
    """``2101`` -> (0x21, 0x01); ``0x220101`` -> (0x22, 0x0101); ``010C`` -> (1, 0x0C)."""
    digits = code.upper().removeprefix("0X")
    if not re.fullmatch(r"[0-9A-F]{4}|[0-9A-F]{6}", digits):
        raise TableError(f"mode and PID {code!r}: write 4 hex digits (2101) or 6 for 22 (220101)")
    mode, pid = int(digits[:2], 16), int(digits[2:], 16)
    if not 0 < mode < 0x40:
        raise TableError(f"mode {digits[:2]} is not an OBD or manufacturer service")
    if (mode == 0x22) != (len(digits) == 6):
        raise TableError(f"mode and PID {code!r}: service 22 takes a 2-byte PID, others 1 byte")
    return mode, pid


def _identifier(name: str) -> str:
    """A table name from Torque's short name: ``Aux Batt SOC`` -> ``AUX_BATT_SOC``."""
    words = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
    if not words:
        raise TableError(f"name {name!r} has no letter or digit")
    return (words if words[0].isalpha() else f"PID_{words}")[:64]


def _number(text: str, what: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise TableError(f"{what} {text!r} is not a number") from None


def _fields(rows: list[tuple[int, dict]], base: PidTable) -> list[FieldDef]:
    """FieldDefs, each PID as long as the furthest byte its equations read; names made
    unique within the file (a second ``SOC`` becomes ``SOC_2``)."""
    sizes: dict[tuple[int, int], int] = {}
    for _, row in rows:
        key = (row["mode"], row["pid"])
        sizes[key] = max(sizes.get(key, 0), max(row["compiled"].byte_indices) + 1)
    taken: set[str] = set()
    fields = []
    for _, row in rows:
        name, count = row["name"], 1
        while name in taken:
            count += 1
            name = f"{row['name']}_{count}"
        taken.add(name)
        fields.append(
            FieldDef(
                row["mode"],
                row["pid"],
                name,
                sizes[(row["mode"], row["pid"])],
                row["formula"],
                row["unit"],
                row["min"],
                row["max"],
                row["description"],
                row["header"],
                row["compiled"],
            )
        )
    return fields
