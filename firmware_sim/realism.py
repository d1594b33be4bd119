"""Realism of the healthy small petrol car against real recordings (carOBD: a healthy 2014
Toyota Etios 1.5 L, OBD-II logs of about 2 samples a second; see
``shared/data/carobd/README.md`` for the source and how to cite it).

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

# Town driving (km/h, seconds): used when no recorded speed trace is given.
TOWN = ((35, 60), (50, 90), (0, 25), (30, 60), (60, 120), (20, 40), (0, 30), (45, 90), (0, 20))


def by_run_second(recording: list[Sample]) -> list[Sample]:
    """One sample per second of engine run time. The logger read about two samples a
    second (the ECU's run-time PID and its minutes-since-clear counter both say so, not
    the one a second the dataset's notes give): the last sample of each whole second.
    Rows before the engine starts (run time 0, no rpm) are dropped."""
    out: dict[float, Sample] = {}
    for sample in recording:
        if sample.get("RPM", 0.0) > 400.0 or sample.get("RUN_TIME", 0.0) > 0:
            out[sample.get("RUN_TIME", 0.0)] = sample
    return [out[t] for t in sorted(out)]


def speed_traces(recordings: list[list[Sample]]) -> list[list[float]]:
    """The vehicle speed, second by second of engine run time, of every recording that
    moves: the driving the simulated car is put through, so that both cars are compared
    on the same roads and traffic (the gears, rpm, load and the rest stay the
    simulator's own)."""
    return [[s.get("SPEED", 0.0) for s in by_run_second(r)] for r in _moving(recordings)]


def start_temperatures(recordings: list[list[Sample]]) -> tuple[list[float], list[float]]:
    """The coolant at engine start of each parked recording and of each moving one (in
    :func:`speed_traces`' order): the simulated cars start where the real one did (many
    real "cold" starts are restarts within the hour, at 26-48 C)."""

    def start(recording: list[Sample]) -> float:
        running = _running(recording)
        return running[0]["COOLANT_TEMP"] if running else RECIFE_AIR_C

    moving = _moving(recordings)
    parked = [r for r in recordings if not any(r is m for m in moving)]
    return [start(r) for r in parked], [start(r) for r in moving]


def _moving(recordings: list[list[Sample]]) -> list[list[Sample]]:
    return [r for r in recordings if any(s.get("SPEED", 0.0) > 0 for s in r)]


def _town_trace(passes: int) -> list[float]:
    trace = [0.0] * 30
    for _ in range(passes):
        for kmh, seconds in TOWN:
            trace += [float(kmh)] * seconds
    return trace


def drive_car(
    seed: int,
    idle_s: int,
    trace: list[float],
    fuel_bias: float | None = None,
    idle_start_c: float | None = None,
    drive_start_c: float | None = None,
) -> list[list[Sample]]:
    """One healthy small_petrol car (its aged trim set to ``fuel_bias`` if given): a
    start idling ``idle_s`` seconds (an idle recording), then, after a night, a start
    and the speed ``trace`` driven second by second. Each start is from the air
    temperature, or from ``idle_start_c`` / ``drive_start_c`` (a restart of an engine
    that has cooled to that coolant temperature since it was last driven)."""
    from dataclasses import replace

    from firmware_sim.cases import LocalReader, _series_names
    from firmware_sim.drive import IDLE_ONLY
    from firmware_sim.ecu import Car
    from firmware_sim.profiles import draw_car

    profile = draw_car("small_petrol", seed)
    if fuel_bias is not None:
        profile = replace(profile, fuel_bias=fuel_bias)
    car = Car(profile, [], seed, IDLE_ONLY)
    physics = car.physics
    physics.ambient = RECIFE_AIR_C + (seed % 5) - 2.0
    s = physics.state
    s.coolant = s.coolant_model = s.block = s.block_model = physics.ambient
    s.intake = s.catalyst = s.trans_temp = physics.ambient
    reader = LocalReader(car)
    names = _series_names(asyncio.run(reader.supported_pids()).get(0x7E8, set()))
    names.append("RUN_TIME")

    def sample() -> Sample:
        car.control("WAIT 1 1")
        return asyncio.run(reader.query(names))

    def start(coolant_c: float | None) -> None:
        car.control("OFF")
        car.control("WAIT 28800")
        if coolant_c is not None and coolant_c > physics.ambient + 1.0:
            # A restart: the engine was warm, then stood until its coolant fell to
            # ``coolant_c`` (the block, more metal, holds its heat longer).
            car.control("ON")
            car.control("WAIT 1500")
            car.control("OFF")
            while s.coolant > coolant_c:
                car.control("WAIT 60")
        car.control("ON")

    start(idle_start_c)
    idle = [sample() for _ in range(idle_s)]
    start(drive_start_c)
    drive = []
    for kmh in trace:
        car.control(f"SPEED {min(200.0, max(0.0, kmh)):g}")
        drive.append(sample())
    return [idle, drive]


def simulated_samples(
    cars: int = 6,
    idle_s: int = 900,
    town_passes: int = 2,
    first_seed: int = 1,
    traces: list[list[float]] | None = None,
    fuel_bias: float | None = None,
    starts: tuple[list[float], list[float]] | None = None,
) -> list[list[Sample]]:
    """``cars`` healthy small petrol cars, each an idle recording and a drive: car ``i``
    drives ``traces[i % len(traces)]`` (recorded speeds), or the town loop
    ``town_passes`` times when no trace is given. ``starts`` (from
    :func:`start_temperatures`): car ``i``'s idle starts at the coolant of parked
    recording ``i``, its drive at that of the recording whose trace it drives;
    without it every start is from the air temperature."""
    out: list[list[Sample]] = []
    for index, seed in enumerate(range(first_seed, first_seed + cars)):
        trace = traces[index % len(traces)] if traces else _town_trace(town_passes)
        idle_c = drive_c = None
        if starts:
            idle_starts, drive_starts = starts
            idle_c = idle_starts[index % len(idle_starts)] if idle_starts else None
            if traces and len(drive_starts) == len(traces):
                drive_c = drive_starts[index % len(traces)]
        out.extend(drive_car(seed, idle_s, trace, fuel_bias, idle_c, drive_c))
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
    # The recordings' "cold" starts begin anywhere from 26 to 48 C (restarts within the
    # hour), the simulated ones from the air temperature: the rise since the start
    # compares the warm-up itself.
    for at in WARM_UP_AT_S:
        out[f"coolant rise {at} s after a cold start (C)"] = _warm_up(recordings, at, rise=True)
    return out


def _warm_up(recordings: list[list[Sample]], at: int, rise: bool = False) -> list[float]:
    """Coolant ``at`` seconds after each start from below 50 C (``rise``: minus the
    coolant at the start)."""
    values = []
    for recording in recordings:
        running = _running(recording)
        if not running or running[0].get("COOLANT_TEMP", 99.0) >= 50.0:
            continue
        start = running[0].get("RUN_TIME", 0.0)
        for sample in running:
            if abs(sample.get("RUN_TIME", -1.0) - start - at) < 1.0:
                base = running[0]["COOLANT_TEMP"] if rise else 0.0
                values.append(sample["COOLANT_TEMP"] - base)
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


# ============================================================================ long-term trim
#
# A healthy car's long-term trim is its own aged offset: each simulated car draws one in
# about +-7 %, so a handful of simulated cars against one real car compares a population
# with one member. Two fair questions instead: does the real car's median fall inside the
# population of simulated cars' medians (:func:`ltft_population`), and does a car whose
# one free parameter (its aged trim) is fitted on half of the recordings reproduce the
# other half (:func:`fit_fuel_bias`, never fitted on what it is measured on)?


def median_ltft(recordings: list[list[Sample]]) -> float:
    """Median long-term trim (%) of every warm sample (NaN when none is warm)."""
    values = [
        s["LONG_FUEL_TRIM_1"] for r in recordings for s in _warm(r) if "LONG_FUEL_TRIM_1" in s
    ]
    return statistics.median(values) if values else float("nan")


def ltft_population(cars: int = 40, first_seed: int = 1, idle_s: int = 1200) -> list[float]:
    """Median warm long-term trim (%) of each of ``cars`` healthy small petrol cars, each
    a cold start idling ``idle_s`` seconds."""
    return [
        median_ltft(drive_car(seed, idle_s, [])) for seed in range(first_seed, first_seed + cars)
    ]


def split_halves(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Recordings in name order, alternately to the fitting and the measuring half."""
    ordered = sorted(paths)
    return ordered[0::2], ordered[1::2]


def fit_fuel_bias(fit: list[list[Sample]], seed: int = 1, idle_s: int = 1200) -> float:
    """The aged trim (a fraction) that makes car ``seed`` read the warm long-term trim
    median of the ``fit`` recordings: two corrections of a first guess, each measured by
    simulating the car."""
    target = median_ltft(fit)
    bias = target / 100.0
    for _ in range(2):
        reads = median_ltft(drive_car(seed, idle_s, [], fuel_bias=bias))
        bias += (target - reads) / 100.0
    return bias


def gear_ratios(recordings: list[list[Sample]], min_share: float = 0.005) -> list[float]:
    """Engine rpm per km/h of each gear, read off steady driving (speed and rpm both
    steady over three samples, above 10 km/h): the peaks of the histogram of
    rpm / speed in 1-wide bins, highest ratio (first gear) first."""
    counts: dict[int, int] = {}
    for recording in recordings:
        for before, now, after in zip(recording, recording[1:], recording[2:], strict=False):
            speed, rpm = now.get("SPEED", 0.0), now.get("RPM", 0.0)
            steady = (
                abs(before.get("SPEED", 0.0) - after.get("SPEED", 0.0)) <= 1
                and abs(before.get("RPM", 0.0) - after.get("RPM", 0.0)) < 60
            )
            if speed > 10 and rpm > 1000 and steady:
                counts[round(rpm / speed)] = counts.get(round(rpm / speed), 0) + 1
    total = sum(counts.values()) or 1
    smooth = {r: sum(counts.get(r + d, 0) for d in range(-2, 3)) for r in counts}
    peaks = [
        ratio
        for ratio, n in smooth.items()
        if counts[ratio] / total >= min_share
        and all(n > smooth.get(ratio + d, 0) for d in (-4, -3, -2, -1))
        and all(n >= smooth.get(ratio + d, 0) for d in (1, 2, 3, 4))
    ]
    return sorted(peaks, reverse=True)
