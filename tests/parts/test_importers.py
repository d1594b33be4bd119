"""CSV importers: idempotent upserts, rejected rows with reasons, all-or-nothing failures."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select, text

from parts.errors import ImportFailedError, ImportFormatError
from parts.importers import import_csv
from parts.models import Offer, Part, VehicleType
from tests.parts import catalogue
from tests.parts.conftest import rejection_reasons, snapshot


def test_tiny_catalogue_imports_and_reimport_is_idempotent(tiny, tmp_path) -> None:
    before = snapshot(tiny)
    assert len(before["parts_part"]) == 9 and len(before["parts_fitment"]) == 6
    assert len(before["parts_engine_fitment"]) == 1 and len(before["parts_offer"]) == 7
    catalogue.load(tiny, tmp_path)
    after = snapshot(tiny)
    for table in before:
        if table != "parts_offer":  # updated_at is a server timestamp
            assert after[table] == before[table], table
    assert len(after["parts_offer"]) == 7


def test_upsert_updates_price_and_stock(tiny, tmp_path, session) -> None:
    path = catalogue.write(
        tmp_path,
        "o.csv",
        "supplier,brand,article_number,price,currency,stock\nS1,ALPHA,th 100,17.5,EUR,0\n",
    )
    report = import_csv(tiny, "offers", path)
    assert (report.rows_read, report.rows_written, report.rejected_count) == (1, 1, 0)
    offer = session.scalars(
        select(Offer).join(Part, Part.id == Offer.part_id).where(Part.brand_norm == "ALPHA")
    ).one()
    assert (offer.price_minor, offer.stock) == (1750, 0)


def test_bad_rows_are_rejected_with_line_and_reason(tiny, tmp_path) -> None:
    content = (
        "supplier,brand,article_number,price,currency,stock,delivery_days\n"
        "S1,ALPHA,TH-100,12.3.4,EUR,1,1\n"  # 2 price format
        "S1,ALPHA,TH-100,abc,EUR,1,1\n"  # 3 price format
        "S1,ALPHA,TH-100,12.00,EURO,1,1\n"  # 4 currency
        "S1,ALPHA,TH-100,12.00,EUR,-1,1\n"  # 5 negative stock
        "S1,ALPHA,TH-100,12.00,EUR,1\n"  # 6 too few fields
        "S1,NOBODY,X1,12.00,EUR,1,1\n"  # 7 unknown article
        "S1,ALPHA,TH-100,12.00,EUR,1,1\n"  # 8 good
        "S1,ALPHA,T.H 100,13.00,EUR,1,1\n"  # 9 duplicate of 8 (other spelling)
        ",ALPHA,TH-100,12.00,EUR,1,1\n"  # 10 empty supplier
        "S1,ALPHA,TH-100,12.00,EUR,1,1,extra\n"  # 11 too many fields
    )
    report = import_csv(tiny, "offers", catalogue.write(tmp_path, "bad.csv", content))
    reasons = rejection_reasons(report)
    assert report.committed and report.rows_read == 10 and report.rows_written == 1
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 9, 10, 11]
    assert "price '12.3.4'" in reasons[2] and "price 'abc'" in reasons[3]
    assert "currency" in reasons[4] and "stock" in reasons[5]
    assert "expected 7 fields, got 6" in reasons[6] and "got 8" in reasons[11]
    assert "unknown article NOBODY X1" in reasons[7]
    assert "duplicate key" in reasons[9] and "line 8" in reasons[9]
    assert "supplier is empty" in reasons[10]


def test_wrong_encoding_rejects_the_row_and_the_right_one_works(engine, tmp_path, session) -> None:
    latin1 = ("ktype;make;model;year_from\n1;Citroën;C4;2010\n2;Renault;Clio;2010\n").encode(
        "latin-1"
    )
    path = catalogue.write(tmp_path, "v.csv", latin1)
    report = import_csv(engine, "vehicles", path)
    assert rejection_reasons(report).keys() == {2} and "encoding" in report.rejected[0].reason
    assert report.rows_written == 1
    report = import_csv(engine, "vehicles", path, encoding="latin-1")
    assert report.rejected_count == 0
    assert session.scalar(select(VehicleType.make).where(VehicleType.ktype == 1)) == "Citroën"


def test_bom_semicolons_quotes_and_nul(engine, tmp_path) -> None:
    content = (
        "\ufeffbrand;article_number;part_type;name\n"
        'ALPHA;"A;1";thermostat;"multi\nline name"\n'
        "ALPHA;A\x002;thermostat;nul\n"
        'ALPHA;"A3;thermostat;unclosed quote\n'
    ).encode("utf-8")
    report = import_csv(engine, "articles", catalogue.write(tmp_path, "a.csv", content))
    assert report.rows_written == 1
    assert report.rejected_count >= 1
    assert all(r.reason for r in report.rejected)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT article_number, name FROM parts_part")).all()
    assert names == [("A;1", "multi\nline name")]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        (b"brand,article_number\nA,1\n", r"lacks column\(s\) part_type"),
        (b"brand,brand,article_number,part_type\n", "twice"),
        (b"\xff\xfe\x00b\x00r\x00a\x00n\x00d\n", "header"),
    ],
)
def test_unreadable_files_fail_before_writing(engine, tmp_path, content, message) -> None:
    with pytest.raises(ImportFormatError, match=message):
        import_csv(engine, "articles", catalogue.write(tmp_path, "x.csv", content))


def test_unknown_kind_and_encoding(engine) -> None:
    with pytest.raises(ImportFormatError, match="unknown import kind"):
        import_csv(engine, "spaceships", io.BytesIO(b"a\n"))
    with pytest.raises(ImportFormatError, match="unknown encoding"):
        import_csv(engine, "articles", io.BytesIO(b"a\n"), encoding="klingon")


def _articles(n: int, bad_at: int | None = None) -> str:
    rows = ["brand,article_number,part_type,name"]
    for i in range(n):
        kind = "unicorn" if i == bad_at else "thermostat"
        rows.append(f"NEW,N-{i},{kind},new {i}")
    return "\n".join(rows) + "\n"


def test_strict_import_failing_half_way_leaves_catalogue_unchanged(tiny, tmp_path) -> None:
    before = snapshot(tiny)
    path = catalogue.write(tmp_path, "a.csv", _articles(50, bad_at=37))
    with pytest.raises(ImportFailedError, match="line 39") as failure:
        import_csv(tiny, "articles", path, strict=True, batch_size=5)
    assert failure.value.report.rejected[0].line == 39
    assert snapshot(tiny) == before


def test_too_many_rejects_rolls_back(tiny, tmp_path) -> None:
    before = snapshot(tiny)
    content = (
        "supplier,brand,article_number,price,currency\n"
        + "S9,ALPHA,TH-100,1.00,EUR\n"
        + "".join(f"S9,NOBODY,{i},1.00,EUR\n" for i in range(20))
    )
    with pytest.raises(ImportFailedError, match="more than 5 rejected"):
        import_csv(
            tiny, "offers", catalogue.write(tmp_path, "o.csv", content), max_rejects=5, batch_size=3
        )
    assert snapshot(tiny) == before


def test_crash_half_way_leaves_catalogue_unchanged(tiny, tmp_path) -> None:
    """A failure after several batches were written (here: the reader dies) rolls back."""
    before = snapshot(tiny)
    path = catalogue.write(tmp_path, "a.csv", _articles(400))
    size = path.stat().st_size

    def explode(done: int) -> None:
        if done > size * 0.8:
            raise OSError("disk went away")

    with pytest.raises(ImportFailedError, match="rolled back: OSError: disk went away"):
        import_csv(tiny, "articles", path, batch_size=20, progress=explode)
    assert snapshot(tiny) == before


def test_database_error_half_way_rolls_back(tiny, tmp_path) -> None:
    """A constraint the parser cannot see (an over-long value for PostgreSQL, a dropped
    part type) fails in the database after earlier batches were written."""
    before = snapshot(tiny)
    with tiny.begin() as conn:
        conn.execute(text("INSERT INTO parts_part_type (code, label) VALUES ('retired', 'x')"))
    with tiny.begin() as conn:
        snap_types = conn.execute(text("SELECT count(*) FROM parts_part_type")).scalar_one()
    # Rows of a vocabulary type that the database no longer has: FK violation in batch 3.
    from parts import vocabulary

    vocabulary.PART_TYPES["ghost_type"] = "Ghost"
    try:
        content = _articles(10) + "NEW,G-1,ghost_type,ghost\n"
        with pytest.raises(ImportFailedError, match="rolled back"):
            import_csv(tiny, "articles", catalogue.write(tmp_path, "g.csv", content), batch_size=4)
    finally:
        del vocabulary.PART_TYPES["ghost_type"]
    with tiny.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM parts_part_type")).scalar_one() == snap_types
        conn.execute(text("DELETE FROM parts_part_type WHERE code = 'retired'"))
    assert snapshot(tiny) == before


def test_fitment_rows_need_a_vehicle_and_known_references(tiny, tmp_path) -> None:
    content = (
        "brand,article_number,ktype,cnit,engine_code,year_from,year_to\n"
        "ALPHA,TH-100,,,,,\n"  # 2 no vehicle
        "ALPHA,TH-100,99999,,,,\n"  # 3 unknown ktype
        "ALPHA,TH-100,abc,,,,\n"  # 4 ktype not a number
        "ALPHA,TH-100,1001,,,2010,2005\n"  # 5 years reversed
        "ALPHA,TH-100,,NOPE,,,\n"  # 6 unknown CNIT
        "ALPHA,TH-100,1002,,,2012,2014\n"
    )  # 7 good
    report = import_csv(tiny, "fitments", catalogue.write(tmp_path, "f.csv", content))
    reasons = rejection_reasons(report)
    assert sorted(reasons) == [2, 3, 4, 5, 6] and report.rows_written == 1
    assert "no vehicle" in reasons[2] and "unknown vehicle ktype 99999" in reasons[3]
    assert "before year_from" in reasons[5] and "cnit NOPE" in reasons[6]
