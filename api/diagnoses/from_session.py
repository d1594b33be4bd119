"""A vehicle snapshot (diagnostics' schema 1) from a recorded session's readings.

A session is what the app or Torque uploaded: numeric readings (obdcore PID names) and the
trouble codes decoded from raw Mode 03/07/0A answers, with their times. It has no guided
test: each second of the drive is put in the phase whose conditions it meets (idle, a
2,500 rpm hold, driving, a cold idle), at 1 Hz as the diagnosis expects. What a session
cannot hold (freeze frames, readiness, Mode 06, the driver's symptoms) or did not record
is listed in ``missing``, so the app can say what to read next time.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.sessions.models import Reading

_PID_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DTC_KINDS = {"DTC_STORED": "stored", "DTC_PENDING": "pending", "DTC_PERMANENT": "permanent"}
MAX_SAMPLES_PER_PHASE = 600  # features are medians and trends: ten minutes say it all
IDLE_RPM = (450.0, 1200.0)
HOLD_RPM = (2200.0, 2800.0)
STANDING_KMH = 3.0
DRIVING_KMH = 10.0
COLD_COOLANT_C = 60.0


@dataclass
class SessionSnapshot:
    """The snapshot built from a session, and what it lacks."""

    snapshot: dict[str, Any]
    missing: list[dict[str, str]] = field(default_factory=list)
    readings: int = 0


def snapshot_from_session(
    session: Session, session_id: int, vehicle: dict[str, Any]
) -> SessionSnapshot:
    """Read the session's readings and build the snapshot (``vehicle``: the snapshot's
    vehicle block). Raises nothing: an empty session gives an empty snapshot, which
    :func:`diagnostics.diagnose` answers with ``insufficient_data``."""
    rows = session.execute(
        select(Reading.t, Reading.ecu, Reading.name, Reading.value, Reading.text)
        .where(Reading.session_id == session_id)
        .order_by(Reading.t, Reading.id)
    ).all()
    ecus: dict[str, dict[str, list[str]]] = {}
    seconds: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for t, ecu, name, value, text in rows:
        if name in _DTC_KINDS and text:
            address = f"{ecu:X}" if ecu is not None and ecu >= 0 else "7E8"
            codes = ecus.setdefault(address, {"stored": [], "pending": [], "permanent": []})
            if text not in codes[_DTC_KINDS[name]]:
                codes[_DTC_KINDS[name]].append(text)
        elif value is not None and math.isfinite(value) and _PID_NAME.match(name):
            seconds[int(t)][name].append(value)
    snapshot: dict[str, Any] = {"schema_version": 1, "phases": _phases(seconds)}
    if vehicle:
        snapshot["vehicle"] = vehicle
    if ecus:
        snapshot["ecus"] = [{"address": a, **codes} for a, codes in sorted(ecus.items())]
    return SessionSnapshot(snapshot, _missing(snapshot, bool(rows)), len(rows))


def _mean(values: list[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


def _phase_of(second: dict[str, list[float]]) -> str | None:
    rpm, speed = _mean(second.get("RPM")), _mean(second.get("SPEED"))
    if rpm is None:
        return "drive" if speed is not None and speed >= DRIVING_KMH else None
    if speed is not None and speed >= DRIVING_KMH:
        return "drive"
    if speed is not None and speed > STANDING_KMH:
        return None  # creeping: neither standing nor driving
    if IDLE_RPM[0] <= rpm <= IDLE_RPM[1]:
        coolant = _mean(second.get("COOLANT_TEMP"))
        return "cold_start" if coolant is not None and coolant < COLD_COOLANT_C else "idle"
    if HOLD_RPM[0] <= rpm <= HOLD_RPM[1]:
        return "hold_2500"
    return None


def _phases(seconds: dict[int, dict[str, list[float]]]) -> dict[str, Any]:
    by_phase: dict[str, list[int]] = defaultdict(list)
    for second in sorted(seconds):
        phase = _phase_of(seconds[second])
        if phase is not None and len(by_phase[phase]) < MAX_SAMPLES_PER_PHASE:
            by_phase[phase].append(second)
    phases = {}
    for phase, picked in by_phase.items():
        names = sorted({n for s in picked for n in seconds[s]})
        start = picked[0]
        phases[phase] = {
            "duration_s": float(len(picked)),
            "t": [float(s - start) for s in picked],
            "series": {n: [_mean(seconds[s].get(n)) for s in picked] for n in names},
        }
    return phases


_LACKS = {
    "readings": "the session holds no readings: upload what the app read first",
    "trouble_codes": "no trouble codes in the session: upload the raw Mode 03/07/0A answers "
    "(or send a snapshot with `ecus`)",
    "freeze_frame": "a session holds no freeze frame: send a snapshot to include it",
    "readiness": "a session holds no readiness monitors: send a snapshot to include them",
    "mode06": "a session holds no Mode 06 results: send a snapshot to include them",
    "symptoms": "a session holds no symptoms: send a snapshot with what the driver notices",
}
_PHASE_HINT = {
    "cold_start": "a cold engine idling (coolant under 60 °C)",
    "idle": "the warm engine idling, standing still",
    "hold_2500": "2,500 rpm held while standing still",
    "snap_throttle": "a throttle snap (only the guided test records it)",
    "drive": "driving at 10 km/h or more",
}


def _missing(snapshot: dict[str, Any], has_rows: bool) -> list[dict[str, str]]:
    if not has_rows:
        return [{"what": "readings", "message": _LACKS["readings"]}]
    missing = []
    if "ecus" not in snapshot:
        missing.append({"what": "trouble_codes", "message": _LACKS["trouble_codes"]})
    for what in ("freeze_frame", "readiness", "mode06", "symptoms"):
        missing.append({"what": what, "message": _LACKS[what]})
    for phase, hint in _PHASE_HINT.items():
        if phase not in snapshot["phases"]:
            missing.append(
                {"what": f"phase:{phase}", "message": f"no second of the session was {hint}"}
            )
    return missing
