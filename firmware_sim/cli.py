"""``novaevo sim``: serve a virtual car behind an ELM327 dongle until interrupted.

Fault syntax: ``NAME[:CYLINDER][@SEVERITY]`` (``misfire:2@0.7``, ``vacuum_leak@0.5``,
``stall``); see :mod:`firmware_sim.faults`.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

app = typer.Typer()


@app.command()
def sim(
    transport: Annotated[str, typer.Option(help="pty (a serial device) or tcp (Wi-Fi)")] = "pty",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port)")] = 35000,
    host: Annotated[str, typer.Option(help="TCP address to listen on")] = "127.0.0.1",
    profile: Annotated[str, typer.Option(
        help="car: petrol_1.5, petrol_v6, diesel_2.0")] = "petrol_1.5",
    fault: Annotated[list[str] | None, typer.Option(
        help="NAME[:CYLINDER][@SEVERITY], repeatable")] = None,
    adapter: Annotated[str, typer.Option(help="elm327, stn or clone")] = "elm327",
    timing: Annotated[str, typer.Option(help="fast or realistic")] = "fast",
    seed: Annotated[int, typer.Option(help="same seed, same answers")] = 0,
    protocol: Annotated[str, typer.Option(help="override the car's protocol (1-9)")] = "",
    cycle: Annotated[str, typer.Option(help="drive cycle: standard or idle")] = "standard",
    start: Annotated[float, typer.Option(
        help="simulated seconds driven before serving (600: a warm engine)")] = 0.0,
) -> None:
    """Serve the simulator; the first line printed is the URL to connect to."""
    from firmware_sim.errors import SimError
    from firmware_sim.server import Simulator

    try:
        simulator = Simulator(transport=transport, profile=profile, faults=fault or [],
                              adapter=adapter, timing=timing, seed=seed, port=port, host=host,
                              protocol=protocol or None, cycle=cycle, start_s=start)
        simulator.start()
    except (SimError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(simulator.url)
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
