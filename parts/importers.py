"""CSV importers: supplier price/stock feeds and TecDoc-like vehicle, article, OE,
cross-reference and fitment files.

How an import runs:

* The file is streamed (never loaded whole) and parsed by :mod:`parts.import_parse`: each
  row is checked; a bad row is *rejected with its line number and reason* and the import
  goes on. A large file is parsed in a separate *process*, so that parsing (Python) and
  writing (the database) use both cores instead of taking turns on the GIL; small files
  and streams are parsed in this process.
* Batches of ``batch_size`` rows are written by :mod:`parts.import_sql`: into a temporary
  staging table, then one set-based ``INSERT ... SELECT ... JOIN ... ON CONFLICT`` per
  table resolves the references (article -> part id) and upserts; the rows whose article
  is unknown come back with their line numbers.
* Upserts make imports idempotent: the same file twice gives the same catalogue. A key that
  appears twice in one file is a rejected row ("duplicate of line N"), first one wins.
* The whole import is ONE transaction. If anything stops it half-way (database error,
  unreadable file, ``strict`` and a rejected row, more rejects than ``max_rejects``, Ctrl-C)
  it is rolled back and :class:`ImportFailedError` is raised: the catalogue is exactly as
  it was. We chose one transaction over a resumable batch log because PostgreSQL and
  SQLite in WAL mode both keep serving reads during a long write transaction, and a
  re-run of an idempotent import is as good as a resume.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine

from parts.errors import ImportFailedError, ImportFormatError
from parts.import_parse import (
    FORMATS,
    Batch,
    DecodedLines,
    Format,
    RowError,
    gtin_ok,
    parse_batches,
    parse_price,
    read_header,
)
from parts.import_sql import Writer
from parts.import_worker import ParseWorker

__all__ = [
    "KINDS",
    "ImportReport",
    "Rejected",
    "RowError",
    "gtin_ok",
    "import_csv",
    "parse_price",
]

KINDS = tuple(FORMATS)
MAX_REJECT_DETAILS = 10_000
# Below this size a worker process costs more to start than it saves.
PARALLEL_MIN_BYTES = 2_000_000
_REPORT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Rejected:
    """A rejected row: its line number in the file, why, and the start of its text."""

    line: int
    reason: str
    excerpt: str


@dataclass
class ImportReport:
    """The outcome of one import."""

    kind: str
    rows_read: int = 0
    rows_written: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    committed: bool = False
    seconds: float = 0.0

    def reject(self, line: int, reason: str, excerpt: str) -> None:
        """Record a rejected row (details kept for the first 10,000); thread-safe."""
        with _REPORT_LOCK:
            self.rejected_count += 1
            if len(self.rejected) < MAX_REJECT_DETAILS:
                self.rejected.append(Rejected(line, reason, excerpt[:120]))

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of wall time."""
        return self.rows_read / self.seconds if self.seconds else 0.0


# ------------------------------------------------------------------------------- driver


