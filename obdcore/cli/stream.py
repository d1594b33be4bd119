"""``novaevo live`` (a live dashboard) and ``novaevo log`` (samples to a file): values
streamed from the car with :meth:`Client.stream`, each at its own refresh rate.

Both keep streaming through a dropped link (the client reconnects) and end normally, with
exit code 0, at ``--duration`` or Ctrl-C. The other exit codes are those of every
``novaevo`` command (:class:`obdcore.errors.ExitCode`): 1 ``log`` refusing an existing file
(``--overwrite`` replaces it), 2 bad usage (an unknown PID name, a bad ``--rate``, an
unwritable file, a ``--format`` contradicting the file name), 3-6 reaching the car.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import typer

from obdcore.cli.connect import (
    EXIT_CODES_HELP,
    EXIT_USAGE,
    CarTarget,
    JsonOption,
    car_command,
    console,
    fail,
    print_json,
)
from obdcore.cli.replay import _value_text
from obdcore.errors import ExitCode, TableError

app = typer.Typer()

# The values a dashboard shows when none are named: what a driver or mechanic glances at.
DASHBOARD = (
    "RPM",
    "SPEED",
    "COOLANT_TEMP",
    "ENGINE_LOAD",
    "THROTTLE_POS",
    "INTAKE_TEMP",
    "MAF",
    "CONTROL_MODULE_VOLTAGE",
)
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 30  # recent values kept per row for the sparkline
REFRESH_S = 0.25  # a terminal redrawn more often only flickers

PidOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pid",
        metavar="NAME",
        help="A value to poll (RPM, SPEED...; `novaevo pids` lists them); repeatable or "
        f"comma-separated. Default: {', '.join(DASHBOARD)}.",
    ),
]
RateOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rate",
        metavar="NAME=HZ",
        help="Poll NAME that many times a second instead of its dashboard default (0: as fast "
        "as the link allows); repeatable.",
    ),
]
DurationOption = Annotated[
    float | None,
    typer.Option(metavar="SECONDS", min=0.0, help="Stop after that long (default: at Ctrl-C)."),
]


# ============================================================================ choosing values


def chosen_names(pids: list[str] | None, table=None) -> list[str]:
    """The value names asked for (the dashboard set if none), checked against the PID
    table (``table``: with custom PIDs) before connecting; exits 2 naming close matches
    for an unknown one."""
    from obdcore.io.client import check_live_names

    names = [name.strip().upper() for item in pids or () for name in item.split(",")]
    names = list(dict.fromkeys(name for name in names if name)) or list(DASHBOARD)
    try:
        check_live_names(names, table)
    except TableError as exc:
        fail(str(exc), EXIT_USAGE)
    return names


def chosen_rates(rates: list[str] | None, names: list[str]) -> dict[str, float] | None:
    """``--rate NAME=HZ`` overrides as the client takes them (None: every default);
    exits 2 for a malformed one or a name not being polled."""
    if not rates:
        return None
    parsed: dict[str, float] = {}
    for item in rates:
        name, _, hz = item.partition("=")
        name = name.strip().upper()
        try:
            value = float(hz)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            fail(f"--rate {item!r}: write NAME=HZ with HZ a number >= 0 (RPM=10)", EXIT_USAGE)
        if name not in names:
            fail(
                f"--rate {item!r}: {name} is not among the values polled ({', '.join(names)})",
                EXIT_USAGE,
            )
        parsed[name] = value
    return parsed


async def poll(
    car,
    names: list[str],
    rates: dict[str, float] | None,
    duration: float | None,
    on_sample: Callable,
) -> None:
    """Hands every sample of ``names`` to ``on_sample`` for ``duration`` seconds (None: until
    cancelled). Persistent: a link that drops is reconnected, not fatal."""
    deadline = asyncio.timeout(duration)
    try:
        async with deadline:
            async for sample in car.stream(names, rates, persistent=True):
                on_sample(sample)
    except TimeoutError:
        if not deadline.expired():
            raise


# ============================================================================ live


def sparkline(values) -> str:
    """Block characters tracing ``values`` between their own minimum and maximum."""
    values = list(values)
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:  # a steady value: a flat line in the middle
        return SPARK_BLOCKS[len(SPARK_BLOCKS) // 2 - 1] * len(values)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round((value - low) / (high - low) * top)] for value in values)


def _number(value) -> float | None:
    """``value`` as a plottable number, None for structured or missing values."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _short(value) -> str:
    """A value as a dashboard shows it: four significant digits, no exponent."""
    number = _number(value)
    if number is None:
        return "…" if value is None else _value_text(value)
    return f"{number:.0f}" if abs(number) >= 10_000 else f"{number:.4g}"


