"""``novaevo sim``: serve a virtual car behind an ELM327 dongle until interrupted;
``novaevo sim-cases``: write labelled cases for the diagnosis engine.

Fault syntax: ``NAME[:CYLINDER][@SEVERITY]`` (``misfire:2@0.7``, ``vacuum_leak@0.5``,
``stall``); see :mod:`firmware_sim.faults`. By default the car has already been driven
two whole trips with its faults (codes stored, MIL on, freeze frame captured) and then
``--start`` seconds into the current trip (300: warm), exactly like ``--sim`` of the car
commands, so an OBD app connecting to it sees the codes at once. ``--history none``
serves a car that never ran with its fault; ``--start 0`` one whose key was just turned.
While it runs, the driver takes orders in-band: send ``SIM RPM 2500``, ``SIM OFF``,
``SIM WAIT 600``... (a real ELM327 answers ``?``; see :mod:`firmware_sim.control`).

Exit codes: :class:`obdcore.errors.ExitCode`, the same for every ``novaevo`` command: 2 bad
usage (an unknown fault, profile, adapter..., a port outside 0-65535), 11 the port cannot be
listened on here (in use, not allowed).
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from obdcore.errors import EXIT_CODES_HELP, ExitCode

app = typer.Typer()
DEFAULT_TCP_PORT = 35000  # the port ELM327 Wi-Fi dongles listen on


# "\\[" : Rich markup would take [@SEVERITY] for a style tag and drop it.
FAULT_HELP = (
    "NAME[:CYLINDER]\\[@SEVERITY], repeatable: a fault listed below; CYLINDER for "
    "those marked :N; SEVERITY from 0 to 1 (default 0.8). E.g. misfire:2@0.9, "
    "vacuum_leak@0.4, link_drop@0.2."
)


def _fault_list() -> str:
    """Every fault id ``--fault`` takes (car faults, then link faults), for the help."""
    from firmware_sim.faults import _known

    return f"Faults: {_known()}."


def _fail(message: str, code: int, command: str = "sim") -> None:
    from obdcore.io.failures import fail

    fail(f"novaevo {command}", message, code)


@app.command(epilog=f"{_fault_list()}\n\n{EXIT_CODES_HELP}")
def sim(
    transport: Annotated[str, typer.Option(help="pty (a serial device) or tcp (Wi-Fi)")] = "pty",
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="TCP port (0 = any free port); default 35000"),
    ] = None,
    host: Annotated[str, typer.Option(help="TCP address to listen on")] = "127.0.0.1",
    profile: Annotated[
        str,
        typer.Option(
            help="car: small_petrol, large_petrol, petrol_di, turbo_petrol, small_diesel or "
            "large_diesel (also petrol_1.5, petrol_v6, diesel_2.0)"
        ),
    ] = "petrol_1.5",
    fault: Annotated[list[str] | None, typer.Option(metavar="SPEC", help=FAULT_HELP)] = None,
    adapter: Annotated[str, typer.Option(help="elm327, stn or clone")] = "elm327",
    timing: Annotated[str, typer.Option(help="fast or realistic")] = "fast",
    seed: Annotated[int, typer.Option(help="same seed, same answers")] = 0,
    protocol: Annotated[str, typer.Option(help="override the car's protocol (1-9)")] = "",
    cycle: Annotated[str, typer.Option(help="drive cycle: standard or idle")] = "standard",
    start: Annotated[
        float,
        typer.Option(
            help="simulated seconds into the current trip before serving (300: warm engine, "
            "0: key just turned)"
        ),
    ] = 300.0,
    history: Annotated[
        str,
        typer.Option(
            help="driven (two trips with the faults: codes set), none, or a number of trips"
        ),
    ] = "driven",
) -> None:
    """Serve the simulator; the first line printed is the URL to connect to."""
    from firmware_sim.errors import SimError
    from firmware_sim.server import Simulator

    if port is not None and transport == "pty":
        # A port means a TCP server: serving a pty instead would ignore it without a word.
        _fail("--port needs --transport tcp (the pty transport has no port)", ExitCode.USAGE)
    port = DEFAULT_TCP_PORT if port is None else port
    try:
        simulator = Simulator(
            transport=transport,
            profile=profile,
            faults=fault or [],
            adapter=adapter,
            timing=timing,
            seed=seed,
            port=port,
            host=host,
            protocol=protocol or None,
            cycle=cycle,
            start_s=start,
            history=int(history) if history.isdigit() else history,
        )
        simulator.start()
    except SimError as exc:
        _fail(str(exc), ExitCode.USAGE)
    except OverflowError as exc:  # a port the OS refuses before listening
        _fail(f"cannot listen on port {port}: {exc}", ExitCode.USAGE)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", ExitCode.ENVIRONMENT)
    typer.echo(simulator.url)
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


cases_app = typer.Typer()
"""``novaevo sim-cases`` (a Typer app of its own, so that ``app`` stays the one command
``sim`` that tests and the composition root invoke directly)."""


@cases_app.command("sim-cases", epilog=EXIT_CODES_HELP)
def sim_cases(
    output: Annotated[str, typer.Option("-o", "--output", help="the .jsonl file to write")],
    count: Annotated[int, typer.Option("-n", "--count", min=0, help="how many cases")] = 100,
    seed: Annotated[int, typer.Option(help="first seed (case i uses seed + i)")] = 0,
    profile: Annotated[str, typer.Option(help="one car profile only (default: all six)")] = "",
) -> None:
    """Write labelled cases (vehicle snapshot + ground truth), one JSON object a line."""
    from firmware_sim.cases import write_cases
    from firmware_sim.errors import SimError

    try:
        write_cases(output, count, seed, profile or None)
    except SimError as exc:
        _fail(str(exc), ExitCode.USAGE, "sim-cases")
    except OSError as exc:  # the output file cannot be written: usage, as for `log -o`
        _fail(f"cannot write {output}: {exc.strerror or exc}", ExitCode.USAGE, "sim-cases")
    typer.echo(f"{count} cases written to {output}")
