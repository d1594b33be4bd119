"""``BleTransport`` and ``discover`` on the real bleak client and scanner, with the simulator's
bleak backend (:mod:`firmware_sim.ble`) in place of the radio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from bleak.uuids import normalize_uuid_str

from firmware_sim.ble import VLINK_CHAR, VLINK_SERVICE, Air, Char, Device, GattLayout
from obdcore.errors import DeviceNotFound, LinkError, LinkLost, NotAnAdapter
from obdcore.io.transports import transport_for
from obdcore.io.transports.ble import BleTransport, FoundDongle, discover
from tests.firmware_sim.helpers import make_firmware, send

T = TypeVar("T")
VIN = "VF1RJA00068123456"  # the default simulated car's
LONG_LINE = b"01 0C 0D 05 0F 10 11\r"  # 21 bytes: one more than a default ATT payload
# Layout -> the (notify, write) characteristics a client must pick, by properties.
EXPECTED_PIPE = {
    "fff0": ("fff1", "fff2"),
    "fff0-swapped": ("fff2", "fff1"),
    "ffe0": ("ffe1", "ffe1"),
    "18f0": ("2af0", "2af1"),
    "vlink": (VLINK_CHAR, VLINK_CHAR),
}


def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    """Runs ``coro`` in a fresh event loop; a hang fails the test instead of blocking it."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def ble(air: Air, url: str, **kwargs: Any) -> BleTransport:
    """A transport on the simulated air, with short test timeouts."""
    options = {"scan_timeout": 0.3, "confirm_timeout": 0.5, "connect_timeout": 1.0, **kwargs}
    return BleTransport(
        url, client_backend=air.client_backend, scanner_backend=air.scanner_backend, **options
    )


async def read_until_prompt(transport: BleTransport, timeout: float = 2.0) -> list[bytes]:
    """What the ELM327 layer does: reads until ``>``; returns every piece read."""
    pieces: list[bytes] = []
    async with asyncio.timeout(timeout):
        while not b"".join(pieces).endswith(b">"):
            piece = await transport.read(timeout)
            if piece:
                pieces.append(piece)
    return pieces


async def ask(transport: BleTransport, line: str) -> bytes:
    """Sends one command line; returns the whole answer up to the prompt."""
    await transport.write(line.encode("ascii") + b"\r")
    return b"".join(await read_until_prompt(transport))


def twin_answers(*commands: str) -> list[bytes]:
    """What the same adapter and car answer, asked directly (after the ATI of ``open``)."""
    firmware = make_firmware()
    send(firmware, "ATI")
    return [send(firmware, command).encode() for command in commands]


# ---------------------------------------------------------------- discovery


def neighbourhood() -> Air:
    """One dongle of each GATT layout, one that advertises its name only, and gadgets."""
    air = Air()
    for rssi, (layout, name) in enumerate(
        [
            ("fff0", "OBDII"),
            ("fff0-swapped", "Veepeak"),
            ("ffe0", "OBDBLE"),
            ("18f0", "Android-Vlink"),
            ("vlink", "IOS-Vlink"),
        ]
    ):
        air.add_dongle(make_firmware(), name=name, layout=layout, rssi=-40 - rssi)
    air.add_dongle(make_firmware(), name="V-LINK", layout="18f0", advertise_service=False, rssi=-80)
    air.add_heart_rate_band("HRM-Pro")
    air.add_gadget("Mi Band", layout=GattLayout("band", "fee0", (Char("fee1", ("notify",)),)))
    air.add_gadget("BT05", layout="ffe0", reply=b"LED:OK\r\n", rssi=-90)  # adapter's UUIDs
    return air


