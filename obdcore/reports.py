"""Plain JSON-ready documents of what a car reported: trouble codes, freeze frames,
readiness monitors, Mode 06 test results, and the vehicle (adapter, bus, ECUs, VIN).

One shape for every consumer: the CLI prints these documents with ``--json`` and draws
them as tables otherwise; the HTTP API returns them as they are. Every function is pure
(no I/O): it takes what :class:`~obdcore.io.client.Client` returned and gives back dicts,
lists, strings, numbers, booleans and None only (``json.dumps`` takes them unchanged).

ECUs are keyed by their ID in upper-case hex (``"7E8"``, ``"18DAF110"``; ``"?"`` when
unknown) and carry a readable ``name`` (``"engine (7E8)"``). Values are in SI units, each
with its unit name, as the decoder gives them.

A reading, a trouble code and a list of supported PIDs have one shape wherever they
appear (``live``, ``log``, ``replay``, the car commands, the API): :func:`reading_entry`,
:func:`dtc_entry` and :func:`pid_list`, numbers rounded to their PID's resolution
(:attr:`~obdcore.protocol.pidtable.FieldDef.decimals`) by :func:`value_entry`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from obdcore.io.client import Dtc, FreezeFrame, Readiness
from obdcore.io.dtc_texts import describe_dtc
from obdcore.protocol.adapter import describe_ecu
from obdcore.protocol.pidtable import FieldDef, PidTable, round_values
from obdcore.protocol.protocols import PROTOCOLS
from obdcore.protocol.structured import MonitorTest, monitor_name, uas_table
from obdcore.units import convert

if TYPE_CHECKING:
    from obdcore.io.client import Client

DTC_KINDS = ("stored", "pending", "permanent")

__all__ = [
    "DTC_KINDS",
    "clearing_document",
    "codes_document",
    "calibrations_document",
    "dtc_entry",
    "ecu_key",
    "freeze_frames_document",
    "inspection_verdict",
    "mode06_document",
    "mode06_result",
    "monitor_status_text",
    "pid_list",
    "readiness_document",
    "reading_entry",
    "to_json",
    "value_entry",
    "vehicle_document",
]


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data: named tuples become objects, tuples and sets lists,
    bytes upper-case hex, NaN and infinities None, anything else unknown its ``str``."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, bytes):
        return value.hex().upper()
    if hasattr(value, "_asdict"):
        return {key: to_json(item) for key, item in value._asdict().items()}
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(item) for item in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def ecu_key(ecu: int) -> str:
    """An ECU ID as the documents key it: ``"7E8"``, ``"18DAF110"``, ``"?"`` (unknown)."""
    return f"{ecu:X}" if ecu >= 0 else "?"


# ============================================================================ readings

# Values the decoder makes that carry trouble codes without being a table field.
DTC_VALUE_NAMES = frozenset({"DTC_STORED", "DTC_PENDING", "DTC_PERMANENT"})


def dtc_entry(code: str, description: str | None = None, *, look_up: bool = True) -> dict:
    """One trouble code: ``{"code": "P0171", "description": "System Too Lean..."}``
    (``description`` looked up when not given, unless ``look_up`` is False: the client
    already looked; None when none is known)."""
    if not description and look_up:
        description = describe_dtc(code)
    return {"code": code, "description": description or None}


def pid_list(pids: Iterable[int]) -> list[str]:
    """Supported PIDs as ``novaevo pids`` writes them: two hex digits (``["0C", "0D"]``)."""
    return [f"{pid:02X}" for pid in pids]


def value_entry(name: str, value: Any, table: PidTable | None = None) -> Any:
    """A decoded value of the field ``name`` as plain JSON data: a number rounded to the
    field's resolution, a DTC (or DTC list) as :func:`dtc_entry` objects, a supported-PID
    bitmap as :func:`pid_list`, anything else as :func:`to_json` makes it."""
    field = _field(name, table)
    if name in DTC_VALUE_NAMES or (field is not None and field.special == "dtc"):
        if isinstance(value, (tuple, list)):
            return [dtc_entry(code) for code in value]
        return dtc_entry(value) if isinstance(value, str) else None
    if field is not None and field.special == "bitmap" and isinstance(value, (tuple, list)):
        return pid_list(value)
    if isinstance(value, float) and field is not None and math.isfinite(value):
        return field.rounded(value)
    return to_json(value)


def reading_entry(
    name: str,
    value: Any,
    unit: str,
    ecu: int | None = None,
    table: PidTable | None = None,
    units: str = "metric",
) -> dict:
    """One reading: ``{"name", "value", "unit"}``, plus ``"ecu"`` (``"7E8"``) when
    ``ecu`` is given; ``value`` shown in the ``units`` system (:func:`obdcore.units.convert`)
    and written as :func:`value_entry` writes it (rounded to the field's resolution)."""
    shown, shown_unit = convert(value, unit, units)
    if shown_unit == unit:
        shown = value_entry(name, value, table)
    else:
        shown = _converted_value(name, shown, table)
    entry = {"name": name, "value": shown, "unit": shown_unit}
    if ecu is not None:
        entry["ecu"] = ecu_key(ecu)
    return entry


def _converted_value(name: str, value: Any, table: PidTable | None) -> Any:
    """A value converted to another unit, rounded to one decimal more than its field's
    metric resolution: the field's step in the new unit is a different number (a kPa field
    with no decimals is worth 0.1 psi), and rounding it like the metric value would cut it."""
    field = _field(name, table)
    if isinstance(value, float) and math.isfinite(value) and field is not None:
        if field.decimals is not None:
            return float(round_values(value, field.decimals + 1))
    return to_json(value)


def _field(name: str, table: PidTable | None) -> FieldDef | None:
    table = table if table is not None else PidTable.standard()
    try:
        return table.by_name(name)
    except KeyError:
        return None


def _ecu_entry(ecu: int, protocol: str | None, fields: dict) -> dict:
    return {"name": describe_ecu(ecu, protocol), **fields}


# ============================================================================ trouble codes


def codes_document(dtcs: Iterable[Dtc], ecus: Iterable[int], protocol: str | None) -> dict:
    """Trouble codes per ECU: ``{"ecus": {"7E8": {"name": ..., "stored": [{"code",
    "description"}], "pending": [...], "permanent": [...]}}}``.

    ``dtcs``: :meth:`Client.read_dtcs`'s list; ``ecus``: every answering ECU, listed even
    without codes; ``protocol``: the bus (for the ECU names).
    """
    entries = {
        ecu_key(ecu): _ecu_entry(ecu, protocol, {kind: [] for kind in DTC_KINDS}) for ecu in ecus
    }
    for code in dtcs:
        entry = entries.setdefault(
            ecu_key(code.ecu), _ecu_entry(code.ecu, protocol, {kind: [] for kind in DTC_KINDS})
        )
        entry[code.kind].append(dtc_entry(code.code, code.description, look_up=False))
    return {"ecus": entries}


def clearing_document(acknowledged: Mapping[int, bool], before: dict, after: dict) -> dict:
    """What clearing did: ``{"cleared": {"7E8": true}, "before": ..., "after": ...}``;
    ``acknowledged`` is :meth:`Client.clear_dtcs`'s answer, ``before``/``after`` are
    :func:`codes_document`\\ s read around it."""
    return {
        "cleared": {ecu_key(ecu): bool(ok) for ecu, ok in acknowledged.items()},
        "before": before,
        "after": after,
    }


# ============================================================================ freeze frames


NO_CODE = "P0000"  # PID 02 = 0000: no freeze frame stored (SAE J1979)


def freeze_frames_document(
    frames: Iterable[FreezeFrame], frame: int, protocol: str | None, units: str = "metric"
) -> dict:
    """Freeze frame ``frame`` per ECU that stored one: ``{"frame": 0, "stored": true,
    "ecus": {"7E8": {"name", "dtc", "description", "readings": [{"name", "value",
    "unit"}]}}}``. An ECU answering code 0000 with no readings stored none and is left out
    (``stored`` false when none did); ``units``: metric or imperial values."""
    entries = {
        ecu_key(record.ecu): _frame_entry(record, protocol, units)
        for record in frames
        if (record.dtc not in (None, NO_CODE)) or record.readings
    }
    return {"frame": frame, "stored": bool(entries), "ecus": entries}


def _frame_entry(record: FreezeFrame, protocol: str | None, units: str) -> dict:
    dtc = record.dtc if record.dtc != NO_CODE else None
    return _ecu_entry(
        record.ecu,
        protocol,
        {
            "dtc": dtc,
            "description": describe_dtc(dtc) if dtc else None,
            "readings": [
                reading_entry(r.name, r.value, r.unit, units=units) for r in record.readings
            ],
        },
    )


def monitor_status_text(status: dict) -> str:
    """A monitor status (PID 01, as :func:`to_json` writes it) as people read it:
    ``"MIL on, 2 DTC, incomplete: CATALYST, EVAPORATIVE_SYSTEM"`` or ``"..., all monitors
    complete"``."""
    incomplete = [m["name"] for m in status["monitors"] if m["available"] and not m["complete"]]
    monitors = f"incomplete: {', '.join(incomplete)}" if incomplete else "all monitors complete"
    return f"MIL {'on' if status['mil'] else 'off'}, {status['dtc_count']} DTC, {monitors}"


# ============================================================================ readiness


def readiness_document(
    records: Iterable[Readiness], protocol: str | None, model_year: int | None = None
) -> dict:
    """Monitor status per ECU and the inspection verdict: ``{"ecus": {"7E8": {"name",
    "mil", "dtc_count", "ignition", "this_cycle_reported", "monitors": [{"name",
    "available", "complete", "this_cycle": {"enabled", "complete"} or null}]}},
    "inspection": ...}`` (:func:`inspection_verdict` for ``model_year``)."""
    records = list(records)
    return {
        "ecus": {ecu_key(record.ecu): _readiness_entry(record, protocol) for record in records},
        "inspection": inspection_verdict(records, model_year),
    }


# The drive that usually completes each monitor: a generic summary, the car's service
# manual has its maker's exact drive cycle. Continuous monitors run whenever the engine does.
MONITOR_DRIVES_SOURCE = (
    "NovaEvo's summary of the generic OBD-II drive cycle (cold start, idle, steady cruise, "
    "coast-down) that makers publish in their service information; the exact conditions "
    "differ by make and model, see the car's service manual"
)
MONITOR_DRIVES = {
    "MISFIRE": "runs all the time the engine runs: a few minutes of driving",
    "FUEL_SYSTEM": "runs all the time in closed loop: a few minutes of warm driving",
    "COMPONENTS": "runs all the time: a few minutes of driving",
    "CATALYST": "a steady 70-100 km/h (45-60 mph) cruise for 5-10 minutes, engine warm",
    "HEATED_CATALYST": "a steady 70-100 km/h (45-60 mph) cruise for 5-10 minutes, engine warm",
    "EVAPORATIVE_SYSTEM": "a cold start after 8 hours or more parked (overnight), fuel tank "
    "between 1/4 and 3/4 full, then 20-30 minutes of mixed driving; may take several days",
    "SECONDARY_AIR_SYSTEM": "a cold start, then 2-3 minutes at idle",
    "OXYGEN_SENSOR": "after warm-up, a steady 40-90 km/h (25-55 mph) cruise for 3-5 minutes, "
    "then a coast-down with the throttle closed",
    "OXYGEN_SENSOR_HEATER": "a cold start and a few minutes of idling or driving",
    "EGR_VVT_SYSTEM": "several coast-downs from 80-100 km/h (50-60 mph) with the throttle "
    "closed, engine warm",
    "NMHC_CATALYST": "a steady highway cruise for 10-15 minutes, engine warm",
    "NOX_SCR_MONITOR": "a steady highway cruise for 10-20 minutes, exhaust hot",
    "BOOST_PRESSURE": "several firm accelerations under load, engine warm",
    "EXHAUST_GAS_SENSOR": "a steady cruise after warm-up, then a coast-down with fuel cut",
    "PM_FILTER": "20 minutes or more of steady highway driving (lets a regeneration finish)",
}
# The common I/M rule (US EPA, 40 CFR 85.2222 as amended by 66 FR 18155, April 2001; EPA
# report EPA420-R-01-015): a car is tested when no more than this many non-continuous
# monitors are incomplete; a commanded-on MIL fails it.
INSPECTION_RULE_SOURCE = (
    "US EPA OBD inspection rule (40 CFR 85.2222, 66 FR 18155, 2001): model years "
    "1996-2000 may have two incomplete monitors, 2001 and newer one; MIL on fails"
)
_CONTINUOUS = frozenset({"MISFIRE", "FUEL_SYSTEM", "COMPONENTS"})


def allowed_incomplete(model_year: int | None) -> int | None:
    """How many incomplete monitors the rule allows: 2 for 1996-2000, 1 for 2001 and newer
    (and an unknown year: the stricter rule), None before 1996 (no OBD-II check)."""
    if model_year is not None and model_year < 1996:
        return None
    return 2 if model_year is not None and model_year <= 2000 else 1


def inspection_verdict(records: Iterable[Readiness], model_year: int | None) -> dict:
    """What an emissions inspection's OBD check would say: ``{"verdict": "pass" | "fail" |
    "not ready" | "not applicable", "reasons": [...], "mil": bool, "model_year",
    "allowed_incomplete", "incomplete": [{"name", "drive"}], "rule", "drives_source"}``.

    The monitors of every ECU count (one incomplete anywhere is incomplete); continuous
    monitors (misfire, fuel system, components) are not counted, as the rule says.
    """
    records = list(records)
    mil = any(record.since_clear.mil for record in records)
    incomplete = sorted(
        {
            monitor.name
            for record in records
            for monitor in record.since_clear.monitors
            if monitor.available and not monitor.complete and monitor.name not in _CONTINUOUS
        }
    )
    allowed = allowed_incomplete(model_year)
    verdict, reasons = _verdict(bool(records), mil, len(incomplete), allowed, model_year)
    return {
        "verdict": verdict,
        "reasons": reasons,
        "mil": mil,
        "model_year": model_year,
        "allowed_incomplete": allowed,
        "incomplete": [{"name": name, "drive": MONITOR_DRIVES.get(name)} for name in incomplete],
        "rule": INSPECTION_RULE_SOURCE,
        "drives_source": MONITOR_DRIVES_SOURCE,
    }


def _verdict(
    answered: bool, mil: bool, incomplete: int, allowed: int | None, year: int | None
) -> tuple[str, list[str]]:
    if not answered:
        return "not applicable", ["no ECU reported its monitor status (PID 01)"]
    if allowed is None:
        return "not applicable", [f"model year {year}: before 1996, no OBD-II check"]
    reasons = []
    if year is None:
        reasons.append("model year unknown: judged by the 2001-and-newer rule (one incomplete)")
    if mil:
        reasons.append("the check-engine lamp (MIL) is commanded on")
    if incomplete > allowed:
        reasons.append(f"{incomplete} monitors incomplete, {allowed} allowed")
    if mil:
        return "fail", reasons
    if incomplete > allowed:
        return "not ready", reasons
    reasons.append(f"{incomplete} monitor(s) incomplete, {allowed} allowed; MIL off")
    return "pass", reasons


def _readiness_entry(record: Readiness, protocol: str | None) -> dict:
    status, cycle = record.since_clear, record.this_cycle
    this_cycle = {m.name: m for m in cycle.monitors} if cycle is not None else {}
    monitors = []
    for monitor in status.monitors:
        now = this_cycle.get(monitor.name)
        monitors.append(
            {
                "name": monitor.name,
                "available": monitor.available,
                "complete": monitor.complete,
                "this_cycle": None
                if now is None
                else {"enabled": now.available, "complete": now.complete},
            }
        )
    return _ecu_entry(
        record.ecu,
        protocol,
        {
            "mil": status.mil,
            "dtc_count": status.dtc_count,
            "ignition": status.ignition,
            "this_cycle_reported": cycle is not None,
            "monitors": monitors,
        },
    )


# ============================================================================ Mode 06


def mode06_document(
    results: Mapping[int, Iterable[MonitorTest]], protocol: str | None, units: str = "metric"
) -> dict:
    """On-board test results per ECU: ``{"ecus": {"7E8": {"name", "tests": [{"mid",
    "monitor", "tid", "test", "value", "min", "max", "unit", "passed", "result"}]}}}``;
    ``results`` is :meth:`Client.mode06`'s answer."""
    return {
        "ecus": {
            ecu_key(ecu): _ecu_entry(
                ecu, protocol, {"tests": [mode06_test(t, units) for t in tests]}
            )
            for ecu, tests in results.items()
        }
    }


def mode06_test(test: MonitorTest, units: str = "metric") -> dict:
    """One Mode 06 result as plain data (MID and TID in hex, limits as ``min``/``max``,
    ``result`` from :func:`mode06_result`; ``passed`` is None when there is no result)."""
    result = mode06_result(test)
    (value, unit), (low, _), (high, _) = (
        convert(number, test.unit, units) for number in (test.value, test.minimum, test.maximum)
    )
    return {
        "mid": f"{test.mid:02X}",
        "monitor": monitor_name(test.mid),
        "tid": f"{test.tid:02X}",
        "test": test.name,
        "value": to_json(value),
        "min": to_json(low),
        "max": to_json(high),
        "unit": unit,
        "passed": None if result == "no result" else result != "fail",
        "result": result,
    }


def mode06_result(test: MonitorTest) -> str:
    """``"fail"`` outside the limits; ``"no result"`` when the test has not run (value
    and limits all 0, the state after codes are cleared) or the value is the top of its
    range (0xFFFF: 65.535 s for a switch time, 65535 counts), which ECUs report for "no
    value"; ``"no limit"`` when the limits span the whole range (nothing to fail); else
    ``"pass"``."""
    raw = _raw(test)
    if raw is None:
        return "pass" if test.passed else "fail"
    (value, low, high), (bottom, top) = raw
    if value == low == high == 0 or value == top:
        return "no result"
    if not test.passed:
        return "fail"
    return "no limit" if (low, high) == (bottom, top) else "pass"


def _raw(test: MonitorTest) -> tuple[tuple[int, ...], tuple[int, int]] | None:
    """The raw 16-bit value, minimum and maximum behind a result, and the raw range of its
    scaling (None for an unknown scaling or a NaN)."""
    scaling = uas_table().get(test.uasid)
    numbers = (test.value, test.minimum, test.maximum)
    if scaling is None or scaling.scale == 0 or not all(map(math.isfinite, numbers)):
        return None
    raw = tuple(round((n - scaling.offset) / scaling.scale) for n in numbers)
    return raw, ((-0x8000, 0x7FFF) if scaling.signed else (0, 0xFFFF))


# ============================================================================ the vehicle


def vehicle_document(
    car: Client,
    *,
    vin: str | None,
    voltage: float | None,
    calibrations: Iterable = (),
) -> dict:
    """The adapter, the bus, the ECUs, the VIN (and what it says offline), the battery
    voltage and each ECU's calibrations: ``{"device", "adapter": {"identity", "device",
    "stn", "clone", "missing_commands"}, "protocol", "protocol_name", "ecus": [{"id",
    "name"}], "vin", "vin_decoded": {...} or null, "voltage", "latency_ms",
    "calibrations": [{"ecu", "name", "calibration_ids", "cvns"}]}``.

    ``car``: a connected client (what it learned while connecting is read, nothing is
    asked); ``vin``/``voltage``: :meth:`Client.vin` and :meth:`Client.voltage`;
    ``calibrations``: the readings of Mode 09 PIDs 04 (CALID) and 06 (CVN).
    """
    adapter, protocol = car.adapter, car.protocol
    return {
        "device": car.device,
        "adapter": {
            "identity": adapter.identity,
            "device": adapter.device,
            "stn": adapter.stn,
            "clone": adapter.clone,
            "missing_commands": list(adapter.missing),
        },
        "protocol": protocol,
        "protocol_name": PROTOCOLS[protocol][0] if protocol else None,
        "ecus": [{"id": f"{ecu:X}", "name": describe_ecu(ecu, protocol)} for ecu in car.ecus],
        "vin": vin,
        "vin_decoded": _vin_decoded(vin),
        "voltage": to_json(voltage),
        "latency_ms": round(car.latency_s * 1000, 1) if car.latency_s else None,
        "calibrations": calibrations_document(calibrations, protocol),
    }


def _vin_decoded(vin: str | None) -> dict | None:
    from obdcore import vin as vin_codec

    try:
        return vin_codec.decode(vin).document() if vin else None
    except vin_codec.VinError:  # an ECU reporting padding or a partial VIN
        return None


def calibrations_document(readings: Iterable, protocol: str | None) -> list[dict]:
    """Calibration ids and their verification numbers per ECU, from the readings of
    Mode 09 PIDs 04 and 06: ``[{"ecu": "7E8", "name", "calibration_ids": [...], "cvns":
    [...]}]``, lowest ECU first (the n-th CVN belongs to the n-th calibration id)."""
    by_ecu: dict[int, dict] = {}
    fields = {"CALIBRATION_ID": "calibration_ids", "CVN": "cvns"}
    for reading in readings:
        if reading.name not in fields or not isinstance(reading.value, tuple):
            continue
        entry = by_ecu.setdefault(
            reading.ecu,
            {"ecu": ecu_key(reading.ecu), "name": describe_ecu(reading.ecu, protocol)}
            | {key: [] for key in fields.values()},
        )
        entry[fields[reading.name]].extend(str(item) for item in reading.value)
    return [by_ecu[ecu] for ecu in sorted(by_ecu)]
