"""Shared by the fault-library tests and the calibration script: drive a car with faults
for its history and a simulated hour, and say which codes it set."""

from __future__ import annotations

from firmware_sim.control import drive_history, wait
from firmware_sim.drive import STANDARD
from firmware_sim.ecu import Car
from firmware_sim.faults import Fault, make_fault
from firmware_sim.library import LIBRARY
from firmware_sim.profiles import engine_profile

# The car each engine type is tested on: port injection with an EGR valve (so EGR faults
# exist), the DI and turbo petrols, the 2.0 L diesel.
TEST_CARS = {
    "petrol_port": "petrol_1.5",
    "petrol_di": "petrol_di",
    "petrol_turbo": "turbo_petrol",
    "diesel": "large_diesel",
}
HOUR_DT = 8.0


def car_for(names: list[str]) -> str:
    """The first test car on which every fault of ``names`` exists."""
    for engine_type, car in TEST_CARS.items():
        if all(engine_type in LIBRARY[name].engines for name in names):
            return car
    raise LookupError(names)


def faults_of(specs: list[tuple[str, float]]) -> list[Fault]:
    """(name, severity) -> faults, cylinder 2 for those that take one."""
    return [
        make_fault(name, severity, 2 if LIBRARY[name].qualifier else 0) for name, severity in specs
    ]


def run_hour(
    specs: list[tuple[str, float]],
    seed: int = 3,
    car_name: str | None = None,
    seconds: float = 3600.0,
) -> tuple[Car, set[str], set[str]]:
    """History (two trips) + ``seconds`` (an hour) of the standard cycle; returns the car,
    the codes it set (stored + pending, every ECU) and the codes the library expects."""
    faults = faults_of(specs)
    profile = engine_profile(car_name or car_for([n for n, _ in specs]))
    car = Car(profile, faults, seed, STANDARD)
    drive_history(car, 2)
    wait(car, seconds, HOUR_DT)
    set_codes = set(car.diagnostics.confirmed) | set(car.diagnostics.pending)
    expected = {
        code
        for f in faults
        for _, code in LIBRARY[f.name].codes_for(f.severity, profile, f.cylinder)
    }
    return car, set_codes, expected