def test_discover_finds_every_layout_and_leaves_gadgets_out() -> None:
    air = neighbourhood()
    found = run(discover(0.2, scanner_backend=air.scanner_backend))
    assert all(isinstance(dongle, FoundDongle) for dongle in found)
    assert [(d.name, d.service) for d in found] == [
        ("OBDII", normalize_uuid_str("fff0")),
        ("Veepeak", normalize_uuid_str("fff0")),
        ("OBDBLE", normalize_uuid_str("ffe0")),
        ("Android-Vlink", normalize_uuid_str("18f0")),
        ("IOS-Vlink", VLINK_SERVICE),
        ("V-LINK", None),  # found by its name
        ("BT05", normalize_uuid_str("ffe0")),  # only ATI can tell it apart
    ]
    assert [d.rssi for d in found] == sorted((d.rssi for d in found), reverse=True)
    assert found[0].address == air.devices[0].address and found[0].identity is None


def test_discover_confirm_asks_ati_and_drops_the_gadget() -> None:
    air = neighbourhood()
    found = run(
        discover(
            0.2,
            confirm=True,
            confirm_timeout=0.3,
            scanner_backend=air.scanner_backend,
            client_backend=air.client_backend,
        )
    )
    assert [d.name for d in found] == [
        "OBDII",
        "Veepeak",
        "OBDBLE",
        "Android-Vlink",
        "IOS-Vlink",
        "V-LINK",
    ]
    assert {d.identity for d in found} == {"ELM327 v2.2"}
    assert not any(device.connected for device in air.devices)  # every probe hung up


# ---------------------------------------------------------------- characteristics


@pytest.mark.parametrize("layout", sorted(EXPECTED_PIPE))
def test_characteristics_are_chosen_by_properties(layout: str) -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), name="OBDII", layout=layout)

    async def session() -> BleTransport:
        transport = ble(air, "ble://obdii")  # names match case-insensitively
        await transport.open()
        await transport.close()
        return transport

    transport = run(session())
    assert transport.notify_char is not None and transport.write_char is not None
    notify, write = (normalize_uuid_str(uuid) for uuid in EXPECTED_PIPE[layout])
    assert (transport.notify_char.uuid, transport.write_char.uuid) == (notify, write)
    assert transport.identity == "ELM327 v2.2"
    # write-without-response is offered by every layout: it is the one used.
    assert device.writes and not any(w.response for w in device.writes)
    assert not device.connected


@pytest.mark.parametrize(
    ("chars", "write_uuid", "requests"),
    [
        # Only write requests offered: they are used.
        ((Char("fff1", ("notify",)), Char("fff2", ("read", "write"))), "fff2", True),
        # Requests on one characteristic, commands on another: commands win.
        (
            (
                Char("fff1", ("notify",)),
                Char("fff2", ("write",)),
                Char("fff3", ("write-without-response",)),
            ),
            "fff3",
            False,
        ),
        # Indications only: still a pipe.
        ((Char("fff1", ("indicate",)), Char("fff2", ("write-without-response",))), "fff2", False),
    ],
)
def test_unusual_tables_are_read_by_properties(
    chars: tuple[Char, ...], write_uuid: str, requests: bool
) -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), layout=GattLayout("odd", "fff0", chars))

    async def session() -> bytes:
        transport = ble(air, f"ble://{device.address.lower()}")  # by address
        await transport.open()
        try:
            return await ask(transport, "ATE0")
        finally:
            await transport.close()

    assert run(session()) == b"ATE0\rOK\r\r>"
    assert {w.uuid for w in device.writes} == {normalize_uuid_str(write_uuid)}
    assert {w.response for w in device.writes} == {requests}


# ---------------------------------------------------------------- writes and answers


@pytest.mark.parametrize("mtu", [23, 64])
def test_writes_are_split_to_the_negotiated_size(mtu: int) -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), mtu=mtu)
    expected = twin_answers("ATE0", LONG_LINE.decode().strip())[1]

    async def session() -> bytes:
        transport = ble(air, "ble://OBDII")
        await transport.open()
        try:
            await ask(transport, "ATE0")
            device.writes.clear()
            await transport.write(LONG_LINE)
            return b"".join(await read_until_prompt(transport))
        finally:
            await transport.close()

    assert run(session()) == expected
    sizes = [len(w.data) for w in device.writes]
    assert all(size <= mtu - 3 for size in sizes)
    assert sizes == ([20, 1] if mtu == 23 else [21])
    assert b"".join(w.data for w in device.writes) == LONG_LINE


