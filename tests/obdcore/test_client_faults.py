"""Every link fault the simulator injects is recovered from within 5 s or reported as a
typed error; no call hangs; devices that are not adapters are refused quickly."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from firmware_sim import LINK_FAULTS, Simulator
from obdcore.errors import DeviceNotFound, LinkError, NotAnAdapter, NoVehicle
from obdcore.io.client import Client
from obdcore.io.driver import State, Timeouts
from tests.obdcore.test_client_sim import run

RECOVERY_BUDGET_S = 5.0
EXPECTED_STATES = {
    "garbage": State.RETRYING,
    "buffer_full": State.RETRYING,
    "can_error": State.RETRYING,
    "missing_prompt": State.RESYNCING,
    "stall": State.RESYNCING,
}


async def poll_through_faults(car: Client, requests: int):
    """Asks for two values ``requests`` times; returns (good answers, what the others
    said: typed errors or notice kinds, the longest call in seconds)."""
    good, others, longest = 0, [], 0.0
    for _ in range(requests):
        started = time.monotonic()
        try:
            response = await car.query("RPM", "COOLANT_TEMP")
        except LinkError as exc:
            others.append(exc)
        else:
            if response.value("RPM") is not None and response.value("COOLANT_TEMP") is not None:
                good += 1
            else:
                others.append({notice.kind for notice in response.notices})
        longest = max(longest, time.monotonic() - started)
    return good, others, longest


def inject(sim: Simulator, fault: str, severity: float) -> None:
    """Turns a link fault on in a running simulator (its chance per OBD request)."""
    with sim.lock:
        sim.firmware.links.severity[fault] = severity


@pytest.mark.parametrize("transport", ["pty", "tcp"])
@pytest.mark.parametrize("fault", LINK_FAULTS)
def test_each_link_fault_is_recovered_or_reported(transport, fault):
    severity = 0.15 if fault == "stall" else 0.3
    requests = 12 if fault == "stall" else 30
    with Simulator(transport=transport, seed=3, start_s=300) as sim:

        async def session():
            async with Client(sim.url) as car:
                inject(sim, fault, severity)
                return await poll_through_faults(car, requests), car.events, car.stats

        (good, others, longest), events, stats = run(session(), timeout=180)
    assert longest <= RECOVERY_BUDGET_S + 1.0, f"a call took {longest:.1f} s"
    if fault == "no_data_burst":  # not damage to repair: the car said nothing, and we say so
        assert good >= 5 and others and all(kinds == {"NO_DATA"} for kinds in others)
    else:
        assert all(isinstance(other, LinkError) for other in others), others
        assert good >= requests // 2, (good, others)
    states = {event.state for event in events}
    if fault in EXPECTED_STATES:
        assert EXPECTED_STATES[fault] in states, states
    if fault == "link_drop":
        # TCP: the socket closes and is reopened. A pty cannot hang up: the answer is
        # cut, the prompt never comes and the session resynchronises.
        assert (stats.reconnects if transport == "tcp" else stats.timeouts) >= 1


@pytest.mark.parametrize("fault", [f for f in LINK_FAULTS if f != "no_data_burst"])
def test_connecting_succeeds_through_link_faults(fault):
    with Simulator(transport="tcp", faults=[f"{fault}@0.3"], seed=5, start_s=300) as sim:

        async def connect():
            started = time.monotonic()
            async with Client(sim.url) as car:
                return time.monotonic() - started, car.protocol, car.ecus

        elapsed, protocol, ecus = run(connect())
    assert (protocol, ecus) == ("6", [0x7E8, 0x7E9])
    assert elapsed < 2 * RECOVERY_BUDGET_S


def test_a_burst_of_no_data_is_reported_not_hidden():
    with Simulator(transport="tcp", start_s=300) as sim:

        async def ask(car):
            with sim.lock:  # from now on every request meets a burst of NO DATA
                sim.firmware.links.severity["no_data_burst"] = 1.0
            return await car.query("RPM")

        response = run(_with(sim, ask))
    assert response.value("RPM") is None
    assert [notice.kind for notice in response.notices] == ["NO_DATA"]


def test_no_data_while_connecting_gets_a_second_chance():
    with Simulator(transport="tcp", faults=["no_data_burst@1"], start_s=300) as sim:
        with pytest.raises(NoVehicle, match="ignition"):
            run(_with(sim, lambda car: car.vin()))


async def _with(sim, action):
    async with Client(sim.url) as car:
        return await action(car)


# ---------------------------------------------------------------- devices that misbehave


class FakeDevice:
    """A TCP server that accepts and then does ``behaviour`` with each client."""

    def __init__(self, behaviour):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.listener.getsockname()[1]}"
        self.behaviour = behaviour
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client:
                self.behaviour(client)

    def close(self):
        self.listener.close()


def silent(client):
    time.sleep(3)


def garbage(client):
    client.recv(100)
    client.sendall(bytes(range(256)) * 4)
    time.sleep(2)


def hang_up(client):
    pass


@pytest.mark.parametrize(
    ("behaviour", "error"), [(silent, NotAnAdapter), (garbage, NotAnAdapter), (hang_up, LinkError)]
)
def test_a_device_that_is_not_an_adapter_is_refused_quickly(behaviour, error):
    device = FakeDevice(behaviour)
    started = time.monotonic()
    try:
        with pytest.raises(error):
            run(Client(device.url, timeouts=Timeouts(reset_s=1.0)).connect(), timeout=20)
    finally:
        device.close()
    assert time.monotonic() - started < 8


def test_nothing_listening_is_device_not_found():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(DeviceNotFound):
        run(Client(f"socket://127.0.0.1:{port}").connect())
    with pytest.raises(DeviceNotFound):
        run(Client("/dev/does-not-exist-novaevo").connect())


def test_the_simulator_stopping_mid_session_is_a_typed_error_within_the_budget():
    sim = Simulator(transport="tcp", start_s=300)
    sim.start()

    async def session():
        async with Client(sim.url) as car:
            await car.query("RPM")
            sim.stop()
            started = time.monotonic()
            with pytest.raises(LinkError):
                await car.query("RPM")
            return time.monotonic() - started, car.events

    elapsed, events = run(session())
    assert elapsed <= RECOVERY_BUDGET_S + 1.0
    assert any(event.state == State.FAILED for event in events)


def test_concurrent_calls_are_serialised():
    with Simulator(transport="tcp", start_s=300) as sim:

        async def both(car):
            return await asyncio.gather(
                car.query("RPM"), car.vin(), car.read_dtcs(), car.query("SPEED")
            )

        rpm, vin, dtcs, speed = run(_with(sim, both))
    assert rpm.value("RPM") and speed.value("SPEED") is not None and vin and dtcs == []


def test_a_physically_addressed_request_stays_addressed_across_a_reconnect():
    with Simulator(transport="tcp", start_s=300) as sim:

        async def ask_transmission(car):
            await car.read_did(0xF190, ecu=0x7E9)
            inject(sim, "link_drop", 1.0)
            asyncio.get_running_loop().call_later(0.3, inject, sim, "link_drop", 0.0)
            response = await car.request("0100", ecu=0x7E9)
            return response, car.stats.reconnects

        response, reconnects = run(_with(sim, ask_transmission))
    assert reconnects >= 1
    assert {r.ecu for r in response.readings} == {0x7E9}  # not the engine, which is faster
