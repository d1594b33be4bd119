"""The guided-test control interface (Python and in-band over the servers), and cars
that differ (profiles drawn with variation, fixed by a seed)."""

from __future__ import annotations

import statistics

import pytest
import serial

from firmware_sim.control import control
from firmware_sim.drive import IDLE_ONLY
from firmware_sim.ecu import Car
from firmware_sim.errors import ControlError
from firmware_sim.faults import parse_fault
from firmware_sim.profiles import ENGINE_TYPES, PROFILES, draw_car, engine_profile
from firmware_sim.server import Simulator
from tests.firmware_sim.helpers import lines, make_firmware, quiet, send


def _idle_car(faults: tuple[str, ...] = (), profile: str = "small_petrol") -> Car:
    return Car(engine_profile(profile), [parse_fault(f) for f in faults], 2, IDLE_ONLY)


def test_the_driver_holds_rpm_drives_idles_and_snaps() -> None:
    car = _idle_car()
    control(car, "WAIT 400 1")
    control(car, "RPM 2500")
    control(car, "WAIT 20 1")
    assert abs(car.physics.state.rpm - 2500) < 50 and car.physics.state.speed == 0
    control(car, "SPEED 60")
    control(car, "WAIT 40 1")
    assert abs(car.physics.state.speed - 60) < 1
    control(car, "IDLE")
    control(car, "WAIT 30 1")
    idle = car.physics.state.rpm
    assert car.physics.state.speed == 0 and idle < 1000
    control(car, "SNAP")
    peak = 0.0
    for _ in range(8):
        control(car, "WAIT 0.25 0.05")
        peak = max(peak, car.physics.state.rpm)
    assert peak > idle + 1500


def test_engine_off_and_on_counts_ignition_cycles_and_warm_ups() -> None:
    car = _idle_car(("charging_fault@0.8",))
    control(car, "WAIT 700 2")
    assert car.physics.state.warmups == 1 and car.truth()["pending"] == ["P0562"]
    control(car, "OFF")
    control(car, "WAIT 28800")
    state = car.physics.state
    assert not state.running and state.coolant < 30  # a night: cold again
    control(car, "ON")
    control(car, "WAIT 60 1")
    assert car.physics.state.ignitions == 2 and car.diagnostics.trip == 2
    assert car.truth()["confirmed"] == ["P0562"] and car.truth()["mil"]  # second trip
    control(car, "WAIT 30 1")  # a short restart while warm is not a warm-up
    assert car.physics.state.warmups == 1


def test_history_is_the_default_start_and_time_passes_fast() -> None:
    car = _idle_car(("misfire:3@0.6",))
    reply = control(car, "HISTORY 2")
    assert reply == "OK" and {"P0300", "P0303"} <= set(car.truth()["confirmed"])
    assert car.diagnostics.freeze_dtc in car.truth()["confirmed"]
    assert "STORED" in control(car, "STATE") and "P0303" in control(car, "STATE")


@pytest.mark.parametrize(
    "command",
    [
        "",
        "FLY",
        "RPM",
        "RPM fast",
        "RPM 9000",
        "SPEED -5",
        "WAIT nan",
        "WAIT 10 0",
        "OLDCODE X123",
        "FREEZE maybe",
    ],
)
def test_a_bad_order_is_refused_naming_what_is_understood(command: str) -> None:
    with pytest.raises(ControlError) as info:
        control(_idle_car(), command)
    assert "known:" in str(info.value) or "cannot read" in str(info.value)  # says what works


def test_in_band_sim_commands_drive_the_car_and_errors_answer_a_question_mark() -> None:
    firmware = quiet(make_firmware(cycle="idle"))
    assert lines(send(firmware, "SIM RPM 2500")) == ["OK"]
    assert lines(send(firmware, "SIM WAIT 30 1")) == ["OK"]
    assert abs(firmware.car.physics.state.rpm - 2500) < 60
    answer = lines(send(firmware, "SIM FLY"))
    assert len(answer) == 1 and answer[0].startswith("? unknown command")
    assert lines(send(firmware, "ATI")) == ["ELM327 v2.2"]  # the adapter carries on


def test_the_side_channel_works_over_a_real_pty_and_the_simulator_api() -> None:
    with Simulator(transport="pty", cycle="idle", history="none") as sim:
        assert sim.control("WAIT 300 1") == "OK"
        with serial.serial_for_url(sim.url, timeout=5) as link:
            link.write(b"SIM RPM 2000\r")
            assert link.read_until(b">").strip().endswith(b"OK\r\r>")
            link.write(b"SIM WAIT 20 1\r")
            link.read_until(b">")
            link.write(b"SIM STATE\r")
            state = link.read_until(b">").decode()
        assert "RPM 2" in state and "PHASE hold_2000" in state


def test_a_driven_simulator_has_its_code_at_once() -> None:
    with Simulator(transport="tcp", faults=["misfire:2@0.7"], start_s=0) as sim:
        assert {"P0300", "P0302"} <= set(sim.truth()["confirmed"])
    with Simulator(transport="tcp", faults=["misfire:2@0.7"], history="none") as sim:
        assert sim.truth()["confirmed"] == []


# ----------------------------------------------------------------------------- cars that differ


def test_six_profiles_cover_every_engine_type() -> None:
    assert len(PROFILES) >= 6
    assert {p.engine_type for p in PROFILES.values()} == set(ENGINE_TYPES)
    assert sum(p.diesel for p in PROFILES.values()) >= 2


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_cars_are_drawn_with_variation_fixed_by_the_seed(name: str) -> None:
    cars = [draw_car(name, seed) for seed in range(40)]
    assert draw_car(name, 7) == cars[7]
    base = engine_profile(name)
    for field in ("displacement_l", "ve_scale", "idle_rpm", "maf_gain", "noise"):
        assert len({getattr(c, field) for c in cars}) > 10, field
    assert len({c.thermostat_c for c in cars}) > 2 and len({c.vin for c in cars}) == 40
    assert any(not c.mode06 for c in cars) and any(c.mode06 for c in cars)
    assert len({c.protocol for c in cars}) > 1
    assert len({c.dropped_pids for c in cars}) > 5
    assert all(abs(c.displacement_l / base.displacement_l - 1) <= 0.041 for c in cars)


def test_a_healthy_aged_car_sits_within_8_percent_long_term_trim() -> None:
    trims = []
    for seed in range(12):
        car = Car(draw_car("small_petrol", seed), [], seed, IDLE_ONLY)
        car.advance_to(600, 1.0)
        trims.append(car.values()["LONG_FUEL_TRIM_1"])
        assert car.truth()["confirmed"] == [] and car.truth()["pending"] == []
    assert all(abs(t) <= 8.5 for t in trims) and statistics.pstdev(trims) > 1.5
