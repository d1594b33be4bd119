"""The virtual car: physical consistency, the drive cycle, each named fault's codes and
signature, the DTC lifecycle and readiness."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import cache

import pytest

from firmware_sim.drive import STANDARD
from firmware_sim.ecu import Car
from firmware_sim.errors import FaultSpecError
from firmware_sim.faults import CAR_FAULTS, PETROL_ONLY, Fault, parse_fault
from firmware_sim.profiles import ENGINES, engine_profile

END_OF_CYCLE = 800.0  # seconds: one pass of the standard cycle and a bit


@cache
def _driven(profile: str, faults: tuple[str, ...] = (), until: float = END_OF_CYCLE) -> Car:
    car = Car(engine_profile(profile), [parse_fault(f) for f in faults], seed=5)
    car.advance_to(until)
    return car


def _samples(car: Car, start: float, seconds: float, name: str) -> list[float]:
    """Values of sensor ``name`` every 0.1 s over a window (advances the car)."""
    values = []
    t = start
    while t < start + seconds:
        car.advance_to(t)
        values.append(car.values()[name])
        t += 0.1
    return values


def _phase_start(name: str) -> float:
    t = STANDARD.crank_s
    for phase in STANDARD.phases:
        if phase.name == name:
            return t
        t += phase.duration_s
    raise KeyError(name)


# ----------------------------------------------------------------------------- healthy car

@pytest.mark.parametrize("profile", sorted(ENGINES))
def test_a_healthy_car_sets_no_code_and_completes_readiness(profile: str) -> None:
    car = _driven(profile)
    truth = car.truth()
    assert truth["confirmed"] == [] and truth["pending"] == [] and not truth["mil"]
    since_start = car.ecus[0].pid_bytes(0x41, car.values())
    assert since_start[2] != 0 and since_start[3] == 0  # monitors available, all complete
    assert 80.0 <= car.physics.state.coolant <= 100.0  # warm, thermostat regulating


def test_readiness_starts_incomplete() -> None:
    car = Car(engine_profile("petrol_1.5"), seed=5)
    car.advance_to(30)
    status = car.ecus[0].pid_bytes(0x01, car.values())
    assert status[3] == status[2]  # every available monitor still incomplete


def test_petrol_physics_is_consistent_at_idle_and_warm() -> None:
    car = Car(engine_profile("petrol_1.5"), seed=5)
    car.advance_to(5)
    cold_idle = car.values()["RPM"]
    car.advance_to(_phase_start("hold_2500") - 5)
    warm = car.values()
    assert cold_idle > warm["RPM"] + 100  # cold idle is raised
    assert 700 < warm["RPM"] < 900 and warm["SPEED"] == 0
    # DOMAIN: a 1.5 L engine idling at 800 rpm draws about 3.6 g/s.
    assert 2.8 < warm["MAF"] < 4.5
    assert 25 < warm["INTAKE_PRESSURE"] < 45  # manifold vacuum at idle
    assert abs(warm["SHORT_FUEL_TRIM_1"] + warm["LONG_FUEL_TRIM_1"]) < 10
    cruise = _driven("petrol_1.5", until=_phase_start("decelerate") - 5).values()
    assert cruise["SPEED"] == 90 and cruise["MAF"] > 3 * warm["MAF"]
    assert cruise["ENGINE_LOAD"] > warm["ENGINE_LOAD"]


def test_coolant_warms_up_through_the_thermostat() -> None:
    car = Car(engine_profile("petrol_1.5"), seed=5)
    temps = []
    for t in range(10, 700, 30):
        car.advance_to(t)
        temps.append(car.physics.state.coolant)
    assert temps[0] < 30 and max(temps) < 100
    warming = temps[:next(i for i, t in enumerate(temps) if t >= 80)]
    assert all(b >= a - 0.5 for a, b in zip(warming, warming[1:], strict=False))
    assert 82 <= temps[-1] <= 97


def test_upstream_o2_switches_about_once_a_second_downstream_stays_flat() -> None:
    car = Car(engine_profile("petrol_1.5"), seed=5)
    start = _phase_start("cruise_90") + 200
    up = _samples(car, start, 10.0, "O2_B1S1_VOLTAGE")
    crossings = sum(1 for a, b in zip(up, up[1:], strict=False) if (a - 0.45) * (b - 0.45) < 0)
    assert 10 <= crossings <= 50  # ~1-2 Hz, two crossings per period
    assert min(up) < 0.2 and max(up) > 0.7
    down = _samples(car, start + 10, 10.0, "O2_B1S2_VOLTAGE")
    assert max(down) - min(down) < 0.15


def test_diesel_profile_has_no_throttle_and_boosts() -> None:
    car = _driven("diesel_2.0", until=_phase_start("decelerate") - 5)
    values = car.values()
    assert values["INTAKE_PRESSURE"] > car.physics.baro + 10  # turbo boost at 90 km/h
    assert "SHORT_FUEL_TRIM_1" not in values and "FUEL_RAIL_PRESSURE_DIRECT" in values


# ----------------------------------------------------------------------------- faults

EXPECTED_CODES = {
    "vacuum_leak": {"P0171"}, "maf_under_reading": {"P0101", "P0171"},
    "low_fuel_pressure": {"P0087"}, "leaking_injector": {"P0172"},
    "purge_valve_stuck_open": {"P0496"}, "thermostat_stuck_open": {"P0128"},
    "coolant_sensor_fault": {"P0116"}, "misfire": {"P0300", "P0302"},
    "low_catalyst_efficiency": {"P0420"}, "slow_upstream_o2": {"P0133"},
    "dead_downstream_o2": {"P0140"}, "egr_stuck": {"P0401"}, "charging_fault": {"P0562"},
}


def _spec(name: str) -> str:
    return "misfire:2@0.8" if name == "misfire" else f"{name}@0.8"


def _idle_trim(car: Car) -> float:
    values = car.values()
    return values["SHORT_FUEL_TRIM_1"] + values["LONG_FUEL_TRIM_1"]


def _total_trim(car: Car, start: float, seconds: float) -> float:
    """Mean short + long trim of bank 1 over a window (advances the car)."""
    totals = []
    t = start
    while t < start + seconds:
        car.advance_to(t)
        values = car.values()
        totals.append(values["SHORT_FUEL_TRIM_1"] + values["LONG_FUEL_TRIM_1"])
        t += 0.1
    return statistics.mean(totals)


def _signature_vacuum_leak(car: Car, healthy: Car) -> None:
    # Lean at idle, much less so at 2,500 rpm (the DOMAIN's vacuum leak rule).
    fresh = Car(car.profile, car.faults, seed=5)
    idle_end = _phase_start("hold_2500")
    idle = _total_trim(fresh, idle_end - 6, 5)
    held = _total_trim(fresh, idle_end + 50, 5)
    assert idle > 20 and idle - held > 8


def _signature_maf(car: Car, healthy: Car) -> None:
    assert car.values()["MAF"] < 0.75 * car.physics.state.air_true


def _signature_fuel_pressure(car: Car, healthy: Car) -> None:
    assert car.values()["FUEL_PRESSURE"] < 0.8 * car.profile.fuel_pressure_kpa
    assert car.physics.state.ltft[0] > healthy.physics.state.ltft[0] + 0.05


def _signature_injector(car: Car, healthy: Car) -> None:
    assert car.physics.state.ltft[0] < -0.1  # rich: the ECU takes fuel away


def _signature_purge(car: Car, healthy: Car) -> None:
    assert car.values()["EVAP_VAPOR_PRESSURE"] < healthy.values()["EVAP_VAPOR_PRESSURE"] - 300


def _signature_thermostat(car: Car, healthy: Car) -> None:
    assert car.physics.state.coolant < healthy.physics.state.coolant - 10


def _signature_coolant_sensor(car: Car, healthy: Car) -> None:
    assert car.values()["COOLANT_TEMP"] < car.physics.state.coolant - 20


def _signature_misfire(car: Car, healthy: Car) -> None:
    counts = car.diagnostics.misfire_cycle[:4]
    assert counts[1] > 50 and counts[0] == counts[2] == counts[3] == 0
    assert car.physics.state.catalyst > healthy.physics.state.catalyst


def _signature_catalyst(car: Car, healthy: Car) -> None:
    assert car.diagnostics.catalyst_index() > 0.7 > 0.3 > healthy.diagnostics.catalyst_index()


def _signature_slow_o2(car: Car, healthy: Car) -> None:
    assert car.diagnostics.o2_switch_time_ms() > 2 * healthy.diagnostics.o2_switch_time_ms()


def _signature_dead_o2(car: Car, healthy: Car) -> None:
    assert car.physics.state.down_max < 0.2 < healthy.physics.state.down_max


def _signature_egr(car: Car, healthy: Car) -> None:
    car.advance_to(END_OF_CYCLE + 200)  # cruising at 50 km/h with EGR commanded
    values = car.values()
    assert values["COMMANDED_EGR"] > 10 and values["EGR_ERROR"] < -50


def _signature_charging(car: Car, healthy: Car) -> None:
    assert car.values()["CONTROL_MODULE_VOLTAGE"] < 12.3 < healthy.values()[
        "CONTROL_MODULE_VOLTAGE"]


SIGNATURES: dict[str, Callable[[Car, Car], None]] = {
    "vacuum_leak": _signature_vacuum_leak, "maf_under_reading": _signature_maf,
    "low_fuel_pressure": _signature_fuel_pressure, "leaking_injector": _signature_injector,
    "purge_valve_stuck_open": _signature_purge, "thermostat_stuck_open": _signature_thermostat,
    "coolant_sensor_fault": _signature_coolant_sensor, "misfire": _signature_misfire,
    "low_catalyst_efficiency": _signature_catalyst, "slow_upstream_o2": _signature_slow_o2,
    "dead_downstream_o2": _signature_dead_o2, "egr_stuck": _signature_egr,
    "charging_fault": _signature_charging,
}


@pytest.mark.parametrize("name", CAR_FAULTS)
def test_each_fault_sets_its_codes_and_shows_its_signature(name: str) -> None:
    car = Car(engine_profile("petrol_1.5"), [parse_fault(_spec(name))], seed=5)
    car.advance_to(END_OF_CYCLE)
    truth = car.truth()
    assert EXPECTED_CODES[name] <= set(truth["confirmed"])
    assert set(truth["confirmed"]) <= set(truth["permanent"])
    assert truth["mil"] and truth["freeze_dtc"] in truth["confirmed"]
    SIGNATURES[name](car, _driven("petrol_1.5"))


@pytest.mark.parametrize("name", sorted(set(CAR_FAULTS) - PETROL_ONLY))
def test_diesel_faults(name: str) -> None:
    car = Car(engine_profile("diesel_2.0"), [parse_fault(_spec(name))], seed=5)
    car.advance_to(END_OF_CYCLE)
    expected = EXPECTED_CODES[name] - {"P0171"}
    assert expected <= set(car.truth()["confirmed"])


def test_petrol_only_faults_are_refused_on_the_diesel() -> None:
    for name in PETROL_ONLY:
        with pytest.raises(FaultSpecError):
            Car(engine_profile("diesel_2.0"), [parse_fault(name)])


def test_combined_faults_set_both_sets_of_codes() -> None:
    car = _driven("petrol_1.5", ("vacuum_leak@0.8", "misfire:3@0.6", "charging_fault"))
    assert {"P0171", "P0300", "P0303", "P0562"} <= set(car.truth()["confirmed"])


def test_a_slight_fault_sets_no_code() -> None:
    car = _driven("petrol_1.5", ("vacuum_leak@0.1",))
    assert car.truth()["confirmed"] == []


# ----------------------------------------------------------------------------- lifecycle

def test_dtc_lifecycle_pending_confirmed_cleared_permanent() -> None:
    car = Car(engine_profile("petrol_1.5"), [parse_fault("charging_fault@0.8")], seed=5)
    engine = car.ecus[0]
    car.advance_to(17)  # failing for a few seconds: pending only
    assert car.truth()["pending"] == ["P0562"] and car.truth()["confirmed"] == []
    assert engine.answer(b"\x07", True) == [bytes([0x47, 1, 0x05, 0x62])]
    car.advance_to(60)
    truth = car.truth()
    assert truth["confirmed"] == ["P0562"] and truth["mil"]
    status = engine.pid_bytes(0x01, car.values())
    assert status[0] == 0x81  # MIL on, one code
    assert engine.answer(b"\x02\x02\x00", True) == [bytes([0x42, 0x02, 0x00, 0x05, 0x62])]
    assert engine.answer(b"\x04", True) == [b"\x44"]
    truth = car.truth()
    assert truth["confirmed"] == [] and truth["pending"] == [] and truth["freeze_dtc"] is None
    assert truth["permanent"] == ["P0562"]  # Mode 04 cannot erase a permanent code
    assert engine.answer(b"\x0a", True) == [bytes([0x4A, 1, 0x05, 0x62])]
    assert engine.pid_bytes(0x01, car.values())[0] == 0x00
    assert engine.answer(b"\x02\x0c\x00", True) is None  # no freeze frame any more
    car.advance_to(120)  # the fault is still there: the code comes back
    assert car.truth()["confirmed"] == ["P0562"]


def test_clearing_resets_readiness_and_counters() -> None:
    car = Car(engine_profile("petrol_1.5"), [parse_fault("misfire:1@0.8")], seed=6)
    car.advance_to(900)
    engine = car.ecus[0]
    assert engine.pid_bytes(0x01, car.values())[3] == 0  # all complete
    assert car.values()["DISTANCE_W_MIL"] > 1
    engine.answer(b"\x04", True)
    values = car.values()
    assert engine.pid_bytes(0x01, values)[3] != 0
    assert values["DISTANCE_W_MIL"] == 0 and values["DISTANCE_SINCE_DTC_CLEAR"] == 0
    assert values["TIME_SINCE_DTC_CLEARED"] == 0 and car.truth()["freeze_dtc"] is None


# ----------------------------------------------------------------------------- fault syntax

@pytest.mark.parametrize(("spec", "fault"), [
    ("misfire:2@0.7", Fault("misfire", 0.7, 2)), ("misfire:4", Fault("misfire", 0.8, 4)),
    ("vacuum_leak", Fault("vacuum_leak", 0.8)), ("vacuum_leak:0.5", Fault("vacuum_leak", 0.5)),
    ("egr_stuck@1", Fault("egr_stuck", 1.0)), ("stall", Fault("stall", 0.2)),
    ("GARBAGE@0.5", Fault("garbage", 0.5)),
])
def test_fault_syntax(spec: str, fault: Fault) -> None:
    assert parse_fault(spec) == fault


@pytest.mark.parametrize("spec", ["nope", "misfire", "misfire:0", "vacuum_leak@1.5",
                                  "vacuum_leak:3", "misfire:2@x", ""])
def test_bad_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_fault(spec)


def test_misfire_on_a_cylinder_the_engine_lacks() -> None:
    with pytest.raises(FaultSpecError):
        Car(engine_profile("petrol_1.5"), [parse_fault("misfire:6")])
