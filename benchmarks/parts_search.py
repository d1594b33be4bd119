"""Benchmark of the parts catalogue: search latency and import rate, SQLite and PostgreSQL.

Generates a DEMO catalogue (default 1,000,000 parts, 20,000 vehicle types, 5 fitments per
part = 5,000,000 fitments) with the bulk paths (COPY / executemany in one transaction),
then measures p50/p95 of

* search by vehicle type + part type (``parts.search.search_by_vehicle``),
* search by OE number and by article number, each in a random spelling (spaces, dashes,
  dots), through ``parts.search.search_by_number``,

and the import rate of generated CSV files (offers, articles) through the real importer
(``benchmarks/parts_import.py`` times every file type on fresh keys and cleans up after).
The peer is the goal of the issue: p95 under 20 ms, imports of at least 50,000 rows/s;
the ratio goal/measured is printed (above 1 = goal met).

    python benchmarks/parts_search.py --backend both
    python benchmarks/parts_search.py --parts 100000 --vehicles 2000   # a quick run
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from api.database import make_engine, session_factory, upgrade  # noqa: E402
from parts import vocabulary  # noqa: E402
from parts.demo import DemoSize, generate  # noqa: E402
from parts.importers import import_csv  # noqa: E402
from parts.search import search_by_number, search_by_vehicle  # noqa: E402

GOAL_P95_MS = 20.0
GOAL_ROWS_PER_S = 50_000.0
PG_URL = os.environ.get(
    "NOVAEVO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def engine_for(backend: str, workdir: Path):
    """A migrated engine on a dedicated SQLite file or PostgreSQL schema."""
    if backend == "sqlite":
        return make_engine(f"sqlite:///{workdir / 'parts_bench.sqlite3'}")
    engine = make_engine(PG_URL, connect_args={"options": "-csearch_path=parts_bench,public"})
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS parts_bench")
    return engine


def respell(number: str, rng: random.Random) -> str:
    """The same number as a user might type it: spaces, dashes or dots, any case."""
    compact = "".join(ch for ch in number if ch.isalnum())
    sep = rng.choice(["", " ", "-", "."])
    step = rng.choice([2, 3, 4])
    text = sep.join(compact[i : i + step] for i in range(0, len(compact), step))
    return text.lower() if rng.random() < 0.3 else text


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1e3, p95 * 1e3, ordered[-1] * 1e3


def timed(fn, args_list) -> list[float]:
    """Wall time of fn(*args) for each args, after a warm-up of the first 50."""
    for args in args_list[:50]:
        fn(*args)
    samples = []
    for args in args_list:
        t0 = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - t0)
    return samples


def bench_search(engine, size: DemoSize, queries: int) -> dict[str, tuple[float, float, float]]:
    """p50/p95/max of the three searches on random inputs (fixed seed)."""
    rng = random.Random(7)
    codes = list(vocabulary.PART_TYPES)
    with session_factory(engine)() as s:
        part_ids = [rng.randrange(1, size.parts + 1) for _ in range(queries)]
        id_list = ",".join(map(str, set(part_ids)))  # integers we generated: safe inline
        numbers = dict(
            s.execute(
                text(f"SELECT id, article_number FROM parts_part WHERE id IN ({id_list})")
            ).all()
        )
        oes = dict(
            s.execute(
                text(
                    f"SELECT part_id, oe_number FROM parts_oe_reference "
                    f"WHERE part_id IN ({id_list})"
                )
            ).all()
        )
        results = {}
        vehicle_args = [
            (s, rng.randrange(1, size.vehicles + 1), rng.choice(codes)) for _ in range(queries)
        ]
        results["vehicle + part type"] = percentiles(
            timed(lambda s, v, t: search_by_vehicle(s, v, t), vehicle_args)
        )
        oe_args = [(s, respell(oes[p], rng)) for p in part_ids]
        results["OE number (any spelling)"] = percentiles(
            timed(lambda s, n: search_by_number(s, n), oe_args)
        )
        art_args = [(s, respell(numbers[p], rng)) for p in part_ids]
        results["article number (any spelling)"] = percentiles(
            timed(lambda s, n: search_by_number(s, n), art_args)
        )
        hits = sum(search_by_vehicle(s, v, t).total for _, v, t in vehicle_args[:200])
        print(f"    (mean hits per vehicle+type query: {hits / 200:.1f})")
    return results


def write_offer_csv(path: Path, size: DemoSize, rows: int) -> None:
    """``rows`` offers of a new supplier for existing demo parts (numbers respelled)."""
    from parts.demo import part_rows

    rng = random.Random(11)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["supplier", "brand", "article_number", "price", "currency", "stock", "delivery_days"]
        )
        for n, row in enumerate(part_rows(size)):
            if n >= rows:
                break
            w.writerow(
                [
                    f"BENCH-S{n % 3}",
                    row[1],
                    row[3],
                    f"{rng.randrange(100, 90000) / 100:.2f}",
                    "EUR",
                    rng.randrange(0, 50),
                    rng.randrange(1, 8),
                ]
            )


def write_article_csv(path: Path, rows: int) -> None:
    """``rows`` new articles of a brand the demo does not use."""
    codes = list(vocabulary.PART_TYPES)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["brand", "article_number", "part_type", "name", "gtin", "attr_note"])
        for i in range(rows):
            code = codes[i % len(codes)]
            w.writerow(
                [
                    "BENCH-BRAND",
                    f"BB {i // 1000:04d}-{i % 1000:03d}",
                    code,
                    f"Bench {vocabulary.PART_TYPES[code]} {i}",
                    "",
                    "bench",
                ]
            )


def write_fitment_csv(path: Path, size: DemoSize, rows: int) -> None:
    """``rows`` new fitments (position ``bench``) of demo parts to vehicles by KType."""
    from parts.demo import part_rows

    rng = random.Random(13)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["brand", "article_number", "ktype", "position", "quantity", "qualifiers"])
        for n, row in enumerate(part_rows(size)):
            if n >= rows:
                break
            ktype = 900_000 + rng.randrange(1, size.vehicles + 1)
            w.writerow([row[1], row[3], ktype, "bench", 1, ""])


def bench_import(
    engine, size: DemoSize, workdir: Path, rows: int, kinds: list[str]
) -> dict[str, float]:
    """Rows/s of offers (resolving articles), articles (with full-text indexing) and
    fitments (resolving articles and KTypes) imports through the real importer."""
    rates = {}
    writers = {
        "offers": lambda p: write_offer_csv(p, size, min(rows, size.parts)),
        "articles": lambda p: write_article_csv(p, rows),
        "fitments": lambda p: write_fitment_csv(p, size, min(rows, size.parts)),
    }
    for kind in kinds:
        path = workdir / f"bench_{kind}.csv"
        writers[kind](path)
        report = import_csv(engine, kind, path)
        assert report.rejected_count == 0, report.rejected[:3]
        rates[f"import {kind} ({report.rows_read:,} rows)"] = report.rows_per_second
    return rates


def main() -> None:
    """Parse arguments, run each backend, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--parts", type=int, default=1_000_000)
    ap.add_argument("--vehicles", type=int, default=20_000)
    ap.add_argument("--fitments-per-part", type=int, default=5)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--imports", default="offers,articles,fitments", help="kinds to time")
    ap.add_argument("--skip-search", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="skip generation (catalogue exists)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "novaevo_bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    size = DemoSize(args.vehicles, args.parts, args.fitments_per_part)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run_backend(backend, size, args)


def run_backend(backend: str, size: DemoSize, args: argparse.Namespace) -> None:
    """Generate (unless --reuse), search, import, for one backend; prints as it goes."""
    print(
        f"== {backend}: {size.parts:,} parts, {size.vehicles:,} vehicle types, "
        f"{size.parts * size.fitments_per_part:,} fitments",
        flush=True,
    )
    engine = engine_for(backend, args.workdir)
    upgrade(engine)
    if not args.reuse:
        t0 = time.perf_counter()
        counts = generate(engine, size)
        dt = time.perf_counter() - t0
        total = sum(counts.values())
        print(f"  generated {total:,} rows in {dt:.1f} s ({total / dt:,.0f} rows/s)", flush=True)
    searches = {} if args.skip_search else bench_search(engine, size, args.queries)
    for name, (p50, p95, worst) in searches.items():
        print(
            f"  search {name:32s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {worst:7.2f} ms"
            f"  goal/p95 = {GOAL_P95_MS / p95:5.1f}x",
            flush=True,
        )
    kinds = [k for k in args.imports.split(",") if k]
    imports = bench_import(engine, size, args.workdir, args.import_rows, kinds)
    for name, rate in imports.items():
        print(
            f"  {name:40s} {rate:10,.0f} rows/s  rate/goal = {rate / GOAL_ROWS_PER_S:4.2f}x",
            flush=True,
        )
    engine.dispose()


if __name__ == "__main__":
    main()
