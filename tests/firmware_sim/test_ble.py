"""The simulator as a bleak backend: the real ``bleak.BleakScanner``/``bleak.BleakClient``
run on top of :class:`firmware_sim.ble.Air`, so these tests also pin down what bleak 3.x asks
of a backend (connect, services, MTU, writes, notifications, the disconnected callback)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTServiceCollection
from bleak.exc import (
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)
from bleak.uuids import normalize_uuid_str

from firmware_sim.ble import LAYOUTS, Air, Device
from firmware_sim.timing import Timing
from tests.firmware_sim.helpers import make_firmware, send

T = TypeVar("T")
ADAPTER_LAYOUTS = ["fff0", "fff0-swapped", "ffe0", "18f0", "vlink"]


def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    """Runs ``coro`` in a fresh event loop; a hang fails the test instead of blocking it."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Inbox:
    """A notification callback that keeps what arrives; ``until_prompt`` waits for ``>``."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.arrived = asyncio.Event()

    def __call__(self, char: object, data: bytearray) -> None:
        self.chunks.append(bytes(data))
        self.arrived.set()

    @property
    def text(self) -> bytes:
        return b"".join(self.chunks)

    async def until_prompt(self, timeout: float = 2.0) -> bytes:
        async with asyncio.timeout(timeout):
            while not self.text.endswith(b">"):
                self.arrived.clear()
                await self.arrived.wait()
        return self.text


def client_for(air: Air, device: Device, **kwargs: Any) -> BleakClient:
    """A real bleak client on the simulator, by address (the backend finds the device)."""
    return BleakClient(device.address, backend=air.client_backend, **{"timeout": 1.0, **kwargs})


def pipe(client: BleakClient) -> tuple[str, str]:
    """UUIDs of the characteristics that notify and that take writes."""
    chars = [c for s in client.services for c in s.characteristics]
    notify = next(c.uuid for c in chars if "notify" in c.properties)
    write = next(c.uuid for c in chars if "write-without-response" in c.properties)
    return notify, write


async def ask(client: BleakClient, inbox: Inbox, line: bytes) -> bytes:
    """Writes one command line and returns the answer up to the prompt."""
    inbox.chunks.clear()
    await client.write_gatt_char(pipe(client)[1], line, response=False)
    return await inbox.until_prompt()


# ---------------------------------------------------------------- scanning


def test_scanner_reports_bleak_devices_and_filters_like_the_os() -> None:
    air = Air()
    dongle = air.add_dongle(make_firmware(), name="OBDII", rssi=-50)
    quiet = air.add_dongle(make_firmware(), name="V-LINK", layout="18f0", advertise_service=False)
    band = air.add_heart_rate_band()

    async def scan() -> None:
        heard = await BleakScanner.discover(0.1, return_adv=True, backend=air.scanner_backend)
        assert set(heard) == {dongle.address, quiet.address, band.address}
        device, advert = heard[dongle.address]
        assert isinstance(device, BLEDevice) and isinstance(advert, AdvertisementData)
        assert (device.name, advert.local_name, advert.rssi) == ("OBDII", "OBDII", -50)
        assert advert.service_uuids == [normalize_uuid_str("fff0")]
        assert heard[quiet.address][1].service_uuids == []
        # With a service filter the name-only dongle is not heard, as on a real OS.
        filtered = await BleakScanner.discover(
            0.1, service_uuids=[normalize_uuid_str("fff0")], backend=air.scanner_backend
        )
        assert [d.address for d in filtered] == [dongle.address]
        # find_device_by_name registers its callback after start(): still heard.
        found = await BleakScanner.find_device_by_name(
            "V-LINK", timeout=1.0, backend=air.scanner_backend
        )
        assert found is not None and found.address == quiet.address
        missing = await BleakScanner.find_device_by_name(
            "nope", timeout=0.1, backend=air.scanner_backend
        )
        assert missing is None

    run(scan())


# ---------------------------------------------------------------- GATT table


@pytest.mark.parametrize("layout", ADAPTER_LAYOUTS)
def test_gatt_table_is_bleaks_own_and_follows_the_layout(layout: str) -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), layout=layout, manufacturer="Vgate")

    async def inspect() -> None:
        async with client_for(air, device) as client:
            services = client.services
            assert isinstance(services, BleakGATTServiceCollection)
            spec = LAYOUTS[layout]
            service = services.get_service(spec.service)
            assert service is not None
            got = [(c.uuid, tuple(c.properties)) for c in service.characteristics]
            assert got == [(c.uuid, c.properties) for c in spec.chars]
            for char in service.characteristics:
                assert char.max_write_without_response_size == 20
                assert bool(char.descriptors) == ("notify" in char.properties)  # the CCCD
            assert client.mtu_size == 23
            assert await client.read_gatt_char("2a29") == bytearray(b"Vgate")
        # bleak forgets the table on disconnect, as its platform backends do.
        with pytest.raises(BleakError):
            _ = client.services

    run(inspect())


def test_services_filter_of_bleak_client() -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), layout="18f0")

    async def inspect() -> list[str]:
        async with client_for(air, device, services=["18f0"]) as client:
            return [s.uuid for s in client.services]

    assert run(inspect()) == [normalize_uuid_str("18f0")]


# ---------------------------------------------------------------- exchanges


@pytest.mark.parametrize("layout", ADAPTER_LAYOUTS)
@pytest.mark.parametrize("mtu", [23, 64])
def test_answers_come_as_notifications_cut_to_the_mtu(layout: str, mtu: int) -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), layout=layout, mtu=mtu)
    twin = make_firmware()  # the same adapter and car, asked directly
    expected = [send(twin, "ATE0").encode(), send(twin, "0902").encode()]

    async def session() -> tuple[list[bytes], list[bytes]]:
        inbox = Inbox()
        async with client_for(air, device) as client:
            await client.start_notify(pipe(client)[0], inbox)
            answers = [await ask(client, inbox, b"ATE0\r")]
            answers.append(await ask(client, inbox, b"0902\r"))
            return answers, inbox.chunks

    answers, chunks = run(session())
    assert answers == expected
    assert len(chunks) > 1 and all(len(chunk) <= mtu - 3 for chunk in chunks)
    assert max(len(chunk) for chunk in chunks) == min(mtu - 3, len(expected[1]))


def test_writes_are_refused_like_a_real_stack() -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), layout="fff0")
    codes = BleakGATTProtocolErrorCode

    async def session() -> None:
        client = client_for(air, device)
        with pytest.raises(BleakError):  # not connected: no services to resolve "fff2"
            await client.write_gatt_char("fff2", b"ATI\r", response=False)
        async with client:
            with pytest.raises(BleakGATTProtocolError) as refused:
                await client.write_gatt_char("fff2", b"01 0C 0D 05 0F 10 11\r", response=False)
            assert refused.value.code == codes.INVALID_ATTRIBUTE_VALUE_LENGTH
            with pytest.raises(BleakGATTProtocolError) as refused:  # no long writes either
                await client.write_gatt_char("fff2", b"01 0C 0D 05 0F 10 11\r", response=True)
            assert refused.value.code == codes.INVALID_ATTRIBUTE_VALUE_LENGTH
            with pytest.raises(BleakGATTProtocolError) as refused:
                await client.write_gatt_char("fff1", b"ATI\r", response=False)
            assert refused.value.code == codes.WRITE_NOT_PERMITTED
            with pytest.raises(BleakError):
                await client.start_notify("fff2", lambda char, data: None)
            await client.write_gatt_char("fff2", b"ATI\r", response=True)  # both kinds offered
        assert [len(w.data) for w in device.writes] == [21, 21, 4, 4]
        assert [w.response for w in device.writes] == [False, True, False, True]

    run(session())


def test_realistic_timing_notifies_when_the_answer_is_due() -> None:
    timing = Timing(realistic=True, at_command_s=0.2)
    air = Air()
    device = air.add_dongle(make_firmware(timing=timing))

    async def session() -> tuple[float, bytes]:
        inbox = Inbox()
        async with client_for(air, device) as client:
            await client.start_notify(pipe(client)[0], inbox)
            start = time.monotonic()
            await client.write_gatt_char(pipe(client)[1], b"ATE0\r", response=False)
            await asyncio.sleep(0.05)
            early = inbox.text  # the echo is due at once, the OK 0.2 s later
            await inbox.until_prompt()
            return time.monotonic() - start, early

    elapsed, early = run(session())
    assert early == b"ATE0\r"
    assert 0.19 <= elapsed < 1.0


def test_connection_interval_spaces_the_notifications() -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), connection_interval_s=0.02)

    async def session() -> float:
        inbox = Inbox()
        async with client_for(air, device) as client:
            await client.start_notify(pipe(client)[0], inbox)
            start = time.monotonic()
            await ask(client, inbox, b"0902\r")  # 5 notifications with echo on
            return time.monotonic() - start

    assert run(session()) >= 0.07


def test_gadget_answers_nothing_useful() -> None:
    air = Air()
    gadget = air.add_gadget(name="BT05", reply=b"LED:OK\r\n")

    async def session() -> bytes:
        inbox = Inbox()
        async with client_for(air, gadget) as client:
            await client.start_notify("ffe1", inbox)
            await client.write_gatt_char("ffe1", b"ATI\r", response=False)
            async with asyncio.timeout(1.0):
                await inbox.arrived.wait()
            return inbox.text

    assert run(session()) == b"LED:OK\r\n"
    assert gadget.peer.received == b"ATI\r"


# ---------------------------------------------------------------- several clients


def test_clients_one_after_the_other_and_one_at_a_time() -> None:
    air = Air()
    device = air.add_dongle(make_firmware())

    async def session() -> None:
        inbox = Inbox()
        async with client_for(air, device) as first:
            await first.start_notify(pipe(first)[0], inbox)
            assert await ask(first, inbox, b"ATE0\r") == b"ATE0\rOK\r\r>"
            # Connected, the dongle stops advertising and a second central has to wait.
            heard = await BleakScanner.discover(0.1, backend=air.scanner_backend)
            assert heard == []
            with pytest.raises(TimeoutError):
                await client_for(air, device, timeout=0.2).connect()
            await first.write_gatt_char(pipe(first)[1], b"01", response=False)  # half a line
        assert not first.is_connected
        second_inbox = Inbox()
        async with client_for(air, device) as second:
            await second.start_notify(pipe(second)[0], second_inbox)
            # The dongle stayed powered: echo still off; the half line was forgotten.
            assert await ask(second, second_inbox, b"ATI\r") == b"ELM327 v2.2\r\r>"
        assert device.connections == 2

    run(session())


def test_a_waiting_client_gets_the_dongle_when_it_is_free() -> None:
    air = Air()
    device = air.add_dongle(make_firmware())

    async def session() -> None:
        first = client_for(air, device)
        await first.connect()
        waiting = asyncio.create_task(client_for(air, device, timeout=2.0).connect())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await first.disconnect()
        await waiting
        assert device.connections == 2

    run(session())


# ---------------------------------------------------------------- link faults


def test_link_drop_fault_disconnects_like_bleak() -> None:
    firmware = make_firmware(faults=("link_drop@1",))
    firmware.links.severity["link_drop"] = 0.0  # let the set-up through
    air = Air()
    device = air.add_dongle(firmware)
    twin = make_firmware()
    send(twin, "ATE0")
    full = send(twin, "0902").encode()

    async def session() -> tuple[bytes, list[str]]:
        inbox, calls = Inbox(), []
        client = client_for(air, device, disconnected_callback=lambda c: calls.append("cb"))
        await client.connect()
        await client.start_notify(pipe(client)[0], inbox)
        await ask(client, inbox, b"ATE0\r")
        inbox.chunks.clear()
        firmware.links.severity["link_drop"] = 1.0
        write_uuid = pipe(client)[1]
        write_char = client.services.get_characteristic(write_uuid)
        await client.write_gatt_char(write_char, b"0902\r", response=False)
        async with asyncio.timeout(2.0):
            while client.is_connected:
                await asyncio.sleep(0.01)
        # bleak forgot the services with the link: the write fails before the backend.
        with pytest.raises(BleakError, match="Service Discovery"):
            await client.write_gatt_char(write_char, b"ATI\r", response=False)
        with pytest.raises(BleakError, match="Not connected"):  # the backend's own refusal
            await client._backend.write_gatt_char(write_char, b"ATI\r", False)
        await client.disconnect()  # harmless once the link is gone
        return inbox.text, calls

    cut, calls = run(session())
    assert calls == ["cb"]  # once, not again on the later disconnect()
    assert full.startswith(cut) and not cut.endswith(b">")
    assert not device.connected and not firmware.wants_close  # ready for the next client


def test_drop_link_and_out_of_range() -> None:
    air = Air()
    device = air.add_dongle(make_firmware())

    async def session() -> list[str]:
        calls: list[str] = []
        client = client_for(air, device, disconnected_callback=lambda c: calls.append("cb"))
        await client.connect()
        device.drop_link()
        assert not client.is_connected
        await client.connect()  # back in range: a new connection works
        air.remove(device)
        assert not client.is_connected
        with pytest.raises(BleakDeviceNotFoundError):
            await client_for(air, device).connect()
        return calls

    assert run(session()) == ["cb", "cb"]


def test_requested_disconnect_calls_back_like_bleaks_backends() -> None:
    air = Air()
    device = air.add_dongle(make_firmware())

    async def session() -> list[str]:
        calls: list[str] = []
        async with client_for(air, device, disconnected_callback=lambda c: calls.append("cb")):
            pass
        return calls

    assert run(session()) == ["cb"]
