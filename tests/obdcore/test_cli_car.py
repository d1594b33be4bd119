"""The car commands of ``novaevo`` (scan, info, live, dtc, freeze, readiness, mode06, log)
driven through Typer's CliRunner against the simulator (fast timing), plus one real
process for Ctrl-C. Every call has a deadline, so a hanging command fails its test."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from serial.tools.list_ports_common import ListPortInfo
from typer.testing import CliRunner

from firmware_sim import Simulator
from novaevo.cli import app
from obdcore.cli.connect import (
    EXIT_DEVICE_NOT_FOUND,
    EXIT_LINK,
    EXIT_NO_VEHICLE,
    EXIT_NOT_AN_ADAPTER,
    EXIT_USAGE,
    link_failure,
)
from obdcore.errors import AdapterTimeout, DeviceNotFound, LinkError, LinkLost
from obdcore.io.logfile import read_csv_log

VIN = "VF1RJA00068123456"
SIM = ("--sim", "--sim-timing", "fast")
MISFIRE = (*SIM, "--fault", "misfire:2@0.9")
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    """The adapter memory goes to a temporary directory, never the user's; wide tables."""
    path = tmp_path / "data"
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    return path


def invoke(*args: str, input: str | None = None, timeout: float = 60.0):
    """Runs ``novaevo ARGS`` in-process; fails instead of hanging after ``timeout`` s."""
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault("result", runner.invoke(app, list(args), input=input)),
        daemon=True,
    )
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"novaevo {' '.join(args)} still running after {timeout} s"
    result = outcome["result"]
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def ok(*args: str, **options):
    result = invoke(*args, **options)
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str, **options) -> dict:
    return json.loads(ok(*args, "--json", **options).stdout)


def closed_port() -> int:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


# ============================================================================ info


def test_info_shows_adapter_protocol_ecus_vin_and_voltage(data_dir):
    output = ok("info", *SIM).stdout
    for text in ("ELM327 v2.2", "ISO 15765-4 CAN", "engine (7E8)", "transmission (7E9)", VIN, " V"):
        assert text in output
    document = as_json("info", *SIM)
    assert document["vin"] == VIN
    assert [ecu["id"] for ecu in document["ecus"]] == ["7E8", "7E9"]
    assert document["protocol"] == "6" and document["adapter"]["clone"] is False
    assert 11 < document["voltage"] < 15 and document["latency_ms"] is not None
    assert not data_dir.exists()  # a simulator is new each time: nothing to remember


def test_info_unmasks_a_clone():
    document = as_json("info", *SIM, "--sim-adapter", "clone")
    assert document["adapter"]["clone"] is True
    assert "AT@1" in document["adapter"]["missing_commands"]
    assert "lacks AT@1" in ok("info", *SIM, "--sim-adapter", "clone").stdout


def test_a_serial_device_over_a_pty_and_the_adapter_memory(data_dir):
    with Simulator(transport="pty", start_s=300) as sim:
        document = as_json("info", "--device", sim.url)
    assert document["vin"] == VIN and document["device"] == sim.url
    remembered = json.loads((data_dir / "adapters.json").read_text())
    assert remembered[sim.url]["protocol"] == "6"


# ============================================================================ finding the adapter


def port(device: str, vid: int | None = None, description: str = "n/a") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.description = vid, description
    return info


def test_without_device_the_only_adapter_like_port_is_used(monkeypatch):
    with Simulator(transport="pty", start_s=300) as sim:
        monkeypatch.setattr(
            "serial.tools.list_ports.comports",
            lambda: [port("/dev/ttyS0"), port(sim.url, 0x0403, "FT232R USB UART")],
        )
        result = ok("info", "--json")
    assert json.loads(result.stdout)["vin"] == VIN
    assert f"Using {sim.url} (FTDI" in result.stderr


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ([port("/dev/ttyS0")], "no serial port looks like an OBD adapter"),
        (
            [port("/dev/ttyUSB0", 0x1A86), port("/dev/rfcomm0")],
            "several ports look like adapters: /dev/rfcomm0 (Bluetooth serial), "
            "/dev/ttyUSB0 (CH340)",
        ),
    ],
)
def test_without_device_none_or_several_candidates_is_exit_2(monkeypatch, ports, expected):
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: ports)
    result = invoke("dtc")
    assert result.exit_code == EXIT_USAGE
    assert expected in result.stderr and "--device" in result.stderr


