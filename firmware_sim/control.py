"""The guided-test control interface: act as the driver of a simulated car.

The same small command language is used in Python (:func:`control`), over the pty and TCP
servers as an in-band extension (``SIM <command>``: a real ELM327 answers ``?`` to it, so
a client that sends it to a real dongle learns nothing and breaks nothing), and by the
labelled-case generator, so every path drives the car identically:

==================  ===========================================================
``RPM 2500``        stop, neutral, hold 2,500 rpm with the pedal
``SPEED 50``        drive at 50 km/h
``IDLE``            stop and idle
``SNAP``            snap the throttle (full pedal in neutral for about a second)
``FOLLOW``          follow the drive cycle again
``OFF`` / ``ON``    key off (ends the driving cycle) / key on and crank (a new one)
``WAIT 60 [DT]``    let 60 simulated seconds pass (engine off: one exact step),
                    physics step ``DT`` (default 0.1 s; coarser is faster)
``CLEAR``           Mode 04 from a scan tool
``OLDCODE P0442``   a stored code of an old, repaired fault (MIL off)
``FREEZE ON|OFF``   freeze the clock between commands (exchanges take no time)
``HISTORY 2``       drive 2 whole trips with the current faults (cold start each,
                    soak in between), then key on again: the default start
``STATE``           one line: time, phase, rpm, speed, coolant, trip, codes
==================  ===========================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware_sim.drive import STANDARD
from firmware_sim.errors import ControlError

if TYPE_CHECKING:
    from firmware_sim.ecu import Car

HISTORY_TRIP_S = 640.0  # a pass of the standard cycle (idle, cruise, 2,500 rpm): all monitors run
HISTORY_DT = 8.0  # coarse steps: every lag is exact, monitors debounce in seconds
SOAK_S = 8 * 3600.0  # a night between trips: the engine is cold at the next start


def control(car: Car, command: str) -> str:
    """Applies one driver command to ``car``; returns a one-line reply (``OK`` or the
    state). Raises :class:`ControlError` naming the commands understood."""
    words = command.strip().upper().split()
    if not words:
        raise ControlError(f"empty command; known: {', '.join(sorted(_COMMANDS))}")
    handler = _COMMANDS.get(words[0])
    if handler is None:
        raise ControlError(f"unknown command {words[0]!r}; known: {', '.join(sorted(_COMMANDS))}")
    try:
        return handler(car, words[1:])
    except (ValueError, IndexError):
        raise ControlError(f"cannot read {command.strip()!r}: {_USAGE[words[0]]}") from None


def _number(words: list[str], low: float, high: float) -> float:
    value = float(words[0])
    if not low <= value <= high:  # also refuses NaN
        raise ValueError(value)
    return value


def _rpm(car: Car, words: list[str]) -> str:
    rpm = _number(words, 0.0, 6500.0)
    state = car.physics.state
    car.driver.hold_rpm(state.t, rpm, state.speed, phase=f"hold_{round(rpm)}")
    return "OK"


def _speed(car: Car, words: list[str]) -> str:
    kmh = _number(words, 0.0, 200.0)
    state = car.physics.state
    car.driver.drive(state.t, kmh, state.speed)
    return "OK"


def _idle(car: Car, words: list[str]) -> str:
    state = car.physics.state
    car.driver.idle(state.t, state.speed)
    return "OK"


def _snap(car: Car, words: list[str]) -> str:
    car.driver.snap(car.physics.state.t)
    return "OK"


def _follow(car: Car, words: list[str]) -> str:
    car.driver.follow()
    return "OK"


def _off(car: Car, words: list[str]) -> str:
    car.driver.engine_off(car.physics.state.t)
    return "OK"


def _on(car: Car, words: list[str]) -> str:
    car.driver.engine_on(car.physics.state.t)
    return "OK"


def wait(car: Car, seconds: float, dt: float | None = None) -> None:
    """Lets ``seconds`` pass: a parked car in one exact step (every lag is exponential),
    a running one in steps of ``dt`` (the car's own step by default)."""
    end = round(car.physics.state.t + seconds, 6)
    if seconds <= 0:
        return
    if not car.driver.ignition:
        car.advance_to(end, seconds)
        return
    car.advance_to(end, dt or car.dt)


def _wait(car: Car, words: list[str]) -> str:
    seconds = _number(words, 0.0, 7 * 24 * 3600.0)
    dt = _number(words[1:], 0.01, 60.0) if len(words) > 1 else None
    wait(car, seconds, dt)
    return "OK"


def _clear(car: Car, words: list[str]) -> str:
    car.diagnostics.clear()
    return "OK"


def _old_code(car: Car, words: list[str]) -> str:
    code = words[0]
    if (
        len(code) != 5
        or code[0] not in "PCBU"
        or not all(c in "0123456789ABCDEF" for c in code[1:])
    ):
        raise ValueError(code)
    car.diagnostics.add_old_code(code)
    return "OK"


def _freeze(car: Car, words: list[str]) -> str:
    if words[0] not in ("ON", "OFF"):
        raise ValueError(words[0])
    car.clock_frozen = words[0] == "ON"
    return "OK"


def drive_history(car: Car, trips: int = 2) -> None:
    """Drives ``trips`` whole trips of the standard cycle with the car's faults (each a
    cold start after a night's soak), parks for the night, and turns the key on again:
    a car that has been driven with its fault (codes set, freeze frame captured)."""
    driver = car.driver
    saved_cycle = driver.cycle
    driver.cycle = STANDARD
    driver.follow()
    for _ in range(trips):
        driver.engine_on(car.physics.state.t)
        wait(car, HISTORY_TRIP_S, HISTORY_DT)
        driver.engine_off(car.physics.state.t)
        wait(car, SOAK_S)
    driver.cycle = saved_cycle
    driver.engine_on(car.physics.state.t)


def _history(car: Car, words: list[str]) -> str:
    trips = int(_number(words, 0, 10)) if words else 2
    if car.driver.ignition:
        car.driver.engine_off(car.physics.state.t)
        wait(car, SOAK_S)
    drive_history(car, trips)
    return "OK"


def state_line(car: Car) -> str:
    """One line describing the car now (the ``STATE`` answer)."""
    s, diag = car.physics.state, car.diagnostics
    codes = ",".join(diag.confirmed) or "-"
    pending = ",".join(c for c in diag.pending if c not in diag.confirmed) or "-"
    return (
        f"T {s.t:.1f} PHASE {s.phase} RUN {int(s.running)} RPM {s.rpm:.0f} "
        f"SPEED {s.speed:.0f} ECT {s.coolant:.1f} TRIP {diag.trip} "
        f"WARMUPS {s.warmups} STORED {codes} PENDING {pending}"
    )


def _state(car: Car, words: list[str]) -> str:
    return state_line(car)


_COMMANDS = {
    "RPM": _rpm,
    "SPEED": _speed,
    "IDLE": _idle,
    "SNAP": _snap,
    "FOLLOW": _follow,
    "OFF": _off,
    "ON": _on,
    "WAIT": _wait,
    "CLEAR": _clear,
    "OLDCODE": _old_code,
    "FREEZE": _freeze,
    "HISTORY": _history,
    "STATE": _state,
}
_USAGE = {
    "RPM": "RPM 0-6500",
    "SPEED": "SPEED 0-200 (km/h)",
    "IDLE": "IDLE",
    "SNAP": "SNAP",
    "FOLLOW": "FOLLOW",
    "OFF": "OFF",
    "ON": "ON",
    "WAIT": "WAIT SECONDS [STEP 0.01-60]",
    "CLEAR": "CLEAR",
    "OLDCODE": "OLDCODE P0442",
    "FREEZE": "FREEZE ON|OFF",
    "HISTORY": "HISTORY [TRIPS]",
    "STATE": "STATE",
}
