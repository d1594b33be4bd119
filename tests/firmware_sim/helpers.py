"""Shared helpers of the simulator tests: build a firmware, talk to it, read answers."""

from __future__ import annotations

from dataclasses import replace

from firmware_sim.drive import CYCLES
from firmware_sim.ecu import Car
from firmware_sim.faults import parse_fault
from firmware_sim.firmware import Firmware
from firmware_sim.profiles import engine_profile
from firmware_sim.timing import FAST, Timing


def make_firmware(
    profile: str = "petrol_1.5",
    faults: tuple[str, ...] = (),
    adapter: str = "elm327",
    seed: int = 1,
    protocol: str | None = None,
    timing: Timing = FAST,
    cycle: str = "standard",
) -> Firmware:
    """A firmware in front of a fresh car (fast timing unless told)."""
    car_profile = engine_profile(profile)
    if protocol is not None:
        car_profile = replace(car_profile, protocol=protocol)
    parsed = [parse_fault(f) for f in faults]
    car = Car(car_profile, parsed, seed, CYCLES[cycle])
    return Firmware(car, adapter, timing, parsed, seed)


def send(firmware: Firmware, command: str, now: float = 0.0) -> str:
    """Sends one command line; returns everything printed (echo included), as text."""
    return firmware.feed(command.encode("ascii") + b"\r", now).decode("latin-1")


def lines(answer: str) -> list[str]:
    """The non-empty lines of an answer, prompt removed."""
    return [line for line in answer.replace("\n", "").replace(">", "").split("\r") if line]


def quiet(firmware: Firmware) -> Firmware:
    """Echo off, as every client sets up first."""
    send(firmware, "ATE0")
    return firmware