# ============================================================================ scan


def fake_ble(monkeypatch, discover) -> None:
    module = types.ModuleType("obdcore.io.transports.ble")
    module.discover = discover
    monkeypatch.setitem(sys.modules, "obdcore.io.transports.ble", module)


def test_scan_marks_adapter_ports_and_lists_ble_dongles(monkeypatch):
    monkeypatch.setattr(
        "serial.tools.list_ports.comports",
        lambda: [port("/dev/ttyS0"), port("/dev/ttyUSB0", 0x10C4, "CP2102 USB to UART")],
    )
    asked = []

    async def discover(timeout):
        asked.append(timeout)
        return [types.SimpleNamespace(name="OBDII", address="AA:BB:CC:00:11:22", rssi=-58)]

    fake_ble(monkeypatch, discover)
    output = ok("scan", "--timeout", "1.5").stdout
    assert "CP210x" in output and "OBDII" in output and "-58 dBm" in output
    assert "--device ble://AA:BB:CC:00:11:22" in output
    document = as_json("scan", "--timeout", "1.5")
    assert asked == [1.5, 1.5]
    assert [(p["device"], p["adapter"]) for p in document["serial"]] == [
        ("/dev/ttyS0", False),
        ("/dev/ttyUSB0", True),
    ]
    assert document["ble"] == [{"name": "OBDII", "address": "AA:BB:CC:00:11:22", "rssi": -58}]


@pytest.mark.parametrize("problem", ["missing", "no bluetooth"])
def test_scan_without_bluetooth_says_so_and_still_lists_ports(monkeypatch, problem):
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [port("/dev/ttyUSB0", 0x067B)])
    if problem == "missing":
        monkeypatch.setitem(sys.modules, "obdcore.io.transports.ble", None)  # import fails
    else:

        async def discover(timeout):
            raise LinkError("Bluetooth is not available: no adapter found")

        fake_ble(monkeypatch, discover)
    output = ok("scan").stdout
    assert "/dev/ttyUSB0" in output and "PL2303" in output
    lines = [line for line in output.splitlines() if line.startswith("Bluetooth LE:")]
    assert len(lines) == 1
    if problem != "missing":
        assert "no adapter found" in lines[0]


# ============================================================================ dtc


def test_dtc_lists_codes_per_ecu_with_descriptions():
    output = ok("dtc", *MISFIRE).stdout
    assert "P0300" in output and "Cylinder 2 Misfire Detected" in output
    assert "engine (7E8)" in output and "transmission (7E9)" in output
    ecus = as_json("dtc", *MISFIRE)["ecus"]
    assert set(ecus) == {"7E8", "7E9"}
    for kind in ("stored", "pending", "permanent"):
        assert {c["code"] for c in ecus["7E8"][kind]} == {"P0300", "P0302"}
        assert ecus["7E9"][kind] == []
    described = {c["code"]: c["description"] for c in ecus["7E8"]["stored"]}
    assert described["P0302"] == "Cylinder 2 Misfire Detected"


def test_dtc_clear_asks_first_and_then_clears_per_ecu():
    def stored(url):
        return {c["code"] for c in as_json("dtc", "--device", url)["ecus"]["7E8"]["stored"]}

    with Simulator(transport="tcp", faults=["misfire:2@0.9"], start_s=300) as sim:
        refused = invoke("dtc", "--clear", "--device", sim.url, input="n\n")
        assert refused.exit_code == 1 and "Aborted" in refused.output
        assert stored(sim.url) == {"P0300", "P0302"}  # nothing was cleared
        cleared = ok("dtc", "--clear", "--device", sim.url, input="y\n").stdout
        assert "cleared" in cleared and "P0302 (stored)" in cleared
        assert stored(sim.url) == set()


