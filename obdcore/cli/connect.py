"""The plumbing every car command shares: the ``--device``/``--sim`` options, finding the
adapter (:mod:`obdcore.io.transports.discovery`), connect-run-close, and turning each
failure into one line and an exit code.

A command asks for it with :func:`car_command` and a ``target: Target`` parameter::

    @app.command(epilog=EXIT_CODES_HELP)
    @car_command
    def vin(target: Target, as_json: JsonOption = False) -> None:
        number = target.run(lambda car: car.vin(), doing="Reading the VIN")

Exit codes (the same for every command; also in each command's help):

====  =====================================================================================
0     done; Ctrl-C is a normal end for ``live`` and ``log``
1     cancelled at a confirmation prompt (``dtc --clear``)
2     bad usage: a bad option, an unknown PID name, a bad ``--fault``, no ``--device``
      given and none or several adapters found, an output file that cannot be written
3     device not found: nothing answers at that address (unplugged, wrong port or address)
4     not an adapter: something answers there, but it is not an ELM327
5     no vehicle: the adapter answers but the car does not (ignition off?)
6     link error: the adapter stopped answering during the session (link lost, timeout)
130   interrupted (Ctrl-C) during a one-shot command
====  =====================================================================================
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer

from obdcore.errors import DeviceNotFound, LinkError, NotAnAdapter, NoVehicle, TableError
from obdcore.io.transports.discovery import adapter_ports

EXIT_OK = 0
EXIT_CANCELLED = 1
EXIT_USAGE = 2
EXIT_DEVICE_NOT_FOUND = 3
EXIT_NOT_AN_ADAPTER = 4
EXIT_NO_VEHICLE = 5
EXIT_LINK = 6
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 done (Ctrl-C ends live and log normally), 1 cancelled at a prompt, "
    "2 bad usage (unknown PID, no or several adapters found), 3 device not found, "
    "4 not an ELM327 adapter, 5 no vehicle answers, 6 link lost or timed out, "
    "130 interrupted."
)

# What failed and what to check, per error class; the first match wins (LinkError last).
_LINK_FAILURES: tuple[tuple[type[LinkError], int, str, str], ...] = (
    (DeviceNotFound, EXIT_DEVICE_NOT_FOUND, "cannot reach the adapter",
     "is it plugged in (or paired, or on this Wi-Fi) and does --device name it? "
     "`novaevo scan` lists candidates"),
    (NotAnAdapter, EXIT_NOT_AN_ADAPTER, "not an OBD adapter",
     "does --device name the ELM327 dongle and not another serial device?"),
    (NoVehicle, EXIT_NO_VEHICLE, "the car does not answer",
     "is the ignition on and the dongle pushed fully into the OBD port?"),
    (LinkError, EXIT_LINK, "lost the adapter",
     "is the dongle still seated and powered (ignition on), and the cable, Bluetooth or "
     "Wi-Fi link steady?"),
)

_PANEL = "Connection"
T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print one JSON document (for scripts) instead of tables.")]


# ============================================================================ failing


_running = "novaevo"  # the command being run, named in messages (set as each one starts)


def running(command: str) -> None:
    """Notes that ``novaevo <command>`` is running, for :func:`fail`'s messages."""
    global _running
    _running = f"novaevo {command}"


