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
    assert [c["code"] for c in by_name["DTC_STORED"][0]["value"]] == ["P0171", "P0300"]
    assert by_name["DTC_STORED"][0]["value"][0]["description"].startswith("System Too Lean")
    # Supported PIDs in hex, as `novaevo pids` writes them.
    assert by_name["PIDS_A"][0]["value"][:8] == ["01", "03", "04", "05", "06", "07", "0B", "0C"]
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
    assert result.exit_code == ExitCode.INPUT_FILE
    assert "no ELM327 exchange" in result.output and "binary garbage" in result.output


def test_replay_of_a_directory_is_an_input_file_error(tmp_path):
    result = runner.invoke(app, ["replay", str(tmp_path)])
    assert result.exit_code == ExitCode.INPUT_FILE and "directory" in result.output


def test_replay_of_a_text_file_without_exchanges(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: oil, filter\n")
    result = runner.invoke(app, ["replay", str(path)])
    assert result.exit_code == ExitCode.INPUT_FILE and "no ELM327 exchange" in result.output


def test_a_transcript_over_64_mb_is_read_not_refused(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: 65 MB of NULs (what a clone prints) read back
        handle.write(b">010D\r7E8 03 41 0D 32\r\r")
        handle.truncate(65 * 1024 * 1024)
    result = runner.invoke(app, ["replay", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["value"] == 50.0


def test_garbage_lines_are_skipped_and_reported_with_their_line_numbers(tmp_path):
    path = tmp_path / "session.txt"
    path.write_bytes(b">ATH1\r\nOK\r\n\r\n>010D\r\n\x80\xffjunk\r\n7E8 03 41 0D 32\r\n\r\n>")
    result = runner.invoke(app, ["replay", "--json", str(path)])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["name"], r["value"]) for r in rows] == [("SPEED", 50.0)]
    assert "skipped 1 line(s) of binary garbage (line 5)" in result.stderr


def test_a_transcript_mostly_garbage_still_replays_what_it_can(tmp_path):
    path = tmp_path / "noisy.txt"
    noise = bytes(range(128, 256))
    exchange = b">010D\r7E8 03 41 0D 32\r\r"
    path.write_bytes(b"".join(noise + b"\r" + exchange for _ in range(300)) + b">")
    result = runner.invoke(app, ["replay", "--json", str(path)])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 300
    assert "skipped 300 line(s)" in result.stderr and "line 1, 5, 9," in result.stderr


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