def test_dtc_clear_yes_skips_the_question_and_reports_json():
    document = as_json("dtc", "--clear", "--yes", *MISFIRE)
    assert document["cleared"] == {"7E8": True, "7E9": True}
    assert {c["code"] for c in document["before"]["ecus"]["7E8"]["stored"]} == {"P0300", "P0302"}
    after = document["after"]["ecus"]["7E8"]
    assert after["stored"] == [] and after["pending"] == []
    assert {c["code"] for c in after["permanent"]} == {"P0300", "P0302"}  # they stay


# ======================================================== freeze, readiness, mode06


def test_freeze_frame_of_the_engine():
    output = ok("freeze", *MISFIRE).stdout
    assert "Freeze frame 0 of engine (7E8): set by P030" in output and "COOLANT_TEMP" in output
    ecus = as_json("freeze", *MISFIRE)["ecus"]
    assert list(ecus) == ["7E8"] and ecus["7E8"]["dtc"] in ("P0300", "P0302")
    names = {reading["name"] for reading in ecus["7E8"]["readings"]}
    assert {"RPM", "COOLANT_TEMP", "ENGINE_LOAD"} <= names
    assert as_json("freeze", *MISFIRE, "--frame", "1")["ecus"] == {}
    assert "No freeze frame 1 stored" in ok("freeze", *MISFIRE, "--frame", "1").stdout


def test_readiness_shows_the_mil_and_each_monitor():
    output = ok("readiness", *MISFIRE).stdout
    assert "engine (7E8): MIL on, 2 DTC" in output and "MISFIRE" in output
    engine = as_json("readiness", *MISFIRE)["ecus"]["7E8"]
    assert engine["mil"] is True and engine["dtc_count"] == 2
    monitors = {m["name"]: m for m in engine["monitors"]}
    assert monitors["MISFIRE"]["available"] and monitors["MISFIRE"]["this_cycle"] is not None
    assert as_json("readiness", *SIM)["ecus"]["7E8"]["mil"] is False


def test_mode06_rows_per_ecu_and_monitor_with_a_failing_test():
    tests = as_json("mode06", *MISFIRE)["ecus"]["7E8"]["tests"]
    cylinder_2 = [t for t in tests if t["monitor"] == "MONITOR_MISFIRE_CYLINDER_2"]
    assert any(t["test"] == "MISFIRE_COUNT" and t["value"] > 0 for t in cylinder_2)
    assert all(t["unit"] and t["min"] <= t["max"] for t in tests)
    weak = (*SIM, "--fault", "low_catalyst_efficiency@0.9")
    tests = as_json("mode06", *weak)["ecus"]["7E8"]["tests"]
    failing = [t for t in tests if t["result"] == "fail"]
    assert [t["monitor"] for t in failing] == ["MONITOR_CATALYST_B1"]
    output = ok("mode06", *weak).stdout
    assert "CATALYST B1" in output and "FAIL" in output and "pass" in output


# ============================================================================ live


def test_live_renders_a_table_of_the_chosen_values():
    output = ok("live", *SIM, "--duration", "1", "--pid", "RPM", "--pid", "speed").stdout
    assert "Live data" in output and "RPM" in output and "SPEED" in output
    assert "rpm" in output and "km/h" in output
    assert "COOLANT_TEMP" not in output
    assert any(block in output for block in "▁▂▃▄▅▆▇█")  # the sparkline


def test_live_json_summarises_each_value_and_honours_rates():
    document = as_json(
        "live", *SIM, "--duration", "1", "--pid", "RPM,COOLANT_TEMP", "--rate", "RPM=40"
    )
    values = document["pids"]
    assert list(values) == ["RPM", "COOLANT_TEMP"]
    rpm, coolant = values["RPM"], values["COOLANT_TEMP"]
    assert rpm["min"] <= rpm["value"] <= rpm["max"] and rpm["unit"] == "rpm"
    assert rpm["samples"] > 20 > coolant["samples"] >= 1  # 40 Hz against the 0.5 Hz default
    assert document["interrupted"] is False


def test_live_default_dashboard():
    values = as_json("live", *SIM, "--duration", "0.5")["pids"]
    assert {"RPM", "SPEED", "COOLANT_TEMP"} <= set(values)
    assert values["RPM"]["samples"] > 0