def test_a_write_the_dongle_refuses_is_a_link_error_not_a_lost_link() -> None:
    air = Air()
    device = air.add_dongle(make_firmware())

    async def session() -> None:
        transport = ble(air, "ble://OBDII")
        await transport.open()
        try:
            transport.write_size = 64  # as if the stack had misreported the MTU
            with pytest.raises(LinkError, match="write refused") as refused:
                await transport.write(LONG_LINE)
            assert not isinstance(refused.value, LinkLost) and not transport.lost
        finally:
            await transport.close()

    run(session())
    assert len(device.writes[-1].data) == 21


@pytest.mark.parametrize("layout", sorted(EXPECTED_PIPE))
def test_full_elm327_exchange(layout: str) -> None:
    air = Air()
    air.add_dongle(make_firmware(), name="OBDII", layout=layout)
    commands = ["ATZ", "ATE0", "0100", "0902"]

    async def session() -> list[bytes]:
        transport = ble(air, "ble://OBDII")
        await transport.open()
        try:
            return [await ask(transport, command) for command in commands]
        finally:
            await transport.close()

    answers = run(session())
    assert answers == twin_answers(*commands)
    assert b"ELM327" in answers[0] and answers[1].endswith(b"OK\r\r>")
    assert b"41 00" in answers[2]
    assert vin_of(answers[3]) == VIN


def vin_of(answer: bytes) -> str:
    """The VIN in a headers-off multi-frame ``0902`` answer (``0: 49 02 01 ...`` lines)."""
    data = bytearray()
    for line in answer.decode().split("\r"):
        index, colon, hexes = line.partition(":")
        if colon and index.strip().isdigit():
            data += bytes.fromhex(hexes)
    return data[3:].decode("ascii")  # after 49 02 01 (mode, PID, item count)


def test_notifications_split_across_the_prompt_are_reassembled() -> None:
    answer = twin_answers("ATE0", "0902")[1]
    air = Air()
    # An MTU that leaves the prompt alone in the last notification, and notifications
    # spaced like connection events so that each one is read apart.
    air.add_dongle(make_firmware(), mtu=len(answer) - 1 + 3, connection_interval_s=0.02)

    async def session() -> list[bytes]:
        transport = ble(air, "ble://OBDII")
        await transport.open()
        try:
            await ask(transport, "ATE0")
            await transport.write(b"0902\r")
            return await read_until_prompt(transport)
        finally:
            await transport.close()

    pieces = run(session())
    assert pieces == [answer[:-1], b">"]


def test_link_drop_mid_answer_gives_what_arrived_then_link_lost() -> None:
    firmware = make_firmware(faults=("link_drop@1",))
    firmware.links.severity["link_drop"] = 0.0  # let the set-up through
    air = Air()
    device = air.add_dongle(firmware)
    full = twin_answers("ATE0", "0902")[1]

    async def session() -> bytes:
        transport = ble(air, "ble://OBDII")
        await transport.open()
        try:
            await ask(transport, "ATE0")
            firmware.links.severity["link_drop"] = 1.0
            await transport.write(b"0902\r")
            received = bytearray()
            with pytest.raises(LinkLost):  # a TimeoutError instead would fail the test
                async with asyncio.timeout(3.0):
                    while True:
                        received += await transport.read(1.0)
            assert transport.lost and not device.connected
            with pytest.raises(LinkLost):
                await transport.write(b"ATI\r")
            return bytes(received)
        finally:
            await transport.close()

    received = run(session())
    assert received and full.startswith(received) and b">" not in received


def test_reopening_after_a_lost_link_scans_and_connects_again() -> None:
    air = Air()
    device = air.add_dongle(make_firmware())

    async def session() -> bytes:
        transport = ble(air, "ble://OBDII")
        await transport.open()
        try:
            device.drop_link()  # out of range for a moment
            with pytest.raises(LinkLost):
                await transport.read(1.0)
            await transport.close()
            await transport.open()
            assert not transport.lost
            return await ask(transport, "ATI")
        finally:
            await transport.close()

    assert run(session()) == b"ATI\rELM327 v2.2\r\r>"
    assert device.connections == 2