def fail(message: str, code: int) -> NoReturn:
    """Prints ``message`` as one line on stderr and exits with ``code``."""
    typer.echo(f"{_running}: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


def link_failure(error: LinkError) -> tuple[int, str]:
    """The exit code and the one-line message (what failed, what to check) for ``error``."""
    for kind, code, what, check in _LINK_FAILURES:
        if isinstance(error, kind):
            return code, f"{what}: {error}. Check: {check}"
    raise AssertionError("unreachable: LinkError closes the list")


# ============================================================================ finding adapters


def auto_device() -> str:
    """The one serial port that looks like an adapter; exits 2 when there is none or
    there are several (naming them)."""
    candidates = adapter_ports()
    if len(candidates) == 1:
        port = candidates[0]
        typer.echo(f"Using {port.device} ({port.chip}: {port.description})", err=True)
        return port.device
    if not candidates:
        fail("no --device given and no serial port looks like an OBD adapter (USB-serial "
             "chip or rfcomm). Plug it in, or name it: --device /dev/ttyUSB0, "
             "socket://HOST:PORT or ble://NAME; `novaevo scan` lists what is there",
             EXIT_USAGE)
    names = ", ".join(f"{port.device} ({port.chip})" for port in candidates)
    fail(f"no --device given and several ports look like adapters: {names}. "
         "Choose one with --device", EXIT_USAGE)


# ============================================================================ the simulator

# --sim needs firmware_sim, which obdcore may not import (DESIGN.md: obdcore imports none of
# the other packages); the composition root (novaevo.cli) lends it through use_simulator.
_simulator_factory: Callable[..., Any] | None = None


def use_simulator(factory: Callable[..., Any]) -> None:
    """Makes ``--sim`` start ``factory(transport="tcp", faults=[...], profile=...,
    adapter=..., timing=..., start_s=...)``: an object with ``start()``, ``stop()`` and
    ``url`` (``firmware_sim.Simulator``)."""
    global _simulator_factory
    _simulator_factory = factory


# ============================================================================ the target


@dataclass
class Target:
    """Where a command's car is: a device URL (None: find it), or a fresh simulator."""

    device: str | None = None
    sim: bool = False
    faults: tuple[str, ...] = ()
    sim_profile: str = "petrol_1.5"
    sim_adapter: str = "elm327"
    sim_timing: str = "realistic"
    sim_start: float = 300.0

    def describe(self) -> str:
        """Where the car is, for people: ``the simulator`` or the device URL."""
        return "the simulator" if self.sim else (self.device or "the adapter found")

    def run(self, action: Callable[[Any], Awaitable[T]], *, doing: str | None = None,
            on_event: Callable | None = None, interruptible: bool = False) -> T | None:
        """Connects, awaits ``action(client)``, closes, and returns its result.

        ``doing``: shown with a spinner on stderr while it works (None: no spinner, the
        command has a display of its own); ``on_event``: the client's state events;
        ``interruptible``: Ctrl-C is a normal end (returns None) instead of exit 130.
        Every expected failure exits with its code and one line on stderr.
        """
        try:
            with self._endpoint() as (url, memory):
                return asyncio.run(_session(url, memory, action, doing, on_event))
        except KeyboardInterrupt:
            if interruptible:
                return None
            fail("interrupted", EXIT_INTERRUPTED)
        except TableError as exc:  # an unknown PID name: the client names close matches
            fail(str(exc), EXIT_USAGE)
        except LinkError as exc:
            code, message = link_failure(exc)
            fail(message, code)

    @contextmanager
    def _endpoint(self) -> Iterator[tuple[str, Any]]:
        """The URL to connect to and the adapter memory: a started simulator (no memory:
        each one is new) or the device (given or found) with the user's memory."""
        if not self.sim:
            from obdcore.io.memory import Memory, default_path

            yield self.device or auto_device(), Memory(default_path())
            return
        simulator = self._start_simulator()
        try:
            yield simulator.url, None
        finally:
            simulator.stop()

    def _start_simulator(self):
        if _simulator_factory is None:
            fail("the simulator is not available here: run this through `novaevo`",
                 EXIT_USAGE)
        try:
            simulator = _simulator_factory(
                transport="tcp", faults=list(self.faults), profile=self.sim_profile,
                adapter=self.sim_adapter, timing=self.sim_timing, start_s=self.sim_start)
            simulator.start()
        except (ValueError, OSError) as exc:  # the simulator's errors are ValueErrors
            fail(f"cannot start the simulator: {exc}", EXIT_USAGE)
        return simulator


async def _session(url: str, memory, action, doing: str | None, on_event):
    """Connect, act, close, with an optional spinner on stderr."""
    status = _status(f"Connecting to {url}") if doing else None
    with status or nullcontext():
        car = _client(url, memory, on_event)
        async with car:
            if status is not None:
                status.update(f"{doing}…")
            return await action(car)


def _status(text: str):
    from rich.console import Console

    return Console(stderr=True).status(text)


def _client(url: str, memory, on_event):
    """The client for ``url``; a missing optional transport is reported as unreachable."""
    from obdcore.io.client import Client

    try:
        return Client(url, memory=memory, on_event=on_event)
    except ImportError as exc:  # ble:// before the BLE transport is installed
        raise DeviceNotFound(f"{url}: this installation cannot open it ({exc})") from None


# ============================================================================ the options

_SIM_DEFAULTS = {"fault": None, "sim_profile": Target.sim_profile,
                 "sim_adapter": Target.sim_adapter, "sim_timing": Target.sim_timing,
                 "sim_start": Target.sim_start}


def _option(name: str, default, annotation) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=annotation)


