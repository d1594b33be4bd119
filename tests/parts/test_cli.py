"""``novaevo parts ...`` commands, on both databases, through Typer's test runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import parts_engine
from obdcore.errors import ExitCode
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


def test_import_lists_rejected_rows_and_exits_partial(tiny_url, tmp_path) -> None:
    path = catalogue.write(
        tmp_path,
        "o.csv",
        "supplier,brand,article_number,price,currency\n"
        "S1,ALPHA,TH-100,12.00,EUR\nS1,ALPHA,TH-100,1.2.3,EUR\n",
    )
    result = _run(tiny_url, "import", "offers", str(path))
    assert result.exit_code == ExitCode.PARTIAL == 8, result.output
    assert "line 3: price '1.2.3'" in result.output
    assert "1 written, 1 rejected" in result.output


def test_import_that_cannot_start_is_an_input_file_error(tiny_url, tmp_path) -> None:
    path = catalogue.write(tmp_path, "o.csv", "supplier,brand\nS1,ALPHA\n")
    result = _run(tiny_url, "import", "offers", str(path))
    assert result.exit_code == ExitCode.INPUT_FILE
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
    assert too_long.exit_code == ExitCode.USAGE and "limited to 200 characters" in too_long.output
    nothing = _run(tiny_url, "search")
    assert nothing.exit_code == ExitCode.USAGE and "give --vehicle" in nothing.output


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
    assert bad_vin.exit_code == ExitCode.USAGE and "not a VIN" in bad_vin.output


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
        assert result.exit_code == ExitCode.DATABASE
        assert "novaevo db upgrade" in result.output
    assert inspect(create_engine(url)).get_table_names() == []
    path = catalogue.write(tmp_path, "v.csv", "ktype,make,model,year_from\n1,RENAULT,Clio,2012\n")
    assert _run(url, "import", "vehicles", str(path)).exit_code == 0
    assert _run(url, "search", "--text", "filter").exit_code == 0


# ---------------------------------------------------------------- the shared exit codes


def _one_line_failure(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert "\n" not in message and message.startswith("novaevo parts "), message
    return message


def test_a_missing_import_file_is_an_input_file_error_not_usage(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    result = _run(url, "import", "vehicles", str(tmp_path / "missing.csv"))
    assert "does not exist" in _one_line_failure(result, ExitCode.INPUT_FILE)


def test_a_huge_page_is_a_usage_error_not_a_traceback(tiny_url) -> None:
    result = _run(tiny_url, "search", "--text", "filter", "--page", "9" * 21)
    assert result.exit_code == ExitCode.USAGE and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("url", "expected"),
    [("garbage", "not a database URL"), ("sqlite:////no/such/folder/c.sqlite3", "cannot open")],
)
def test_an_unusable_database_url_is_the_database_code(url, expected) -> None:
    message = _one_line_failure(_run(url, "search", "--text", "x"), ExitCode.DATABASE)
    assert expected in message and "--database-url" in message


def test_an_unwritable_data_directory_is_the_database_code(tmp_path, monkeypatch) -> None:
    # A data directory below a plain file cannot be created, even by root (chmod can't).
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(blocker / "data"))
    monkeypatch.delenv("NOVAEVO_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["search", "--text", "x"])
    assert "data directory" in _one_line_failure(result, ExitCode.DATABASE)


def test_parts_help_lists_optimize_and_every_command_the_exit_codes() -> None:
    assert "optimize" in runner.invoke(app, ["--help"]).stdout
    for command in ("import", "demo-catalogue", "identify", "search", "optimize"):
        assert "Exit codes" in runner.invoke(app, [command, "--help"]).stdout, command
