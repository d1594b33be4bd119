"""The sans-I/O pieces of the client: prompt framing, the poll scheduler, the adapter
helpers, the memory file, the sample log; and serial baud-rate detection."""

from __future__ import annotations

import json

import pytest

from obdcore.errors import ArgumentError
from obdcore.io.client import Sample
from obdcore.io.driver import State, StateEvent
from obdcore.io.logfile import SampleLog, read_csv_log
from obdcore.io.memory import Memory, Remembered
from obdcore.io.transports import transport_for
from obdcore.io.transports.serial import SerialTransport
from obdcore.io.transports.tcp import TcpTransport
from obdcore.protocol.adapter import (
    AdapterInfo,
    describe_ecu,
    functional_header,
    identity_line,
    physical_header,
    probes_for,
    protocol_from_dpn,
)
from obdcore.protocol.framer import MAX_ANSWER_BYTES, ElmFramer, LinkBusy
from obdcore.protocol.polling import PollItem, Scheduler

# ---------------------------------------------------------------- ElmFramer


def test_link_frames_an_answer_split_anywhere():
    link = ElmFramer()
    assert link.start("010C", now=1.0) == b"010C\r"
    assert link.receive(b"7E8 04 41", 1.01) is None
    assert link.receive(b" 0C 1A F8\r\r", 1.02) is None
    answer = link.receive(b">", 1.03)
    assert answer.text == "7E8 04 41 0C 1A F8\r\r"
    assert answer.lines == ["7E8 04 41 0C 1A F8"]
    assert answer.elapsed == pytest.approx(0.03)
    assert not link.waiting


def test_link_refuses_a_second_command_before_the_prompt():
    link = ElmFramer()
    link.start("ATZ", 0.0)
    with pytest.raises(LinkBusy):
        link.start("ATE0", 0.1)
    assert link.abandon() == b""
    link.start("ATE0", 0.2)  # after abandoning, the next one may start


def test_link_drops_nuls_keeps_garbage_and_counts_stray_bytes():
    link = ElmFramer()
    assert link.receive(b"late answer\r>", 0.0) is None  # nothing was asked
    assert link.stray_bytes == len(b"late answer\r>")
    link.start("ATZ", 0.0)
    answer = link.receive(b"\x00\x00\x00ELM327 v1.5\xff\r\r>junk", 0.5)
    assert answer.text == "ELM327 v1.5\xff\r\r"
    assert link.stray_bytes == len(b"late answer\r>") + len(b"junk")


def test_link_bounds_an_endless_answer():
    link = ElmFramer(max_answer=100)
    link.start("0902", 0.0)
    for _ in range(50):
        assert link.receive(b"7E8 21 41 41 41 41 41 41 41\r", 0.0) is None
    answer = link.receive(b">", 0.1)
    assert answer.truncated and len(answer.text) == 100
    assert MAX_ANSWER_BYTES >= 16 * 1024


# ---------------------------------------------------------------- Scheduler


def test_scheduler_groups_due_pids_and_honours_rates():
    items = [
        PollItem(1, 0x0C, ("RPM",), 0.1),
        PollItem(1, 0x05, ("COOLANT_TEMP",), 2.0),
        PollItem(1, 0x0D, ("SPEED",), 0.2),
    ]
    scheduler = Scheduler(items, per_request=6, now=100.0)
    polled = {name: 0 for name in ("RPM", "COOLANT_TEMP", "SPEED")}
    now = 100.0
    while now < 101.95:  # two seconds of a link that answers in 10 ms
        batch = scheduler.next_request(now)
        for item in batch:
            polled[item.names[0]] += 1
        scheduler.done(batch, now)
        now += 0.01 if batch else max(0.001, scheduler.wait_time(now))
    assert polled == {"RPM": 20, "SPEED": 10, "COOLANT_TEMP": 1}


def test_scheduler_respects_the_request_size_and_is_fair_when_the_link_is_slow():
    items = [PollItem(1, pid, (f"P{pid}",), 0.0) for pid in range(1, 10)]
    scheduler = Scheduler(items, per_request=6, now=0.0)
    seen = []
    now = 0.0
    for _ in range(6):
        batch = scheduler.next_request(now)
        assert len(batch) <= 6
        seen.extend(item.pid for item in batch)
        now += 0.05
        scheduler.done(batch, now)
    counts = {pid: seen.count(pid) for pid in range(1, 10)}
    assert max(counts.values()) - min(counts.values()) <= 1  # round robin


def test_scheduler_never_mixes_modes_in_one_request():
    items = [PollItem(1, 0x0C, ("RPM",), 0.0), PollItem(0x22, 0xF190, ("X",), 0.0)]
    batch = Scheduler(items, now=0.0).next_request(0.0)
    assert len({item.mode for item in batch}) == 1
    with pytest.raises(ArgumentError):
        Scheduler([])


# ---------------------------------------------------------------- adapter helpers


def test_clone_detection_and_answer_counting():
    genuine = AdapterInfo("ELM327 v2.2")
    clone = AdapterInfo("ELM327 v1.5", missing=["ATCRA"])
    old = AdapterInfo("ELM327 v1.2")
    stn = AdapterInfo("ELM327 v1.4b", stn="STN2120 v5.6.5")
    assert genuine.version == 2.2 and genuine.counts_answers and not genuine.clone
    assert clone.clone and not clone.counts_answers
    assert not old.counts_answers and stn.counts_answers
    assert probes_for(1.2) == ["AT@1", "ATAT2"] and probes_for(None) == []


