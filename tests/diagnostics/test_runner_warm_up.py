"""The guided test on a cold engine: it records the cold start at once, waits for closed loop
(bounded) only before a phase that needs a warm engine, and drops what does not fit; on the
simulator over TCP with the real client, fast timing."""

from __future__ import annotations

import asyncio
import statistics

import firmware_sim
from diagnostics.plan import PHASES, WARM_UP, guided_test_plan
from diagnostics.runner import SimulatorDriver, run_guided_test
from obdcore.client import Client

SHORT = {"cold_start": 2, "idle": 3, "hold_2500": 2, "snap_throttle": 1, "drive": 2}


def _guided(start_s: float, warm_up_max_s: float = 60.0, budget_s: float = 110.0):
    said: list[str] = []
    driver = SimulatorDriver(said.append, lambda name, value: None, warp_s=10.0)

    async def run(url: str):
        async with Client(url) as car:
            durations = {**SHORT, "warm_up": warm_up_max_s}
            return await run_guided_test(
                car, driver, model=None, durations=durations, period_s=0.05, budget_s=budget_s
            )

    with firmware_sim.Simulator(
        transport="tcp", faults=["vacuum_leak@0.8"], start_s=start_s
    ) as sim:
        return asyncio.run(run(sim.url)), said


def _values(result, phase: str, pid: str) -> list[float]:
    return [v for v in result.snapshot["phases"][phase]["series"][pid] if v is not None]


def test_a_cold_engine_gives_its_cold_start_then_waits_for_closed_loop() -> None:
    result, said = _guided(start_s=0.0)
    warm = result.warm_up
    assert result.phases_run[0] == "cold_start"  # recorded first, while it is cold
    assert statistics.median(_values(result, "cold_start", "COOLANT_TEMP")) < 40.0
    assert warm["from_c"] < WARM_UP["until_c"] and warm["reached"] and warm["closed_loop"]
    assert warm["seconds"] > 0 and any(WARM_UP["prompt"]["en"] in t for t in said)
    # The idle after the wait reads closed-loop trims, though the engine is not yet warm.
    assert "idle" in result.phases_run
    assert any(v != 0.0 for v in _values(result, "idle", "SHORT_FUEL_TRIM_1"))
    assert statistics.median(_values(result, "idle", "COOLANT_TEMP")) < WARM_UP["until_c"]


def test_a_wait_that_ends_in_open_loop_drops_the_warm_phases() -> None:
    result, _ = _guided(start_s=0.0, warm_up_max_s=0.0)
    assert not result.warm_up["reached"] and not result.warm_up["closed_loop"]
    assert result.dropped and set(result.dropped.values()) == {"cold"}
    assert not any(PHASES[p]["needs_warm"] for p in result.phases_run)
    assert result.diagnosis is not None and "cold_start" in result.phases_run


def test_phases_that_do_not_fit_the_budget_are_dropped() -> None:
    result, _ = _guided(start_s=900.0, budget_s=0.0)
    assert result.phases_run == [] and set(result.dropped.values()) == {"time"}


def test_a_warm_engine_goes_straight_to_the_idle_phase() -> None:
    result, said = _guided(start_s=900.0)
    assert result.warm_up["reached"] and result.warm_up["from_c"] >= WARM_UP["until_c"]
    assert result.warm_up["seconds"] < 1.0 and "cold_start" not in result.phases_run
    assert not any(WARM_UP["prompt"]["en"] in text for text in said)


def test_the_plan_says_which_phases_need_a_warm_engine() -> None:
    plan = guided_test_plan()
    ids = [p["id"] for p in plan["phases"]]
    warm = {p["id"] for p in plan["phases"] if p["needs_warm"]}
    assert warm == {"idle", "hold_2500", "drive"}
    assert plan["warm_up"]["before"] == ids[ids.index("cold_start") + 1] == "idle"
    assert plan["warm_up"]["until"] == "closed_loop" and plan["budget_s"] <= 120
