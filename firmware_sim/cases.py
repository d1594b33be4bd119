"""Labelled cases for the diagnosis engine: a random car, 0-3 faults, the guided test
driven, what an OBD client reads (the diagnosis engine's vehicle snapshot,
schema_version 1: ``diagnostics/snapshot.schema.json``), and the
ground truth.

Two paths give the same case for the same seed (``tests/firmware_sim/test_cases.py``):

- in process (:func:`generate_case`): the ECUs' answers are formatted as the adapter
  prints them and decoded by ``obdcore``'s own decoder, without a transport: thousands of
  cases a minute;
- through a real pty and the real ``obdcore`` client (:func:`generate_case_over_pty`):
  the driver's orders travel in-band (``SIM ...``) and the adapter's clock is frozen
  between them (``SIM FREEZE ON``), so a client's polling does not move the car.

Command line: ``python -m firmware_sim.cases -n 1000 -o cases.jsonl [--seed 0]
[--profile small_petrol]`` (also ``novaevo sim cases``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from firmware_sim.bus import Answer, Format, format_answers
from firmware_sim.drive import IDLE_ONLY
from firmware_sim.ecu import Car
from firmware_sim.errors import ProfileError
from firmware_sim.faults import Fault, faults_for, make_fault
from firmware_sim.library import LIBRARY, car_has
from firmware_sim.profiles import PROFILES, EngineProfile, draw_car

SCHEMA_VERSION = 1
# What a dongle polls during the guided test (only those the car supports are kept).
SERIES_PIDS = (
    "RPM",
    "SPEED",
    "ENGINE_LOAD",
    "COOLANT_TEMP",
    "SHORT_FUEL_TRIM_1",
    "LONG_FUEL_TRIM_1",
    "SHORT_FUEL_TRIM_2",
    "LONG_FUEL_TRIM_2",
    "INTAKE_PRESSURE",
    "TIMING_ADVANCE",
    "INTAKE_TEMP",
    "MAF",
    "THROTTLE_POS",
    "O2_B1S1_VOLTAGE",
    "O2_B1S2_VOLTAGE",
    "CATALYST_TEMP_B1S1",
    "CONTROL_MODULE_VOLTAGE",
    "FUEL_PRESSURE",
    "FUEL_RAIL_PRESSURE_DIRECT",
    "COMMANDED_EGR",
    "EGR_ERROR",
    "EVAP_VAPOR_PRESSURE",
    "BAROMETRIC_PRESSURE",
)
# Fault pairs that cannot both be true of one part.
EXCLUSIVE = (
    {"thermostat_stuck_open", "thermostat_stuck_closed"},
    {"maf_under_reading", "maf_over_reading"},
    {"charging_fault", "alternator_overcharging"},
    {"boost_leak", "overboost"},
    {"slow_upstream_o2", "dead_upstream_o2"},
    {"slow_downstream_o2", "dead_downstream_o2"},
    {"egr_stuck", "egr_insufficient_flow"},
    {"misfire", "ignition_coil", "low_compression", "clogged_injector"},
)
# Old codes a used car carries from repaired faults (distractors).
OLD_CODES = (
    "P0442",
    "P0455",
    "P0420",
    "P0171",
    "P0300",
    "P0128",
    "P0135",
    "P0141",
    "P0401",
    "P0562",
    "P0113",
    "P0340",
    "P0500",
    "P0700",
    "P0455",
)
VARIANTS = (
    "full",
    "full",
    "full",
    "full",
    "full",
    "full",
    "codes_only",
    "pending_only",
    "no_mode06",
)

# The guided test: (phase, order, seconds recorded, physics step). "warm_up" is driven but
# not recorded: the driver is asked to drive until the gauge reads normal.
GUIDED_TEST = (
    ("cold_start", None, 40, 1.0),
    ("warm_up", "SPEED 50", 0, 15.0),
    ("idle", "IDLE", 60, 1.0),
    ("hold_2500", "RPM 2500", 30, 1.0),
    ("snap_throttle", "SNAP", 6, 0.25),
    ("drive", "SPEED 60", 60, 1.0),
)
SETTLE_S = {"idle": 15.0, "hold_2500": 5.0, "snap_throttle": 2.0, "drive": 0.0}
WARM_UP_MAX_S = 900.0
WARM_ENOUGH_C = 80.0


@dataclass
class CasePlan:
    """Everything drawn for one case before anything is driven."""

    seed: int
    profile: str
    car: EngineProfile
    faults: list[Fault]
    variant: str
    old_code: str | None = None
    cleared: bool = False
    history_trips: int = 2
    script: list[str] = field(default_factory=list)


# ============================================================================ drawing


def draw_faults(rng: random.Random, car: EngineProfile, count: int) -> list[Fault]:
    """``count`` distinct, compatible faults that exist on ``car``, with severities from
    barely detectable to severe."""
    names = [n for n in faults_for(car) if _has_part(n, car)]
    chosen: list[Fault] = []
    while len(chosen) < count:
        name = rng.choice(names)
        if any(name == f.name or {name, f.name} <= group for f in chosen for group in EXCLUSIVE):
            continue
        cylinder = rng.randint(1, car.cylinders) if LIBRARY[name].qualifier else 0
        chosen.append(make_fault(name, round(rng.uniform(0.15, 1.0), 2), cylinder))
    return chosen


def _has_part(name: str, car: EngineProfile) -> bool:
    return car.has_egr or name not in ("egr_stuck", "egr_insufficient_flow")


def plan_case(seed: int, profile: str | None = None) -> CasePlan:
    """Draws the car, its faults, the variant and the distractors of case ``seed``.
    Raises :class:`ProfileError` for an unknown profile."""
    rng = random.Random(f"case:{seed}")
    name = profile or rng.choice(sorted(PROFILES))
    if name not in PROFILES:
        raise ProfileError(f"unknown profile {name!r}; known: {sorted(PROFILES)}")
    car = draw_car(name, seed)
    count = rng.choices((0, 1, 2, 3), weights=(25, 45, 20, 10))[0]
    faults = draw_faults(rng, car, count)
    plan = CasePlan(seed, name, car, faults, rng.choice(VARIANTS))
    if plan.variant == "pending_only":
        plan.history_trips = 0  # first drive with the fault: the test itself is trip one
    if rng.random() < 0.15:
        plan.old_code = rng.choice(OLD_CODES)
    if rng.random() < 0.10:
        plan.cleared = True  # someone cleared the codes before the test
    return plan


# ============================================================================ readers


class LocalReader:
    """Reads the car the way the obdcore client does, without a transport: requests go
    to the ECUs, their answers are printed as the adapter prints them (CAN headers on)
    and decoded by obdcore's decoder."""

    def __init__(self, car: Car):
        from obdcore import Decoder

        self.car = car
        self.protocol = car.profile.protocol
        self.decoder = Decoder(protocol=self.protocol, headers=True)
        self.format = Format(self.protocol, headers=True)
        self._supported: dict[int, set[int]] | None = None
        self._supported_engine: set[int] = set()

    def request(self, text: str):
        """One OBD request (hex text) -> the decoded :class:`obdcore.Response`."""
        request = bytes.fromhex(text)
        can = self.protocol in ("6", "7", "8", "9")
        answers = []
        for ecu in self.car.ecus:
            messages = ecu.answer(request, can)
            if messages:
                answers.append(
                    Answer(ecu.can_id, ecu.can29_source, ecu.legacy_source, tuple(messages))
                )
        lines = format_answers(answers, self.format) or ["NO DATA"]
        return self.decoder.decode("\r".join(lines) + "\r\r>", request=text)

    async def control(self, command: str) -> str:
        return self.car.control(command)

    async def supported_pids(self) -> dict[int, set[int]]:
        if self._supported is None:
            found: dict[int, set[int]] = {}
            base = 0
            while base < 0x100 and (base == 0 or any(base in p for p in found.values())):
                for reading in self.request(f"01{base:02X}").readings:
                    if reading.pid == base and isinstance(reading.value, tuple):
                        found.setdefault(reading.ecu, set()).update(reading.value)
                base += 0x20
            self._supported = found
        return self._supported

    async def query(self, names: list[str]) -> dict[str, float]:
        """The engine ECU's values of ``names`` now, as the decoder would read them: each
        value goes through its PID's encoding and back (the PID table's affine formula,
        the same arithmetic as obdcore's decoder) without formatting text; the pty test
        proves it equal to what the client reads."""
        values = self.car.values()
        supported = self._supported_engine or await self._engine_pids()
        out: dict[str, float] = {}
        for name in names:
            pid, affine, low, high = _affine_of(name)
            if pid not in supported:
                continue
            # Affine.encode then the decoder's raw * scale + offset, inlined (hot loop).
            value = values.get(name, affine.offset)
            raw = min(high, max(low, round((value - affine.offset) / affine.scale)))
            out[name] = float(raw) * affine.scale + affine.offset
        return out

    async def _engine_pids(self) -> set[int]:
        supported = await self.supported_pids()
        self._supported_engine = (
            supported.get(0x7E8, set()) or supported.get(min(supported), set())
            if supported
            else set()
        )
        return self._supported_engine

    async def dtcs(self) -> dict[int, dict[str, list[str]]]:
        out: dict[int, dict[str, list[str]]] = {}
        for kind, service in (("stored", "03"), ("pending", "07"), ("permanent", "0A")):
            for reading in self.request(service).readings:
                out.setdefault(reading.ecu, {}).setdefault(kind, []).extend(reading.value or ())
        return out

    async def freeze_frames(self) -> list[dict[str, Any]]:
        found: dict[int, set[int]] = {}
        base = 0
        while base < 0x100 and (base == 0 or any(base in p for p in found.values())):
            for reading in self.request(f"02{base:02X}00").readings:
                if reading.pid == base and isinstance(reading.value, tuple):
                    found.setdefault(reading.ecu, set()).update(reading.value)
            base += 0x20
        frames = []
        for ecu, pids in sorted(found.items()):
            record: dict[str, Any] = {"ecu": ecu, "dtc": None, "values": {}}
            for pid in sorted(pids - {0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0, 0xE0}):
                for item in self.request(f"02{pid:02X}00").readings:
                    if item.pid == 0x02:
                        record["dtc"] = item.value
                    elif isinstance(item.value, float | int) and not isinstance(item.value, bool):
                        record["values"][item.name] = float(item.value)
            frames.append(record)
        return frames

    async def readiness(self) -> dict[int, tuple[Any, Any]]:
        out: dict[int, tuple[Any, Any]] = {}
        since = {r.ecu: r.value for r in self.request("0101").readings}
        cycle: dict[int, Any] = {}
        if any(0x41 in p for p in (await self.supported_pids()).values()):
            cycle = {r.ecu: r.value for r in self.request("0141").readings}
        for ecu, status in since.items():
            out[ecu] = (status, cycle.get(ecu))
        return out

    async def mode06(self) -> dict[int, list[Any]]:
        if self.protocol not in ("6", "7", "8", "9"):
            return {}
        found: dict[int, set[int]] = {}
        base = 0
        while base < 0x100 and (base == 0 or any(base in m for m in found.values())):
            for reading in self.request(f"06{base:02X}").readings:
                if isinstance(reading.value, tuple) and reading.pid == base:
                    found.setdefault(reading.ecu, set()).update(reading.value)
            base += 0x20
        results: dict[int, list[Any]] = {}
        for ecu, mids in sorted(found.items()):
            for mid in sorted(mids - {0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0, 0xE0}):
                for reading in self.request(f"06{mid:02X}").readings:
                    if reading.ecu == ecu:
                        results.setdefault(ecu, []).extend(reading.value)
        return results

    async def vin(self) -> str | None:
        vins = {r.ecu: r.value for r in self.request("0902").readings if r.name == "VIN"}
        return vins[min(vins)] if vins else None


