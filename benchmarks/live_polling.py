"""Live polling speed: python-obd and obdcore on the same 12-PID dashboard, same run.

Each client gets a fresh simulator in realistic timing (38,400-baud serial over a pty,
fixed ECU latency 25 ms + up to 10 ms jitter, two ECUs), connects, reads its first value,
then polls the dashboard as fast as it can for ``--seconds``. Printed per client: time
from connect to first value, PIDs/s; then the ratio. Run:

    .venv/bin/python benchmarks/live_polling.py --seconds 10 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time

from firmware_sim import Simulator

DASHBOARD = [
    "RPM",
    "SPEED",
    "COOLANT_TEMP",
    "MAF",
    "THROTTLE_POS",
    "ENGINE_LOAD",
    "INTAKE_TEMP",
    "TIMING_ADVANCE",
    "INTAKE_PRESSURE",
    "SHORT_FUEL_TRIM_1",
    "LONG_FUEL_TRIM_1",
    "FUEL_LEVEL",
]


def python_obd(url: str, seconds: float) -> tuple[float, float]:
    """python-obd 0.7.3 with its defaults (fast mode on): one PID per request."""
    import obd

    obd.logger.setLevel(logging.ERROR)
    started = time.monotonic()
    connection = obd.OBD(url, baudrate=38400)
    first = connection.query(obd.commands.RPM)
    first_value_s = time.monotonic() - started
    assert first.value is not None, "python-obd read no RPM"
    commands = [obd.commands[name] for name in DASHBOARD]
    values, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        for command in commands:
            values += connection.query(command).value is not None
    rate = values / (time.monotonic() - started)
    connection.close()
    return first_value_s, rate


async def _obdcore(url: str, seconds: float) -> tuple[float, float]:
    from obdcore.io.client import Client

    started = time.monotonic()
    async with Client(url) as car:
        first = await car.query("RPM")
        first_value_s = time.monotonic() - started
        assert first.value("RPM") is not None, "obdcore read no RPM"
        values, started = 0, time.monotonic()
        async for _sample in car.stream(DASHBOARD, rates=0):
            values += 1
            if time.monotonic() - started >= seconds:
                break
        return first_value_s, values / (time.monotonic() - started)


def obdcore(url: str, seconds: float) -> tuple[float, float]:
    """obdcore's asyncio client: 6 PIDs per request, counted answers, one ECU addressed."""
    return asyncio.run(_obdcore(url, seconds))


def measure(client, seconds: float, seed: int) -> tuple[float, float]:
    with Simulator(transport="pty", timing="realistic", start_s=300, seed=seed) as sim:
        return client(sim.url, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"python-obd": [], "obdcore": []}
    for round_number in range(args.rounds):
        for name, client in (("python-obd", python_obd), ("obdcore", obdcore)):
            first, rate = measure(client, args.seconds, seed=round_number)
            results[name].append((first, rate))
            print(
                f"round {round_number + 1} {name:10s} first value {first:5.2f} s, "
                f"{rate:6.1f} PIDs/s",
                flush=True,
            )
    print("\nmedians over", args.rounds, "rounds:")
    medians = {
        name: (statistics.median(f for f, _ in runs), statistics.median(r for _, r in runs))
        for name, runs in results.items()
    }
    for name, (first, rate) in medians.items():
        print(f"  {name:10s} connect-to-first-value {first:5.2f} s   {rate:6.1f} PIDs/s")
    ratio = medians["obdcore"][1] / medians["python-obd"][1]
    print(
        f"  ratio obdcore / python-obd: {ratio:.1f}x PIDs/s (goal 4x); "
        f"first value {medians['obdcore'][0]:.2f} s (goal <= 1.5 s)"
    )


if __name__ == "__main__":
    main()
