"""The fast import paths: set-based resolution, the parsing process, full-text indexing.

Every test runs on SQLite and PostgreSQL; the ones parametrised on ``parallel`` also run
through the child parsing process (``parallel=True``) and in this process (``False``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from parts import import_worker
from parts.demo import clear_catalogue
from parts.errors import ImportFailedError
from parts.import_parse import FORMATS, DecodedLines, json_object, parse_batches, read_header
from parts.importers import import_csv
from parts.normalize import build_search_text
from parts.search import search_text
from tests.parts import catalogue
from tests.parts.conftest import rejection_reasons, snapshot

PATHS = pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "worker"])


@PATHS
def test_offer_rejects_keep_line_numbers_across_batches(tiny, tmp_path, parallel) -> None:
    content = (
        "supplier,brand,article_number,price,currency\n"
        "S7,ALPHA,TH-100,1.00,EUR\n"  # 2 good (new supplier S7, created)
        "S7,NOBODY,N1,1.00,EUR\n"  # 3 unknown article
        "S7,alpha,th.100,2.00,EUR\n"  # 4 duplicate of 2 (another spelling, next batch)
        "S7,ALPHA,TH-100,x,EUR\n"  # 5 bad price (parse reject)
        "S7,NOBODY,N 1,1.00,EUR\n"  # 6 same key as 3: still "unknown article"
        "S8,NOBODY,N2,1.00,EUR\n"  # 7 unknown article: supplier S8 is not created
        "S7,BRAVO,TH 200,3.00,EUR\n"  # 8 good
    )
    path = catalogue.write(tmp_path, "o.csv", content)
    report = import_csv(tiny, "offers", path, batch_size=2, parallel=parallel)
    reasons = rejection_reasons(report)
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3] == "unknown article NOBODY N1 (import it first)"
    assert reasons[4] == "duplicate key: same supplier_id, part_id as line 2"
    assert "price 'x'" in reasons[5]
    assert reasons[6] == reasons[3]
    assert "unknown article NOBODY N2" in reasons[7]
    assert (report.rows_read, report.rows_written) == (7, 2)
    assert [r.excerpt for r in report.rejected][:2] == [
        "S7,NOBODY,N1,1.00,EUR",
        "S7,alpha,th.100,2.00,EUR",
    ]
    with tiny.connect() as conn:
        codes = set(conn.execute(text("SELECT code FROM parts_supplier")).scalars())
        prices = conn.execute(
            text(
                "SELECT o.price_minor FROM parts_offer o JOIN parts_supplier s "
                "ON s.id = o.supplier_id WHERE s.code = 'S7' ORDER BY o.price_minor"
            )
        ).scalars()
        assert list(prices) == [100, 300]  # the first of the duplicates won
    assert "S7" in codes and "S8" not in codes


@PATHS
def test_fitment_and_crossref_rejects_name_the_first_fault(tiny, tmp_path, parallel) -> None:
    fitments = (
        "brand,article_number,ktype,cnit,engine_code\n"
        "NOBODY,X1,99999,,\n"  # 2 unknown article AND unknown vehicle: article first
        "ALPHA,TH-100,99999,,\n"  # 3 unknown vehicle
        "NGK,BKR7E,1001,,\n"  # 4 good
        "NGK,BKR7E,,M10RENVP000E123,\n"  # 5 the same vehicle by its CNIT: duplicate
        "NGK,BKR7E,,,K9K\n"  # 6 good (engine fitment)
        "NGK,BKR7E,,,K9K\n"  # 7 duplicate engine fitment
        "NGK,BKR7E,1003,,\n"  # 8 the same article on another vehicle: no duplicate
    )
    report = import_csv(
        tiny,
        "fitments",
        catalogue.write(tmp_path, "f.csv", fitments),
        batch_size=2,
        parallel=parallel,
    )
    reasons = rejection_reasons(report)
    assert sorted(reasons) == [2, 3, 5, 7] and report.rows_written == 3
    assert reasons[2].startswith("unknown article NOBODY X1")
    assert reasons[3] == "unknown vehicle ktype 99999"
    assert reasons[5] == "duplicate key: same vehicle_type_id, part_id, position as line 4"
    assert reasons[7] == "duplicate key: same engine_code, part_id, position as line 6"
    crossrefs = (
        "brand,article_number,other_brand,other_article_number,kind\n"
        "NGK,BKR7E,NOBODY,Z9,equivalent\n"  # 2 unknown *other* article
        "NGK,BKR7E,NGK,BKR6E,equivalent\n"  # 3 good
    )
    report = import_csv(
        tiny, "crossrefs", catalogue.write(tmp_path, "c.csv", crossrefs), parallel=parallel
    )
    assert rejection_reasons(report) == {2: "unknown article NOBODY Z9 (import it first)"}
    assert report.rows_written == 1


def _table_rows(engine: Engine) -> dict[str, list[tuple]]:
    rows = snapshot(engine)
    with engine.connect() as conn:  # offers without their server timestamp
        rows["parts_offer"] = sorted(
            conn.execute(
                text(
                    "SELECT supplier_id, part_id, price_minor, currency, stock, delivery_days "
                    "FROM parts_offer"
                )
            ).all()
        )
    return rows


def test_worker_and_in_process_give_the_same_catalogue(engine, tmp_path) -> None:
    reports = {}
    for parallel in (False, True):
        with engine.begin() as conn:
            clear_catalogue(conn)
        for kind, content in catalogue.FILES:
            path = catalogue.write(tmp_path, f"{kind}.csv", content + content.splitlines()[1])
            report = import_csv(engine, kind, path, batch_size=2, parallel=parallel)
            reports[parallel, kind] = (report.rows_written, [vars(r) for r in report.rejected])
        reports[parallel] = _table_rows(engine)
    assert reports[True] == reports[False]
    for kind, _ in catalogue.FILES:
        assert reports[True, kind] == reports[False, kind]
        assert "duplicate key" in reports[True, kind][1][0]["reason"]


def test_articles_are_found_by_text_after_a_batched_import(tiny, tmp_path, session) -> None:
    rows = "".join(f"ZULU,Z-{i},thermostat,Zanzibar unit {i},,\n" for i in range(30))
    path = catalogue.write(tmp_path, "a.csv", catalogue.ARTICLES.splitlines()[0] + "\n" + rows)
    assert import_csv(tiny, "articles", path, batch_size=7, parallel=True).rows_written == 30
    assert search_text(session, "zanzibar").total == 30
    assert [h.article_number for h in search_text(session, "zanzibar unit 17").items] == ["Z-17"]
    _assert_fulltext_consistent(tiny)


def test_changed_article_text_is_reindexed(tiny, tmp_path, session) -> None:
    path = catalogue.write(
        tmp_path,
        "a.csv",
        "brand,article_number,part_type,name\nALPHA,TH-100,thermostat,Quokka valve\n",
    )
    assert import_csv(tiny, "articles", path).rows_written == 1
    assert [h.brand for h in search_text(session, "quokka").items] == ["ALPHA"]
    assert search_text(session, "89").total == 0  # the old name "Thermostat 89°C" is gone
    _assert_fulltext_consistent(tiny)


def test_failed_import_leaves_the_text_index_as_it_was(tiny, tmp_path, session) -> None:
    before, thermostats = snapshot(tiny), search_text(session, "thermostat").total
    header = "brand,article_number,part_type,name\n"
    rows = "".join(f"YAK,Y-{i},thermostat,Yeti part {i}\n" for i in range(40))
    path = catalogue.write(tmp_path, "a.csv", header + rows + "YAK,Y-X,unicorn,bad\n")
    with pytest.raises(ImportFailedError, match="line 42"):
        import_csv(tiny, "articles", path, strict=True, batch_size=10, parallel=True)
    assert snapshot(tiny) == before
    assert search_text(session, "yeti").total == 0
    assert search_text(session, "thermostat").total == thermostats
    _assert_fulltext_consistent(tiny)
    # The index still follows new rows (the SQLite triggers are intact).
    import_csv(tiny, "articles", catalogue.write(tmp_path, "b.csv", header + rows))
    assert search_text(session, "yeti").total == 40


def _assert_fulltext_consistent(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # a generated tsvector column cannot drift from its text
    with engine.begin() as conn:
        triggers = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        ).scalars()
        assert list(triggers) == ["parts_part_fts_ad", "parts_part_fts_ai", "parts_part_fts_au"]
        conn.execute(
            text("INSERT INTO parts_part_fts(parts_part_fts, rank) VALUES ('integrity-check', 1)")
        )


def test_interrupt_during_a_worker_import_rolls_back_and_stops_the_child(
    tiny, tmp_path, monkeypatch
) -> None:
    started: list[import_worker.ParseWorker] = []

    class Recorded(import_worker.ParseWorker):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr("parts.importers.ParseWorker", Recorded)
    before = snapshot(tiny)
    header = "brand,article_number,part_type,name\n"
    path = catalogue.write(
        tmp_path, "a.csv", header + "".join(f"K,K{i},thermostat,k\n" for i in range(500))
    )
    calls = []

    def interrupt(done: int) -> None:
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(ImportFailedError, match="rolled back: KeyboardInterrupt"):
        import_csv(tiny, "articles", path, batch_size=50, parallel=True, progress=interrupt)
    assert snapshot(tiny) == before
    assert len(started) == 1 and started[0].process.poll() is not None  # reaped


def test_an_error_in_the_child_reaches_the_caller(tmp_path) -> None:
    worker = import_worker.ParseWorker(tmp_path / "gone.csv", "offers", "utf-8", 10, None)
    try:
        with pytest.raises(FileNotFoundError, match="gone.csv"):
            list(worker)
    finally:
        worker.close()
    assert worker.process.returncode == 0  # it reported the error and ended cleanly


def test_parsing_streams_the_file(engine) -> None:
    """The parser reads as it goes: after the first batch most of the file is unread."""
    data = b"brand,article_number,part_type\n" + b"".join(
        b"B,N%d,thermostat\n" % i for i in range(5000)
    )
    fmt = FORMATS["articles"]
    source = DecodedLines(io.BytesIO(data), "utf-8")
    lines = iter(source)
    header, delimiter = read_header(lines, fmt)
    first = next(parse_batches(source, lines, fmt, header, delimiter, batch_size=100))
    assert len(first.rows) == 100 and [r[0] for r in first.rows[:2]] == [2, 3]
    assert source.done < len(data) // 10


def test_fast_helpers_match_the_plain_ones() -> None:
    for values in ({}, {"a": "b"}, {"é": 'q"uote\\', "ctl": "\x01\n\t\u2028", "n": "12"}):
        assert json_object(values) == json.dumps(values, ensure_ascii=False)
        assert json.loads(json_object(values)) == values
    args = ("Bosch", "0 280-218.119", "Air mass meter", "MAF sensor", {"v": "12"})
    assert build_search_text(*args) == build_search_text(*args, number_norm="0280218119")


def test_worker_finds_the_package_from_another_directory(engine, tmp_path, monkeypatch) -> None:
    """The child is started as ``python -m parts.import_worker``: it must not depend on
    the caller's working directory or sys.path to find the package."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    path = Path(catalogue.write(tmp_path, "v.csv", catalogue.VEHICLES))
    assert import_csv(engine, "vehicles", path, parallel=True).rows_written == 3
