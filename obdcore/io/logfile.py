"""Logging samples to a file that survives anything: every sample is written and flushed
as it arrives, so a crash, a pulled plug or Ctrl-C loses nothing already received.

Formats:

- ``csv`` (wide, for spreadsheets): one row per answer (time and ECU), one column per
  value with its unit in the header (``RPM (rpm)``), wall-clock ISO time and seconds since
  the log started: ``time,elapsed_s,ecu,RPM (rpm),SPEED (km/h)``. A value not in that
  answer is an empty cell. A row is written when the next answer starts (or at an event,
  or when the log closes): a crash loses at most the answer being received.
- ``long``: one row per sample, ``time_s,ecu,name,value,unit`` (the ISO start time in the
  header comment).
- ``jsonl``: one object per sample (``time_s``, ``time``, the reading as every command
  writes it), plus one per connection event.

Numbers are rounded to their PID's resolution (the PID table's
:attr:`~obdcore.protocol.pidtable.FieldDef.decimals`).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from obdcore.errors import ArgumentError
from obdcore.io.client import Sample
from obdcore.io.driver import StateEvent
from obdcore.protocol.pidtable import PidTable

FORMATS = ("csv", "long", "jsonl")
LONG_COLUMNS = ["time_s", "ecu", "name", "value", "unit"]
WIDE_KEYS = ["time", "elapsed_s", "ecu"]


class SampleLog:
    """Writes samples to ``path`` in ``fmt`` (``csv`` wide, ``long`` or ``jsonl``).

    ``columns``: the ``(name, unit)`` of each value, in order (the wide CSV's columns;
    values not named are left out of it); ``table``: the PID table, for the rounding;
    ``entry``: how a JSONL line writes a reading (``obdcore.reports.reading_entry``'s
    signature; a plain dict by default). ``fsync``: also ask the OS to put each line on
    disk (slower; survives a power cut). Raises :class:`~obdcore.errors.ArgumentError` for
    an unknown format or a wide CSV without columns, :class:`OSError` when the file cannot
    be opened.
    """

    def __init__(
        self,
        path: Path,
        fmt: str = "csv",
        fsync: bool = False,
        clock=time.monotonic,
        *,
        columns: Sequence[tuple[str, str]] = (),
        table: PidTable | None = None,
        entry: Callable | None = None,
        wall_clock: Callable[[], float] = time.time,
    ):
        if fmt not in FORMATS:
            raise ArgumentError(f"unknown log format {fmt!r}: use {', '.join(FORMATS)}")
        if fmt == "csv" and not columns:
            raise ArgumentError("a wide CSV log needs its columns (the values polled)")
        self.path, self.fmt, self.fsync, self.clock = Path(path), fmt, fsync, clock
        self.table = table if table is not None else PidTable.standard()
        self.entry = entry or _plain_entry
        self.started = clock()
        self.wall_started = wall_clock()
        self.count = 0
        self.columns = {name: i for i, (name, _) in enumerate(columns)}
        self._row: list | None = None  # the wide row being filled, its (time, ECU) key
        self._row_key: tuple | None = None
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._file: IO[str] = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._file) if fmt != "jsonl" else None
        if self._csv is not None and new:
            started = datetime.fromtimestamp(self.wall_started).astimezone()
            self._file.write(f"# novaevo log started {started.isoformat(timespec='seconds')}\n")
            if fmt == "csv":
                header = [f"{name} ({unit})" if unit else name for name, unit in columns]
                self._csv.writerow(WIDE_KEYS + header)
            else:
                self._csv.writerow(LONG_COLUMNS)
            self._flush()

    def write(self, sample: Sample) -> None:
        """Writes one sample (wide CSV: into its answer's row) and flushes what is done."""
        at = round(sample.at - self.started, 4)
        ecu = f"{sample.ecu:X}" if sample.ecu >= 0 else ""
        if self.fmt == "csv":
            self._wide(sample, at, ecu)
        elif self._csv is not None:
            self._csv.writerow([at, ecu, sample.name, self._cell(sample), sample.unit])
        else:
            line = {"time_s": at, "time": self._iso(sample.at)}
            entry = self.entry if self._in_table_unit(sample) else _plain_entry
            line.update(entry(sample.name, sample.value, sample.unit, sample.ecu, self.table))
            self._file.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self.count += 1
        self._flush()

    def _wide(self, sample: Sample, at: float, ecu: str) -> None:
        column = self.columns.get(sample.name)
        if column is None:
            return
        key = (sample.at, ecu)
        if self._row is None or key != self._row_key or self._row[column] != "":
            self._end_row()  # a new answer (or the same value again: a new row)
            self._row = ["" for _ in self.columns]
            self._row_key = key
            self._row_start = [self._iso(sample.at), at, ecu]
        self._row[column] = self._cell(sample)

    def _end_row(self) -> None:
        if self._row is not None and self._csv is not None:
            self._csv.writerow(self._row_start + self._row)
        self._row = None

    def _in_table_unit(self, sample: Sample) -> bool:
        """True when ``sample`` is in its field's unit: the resolution applies (a value
        converted to imperial units is written as converted)."""
        try:
            return self.table.by_name(sample.name).unit == sample.unit
        except KeyError:
            return False

    def _cell(self, sample: Sample):
        """A value as a CSV cell: a number rounded to its resolution, lists joined."""
        value = sample.value
        if isinstance(value, float):
            if self._in_table_unit(sample):
                return self.table.by_name(sample.name).rounded(value)
            return value
        if isinstance(value, (tuple, list)):
            return " ".join(str(item) for item in value)
        return value

    def _iso(self, at: float) -> str:
        wall = self.wall_started + (at - self.started)
        return datetime.fromtimestamp(wall).astimezone().isoformat(timespec="milliseconds")

    def event(self, event: StateEvent) -> None:
        """Records a connection event (a comment line in CSV)."""
        at = round(event.at - self.started, 4)
        if self._csv is not None:
            self._end_row()
            self._file.write(f"# {at} {event.state}: {event.detail}\n")
        else:
            self._file.write(
                json.dumps({"time_s": at, "event": str(event.state), "detail": event.detail}) + "\n"
            )
        self._flush()

    def _flush(self) -> None:
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Writes the last wide row and closes the file."""
        if not self._file.closed:
            self._end_row()
            self._file.close()

    def __enter__(self) -> SampleLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plain_entry(name: str, value, unit: str, ecu: int, table=None) -> dict:
    return {"name": name, "value": value, "unit": unit, "ecu": f"{ecu:X}" if ecu >= 0 else "?"}


def read_csv_log(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV log, wide or long (comment lines skipped), for tests and tools."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = (line for line in handle if not line.startswith("#"))
        return list(csv.DictReader(rows))
