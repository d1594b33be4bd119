"""The guided test warms a cold engine before its warm phases (a cold idle reads as a
coolant-sensor fault), on the simulator over TCP with the real client, fast timing."""

from __future__ import annotations

import asyncio
import statistics

import firmware_sim
from diagnostics.plan import WARM_UP, guided_test_plan
from diagnostics.runner import SimulatorDriver, run_guided_test
from obdcore.client import Client

SHORT = {"cold_start": 2, "idle": 3, "hold_2500": 2, "snap_throttle": 1, "drive": 2}


def _guided(start_s: float, warm_up_max_s: float = 60.0):
    said: list[str] = []
    driver = SimulatorDriver(said.append, lambda name, value: None, warp_s=10.0)

    async def run(url: str):
        async with Client(url) as car:
            durations = {**SHORT, "warm_up": warm_up_max_s}
            return await run_guided_test(
                car, driver, model=None, durations=durations, period_s=0.05
            )

    with firmware_sim.Simulator(
        transport="tcp", faults=["vacuum_leak@0.8"], start_s=start_s
    ) as sim:
        return asyncio.run(run(sim.url)), said


def _median_coolant(result, phase: str) -> float:
    values = result.snapshot["phases"][phase]["series"]["COOLANT_TEMP"]
    return statistics.median(v for v in values if v is not None)


def test_a_cold_engine_is_warmed_before_the_idle_phase() -> None:
    result, said = _guided(start_s=0.0)
    warm = result.warm_up
    assert warm["from_c"] < WARM_UP["until_c"] <= warm["to_c"] and warm["reached"]
    assert any(WARM_UP["prompt"]["en"] in text for text in said)  # the driver was told
    assert "idle" in result.phases_run
    # The cold start was recorded cold, the idle after it warm.
    if "cold_start" in result.phases_run:
        assert _median_coolant(result, "cold_start") < WARM_UP["until_c"]
    assert _median_coolant(result, "idle") >= WARM_UP["until_c"]


def test_a_warm_engine_goes_straight_to_the_idle_phase() -> None:
    result, said = _guided(start_s=900.0)
    assert result.warm_up["reached"] and result.warm_up["from_c"] >= WARM_UP["until_c"]
    assert result.warm_up["seconds"] < 1.0
    assert not any(WARM_UP["prompt"]["en"] in text for text in said)


def test_the_plan_as_data_puts_the_warm_up_before_the_first_warm_phase() -> None:
    plan = guided_test_plan()
    ids = [p["id"] for p in plan["phases"]]
    assert plan["warm_up"]["before"] == ids[ids.index("cold_start") + 1] == "idle"
    assert plan["warm_up"]["until_c"] == 70.0 and plan["warm_up"]["gauge"] == "COOLANT_TEMP"
