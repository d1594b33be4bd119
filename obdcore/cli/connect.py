"""The plumbing every car command shares: the ``--device``/``--sim`` options, a spinner
while connecting, and turning each failure into one line and an exit code. Reaching the car
itself (finding the adapter, the simulator, connect-run-close) is
:class:`obdcore.io.target.Target`, which other packages' CLIs use too.

A command asks for it with :func:`car_command` and a ``target: CarTarget`` parameter::

    @app.command(epilog=EXIT_CODES_HELP)
    @car_command
    def vin(target: CarTarget, as_json: JsonOption = False) -> None:
        number = target.run(lambda car: car.vin(), doing="Reading the VIN")

Exit codes: :class:`obdcore.errors.ExitCode`, the same for every ``novaevo`` command (and
in each command's help, :data:`EXIT_CODES_HELP`).
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer

from obdcore.errors import (
    EXIT_CODES_HELP,
    BluetoothUnavailable,
    DeviceNotFound,
    ExitCode,
    LinkError,
    NotAnAdapter,
    NoVehicle,
    ObdError,
)
from obdcore.io import failures
from obdcore.io.target import Target, use_simulator

__all__ = [
    "EXIT_CODES_HELP",
    "CarTarget",
    "JsonOption",
    "UnitsOption",
    "Target",
    "car_command",
    "fail",
    "use_simulator",
]

EXIT_OK = ExitCode.OK
EXIT_CANCELLED = ExitCode.DECLINED
EXIT_USAGE = ExitCode.USAGE
EXIT_DEVICE_NOT_FOUND = ExitCode.DEVICE_NOT_FOUND
EXIT_NOT_AN_ADAPTER = ExitCode.NOT_AN_ADAPTER
EXIT_NO_VEHICLE = ExitCode.NO_VEHICLE
EXIT_LINK = ExitCode.LINK
EXIT_INTERRUPTED = ExitCode.INTERRUPTED

# What failed, per link error class, before the error's own message (the hint, what to
# check, is the class's); the first match wins (LinkError last).
_LINK_WHAT: tuple[tuple[type[LinkError], str], ...] = (
    (BluetoothUnavailable, "Bluetooth is unavailable"),
    (DeviceNotFound, "cannot reach the adapter"),
    (NotAnAdapter, "not an OBD adapter"),
    (NoVehicle, "the car does not answer"),
    (LinkError, "lost the adapter"),
)

_PANEL = "Connection"
T = TypeVar("T")

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (for scripts) instead of tables.")
]
UnitsOption = Annotated[
    Literal["metric", "imperial"],
    typer.Option(
        "--units",
        envvar="NOVAEVO_UNITS",
        help="metric (°C, km/h, kPa, km, L/100 km) or imperial (°F, mph, psi, miles, US "
        "gallons, MPG); also the setting NOVAEVO_UNITS. The JSON follows the choice.",
    ),
]


# ============================================================================ failing


_running = "novaevo"  # the command being run, named in messages (set as each one starts)


def running(command: str) -> None:
    """Notes that ``novaevo <command>`` is running, for :func:`fail`'s messages."""
    global _running
    _running = f"novaevo {command}"


def fail(message: str, code: int, hint: str = "") -> NoReturn:
    """Prints ``message`` (and ``hint``) as one line on stderr and exits with ``code``."""
    failures.fail(_running, message, code, hint)


def link_failure(error: LinkError) -> tuple[int, str]:
    """The exit code and the one-line message (what failed; what to check) for ``error``."""
    for kind, what in _LINK_WHAT:
        if isinstance(error, kind):
            detail = str(error)
            if detail.lower().startswith(what.lower()):  # the error says it already
                detail = detail[len(what) :].lstrip(" :")
            message = f"{what}: {detail}" if detail else what
            return error.exit_code, failures.error_line(_running, message, error.hint).split(
                ": ", 1
            )[1]
    raise AssertionError("unreachable: LinkError closes the list")


def fail_on(error: ObdError) -> NoReturn:
    """Ends the command for one of obdcore's typed errors."""
    if isinstance(error, LinkError):
        code, message = link_failure(error)
        fail(message, code)
    failures.fail_with(_running, error)


# ============================================================================ the target


