"""Serial baud-rate detection, the synchronous wrapper, and a log taken across a link
drop."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from firmware_sim import Simulator
from firmware_sim.drive import CYCLES
from firmware_sim.ecu import Car
from firmware_sim.firmware import Firmware
from firmware_sim.profiles import engine_profile
from obdcore.errors import NotAnAdapter
from obdcore.io.client import Client
from obdcore.io.driver import State
from obdcore.io.logfile import SampleLog
from obdcore.io.memory import Memory
from obdcore.io.sync import SyncClient
from obdcore.io.transports import transport_for
from obdcore.io.transports.base import Transport
from tests.obdcore.test_client_sim import run


class UartDongle(Transport):
    """A dongle on a real UART, which this machine does not have: the simulator's firmware
    behind a line that only carries bytes when both ends use the same baud rate. At any
    other rate the chip sees nothing it understands and the host reads noise."""

    baud_adjustable = True

    def __init__(self, dongle_baud: int, host_baud: int = 38400):
        super().__init__("/dev/ttyUSB-test")
        car = Car(engine_profile("petrol_1.5"), [], 0, CYCLES["standard"])
        self.firmware = Firmware(car)
        self.dongle_baud, self.baud = dongle_baud, host_baud
        self.rates_tried: list[int] = []

    async def _open(self) -> None:
        self.firmware.reset_link()

    async def _write(self, data: bytes) -> None:
        if self.baud == self.dongle_baud:
            self._received(self.firmware.feed(data, time.monotonic()))
        else:
            self._received(b"\xf8\x80\x00\xfe"[: len(data) % 4 + 1])

    async def _close(self) -> None:
        pass

    async def set_baud(self, baud: int) -> None:
        self.rates_tried.append(baud)
        self.baud = baud
        self.discard_input()


def test_baud_rate_is_detected_and_remembered(tmp_path):
    memory_path = tmp_path / "adapters.json"

    async def connect(dongle):
        async with Client(dongle, memory=Memory(memory_path)) as car:
            return car.protocol

    first = UartDongle(dongle_baud=115200)
    assert run(connect(first)) == "6"
    assert first.rates_tried[:3] == [38400, 9600, 115200]
    again = UartDongle(dongle_baud=115200)
    assert run(connect(again)) == "6"
    assert again.rates_tried == [115200]  # remembered: found at once
    assert Memory(memory_path).recall("/dev/ttyUSB-test").baud == 115200


def test_no_baud_rate_works_is_not_an_adapter():
    with pytest.raises(NotAnAdapter, match="baud"):
        run(Client(UartDongle(dongle_baud=12345)).connect())


def test_baud_detection_is_skipped_where_it_cannot_apply():
    with Simulator(transport="pty") as sim:
        client = Client(sim.url)
        assert not client.transport.baud_adjustable  # a pty has no line speed
    assert not Client("socket://127.0.0.1:35000").transport.baud_adjustable
    assert not Client("loop://").transport.baud_adjustable


def test_the_synchronous_wrapper():
    with Simulator(transport="pty", faults=["misfire:3@0.9"], start_s=300) as sim:
        with SyncClient(sim.url) as car:
            assert car.vin() == "VF1RJA00068123456"
            assert car.query("RPM").value("RPM") > 500
            samples = list(car.stream(["RPM", "SPEED"], rates=0, limit=10))
            codes = {d.code for d in car.read_dtcs()}
            assert car.protocol == "6"  # plain attributes pass through
    assert len(samples) == 10 and {s.name for s in samples} == {"RPM", "SPEED"}
    assert "P0303" in codes


def set_link_drop(sim: Simulator, chance: float) -> None:
    with sim.lock:
        sim.firmware.links.severity["link_drop"] = chance


def test_a_log_across_a_link_drop_keeps_every_sample(tmp_path):
    path = tmp_path / "drive.jsonl"
    with Simulator(transport="tcp", start_s=300) as sim:

        async def record():
            received = []
            log = SampleLog(path, "jsonl")
            async with Client(sim.url, on_event=log.event) as car:
                async for sample in car.stream(["RPM", "SPEED"], rates=0, persistent=True):
                    log.write(sample)
                    received.append(sample)
                    if len(received) == 40:  # the link drops on every request for 0.5 s
                        set_link_drop(sim, 1.0)
                        asyncio.get_running_loop().call_later(0.5, set_link_drop, sim, 0.0)
                    if len(received) >= 120:
                        break
                stats = car.stats
            log.close()
            return received, stats

        received, stats = run(record(), timeout=120)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    samples = [line for line in lines if "name" in line]
    events = [line for line in lines if "event" in line]
    assert len(samples) == len(received) == 120  # nothing received was lost
    assert [s["value"] for s in samples] == [r.value for r in received]
    assert stats.reconnects >= 1
    first_reconnect = next(
        i for i, line in enumerate(lines) if line.get("event") == State.RECONNECTING
    )
    before = [line for line in lines[:first_reconnect] if "name" in line]
    after = [line for line in lines[first_reconnect:] if "name" in line]
    assert len(before) >= 40 and len(after) >= 50
    assert events[-1]["event"] in (State.RECOVERED, State.CONNECTED, State.CLOSED)


def test_persistent_stream_waits_for_the_car_to_come_back():
    sim = Simulator(transport="tcp", start_s=300, port=0)
    sim.start()
    port = sim.server.port

    async def record():
        got_after = 0
        async with Client(sim.url) as car:
            stream = car.stream(["RPM"], rates=0, persistent=True)
            await stream.__anext__()
            sim.stop()  # the dongle disappears...
            revived = Simulator(transport="tcp", start_s=300, port=port)
            loop = asyncio.get_running_loop()
            # ...and comes back after the 5 s recovery budget of a single call is spent
            loop.call_later(6.0, revived.start)
            try:
                async for _sample in stream:
                    got_after += 1
                    if got_after == 5:
                        break
            finally:
                await stream.aclose()
                revived.stop()
            return got_after, car.events

    got_after, events = run(record(), timeout=60)
    assert got_after == 5
    states = [event.state for event in events]
    failed = states.index(State.FAILED)
    assert State.RECOVERED in states[failed:]


def test_pyserial_urls_work_as_serial_ports():
    """pyserial's own socket:// handler (``serial+socket://``) reaches a Wi-Fi dongle
    through the serial transport; ``loop://`` hands back what was written."""
    with Simulator(transport="tcp", start_s=300) as sim:
        url = sim.url.replace("socket://", "serial+socket://")

        async def vin():
            async with Client(url) as car:
                return type(car.transport).__name__, await car.vin()

        assert run(vin()) == ("SerialTransport", "VF1RJA00068123456")

    async def loop_back():
        transport = transport_for("loop://")
        await transport.open()
        try:
            await transport.write(b"ATI\r")
            echoed = b""
            while len(echoed) < 4:
                echoed += await transport.read(1.0)
            return echoed
        finally:
            await transport.close()

    assert run(loop_back()) == b"ATI\r"
