"""Logging samples to a file that survives anything: every sample is written and flushed
as it arrives, so a crash, a pulled plug or Ctrl-C loses nothing already received.

CSV: ``time,ecu,name,value,unit`` (time in seconds since the log started, ISO wall-clock
time in the header comment). JSONL: one object per sample, plus one per connection event.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import IO

from obdcore.errors import ArgumentError
from obdcore.io.client import Sample
from obdcore.io.driver import StateEvent

FORMATS = ("csv", "jsonl")


class SampleLog:
    """Appends samples to ``path`` in ``fmt`` (``csv`` or ``jsonl``), flushing each one.

    ``fsync``: also ask the OS to put each line on disk (slower; survives a power cut).
    Raises :class:`~obdcore.errors.ArgumentError` for an unknown format, :class:`OSError`
    when the file cannot be opened.
    """

    def __init__(self, path: Path, fmt: str = "csv", fsync: bool = False, clock=time.monotonic):
        if fmt not in FORMATS:
            raise ArgumentError(f"unknown log format {fmt!r}: use csv or jsonl")
        self.path, self.fmt, self.fsync, self.clock = Path(path), fmt, fsync, clock
        self.started = clock()
        self.count = 0
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._file: IO[str] = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._file) if fmt == "csv" else None
        if self._csv is not None and new:
            self._file.write(f"# novaevo log started {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
            self._csv.writerow(["time_s", "ecu", "name", "value", "unit"])
            self._flush()

    def write(self, sample: Sample) -> None:
        """Writes one sample and flushes it."""
        at = round(sample.at - self.started, 4)
        ecu = f"{sample.ecu:X}" if sample.ecu >= 0 else ""
        if self._csv is not None:
            self._csv.writerow([at, ecu, sample.name, sample.value, sample.unit])
        else:
            self._file.write(
                json.dumps(
                    {
                        "time_s": at,
                        "ecu": ecu,
                        "name": sample.name,
                        "value": sample.value,
                        "unit": sample.unit,
                    },
                    ensure_ascii=False,
                    default=str,
                )
                + "\n"
            )
        self.count += 1
        self._flush()

    def event(self, event: StateEvent) -> None:
        """Records a connection event (a comment line in CSV)."""
        at = round(event.at - self.started, 4)
        if self._csv is not None:
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
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> SampleLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_csv_log(path: Path) -> list[dict[str, str]]:
    """The samples of a CSV log (comment lines skipped), for tests and tools."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = (line for line in handle if not line.startswith("#"))
        return list(csv.DictReader(rows))