class ClientReader:
    """The same reads through the real obdcore client (any transport)."""

    def __init__(self, client: Any):
        self.client = client

    async def control(self, command: str) -> str:
        lines = (await self.client.command("SIM " + command)).lines
        reply = " ".join(lines)
        if reply.startswith("?"):
            from firmware_sim.errors import ControlError

            raise ControlError(reply)
        return reply

    async def supported_pids(self) -> dict[int, set[int]]:
        return await self.client.supported_pids()

    async def query(self, names: list[str]) -> dict[str, float]:
        response = await self.client.query(*names, ecu=0x7E8)
        return {r.name: r.value for r in response.readings if r.name in names}

    async def dtcs(self) -> dict[int, dict[str, list[str]]]:
        out: dict[int, dict[str, list[str]]] = {}
        for dtc in await self.client.read_dtcs():
            out.setdefault(dtc.ecu, {}).setdefault(dtc.kind, []).append(dtc.code)
        return out

    async def freeze_frames(self) -> list[dict[str, Any]]:
        frames = []
        for frame in await self.client.freeze_frame():
            values = {
                r.name: float(r.value)
                for r in frame.readings
                if isinstance(r.value, float | int) and not isinstance(r.value, bool)
            }
            frames.append({"ecu": frame.ecu, "dtc": frame.dtc, "values": values})
        return frames

    async def readiness(self) -> dict[int, tuple[Any, Any]]:
        return {r.ecu: (r.since_clear, r.this_cycle) for r in await self.client.readiness()}

    async def mode06(self) -> dict[int, list[Any]]:
        return await self.client.mode06()

    async def vin(self) -> str | None:
        return await self.client.vin()


