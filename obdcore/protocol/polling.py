"""Which PIDs to ask for next, sans I/O: a refresh rate per PID, several PIDs per request.

A dashboard wants engine speed ten times a second and coolant temperature every two
seconds; asking for everything at the fastest rate would waste most of a slow link.
:class:`Scheduler` keeps a due time per PID and hands out the due ones that waited longest,
up to the number one request may carry (6 on CAN). It never reads a clock: the caller
passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass

from obdcore.errors import ArgumentError

# Refresh rates (Hz) that make a good dashboard: fast-changing values often, slow ones
# rarely. Anything not listed gets DEFAULT_RATE_HZ.
DEFAULT_RATES_HZ: dict[str, float] = {
    "RPM": 10.0,
    "THROTTLE_POS": 10.0,
    "SPEED": 5.0,
    "ENGINE_LOAD": 5.0,
    "MAF": 5.0,
    "INTAKE_PRESSURE": 5.0,
    "TIMING_ADVANCE": 5.0,
    "RELATIVE_THROTTLE_POS": 5.0,
    "ACCELERATOR_POS_D": 5.0,
    "ACCELERATOR_POS_E": 5.0,
    "SHORT_FUEL_TRIM_1": 2.0,
    "SHORT_FUEL_TRIM_2": 2.0,
    "LONG_FUEL_TRIM_1": 0.5,
    "LONG_FUEL_TRIM_2": 0.5,
    "COOLANT_TEMP": 0.5,
    "INTAKE_TEMP": 0.5,
    "OIL_TEMP": 0.5,
    "FUEL_LEVEL": 0.1,
    "AMBIANT_AIR_TEMP": 0.1,
    "BAROMETRIC_PRESSURE": 0.1,
    "CONTROL_MODULE_VOLTAGE": 1.0,
}
DEFAULT_RATE_HZ = 1.0


def default_rate(name: str) -> float:
    """The refresh rate (Hz) a dashboard uses for ``name``."""
    return DEFAULT_RATES_HZ.get(name, DEFAULT_RATE_HZ)


@dataclass
class PollItem:
    """One PID on the schedule: the field names it carries and its period (0: as often as
    the link allows)."""

    mode: int
    pid: int
    names: tuple[str, ...]
    period: float
    due: float = 0.0
    turn: int = 0  # when it was last polled (a counter): the longest-waiting goes first


class Scheduler:
    """Hands out due PIDs, least recently polled first, at most ``per_request`` at a time.

    ``items``: the PIDs to poll; ``per_request``: PIDs one request may carry; ``now``: the
    caller's clock at the start.
    """

    def __init__(self, items: list[PollItem], per_request: int = 6, now: float = 0.0):
        if not items:
            raise ArgumentError("nothing to poll")
        self.items = items
        self.per_request = max(1, per_request)
        self._turns = 0
        for item in items:  # everything is due at the start
            item.due = now

    def next_request(self, now: float) -> list[PollItem]:
        """The PIDs to ask for now (same mode), empty when none is due yet."""
        due = sorted((item for item in self.items if item.due <= now), key=lambda item: item.turn)
        if not due:
            return []
        mode = due[0].mode
        return [item for item in due if item.mode == mode][: self.per_request]

    def done(self, items: list[PollItem], now: float) -> None:
        """Marks ``items`` as polled at ``now``: each is due again one period after its
        last due time, but never earlier than ``now``: a link that fell behind polls as
        fast as it can instead of bursting to make up for missed samples."""
        for item in items:
            item.due = max(item.due + item.period, now) if item.period else now
            self._turns += 1
            item.turn = self._turns

    def wait_time(self, now: float) -> float:
        """Seconds until the next PID is due (0 when one is due now)."""
        return max(0.0, min(item.due for item in self.items) - now)
