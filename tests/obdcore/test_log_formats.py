"""``novaevo log``'s files: the wide CSV spreadsheets open (the default), the long CSV
and JSON lines on request, values rounded to their PID's resolution."""

import csv
import json
from datetime import datetime

from typer.testing import CliRunner

from novaevo.cli import app
from obdcore.io.client import Sample
from obdcore.io.logfile import SampleLog

runner = CliRunner()
SIM = ("--sim", "--sim-timing", "fast")


def _log(*args):
    result = runner.invoke(app, ["log", *SIM, *args])
    assert result.exit_code == 0, result.output
    return result


def _data_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(line for line in handle if not line.startswith("#")))


def test_the_default_csv_is_wide_one_row_per_answer_with_wall_clock_times(tmp_path):
    path = tmp_path / "drive.csv"
    _log("-o", str(path), "--pid", "RPM,SPEED,THROTTLE_POS", "--duration", "1.5")
    header, *rows = _data_rows(path)
    assert header == ["time", "elapsed_s", "ecu", "RPM (rpm)", "SPEED (km/h)", "THROTTLE_POS (%)"]
    assert len(rows) >= 5
    times = [datetime.fromisoformat(row[0]) for row in rows]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    elapsed = [float(row[1]) for row in rows]
    assert elapsed == sorted(elapsed)
    assert {row[2] for row in rows} == {"7E8"}
    first = rows[0]
    assert all(cell != "" for cell in first[3:])  # the first answer carries every value
    throttle = [row[5] for row in rows if row[5]]
    assert all(len(cell.partition(".")[2]) <= 1 for cell in throttle)  # a 0.39 % step


def test_the_long_format_on_request(tmp_path):
    path = tmp_path / "drive.csv"
    _log("-o", str(path), "--format", "long", "--pid", "RPM", "--duration", "1")
    header, *rows = _data_rows(path)
    assert header == ["time_s", "ecu", "name", "value", "unit"]
    assert rows and {row[2] for row in rows} == {"RPM"}


def test_jsonl_lines_are_readings_as_every_command_writes_them(tmp_path):
    path = tmp_path / "drive.jsonl"
    _log("-o", str(path), "--pid", "MAF", "--duration", "1")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    samples = [line for line in lines if "name" in line]
    assert samples and set(samples[0]) == {"time_s", "time", "name", "value", "unit", "ecu"}
    assert all(round(s["value"], 2) == s["value"] for s in samples)


def test_wide_rows_split_by_answer_and_flush_on_close(tmp_path):
    path = tmp_path / "unit.csv"
    clock = iter([0.0]).__next__
    log = SampleLog(
        path, "csv", clock=clock, columns=[("RPM", "rpm"), ("MAF", "g/s")], wall_clock=lambda: 0
    )
    log.write(Sample(1.0, "RPM", 800.0, "rpm", 0x7E8))
    log.write(Sample(1.0, "MAF", 15.610000000000001, "g/s", 0x7E8))
    log.write(Sample(1.5, "RPM", 812.25, "rpm", 0x7E8))
    log.write(Sample(1.5, "RPM", 790.0, "rpm", 0x7E9))  # another ECU: its own row
    assert len(_data_rows(path)) == 3  # header + two rows ended; the 7E9 one is pending
    log.close()
    header, *rows = _data_rows(path)
    assert [row[1:] for row in rows] == [
        ["1.0", "7E8", "800.0", "15.61"],
        ["1.5", "7E8", "812.25", ""],
        ["1.5", "7E9", "790.0", ""],
    ]


def test_the_wide_header_says_the_units_chosen(tmp_path):
    path = tmp_path / "drive.csv"
    _log("-o", str(path), "--pid", "SPEED,COOLANT_TEMP", "--units", "imperial", "--duration", "1")
    header, *rows = _data_rows(path)
    assert header[3:] == ["SPEED (mph)", "COOLANT_TEMP (°F)"]
    assert rows and 100 < float(rows[0][4]) < 250  # a warm engine, in °F
