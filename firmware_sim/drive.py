"""Drive cycles: what the virtual driver asks for at each moment.

A cycle is a list of phases; each phase lasts a number of seconds and ramps the target
vehicle speed linearly from the previous phase's target to its own (or holds an engine
speed in neutral). After the last phase the cycle loops over its ``loop_from`` phase
onwards, so a simulation can run for as long as a client polls.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """One stretch of driving: ``speed_kmh`` reached at its end, or ``hold_rpm`` in neutral."""

    name: str
    duration_s: float
    speed_kmh: float = 0.0
    hold_rpm: float | None = None


@dataclass(frozen=True)
class Target:
    """What the driver wants now."""

    phase: str
    speed_kmh: float
    hold_rpm: float | None
    cranking: bool


@dataclass(frozen=True)
class DriveCycle:
    """Phases and the index the cycle loops back to once they are over."""

    phases: tuple[Phase, ...]
    loop_from: int = 0
    crank_s: float = 1.0

    def target(self, t: float) -> Target:
        """The driver's demand at ``t`` seconds after the key was turned."""
        if t < self.crank_s:
            return Target("crank", 0.0, None, True)
        t -= self.crank_s
        index, start, previous = self._locate(t)
        phase = self.phases[index]
        fraction = min(1.0, (t - start) / phase.duration_s) if phase.duration_s else 1.0
        speed = previous + (phase.speed_kmh - previous) * fraction
        return Target(phase.name, speed, phase.hold_rpm, False)

    def _locate(self, t: float) -> tuple[int, float, float]:
        """(phase index, phase start time, previous phase's speed) for time ``t``."""
        first = sum(p.duration_s for p in self.phases)
        loop = sum(p.duration_s for p in self.phases[self.loop_from:])
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
