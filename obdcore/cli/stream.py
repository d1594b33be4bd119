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
import dataclasses
import math
import operator
import re
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
    UnitsOption,
    car_command,
    console,
    fail,
    link_failure,
    print_json,
)
from obdcore.cli.replay import _value_text
from obdcore.errors import ExitCode, LinkError, TableError
from obdcore.io import failures
from obdcore.units import convert, unit_in

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
    *,
    persistent: bool = True,
) -> None:
    """Hands every sample of ``names`` to ``on_sample`` for ``duration`` seconds (None: until
    cancelled). ``persistent``: a link that drops for good is reconnected (``log``), else
    the client's :class:`LinkError` ends it once its recovery gave up (``live``)."""
    deadline = asyncio.timeout(duration)
    try:
        async with deadline:
            async for sample in car.stream(names, rates, persistent=persistent):
                on_sample(sample)
    except TimeoutError:
        if not deadline.expired():
            raise


# ============================================================================ live

NUMBER_WIDTH = 7  # every number of the dashboard fits in 7 characters ("-1234.5", "0.0039")
RATE_WIDTH = 4  # the Hz column: "10.0"
SPARK_MIN = 8  # a sparkline narrower than this says nothing: hide it
GAP = 3  # what the table style puts between two columns (padding, rule, padding)
STALE_S = 2.0  # no sample for this long: the values are old, say so
RATE_WINDOW_S = 5.0  # the footer's rate is measured over the last few seconds

_ALARM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*([-+]?\d+(?:\.\d*)?)\s*$")
_COMPARE = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}

AlarmOption = Annotated[
    list[str] | None,
    typer.Option(
        "--alarm",
        metavar="NAME>N",
        help="Highlight NAME and ring the bell while the rule holds: NAME>N, NAME<N, "
        "NAME>=N or NAME<=N, N in the units shown (COOLANT_TEMP>105); repeatable. NAME is "
        "polled even if not among --pid.",
    ),
]


@dataclass(frozen=True)
class Alarm:
    """One ``--alarm`` rule: ``name`` ``op`` ``limit`` (in the units shown)."""

    name: str
    op: str
    limit: float

    @property
    def text(self) -> str:
        return f"{self.name}{self.op}{self.limit:g}"

    def holds(self, value) -> bool:
        number = _number(value)
        return number is not None and _COMPARE[self.op](number, self.limit)


def chosen_alarms(specs: list[str] | None) -> list[Alarm]:
    """``--alarm`` rules parsed; exits 2 naming the allowed forms for a malformed one and
    close matches for an unknown value name."""
    from obdcore.io.client import check_live_names

    alarms = []
    for spec in specs or ():
        match = _ALARM.match(spec)
        if match is None:
            fail(
                f"--alarm {spec!r}: write NAME>N, NAME<N, NAME>=N or NAME<=N with N a number "
                "(COOLANT_TEMP>105)",
                EXIT_USAGE,
            )
        name, op, limit = match.group(1).upper(), match.group(2), float(match.group(3))
        try:
            check_live_names([name])
        except TableError as exc:
            fail(f"--alarm {spec!r}: {exc}", EXIT_USAGE)
        alarms.append(Alarm(name, op, limit))
    return alarms


