"""Labour times: standard workshop minutes per part type and operation, read from data.

The table ships as ``data/labour_times.csv`` (its source is in ``data/SOURCES.md`` and in
every row's ``source`` column); part types are the parts catalogue's vocabulary, services
the codes of :mod:`api.garages.services`. A quote computed from a diagnosis takes its
labour lines from here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from api.garages.errors import InvalidInputError
from api.garages.services import SERVICES
from parts.vocabulary import PART_TYPES

LABOUR_TIMES = Path(__file__).resolve().parent / "data" / "labour_times.csv"
COLUMNS = ("part_type", "operation", "minutes", "extra_unit_minutes", "service", "source")


@dataclass(frozen=True)
class LabourTime:
    """Minutes for the first unit and each further one, the service it belongs to, source."""

    part_type: str
    operation: str
    minutes: int
    extra_unit_minutes: int
    service: str
    source: str

    def minutes_for(self, quantity: int) -> int:
        """Workshop minutes to do the operation on ``quantity`` units (at least one)."""
        return self.minutes + self.extra_unit_minutes * max(0, quantity - 1)


def load_labour_times(path: Path = LABOUR_TIMES) -> dict[tuple[str, str], LabourTime]:
    """Read and check a labour-times CSV: ``(part_type, operation) -> LabourTime``.

    Raises: InvalidInputError naming the line of an unknown part type or service, a bad
    number, a duplicate key or a missing column.
    """
    table: dict[tuple[str, str], LabourTime] = {}
    with open(path, encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise InvalidInputError(f"{path.name}: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            entry = _row(row, f"{path.name} line {reader.line_num}")
            key = (entry.part_type, entry.operation)
            if key in table:
                raise InvalidInputError(f"{path.name} line {reader.line_num}: duplicate {key}")
            table[key] = entry
    return table


def _row(row: dict[str, str], where: str) -> LabourTime:
    if row["part_type"] not in PART_TYPES:
        raise InvalidInputError(f"{where}: unknown part type {row['part_type']!r}")
    if row["service"] not in SERVICES:
        raise InvalidInputError(f"{where}: unknown service {row['service']!r}")
    try:
        minutes, extra = int(row["minutes"]), int(row["extra_unit_minutes"])
    except ValueError:
        raise InvalidInputError(f"{where}: minutes must be whole numbers") from None
    if not 1 <= minutes <= 24 * 60 or not 0 <= extra <= 24 * 60:
        raise InvalidInputError(f"{where}: minutes out of range")
    if not row["source"].strip():
        raise InvalidInputError(f"{where}: every labour time needs its source")
    return LabourTime(
        row["part_type"], row["operation"], minutes, extra, row["service"], row["source"]
    )


@lru_cache(maxsize=1)
def standard_labour_times() -> dict[tuple[str, str], LabourTime]:
    """The bundled table, read once (it is immutable data)."""
    return load_labour_times()


def labour_time(part_type: str, operation: str = "replace") -> LabourTime | None:
    """The standard time of an operation on a part type, or None when the table lacks it."""
    return standard_labour_times().get((part_type, operation))
