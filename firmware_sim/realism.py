"""Realism of the healthy small petrol car against real recordings (carOBD: a healthy 2014
Toyota Etios 1.5 L, 1 Hz OBD-II logs; see ``shared/data/carobd/README.md`` for the source
and how to cite it).

:func:`real_samples` reads the recordings, :func:`simulated_samples` drives healthy
``small_petrol`` cars the way the recordings were made (parked and idling from a cold
start, town driving) and reads them at 1 Hz as a dongle would; :func:`compare` reports,
per signal, the median and inter-quartile range of each side, how far the medians are
apart and whether the ranges overlap. Used by ``benchmarks/sim_realism.py`` (all the
recordings) and by a test (the few copied into the repository).
"""

from __future__ import annotations

import asyncio
import csv
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# The recordings' column -> the PID name the simulator reports.
COLUMNS = {
    "ENGINE_RUN_TINE": "RUN_TIME",
    "ENGINE_RPM": "RPM",
    "VEHICLE_SPEED": "SPEED",
    "ENGINE_LOAD": "ENGINE_LOAD",
    "COOLANT_TEMPERATURE": "COOLANT_TEMP",
    "LONG_TERM_FUEL_TRIM_BANK_1": "LONG_FUEL_TRIM_1",
    "SHORT_TERM_FUEL_TRIM_BANK_1": "SHORT_FUEL_TRIM_1",
    "INTAKE_MANIFOLD_PRESSURE": "INTAKE_PRESSURE",
    "TIMING_ADVANCE": "TIMING_ADVANCE",
    "CATALYST_TEMPERATURE_BANK1_SENSOR1": "CATALYST_TEMP_B1S1",
    "CONTROL_MODULE_VOLTAGE": "CONTROL_MODULE_VOLTAGE",
}
RECIFE_AIR_C = 28.0  # the recordings were made in Recife, Brazil: warm air
WARM_UP_AT_S = (60, 120, 300, 600)
LOAD_BINS = ((1000, 1500), (1500, 2000), (2000, 2500))

Sample = dict[str, float]


@dataclass(frozen=True)
class Row:
    """One signal's comparison."""

    signal: str
    real: tuple[float, float, float, int]  # q1, median, q3, n
    sim: tuple[float, float, float, int]

    @property
    def median_gap(self) -> float:
        """|sim median - real median| / |real median|. Fuel trims sit around 0, where a
        relative gap means nothing: theirs is the gap in trim points over 10 points (the
        healthy band), so 10 % is one point, about one step of the PID (0.78 %)."""
        real = self.real[1]
        if "FT warm" in self.signal:
            return abs(self.sim[1] - real) / 10.0
        if real == 0:
            return 0.0 if self.sim[1] == 0 else float("inf")
        return abs(self.sim[1] - real) / abs(real)

    @property
    def overlap(self) -> bool:
        """Do the inter-quartile ranges overlap?"""
        return self.real[0] <= self.sim[2] and self.sim[0] <= self.real[2]

    @property
    def ok(self) -> bool:
        """Median within 10 % and overlapping inter-quartile ranges: the issue's goal."""
        return self.median_gap <= 0.10 and self.overlap


# ============================================================================ real data