def test_headers_names_and_protocol_answers():
    assert physical_header(0x7E8, "6") == "7E0"
    assert physical_header(0x18DAF110, "7") == "DA10F1"
    assert physical_header(0x10, "3") is None
    assert functional_header("6") == "7DF" and functional_header("9") == "DB33F1"
    assert describe_ecu(0x7E8, "6") == "engine (7E8)"
    assert describe_ecu(0x18DAF118, "7") == "transmission (18DAF118)"
    assert describe_ecu(0x7EA, "6") == "7EA"
    assert protocol_from_dpn("A6") == "6" and protocol_from_dpn("3") == "3"
    assert protocol_from_dpn("A0") is None and protocol_from_dpn("?") is None
    assert identity_line(["ATWS", "", "ELM327 v2.2"], "ATWS") == "ELM327 v2.2"


# ---------------------------------------------------------------- memory


def test_memory_round_trips_and_survives_bad_files(tmp_path):
    path = tmp_path / "sub" / "adapters.json"
    memory = Memory(path)
    memory.remember("/dev/ttyUSB0", Remembered(protocol="7", baud=38400))
    again = Memory(path).recall("/dev/ttyUSB0")
    assert again.protocol == "7" and again.baud == 38400
    path.write_text(json.dumps({"/dev/ttyUSB0": {"protocol": "6", "bogus": 1}}))
    assert Memory(path).recall("/dev/ttyUSB0") is None  # unknown fields: ignored
    path.write_text("[1, 2]")
    assert Memory(path).recall("/dev/ttyUSB0") is None
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    try:  # a home that cannot be written must not break a connection
        Memory(readonly / "x" / "adapters.json").remember("a", Remembered("6"))
    finally:
        readonly.chmod(0o700)


# ---------------------------------------------------------------- sample log


# The long formats write each sample as it comes; the wide CSV writes a row when the next
# answer starts (tests/obdcore/test_log_formats.py).
@pytest.mark.parametrize("fmt", ["long", "jsonl"])
def test_sample_log_is_readable_after_every_write(tmp_path, fmt):
    path = tmp_path / f"log.{'csv' if fmt == 'long' else fmt}"
    log = SampleLog(path, fmt, clock=lambda: 10.0)
    log.write(Sample(10.5, "RPM", 812.25, "rpm", 0x7E8))
    # Not closed yet: a crash now must still leave the sample on disk.
    text = path.read_text(encoding="utf-8")
    assert "812.25" in text
    log.event(StateEvent(State.RECONNECTING, "link lost", 11.0))
    log.write(Sample(12.0, "SPEED", 50.0, "km/h", 0x7E8))
    log.close()
    if fmt == "long":
        rows = read_csv_log(path)
        assert [(r["name"], r["value"], r["ecu"]) for r in rows] == [
            ("RPM", "812.25", "7E8"),
            ("SPEED", "50.0", "7E8"),
        ]
        assert "# 1.0 reconnecting: link lost" in path.read_text()
    else:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert [line.get("name", line.get("event")) for line in lines] == [
            "RPM",
            "reconnecting",
            "SPEED",
        ]
    with pytest.raises(ArgumentError):
        SampleLog(path, "xml")


# ---------------------------------------------------------------- transports and baud


def test_transport_choice_from_the_url():
    assert isinstance(transport_for("socket://192.168.0.10:35000"), TcpTransport)
    assert isinstance(transport_for("tcp://192.168.0.10:35000"), TcpTransport)
    assert isinstance(transport_for("/dev/ttyUSB0"), SerialTransport)
    serial_socket = transport_for("serial+socket://127.0.0.1:35000")
    assert isinstance(serial_socket, SerialTransport)
    assert serial_socket.url == "socket://127.0.0.1:35000"
    from obdcore.errors import DeviceNotFound

    with pytest.raises(DeviceNotFound):
        transport_for("  ")
    with pytest.raises(DeviceNotFound):
        transport_for("socket://no-port")


# ---------------------------------------------------------------- caller errors


@pytest.mark.parametrize("command", ["", "AT Z\r010C", "ATSH7E\x000", "01\u00e90C"])
def test_the_framer_refuses_a_command_that_is_not_one_printable_line(command):
    framer = ElmFramer()
    with pytest.raises(ArgumentError, match="printable ASCII"):
        framer.start(command, 0.0)
    assert not framer.waiting  # nothing half-started


def test_client_arguments_are_checked_before_anything_is_sent():
    import asyncio

    from obdcore.io.client import Client

    car = Client("socket://127.0.0.1:1")  # never connected: the checks come first
    with pytest.raises(ArgumentError, match="trouble code kind"):
        asyncio.run(car.read_dtcs(["stored", "bogus"]))
    with pytest.raises(ArgumentError, match="0 to 255"):
        asyncio.run(car.freeze_frame(256))
    with pytest.raises(ArgumentError, match="16 bits"):
        asyncio.run(car.read_did(-1))
