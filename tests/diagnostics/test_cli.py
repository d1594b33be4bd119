"""`novaevo diagnose` / `novaevo diagnostics` through Typer's runner (the real commands)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from diagnostics.cli import app as diagnostics_app
from diagnostics.cli import diagnose_command
from obdcore.errors import ExitCode

app = typer.Typer()
app.command("diagnose")(diagnose_command)
app.add_typer(diagnostics_app, name="diagnostics")
runner = CliRunner()

SNAPSHOT = {
    "schema_version": 1,
    "vehicle": {"fuel": "petrol", "engine_type": "petrol_port"},
    "mil_on": True,
    "ecus": [{"address": "7E8", "stored": ["P0128"]}],
}


def test_diagnose_a_saved_snapshot_in_french_and_json(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SNAPSHOT))
    text = runner.invoke(app, ["diagnose", "--snapshot", str(path), "--lang", "fr"])
    assert text.exit_code == 0, text.output
    assert "Cause la plus probable" in text.output and "main-d'œuvre" in text.output
    as_json = runner.invoke(app, ["diagnose", "--snapshot", str(path), "--json"])
    causes = [c["cause"] for c in json.loads(as_json.output)["causes"]]
    # P0128 alone: the two causes that set it lead (the order is the learned model's).
    assert set(causes[:2]) == {"thermostat_stuck_open", "coolant_sensor_fault"}


def test_verify_a_repair(tmp_path: Path) -> None:
    before, after, saved = tmp_path / "b.json", tmp_path / "a.json", tmp_path / "d.json"
    before.write_text(json.dumps(SNAPSHOT))
    after.write_text(json.dumps({**SNAPSHOT, "mil_on": False, "ecus": [{"address": "7E8"}]}))
    saved.write_text(runner.invoke(app, ["diagnose", "--snapshot", str(before), "--json"]).output)
    result = runner.invoke(app, ["diagnose", "--verify", str(saved), str(after), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] in ("confirmed", "inconclusive")
    back = runner.invoke(app, ["diagnose", "--verify", str(saved), str(before), "--json"])
    assert json.loads(back.output)["verdict"] == "not_confirmed"


def test_bad_inputs_exit_with_the_shared_codes_and_one_line(tmp_path: Path) -> None:
    wrong = tmp_path / "v2.json"
    wrong.write_text('{"schema_version": 2}')
    result = runner.invoke(app, ["diagnose", "--snapshot", str(wrong)])
    assert result.exit_code == ExitCode.INPUT_FILE and "schema_version" in result.output
    assert runner.invoke(app, ["diagnose"]).exit_code == ExitCode.USAGE  # nothing chosen
    missing = runner.invoke(app, ["diagnose", "--snapshot", str(tmp_path / "none.json")])
    assert missing.exit_code == ExitCode.INPUT_FILE and "cannot read" in missing.output
    lang = runner.invoke(app, ["diagnose", "--snapshot", str(wrong), "--lang", "de"])
    assert lang.exit_code == ExitCode.USAGE
    not_diag = runner.invoke(app, ["diagnose", "--verify", str(wrong), str(wrong)])
    assert not_diag.exit_code == ExitCode.INPUT_FILE
    assert "not a NovaEvo diagnosis" in not_diag.output


def test_train_refuses_an_empty_case_file(tmp_path: Path) -> None:
    empty = tmp_path / "cases.jsonl"
    empty.write_text("")
    result = runner.invoke(
        app, ["diagnostics", "train", "--cases", str(empty), "--out", str(tmp_path / "m.json.gz")]
    )
    assert result.exit_code == ExitCode.INPUT_FILE and "no labelled case" in result.output
    assert not (tmp_path / "m.json.gz").exists()


def test_train_needs_cases_or_a_count(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagnostics", "train", "--out", str(tmp_path / "m.json.gz")])
    assert result.exit_code == ExitCode.USAGE and "--generate N" in result.output
    seeds = runner.invoke(app, ["diagnostics", "train", "--generate", "5", "--first-seed", "-3"])
    assert seeds.exit_code == ExitCode.INPUT_FILE and "training seeds" in seeds.output


def test_eval_measures_only_the_split_asked_for(tmp_path: Path) -> None:
    """A file of training seeds is neither the held-out set nor the development split."""
    cases = tmp_path / "cases.jsonl"
    case = {"seed": 5, "profile": "small_petrol", "snapshot": SNAPSHOT, "truth": {"faults": []}}
    cases.write_text(json.dumps(case) + "\n")
    for flags, name in (([], "held-out"), (["--dev"], "development")):
        result = runner.invoke(
            app, ["diagnostics", "eval", "--heldout", str(cases), "--training", str(cases), *flags]
        )
        assert result.exit_code == ExitCode.INPUT_FILE, result.output
        assert f"no case has a {name} seed" in result.output
