"""Faults that look alike differ only through the physics: a vacuum leak, a MAF that reads
low and a weak fuel pump are all lean, and what separates them is how the trims move
with load and rpm, MAF against the speed-density airflow, and the fuel pressure - all
read from the guided test's series, as the diagnosis engine reads them."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import replace
from functools import cache

from firmware_sim.cases import LocalReader, _series_names, drive_guided_test
from firmware_sim.drive import IDLE_ONLY
from firmware_sim.ecu import Car
from firmware_sim.faults import parse_fault
from firmware_sim.profiles import draw_car

AIR_G_PER_L = 1.184


@cache
def _phases(fault: str | None) -> dict:
    profile = replace(
        draw_car("small_petrol", 11),
        fuel_pressure_pid=True,
        dropped_pids=frozenset(),
        fuel_bias=0.0,
    )
    car = Car(profile, [parse_fault(fault)] if fault else [], 11, IDLE_ONLY)
    car.clock_frozen = True
    reader = LocalReader(car)

    async def go() -> dict:
        await reader.control("HISTORY 2")
        names = _series_names((await reader.supported_pids())[0x7E8])
        return await drive_guided_test(reader, names, "full")

    phases = asyncio.run(go())
    phases["_litres"] = profile.displacement_l
    return phases


def _median(phase: dict, name: str) -> float:
    return statistics.median(v for v in phase["series"][name] if v is not None)


def _total_trim(phases: dict, phase: str) -> float:
    return _median(phases[phase], "SHORT_FUEL_TRIM_1") + _median(phases[phase], "LONG_FUEL_TRIM_1")


def _maf_ratio(phases: dict, phase: str) -> float:
    """MAF against the airflow the manifold pressure implies (speed density)."""
    series = phases[phase]["series"]
    ratios = []
    for maf, rpm, map_kpa, baro in zip(
        series["MAF"],
        series["RPM"],
        series["INTAKE_PRESSURE"],
        series["BAROMETRIC_PRESSURE"],
        strict=True,
    ):
        expected = phases["_litres"] * rpm * (map_kpa / baro * 0.88) * AIR_G_PER_L / 120.0
        ratios.append(maf / expected)
    return statistics.median(ratios)


def test_a_vacuum_leak_is_lean_at_idle_and_much_less_at_2500_rpm() -> None:
    leak, healthy = _phases("vacuum_leak@0.8"), _phases(None)
    assert _total_trim(leak, "idle") > 18.0
    assert _total_trim(leak, "idle") - _total_trim(leak, "hold_2500") > 8.0
    assert _maf_ratio(leak, "idle") < 0.8 * _maf_ratio(healthy, "idle")  # air the MAF missed
    assert (
        abs(_median(leak["drive"], "FUEL_PRESSURE") - _median(healthy["drive"], "FUEL_PRESSURE"))
        < 15
    )


def test_a_maf_reading_low_is_lean_everywhere_and_low_against_speed_density() -> None:
    maf, healthy = _phases("maf_under_reading@0.8"), _phases(None)
    assert _total_trim(maf, "idle") > 15.0 and _total_trim(maf, "hold_2500") > 15.0
    assert abs(_total_trim(maf, "idle") - _total_trim(maf, "hold_2500")) < 8.0
    assert _maf_ratio(maf, "hold_2500") < 0.8 * _maf_ratio(healthy, "hold_2500")


def test_a_weak_pump_is_lean_with_load_and_shows_in_the_fuel_pressure() -> None:
    pump, healthy = _phases("weak_fuel_pump@0.8"), _phases(None)
    assert _total_trim(pump, "idle") < _total_trim(pump, "drive") - 5.0
    assert abs(_maf_ratio(pump, "hold_2500") / _maf_ratio(healthy, "hold_2500") - 1) < 0.06
    assert _median(pump["drive"], "FUEL_PRESSURE") < 0.8 * _median(
        healthy["drive"], "FUEL_PRESSURE"
    )


def test_a_healthy_car_is_neither() -> None:
    healthy = _phases(None)
    for phase in ("idle", "hold_2500", "drive"):
        assert abs(_total_trim(healthy, phase)) < 8.0
