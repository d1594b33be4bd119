"""Sessions: create, read, atomic idempotent uploads decoded with obdcore's batch decoder,
CSV export, Torque Pro samples, stateless decoding.

An upload is one transaction: the upload row (unique per session and idempotency key), its
readings and the session's count commit together or not at all, so a dropped connection
or a crash leaves nothing half-written and a retry finds either nothing (and stores it) or
the first result (and returns it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts.models import ApiKey, User
from api.core.errors import ApiError, not_found
from api.core.metrics import DECODED_LINES
from api.sessions.models import DriveSession, Reading, SessionUpload
from api.vehicles.service import owned as owned_vehicle

_DTC_FIELDS = {"DTC_STORED", "DTC_PENDING", "DTC_PERMANENT"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create(
    session: Session, user: User, vehicle_id: int, name: str, protocol: str, headers: bool
) -> DriveSession:
    """A new session of the caller's vehicle (404 when the vehicle is not theirs)."""
    owned_vehicle(session, user, vehicle_id)
    row = DriveSession(
        owner_id=user.id,
        vehicle_id=vehicle_id,
        name=name,
        protocol=protocol,
        headers=headers,
        source="app",
        reading_count=0,
        created_at=now(),
    )
    session.add(row)
    session.commit()
    return row


def owned(session: Session, user: User, session_id: int) -> DriveSession:
    """The caller's session (404 when it does not exist or is not theirs)."""
    row = session.scalars(
        select(DriveSession).where(DriveSession.id == session_id, DriveSession.owner_id == user.id)
    ).first()
    if row is None:
        raise not_found("session", session_id)
    return row


def list_for_vehicle(session: Session, user: User, vehicle_id: int) -> list[DriveSession]:
    """The sessions of the caller's vehicle, newest first."""
    owned_vehicle(session, user, vehicle_id)
    return list(
        session.scalars(
            select(DriveSession)
            .where(DriveSession.vehicle_id == vehicle_id, DriveSession.owner_id == user.id)
            .order_by(DriveSession.id.desc())
        )
    )


def delete(session: Session, user: User, session_id: int) -> None:
    """Delete the caller's session and its readings."""
    session.delete(owned(session, user, session_id))
    session.commit()


READING_COLUMNS = ("session_id", "upload_id", "t", "ecu", "name", "value", "unit", "text")
Row = tuple  # (t, ecu, name, value, unit, text): one reading before it has its ids


def upload(
    session: Session, user: User, session_id: int, key: str, lines: Any, readings: Any, digest: str
) -> tuple[dict[str, Any], bool]:
    """Store one chunk (``lines``: ``(t, text)`` pairs or None, ``readings``: ``(t, name,
    value, unit)`` or None, ``digest``: of the request body); returns ``(result,
    replayed)``. ``replayed`` is True when the same key came before with the same body
    (the first result is returned, nothing is stored). Raises 404 (not the caller's
    session), 409 (the key was used for another body)."""
    drive = owned(session, user, session_id)
    first = _existing(session, drive.id, key, digest)
    if first is not None:
        return first, True
    pairs = lines or []
    rows, dtcs, notices = decode_lines(pairs, drive.protocol or "6", drive.headers)
    if readings:
        rows += _reading_rows(readings)
    result = _store(session, drive, key, digest, rows, len(pairs), dtcs, notices)
    if result is None:  # a concurrent request with the same key won: return its result
        return _existing(session, drive.id, key, digest) or {}, True
    return result, False


