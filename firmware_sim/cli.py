"""``novaevo sim``: serve a virtual car behind an ELM327 dongle until interrupted."""

from __future__ import annotations

import time

import typer

app = typer.Typer()


@app.command()
def sim(
    transport: str = typer.Option("pty", help="pty (a serial device) or tcp (a Wi-Fi dongle)"),
    port: int = typer.Option(35000, help="TCP port (0 = any free port)"),
    host: str = typer.Option("127.0.0.1", help="TCP address to listen on"),
    profile: str = typer.Option("petrol_1.5", help="car: petrol_1.5, petrol_v6, diesel_2.0"),
    fault: list[str] = typer.Option([], help="NAME[:CYLINDER][@SEVERITY], repeatable"),
    adapter: str = typer.Option("elm327", help="elm327, stn or clone"),
    timing: str = typer.Option("fast", help="fast or realistic"),
    seed: int = typer.Option(0, help="same seed, same answers"),
    protocol: str = typer.Option("", help="override the car's protocol (1-9)"),
) -> None:
    """Serve the simulator; the first line printed is the URL to connect to."""
    from firmware_sim.errors import SimError
    from firmware_sim.server import Simulator

    try:
        simulator = Simulator(transport=transport, profile=profile, faults=fault,
                              adapter=adapter, timing=timing, seed=seed, port=port, host=host,
                              protocol=protocol or None)
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