@pytest.mark.parametrize("command", ["live", "log"])
def test_an_unknown_pid_is_exit_2_with_close_matches(tmp_path, command):
    output = tmp_path / "never.csv"
    extra = ["--output", str(output)] if command == "log" else []
    result = invoke(command, *SIM, "--pid", "RPN", *extra)
    assert result.exit_code == EXIT_USAGE
    assert "did you mean RPM" in result.stderr
    assert not output.exists()  # refused before anything was opened


@pytest.mark.parametrize("rate", ["RPM", "RPM=fast", "RPM=-1", "SPEED=2"])
def test_a_bad_rate_is_exit_2(rate):
    result = invoke("live", *SIM, "--pid", "RPM", "--rate", rate)
    assert result.exit_code == EXIT_USAGE and "--rate" in result.stderr


# ============================================================================ log


def samples_and_times(rows: list[dict]) -> tuple[set[str], list[float]]:
    return {row["name"] for row in rows if "name" in row}, [float(r["time_s"]) for r in rows]


def test_log_csv_holds_only_the_requested_values_in_time_order(tmp_path):
    path = tmp_path / "drive.csv"
    result = ok(
        "log",
        *SIM,
        "--output",
        str(path),
        "--pid",
        "RPM",
        "--pid",
        "SPEED",
        "--duration",
        "1",
        "--format",
        "long",
    )
    rows = read_csv_log(path)
    names, times = samples_and_times(rows)
    assert names == {"RPM", "SPEED"}
    assert times == sorted(times) and len(rows) >= 8
    assert f"Wrote {len(rows)} samples" in result.stdout
    text = path.read_text()
    assert "connected:" in text and "closed:" in text  # events, as comment lines


def test_log_jsonl_with_json_summary(tmp_path):
    path = tmp_path / "drive.jsonl"
    summary = as_json("log", *SIM, "-o", str(path), "--pid", "COOLANT_TEMP,RPM", "--duration", "1")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    samples = [line for line in lines if "name" in line]
    names, times = samples_and_times(lines)
    assert summary["format"] == "jsonl" and summary["pids"] == ["COOLANT_TEMP", "RPM"]
    assert summary["samples"] == len(samples) > 5 and summary["interrupted"] is False
    assert names == {"COOLANT_TEMP", "RPM"} and times == sorted(times)
    events = [line["event"] for line in lines if "event" in line]
    assert events[:2] == ["connecting", "connected"] and events[-1] == "closed"


def test_log_keeps_going_across_a_link_drop(tmp_path):
    path = tmp_path / "drop.jsonl"
    ok(
        "log",
        *SIM,
        "--fault",
        "link_drop@0.2",
        "-o",
        str(path),
        "--pid",
        "RPM",
        "--rate",
        "RPM=20",
        "--duration",
        "2",
        timeout=90,
    )
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    kinds = ["sample" if "name" in line else line["event"] for line in lines]
    first, last = kinds.index("sample"), len(kinds) - 1 - kinds[::-1].index("sample")
    assert "reconnecting" in kinds[first:last], kinds
    assert {line["name"] for line in lines if "name" in line} == {"RPM"}


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.slow
def test_log_outlives_a_car_that_stops_answering_for_longer_than_recovery(tmp_path):
    """The adapter goes away for longer than the session's recovery budget: a one-shot
    command would fail, the log waits and carries on when it is back."""
    path = tmp_path / "outage.jsonl"
    first = Simulator(transport="tcp", start_s=300)
    first.start()
    port = int(first.url.rsplit(":", 1)[1])
    outcome = {}
    logging = threading.Thread(
        target=lambda: outcome.setdefault(
            "result",
            invoke(
                "log", "--device", first.url, "-o", str(path), "--pid", "RPM", "--duration", "9"
            ),
        )
    )
    logging.start()
    second = None
    try:
        wait_for(lambda: path.exists() and '"name"' in path.read_text(), 10)
        first.stop()
        wait_for(lambda: '"failed"' in path.read_text(), 10)
        second = Simulator(transport="tcp", port=port, start_s=300)
        second.start()
        logging.join(30)
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert outcome["result"].exit_code == 0, outcome["result"].output
    kinds = [
        "sample" if "name" in line else line["event"]
        for line in map(json.loads, path.read_text().splitlines())
    ]
    failed = kinds.index("failed")
    assert "sample" in kinds[:failed] and "sample" in kinds[failed:], kinds


