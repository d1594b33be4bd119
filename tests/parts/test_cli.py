"""``novaevo parts ...`` commands, on both databases, through Typer's test runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import parts_engine
from parts.cli import app, use_engine
from tests.parts import catalogue

runner = CliRunner()
# What the `novaevo` composition root does: lend the product's engine and migrations.
use_engine(parts_engine)


@pytest.fixture
def tiny_url(engine, db_url, tmp_path) -> str:
    catalogue.load(engine, tmp_path)
    return db_url


def _run(url: str, *args: str):
    return runner.invoke(app, [*args, "--database-url", url])


def test_import_lists_rejected_rows_and_exits_2(tiny_url, tmp_path) -> None:
    path = catalogue.write(
        tmp_path,
        "o.csv",
        "supplier,brand,article_number,price,currency\n"
        "S1,ALPHA,TH-100,12.00,EUR\nS1,ALPHA,TH-100,1.2.3,EUR\n",
    )
    result = _run(tiny_url, "import", "offers", str(path))
    assert result.exit_code == 2, result.output
    assert "line 3: price '1.2.3'" in result.output
    assert "1 written, 1 rejected" in result.output


def test_import_that_cannot_start_exits_1_without_traceback(tiny_url, tmp_path) -> None:
    path = catalogue.write(tmp_path, "o.csv", "supplier,brand\nS1,ALPHA\n")
    result = _run(tiny_url, "import", "offers", str(path))
    assert result.exit_code == 1
    assert "lacks column(s)" in result.output and "Traceback" not in result.output


def test_clean_import_exits_0(engine, db_url, tmp_path) -> None:
    path = catalogue.write(tmp_path, "v.csv", catalogue.VEHICLES)
    result = _run(db_url, "import", "vehicles", str(path))
    assert result.exit_code == 0, result.output
    assert "3 rows read, 3 written, 0 rejected" in result.output


def test_search_json_and_errors(tiny_url) -> None:
    result = _run(tiny_url, "search", "--number", "8200-561-434", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert sorted(h["brand"] for h in payload["result"]["items"]) == ["ALPHA", "BRAVO"]
    too_long = _run(tiny_url, "search", "--text", "x" * 1_000_000)
    assert too_long.exit_code == 1 and "limited to 200 characters" in too_long.output
    nothing = _run(tiny_url, "search")
    assert nothing.exit_code == 1 and "give --vehicle" in nothing.output


def test_identify_then_search_for_a_diagnosis(tiny_url) -> None:
    found = _run(
        tiny_url, "identify", "--cnit", "M10RENVP000E123", "--remember", "AB-123-CD", "--json"
    )
    assert found.exit_code == 0, found.output
    vehicle_id = json.loads(found.output)[0]["vehicle"]["id"]
    by_plate = _run(tiny_url, "identify", "--plate", "ab123cd", "--json")
    assert json.loads(by_plate.output)[0]["vehicle"]["id"] == vehicle_id
    result = _run(
        tiny_url,
        "search",
        "--vehicle",
        str(vehicle_id),
        "--cause",
        "thermostat_stuck_open=0.9",
        "--cause",
        "misfire:2=0.3",
        "--json",
    )
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)["result"][0]
    assert first["part_type"] == "thermostat" and first["parts"][0]["article_number"] == "TH 200"
    bad_vin = _run(tiny_url, "identify", "--vin", "NOT-A-VIN")
    assert bad_vin.exit_code == 1 and "not a VIN" in bad_vin.output


def test_demo_catalogue_command_is_labelled(engine, db_url) -> None:
    result = _run(db_url, "demo-catalogue", "--vehicles", "10", "--parts", "300")
    assert result.exit_code == 0, result.output
    assert "NOT real fitment data" in result.output
    search = _run(db_url, "search", "--text", "thermostat")
    assert "DEMO catalogue" in search.output


def test_parts_commands_are_mounted_on_novaevo() -> None:
    from novaevo.cli import app as root

    result = runner.invoke(root, ["parts", "--help"])
    assert result.exit_code == 0
    for command in ("import", "demo-catalogue", "identify", "search"):
        assert command in result.output


def test_optimize_command_keeps_results(tiny_url, engine, session) -> None:
    from parts.search import search_by_number

    before = [h.part_id for h in search_by_number(session, "8200561434").items]
    result = _run(tiny_url, "optimize")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert [h.part_id for h in search_by_number(session, "8200561434").items] == before


def test_read_only_commands_never_migrate(tmp_path) -> None:
    """On a database never migrated, search/identify refuse with a clear message and
    leave it untouched; a writing command migrates it."""
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for args in (("search", "--text", "filter"), ("identify", "--vin", "VF1BR0E0F12345678")):
        result = _run(url, *args)
        assert result.exit_code == 1
        assert "novaevo db upgrade" in result.output
    assert inspect(create_engine(url)).get_table_names() == []
    path = catalogue.write(tmp_path, "v.csv", "ktype,make,model,year_from\n1,RENAULT,Clio,2012\n")
    assert _run(url, "import", "vehicles", str(path)).exit_code == 0
    assert _run(url, "search", "--text", "filter").exit_code == 0
