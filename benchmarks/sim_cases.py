"""Labelled cases per minute: the fast in-process path (one process and all cores) against
the pty + obdcore client path it stands in for, same seeds. Goal: >= 1,000 cases/min on
the fast path.

    python benchmarks/sim_cases.py [--cases 200] [--pty-cases 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from firmware_sim.cases import case_lines, generate_case_over_pty  # noqa: E402


def _rate(count: int, seconds: float) -> float:
    return count / seconds * 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--pty-cases", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    list(case_lines(range(3)))  # imports and caches warm
    started, cpu = time.perf_counter(), time.process_time()
    sizes = [len(line) for line in case_lines(range(1000, 1000 + args.cases))]
    one = _rate(args.cases, time.perf_counter() - started)
    # CPU time is what a case costs whatever else shares the machine (2 cores, many jobs).
    per_cpu = _rate(args.cases, time.process_time() - cpu)
    started = time.perf_counter()
    list(case_lines(range(2000, 2000 + args.cases), workers=args.workers))
    many = _rate(args.cases, time.perf_counter() - started)
    started = time.perf_counter()
    for seed in range(1000, 1000 + args.pty_cases):
        generate_case_over_pty(seed)
    pty = _rate(args.pty_cases, time.perf_counter() - started)
    print(
        f"fast path, 1 process:      {one:8.0f} cases/min  ({sum(sizes) / len(sizes) / 1000:.0f} "
        "kB a case)"
    )
    print(f"fast path, per CPU-minute: {per_cpu:8.0f} cases/min  (one core to itself)")
    print(f"fast path, {args.workers} processes:    {many:8.0f} cases/min  (goal 1,000)")
    print(f"pty + obdcore client:      {pty:8.1f} cases/min")
    print(f"ratio fast (1 process) / pty: {one / pty:.0f}x")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