def import_csv(
    engine: Engine,
    kind: str,
    source: str | Path | BinaryIO,
    *,
    encoding: str = "utf-8",
    strict: bool = False,
    max_rejects: int | None = None,
    batch_size: int = 50_000,
    progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> ImportReport:
    """Import one CSV file of ``kind`` (``vehicles``, ``articles``, ``oe``, ``crossrefs``,
    ``fitments``, ``offers``) in one transaction.

    In: a migrated engine, the kind, a path or a binary stream; ``strict`` rejects the whole
    file on the first bad row; ``max_rejects`` aborts after that many rejects; ``progress``
    gets the number of bytes parsed so far; ``parallel`` parses in a worker process (None:
    for regular files of at least 2 MB; streams are always parsed in this process).
    Out: an :class:`ImportReport` (committed, counts, rejected rows with reasons).
    Raises: ImportFormatError (unknown kind, missing columns, unknown encoding) and
    ImportFailedError (aborted; rolled back, catalogue unchanged).
    """
    fmt = FORMATS.get(kind)
    if fmt is None:
        raise ImportFormatError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFormatError(f"unknown encoding {encoding!r}") from None
    options = _Options(encoding, strict, max_rejects, max(1, batch_size), progress)
    if isinstance(source, (str, Path)):
        path = Path(source)
        with open(path, "rb") as stream:
            use_worker = _worth_a_worker(stream) if parallel is None else parallel
            return _run(engine, fmt, stream, path if use_worker else None, options)
    return _run(engine, fmt, source, None, options)


@dataclass(frozen=True)
class _Options:
    encoding: str
    strict: bool
    max_rejects: int | None
    batch_size: int
    progress: Callable[[int], None] | None


def _worth_a_worker(stream: BinaryIO) -> bool:
    # A regular file (the child opens it again by name) and an interpreter to run it with.
    info = os.fstat(stream.fileno())
    return (
        stat.S_ISREG(info.st_mode) and info.st_size >= PARALLEL_MIN_BYTES and bool(sys.executable)
    )


def _run(
    engine: Engine, fmt: Format, stream: BinaryIO, worker_path: Path | None, opt: _Options
) -> ImportReport:
    """Read the header (format errors surface before any write), then import in one
    transaction; ``worker_path``: parse that file in a worker process."""
    report = ImportReport(fmt.name)
    started = time.perf_counter()
    source = DecodedLines(stream, opt.encoding)
    lines = iter(source)
    header, delimiter = read_header(lines, fmt)
    conn = engine.connect()
    batches: Iterable[Batch] = ()
    try:
        with conn.begin():
            writer = Writer(conn, fmt.name)
            vehicles = writer.vehicle_map() if fmt.name == "fitments" else None
            if worker_path is not None:
                batches = ParseWorker(worker_path, fmt.name, opt.encoding, opt.batch_size, vehicles)
            else:
                batches = parse_batches(
                    source, lines, fmt, header, delimiter, opt.batch_size, vehicles
                )
            _consume(batches, writer, report, opt)
            writer.close()
    except ImportFailedError:
        report.rejected.sort(key=lambda r: r.line)
        raise
    except (Exception, KeyboardInterrupt) as exc:  # everything is rolled back by begin()
        report.rejected.sort(key=lambda r: r.line)
        raise ImportFailedError(
            f"import of {fmt.name} stopped and was rolled back: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300] if str(exc) else ''}",
            report,
        ) from exc
    finally:
        if isinstance(batches, ParseWorker):
            batches.close()
        conn.close()
    report.rejected.sort(key=lambda r: r.line)
    report.committed = True
    report.seconds = time.perf_counter() - started
    return report


def _consume(batches: Iterable[Batch], writer: Writer, report: ImportReport, opt: _Options) -> None:
    """Write every batch, recording rejects; raises ImportFailedError to abort."""
    for batch in batches:
        report.rows_read += batch.rows_read
        for reject in batch.rejects:
            report.reject(*reject)
        _check_limits(report, opt)  # before writing: strict stops at the first bad batch
        rejects = writer.write(batch)
        for reject in rejects:
            report.reject(*reject)
        report.rows_written += len(batch.rows) - len(rejects)
        _check_limits(report, opt)
        if opt.progress is not None:
            opt.progress(batch.bytes_done)


def _check_limits(report: ImportReport, opt: _Options) -> None:
    count = report.rejected_count
    if opt.strict and count:
        first = min(report.rejected, key=lambda r: r.line)
        raise ImportFailedError(
            f"strict import: line {first.line} rejected ({first.reason}); rolled back, "
            "catalogue unchanged",
            report,
        )
    if opt.max_rejects is not None and count > opt.max_rejects:
        raise ImportFailedError(
            f"more than {opt.max_rejects} rejected rows; rolled back, catalogue unchanged",
            report,
        )
