"""Benchmark of the parts importer: rows/s per file type, SQLite and PostgreSQL.

Into the big DEMO catalogue (default 1,000,000 parts, 20,000 vehicle types, 5,000,000
fitments; generated once with ``benchmarks/parts_search.py`` or here, then reused), it
imports one generated CSV file per kind through the real importer (``import_csv``: parse,
check, resolve references, upsert, one transaction):

* ``offers``   - a supplier price/stock feed for existing articles (3 new suppliers),
* ``articles`` - new articles of one new brand (full-text indexed),
* ``oe``       - new OE references of existing articles,
* ``fitments`` - new linkages (position ``bench``) of existing articles to vehicles by KType.

Every key in a file is new to the catalogue, so each row is a real insert. The rows the
benchmark added are deleted after each kind (and PostgreSQL vacuumed), so runs can be
repeated on the same catalogue. ``--reimport`` also times a second import of the same file
(every upsert a no-op). The peer is the goal of the issue, 50,000 rows/s; the ratio
rate/goal is printed (at least 1 = goal met), with the load average of the machine.

    python benchmarks/parts_import.py --backend both
    python benchmarks/parts_import.py --backend sqlite --rows 100000 --kinds offers
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text  # noqa: E402

from api.database import upgrade  # noqa: E402
from benchmarks.parts_search import (  # noqa: E402
    engine_for,
    write_article_csv,
    write_fitment_csv,
    write_offer_csv,
)
from parts.demo import DemoSize, generate, part_rows  # noqa: E402
from parts.importers import import_csv  # noqa: E402

GOAL_ROWS_PER_S = 50_000.0
KINDS = ("offers", "articles", "oe", "fitments")

# What each kind's benchmark file adds to the catalogue, to put the catalogue back after.
CLEANUP = {
    "offers": (
        "DELETE FROM parts_offer WHERE supplier_id IN "
        "(SELECT id FROM parts_supplier WHERE code LIKE 'BENCH-%')",
        "DELETE FROM parts_supplier WHERE code LIKE 'BENCH-%'",
    ),
    "articles": ("DELETE FROM parts_part WHERE brand_norm = 'BENCH-BRAND'",),
    "oe": ("DELETE FROM parts_oe_reference WHERE oe_brand_norm = 'BENCH-OE'",),
    "fitments": ("DELETE FROM parts_fitment WHERE position = 'bench'",),
}
TABLES = {
    "offers": "parts_offer",
    "articles": "parts_part",
    "oe": "parts_oe_reference",
    "fitments": "parts_fitment",
}


def write_oe_csv(path: Path, size: DemoSize, rows: int) -> None:
    """``rows`` new OE references (maker ``BENCH-OE``) of existing demo articles."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["brand", "article_number", "oe_brand", "oe_number"])
        for n, row in enumerate(part_rows(size)):
            if n >= rows:
                break
            w.writerow([row[1], row[3], "BENCH-OE", f"BO {n // 1000:04d} {n % 1000:03d}"])


def write_file(kind: str, path: Path, size: DemoSize, rows: int) -> None:
    """Write the benchmark file of ``kind`` unless a file of that many rows is there."""
    marker = path.with_suffix(f".{rows}.done")
    if path.exists() and marker.exists():
        return
    if kind == "offers":
        write_offer_csv(path, size, min(rows, size.parts))
    elif kind == "articles":
        write_article_csv(path, rows)
    elif kind == "oe":
        write_oe_csv(path, size, min(rows, size.parts))
    else:
        write_fitment_csv(path, size, min(rows, size.parts))
    for old in path.parent.glob(f"{path.stem}.*.done"):
        old.unlink()
    marker.touch()


def clean(engine: Engine, kind: str) -> None:
    """Delete what the benchmark file of ``kind`` added (PostgreSQL: then vacuum)."""
    with engine.begin() as conn:
        for sql in CLEANUP[kind]:
            conn.execute(text(sql))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {TABLES[kind]}")
            conn.exec_driver_sql("VACUUM ANALYZE parts_part")


def load() -> str:
    """The 1/5/15-minute load averages, as text."""
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def ensure_catalogue(engine: Engine, size: DemoSize, reuse: bool) -> None:
    """Generate the demo catalogue unless ``reuse`` and it already has its parts."""
    if reuse:
        with engine.connect() as conn:
            parts = conn.execute(text("SELECT count(*) FROM parts_part")).scalar_one()
        if parts >= size.parts:
            return
    t0 = time.perf_counter()
    counts = generate(engine, size)
    print(f"  generated {sum(counts.values()):,} rows in {time.perf_counter() - t0:.0f} s")


def bench_kind(engine: Engine, kind: str, path: Path, reimport: bool) -> list[str]:
    """Import ``path`` (and again if ``reimport``), clean up; the lines to print."""
    clean(engine, kind)  # a previous run that was interrupted
    lines = []
    before = load()
    report = import_csv(engine, kind, path)
    assert report.rejected_count == 0, report.rejected[:3]
    assert report.rows_written == report.rows_read, (report.rows_written, report.rows_read)
    lines.append(_line(f"{kind} ({report.rows_read:,} new rows)", report, before))
    if reimport:
        before = load()
        report = import_csv(engine, kind, path)
        lines.append(_line(f"{kind} again (unchanged)", report, before))
    clean(engine, kind)
    return lines


def _line(name: str, report, before: str) -> str:
    rate = report.rows_per_second
    return (
        f"  import {name:30s} {rate:9,.0f} rows/s  {report.seconds:6.1f} s  "
        f"rate/goal = {rate / GOAL_ROWS_PER_S:4.2f}x   ({before} -> {load()})"
    )


def main() -> None:
    """Parse arguments, run each backend, print the figures as they come."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--parts", type=int, default=1_000_000)
    ap.add_argument("--vehicles", type=int, default=20_000)
    ap.add_argument("--fitments-per-part", type=int, default=5)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--reimport", action="store_true", help="also time an unchanged re-import")
    ap.add_argument("--regenerate", action="store_true", help="rebuild the catalogue")
    ap.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "novaevo_parts_bench"
    )
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    size = DemoSize(args.vehicles, args.parts, args.fitments_per_part)
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        write_file(kind, args.workdir / f"bench_{kind}.csv", size, args.rows)
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        print(
            f"== {backend}: {size.parts:,} parts, {size.vehicles:,} vehicle types, "
            f"{size.parts * size.fitments_per_part:,} fitments; {load()}",
            flush=True,
        )
        engine = engine_for(backend, args.workdir)
        upgrade(engine)
        ensure_catalogue(engine, size, not args.regenerate)
        for kind in kinds:
            for line in bench_kind(engine, kind, args.workdir / f"bench_{kind}.csv", args.reimport):
                print(line, flush=True)
        engine.dispose()


if __name__ == "__main__":
    main()
