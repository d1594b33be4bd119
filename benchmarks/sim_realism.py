"""Realism of the simulator's healthy small petrol car against the real carOBD recordings
of a healthy 2014 Toyota Etios 1.5 L (every recording in ``../shared/data/carobd``, or
the folder given): per signal, median and inter-quartile range of each side; the goal is
medians within 10 % and overlapping inter-quartile ranges.

    python benchmarks/sim_realism.py [--cars 8] [--data DIR]

Data: carOBD (github.com/eron93br/carOBD), cite "Detecting Anomalies in the Engine Coolant
Sensor Using One-Class Classifiers" (IEEE Xplore 8891367).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from firmware_sim.realism import compare, real_samples, simulated_samples, table  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "carobd"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=8)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no recordings in {args.data}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    real = real_samples(args.data)
    sim = simulated_samples(cars=args.cars)
    rows = compare(real, sim)
    print(
        f"{len(real)} real recordings, {len(sim)} simulated ({args.cars} cars), "
        f"{time.perf_counter() - started:.1f} s\n"
    )
    print(table(rows))
    met = sum(row.ok for row in rows)
    print(f"\ngoal met on {met} of {len(rows)} signals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
