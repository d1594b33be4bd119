"""The guided test over obdcore's client: read everything once, run only the phases the
current suspects need, stop as soon as the ranking is settled; build the snapshot as it goes.

:func:`run_guided_test` takes an open client (``obdcore.client.Client``, or anything with
its ``supported_pids / read_dtcs / freeze_frame / readiness / mode06 / vin / query``
coroutines) and a *driver*: who makes the car do each phase. :class:`PromptDriver` asks a
person (prompt plus a live gauge callback); :class:`SimulatorDriver` sends the simulator's
control commands (``SIM RPM 2500``...) through the same link when the simulator has them.
Whatever happens to the link, the result is the snapshot read so far, its diagnosis and,
when it ended early, why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from diagnostics.engine import diagnose
from diagnostics.plan import (
    BUDGET_S,
    LIVE_PIDS,
    PHASES,
    SETTLED_AT,
    WARM_UP,
    guided_test_plan,
    step,
)
from diagnostics.snapshot import Diagnosis, load_snapshot

#: Budgets: a car that does not answer within them has stopped answering. The client has
#: its own per-request deadlines and recovery (LinkError); these only bound a whole step
#: (reading Mode 06 is dozens of requests on a slow adapter).
REQUEST_TIMEOUT_S = 10.0
READ_STEP_TIMEOUT_S = 60.0
PIDS_PER_REQUEST = 6


@dataclass
class GuidedResult:
    """What the guided test produced."""

    snapshot: dict
    diagnosis: Diagnosis
    phases_run: list[str] = field(default_factory=list)
    stopped_early: str | None = None  # why the test ended before its plan (None: it did not)
    elapsed_s: float = 0.0
    # The wait before the warm phases: coolant at its start and end, seconds, reached
    # (closed loop or warm), closed_loop.
    warm_up: dict | None = None
    # Phases of the plan left out, and why ("time": over the budget; "cold": the engine
    # was not in closed loop when the wait ended).
    dropped: dict[str, str] = field(default_factory=dict)


class PromptDriver:
    """Asks a person to do each phase; ``say`` shows text, ``gauge`` shows live values."""

    def __init__(
        self,
        say: Callable[[str], None],
        gauge: Callable[[str, float | None], None],
        lang: str = "en",
    ):
        self.say, self.gauge, self.lang = say, gauge, lang

    async def start(self, phase: str, client: Any) -> None:
        """Tell the driver what to do now."""
        self.say(step(phase)["prompt"][self.lang])

    def sample(self, phase: str, values: dict[str, float | None]) -> None:
        """Show the phase's gauge (``hold 2,500 rpm: 2,430``)."""
        name = step(phase)["gauge"]
        self.gauge(name, values.get(name))

    async def waited(self, client: Any, seconds: float) -> None:
        """Called after each warm-up poll; a person needs no help for time to pass."""


