"""How clients reach the simulator: a real pty (pyserial, python-obd), a real TCP socket
and the ``sim`` command (BLE is in ``test_ble.py``). python-obd 0.7.3, unmodified, is the
client that must read everything it sees as supported and agree with the ground truth."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import obd
import pytest
import serial
from typer.testing import CliRunner

from firmware_sim.cli import app as sim_app
from firmware_sim.server import Simulator

FAULT = "misfire:2@0.8"
# Values compared with the ground truth, and the resolution of their encoding.
COMPARED = {
    "RPM": 0.25,
    "SPEED": 0.5,
    "COOLANT_TEMP": 0.5,
    "MAF": 0.01,
    "INTAKE_PRESSURE": 0.5,
    "THROTTLE_POS": 0.2,
    "ENGINE_LOAD": 0.2,
    "INTAKE_TEMP": 0.5,
    "FUEL_LEVEL": 0.2,
    "CONTROL_MODULE_VOLTAGE": 0.001,
    "SHORT_FUEL_TRIM_1": 0.4,
    "LONG_FUEL_TRIM_1": 0.4,
    "CATALYST_TEMP_B1S1": 0.05,
    "BAROMETRIC_PRESSURE": 0.5,
    "RUN_TIME": 0.5,
    "TIMING_ADVANCE": 0.25,
}


def _read_until_prompt(port: serial.Serial) -> bytes:
    data = bytearray()
    while not data.endswith(b">"):
        chunk = port.read(1)
        if not chunk:
            break
        data += chunk
    return bytes(data)


@pytest.fixture(scope="module", params=["pty", "tcp"])
def connected(request: pytest.FixtureRequest) -> Iterator[tuple[Simulator, obd.OBD]]:
    """One python-obd connection per transport (it sleeps seconds while connecting)."""
    with Simulator(transport=request.param, faults=[FAULT], seed=2) as sim:
        sim.advance(700)  # warm engine, monitors complete, misfire codes confirmed
        baud = 38400 if request.param == "tcp" else None
        connection = obd.OBD(sim.url, baudrate=baud)
        yield sim, connection
        connection.close()


def test_python_obd_connects(connected: tuple[Simulator, obd.OBD]) -> None:
    _, connection = connected
    assert connection.status() == obd.OBDStatus.CAR_CONNECTED
    assert connection.protocol_id() == "6"


def test_python_obd_reads_every_supported_command(connected: tuple[Simulator, obd.OBD]) -> None:
    _, connection = connected
    # CLEAR_DTC has its own test; python-obd decodes the Mode 02 bitmaps (DTC_PIDS_B...)
    # with its ``drop`` decoder on purpose, so they are None whatever the car answers.
    supported = [
        c
        for c in connection.supported_commands
        if c != obd.commands.CLEAR_DTC and c.decode is not obd.decoders.drop
    ]
    assert len(supported) > 80
    null = [c.name for c in supported if connection.query(c).is_null()]
    assert null == []


def test_python_obd_values_agree_with_the_ground_truth(
    connected: tuple[Simulator, obd.OBD],
) -> None:
    sim, connection = connected
    for name, resolution in COMPARED.items():
        response = connection.query(obd.commands[name])
        truth = sim.truth()["reported"][name]
        assert response.value.magnitude == pytest.approx(truth, abs=resolution), name


def test_python_obd_reads_then_clears_the_fault_codes(connected: tuple[Simulator, obd.OBD]) -> None:
    sim, connection = connected
    codes = {code for code, _ in connection.query(obd.commands.GET_DTC).value}
    assert codes == {"P0300", "P0302"} == set(sim.truth()["confirmed"])
    status = connection.query(obd.commands.STATUS).value
    assert status.MIL and status.DTC_count == 2
    connection.query(obd.commands.CLEAR_DTC)
    assert connection.query(obd.commands.GET_DTC).value == []
    assert sim.truth()["confirmed"] == [] and sim.truth()["permanent"] == ["P0300", "P0302"]


def test_python_obd_on_the_29_bit_diesel_behind_an_stn_adapter() -> None:
    with Simulator(
        transport="tcp",
        profile="diesel_2.0",
        adapter="stn",
        faults=["egr_insufficient_flow"],
        seed=3,
    ) as sim:
        sim.advance(800)
        connection = obd.OBD(sim.url, baudrate=38400)
        try:
            assert connection.protocol_id() == "7"
            supported = [
                c
                for c in connection.supported_commands
                if c != obd.commands.CLEAR_DTC and c.decode is not obd.decoders.drop
            ]
            assert [c.name for c in supported if connection.query(c).is_null()] == []
            codes = [code for code, _ in connection.query(obd.commands.GET_DTC).value]
            assert codes == ["P0401"] == sim.truth()["confirmed"]
            vin = connection.query(obd.commands.VIN).value
            assert bytes(vin).decode() == "WVWZZZ3CZJE012345"
        finally:
            connection.close()


def test_pyserial_opens_the_pty_again_and_again() -> None:
    with Simulator(transport="pty") as sim:
        for _ in range(3):
            with serial.Serial(sim.url, 38400, timeout=5) as port:
                port.write(b"ATI\r")
                assert _read_until_prompt(port).endswith(b"ELM327 v2.2\r\r>")


def test_tcp_serves_several_clients_one_after_the_other() -> None:
    with Simulator(transport="tcp", adapter="stn") as sim:
        host, port = sim.url.removeprefix("socket://").split(":")
        for _ in range(3):
            with socket.create_connection((host, int(port)), timeout=5) as client:
                client.sendall(b"ATE0\rSTI\r")
                data = b""
                while data.count(b">") < 2:
                    data += client.recv(1024)
                assert data.endswith(b"STN2120 v5.6.5\r\r>")
        with serial.serial_for_url(sim.url, timeout=5) as link:  # pyserial's socket:// URL
            link.write(b"0100\r")
            assert b"41 00" in _read_until_prompt(link)
        assert sim.server.clients_served == 4


def test_tcp_link_drop_hangs_up_and_the_next_client_is_served() -> None:
    with Simulator(transport="tcp", faults=["link_drop@1"]) as sim:
        host, port = sim.url.removeprefix("socket://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as client:
            client.sendall(b"0100\r")
            data = b""
            while chunk := client.recv(1024):
                data += chunk
            assert not data.endswith(b">")  # cut mid-answer, then the server hung up
        with socket.create_connection((host, int(port)), timeout=5) as client:
            client.sendall(b"ATI\r")
            assert client.recv(1024)


def test_a_simulator_bug_does_not_kill_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Simulator(transport="tcp") as sim:
        host, port = sim.url.removeprefix("socket://").split(":")
        original = sim.firmware.feed

        def broken(data: bytes, now: float) -> bytes:
            if b"!" in data:
                raise RuntimeError("simulated bug")
            return original(data, now)

        monkeypatch.setattr(sim.firmware, "feed", broken)
        with socket.create_connection((host, int(port)), timeout=5) as client:
            client.sendall(b"!")
            assert client.recv(1024) == b"?\r\r>"
            client.sendall(b"ATI\r")
            data = b""
            while not data.endswith(b">"):
                data += client.recv(1024)
            assert b"ELM327" in data
    assert "simulated bug" in capsys.readouterr().err


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_sim_command_prints_the_url_first(transport: str) -> None:
    command = [
        sys.executable,
        "-c",
        "from firmware_sim.cli import app; app()",
        "--transport",
        transport,
        *(["--port", "0"] if transport == "tcp" else []),
        "--fault",
        "misfire:1@0.5",
        "--adapter",
        "clone",
        "--seed",
        "4",
        "--start",
        "30",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        with serial.serial_for_url(url, timeout=5) as link:
            link.write(b"ATI\r")
            assert _read_until_prompt(link).endswith(b"ELM327 v1.5\r\r>")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "flat_tyre"], "unknown fault"),
        (["--profile", "tractor"], "unknown car"),
        (["--adapter", "vgate"], "unknown adapter"),
        (["--timing", "slow"], "unknown timing"),
        (["--transport", "usb"], "unknown transport"),
        (["--cycle", "rally"], "unknown drive"),
        (["--profile", "diesel_2.0", "--fault", "vacuum_leak"], "does not exist on"),
    ],
)
def test_sim_command_refuses_bad_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(sim_app, args)
    assert result.exit_code == 2 and message in result.output


def test_sim_is_mounted_in_the_novaevo_command() -> None:
    from novaevo.cli import app

    assert "sim" in [c.callback.__name__ for c in app.registered_commands]
