"""The terminal views as a user meets them: ``novaevo`` run in a real pseudo-terminal
(pexpect) of 80 x 24 and of 50 columns, against the simulator, its output cut into the
frames the terminal showed. One process per view and width, each a few seconds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pexpect
import pytest
from rich.cells import cell_len

from obdcore.errors import ExitCode

SIM = ("--sim", "--sim-timing", "fast")
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def environment(tmp_path) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", NOVAEVO_DATA_DIR=str(tmp_path / "data"))
    for name in ("COLUMNS", "LINES", "NO_COLOR", "NOVAEVO_UNITS"):
        env.pop(name, None)  # the terminal's size is the pty's, as for a user
    return env


def spawn(tmp_path, columns: int, *args: str, rows: int = 24) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "novaevo", *args],
        env=environment(tmp_path),
        dimensions=(rows, columns),
        encoding="utf-8",
        timeout=60,
    )


def run(tmp_path, columns: int, *args: str, rows: int = 24) -> tuple[str, int]:
    """``novaevo ARGS`` in a pty ``columns`` wide: its raw output and exit status."""
    child = spawn(tmp_path, columns, *args, rows=rows)
    output = child.read()
    child.close()
    assert "Traceback" not in output, output
    return output, child.exitstatus


def screen_lines(raw: str) -> list[str]:
    """The lines printed, control sequences (colours, cursor moves) removed."""
    return [line for line in re.split(r"\r\n|\r|\n", _CONTROL.sub("", raw))]


def frames(raw: str, title: str) -> list[list[str]]:
    """Each drawing of a live view: the lines from one ``title`` line to the next."""
    found: list[list[str]] = []
    for line in screen_lines(raw):
        if line.strip() == title:
            found.append([])
        elif found:
            found[-1].append(line)
    return [frame for frame in found if len(frame) > 3]


def table_rows(frame: list[str], names: tuple[str, ...]) -> dict[str, str]:
    return {line.split()[0]: line for line in frame if line.split() and line.split()[0] in names}


DASHBOARD = ("RPM", "SPEED", "COOLANT_TEMP", "ENGINE_LOAD", "THROTTLE_POS", "INTAKE_TEMP")
DASHBOARD += ("MAF", "CONTROL_MODULE_VOLTAGE")


# ============================================================================ live


def check_live_frames(drawn: list[list[str]], columns: int) -> None:
    """What every width must hold: whole numbers, a table within the terminal whose width
    never changes, and a footer saying what arrives."""
    assert len(drawn) >= 4, drawn
    widths = set()
    for frame in drawn:
        assert all(cell_len(line) <= columns for line in frame), frame
        assert len(frame) <= 23, frame  # fits 24 rows with the title
        rule = next(line for line in frame if line.startswith("───"))
        widths.add(cell_len(rule))
        rows = table_rows(frame, DASHBOARD)
        assert set(rows) == set(DASHBOARD), frame  # no value name cut either
        for line in rows.values():
            assert "…" not in line, line  # a number is rounded, never cut
    assert len(widths) == 1, widths  # the table does not jump as sparklines fill
    receiving = [any(re.search(r"receiving \d+ values/s", line) for line in f) for f in drawn]
    assert True in receiving, drawn
    # once data flows, every drawing says so (not "connected", "retrying"...)
    assert all(receiving[receiving.index(True) :]), drawn


def test_live_at_80_by_24_with_an_alarm(tmp_path):
    raw, status = run(tmp_path, 80, "live", *SIM, "--duration", "2", "--alarm", "RPM>100")
    assert status == 0
    drawn = frames(raw, "Live data")
    check_live_frames(drawn, 80)
    header = next(line for line in drawn[-1] if line.startswith("value"))
    assert header.split() == ["value", "now", "unit", "min", "max", "recent", "Hz"]
    rpm = table_rows(drawn[-1], ("RPM",))["RPM"]
    assert re.search(r"RPM\s+\d{3,4}\s+rpm\s+\d{3,4}\s+\d{3,4}\s+[▁▂▃▄▅▆▇█]{4,}", rpm), rpm
    assert any("ALARM RPM>100" in line for line in drawn[-1])  # idle RPM is over 100
    assert raw.count("\x07") == 1  # the bell rang once, as the alarm started
    assert "\x1b[1;37;41mRPM" in raw  # the value highlighted


def test_live_at_50_columns_drops_the_sparkline_first(tmp_path):
    raw, status = run(tmp_path, 50, "live", *SIM, "--duration", "2")
    assert status == 0
    drawn = frames(raw, "Live data")
    check_live_frames(drawn, 50)
    header = next(line for line in drawn[-1] if line.startswith("value"))
    assert header.split() == ["value", "now", "unit", "Hz"]
    assert not any(block in raw for block in "▁▂▃▄▅▆▇█")
    speed = table_rows(drawn[-1], ("SPEED",))["SPEED"]
    assert re.search(r"SPEED\s+\d+\s+km/h", speed), speed


def start_simulator(tmp_path, transport: str) -> tuple[subprocess.Popen, str]:
    """``novaevo sim`` in its own process (so that it can be killed): it and its URL."""
    command = [sys.executable, "-m", "novaevo", "sim", "--transport", transport]
    command += ["--timing", "fast"] + (["--port", "0"] if transport == "tcp" else [])
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=environment(tmp_path)
    )
    url = process.stdout.readline().strip()
    assert url, "the simulator printed no URL"
    return process, url


def test_live_says_when_the_adapter_dies_and_exits_6(tmp_path):
    simulator, url = start_simulator(tmp_path, "tcp")
    child = spawn(tmp_path, 80, "live", "--device", url, "--pid", "RPM,SPEED")
    try:
        child.expect(r"RPM\s+\d{3,4}\s")  # values arrive
        killed = time.monotonic()
        simulator.kill()
        simulator.wait()
        child.expect("no data for|link lost", timeout=4)  # not a frozen "connected"
        noticed = time.monotonic() - killed
        rest = child.read()
        ended = time.monotonic() - killed
        child.close()
    finally:
        if simulator.poll() is None:
            simulator.kill()
        child.close(force=True)
    assert noticed < 4, noticed  # within a couple of seconds, not a minute
    assert ended < 15, ended  # the recovery budget, then the end
    assert child.exitstatus == ExitCode.LINK
    lines = screen_lines(rest)
    assert any("link lost" in line for line in lines), lines
    assert any(line.startswith("novaevo live: ") for line in lines), lines
    assert "Traceback" not in rest


# ============================================================================ freeze, mode06


def test_freeze_with_no_code_says_no_frame_is_stored(tmp_path):
    raw, status = run(tmp_path, 80, "freeze", *SIM)
    assert status == 0
    text = " ".join(screen_lines(raw))
    assert "No freeze frame stored" in text
    assert "P0000" not in text and "set by" not in text


def test_freeze_of_a_misfire_reads_plainly_at_80_columns(tmp_path):
    raw, status = run(tmp_path, 80, "freeze", *SIM, "--fault", "misfire:2@0.9")
    assert status == 0
    lines = screen_lines(raw)
    assert all(cell_len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "None" not in text and "{" not in text  # no Python reprs
    fuel = next(line for line in lines if "FUEL_STATUS" in line)
    assert "closed loop" in fuel or "open loop" in fuel
    status_line = next(line for line in lines if line.startswith("│ STATUS "))
    assert "MIL on" in status_line and "DTC" in status_line


@pytest.mark.parametrize("columns", [80, 50])
def test_mode06_of_a_cylinder_2_misfire(tmp_path, columns):
    raw, status = run(tmp_path, columns, "mode06", *SIM, "--fault", "misfire:2@0.9", rows=60)
    assert status == 0
    lines = [line for line in screen_lines(raw) if "Reading on-board" not in line]  # spinner
    assert all(cell_len(line) <= columns for line in lines)
    assert not any("…" in line for line in lines)  # nothing cut
    joined = "\n".join(lines)
    if columns == 80:  # a table: each monitor name whole on its line
        for name in ("MISFIRE CYLINDER 2", "O2 HEATER B1S1", "MISFIRE GENERAL"):
            assert any(name in line for line in lines), name
        cylinder_2 = lines.index(next(line for line in lines if "MISFIRE CYLINDER 2" in line))
        count = lines[cylinder_2 + 1]
        assert "MISFIRE COUNT" in count and count.rstrip().endswith("FAIL"), count
        switch = next(line for line in lines if "RTL SWITCH TIME" in line)
        assert "65.535 s" in switch and switch.rstrip().endswith("no result"), switch
    else:  # a list: a heading per monitor, a line per test
        start = lines.index("MISFIRE CYLINDER 2")
        count = next(line for line in lines[start:] if "MISFIRE COUNT" in line)
        assert count.split()[0] == "FAIL", count
        switch = next(line for line in lines if "RTL SWITCH TIME" in line)
        assert switch.split()[:2] == ["no", "result"], switch
    assert "pass" in joined


# ============================================================================ trip


def test_trip_at_50_columns(tmp_path):
    raw, status = run(tmp_path, 50, "trip", *SIM, "--duration", "2")
    assert status == 0
    drawn = frames(raw, "Trip")
    assert drawn, raw
    last = drawn[-1]
    assert all(cell_len(line) <= 50 for frame in drawn for line in frame)
    text = "\n".join(last)
    for label in ("trip time", "distance", "average speed", "fuel rate now", "economy now"):
        assert label in text
    assert re.search(r"distance\s+│\s+0\.\d\d km", text), text
    assert re.search(r"economy now\s+│\s+\d+\.\d L/100 km", text), text
    assert "…" not in text
