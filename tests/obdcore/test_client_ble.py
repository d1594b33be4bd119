"""The whole client over Bluetooth LE: the real bleak client and scanner, with the
simulator's bleak backend in place of the radio (the one boundary we cannot reach here)."""

from __future__ import annotations

import pytest

from firmware_sim.ble import Air
from obdcore.io.client import Client
from obdcore.io.driver import State
from obdcore.io.transports.ble import BleTransport
from tests.firmware_sim.helpers import make_firmware
from tests.obdcore.test_client_sim import run


def dongle(air: Air, name: str = "OBDII") -> BleTransport:
    return BleTransport(
        f"ble://{name}",
        client_backend=air.client_backend,
        scanner_backend=air.scanner_backend,
        scan_timeout=0.3,
        confirm_timeout=0.5,
        connect_timeout=1.0,
    )


@pytest.mark.parametrize("layout", ["fff0", "fff0-swapped", "ffe0", "18f0", "vlink"])
def test_client_over_each_ble_layout(layout):
    air = Air()
    air.add_dongle(make_firmware(faults=("misfire:2@0.9",)), name="OBDII", layout=layout)
    air.add_gadget()  # a look-alike on FFE0 next to it must not confuse anything

    async def session():
        async with Client(dongle(air)) as car:
            car_vin = await car.vin()
            await car.query("RPM")
            return car.protocol, car.ecus, car_vin

    assert run(session()) == ("6", [0x7E8, 0x7E9], "VF1RJA00068123456")


def test_client_over_ble_recovers_from_a_dropped_link():
    air = Air()
    device = air.add_dongle(make_firmware(), name="OBDII")

    async def session():
        async with Client(dongle(air)) as car:
            before = await car.query("RPM")
            device.drop_link()  # out of range for a moment: bleak reports a disconnect
            after = await car.query("RPM")
            return before, after, car.stats, [event.state for event in car.events]

    before, after, stats, states = run(session(), timeout=30)
    assert before.value("RPM") is not None and after.value("RPM") is not None
    assert stats.reconnects >= 1 and State.RECOVERED in states