# ============================================================================ the guided test


async def drive_guided_test(reader: Any, names: list[str], variant: str) -> dict[str, Any]:
    """Drives the guided test through ``reader``; returns the phases (1 Hz series)."""
    phases: dict[str, Any] = {}
    for phase, order, seconds, dt in GUIDED_TEST:
        if order:
            await reader.control(order)
        if phase == "warm_up":
            await _warm_up(reader, dt)
            continue
        if SETTLE_S.get(phase):
            await reader.control(f"WAIT {SETTLE_S[phase]:g} {max(dt, 5.0):g}")
        if phase == "drive":
            phases[phase] = await _record(reader, names, seconds // 2, dt)
            await reader.control("SPEED 0")
            tail = await _record(reader, names, seconds - seconds // 2, dt)
            _extend(phases[phase], tail)
        else:
            phases[phase] = await _record(reader, names, seconds, dt)
    return phases if variant != "codes_only" else {}


async def _warm_up(reader: Any, dt: float) -> None:
    waited = 0.0
    while waited < WARM_UP_MAX_S:
        await reader.control(f"WAIT 60 {dt:g}")
        waited += 60.0
        coolant = (await reader.query(["COOLANT_TEMP"])).get("COOLANT_TEMP")
        if coolant is not None and coolant >= WARM_ENOUGH_C and waited >= 240.0:
            return


async def _record(reader: Any, names: list[str], seconds: int, dt: float) -> dict[str, Any]:
    series: dict[str, list[float | None]] = {name: [] for name in names}
    times: list[float] = []
    for second in range(seconds):
        await reader.control(f"WAIT 1 {dt:g}")
        values = await reader.query(names)
        times.append(float(second))
        for name in names:
            value = values.get(name)
            series[name].append(round(float(value), 4) if value is not None else None)
    return {"duration_s": seconds, "t": times, "series": series}


def _extend(phase: dict[str, Any], tail: dict[str, Any]) -> None:
    offset = len(phase["t"])
    phase["t"].extend(t + offset for t in tail["t"])
    for name, values in tail["series"].items():
        phase["series"][name].extend(values)
    phase["duration_s"] += tail["duration_s"]


# ============================================================================ the snapshot


def _hex_id(ecu: int) -> str:
    return f"{ecu:03X}" if ecu < 0x1000 else f"{ecu:X}"


_ECU_NAMES = {
    0x7E8: "engine",
    0x7E9: "transmission",
    0x18DAF110: "engine",
    0x18DAF118: "transmission",
    0x10: "engine",
    0x18: "transmission",
}


def _monitors(status: Any) -> dict[str, dict[str, bool]] | None:
    if status is None:
        return None
    return {m.name: {"available": m.available, "complete": m.complete} for m in status.monitors}


def _mode06_rows(results: dict[int, list[Any]]) -> list[dict[str, Any]]:
    from obdcore.protocol.structured import monitor_name

    rows = []
    for ecu, tests in sorted(results.items()):
        for test in tests:
            empty = test.value == 0 and test.minimum == 0 and test.maximum == 0
            status = "no_result" if empty else ("pass" if test.passed else "fail")
            rows.append(
                {
                    "ecu": _hex_id(ecu),
                    "mid": f"{test.mid:02X}",
                    "tid": f"{test.tid:02X}",
                    "name": f"{monitor_name(test.mid)} {test.name}",
                    "value": None if empty else round(test.value, 6),
                    "min": None if empty else round(test.minimum, 6),
                    "max": None if empty else round(test.maximum, 6),
                    "unit": test.unit,
                    "status": status,
                }
            )
    return rows


async def read_snapshot(reader: Any, plan: CasePlan, phases: dict[str, Any]) -> dict[str, Any]:
    """What an OBD client reads after the guided test, as a vehicle snapshot (version 1)."""
    dtcs = await reader.dtcs()
    readiness = await reader.readiness()
    engine = min(readiness) if readiness else 0x7E8
    since, cycle = readiness.get(engine, (None, None))
    ecus = []
    for ecu in sorted(set(dtcs) | set(readiness)):
        codes = dtcs.get(ecu, {})
        ecus.append(
            {
                "address": _hex_id(ecu),
                "name": _ECU_NAMES.get(ecu, "other"),
                "stored": sorted(codes.get("stored", [])),
                "pending": sorted(codes.get("pending", [])),
                "permanent": sorted(codes.get("permanent", [])),
            }
        )
    frames = [
        {
            "ecu": _hex_id(f["ecu"]),
            "frame": 0,
            "dtc": f["dtc"],
            "values": {k: round(v, 4) for k, v in sorted(f["values"].items())},
        }
        for f in await reader.freeze_frames()
        if f["dtc"]
    ]
    counters = await reader.query(
        ["TIME_SINCE_DTC_CLEARED", "WARMUPS_SINCE_DTC_CLEAR", "DISTANCE_SINCE_DTC_CLEAR"]
    )
    mode06 = (
        [] if plan.variant in ("codes_only", "no_mode06") else _mode06_rows(await reader.mode06())
    )
    supported = await reader.supported_pids()
    car = plan.car
    mil = any(status.mil for status, _ in readiness.values() if status is not None)
    return {
        "schema_version": SCHEMA_VERSION,
        "vehicle": {
            "vin": await reader.vin(),
            "fuel": car.fuel,
            "engine_type": car.engine_type,
            "engine_litres": round(car.displacement_l, 1),
            "cylinders": car.cylinders,
            "year": car.year,
            "mileage_km": car.mileage_km,
        },
        "mil_on": mil,
        "ecus": ecus,
        "freeze_frames": frames,
        "readiness": {"since_clear": _monitors(since), "this_cycle": _monitors(cycle)},
        "time_since_clear_s": _number(counters.get("TIME_SINCE_DTC_CLEARED"), 60.0),
        "warmups_since_clear": _number(counters.get("WARMUPS_SINCE_DTC_CLEAR")),
        "distance_since_clear_km": _number(counters.get("DISTANCE_SINCE_DTC_CLEAR")),
        "mode06": mode06,
        "supported_pids": sorted(f"{pid:02X}" for pid in supported.get(engine, set())),
        "phases": phases,
        "symptoms": symptoms(plan),
    }


def _number(value: Any, scale: float = 1.0) -> float | None:
    return None if value is None else round(float(value) * scale, 3)


def symptoms(plan: CasePlan) -> list[str]:
    """What the driver reports: the symptoms of the faults severe enough to notice, plus
    the flashing lamp of a severe misfire (a driver notices the lamp, not the cause)."""
    found: set[str] = set()
    for fault in plan.faults:
        if fault.severity >= 0.45:
            found.update(LIBRARY[fault.name].symptoms)
    found.discard("check_engine_flashing")
    return sorted(found)


# A code whose severity threshold lies this close to the fault's severity may set or not:
# where a monitor trips also moves with the car's own variation (an aged trim of up to
# +-7 % adds to a fuel-trim fault, sensor offsets and noise to the others).
BORDERLINE = 0.12


def uncertain_codes(plan: CasePlan) -> set[str]:
    """Codes a real ECU of this car may or may not set for the plan's faults: those whose
    threshold is within :data:`BORDERLINE` of the severity (either side), every code of
    an intermittent fault (its dropouts are random), and, when a cooling fault keeps the
    engine cold, the other faults' codes (their monitors wait for a warm engine)."""
    out: set[str] = set()
    cold = [f for f in plan.faults if LIBRARY[f.name].system == "cooling"]
    for fault in plan.faults:
        definition = LIBRARY[fault.name]
        for code in definition.codes:
            if code.needs and not car_has(plan.car, code.needs):
                continue
            dtc = code.dtc.format(cyl=fault.cylinder)
            near = abs(fault.severity - code.min_severity) <= BORDERLINE
            if near or definition.intermittent or (cold and fault not in cold):
                out.add(dtc)
    return out


def codes_agree(truth: dict[str, Any], codes_set: set[str]) -> bool:
    """Whether the codes an ECU set agree with a case's truth: every expected code that is
    not uncertain was set, and nothing outside the expected and uncertain ones was."""
    expected, uncertain = set(truth["expected_codes"]), set(truth.get("uncertain_codes", ()))
    return expected - uncertain <= codes_set <= expected | uncertain


def truth(plan: CasePlan) -> dict[str, Any]:
    """The ground truth: faults, severities, the codes their definitions list at these
    severities on this car, and those of them (or others) that may or may not set."""
    expected: set[str] = set()
    for fault in plan.faults:
        definition = LIBRARY[fault.name]
        expected.update(
            code for _, code in definition.codes_for(fault.severity, plan.car, fault.cylinder)
        )
    return {
        "faults": [{"id": f.id, "severity": f.severity} for f in plan.faults],
        "expected_codes": sorted(expected),
        "uncertain_codes": sorted(uncertain_codes(plan)),
        "healthy": not plan.faults,
        "variant": plan.variant,
        "distractors": {"old_code": plan.old_code, "cleared_before_test": plan.cleared},
    }


# ============================================================================ one case


def build_car(plan: CasePlan) -> Car:
    """The case's car, ready for its script; its clock moves only with the driver's
    orders (a client connecting to it takes no simulated time)."""
    car = Car(plan.car, plan.faults, plan.seed, IDLE_ONLY)
    car.clock_frozen = True
    return car


def setup_script(plan: CasePlan) -> list[str]:
    """Driver commands before the guided test: the driven history and the distractors."""
    script = ["FREEZE ON", f"HISTORY {plan.history_trips}"]
    if plan.old_code:
        script.append(f"OLDCODE {plan.old_code}")
    if plan.cleared:
        script.append("CLEAR")
    return script


async def run_case(reader: Any, plan: CasePlan) -> dict[str, Any]:
    """Drives and reads one case through ``reader``; returns the labelled case."""
    for command in setup_script(plan):
        await reader.control(command)
    supported = await reader.supported_pids()
    engine_pids = supported.get(min(supported), set()) if supported else set()
    names = _series_names(engine_pids)
    phases = await drive_guided_test(reader, names, plan.variant)
    snapshot = await read_snapshot(reader, plan, phases)
    return {
        "case_id": f"sim-{plan.seed:08d}",
        "seed": plan.seed,
        "profile": plan.profile,
        "snapshot": snapshot,
        "truth": truth(plan),
    }


@cache
def _affine_of(name: str) -> tuple[int, Any, int, int]:
    """(PID, affine formula, lowest raw, highest raw) of the Mode 01 value ``name``."""
    from obdcore import PidTable

    field = PidTable.standard().by_name(name)
    affine = field.compiled.affine
    return (field.pid, affine, *affine.raw_range())


def _series_names(pids: Iterable[int]) -> list[str]:
    from obdcore import PidTable

    table = PidTable.standard()
    wanted = set(pids)
    return [name for name in SERIES_PIDS if table.by_name(name).pid in wanted]


def generate_case(seed: int, profile: str | None = None) -> dict[str, Any]:
    """One labelled case, in process (fast path)."""
    plan = plan_case(seed, profile)
    car = build_car(plan)
    return asyncio.run(run_case(LocalReader(car), plan))


def generate_case_over_pty(seed: int, profile: str | None = None) -> dict[str, Any]:
    """The same case through a real pty and the real obdcore client (slow path)."""
    from firmware_sim.server import Simulator
    from obdcore.client import Client

    plan = plan_case(seed, profile)
    simulator = Simulator(transport="pty", car=build_car(plan), seed=seed)

    async def go() -> dict[str, Any]:
        async with Client(simulator.url) as client:
            return await run_case(ClientReader(client), plan)

    with simulator:
        return asyncio.run(go())


def _case_line(args: tuple[int, str | None]) -> str:
    return json.dumps(generate_case(*args), separators=(",", ":"))


def case_lines(seeds: Iterable[int], profile: str | None = None, workers: int = 1) -> Iterator[str]:
    """JSON lines of the cases of ``seeds``, in order; ``workers`` > 1 spreads them over
    that many processes (each case depends on its seed only)."""
    jobs = ((seed, profile) for seed in seeds)
    if workers <= 1:
        yield from map(_case_line, jobs)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_case_line, jobs, chunksize=8)


def write_cases(
    path: str, count: int, first_seed: int = 0, profile: str | None = None, workers: int = 1
) -> int:
    """Writes ``count`` cases (seeds ``first_seed``...) to ``path`` as JSON lines; the
    file is written to a temporary name and renamed, so it is never half-written."""
    import os

    if profile is not None and profile not in PROFILES:
        raise ProfileError(f"unknown profile {profile!r}; known: {sorted(PROFILES)}")
    temporary = f"{path}.partial"
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            for line in case_lines(range(first_seed, first_seed + count), profile, workers):
                out.write(line + "\n")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return count


def main(argv: list[str] | None = None) -> int:
    """``python -m firmware_sim.cases -n N -o FILE``; exit 2 on bad arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m firmware_sim.cases", description="Write labelled simulator cases (.jsonl)."
    )
    parser.add_argument("-n", "--count", type=int, default=100)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--profile", default=None, help=f"one of {sorted(PROFILES)}")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    args = parser.parse_args(argv)
    if args.count < 0 or args.workers < 1:
        parser.error("--count must be >= 0 and --workers >= 1")
    try:
        write_cases(args.output, args.count, args.seed, args.profile, args.workers)
    except (ProfileError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