@dataclass
class Trace:
    """What the dashboard keeps of one value. ``ecu``: its source, the first ECU that
    answered it (when two repeat a value, the speed, one source keeps min/max honest)."""

    name: str
    unit: str = ""
    ecu: int | None = None
    last: object = None
    low: float | None = None
    high: float | None = None
    count: int = 0
    first_at: float | None = None
    last_at: float | None = None
    recent: deque = field(default_factory=lambda: deque(maxlen=SPARK_WIDTH))

    def add(self, sample) -> None:
        """Takes one sample from this value's source ECU (others are ignored)."""
        if self.ecu is None:
            self.ecu = sample.ecu
        if sample.ecu != self.ecu:
            return
        self.last, self.unit, self.count = sample.value, sample.unit, self.count + 1
        self.first_at = sample.at if self.first_at is None else self.first_at
        self.last_at = sample.at
        number = _number(sample.value)
        if number is not None:
            self.low = number if self.low is None else min(self.low, number)
            self.high = number if self.high is None else max(self.high, number)
            self.recent.append(number)

    @property
    def rate_hz(self) -> float | None:
        """Samples per second received so far (None before two samples)."""
        if self.count < 2 or self.last_at == self.first_at:
            return None
        return (self.count - 1) / (self.last_at - self.first_at)

    def document(self, table=None) -> dict:
        """What ``live --json`` says of this value: the value as every command writes a
        reading (rounded to its PID's resolution, DTCs and PID lists in their one shape),
        min, max and recent values rounded alike."""
        from obdcore.reports import ecu_key, value_entry

        def entry(value):
            return value_entry(self.name, value, table)

        return {
            "value": entry(self.last),
            "unit": self.unit,
            "min": entry(self.low),
            "max": entry(self.high),
            "samples": self.count,
            "rate_hz": _rounded(self.rate_hz),
            "ecu": ecu_key(self.ecu) if self.ecu is not None else None,
            "recent": [entry(value) for value in self.recent],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class Dashboard:
    """The rows of ``novaevo live`` and the connection state shown under them."""

    def __init__(self, names: list[str], clock: Callable[[], float], table=None):
        self.traces = {name: Trace(name) for name in names}
        self.table = table  # the PID table (custom PIDs): for the rounding
        self.state = "connecting"
        self.stopped = False
        self.clock = clock
        self.started = clock()
        self._drawn_at = -math.inf

    def add(self, sample) -> None:
        trace = self.traces.get(sample.name)
        if trace is not None:
            trace.add(sample)

    def due(self) -> bool:
        """True at most every :data:`REFRESH_S` seconds: time to redraw."""
        now = self.clock()
        if now - self._drawn_at < REFRESH_S:
            return False
        self._drawn_at = now
        return True

    def render(self):
        """The table as it stands (Rich calls it on each refresh)."""
        from rich.table import Table

        hint = "stopped" if self.stopped else "Ctrl-C to stop"
        table = Table(
            title="Live data",
            caption=f"{self.state} · {self.clock() - self.started:.0f} s · {hint}",
        )
        for column in ("value", "now", "unit", "min", "max", "recent", "Hz"):
            table.add_column(
                column,
                justify="right" if column in ("now", "min", "max", "Hz") else "left",
                no_wrap=True,
            )
        for trace in self.traces.values():
            rate = trace.rate_hz
            table.add_row(
                trace.name,
                _short(trace.last),
                trace.unit,
                _short(trace.low),
                _short(trace.high),
                sparkline(trace.recent),
                "" if rate is None else f"{rate:.1f}",
            )
        return table

    def document(self, interrupted: bool) -> dict:
        return {
            "pids": {name: trace.document(self.table) for name, trace in self.traces.items()},
            "seconds": round(self.clock() - self.started, 2),
            "interrupted": interrupted,
        }


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def live(
    target: CarTarget,
    pid: PidOption = None,
    rate: RateOption = None,
    duration: DurationOption = None,
    as_json: JsonOption = False,
) -> None:
    """Watch values change: a live table of each value now, its min, max and a sparkline
    of recent values. Ctrl-C (or --duration) stops it."""
    from rich.live import Live

    names = chosen_names(pid, target.table)
    rates = chosen_rates(rate, names)
    board = Dashboard(names, time.monotonic, target.table)  # the client's clock stamps samples

    def on_event(event) -> None:
        board.state = str(event.state)

    async def watch(car) -> bool:
        board.started = car.clock()
        out = console()
        display = (
            nullcontext()
            if as_json
            else Live(get_renderable=board.render, console=out, auto_refresh=False)
        )
        try:
            with display as screen:

                def show(sample) -> None:
                    board.add(sample)
                    if screen is not None and board.due():
                        screen.refresh()

                try:
                    await poll(car, names, rates, duration, show)
                finally:
                    board.stopped = True  # the last drawing says so
        finally:
            if not as_json and not out.is_terminal:
                out.line()  # Rich ends a live display with a newline on terminals only
        return True

    finished = target.run(watch, on_event=on_event, interruptible=True)
    if as_json:
        print_json(board.document(interrupted=finished is None))


# ============================================================================ log


class Recorder:
    """Writes samples and connection events to a :class:`SampleLog` and keeps a progress
    line (state, samples, rate, elapsed) on stderr up to date."""

    def __init__(self, sample_log, duration: float | None, show: bool):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.log = sample_log
        self.state = "connecting"
        self.events = 0
        self.started: float | None = None
        self.ended: float | None = None
        self.clock = sample_log.clock
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[state]:<14}"),
            BarColumn(),
            TextColumn("{task.fields[samples]} samples"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not show,
        )
        self.task = self.progress.add_task(
            "log", total=duration, samples=0, rate="", state=self.state
        )

    def event(self, event) -> None:
        """A connection event: into the file, and onto the progress line."""
        self.log.event(event)
        self.events += 1
        self.state = str(event.state)
        self._show()

    def sample(self, sample) -> None:
        self.log.write(sample)
        self._show()

    async def record(self, car, names, rates, duration) -> bool:
        """Streams ``names`` into the log for ``duration`` seconds (None: until Ctrl-C)."""
        self.started = self.clock()
        try:
            await poll(car, names, rates, duration, self.sample)
        finally:
            self.ended = self.clock()
        return True

    @property
    def seconds(self) -> float:
        """How long samples have been streamed (so far, or in all once it ended)."""
        if self.started is None:
            return 0.0
        return (self.ended if self.ended is not None else self.clock()) - self.started

    def _show(self) -> None:
        seconds = self.seconds
        rate = f"{self.log.count / seconds:.1f}/s" if seconds > 0 else ""
        self.progress.update(
            self.task, completed=seconds, samples=self.log.count, rate=rate, state=self.state
        )