# ---------------------------------------------------------------- finding the dongle


def test_a_name_that_is_not_there_is_device_not_found_quickly() -> None:
    air = Air()
    air.add_dongle(make_firmware(), name="OBDII")
    start = time.monotonic()
    with pytest.raises(DeviceNotFound, match="'Vgate'.*OBDII"):  # lists what it heard
        run(ble(air, "ble://Vgate").open())
    assert time.monotonic() - start < 1.0


def test_ble_without_a_name_takes_the_only_dongle() -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), name="OBDII")
    air.add_heart_rate_band()

    async def session() -> BleTransport:
        transport = ble(air, "ble://")
        await transport.open()
        assert device.connected
        await transport.close()
        await transport.close()  # twice is fine
        return transport

    transport = run(session())
    assert transport.dongle is not None and transport.dongle.address == device.address
    assert not device.connected


def test_ble_without_a_name_refuses_to_guess() -> None:
    air = Air()
    with pytest.raises(DeviceNotFound, match="no OBD dongle"):
        run(ble(air, "ble://").open())
    air.add_dongle(make_firmware(), name="OBDII")
    air.add_dongle(make_firmware(), name="IOS-Vlink", layout="vlink")
    with pytest.raises(DeviceNotFound, match="several.*OBDII.*IOS-Vlink|several.*IOS-Vlink.*OBDII"):
        run(ble(air, "ble://").open())


def test_a_busy_dongle_cannot_be_connected() -> None:
    air = Air()
    device = air.add_dongle(make_firmware(), name="OBDII")

    async def session() -> None:
        [dongle] = await discover(0.1, scanner_backend=air.scanner_backend)
        first = ble(air, "ble://OBDII", dongle=dongle)
        await first.open()
        try:
            with pytest.raises(DeviceNotFound, match="cannot connect.*timed out"):
                await ble(air, "ble://OBDII", dongle=dongle, connect_timeout=0.2).open()
        finally:
            await first.close()

    run(session())
    assert device.connections == 1


# ---------------------------------------------------------------- not an adapter


async def open_fails(transport: BleTransport, device: Device) -> LinkError:
    """Opens ``transport``, which must fail; checks it hung up (inside the event loop, where
    nothing else would free the device). Returns the error."""
    try:
        await transport.open()
    except LinkError as exc:
        assert not device.connected
        return exc
    raise AssertionError("open() succeeded")


# Silent; chatty but not an ELM327; a prompt without an identity; an identity, no prompt.
@pytest.mark.parametrize("reply", [b"", b"LED:OK\r\n", b"OK\r\r>", b"ELM327 v1.5\r\r"])
def test_a_gadget_is_not_an_adapter(reply: bytes) -> None:
    air = Air()
    gadget = air.add_gadget("BT05", layout="ffe0", reply=reply)
    error = run(open_fails(ble(air, "ble://BT05"), gadget))
    assert isinstance(error, NotAnAdapter) and "BT05" in str(error)
    assert gadget.peer.received == b"ATI\r"


def test_a_device_without_a_pipe_is_a_link_error() -> None:
    air = Air()
    band = air.add_heart_rate_band("HRM-Pro")
    error = run(open_fails(ble(air, "ble://HRM-Pro"), band))
    assert type(error) is LinkError and "no notify/write" in str(error)


def test_confirmation_can_be_left_to_the_session() -> None:
    air = Air()
    gadget = air.add_gadget("BT05", layout="ffe0")

    async def session() -> None:
        transport = ble(air, "ble://BT05", confirm=False)
        await transport.open()  # no ATI on open
        try:
            assert gadget.peer.received == b"" and transport.identity is None
            with pytest.raises(NotAnAdapter):
                await transport.identify(0.2)
        finally:
            await transport.close()

    run(session())


def test_transport_for_picks_ble() -> None:
    transport = transport_for("ble://IOS-Vlink")
    assert isinstance(transport, BleTransport) and transport.target == "IOS-Vlink"
    assert transport_for("ble://Android%20Vlink").target == "Android Vlink"
