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
from obdcore.protocol.pidtable import FieldDef, PidTable
from obdcore.protocol.protocols import PROTOCOLS
from obdcore.protocol.structured import MonitorTest, monitor_name

if TYPE_CHECKING:
    from obdcore.io.client import Client

DTC_KINDS = ("stored", "pending", "permanent")

__all__ = [
    "DTC_KINDS",
    "clearing_document",
    "codes_document",
    "dtc_entry",
    "ecu_key",
    "freeze_frames_document",
    "mode06_document",
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
    name: str, value: Any, unit: str, ecu: int | None = None, table: PidTable | None = None
) -> dict:
    """One reading: ``{"name", "value", "unit"}``, plus ``"ecu"`` (``"7E8"``) when
    ``ecu`` is given; ``value`` as :func:`value_entry` writes it."""
    entry = {"name": name, "value": value_entry(name, value, table), "unit": unit}
    if ecu is not None:
        entry["ecu"] = ecu_key(ecu)
    return entry


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


def freeze_frames_document(frames: Iterable[FreezeFrame], frame: int, protocol: str | None) -> dict:
    """Freeze frame ``frame`` per ECU: ``{"frame": 0, "ecus": {"7E8": {"name", "dtc",
    "description", "readings": [{"name", "value", "unit"}]}}}``."""
    return {
        "frame": frame,
        "ecus": {ecu_key(record.ecu): _frame_entry(record, protocol) for record in frames},
    }


def _frame_entry(record: FreezeFrame, protocol: str | None) -> dict:
    return _ecu_entry(
        record.ecu,
        protocol,
        {
            "dtc": record.dtc,
            "description": describe_dtc(record.dtc) if record.dtc else None,
            "readings": [reading_entry(r.name, r.value, r.unit) for r in record.readings],
        },
    )


# ============================================================================ readiness


def readiness_document(records: Iterable[Readiness], protocol: str | None) -> dict:
    """Monitor status per ECU: ``{"ecus": {"7E8": {"name", "mil", "dtc_count",
    "ignition", "this_cycle_reported", "monitors": [{"name", "available", "complete",
    "this_cycle": {"enabled", "complete"} or null}]}}}``."""
    return {"ecus": {ecu_key(record.ecu): _readiness_entry(record, protocol) for record in records}}


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


def mode06_document(results: Mapping[int, Iterable[MonitorTest]], protocol: str | None) -> dict:
    """On-board test results per ECU: ``{"ecus": {"7E8": {"name", "tests": [{"mid",
    "monitor", "tid", "test", "value", "min", "max", "unit", "passed"}]}}}``;
    ``results`` is :meth:`Client.mode06`'s answer."""
    return {
        "ecus": {
            ecu_key(ecu): _ecu_entry(ecu, protocol, {"tests": [mode06_test(t) for t in tests]})
            for ecu, tests in results.items()
        }
    }


def mode06_test(test: MonitorTest) -> dict:
    """One Mode 06 result as plain data (MID and TID in hex, limits as ``min``/``max``)."""
    return {
        "mid": f"{test.mid:02X}",
        "monitor": monitor_name(test.mid),
        "tid": f"{test.tid:02X}",
        "test": test.name,
        "value": to_json(test.value),
        "min": to_json(test.minimum),
        "max": to_json(test.maximum),
        "unit": test.unit,
        "passed": test.passed,
    }


# ============================================================================ the vehicle


def vehicle_document(car: Client, *, vin: str | None, voltage: float | None) -> dict:
    """The adapter, the bus, the ECUs, the VIN and the battery voltage: ``{"device",
    "adapter": {"identity", "device", "stn", "clone", "missing_commands"}, "protocol",
    "protocol_name", "ecus": [{"id", "name"}], "vin", "voltage", "latency_ms"}``.

    ``car``: a connected client (what it learned while connecting is read, nothing is
    asked); ``vin``/``voltage``: :meth:`Client.vin` and :meth:`Client.voltage`.
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
        "voltage": to_json(voltage),
        "latency_ms": round(car.latency_s * 1000, 1) if car.latency_s else None,
    }
