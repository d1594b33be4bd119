"""The guided test over obdcore's real client and the simulator on a real TCP socket."""

from __future__ import annotations

import asyncio

import firmware_sim
from diagnostics.runner import CarStopped, PromptDriver, SimulatorDriver, run_guided_test
from diagnostics.snapshot import load_snapshot
from obdcore.client import Client

SHORT = {"cold_start": 2, "idle": 3, "hold_2500": 2, "snap_throttle": 1, "drive": 2}


def _driver(cls=SimulatorDriver):
    said, shown = [], []
    return cls(said.append, lambda name, value: shown.append((name, value))), said, shown


async def _run(sim, driver, client_factory=Client):
    async with client_factory(sim.url) as car:
        return await run_guided_test(car, driver, model=None, durations=SHORT, period_s=0.05)


def test_guided_test_on_the_simulator_builds_a_valid_snapshot() -> None:
    driver, said, shown = _driver()
    with firmware_sim.Simulator(transport="tcp", faults=["misfire:2@0.9"], start_s=600) as sim:
        result = asyncio.run(_run(sim, driver))
    assert result.stopped_early is None
    snap = load_snapshot(result.snapshot)  # what the runner built is a valid snapshot
    assert snap.codes() & {"P0302", "P0300"}
    assert result.phases_run and result.phases_run[0] in ("cold_start", "idle")
    assert snap.phase(result.phases_run[0]).series["RPM"]
    assert any(name == "RPM" and value for name, value in shown)  # the live gauge
    assert said  # the prompts
    assert result.diagnosis.causes[0].cause.endswith(":2")


class _DyingClient(Client):
    """A real client whose simulator is stopped after a few live queries."""

    sim = None
    queries = 0

    async def query(self, *names, ecu=None):
        type(self).queries += 1
        if type(self).queries == 4:
            self.sim.stop()
        return await super().query(*names, ecu=ecu)


def test_a_car_that_stops_answering_gives_a_partial_diagnosis_and_says_why() -> None:
    driver, _, _ = _driver(PromptDriver)
    with firmware_sim.Simulator(transport="tcp", faults=["vacuum_leak@0.9"], start_s=600) as sim:
        _DyingClient.sim, _DyingClient.queries = sim, 0
        result = asyncio.run(_run(sim, driver, _DyingClient))
    assert result.stopped_early and "during" in result.stopped_early
    assert result.diagnosis.status in ("fault_found", "unknown_fault")
    assert load_snapshot(result.snapshot).codes()  # what was read before is kept


def test_car_stopped_is_an_exception_with_the_partial_phase() -> None:
    error = CarStopped("x")
    assert error.partial is None