def sparkline(values, width: int | None = None) -> str:
    """Block characters tracing the last ``width`` of ``values`` (all: None) between their
    own minimum and maximum, left-aligned and padded with spaces to ``width``."""
    values = list(values)[-width:] if width else list(values)
    if not values:
        return " " * (width or 0)
    low, high = min(values), max(values)
    top = len(SPARK_BLOCKS) - 1
    if high == low:  # a steady value: a flat line in the middle
        line = SPARK_BLOCKS[len(SPARK_BLOCKS) // 2 - 1] * len(values)
    else:
        line = "".join(SPARK_BLOCKS[round((v - low) / (high - low) * top)] for v in values)
    return line.ljust(width or 0)


def _number(value) -> float | None:
    """``value`` as a plottable number, None for structured or missing values."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def short_number(value, width: int = NUMBER_WIDTH, digits: int = 4) -> str:
    """A value as a dashboard shows it: ``digits`` significant digits, no exponent, never
    longer than ``width`` characters (a number is rounded further, never cut)."""
    number = _number(value)
    if number is None:
        return "-" if value is None else _value_text(value)  # "…" would read as cut
    if abs(number) >= 10_000:
        return f"{number:.0f}"
    text = f"{number:.{digits}g}"
    if "e" in text and abs(number) >= 1:  # 9999.9 rounds up to 1e+04
        text = f"{number:.0f}"
    elif "e" in text or len(text) > width:  # 0.00001234: fixed decimals that fit
        decimals = max(0, width - 2 - (number < 0))
        text = f"{number:.{decimals}f}"
    return text


@dataclass(frozen=True)
class Layout:
    """Which columns a dashboard of a given width shows, and how wide each is. Chosen from
    the terminal's width and the names and units polled, never from the values, so the
    table keeps its width as values change and sparklines fill."""

    name: int
    unit: int
    extremes: bool  # the min and max columns
    rate: bool  # the Hz column
    spark: int  # sparkline width, 0: hidden

    @classmethod
    def fit(cls, width: int, name: int, unit: int) -> Layout:
        """The widest dashboard within ``width`` columns: value name, now and unit always;
        then min and max, then Hz, then a sparkline of 8-30 blocks, as room allows."""
        used = name + NUMBER_WIDTH + unit + 2 * GAP
        extremes = used + 2 * (NUMBER_WIDTH + GAP) <= width
        used += 2 * (NUMBER_WIDTH + GAP) if extremes else 0
        rate = used + RATE_WIDTH + GAP <= width
        used += RATE_WIDTH + GAP if rate else 0
        room = width - used - GAP
        return cls(name, unit, extremes, rate, min(SPARK_WIDTH, room) if room >= SPARK_MIN else 0)


@dataclass
class Trace:
    """What the dashboard keeps of one value, in the units shown. ``ecu``: its source, the
    first ECU that answered it (when two repeat a value, the speed, one source keeps
    min/max honest)."""

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

    def add(self, sample, value, unit: str) -> bool:
        """Takes one sample (``value`` in ``unit``, converted for display) from this
        value's source ECU; False for another ECU's (ignored)."""
        if self.ecu is None:
            self.ecu = sample.ecu
        if sample.ecu != self.ecu:
            return False
        self.last, self.unit, self.count = value, unit, self.count + 1
        self.first_at = sample.at if self.first_at is None else self.first_at
        self.last_at = sample.at
        number = _number(value)
        if number is not None:
            self.low = number if self.low is None else min(self.low, number)
            self.high = number if self.high is None else max(self.high, number)
            self.recent.append(number)
        return True

    @property
    def rate_hz(self) -> float | None:
        """Samples per second received so far (None before two samples)."""
        if self.count < 2 or self.last_at == self.first_at:
            return None
        return (self.count - 1) / (self.last_at - self.first_at)

    def document(self, table=None, metric: bool = True) -> dict:
        """What ``live --json`` says of this value: the value as every command writes a
        reading (rounded to its PID's resolution, DTCs and PID lists in their one shape),
        min, max and recent values rounded alike; ``metric`` False: values converted to
        other units, whose resolution the table does not give (left as converted)."""
        from obdcore.reports import ecu_key, to_json, value_entry

        def entry(value):
            return value_entry(self.name, value, table) if metric else to_json(value)

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


def _rate_text(rate: float | None) -> str:
    """A rate within :data:`RATE_WIDTH` characters: ``10.0``, ``120``."""
    if rate is None:
        return ""
    return f"{rate:.1f}" if rate < 99.95 else f"{min(rate, 9999):.0f}"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _display_unit(name: str, units: str) -> str:
    """The unit ``name`` is shown in, known before any sample (the PID table's)."""
    from obdcore.protocol.pidtable import PidTable

    try:
        unit = PidTable.standard().by_name(name).unit
    except KeyError:
        unit = ""
    return unit_in(unit, units)


class LinkStatus:
    """How the link is, judged from what arrives (not from the last event alone): the
    footer of ``live`` and ``trip``."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.started = clock()
        self.state = "connecting"  # the client's last state event
        self.error: LinkError | None = None  # the error that ended the session, if one did
        self.stopped = False
        self.last_sample_at: float | None = None
        self.arrivals: deque[float] = deque()

    @property
    def lost(self) -> bool:
        return self.error is not None

    def arrived(self, at: float) -> None:
        """A sample came at ``at`` (the client's clock)."""
        self.last_sample_at = at
        self.arrivals.append(at)
        while self.arrivals and self.arrivals[0] < at - RATE_WINDOW_S:
            self.arrivals.popleft()

    def event(self, event) -> None:
        """A connection event from the client."""
        self.state = str(event.state)

    def age(self) -> float | None:
        """Seconds since the last sample (None before the first)."""
        return None if self.last_sample_at is None else self.clock() - self.last_sample_at

    def stale(self) -> bool:
        """True once the values shown are old: the link lost or silent for a while."""
        return self.lost or (self.age() or 0.0) > STALE_S

    def seconds(self) -> float:
        return self.clock() - self.started

    def footer(self) -> str:
        """The rate of samples, or how long nothing came, or that the link was lost; then
        the time (Rich markup)."""
        from rich.markup import escape

        age = self.age()
        if self.lost:
            status = "[bold red]link lost: the adapter stopped answering[/]"
        elif age is None:
            status = escape(self.state)
        elif age <= STALE_S:
            window = max(min(RATE_WINDOW_S, self.seconds()), 1e-9)
            status = f"receiving {len(self.arrivals) / window:.0f} values/s"
        else:
            status = f"[bold yellow]no data for {age:.0f} s[/] ({escape(self.state)})"
        hint = "stopped" if self.stopped else "Ctrl-C to stop"
        return f"{status} · {self.seconds():.0f} s · {hint}"


class Dashboard:
    """The rows of ``novaevo live``, its alarms and the footer saying how the link is.

    A Rich renderable: each drawing fits the console's current width (:class:`Layout`).
    """

    def __init__(
        self,
        names: list[str],
        clock: Callable[[], float],
        units: str = "metric",
        alarms: list[Alarm] | tuple[Alarm, ...] = (),
        table=None,
    ):
        self.traces = {name: Trace(name, _display_unit(name, units)) for name in names}
        self.pid_table = table  # the PID table (custom PIDs included): for the rounding
        self.units = units
        self.alarms = list(alarms)
        self.firing: set[Alarm] = set()
        self.alarm_events: list[dict] = []
        self.bell = False  # an alarm started since the last drawing
        self.link = LinkStatus(clock)

    # ---------------------------------------------------------------- what comes in

    def add(self, sample) -> None:
        trace = self.traces.get(sample.name)
        if trace is None:
            return
        value, unit = convert(sample.value, sample.unit, self.units)
        if not trace.add(sample, value, unit):
            return
        self.link.arrived(sample.at)
        for alarm in self.alarms:
            if alarm.name == sample.name:
                self._check(alarm, value, unit, sample.at)

    def _check(self, alarm: Alarm, value, unit: str, at: float) -> None:
        """Starts or ends ``alarm`` on a new value; a start rings the bell once."""
        if alarm.holds(value) and alarm not in self.firing:
            self.firing.add(alarm)
            self.bell = True
            self.alarm_events.append(
                {
                    "alarm": alarm.text,
                    "name": alarm.name,
                    "value": value,
                    "unit": unit,
                    "at_s": round(at - self.link.started, 2),
                    "ended_at_s": None,
                }
            )
        elif not alarm.holds(value) and alarm in self.firing:
            self.firing.discard(alarm)
            for event in reversed(self.alarm_events):
                if event["alarm"] == alarm.text and event["ended_at_s"] is None:
                    event["ended_at_s"] = round(at - self.link.started, 2)
                    break

    # ---------------------------------------------------------------- drawing

    def __rich_console__(self, console, options):
        yield self.table(options.max_width)

    def table(self, width: int):
        """The table for a terminal ``width`` columns wide."""
        from rich import box
        from rich.table import Table

        units = [len(trace.unit) for trace in self.traces.values()]
        shape = Layout.fit(
            width, max(len(name) for name in self.traces), max([4, *units]) if units else 4
        )
        table = Table(
            title="Live data",
            caption=self.link.footer(),
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
        )
        columns = [("value", shape.name, "left"), ("now", NUMBER_WIDTH, "right")]
        columns.append(("unit", shape.unit, "left"))
        if shape.extremes:
            columns += [("min", NUMBER_WIDTH, "right"), ("max", NUMBER_WIDTH, "right")]
        if shape.spark:
            columns.append(("recent", shape.spark, "left"))
        if shape.rate:
            columns.append(("Hz", RATE_WIDTH, "right"))
        for title, size, justify in columns:
            table.add_column(title, width=size, justify=justify, no_wrap=shape.name < width)
        stale = self.link.stale()
        alarmed = {alarm.name for alarm in self.firing}
        for trace in self.traces.values():
            table.add_row(*self._row(trace, shape, stale, trace.name in alarmed))
        if self.firing:
            from rich.markup import escape

            rules = ", ".join(sorted(alarm.text for alarm in self.firing))
            table.caption = f"[bold white on red] ALARM {escape(rules)} [/] " + table.caption
        return table

    def _row(self, trace: Trace, shape: Layout, stale: bool, alarmed: bool) -> list:
        from rich.text import Text

        style = "bold white on red" if alarmed else ("dim" if stale else "")
        cells = [Text(trace.name, style=style), Text(short_number(trace.last), style=style)]
        cells.append(Text(trace.unit))
        if shape.extremes:
            cells += [Text(short_number(trace.low)), Text(short_number(trace.high))]
        if shape.spark:
            cells.append(Text(sparkline(trace.recent, shape.spark)))
        if shape.rate:
            rate = trace.rate_hz
            cells.append(Text(_rate_text(rate)))
        return cells

    def document(self, interrupted: bool) -> dict:
        return {
            "pids": {
                name: trace.document(self.pid_table, self.units == "metric")
                for name, trace in self.traces.items()
            },
            "units": self.units,
            "alarms": self.alarm_events,
            "seconds": round(self.link.seconds(), 2),
            "interrupted": interrupted,
            "link_lost": _lost_text(self.link),
        }


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def live(
    target: CarTarget,
    pid: PidOption = None,
    rate: RateOption = None,
    alarm: AlarmOption = None,
    units: UnitsOption = "metric",
    duration: DurationOption = None,
    as_json: JsonOption = False,
) -> None:
    """Watch values change: a live table of each value now, its min, max and a sparkline
    of recent values, fitted to the terminal's width. Ctrl-C (or --duration) stops it; a
    link lost for good (the adapter gone) ends it with exit code 6."""
    alarms = chosen_alarms(alarm)
    names = chosen_names(pid, target.table)
    names += [a.name for a in alarms if a.name not in names]
    rates = chosen_rates(rate, names)
    board = Dashboard(names, time.monotonic, units, alarms, target.table)  # client's clock
    finished = target.run(
        lambda car: _watch(car, board, list(board.traces), rates, duration, as_json),
        on_event=board.link.event,
        interruptible=True,
    )
    if as_json:
        print_json(board.document(interrupted=finished is None))
    _end_if_lost(board.link)


def _lost_text(link: LinkStatus) -> str | None:
    """Why the link was given up (the JSON's ``link_lost``), None while it held."""
    if link.error is None:
        return None
    return failures.plain_message(link.error) if str(link.error) else type(link.error).__name__


def _end_if_lost(link: LinkStatus) -> None:
    """Exits 6 when the session ended on a lost link. Once connected, a link given up is
    a lost link, whatever the last reconnection attempt met (nothing listening any more
    would otherwise read as 3, an adapter never found)."""
    if link.error is not None:
        fail(link_failure(link.error)[1], ExitCode.LINK)


async def _watch(car, board, names, rates, duration: float | None, as_json: bool) -> bool:
    """Streams ``names`` into ``board`` (a renderable with ``add(sample)`` and a
    :class:`LinkStatus` ``link``) and redraws it 4 times a second, also while nothing
    arrives, so that a silent link shows; a :class:`LinkError` is noted on the board."""
    from rich.live import Live

    board.link.started = car.clock()
    out = console()
    display = nullcontext() if as_json else Live(board, console=out, auto_refresh=False)
    with display as screen:
        drawing = asyncio.create_task(_redraw(screen, board, out)) if screen else None
        try:
            await poll(car, names, rates, duration, board.add, persistent=False)
        except LinkError as exc:
            board.link.error = exc
        finally:
            board.link.stopped = True  # the last drawing says so
            if drawing is not None:
                drawing.cancel()
                screen.refresh()
    if not as_json and not out.is_terminal:
        out.line()  # Rich ends a live display with a newline on terminals only
    return True


async def _redraw(screen, board: Dashboard, out) -> None:
    while True:
        if getattr(board, "bell", False) and out.is_terminal:
            out.file.write("\a")  # BEL: the terminal beeps (or flashes)
            out.file.flush()
        board.bell = False
        screen.refresh()
        await asyncio.sleep(REFRESH_S)


# ============================================================================ trip

_TRIP_ROWS = (
    ("trip_time", "trip time"),
    ("distance", "distance"),
    ("average_speed", "average speed"),
    ("speed", "speed now"),
    ("fuel_rate", "fuel rate now"),
    ("instant_economy", "economy now"),
    ("fuel_used", "fuel used"),
    ("average_economy", "average economy"),
)


class TripBoard:
    """``novaevo trip``: a :class:`obdcore.trip.Trip` fed by the stream, drawn as a
    two-column table (it fits 50 columns) with the link's footer."""

    def __init__(self, fuel: str, clock: Callable[[], float], units: str = "metric"):
        from obdcore.trip import Trip

        self.trip = Trip(fuel=fuel)
        self.units = units
        self.link = LinkStatus(clock)

    def add(self, sample) -> None:
        number = _number(sample.value)
        if number is None:
            return
        self.link.arrived(sample.at)
        feed = {"SPEED": self.trip.speed, "FUEL_RATE": self.trip.fuel_rate, "MAF": self.trip.maf}
        if sample.name in feed:
            feed[sample.name](sample.at, number)

    def figures(self) -> dict:
        """The trip's figures in the units shown: ``{"name": {"value", "unit"}}``."""
        shown = {}
        for name, figure in self.trip.document()["figures"].items():
            value, _ = convert(figure["value"], figure["unit"], self.units)
            shown[name] = {"value": value, "unit": unit_in(figure["unit"], self.units)}
        return shown

    def __rich_console__(self, console, options):
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="Trip", caption=self.link.footer(), show_header=False)
        table.add_column(no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        figures = self.figures()
        for name, label in _TRIP_ROWS:
            table.add_row(label, _figure_text(name, figures[name]))
        table.add_row("fuel", escape(f"{self.trip.fuel}, {self.trip.method or 'no source'}"))
        yield table

    def document(self, interrupted: bool) -> dict:
        return {
            **self.trip.document(),
            "figures": self.figures(),
            "units": self.units,
            "interrupted": interrupted,
            "link_lost": _lost_text(self.link),
        }


def _figure_text(name: str, figure: dict) -> str:
    value, unit = figure["value"], figure["unit"]
    if value is None:
        return "-"
    if name == "trip_time":
        minutes, seconds = divmod(int(value), 60)
        return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    decimals = 3 if unit in ("L", "gal") else (2 if unit in ("km", "mi") else 1)
    return f"{value:.{decimals}f} {unit.replace('L/100km', 'L/100 km')}"


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def trip(
    target: CarTarget,
    units: UnitsOption = "metric",
    duration: DurationOption = None,
    as_json: JsonOption = False,
) -> None:
    """A trip computer: trip time, distance, average speed, fuel rate (L/h), economy now
    and on average (L/100 km or MPG) and fuel used. Fuel comes from the car's fuel-rate
    value (PID 5E) when it has one, else from the air flow (MAF) at the stoichiometric
    ratio of its fuel (petrol or diesel, read from PID 51). Ctrl-C (or --duration) stops
    it; a link lost for good ends it with exit code 6."""
    holder: dict = {}

    async def drive(car) -> bool:
        names, fuel = await _trip_sources(car)
        board = holder["board"] = TripBoard(fuel, car.clock, units)
        return await _watch(car, board, names, None, duration, as_json)

    def on_event(event) -> None:
        if "board" in holder:
            holder["board"].link.event(event)

    finished = target.run(drive, on_event=on_event, interruptible=True)
    board = holder.get("board")
    if board is None:  # Ctrl-C before the trip began
        return
    if as_json:
        print_json(board.document(interrupted=finished is None))
    _end_if_lost(board.link)


async def _trip_sources(car) -> tuple[list[str], str]:
    """What to poll for a trip (speed, then the fuel rate or else the air flow) and the
    car's fuel, from the PIDs its engine ECU supports."""
    from obdcore.trip import fuel_kind

    supported = set().union(*(await car.supported_pids()).values())
    fuel = "petrol"
    if 0x51 in supported:
        response = await car.query("FUEL_TYPE")
        fuel = fuel_kind(next((str(r.value) for r in response.readings), None))
    names = ["SPEED"]
    if 0x5E in supported:
        names.append("FUEL_RATE")
    elif 0x10 in supported:
        names.append("MAF")
    return names, fuel


# ============================================================================ log


class Recorder:
    """Writes samples and connection events to a :class:`SampleLog` and keeps a progress
    line (state, samples, rate, elapsed) on stderr up to date."""

    def __init__(self, sample_log, duration: float | None, show: bool, units: str = "metric"):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.log = sample_log
        self.units = units
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
        """A sample: into the file, in the units chosen (each row carries its unit)."""
        value, unit = convert(sample.value, sample.unit, self.units)
        if unit != sample.unit:
            sample = dataclasses.replace(sample, value=value, unit=unit)
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


def _sample_log(output: Path, fmt: str, names: list[str], table, units: str = "metric"):
    """The log file, its wide CSV columns (units as chosen) and JSON lines as every
    command writes them."""
    from obdcore.io.logfile import SampleLog
    from obdcore.protocol.pidtable import PidTable
    from obdcore.reports import reading_entry

    table = table if table is not None else PidTable.standard()
    columns = [(name, unit_in(table.by_name(name).unit, units)) for name in names]
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
    units: UnitsOption = "metric",
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
        sample_log = _sample_log(output, fmt, names, target.table, units)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
    with sample_log:
        recorder = Recorder(sample_log, duration, show=not as_json, units=units)
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