def read_recording(path: Path) -> list[Sample]:
    """One carOBD CSV -> samples keyed by the simulator's PID names (the README: one
    header line, names ending in ``" ()"``, a trailing comma on every line)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [name.replace(" ()", "").strip() for name in next(reader)]
        rows = []
        for line in reader:
            sample = {}
            for name, text in zip(header, line, strict=False):
                if name in COLUMNS and text.strip():
                    try:
                        sample[COLUMNS[name]] = float(text)
                    except ValueError:
                        break
            else:
                rows.append(sample)
        return rows


def real_samples(folder: Path) -> list[list[Sample]]:
    """Every recording in ``folder`` (``*.csv``), one list of samples each."""
    return [read_recording(path) for path in sorted(folder.glob("*.csv"))]


# ============================================================================ simulated data

# Town driving like the recordings: moderate speeds, stops (km/h, seconds).
TOWN = ((35, 60), (50, 90), (0, 25), (30, 60), (60, 120), (20, 40), (0, 30), (45, 90), (0, 20))


def _drive_car(seed: int, idle_s: int, town_passes: int) -> list[list[Sample]]:
    """One healthy small_petrol car: a cold start idling ``idle_s`` seconds (an idle
    recording), then, after a night, a cold start and town driving."""
    from firmware_sim.cases import LocalReader, _series_names
    from firmware_sim.drive import IDLE_ONLY
    from firmware_sim.ecu import Car
    from firmware_sim.profiles import draw_car

    car = Car(draw_car("small_petrol", seed), [], seed, IDLE_ONLY)
    physics = car.physics
    physics.ambient = RECIFE_AIR_C + (seed % 5) - 2.0
    s = physics.state
    s.coolant = s.coolant_model = s.intake = s.catalyst = s.trans_temp = physics.ambient
    reader = LocalReader(car)
    names = _series_names(asyncio.run(reader.supported_pids()).get(0x7E8, set()))
    names.append("RUN_TIME")

    def record(seconds: int) -> list[Sample]:
        out = []
        for _ in range(seconds):
            car.control("WAIT 1 1")
            out.append(asyncio.run(reader.query(names)))
        return out

    car.control("OFF")
    car.control("WAIT 28800")
    car.control("ON")
    idle = record(idle_s)
    car.control("OFF")
    car.control("WAIT 28800")
    car.control("ON")
    drive = record(30)
    for _ in range(town_passes):
        for kmh, seconds in TOWN:
            car.control(f"SPEED {kmh}")
            drive += record(seconds)
    return [idle, drive]


def simulated_samples(
    cars: int = 6, idle_s: int = 900, town_passes: int = 2, first_seed: int = 1
) -> list[list[Sample]]:
    """``cars`` healthy small petrol cars, each an idle recording and a town drive."""
    out: list[list[Sample]] = []
    for seed in range(first_seed, first_seed + cars):
        out.extend(_drive_car(seed, idle_s, town_passes))
    return out


# ============================================================================ comparing


def _quartiles(values: list[float]) -> tuple[float, float, float, int]:
    if len(values) < 4:
        return (float("nan"), float("nan"), float("nan"), len(values))
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return (round(q1, 2), round(median, 2), round(q3, 2), len(values))


def _running(samples: Iterable[Sample]) -> list[Sample]:
    return [s for s in samples if s.get("RPM", 0.0) > 400.0]


def _warm(samples: Iterable[Sample]) -> list[Sample]:
    return [s for s in _running(samples) if s.get("COOLANT_TEMP", 0.0) >= 80.0]


def _idle(samples: Iterable[Sample]) -> list[Sample]:
    return [s for s in _warm(samples) if s.get("SPEED", 1.0) == 0 and s["RPM"] < 1000]


def signals(recordings: list[list[Sample]]) -> dict[str, list[float]]:
    """Per compared signal, every value of every recording under its conditions."""
    warm = [s for r in recordings for s in _warm(r)]
    idle = [s for r in recordings for s in _idle(r)]
    cruise = [s for s in warm if s.get("SPEED", 0.0) > 40.0]
    out: dict[str, list[float]] = {
        "idle rpm": [s["RPM"] for s in idle],
        "MAP at idle (kPa)": [s["INTAKE_PRESSURE"] for s in idle if "INTAKE_PRESSURE" in s],
        "STFT warm (%)": [s["SHORT_FUEL_TRIM_1"] for s in warm if "SHORT_FUEL_TRIM_1" in s],
        "LTFT warm (%)": [s["LONG_FUEL_TRIM_1"] for s in warm if "LONG_FUEL_TRIM_1" in s],
        "timing at idle (deg)": [s["TIMING_ADVANCE"] for s in idle if "TIMING_ADVANCE" in s],
        "timing at cruise (deg)": [s["TIMING_ADVANCE"] for s in cruise if "TIMING_ADVANCE" in s],
        "catalyst at idle (C)": [
            s["CATALYST_TEMP_B1S1"] for s in idle if "CATALYST_TEMP_B1S1" in s
        ],
        "catalyst at cruise (C)": [
            s["CATALYST_TEMP_B1S1"] for s in cruise if "CATALYST_TEMP_B1S1" in s
        ],
        "module voltage warm (V)": [
            s["CONTROL_MODULE_VOLTAGE"] for s in warm if "CONTROL_MODULE_VOLTAGE" in s
        ],
        "load at idle (%)": [s["ENGINE_LOAD"] for s in idle],
    }
    for low, high in LOAD_BINS:
        out[f"load {low}-{high} rpm driving (%)"] = [
            s["ENGINE_LOAD"] for s in warm if low <= s["RPM"] < high and s.get("SPEED", 0) > 0
        ]
    for at in WARM_UP_AT_S:
        out[f"coolant {at} s after a cold start (C)"] = _warm_up(recordings, at)
    return out


def _warm_up(recordings: list[list[Sample]], at: int) -> list[float]:
    """Coolant ``at`` seconds after each start from below 50 C."""
    values = []
    for recording in recordings:
        running = _running(recording)
        if not running or running[0].get("COOLANT_TEMP", 99.0) >= 50.0:
            continue
        start = running[0].get("RUN_TIME", 0.0)
        for sample in running:
            if abs(sample.get("RUN_TIME", -1.0) - start - at) < 1.0:
                values.append(sample["COOLANT_TEMP"])
                break
    return values


def compare(real: list[list[Sample]], sim: list[list[Sample]]) -> list[Row]:
    """Per signal: quartiles of both sides (see :class:`Row`)."""
    real_signals, sim_signals = signals(real), signals(sim)
    return [
        Row(name, _quartiles(real_signals[name]), _quartiles(sim_signals[name]))
        for name in real_signals
    ]


def table(rows: list[Row]) -> str:
    """A Markdown table of the comparison."""
    lines = [
        "| signal | real q1 / median / q3 (n) | sim q1 / median / q3 (n) | median gap "
        "| IQRs overlap | goal met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.signal} | {row.real[0]:g} / {row.real[1]:g} / {row.real[2]:g} "
            f"({row.real[3]}) | {row.sim[0]:g} / {row.sim[1]:g} / {row.sim[2]:g} "
            f"({row.sim[3]}) | {row.median_gap:.1%} | {'yes' if row.overlap else 'no'}"
            f" | {'yes' if row.ok else 'no'} |"
        )
    return "\n".join(lines)