class CarTarget:
    """A :class:`Target` as a command uses it: a spinner while connecting, and every
    expected failure turned into one line and its exit code."""

    def __init__(self, target: Target):
        self.target = target

    def describe(self) -> str:
        return self.target.describe()

    @property
    def table(self):
        """The PID table the car is read with (custom PIDs included), None: the standard."""
        return self.target.table

    def run(
        self,
        action: Callable[[Any], Awaitable[T]],
        *,
        doing: str | None = None,
        on_event: Callable | None = None,
        interruptible: bool = False,
    ) -> T | None:
        """Connects, awaits ``action(client)``, closes, and returns its result.

        ``doing``: shown with a spinner on stderr while it works (None: no spinner, the
        command has a display of its own); ``on_event``: the client's state events;
        ``interruptible``: Ctrl-C is a normal end (returns None) instead of exit 130.
        """
        status = _status("Connecting") if doing else None

        def connecting(url: str) -> None:
            if status is not None:
                status.update(f"Connecting to {url}")
                status.start()

        async def act(car):
            if status is not None:
                status.update(f"{doing}…")
            return await action(car)

        try:
            return self.target.run(act, on_event=on_event, on_connecting=connecting)
        except KeyboardInterrupt:
            if interruptible:
                return None
            fail("interrupted", EXIT_INTERRUPTED)
        except ObdError as exc:  # an unknown PID name (the client names close matches)...
            fail_on(exc)
        finally:
            if status is not None:
                status.stop()


def _status(text: str):
    from rich.console import Console

    return Console(stderr=True).status(text)


# ============================================================================ the options

_SIM_DEFAULTS = {
    "fault": None,
    "sim_profile": Target.sim_profile,
    "sim_adapter": Target.sim_adapter,
    "sim_timing": Target.sim_timing,
    "sim_start": Target.sim_start,
    "sim_seed": Target.sim_seed,
    "sim_cycle": Target.sim_cycle,
    "sim_protocol": Target.sim_protocol,
}


def _option(name: str, default, annotation) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


_CONNECTION_PARAMETERS = [
    _option(
        "device",
        None,
        Annotated[
            str | None,
            typer.Option(
                metavar="URL",
                rich_help_panel=_PANEL,
                help="The adapter: a serial port (/dev/ttyUSB0, COM3), socket://HOST:PORT (Wi-Fi) "
                "or ble://NAME-or-ADDRESS. Default: the one serial port that looks like an "
                "adapter.",
            ),
        ],
    ),
    _option(
        "sim",
        False,
        Annotated[
            bool,
            typer.Option(
                "--sim",
                rich_help_panel=_PANEL,
                help="Talk to a fresh simulated car (ELM327 + virtual vehicle) instead.",
            ),
        ],
    ),
    _option(
        "fault",
        None,
        Annotated[
            list[str] | None,
            typer.Option(
                metavar="SPEC",
                rich_help_panel=_PANEL,
                help="With --sim: inject NAME[:CYLINDER]\\[@SEVERITY] (misfire:2@0.9, "
                "link_drop@0.2); repeatable.",
            ),
        ],
    ),
    _option(
        "sim_profile",
        Target.sim_profile,
        Annotated[
            str,
            typer.Option(
                rich_help_panel=_PANEL,
                help="With --sim: small_petrol, large_petrol, petrol_di, turbo_petrol, "
                "small_diesel or large_diesel (also petrol_1.5, petrol_v6, diesel_2.0).",
            ),
        ],
    ),
    _option(
        "sim_adapter",
        Target.sim_adapter,
        Annotated[
            str, typer.Option(rich_help_panel=_PANEL, help="With --sim: elm327, stn or clone.")
        ],
    ),
    _option(
        "sim_timing",
        Target.sim_timing,
        Annotated[
            Literal["fast", "realistic"],
            typer.Option(
                rich_help_panel=_PANEL,
                help="With --sim: realistic (answers take as long as a car's) or fast.",
            ),
        ],
    ),
    _option(
        "sim_start",
        Target.sim_start,
        Annotated[
            float,
            typer.Option(
                metavar="SECONDS",
                min=0.0,
                rich_help_panel=_PANEL,
                help="With --sim: seconds driven before connecting (300: a warm engine).",
            ),
        ],
    ),
    _option(
        "sim_seed",
        Target.sim_seed,
        Annotated[
            int,
            typer.Option(rich_help_panel=_PANEL, help="With --sim: same seed, same car."),
        ],
    ),
    _option(
        "sim_cycle",
        Target.sim_cycle,
        Annotated[
            Literal["standard", "idle"],
            typer.Option(
                rich_help_panel=_PANEL, help="With --sim: the drive cycle, standard or idle."
            ),
        ],
    ),
    _option(
        "sim_protocol",
        Target.sim_protocol,
        Annotated[
            Literal["1", "2", "3", "4", "5", "6", "7", "8", "9"] | None,
            typer.Option(
                metavar="1-9",
                rich_help_panel=_PANEL,
                help="With --sim: the car's OBD protocol (ATSP number; default: the "
                "profile's own).",
            ),
        ],
    ),
    _option(
        "pids",
        None,
        Annotated[
            list[Path] | None,
            typer.Option(
                "--pids",
                metavar="FILE",
                dir_okay=False,
                rich_help_panel=_PANEL,
                help="Custom PIDs: a CSV in the PID table's columns or a Torque Pro export "
                "(name, short name, mode and PID, equation, min, max, unit, header); "
                "repeatable. Added to NOVAEVO_DATA_DIR/pids/*.csv, loaded always.",
            ),
        ],
    ),
]


