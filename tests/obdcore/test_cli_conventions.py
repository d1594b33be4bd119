"""What every ``novaevo`` sub-command shares (issue 17): reaching a car from outside the CLI
layer, one exit-code convention, one error line, a crash log instead of a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from novaevo.cli import app
from obdcore.errors import (
    BluetoothUnavailable,
    DeviceNotFound,
    DeviceUrlError,
    ExitCode,
    LinkLost,
    NotAnAdapter,
    NoVehicle,
)
from obdcore.io.target import Target, check_device_url

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    return path


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def one_line(result, code: int) -> str:
    assert result.exit_code == code, result.output
    message = result.stderr.strip().splitlines()[-1]
    assert "Errno" not in message
    return message


# ============================================================================ 1. layers


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "0 broken" in done.stdout, done.stdout[-2000:]


def test_the_io_target_runs_a_coroutine_on_the_simulator_without_the_cli():
    import firmware_sim
    from obdcore.io.target import use_simulator

    use_simulator(lambda **options: firmware_sim.Simulator(**options))
    target = Target(sim=True, sim_timing="fast")
    assert target.run(lambda car: car.vin()) == "VF1RJA00068123456"
    assert "typer" not in Target.__module__


def test_diagnose_reaches_the_car_through_the_io_layer_and_its_errors():
    message = one_line(run("diagnose", "--device", "http://x"), ExitCode.USAGE)
    assert message.startswith("novaevo diagnose: ") and "unknown kind of device URL" in message
    port = _closed_port()
    message = one_line(
        run("diagnose", "--device", f"socket://127.0.0.1:{port}"), ExitCode.DEVICE_NOT_FOUND
    )
    assert "plugged in" in message


# ============================================================================ 2. exit codes


def test_each_failure_class_has_its_own_code():
    codes = [
        ExitCode.DECLINED,
        ExitCode.USAGE,
        DeviceNotFound.exit_code,
        NotAnAdapter.exit_code,
        NoVehicle.exit_code,
        LinkLost.exit_code,
        ExitCode.INPUT_FILE,
        ExitCode.PARTIAL,
        ExitCode.DATABASE,
        ExitCode.IMAGE,
        BluetoothUnavailable.exit_code,
        ExitCode.INTERNAL,
    ]
    assert len(set(codes)) == len(codes)
    assert DeviceUrlError.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    "command",
    [
        ("scan",),
        ("info",),
        ("live",),
        ("log",),
        ("dtc",),
        ("freeze",),
        ("readiness",),
        ("mode06",),
        ("replay",),
        ("pids",),
        ("sim",),
        ("sim-cases",),
        ("ocr",),
        ("diagnose",),
        ("parts", "import"),
        ("parts", "search"),
        ("parts", "identify"),
        ("parts", "optimize"),
        ("parts", "demo-catalogue"),
        ("diagnostics", "train"),
        ("diagnostics", "eval"),
    ],
)
def test_every_command_help_gives_the_same_exit_codes(command):
    out = run(*command, "--help").stdout
    assert "Exit codes: 0 done, 1 refused or declined, 2 bad usage" in " ".join(out.split())


def test_help_shows_no_value_placeholder_after_flags():
    out = run("info", "--help").stdout
    assert "<bool>" not in out and "--json" in out


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("novaevo ")


# ============================================================================ 3. messages


@pytest.mark.parametrize("url", ["socket://127.0.0.1", "http://x", "tcp://:35000"])
def test_a_malformed_url_is_a_usage_error_not_device_advice(url):
    message = one_line(run("info", "--device", url), ExitCode.USAGE)
    assert "plugged in" not in message and "socket://HOST:PORT" in message
    with pytest.raises(DeviceUrlError):
        check_device_url(url)


def test_ble_without_bluetooth_says_bluetooth_is_unavailable(monkeypatch):
    from bleak.exc import BleakError

    import obdcore.io.transports.ble as ble

    class NoAdapterScanner:  # what bleak raises on a machine without a Bluetooth adapter
        def __init__(self, *args, **kwargs):
            pass

        async def __aenter__(self):
            raise BleakError("No Bluetooth adapters found.")

        async def __aexit__(self, *exc):
            return False

    monkeypatch.setattr(ble, "BleakScanner", NoAdapterScanner)
    message = one_line(run("info", "--device", "ble://OBDII"), ExitCode.ENVIRONMENT)
    assert "Bluetooth is unavailable" in message and "seated" not in message
    assert message.count("Bluetooth is unavailable") == 1


def test_a_refused_connection_is_one_line_without_errno():
    message = one_line(
        run("info", "--device", f"socket://127.0.0.1:{_closed_port()}"), ExitCode.DEVICE_NOT_FOUND
    )
    assert message.count("socket://127.0.0.1") == 1


def test_an_unexpected_error_prints_a_short_line_and_writes_a_crash_log(monkeypatch, data_dir):
    def broken_port_listing():
        raise RuntimeError("a bug in port listing")

    monkeypatch.setattr("obdcore.cli.car.serial_ports", broken_port_listing)
    message = one_line(run("scan", "--no-ble"), ExitCode.INTERNAL)
    assert message.startswith("novaevo scan: unexpected error (RuntimeError: a bug")
    logs = list((data_dir / "crashes").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in message
    assert "Traceback" in logs[0].read_text() and "broken_port_listing" in logs[0].read_text()


def test_the_crash_log_falls_back_to_the_temporary_directory(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(blocker / "data"))  # cannot be created
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    from obdcore.io.failures import write_crash_log

    path = write_crash_log(ValueError("x"), ["novaevo", "scan"])
    assert path.is_file() and str(path).startswith(str(tmp_path / "tmp"))


# ============================================================================ sim


def test_sim_with_a_port_out_of_range_is_a_usage_error():
    result = run("sim", "--transport", "tcp", "--port", "99999")
    assert result.exit_code == ExitCode.USAGE and "--port" in result.output


def test_sim_with_a_port_but_the_pty_transport_is_a_usage_error():
    """Serving a pty would silently ignore the port the user asked for."""
    message = one_line(run("sim", "--port", "35111"), ExitCode.USAGE)
    assert "--transport tcp" in message


def test_sim_on_a_busy_port_is_one_line_and_its_own_code():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        message = one_line(
            run("sim", "--transport", "tcp", "--port", str(port)), ExitCode.ENVIRONMENT
        )
    assert message.startswith(f"novaevo sim: cannot listen on 127.0.0.1:{port}")


def test_sim_fault_help_lists_the_faults_and_the_severity_syntax():
    out = " ".join(run("sim", "--help").stdout.split())
    assert "NAME[:CYLINDER][@SEVERITY]" in out and "SEVERITY from 0 to 1" in out
    for fault in ("leaking_fuel_pressure_regulator", "misfire:N", "vacuum_leak", "link_drop"):
        assert fault in out, fault


def _closed_port() -> int:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


# ============================================================================ log -o

SIM = ("--sim", "--sim-timing", "fast")


def test_log_refuses_an_existing_file_and_leaves_it_untouched(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b,c\n1,2,3\n")
    message = one_line(
        run("log", *SIM, "-o", str(other), "--pid", "RPM", "--duration", "1"), ExitCode.DECLINED
    )
    assert "already exists" in message and "--overwrite" in message
    assert other.read_text() == "a,b,c\n1,2,3\n"


def test_log_overwrite_starts_a_fresh_file_with_one_header(tmp_path):
    from obdcore.io.logfile import read_csv_log

    path = tmp_path / "rpm.csv"
    path.write_text("a,b,c\n1,2,3\n")
    result = run(
        "log",
        *SIM,
        "-o",
        str(path),
        "--pid",
        "RPM",
        "--duration",
        "1.5",
        "--overwrite",
        "--json",
        "--format",
        "long",
    )
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "a,b,c" not in text
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines.count(lines[0]) == 1  # one header
    rows = read_csv_log(path)
    assert rows and all(row["name"] == "RPM" for row in rows if row.get("name"))


@pytest.mark.parametrize(
    ("name", "fmt"), [("x.jsonl", "csv"), ("x.csv", "jsonl"), ("x.jsonl", "long")]
)
def test_log_format_contradicting_the_file_name_is_a_usage_error(tmp_path, name, fmt):
    message = one_line(
        run("log", *SIM, "-o", str(tmp_path / name), "--format", fmt), ExitCode.USAGE
    )
    assert f"--format {fmt}" in message and not (tmp_path / name).exists()


# ============================================================================ diagnose


def test_diagnose_bad_usage_and_bad_input_files_have_their_codes(tmp_path):
    assert one_line(
        run("diagnose", "--snapshot", str(tmp_path / "x.json"), "--lang", "de"), ExitCode.USAGE
    ).startswith("novaevo diagnose: --lang")
    one_line(run("diagnose"), ExitCode.USAGE)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    message = one_line(run("diagnose", "--snapshot", str(broken)), ExitCode.INPUT_FILE)
    assert message.startswith("novaevo diagnose: ")
    one_line(run("diagnose", "--snapshot", str(tmp_path / "missing.json")), ExitCode.INPUT_FILE)


def test_ctrl_c_in_a_command_that_does_not_handle_it_is_130(monkeypatch):
    from obdcore.protocol.pidtable import PidTable

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(PidTable, "standard", staticmethod(interrupted))
    assert one_line(run("pids"), ExitCode.INTERRUPTED) == "novaevo pids: interrupted"


def test_a_missing_serial_device_is_named_once_without_errno(tmp_path):
    device = str(tmp_path / "ttyUSB9")
    message = one_line(run("info", "--device", device), ExitCode.DEVICE_NOT_FOUND)
    assert message.count(device) == 1 and "No such file or directory" in message


def test_error_line_drops_errno_tags_and_repeated_clauses():
    from obdcore.io.failures import error_line

    line = error_line(
        "novaevo x",
        "cannot open /dev/ttyUSB9: could not open port /dev/ttyUSB9: "
        "[Errno 2] No such file or directory: '/dev/ttyUSB9'",
        "plug it in.",
    )
    assert line == "novaevo x: cannot open /dev/ttyUSB9: No such file or directory; plug it in"
    assert error_line("p", "lost: lost: gone") == "p: lost: gone"


def test_error_line_names_a_lost_links_url_once():
    """A link lost while reconnecting nests an error per layer, each naming the URL."""
    from obdcore.io.failures import error_line

    url = "socket://127.0.0.1:35111"
    line = error_line(
        "novaevo live",
        f"lost the adapter: {url}: could not recover within 5 s from: {url} closed the "
        f"connection (last error: {url}: reconnecting failed: cannot connect to {url}: "
        "[Errno 111] Connect call failed ('127.0.0.1', 35111))",
    )
    assert line.count(url) == 1 and "Errno" not in line
    assert "it closed the connection" in line and "cannot connect: Connect call failed" in line
