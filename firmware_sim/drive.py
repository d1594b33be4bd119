"""Drive cycles and the driver: what the virtual driver asks for at each moment.

A cycle is a list of phases; each phase lasts a number of seconds and ramps the target
vehicle speed linearly from the previous phase's target to its own (or holds an engine
speed in neutral). After the last phase the cycle loops over its ``loop_from`` phase
onwards, so a simulation can run for as long as a client polls.

:class:`Driver` follows a cycle from each key-on and takes orders on the way (the
guided-test control interface): hold an engine speed, drive at a speed, idle, snap the
throttle, switch the engine off and on again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

SNAP_S = 1.2  # a throttle snap: full pedal in neutral for about a second, then release
SNAP_RPM = 4200.0
ORDER_ACCEL_KMH_S = 5.4  # km/h per second: a driver told to reach a new speed


@dataclass(frozen=True)
class Phase:
    """One stretch of driving: ``speed_kmh`` reached at its end, or ``hold_rpm`` in neutral."""

    name: str
    duration_s: float
    speed_kmh: float = 0.0
    hold_rpm: float | None = None


@dataclass(frozen=True)
class Target:
    """What the driver wants now. ``key_s``: seconds since the key was turned on;
    ``ignition`` False: the key is off. ``snap``: the pedal is floored in neutral."""

    phase: str
    speed_kmh: float
    hold_rpm: float | None
    cranking: bool
    key_s: float = 0.0
    ignition: bool = True
    snap: bool = False


@dataclass(frozen=True)
class DriveCycle:
    """Phases and the index the cycle loops back to once they are over."""

    phases: tuple[Phase, ...]
    loop_from: int = 0
    crank_s: float = 1.0

    def target(self, t: float) -> Target:
        """The driver's demand at ``t`` seconds after the key was turned."""
        if t < self.crank_s:
            return Target("crank", 0.0, None, True, t)
        t -= self.crank_s
        index, start, previous = self._locate(t)
        phase = self.phases[index]
        fraction = min(1.0, (t - start) / phase.duration_s) if phase.duration_s else 1.0
        speed = previous + (phase.speed_kmh - previous) * fraction
        return Target(phase.name, speed, phase.hold_rpm, False, t + self.crank_s)

    @cached_property
    def _lengths(self) -> tuple[float, float]:
        first = sum(p.duration_s for p in self.phases)
        return first, sum(p.duration_s for p in self.phases[self.loop_from :])

    def _locate(self, t: float) -> tuple[int, float, float]:
        """(phase index, phase start time, previous phase's speed) for time ``t``."""
        first, loop = self._lengths
        if t >= first and loop > 0:
            t = first - loop + (t - first) % loop
        start, previous = 0.0, 0.0
        for index, phase in enumerate(self.phases):
            if t < start + phase.duration_s or index == len(self.phases) - 1:
                return index, start, previous
            start += phase.duration_s
            previous = phase.speed_kmh
        raise AssertionError("unreachable: a cycle has at least one phase")

    @property
    def length_s(self) -> float:
        """Duration of one pass, cranking included."""
        return self.crank_s + sum(p.duration_s for p in self.phases)


class Driver:
    """The person at the wheel: follows ``cycle`` from every key-on unless given an order.

    Orders (all take the simulated time ``t`` they are given at): :meth:`hold_rpm`,
    :meth:`drive`, :meth:`idle`, :meth:`snap`, :meth:`follow`, :meth:`engine_off`,
    :meth:`engine_on`. An order lasts until the next one; the key state lasts until
    changed.
    """

    def __init__(self, cycle: DriveCycle):
        self.cycle = cycle
        self.ignition = True
        self.key_on_at = 0.0
        self.order: tuple[str, float, float | None] | None = None  # (phase, speed, rpm)
        self.snap_until = -1.0
        self._order_from = 0.0
        self._speed_from = 0.0

    def target(self, t: float) -> Target:
        """What the driver wants at simulated time ``t``."""
        if not self.ignition:
            return Target("off", 0.0, None, False, 0.0, False)
        key_s = t - self.key_on_at
        if key_s < self.cycle.crank_s:
            return Target("crank", 0.0, None, True, key_s)
        if t < self.snap_until:
            return Target("snap_throttle", 0.0, SNAP_RPM, False, key_s, snap=True)
        if self.order is None:
            target = self.cycle.target(key_s)
            return Target(target.phase, target.speed_kmh, target.hold_rpm, False, key_s)
        phase, speed, rpm = self.order
        # A new speed is reached at a moderate 1.5 m/s2, as a driver asked to would.
        reach = self._speed_from + (t - self._order_from) * ORDER_ACCEL_KMH_S * (
            1.0 if speed >= self._speed_from else -1.0
        )
        low, high = sorted((self._speed_from, speed))
        return Target(phase, min(high, max(low, reach)), rpm, False, key_s)

    def _set(
        self, t: float, phase: str, speed: float, rpm: float | None, current_speed: float
    ) -> None:
        self.order = (phase, speed, rpm)
        self._order_from, self._speed_from = t, current_speed

    def hold_rpm(
        self, t: float, rpm: float, current_speed: float = 0.0, phase: str = "hold"
    ) -> None:
        """Stop (if moving), select neutral and hold ``rpm`` with the pedal."""
        self._set(t, phase, 0.0, rpm, current_speed)

    def drive(self, t: float, kmh: float, current_speed: float = 0.0, phase: str = "drive") -> None:
        """Drive at ``kmh`` (reached at a moderate acceleration)."""
        self._set(t, phase, kmh, None, current_speed)

    def idle(self, t: float, current_speed: float = 0.0, phase: str = "idle") -> None:
        """Stop and let the engine idle."""
        self._set(t, phase, 0.0, None, current_speed)

    def snap(self, t: float) -> None:
        """Floor the pedal in neutral for about a second, then release it."""
        self.snap_until = t + SNAP_S

    def follow(self) -> None:
        """Back to the drive cycle (from where the time since key-on puts it)."""
        self.order = None

    def engine_off(self, t: float) -> None:
        """Key off: the engine stops; the ECU ends its driving cycle."""
        self.ignition = False

    def engine_on(self, t: float) -> None:
        """Key on and crank: a new ignition cycle (the cycle starts over)."""
        if not self.ignition:
            self.ignition = True
            self.key_on_at = t


STANDARD = DriveCycle(
    phases=(
        Phase("cold_idle", 90.0),
        Phase("accelerate", 12.0, 50.0),
        Phase("cruise_50", 120.0, 50.0),
        Phase("accelerate", 10.0, 90.0),
        Phase("cruise_90", 240.0, 90.0),
        Phase("decelerate", 15.0, 0.0),
        Phase("idle", 30.0),
        Phase("hold_2500", 60.0, 0.0, 2500.0),
        Phase("idle", 30.0),
        Phase("accelerate", 8.0, 40.0),
        Phase("cruise_40", 60.0, 40.0),
        Phase("decelerate", 8.0, 0.0),
        Phase("stop", 20.0),
    ),
    loop_from=1,
)
"""The issue's cycle: cold start, idle, accelerate, cruise, hold 2,500 rpm, stop; about
12 minutes, enough to warm the engine and complete every readiness monitor."""

IDLE_ONLY = DriveCycle(phases=(Phase("idle", 60.0),))
"""A parked car idling, for tests that want stable values."""

CYCLES = {"standard": STANDARD, "idle": IDLE_ONLY}