def custom_table(files: list[Path] | None):
    """The PID table with the custom PIDs of the data directory and of ``--pids`` FILEs
    (later ones win); exits 7 naming the file and line of a bad row."""
    from obdcore.errors import TableError
    from obdcore.protocol.custom_pids import data_dir_files, load_pids

    found = data_dir_files(failures.data_dir())
    if not found and not files:
        return None  # the standard table, untouched
    try:
        return load_pids([*found, *(files or ())])
    except TableError as exc:
        fail(str(exc), ExitCode.INPUT_FILE, "correct the file (custom PIDs, CSV), or leave it out")


def car_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Gives a command that takes ``target: CarTarget`` the connection options.

    Typer builds a command's options from its signature, so the returned function shows
    the command's own parameters plus ``--device``, ``--sim`` and the ``--sim-*`` options,
    and calls ``func`` with a :class:`CarTarget` made of them. Place it under
    ``@app.command()``.
    """
    signature = inspect.signature(func, eval_str=True)
    own = [parameter for name, parameter in signature.parameters.items() if name != "target"]
    parameters = own + _CONNECTION_PARAMETERS

    @functools.wraps(func)
    def command(**options: Any) -> Any:
        running(func.__name__)
        connection = {
            parameter.name: options.pop(parameter.name) for parameter in _CONNECTION_PARAMETERS
        }
        table = custom_table(connection.pop("pids"))
        return func(target=_target(**connection, table=table), **options)

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


def _target(
    device: str | None, sim: bool, fault: list[str] | None, table=None, **sim_options
) -> CarTarget:
    """A :class:`CarTarget` from the options; exits 2 when they contradict each other or
    ``--device`` cannot name an adapter."""
    given = {"fault": fault or None, **sim_options}
    stray = [name for name, value in given.items() if value != _SIM_DEFAULTS[name]]
    if stray and not sim:
        options = ", ".join("--" + name.replace("_", "-") for name in stray)
        fail(f"{options}: only with --sim", EXIT_USAGE)
    try:
        target = Target(
            device=device, sim=sim, faults=tuple(fault or ()), table=table, **sim_options
        )
    except ObdError as exc:
        fail_on(exc)
    if not sim and device is None:
        _announce_found(target)
    return CarTarget(target)


def _announce_found(target: Target) -> None:
    """Finds the one adapter-like port now (exits 2 when there is none or several) and
    says which one is used."""
    from obdcore.io.target import find_adapter_port

    try:
        port = find_adapter_port()
    except ObdError as exc:
        fail_on(exc)
    target.device = port.device
    typer.echo(f"Using {port.device} ({port.chip}: {port.description})", err=True)


# ============================================================================ output


def print_json(document: Any) -> None:
    """Prints ``document`` as one JSON document on stdout."""
    from obdcore.reports import to_json  # here: the I/O layer loads only when needed

    typer.echo(json.dumps(to_json(document), ensure_ascii=False, indent=1))


def console():
    """A Rich console on stdout (made per call: tests swap stdout)."""
    from rich.console import Console

    return Console()
