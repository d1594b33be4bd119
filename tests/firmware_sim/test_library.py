"""The fault library: the agreed cause ids, data complete, and every fault - alone, slight
and combined - running a simulated hour and setting exactly the codes it lists."""

from __future__ import annotations

import re

import pytest

from firmware_sim.ecu import Car
from firmware_sim.errors import FaultSpecError
from firmware_sim.faults import check_fault, parse_fault
from firmware_sim.library import LIBRARY, SYMPTOMS
from firmware_sim.profiles import ENGINE_TYPES, engine_profile
from tests.cause_ids import AGREED_IDS, PER_CYLINDER_IDS
from tests.firmware_sim.faultrun import car_for, run_hour

DTC = re.compile(r"^P[0-3][0-9A-F]{3}$")


def test_the_library_holds_exactly_the_agreed_ids() -> None:
    assert len(LIBRARY) >= 40
    assert sorted(LIBRARY) == sorted(AGREED_IDS)
    assert {n for n, f in LIBRARY.items() if f.qualifier == "cylinder"} == PER_CYLINDER_IDS


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_each_fault_is_complete_data(name: str) -> None:
    fault = LIBRARY[name]
    assert fault.system and fault.summary and fault.physics and fault.sources
    assert fault.engines and fault.engines <= set(ENGINE_TYPES)
    assert set(fault.symptoms) <= set(SYMPTOMS)
    for code in fault.codes:
        assert DTC.match(code.dtc.format(cyl=2)), code
        assert 0 < code.min_severity <= code.max_severity <= 1
        assert code.ecu in ("7E8", "7E9")


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_each_fault_alone_sets_exactly_its_codes_in_a_simulated_hour(name: str) -> None:
    car, set_codes, expected = run_hour([(name, 0.8)])
    assert set_codes == expected
    diag = car.diagnostics
    assert set(diag.confirmed) <= set(diag.permanent)  # confirmed in the hour: permanent
    # The lamp is lit by the codes confirmed (two failing trips), not by the pending ones.
    assert diag.mil == any(diag.tracks[c].mil for c in diag.confirmed)
    assert diag.mil or not (set(diag.confirmed) - set(diag.pending))
    if expected & {c for c in diag.confirmed if diag._ecu_of(c) == "7E8"}:
        assert diag.freeze_dtc in diag.confirmed


@pytest.mark.parametrize(
    "name", sorted(n for n, f in LIBRARY.items() if all(c.min_severity > 0.15 for c in f.codes))
)
def test_a_barely_detectable_fault_sets_no_code(name: str) -> None:
    _, set_codes, expected = run_hour([(name, 0.1)], seconds=600.0)
    assert expected == set() and set_codes == set()


COMBINATIONS = [
    [("vacuum_leak", 0.8), ("ignition_coil", 0.8), ("charging_fault", 0.8)],
    [("low_catalyst_efficiency", 0.8), ("evap_small_leak", 0.8)],
    [("thermostat_stuck_open", 0.8), ("knock_sensor_fault", 0.8), ("tcc_stuck_off", 0.8)],
    [("boost_leak", 0.8), ("glow_plug_fault", 0.8)],
    [("weak_fuel_pump", 0.8), ("knock_sensor_fault", 0.8)],
    [
        ("egr_insufficient_flow", 0.8),
        ("alternator_overcharging", 0.8),
        ("transmission_overheating", 0.8),
    ],
]


@pytest.mark.parametrize("specs", COMBINATIONS, ids=lambda s: "+".join(n for n, _ in s))
def test_combined_faults_set_the_union_of_their_codes(specs: list[tuple[str, float]]) -> None:
    _, set_codes, expected = run_hour(specs)
    assert set_codes == expected


def test_an_engine_kept_cold_keeps_the_o2_monitor_from_running() -> None:
    # Faults interact through the monitors' enabling conditions, as on a real car: a
    # thermostat stuck open keeps the coolant under 70 C, so the slow O2 sensor is never
    # judged (no P0133) until the thermostat is replaced.
    car, set_codes, _ = run_hour([("thermostat_stuck_open", 0.8), ("slow_upstream_o2", 0.8)])
    assert "P0128" in set_codes and "P0133" not in set_codes
    assert car.diagnostics.results.get("o2_switch") is None  # Mode 06: no result


# ----------------------------------------------------------------------------- bad input


def test_an_unknown_fault_names_the_known_ones() -> None:
    with pytest.raises(FaultSpecError, match="vacuum_leak") as info:
        parse_fault("vaccum_leak")
    assert "ignition_coil:N" in str(info.value)


def test_a_cylinder_on_a_fault_that_takes_none_names_those_that_do() -> None:
    with pytest.raises(FaultSpecError, match="takes no cylinder") as info:
        parse_fault("vacuum_leak:2@0.5")
    assert "ignition_coil" in str(info.value) and "misfire" in str(info.value)


def test_a_cylinder_fault_without_its_cylinder_is_refused() -> None:
    with pytest.raises(FaultSpecError, match="ignition_coil:N"):
        parse_fault("ignition_coil")


@pytest.mark.parametrize(
    "spec", ["misfire:2@1.5", "misfire:2@-0.1", "vacuum_leak@nan", "vacuum_leak@x"]
)
def test_a_severity_outside_0_1_is_refused(spec: str) -> None:
    with pytest.raises(FaultSpecError, match="0"):
        parse_fault(spec)


def test_a_fault_that_does_not_exist_on_the_engine_type_names_where_it_does() -> None:
    with pytest.raises(FaultSpecError, match="petrol_port") as info:
        check_fault(parse_fault("vacuum_leak"), engine_profile("large_diesel"))
    assert "diesel" in str(info.value)
    with pytest.raises(FaultSpecError, match="diesel"):
        Car(engine_profile("small_petrol"), [parse_fault("glow_plug_fault")])
    with pytest.raises(FaultSpecError, match="cylinders 1-4"):
        Car(engine_profile("small_petrol"), [parse_fault("ignition_coil:5")])


def test_every_fault_has_a_test_car() -> None:
    for name in LIBRARY:
        assert car_for([name]) in ("petrol_1.5", "petrol_di", "turbo_petrol", "large_diesel")


@pytest.mark.parametrize("severity", [0.1, 0.8])
def test_a_weak_supply_pump_on_direct_injection_sets_its_codes(severity: float) -> None:
    # The supply pump feeds the high-pressure pump: on a DI engine it shows as low rail
    # pressure (the port-injection test car is the library's first choice for this fault).
    car, set_codes, expected = run_hour([("low_fuel_pressure", severity)], car_name="petrol_di")
    assert set_codes == expected
    assert bool(expected) == (severity >= 0.4)