def _existing(session: Session, session_id: int, key: str, digest: str) -> dict | None:
    row = session.scalars(
        select(SessionUpload).where(
            SessionUpload.session_id == session_id, SessionUpload.idempotency_key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise ApiError(
            409, "idempotency_key_reused", "this Idempotency-Key was used for a different upload"
        )
    return row.result


def _reading_rows(readings: list[tuple[float, str, float, str]]) -> list[Row]:
    return [(t, None, name, value, unit, None) for t, name, value, unit in readings]


def decode_lines(
    lines: list[tuple[float, str]], protocol: str, headers: bool
) -> tuple[list[Row], list[str], int]:
    """Decode timestamped adapter lines with obdcore's batch decoder: reading rows (the
    time of the line that completed each answer), the DTCs found, the notice count."""
    if not lines:
        return [], [], 0
    from obdcore import Decoder

    times = np.fromiter((t for t, _ in lines), dtype=np.float64, count=len(lines))
    batch = Decoder(protocol=protocol, headers=headers).decode_batch(
        _one_text([text for _, text in lines])
    )
    DECODED_LINES.inc(len(lines))
    at = times[np.clip(batch.line, 0, len(lines) - 1)]
    dtc_fields = [i for i, name in enumerate(batch.names) if name in _DTC_FIELDS]
    keep = np.isfinite(batch.value) & ~np.isin(batch.field, dtc_fields)
    names, units = batch.names, batch.units
    rows: list[Row] = [
        (t, e, names[f], v, units[f], None)
        for t, e, f, v in zip(
            at[keep].tolist(),
            batch.ecu[keep].tolist(),
            batch.field[keep].tolist(),
            batch.value[keep].tolist(),
            strict=True,
        )
    ]
    dtcs = []
    for line, ecu, field, code in batch.dtcs():
        rows.append((float(times[min(line, len(lines) - 1)]), ecu, field, None, "dtc", code))
        dtcs.append(code)
    return rows, sorted(set(dtcs)), len(batch.notices)


def _store(
    session: Session,
    drive: DriveSession,
    key: str,
    digest: str,
    rows: list[Row],
    line_count: int,
    dtcs: list[str],
    notices: int,
) -> dict | None:
    from parts.bulk import bulk_insert

    record = SessionUpload(
        session_id=drive.id, idempotency_key=key, request_hash=digest, result={}, created_at=now()
    )
    session.add(record)
    try:
        session.flush()  # the unique (session, key) constraint decides concurrent retries
    except IntegrityError:
        session.rollback()
        return None
    result = {
        "upload_id": record.id,
        "session_id": drive.id,
        "lines": line_count,
        "readings": len(rows),
        "dtcs": dtcs,
        "notices": notices,
    }
    record.result = result
    ids = (drive.id, record.id)
    # COPY (PostgreSQL) / executemany (SQLite) in this same transaction: ~10x the ORM's
    # row-by-row executemany on PostgreSQL for a one-hour drive.
    bulk_insert(session.connection(), "api_reading", READING_COLUMNS, (ids + row for row in rows))
    session.execute(
        update(DriveSession)
        .where(DriveSession.id == drive.id)
        .values(reading_count=DriveSession.reading_count + len(rows))
    )
    session.commit()
    return result


def csv_lines(session: Session, user: User, session_id: int) -> Iterator[str]:
    """The session's readings as CSV lines (header first), in time order, streamed."""
    drive = owned(session, user, session_id)
    yield "t,ecu,name,value,unit,text\r\n"
    query = (
        select(Reading.t, Reading.ecu, Reading.name, Reading.value, Reading.unit, Reading.text)
        .where(Reading.session_id == drive.id)
        .order_by(Reading.t, Reading.id)
        .execution_options(yield_per=5000)
    )
    for t, ecu, name, value, unit, text in session.execute(query):
        ecu_text = f"{ecu:X}" if ecu is not None else ""
        value_text = repr(value) if value is not None else ""
        yield f"{t!r},{ecu_text},{name},{value_text},{unit},{text or ''}\r\n"


def _one_text(lines: list[str]) -> str:
    """The lines as one CR-separated text for the batch decoder; a CR or LF inside a line
    becomes a space (it must not split the line). Checked on the joined text first: the
    per-line clean-up is only paid when some line needs it."""
    text = "\r".join(lines)
    if "\n" in text or text.count("\r") != len(lines) - 1:
        text = "\r".join(line.replace("\r", " ").replace("\n", " ") for line in lines)
    return text


def decode(lines: list[str], protocol: str, headers: bool) -> dict[str, Any]:
    """Stateless decoding of adapter lines, as columns (see ``DecodeOut``)."""
    from obdcore import Decoder

    batch = Decoder(protocol=protocol, headers=headers).decode_batch(_one_text(lines))
    DECODED_LINES.inc(len(lines))
    finite = np.isfinite(batch.value)
    return {
        "names": list(batch.names),
        "units": list(batch.units),
        "line": batch.line[finite].tolist(),
        "ecu": batch.ecu[finite].tolist(),
        "field": batch.field[finite].tolist(),
        "value": batch.value[finite].tolist(),
        "dtcs": [
            {"line": line, "ecu": ecu, "kind": kind, "code": code}
            for line, ecu, kind, code in batch.dtcs()
        ],
        "notices": [
            {"kind": n.kind.value, "text": n.text[:200], "ecu": n.ecu} for n in batch.notices[:1000]
        ],
    }


def torque_sample(session: Session, key: ApiKey, params: dict[str, str]) -> None:
    """Store one Torque Pro web-upload sample in the Torque session ``params['session']``
    of the API key's vehicle. Profile/unit messages and repeated samples are accepted
    and ignored. Raises 400 when the key has no vehicle or the sample is malformed."""
    if key.vehicle_id is None:
        raise ApiError(
            400,
            "api_key_without_vehicle",
            "Torque uploads need an API key created with a vehicle_id",
        )
    external = (params.get("session") or "")[:64]
    if not external:
        raise ApiError(400, "bad_torque_upload", "missing 'session'")
    values = torque_values(params)
    if not values:
        return  # profile, units or a sample without PIDs: Torque only needs "OK!"
    drive = _torque_session(session, key, external)
    t_ms = _number(params.get("time"), "time")
    # Torque's session id is the epoch time (ms) the session started: t counts from it.
    start_ms = float(external) if external.isdigit() and float(external) <= t_ms else t_ms
    rows = [((t_ms - start_ms) / 1000, None, n, v, u, None) for n, v, u in values]
    _store_sample(session, drive, f"torque:{int(t_ms)}", rows)


def _number(text: str | None, what: str) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ApiError(400, "bad_torque_upload", f"'{what}' is not a number")
    return value


def torque_values(params: dict[str, str]) -> list[tuple[str, float, str]]:
    """``(name, value, unit)`` of every ``k<pid>`` parameter; standard Mode 01 PIDs get
    obdcore's names, Torque's own (``kff1005``...) keep ``torque_<key>``."""
    from obdcore import PidTable

    table = PidTable.standard()
    out = []
    for name, text in params.items():
        if not (name.startswith("k") and 2 <= len(name) <= 9):
            continue
        try:
            value, pid = float(text), int(name[1:], 16)
        except ValueError:
            continue
        if not math.isfinite(value):
            continue
        fields = table.fields(1, pid) if len(name) <= 3 else ()
        if fields:
            out.append((fields[0].name, value, fields[0].unit))
        else:
            out.append((f"torque_{name[1:].lower()}", value, ""))
    return out


def _torque_session(session: Session, key: ApiKey, external: str) -> DriveSession:
    query = select(DriveSession).where(
        DriveSession.vehicle_id == key.vehicle_id,
        DriveSession.owner_id == key.user_id,
        DriveSession.source == "torque",
        DriveSession.external_id == external,
    )
    drive = session.scalars(query).first()
    if drive is not None:
        return drive
    drive = DriveSession(
        owner_id=key.user_id,
        vehicle_id=key.vehicle_id,
        source="torque",
        external_id=external,
        name=f"Torque {external}",
        protocol=None,
        headers=True,
        reading_count=0,
        created_at=now(),
    )
    session.add(drive)
    try:
        session.commit()
    except IntegrityError:  # created by a concurrent sample
        session.rollback()
        drive = session.scalars(query).one()
    return drive


def _store_sample(session: Session, drive: DriveSession, key: str, rows: list[Row]) -> None:
    if session.scalars(
        select(SessionUpload.id).where(
            SessionUpload.session_id == drive.id, SessionUpload.idempotency_key == key
        )
    ).first():
        return  # Torque retried a sample it had sent
    _store(session, drive, key, "torque", rows, 0, [], 0)