class SimulatorDriver(PromptDriver):
    """Drives the simulator itself through its in-band control commands (``SIM ...``).
    ``warp_s``: simulated seconds to let pass after each warm-up poll (``SIM WAIT``), for
    fast-timing tests; 0 (the default) warms the engine in real time."""

    ORDERS = {
        "warm_up": "SIM RPM 1500",  # a fast idle warms sooner than a plain one
        "cold_start": None,
        "idle": "SIM IDLE",
        "hold_2500": "SIM RPM 2500",
        "snap_throttle": "SIM SNAP",
        "drive": "SIM SPEED 60",
    }

    def __init__(self, *args: Any, warp_s: float = 0.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.warp_s = warp_s

    async def start(self, phase: str, client: Any) -> None:
        """Send the phase's order; a simulator without control commands just keeps going."""
        self.say(f"[simulator] {step(phase)['prompt'][self.lang]}")
        await self._order(client, self.ORDERS[phase])

    async def waited(self, client: Any, seconds: float) -> None:
        """Fast timing: let ``warp_s`` more simulated seconds pass."""
        if self.warp_s > 0:
            await self._order(client, f"SIM WAIT {self.warp_s:g} 1")

    async def _order(self, client: Any, order: str | None) -> None:
        if order and hasattr(client, "command"):
            try:
                await asyncio.wait_for(client.command(order), REQUEST_TIMEOUT_S)
            except Exception as error:  # an older simulator answers "?": it drives itself
                self.say(f"[simulator] cannot order {order!r}: {error}")


async def _timed(awaitable: Awaitable, what: str, timeout: float = READ_STEP_TIMEOUT_S):
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise CarStopped(f"the car stopped answering while reading {what}") from None
    except OSError as error:  # obdcore's LinkError is an OSError
        raise CarStopped(f"the link failed while reading {what}: {error}") from None


class CarStopped(Exception):
    """The car or the link stopped answering; the message says where. ``partial``: the
    phase recorded until then."""

    partial: dict | None = None


async def read_once(client: Any, snapshot: dict) -> None:
    """Identity, codes, freeze frame, readiness, Mode 06, supported PIDs into ``snapshot``."""
    supported = await _timed(client.supported_pids(), "the supported PIDs")
    pids = sorted({pid for ecu_pids in supported.values() for pid in ecu_pids})
    snapshot["supported_pids"] = [f"{p:02X}" for p in pids if p <= 0xFF]
    dtcs = await _timed(client.read_dtcs(), "the trouble codes")
    ecus: dict[int, dict] = {}
    for dtc in dtcs:
        entry = ecus.setdefault(
            dtc.ecu, {"address": f"{dtc.ecu:X}", "stored": [], "pending": [], "permanent": []}
        )
        entry[dtc.kind].append(dtc.code)
    snapshot["ecus"] = list(ecus.values())
    frames = await _timed(client.freeze_frame(), "the freeze frame")
    snapshot["freeze_frames"] = [_frame(f) for f in frames]
    readiness = await _timed(client.readiness(), "the readiness monitors")
    if readiness:
        snapshot["mil_on"] = bool(readiness[0].since_clear.mil)
        snapshot["readiness"] = {
            "since_clear": _monitors(readiness[0].since_clear),
            "this_cycle": _monitors(readiness[0].this_cycle),
        }
    tests = await _timed(client.mode06(), "Mode 06")
    snapshot["mode06"] = [_mode06(ecu, t) for ecu, results in tests.items() for t in results]
    vin = await _timed(client.vin(), "the VIN")
    if vin:
        snapshot.setdefault("vehicle", {})["vin"] = vin[:17]


def _frame(frame) -> dict:
    values = {
        r.name: float(r.value)
        for r in frame.readings
        if isinstance(r.value, (int, float)) and not isinstance(r.value, bool)
    }
    return {
        "ecu": f"{frame.ecu:X}",
        "frame": frame.frame,
        "dtc": frame.dtc if isinstance(frame.dtc, str) else None,
        "values": values,
    }


def _monitors(status) -> dict | None:
    if status is None or not hasattr(status, "monitors"):
        return None
    return {m.name: {"available": m.available, "complete": m.complete} for m in status.monitors}


def _mode06(ecu: int, test) -> dict:
    return {
        "ecu": f"{ecu:X}",
        "mid": f"{test.mid:02X}",
        "tid": f"{test.tid:02X}",
        "name": test.name,
        "value": test.value,
        "min": test.minimum,
        "max": test.maximum,
        "unit": test.unit,
        "status": "pass" if test.passed else "fail",
    }


async def record_phase(
    client: Any,
    driver: PromptDriver,
    phase: str,
    pids: list[str],
    duration: float | None = None,
    period_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> dict:
    """Poll ``pids`` every ``period_s`` (1 Hz, what the model was trained on) for the
    phase's duration; returns the phase dict. Raises CarStopped with ``partial`` set."""
    duration = step(phase)["duration_s"] if duration is None else duration
    out: dict[str, Any] = {"duration_s": 0.0, "t": [], "series": {p: [] for p in pids}}
    start = clock()
    while clock() - start < duration:
        tick = clock()
        values: dict[str, float | None] = {}
        for i in range(0, len(pids), PIDS_PER_REQUEST):
            chunk = pids[i : i + PIDS_PER_REQUEST]
            try:
                response = await _timed(
                    client.query(*chunk), f"live data during {phase}", REQUEST_TIMEOUT_S
                )
            except CarStopped as stopped:
                stopped.partial = out
                raise
            for name in chunk:
                value = response.value(name)
                values[name] = float(value) if isinstance(value, (int, float)) else None
        out["t"].append(round(tick - start, 2))
        for name in pids:
            out["series"][name].append(values.get(name))
        driver.sample(phase, values)
        await asyncio.sleep(max(0.0, period_s - (clock() - tick)))
    out["duration_s"] = round(clock() - start, 2)
    return out


async def _record_keeping_partial(client, driver, phase, pids, duration, period_s, snapshot):
    """record_phase, but what was sampled before the car stopped is kept in the snapshot."""
    try:
        snapshot["phases"][phase] = await record_phase(
            client, driver, phase, pids, duration, period_s
        )
    except CarStopped as stopped:
        if stopped.partial and stopped.partial["t"]:
            stopped.partial["duration_s"] = float(len(stopped.partial["t"]))
            snapshot["phases"][phase] = stopped.partial
        raise


async def _warm_reading(client: Any) -> tuple[float | None, float | None]:
    """(coolant C, short-term trim %) now; None for what the car does not report."""
    response = await _timed(
        client.query("COOLANT_TEMP", "SHORT_FUEL_TRIM_1"),
        "the coolant temperature",
        REQUEST_TIMEOUT_S,
    )
    values = [response.value(name) for name in ("COOLANT_TEMP", "SHORT_FUEL_TRIM_1")]
    coolant, trim = (float(v) if isinstance(v, (int, float)) else None for v in values)
    return coolant, trim


def _ready(coolant: float | None, trim: float | None) -> bool:
    """Closed loop (an ECU in open loop reports a short-term trim of exactly 0 %) or, for a
    car that reports no trim, a warm coolant."""
    warm = coolant is not None and coolant >= WARM_UP["until_c"]
    return warm or (trim is not None and trim != 0.0)


async def warm_up(
    client: Any,
    driver: PromptDriver,
    max_s: float = WARM_UP["max_s"],
    period_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> dict | None:
    """Before the warm phases: polls coolant and short-term trim every ``period_s`` until
    the engine runs in closed loop (or reads ``WARM_UP["until_c"]``), at most ``max_s``.
    Returns what it did (``None``: the car reports neither, nothing to wait for)."""
    coolant, trim = await _warm_reading(client)
    first = coolant
    if coolant is None and trim is None:
        return None
    start = clock()
    ready = _ready(coolant, trim)
    if not ready and max_s > 0:
        await driver.start("warm_up", client)
    while not ready and clock() - start < max_s:
        await asyncio.sleep(period_s)
        await driver.waited(client, period_s)
        coolant, trim = await _warm_reading(client)
        ready = _ready(coolant, trim)
        driver.sample("warm_up", {"COOLANT_TEMP": coolant})
    if not ready:
        driver.say(f"engine still in open loop after {clock() - start:.0f} s")
    return {
        "from_c": first,
        "to_c": coolant,
        "seconds": round(clock() - start, 2),
        "reached": ready,
        "closed_loop": trim is not None and trim != 0.0,
    }


def _settled(d: Diagnosis) -> bool:
    if d.status == "no_fault_found":
        return d.posterior.get("healthy", 0.0) >= SETTLED_AT
    return d.status == "fault_found" and d.causes[0].probability >= SETTLED_AT


async def run_guided_test(
    client: Any,
    driver: PromptDriver,
    *,
    vehicle: dict | None = None,
    model: Any = "default",
    durations: dict[str, float] | None = None,
    period_s: float = 1.0,
    budget_s: float = BUDGET_S,
) -> GuidedResult:
    """The whole guided test (see the module docstring). Never raises for a car that stops
    answering: the result carries the partial diagnosis and ``stopped_early``.
    ``durations`` / ``period_s`` shorten the phases (tests); the defaults are the plan's.

    A cold engine gives its cold start at once (the cold-start phase is recorded first);
    the wait for closed loop comes only before the first phase that needs a warm engine,
    bounded by what ``budget_s`` leaves once that phase is run. Phases that no longer fit,
    and warm phases when the loop is still open, are dropped (``dropped``)."""
    started = time.monotonic()
    snapshot: dict[str, Any] = {"schema_version": 1, "vehicle": dict(vehicle or {}), "phases": {}}
    result = GuidedResult(snapshot, diagnose({"schema_version": 1}, model=None))
    durations = durations or {}

    def length(phase: str) -> float:
        return durations.get(phase, PHASES[phase]["duration_s"])

    try:
        await read_once(client, snapshot)
        result.diagnosis = diagnose(snapshot, model=model)
        plan = [p["id"] for p in guided_test_plan(result.diagnosis)["phases"]]
        coolant, trim = await _warm_reading(client)
        if "cold_start" not in plan and not _ready(coolant, trim):
            plan.insert(0, "cold_start")  # what a cold engine gives: take it while it lasts
        pids = list(LIVE_PIDS)  # pruned to what the car answers after the first phase
        for phase in plan:
            if _settled(result.diagnosis) and result.phases_run:
                break
            warm = PHASES[phase]["needs_warm"]
            if warm and result.warm_up is None:
                # Wait no longer than lets this phase still fit; later ones may not.
                left = budget_s - (time.monotonic() - started) - length(phase)
                max_s = max(0.0, min(durations.get("warm_up", WARM_UP["max_s"]), left))
                result.warm_up = await warm_up(client, driver, max_s, period_s) or {}
            if warm and result.warm_up and not result.warm_up["reached"]:
                result.dropped[phase] = "cold"
                continue
            if time.monotonic() - started + length(phase) > budget_s:
                result.dropped[phase] = "time"
                continue
            await driver.start(phase, client)
            await _record_keeping_partial(
                client, driver, phase, pids, durations.get(phase), period_s, snapshot
            )
            result.phases_run.append(phase)
            pids = _answered(snapshot["phases"][phase], pids)
            result.diagnosis = diagnose(snapshot, model=model)
    except CarStopped as stopped:
        result.stopped_early = str(stopped)
        result.diagnosis = diagnose(load_snapshot(snapshot), model=model)
    result.elapsed_s = round(time.monotonic() - started, 2)
    return result


def _answered(phase: dict, pids: list[str]) -> list[str]:
    """Keep polling only the PIDs the car answered (a dongle's time is the budget)."""
    kept = [p for p in pids if any(v is not None for v in phase["series"].get(p, []))]
    for p in pids:
        if p not in kept:
            phase["series"].pop(p, None)
    return kept or pids
