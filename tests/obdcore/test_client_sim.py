"""The asyncio client against the simulator over a real pty and a real TCP socket."""

from __future__ import annotations

import asyncio

import pytest

from firmware_sim import Simulator
from obdcore.errors import ArgumentError
from obdcore.io.client import Client
from obdcore.io.memory import Memory
from obdcore.protocol.pidtable import PidTable
from obdcore.protocol.structured import MonitorStatus

TRANSPORTS = ["pty", "tcp"]


def run(coroutine, timeout: float = 60.0):
    """Runs ``coroutine`` with a backstop so a hanging call fails the test instead."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def with_car(sim: Simulator, action, **options):
    async with Client(sim.url, **options) as car:
        return await action(car)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("adapter", ["elm327", "stn", "clone"])
def test_connects_with_each_adapter_profile(transport, adapter):
    with Simulator(transport=transport, adapter=adapter) as sim:

        async def check(car):
            return car.adapter, car.protocol, car.ecus, await car.vin()

        info, protocol, ecus, vin = run(with_car(sim, check))
    assert protocol == "6"
    assert ecus == [0x7E8, 0x7E9]
    assert vin == "VF1RJA00068123456"
    assert info.clone == (adapter == "clone")
    assert (info.stn is not None) == (adapter == "stn")
    if adapter == "clone":  # probing unmasks it: it claims v1.5 but lacks v1.0-1.3 commands
        assert info.version == 1.5 and {"AT@1", "ATAT2", "ATCRA"} <= set(info.missing)
        assert not info.counts_answers


@pytest.mark.parametrize(
    ("profile", "protocol", "ecus"),
    [
        ("petrol_v6", "6", [0x7E8, 0x7E9]),
        ("diesel_2.0", "7", [0x18DAF110, 0x18DAF118]),
    ],
)
def test_finds_each_cars_protocol(profile, protocol, ecus):
    with Simulator(transport="tcp", profile=profile) as sim:

        async def check(car):
            return car.protocol, car.ecus, car.tried_protocols

        found, answering, tried = run(with_car(sim, check))
    assert (found, answering) == (protocol, ecus)
    assert tried[-1] == protocol  # CAN protocols are tried directly, before a slow search


@pytest.mark.parametrize("legacy", ["1", "3", "5"])
def test_falls_back_to_the_adapters_search_for_legacy_buses(legacy):
    with Simulator(transport="tcp", protocol=legacy) as sim:

        async def check(car):
            return car.protocol, car.tried_protocols, await car.vin()

        found, tried, vin = run(with_car(sim, check))
    assert found == legacy
    assert tried == ["6", "7", "8", "9", "0"]
    assert vin == "VF1RJA00068123456"


def test_remembers_what_worked_for_the_next_connection(tmp_path):
    memory_path = tmp_path / "adapters.json"
    with Simulator(transport="tcp", profile="diesel_2.0") as sim:

        async def tried(car):
            return list(car.tried_protocols)

        first = run(with_car(sim, tried, memory=Memory(memory_path)))
        second = run(with_car(sim, tried, memory=Memory(memory_path)))
    assert first == ["6", "7"]
    assert second == ["7"]


def test_a_corrupt_memory_file_is_ignored(tmp_path):
    memory_path = tmp_path / "adapters.json"
    memory_path.write_bytes(b"\xff{not json")
    with Simulator(transport="tcp") as sim:

        async def protocol(car):
            return car.protocol

        assert run(with_car(sim, protocol, memory=Memory(memory_path))) == "6"
    assert Memory(memory_path).recall(sim.url).protocol == "6"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reads_every_supported_pid(transport):
    table = PidTable.standard()
    with Simulator(transport=transport, start_s=300) as sim:

        async def read_all(car):
            supported = await car.supported_pids()
            names = [
                f.name for f in table if f.mode == 1 and f.pid % 0x20 and f.pid in supported[0x7E8]
            ]
            return supported, names, await car.query(*names, ecu=0x7E8)

        supported, names, response = run(with_car(sim, read_all))
    engine_pids = {pid for pid in supported[0x7E8] if pid % 0x20}
    assert len(engine_pids) > 30
    got = {r.name for r in response.readings}
    assert got == set(names)
    assert {r.pid for r in response.readings} == engine_pids
    assert not response.notices and not response.negatives
    for reading in response.readings:
        field = table.by_name(reading.name)
        if field.minimum is not None and isinstance(reading.value, float):
            assert field.minimum <= reading.value <= field.maximum, reading


def test_query_groups_pids_and_attributes_answers_per_ecu():
    with Simulator(transport="tcp", start_s=300) as sim:

        async def read(car):
            before = car.stats.requests
            # RPM last: alone in the second request, the instant sim.truth() describes
            # (the simulated car keeps accelerating between the two answers).
            response = await car.query(
                "SPEED", "COOLANT_TEMP", "MAF", "THROTTLE_POS", "ENGINE_LOAD", "INTAKE_TEMP", "RPM"
            )
            return response, car.stats.requests - before

        response, requests = run(with_car(sim, read))
        truth = sim.truth()
    assert requests == 2  # 7 PIDs: 6 in the first request, 1 in the second
    speeds = {r.ecu: r.value for r in response.readings if r.name == "SPEED"}
    assert set(speeds) == {0x7E8, 0x7E9}  # the transmission repeats the speed
    assert response.value("RPM", ecu=0x7E8) == pytest.approx(truth["reported"]["RPM"], abs=1)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_multi_ecu_dtcs_freeze_frame_readiness_mode06_and_clearing(transport):
    with Simulator(transport=transport, faults=["misfire:2@0.9"], start_s=300) as sim:

        async def diagnose(car):
            before = await car.read_dtcs()
            frames = await car.freeze_frame()
            ready = await car.readiness()
            tests = await car.mode06()
            cleared = await car.clear_dtcs()
            after = await car.read_dtcs()
            return before, frames, ready, tests, cleared, after

        before, frames, ready, tests, cleared, after = run(with_car(sim, diagnose))
    stored = {(d.ecu, d.code) for d in before if d.kind == "stored"}
    assert {(0x7E8, "P0300"), (0x7E8, "P0302")} <= stored
    assert all(d.ecu == 0x7E8 for d in before)  # the transmission has none
    assert next(d for d in before if d.code == "P0302").description == (
        "Cylinder 2 Misfire Detected"
    )
    assert frames and frames[0].ecu == 0x7E8 and frames[0].dtc in ("P0300", "P0302")
    assert {r.name for r in frames[0].readings} >= {"RPM", "COOLANT_TEMP", "ENGINE_LOAD"}
    engine = next(r for r in ready if r.ecu == 0x7E8)
    assert isinstance(engine.since_clear, MonitorStatus)
    assert engine.since_clear.mil and engine.since_clear.dtc_count == 2
    assert tests[0x7E8] and all(t.unit is not None for t in tests[0x7E8])
    assert cleared == {0x7E8: True, 0x7E9: True}
    assert not [d for d in after if d.kind in ("stored", "pending")]
    assert {d.code for d in after if d.kind == "permanent"} == {"P0300", "P0302"}


def test_uds_read_did_and_negative_answer():
    with Simulator(transport="tcp") as sim:

        async def read(car):
            return await car.read_did(0xF190, ecu=0x7E8)

        response = run(with_car(sim, read))
    assert response.negatives and response.negatives[0].ecu == 0x7E8
    with pytest.raises(ArgumentError):
        run(Client("socket://127.0.0.1:1").read_did(0x10000))


def test_stream_honours_refresh_rates_and_addresses_one_ecu():
    with Simulator(transport="tcp", timing="realistic", start_s=300) as sim:

        async def sample(car):
            counts: dict[str, int] = {}
            ecus = set()
            started = car.clock()
            async for item in car.stream(
                ["RPM", "COOLANT_TEMP", "SPEED"], {"RPM": 10, "COOLANT_TEMP": 1, "SPEED": 5}
            ):
                counts[item.name] = counts.get(item.name, 0) + 1
                ecus.add(item.ecu)
                if car.clock() - started >= 2.0:
                    break
            return counts, ecus

        counts, ecus = run(with_car(sim, sample))
    assert ecus == {0x7E8}  # the engine ECU supports all three: asked alone
    assert 15 <= counts["RPM"] <= 22
    assert 8 <= counts["SPEED"] <= 12
    assert 2 <= counts["COOLANT_TEMP"] <= 3


def test_unknown_value_name_is_a_table_error():
    from obdcore.errors import TableError

    with Simulator(transport="tcp") as sim:

        async def bad(car):
            await car.query("RPN")

        with pytest.raises(TableError, match="did you mean RPM"):
            run(with_car(sim, bad))


@pytest.mark.parametrize("adapter", ["elm327", "stn", "clone"])
def test_connects_in_realistic_timing(adapter):
    """Real delays: a reset that echoes at once and answers a second later, late OKs."""
    with Simulator(transport="pty", adapter=adapter, timing="realistic", start_s=300) as sim:

        async def first_value(car):
            return (await car.query("RPM")).value("RPM"), car.adapter.clone

        rpm, clone = run(with_car(sim, first_value))
    assert rpm > 500 and clone == (adapter == "clone")


def test_bad_requests_are_refused_before_any_io():
    from obdcore.errors import TableError

    car = Client("socket://127.0.0.1:1")  # never connected: nothing may be sent
    with pytest.raises(TableError):
        run(car.query())
    with pytest.raises(TableError, match="not a live value"):
        run(car.query("VIN"))
    with pytest.raises(ArgumentError, match="refresh rate"):
        run(car.stream(["RPM"], {"RPM": -1}).__anext__())
    with pytest.raises(ArgumentError, match="refresh rate"):
        run(car.stream(["RPM"], float("nan")).__anext__())
