"""The garages commands, run through Typer against a fresh SQLite database."""

from __future__ import annotations

from typer.testing import CliRunner

from api.garages.cli import garages_app
from obdcore.errors import ExitCode


def test_import_reports_rejected_lines_and_demo_loads(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NOVAEVO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    csv = tmp_path / "garages.csv"
    csv.write_text(
        "ref,name,address,postcode,city,latitude,longitude,bays,hours,services,labour_rate\n"
        'C1,[TEST] One,1 rue,75011,Paris,48.86,2.38,2,"mon-fri 08:00-18:00",diagnosis,65\n'
        'C2,[TEST] Two,1 rue,75011,Paris,48.86,2.38,2,"mon-fri 08:00-18:00",nothing,65\n'
    )
    runner = CliRunner()
    r = runner.invoke(garages_app, ["import", str(csv)])
    assert r.exit_code == ExitCode.PARTIAL and "created 1" in r.output
    assert "line 3: unknown service" in r.output
    r = runner.invoke(garages_app, ["import", str(csv), "--strict"])
    assert r.exit_code == ExitCode.INPUT_FILE and "nothing was imported" in r.output
    r = runner.invoke(garages_app, ["demo"])
    assert r.exit_code == 0 and "NOT a real directory" in r.output and "rejected 0" in r.output


def test_an_empty_directory_gets_the_demo_one_once(tmp_path) -> None:
    from api.database import make_engine, upgrade
    from api.garages.service import ensure_demo_directory

    engine = make_engine(f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    upgrade(engine)
    first = ensure_demo_directory(engine)
    assert first is not None and first.created >= 500 and not first.rejected
    assert ensure_demo_directory(engine) is None  # a directory with garages is left alone


def test_an_unknown_garage_or_user_is_one_usage_error_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NOVAEVO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()
    invite = runner.invoke(garages_app, ["invite", "NOPE"])
    assert invite.exit_code == ExitCode.USAGE
    assert invite.output.strip().startswith("novaevo garages invite: no garage 'NOPE';")
    link = runner.invoke(garages_app, ["link-account", "nobody@example.fr", "NOPE"])
    assert link.exit_code == ExitCode.USAGE
    assert "novaevo garages link-account: no user 'nobody@example.fr'" in link.output
    assert "Traceback" not in invite.output + link.output
