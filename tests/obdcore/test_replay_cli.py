"""``novaevo replay``: the main job for now, and the replay module behind it."""

import json

from typer.testing import CliRunner

from novaevo.cli import app
from obdcore.errors import ExitCode
from obdcore.protocol.replay import AdapterSettings, read_transcript, replay, sample_transcript

runner = CliRunner()


def test_replay_of_the_bundled_sample_prints_readings():
    result = runner.invoke(app, ["replay"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "VF1RFB00X67654321" in result.output
    assert "P0171 (System Too Lean)" in result.output


def test_replay_json_follows_adapter_settings():
    result = runner.invoke(app, ["replay", "--json"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    by_name = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)
    assert [r["ecu"] for r in by_name["PIDS_A"]] == ["7E8", "7E9"]
    assert by_name["RPM"][0]["value"] == 800.0 and by_name["RPM"][0]["unit"] == "rpm"
    assert by_name["RPM"][1]["frame"] == 0  # the Mode 02 freeze frame
    assert by_name["DTC_STORED"][0]["value"] == ["P0171", "P0300"]
    # After ATH0 the ECU is unknown and the VIN comes in the headers-off format.
    assert [r["ecu"] for r in by_name["VIN"]] == ["7E8", "?"]
    assert {r["value"] for r in by_name["VIN"]} == {"VF1RFB00X67654321"}
    assert by_name["NO_DATA"][0]["request"] == "015C"


def test_replay_of_a_missing_file_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["replay", str(tmp_path / "nope.txt")])
    assert result.exit_code == ExitCode.INPUT_FILE
    assert "cannot read" in result.output


def test_replay_of_a_file_that_is_not_a_transcript(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == ExitCode.INPUT_FILE and "binary data" in result.output


def test_replay_of_a_text_file_without_exchanges(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: oil, filter\n")
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == ExitCode.INPUT_FILE and "no ELM327 exchange" in result.output


def test_oversized_transcript_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: no 65 MB written to disk
        handle.truncate(65 * 1024 * 1024)
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == ExitCode.INPUT_FILE and "larger than" in result.output


def test_transcript_with_garbage_answers_still_replays(tmp_path):
    path = tmp_path / "session.txt"
    path.write_bytes(b">ATH1\rOK\r\r>010D\r\x80\xffjunk\r7E8 03 41 0D 32\r\r>")
    result = runner.invoke(app, ["replay", "--json", str(path)])
    assert result.exit_code == 0
    names = [json.loads(line)["name"] for line in result.output.splitlines()]
    assert names == ["SPEED", "UNPARSEABLE"]


def test_settings_follow_protocol_commands():
    settings = AdapterSettings()
    settings.apply("ATSP0", "OK")
    assert settings.protocol is None
    settings.apply("ATDPN", "A7")
    assert settings.protocol == "7"
    settings.apply("ATSP3", "OK")
    settings.apply("ATH1", "OK")
    settings.apply("ATCAF0", "OK")
    assert (settings.protocol, settings.headers, settings.caf) == ("3", True, False)
    settings.apply("ATZ", "ELM327 v1.5")
    assert (settings.headers, settings.caf) == (False, True)


def test_sample_exchanges_decode_without_surprises():
    results = list(replay(read_transcript(sample_transcript())))
    responses = [r for _, r in results if r is not None]
    kinds = {n.kind for r in responses for n in r.notices}
    assert kinds == {"SEARCHING", "NO_DATA"}


def test_pid_docs_are_generated_from_the_table():
    from pathlib import Path

    result = runner.invoke(app, ["pids", "--markdown"])
    assert result.exit_code == 0
    committed = Path(__file__).resolve().parents[2] / "docs" / "PIDS.md"
    assert committed.read_text(encoding="utf-8") == result.output, (
        "docs/PIDS.md is stale: run `novaevo pids --markdown > docs/PIDS.md`"
    )
    assert "| 01 | 0C | RPM | 2 | `(256*A+B)/4` | rpm |" in result.output