_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def _log_format(output: Path, fmt: str | None) -> str:
    """The format to write: ``fmt``, else the one the file name says (csv by default);
    exits 2 when ``fmt`` contradicts the name (CSV into ``x.jsonl``)."""
    named = _SUFFIXES.get(output.suffix.lower())
    if fmt and named and fmt != named and not (fmt == "long" and named == "csv"):
        fail(
            f"--format {fmt} into {output.name}, a .{named} name",
            EXIT_USAGE,
            f"drop --format or name the file {output.stem}.{fmt}",
        )
    return fmt or named or "csv"


def _check_fresh(output: Path, overwrite: bool) -> None:
    """Refuses (exit 1) a file that exists and is not empty unless ``overwrite``: appending
    would mix two recordings (another header, ``time_s`` from 0 again)."""
    try:
        used = output.stat().st_size > 0
    except FileNotFoundError:
        return
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
    if used and not overwrite:
        fail(
            f"{output} already exists; nothing written",
            ExitCode.DECLINED,
            "choose another file, or pass --overwrite to replace it",
        )


def _sample_log(output: Path, fmt: str, names: list[str], table):
    """The log file, its wide CSV columns and JSON lines as every command writes them."""
    from obdcore.io.logfile import SampleLog
    from obdcore.protocol.pidtable import PidTable
    from obdcore.reports import reading_entry

    table = table if table is not None else PidTable.standard()
    columns = [(name, table.by_name(name).unit) for name in names]
    return SampleLog(output, fmt, columns=columns, table=table, entry=reading_entry)


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def log(
    target: CarTarget,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            dir_okay=False,
            help="The file to write; an existing one is refused (exit 1) unless --overwrite.",
        ),
    ],
    fmt: Annotated[
        Literal["csv", "long", "jsonl"] | None,
        typer.Option(
            "--format",
            help="csv: wide, for spreadsheets (a row per answer with its ISO time, a column "
            "per value and unit); long: a row per sample (time_s, ecu, name, value, unit); "
            "jsonl. Default: jsonl for a .jsonl file, else csv.",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace FILE if it exists (a fresh file, header first)."),
    ] = False,
    pid: PidOption = None,
    rate: RateOption = None,
    duration: DurationOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record values to a CSV (wide by default, for spreadsheets) or JSONL file, written
    and flushed as they arrive, connection events included; a dropped link is
    reconnected. Ctrl-C (or --duration) stops it with the file complete."""
    names = chosen_names(pid, target.table)
    rates = chosen_rates(rate, names)
    fmt = _log_format(output, fmt)
    _check_fresh(output, overwrite)
    try:
        if overwrite:
            output.unlink(missing_ok=True)
        sample_log = _sample_log(output, fmt, names, target.table)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
    with sample_log:
        recorder = Recorder(sample_log, duration, show=not as_json)
        with recorder.progress:
            finished = target.run(
                lambda car: recorder.record(car, names, rates, duration),
                on_event=recorder.event,
                interruptible=True,
            )
    summary = {
        "output": str(output),
        "format": fmt,
        "pids": names,
        "samples": sample_log.count,
        "events": recorder.events,
        "seconds": round(recorder.seconds, 2),
        "interrupted": finished is None,
    }
    if as_json:
        print_json(summary)
        return
    stopped = " (stopped by Ctrl-C)" if finished is None else ""
    console().print(
        f"Wrote {summary['samples']} samples of {', '.join(names)} to {output} "
        f"({fmt}) in {summary['seconds']:.1f} s{stopped}.",
        markup=False,
        highlight=False,
    )