def test_log_to_an_unwritable_file_is_exit_2(tmp_path):
    result = invoke(
        "log", *SIM, "--output", str(tmp_path / "missing" / "x.csv"), "--duration", "0.2"
    )
    assert result.exit_code == EXIT_USAGE and "cannot write" in result.stderr


def novaevo_command() -> list[str]:
    script = Path(sys.executable).with_name("novaevo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "novaevo"]


def test_ctrl_c_ends_a_log_with_the_file_complete(tmp_path, data_dir):
    path = tmp_path / "ctrl-c.jsonl"
    process = subprocess.Popen(
        [*novaevo_command(), "log", *SIM, "-o", str(path), "--pid", "RPM"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that started the tests in the background may have SIGINT ignored, and
        # the child would inherit that: give it the default, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            not path.exists() or path.read_text().count('"name"') < 5
        ):
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    text = path.read_text()
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]  # every line whole
    samples = [line for line in lines if "name" in line]
    assert len(samples) >= 5 and lines[-1]["event"] == "closed"
    assert f"Wrote {len(samples)} samples" in out and "Ctrl-C" in out
    assert "Traceback" not in err


# ============================================================================ errors


def test_nothing_at_the_device_is_device_not_found():
    result = invoke("info", "--device", f"socket://127.0.0.1:{closed_port()}")
    assert result.exit_code == EXIT_DEVICE_NOT_FOUND
    message = result.stderr.strip()
    assert "\n" not in message and message.startswith("novaevo info: cannot reach the adapter")
    assert "plugged in" in message


def test_a_device_that_is_not_an_adapter():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():  # answers every line like a chatty gadget, prompt included
        with listener:
            client, _ = listener.accept()
            with client:
                while client.recv(100):
                    client.sendall(b"HELLO FROM A THERMOSTAT\r>")

    threading.Thread(target=serve, daemon=True).start()
    url = f"socket://127.0.0.1:{listener.getsockname()[1]}"
    result = invoke("info", "--device", url)
    assert result.exit_code == EXIT_NOT_AN_ADAPTER
    assert "not an OBD adapter" in result.stderr


def test_no_vehicle_answering_is_its_own_exit_code():
    result = invoke("dtc", *SIM, "--fault", "no_data_burst@1")
    assert result.exit_code == EXIT_NO_VEHICLE
    assert "ignition" in result.stderr


def test_a_link_that_keeps_dropping_is_a_link_error():
    result = invoke("info", *SIM, "--fault", "link_drop@1")
    assert result.exit_code == EXIT_LINK and "lost the adapter" in result.stderr


def test_each_error_class_has_its_own_exit_code():
    codes = {
        kind: link_failure(kind("x"))[0] for kind in (DeviceNotFound, LinkLost, AdapterTimeout)
    }
    assert codes == {
        DeviceNotFound: EXIT_DEVICE_NOT_FOUND,
        LinkLost: EXIT_LINK,
        AdapterTimeout: EXIT_LINK,
    }
    assert (
        len({EXIT_USAGE, EXIT_DEVICE_NOT_FOUND, EXIT_NOT_AN_ADAPTER, EXIT_NO_VEHICLE, EXIT_LINK})
        == 5
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("info", "--sim", "--device", "/dev/ttyUSB0"), "exclude each other"),
        (("info", "--device", "/dev/ttyUSB0", "--fault", "misfire:2"), "--fault: only with --sim"),
        (("info", "--sim", "--fault", "flat_tyre"), "unknown fault 'flat_tyre'"),
        (("info", "--sim", "--sim-profile", "steam_engine"), "cannot start the simulator"),
    ],
)
def test_contradictory_or_bad_options_are_exit_2(args, expected):
    result = invoke(*args)
    assert result.exit_code == EXIT_USAGE and expected in result.stderr


def test_exit_codes_are_in_every_commands_help():
    commands = ("scan", "info", "live", "trip", "dtc", "freeze", "readiness", "mode06", "log")
    for command in commands:
        output = ok(command, "--help").stdout
        assert "Exit codes" in output and "device not found" in output, command
