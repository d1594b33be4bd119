"""Realism of the simulator's healthy small petrol car against the real carOBD recordings
of a healthy 2014 Toyota Etios 1.5 L (every recording in ``../shared/data/carobd``, or
the folder given): per signal, median and inter-quartile range of each side; the goal is
medians within 10 % and overlapping inter-quartile ranges.

    python benchmarks/sim_realism.py [--cars 8] [--population 40] [--data DIR]

Three comparisons: (1) ``--cars`` drawn healthy cars, each driven along one recording's
speed trace, against every recording; (2) the long-term trim of a population of drawn
cars (each its own aged offset) against where the real car's median falls; (3) an
Etios-matched car, its aged trim fitted on half of the recordings (alternate files in
name order) and measured on the other half. Plus the gear ratios read off the recordings.

Data: carOBD (github.com/eron93br/carOBD), cite "Detecting Anomalies in the Engine Coolant
Sensor Using One-Class Classifiers" (IEEE Xplore 8891367).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from firmware_sim.profiles import draw_car  # noqa: E402
from firmware_sim.realism import (  # noqa: E402
    compare,
    drive_car,
    fit_fuel_bias,
    gear_ratios,
    ltft_population,
    median_ltft,
    read_recording,
    simulated_samples,
    speed_traces,
    split_halves,
    start_temperatures,
    table,
)

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "carobd"


def _population(real: list, cars: int) -> None:
    medians = ltft_population(cars=cars)
    q1, median, q3 = statistics.quantiles(medians, n=4, method="inclusive")
    real_median = median_ltft(real)
    below = sum(m < real_median for m in medians) / len(medians)
    inside = q1 <= real_median <= q3
    print(
        f"\n(2) long-term trim, warm: {cars} drawn cars' medians q1 / median / q3 = "
        f"{q1:.2f} / {median:.2f} / {q3:.2f} %, range {min(medians):.2f} .. "
        f"{max(medians):.2f} %; the real car's median {real_median:.2f} % sits at the "
        f"{below:.0%} point of the population, {'inside' if inside else 'outside'} its IQR"
    )


def _matched(paths: list[Path], idle_s: int) -> None:
    fit_paths, measure_paths = split_halves(paths)
    fit = [read_recording(p) for p in fit_paths]
    measure = [read_recording(p) for p in measure_paths]
    # The first drawn car that reports its run time and catalyst temperature (PIDs 1F,
    # 3C: some cars do not), so that every signal is compared.
    seed = next(
        n for n in range(1, 100) if not {0x1F, 0x3C} & draw_car("small_petrol", n).dropped_pids
    )
    bias = fit_fuel_bias(fit, seed=seed)
    idle_starts, drive_starts = start_temperatures(measure)
    sim = []
    for index, trace in enumerate(speed_traces(measure)):
        idle_c = idle_starts[index % len(idle_starts)]
        sim.extend(drive_car(seed, idle_s, trace, bias, idle_c, drive_starts[index]))
    rows = compare(measure, sim)
    print(
        f"\n(3) Etios-matched car (seed {seed}, aged trim {bias:+.2%} fitted on {len(fit)} files: "
        f"{', '.join(p.stem for p in fit_paths)}), measured on the other {len(measure)}:\n"
    )
    print(table(rows))
    print(f"\ngoal met on {sum(r.ok for r in rows)} of {len(rows)} signals")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=8)
    parser.add_argument("--population", type=int, default=40)
    parser.add_argument("--idle-s", type=int, default=900)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no recordings in {args.data}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    paths = sorted(args.data.glob("*.csv"))
    real = [read_recording(p) for p in paths]
    print(
        "gear ratios (rpm per km/h, steady driving):",
        ", ".join(f"{r:g}" for r in gear_ratios(real)),
    )
    sim = simulated_samples(
        cars=args.cars,
        idle_s=args.idle_s,
        traces=speed_traces(real),
        starts=start_temperatures(real),
    )
    rows = compare(real, sim)
    print(f"\n(1) {len(real)} real recordings, {len(sim)} simulated ({args.cars} drawn cars)\n")
    print(table(rows))
    print(f"\ngoal met on {sum(r.ok for r in rows)} of {len(rows)} signals")
    _population(real, args.population)
    _matched(paths, args.idle_s)
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
