"""Benchmark of the product KPI: connect-to-result time of the guided test on the simulator
in realistic timing (ELM327 latencies), against the 2-minute goal.

Starts ``firmware_sim.Simulator`` on TCP with a fault, connects obdcore's client, runs
``diagnostics.runner.run_guided_test`` with the plan's phase lengths and 1 Hz sampling, and
prints the phases run, the wall time from connect to result and the ratio goal/measured.

    python benchmarks/diagnosis_guided.py --fault vacuum_leak@0.8
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOAL_S = 120.0


async def _run(url: str):
    from diagnostics.runner import SimulatorDriver, run_guided_test
    from obdcore.client import Client

    driver = SimulatorDriver(lambda text: print(text), lambda name, value: None)
    started = time.monotonic()
    async with Client(url) as car:
        result = await run_guided_test(car, driver)
    return result, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=[])
    parser.add_argument("--timing", default="realistic")
    # 300: a warm engine, as `novaevo sim` and --sim serve it (0: a car whose key was just
    # turned, which idles cold).
    parser.add_argument("--start-s", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=None, help="the simulated car's seed")
    args = parser.parse_args()
    import firmware_sim

    with firmware_sim.Simulator(
        transport="tcp",
        faults=args.fault,
        timing=args.timing,
        start_s=args.start_s,
        **({"seed": args.seed} if args.seed is not None else {}),
    ) as sim:
        result, elapsed = asyncio.run(_run(sim.url))
    top = result.diagnosis.causes[0] if result.diagnosis.causes else None
    print(f"faults {args.fault or ['none']}, timing {args.timing}")
    print(f"phases run: {', '.join(result.phases_run)}; stopped early: {result.stopped_early}")
    print(f"wait for closed loop: {result.warm_up}; dropped: {result.dropped or 'none'}")
    print(
        f"result: {result.diagnosis.status}, top {top.cause if top else '-'} "
        f"{top.probability if top else 0:.0%}"
    )
    print(f"connect-to-result {elapsed:.1f} s; goal {GOAL_S:.0f} s: ratio {GOAL_S / elapsed:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
