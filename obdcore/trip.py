"""A trip computer from streamed values: distance, average speed, trip time, fuel rate,
fuel used and economy, as car dashboards and OBD apps show them. Pure (no I/O, no clock:
every sample carries its time).

Fuel comes from the engine fuel-rate PID (01 5E, litres per hour) when the car reports
it, else from the mass air flow (01 10, g/s) at the stoichiometric air-fuel ratio:
``L/h = MAF / AFR / density * 3600``. Petrol burns stoichiometric when warm, so the MAF
estimate is close; a diesel runs lean (lambda 1.5-4), so for a diesel without PID 5E the
MAF estimate is an upper bound, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Stoichiometric air-fuel ratios (mass) and densities at 15 °C (EN 228 petrol: 720-775
# kg/m³; EN 590 diesel: 820-845 kg/m³): the usual mid values.
STOICHIOMETRIC_AFR = {"petrol": 14.7, "diesel": 14.5}
DENSITY_G_PER_L = {"petrol": 745.0, "diesel": 832.0}
MAX_GAP_S = 5.0  # samples further apart than this: the link paused, do not interpolate
MOVING_KMH = 2.0  # below this the car is standing: no instant economy per distance


def fuel_kind(fuel_type: str | None) -> str:
    """``petrol`` or ``diesel`` from PID 01 51's text (``gasoline``, ``diesel``,
    ``bifuel running gasoline``...); petrol when unknown."""
    text = (fuel_type or "").lower()
    return "diesel" if "diesel" in text else "petrol"


def fuel_rate_from_maf(maf_g_per_s: float, fuel: str = "petrol") -> float:
    """Litres per hour burnt for ``maf_g_per_s`` grams of air a second at the
    stoichiometric ratio of ``fuel`` (``petrol`` or ``diesel``)."""
    return maf_g_per_s / STOICHIOMETRIC_AFR[fuel] / DENSITY_G_PER_L[fuel] * 3600.0


@dataclass
class Integral:
    """The time integral of one value (trapezoids between samples), per hour: a speed in
    km/h integrates to km, a fuel rate in L/h to litres."""

    total: float = 0.0
    last_at: float | None = None
    last: float | None = None

    def add(self, at: float, value: float) -> None:
        if self.last_at is not None and self.last is not None:
            gap = at - self.last_at
            if 0 < gap <= MAX_GAP_S:
                self.total += (self.last + value) / 2 * gap / 3600.0
        self.last_at, self.last = at, value


@dataclass
class Trip:
    """A trip so far. Feed it with :meth:`speed` (km/h) and :meth:`fuel_rate` (L/h) or
    :meth:`maf` (g/s) samples as they arrive, each with its time in seconds."""

    fuel: str = "petrol"
    started_at: float | None = None
    ended_at: float | None = None
    distance: Integral = field(default_factory=Integral)
    burnt: Integral = field(default_factory=Integral)
    method: str | None = None  # "fuel_rate_pid" or "maf" once a fuel sample came

    def _seen(self, at: float) -> None:
        self.started_at = at if self.started_at is None else min(self.started_at, at)
        self.ended_at = at if self.ended_at is None else max(self.ended_at, at)

    def speed(self, at: float, kmh: float) -> None:
        self._seen(at)
        self.distance.add(at, kmh)

    def fuel_rate(self, at: float, litres_per_hour: float) -> None:
        self._seen(at)
        self.method = "fuel_rate_pid"
        self.burnt.add(at, litres_per_hour)

    def maf(self, at: float, grams_per_second: float) -> None:
        self._seen(at)
        self.method = "maf"
        self.burnt.add(at, fuel_rate_from_maf(grams_per_second, self.fuel))

    # ------------------------------------------------------------------ figures

    @property
    def seconds(self) -> float:
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return self.ended_at - self.started_at

    @property
    def average_speed(self) -> float | None:
        """km/h over the whole trip time, stops included (as trip computers count)."""
        return self.distance.total / (self.seconds / 3600.0) if self.seconds > 0 else None

    @property
    def average_economy(self) -> float | None:
        """L/100 km over the trip (None before 100 m or without a fuel source)."""
        if self.method is None or self.distance.total < 0.1:
            return None
        return self.burnt.total / self.distance.total * 100.0

    @property
    def instant_economy(self) -> float | None:
        """L/100 km now (None standing still or without both values)."""
        speed, rate = self.distance.last, self.burnt.last
        if speed is None or rate is None or speed < MOVING_KMH:
            return None
        return rate / speed * 100.0

    def document(self) -> dict:
        """Every figure with its metric unit: ``{"name": {"value", "unit"}}`` plus the
        fuel, the method and a note on how far to trust it."""
        figures = {
            "trip_time": (self.seconds, "s"),
            "distance": (self.distance.total, "km"),
            "average_speed": (self.average_speed, "km/h"),
            "speed": (self.distance.last, "km/h"),
            "fuel_rate": (self.burnt.last, "L/h"),
            "instant_economy": (self.instant_economy, "L/100km"),
            "fuel_used": (self.burnt.total if self.method else None, "L"),
            "average_economy": (self.average_economy, "L/100km"),
        }
        return {
            "figures": {
                name: {"value": _finite(value), "unit": unit}
                for name, (value, unit) in figures.items()
            },
            "fuel": self.fuel,
            "method": self.method,
            "note": self._note(),
        }

    def _note(self) -> str:
        if self.method == "fuel_rate_pid":
            return "fuel from the engine's own fuel rate (PID 5E)"
        if self.method == "maf" and self.fuel == "diesel":
            return (
                "fuel estimated from the air flow at the stoichiometric ratio: a diesel runs "
                "lean, so this is an upper bound (the car reports no fuel rate, PID 5E)"
            )
        if self.method == "maf":
            return "fuel estimated from the air flow (MAF) at petrol's stoichiometric ratio"
        return "no fuel figures: the car reports neither fuel rate (PID 5E) nor air flow (MAF)"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