_CONNECTION_PARAMETERS = [
    _option("device", None, Annotated[str | None, typer.Option(
        metavar="URL", rich_help_panel=_PANEL,
        help="The adapter: a serial port (/dev/ttyUSB0, COM3), socket://HOST:PORT (Wi-Fi) "
             "or ble://NAME-or-ADDRESS. Default: the one serial port that looks like an "
             "adapter.")]),
    _option("sim", False, Annotated[bool, typer.Option(
        "--sim", rich_help_panel=_PANEL,
        help="Talk to a fresh simulated car (ELM327 + virtual vehicle) instead.")]),
    _option("fault", None, Annotated[list[str] | None, typer.Option(
        metavar="SPEC", rich_help_panel=_PANEL,
        help="With --sim: inject NAME[:CYLINDER]\\[@SEVERITY] (misfire:2@0.9, "
             "link_drop@0.2); repeatable.")]),
    _option("sim_profile", Target.sim_profile, Annotated[str, typer.Option(
        rich_help_panel=_PANEL, help="With --sim: petrol_1.5, petrol_v6 or diesel_2.0.")]),
    _option("sim_adapter", Target.sim_adapter, Annotated[str, typer.Option(
        rich_help_panel=_PANEL, help="With --sim: elm327, stn or clone.")]),
    _option("sim_timing", Target.sim_timing, Annotated[Literal["fast", "realistic"], typer.Option(
        rich_help_panel=_PANEL,
        help="With --sim: realistic (answers take as long as a car's) or fast.")]),
    _option("sim_start", Target.sim_start, Annotated[float, typer.Option(
        metavar="SECONDS", min=0.0, rich_help_panel=_PANEL,
        help="With --sim: seconds driven before connecting (300: a warm engine).")]),
]


def car_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Gives a command that takes ``target: Target`` the connection options.

    Typer builds a command's options from its signature, so the returned function shows
    the command's own parameters plus ``--device``, ``--sim`` and the ``--sim-*`` options,
    and calls ``func`` with a :class:`Target` made of them. Place it under
    ``@app.command()``.
    """
    signature = inspect.signature(func, eval_str=True)
    own = [parameter for name, parameter in signature.parameters.items() if name != "target"]
    parameters = own + _CONNECTION_PARAMETERS

    @functools.wraps(func)
    def command(**options: Any) -> Any:
        running(func.__name__)
        connection = {parameter.name: options.pop(parameter.name)
                      for parameter in _CONNECTION_PARAMETERS}
        return func(target=_target(**connection), **options)

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


def _target(device: str | None, sim: bool, fault: list[str] | None, **sim_options) -> Target:
    """A :class:`Target` from the options; exits 2 when they contradict each other."""
    if sim and device:
        fail("--device and --sim exclude each other: choose one", EXIT_USAGE)
    given = {"fault": fault or None, **sim_options}
    stray = [name for name, value in given.items() if value != _SIM_DEFAULTS[name]]
    if stray and not sim:
        options = ", ".join("--" + name.replace("_", "-") for name in stray)
        fail(f"{options}: only with --sim", EXIT_USAGE)
    return Target(device=device, sim=sim, faults=tuple(fault or ()), **sim_options)


# ============================================================================ output


def print_json(document: Any) -> None:
    """Prints ``document`` as one JSON document on stdout."""
    from obdcore.reports import to_json  # here: the I/O layer loads only when needed

    typer.echo(json.dumps(to_json(document), ensure_ascii=False, indent=1))


def console():
    """A Rich console on stdout (made per call: tests swap stdout)."""
    from rich.console import Console

    return Console()
