"""Diagnoses: make them (from a snapshot, a session, the guided test), read them, answer
their next best test, verify a repair, find their parts; DTC look-up.

The diagnosis itself is :mod:`diagnostics`' (``diagnose``, ``answer``, ``verify``); this
module stores it for its owner. Authorization is in the queries: :func:`owned` only finds
the caller's diagnoses, so another user's is a 404 for every verb. Every write is one
transaction after every check: a refused request writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.accounts.models import User
from api.core.errors import ApiError, not_found
from api.diagnoses.from_session import snapshot_from_session
from api.diagnoses.models import Diagnosis, DiagnosisEvent
from api.vehicles.models import Vehicle
from api.vehicles.service import owned as owned_vehicle

#: a guided test whose row was not updated for this long died with its worker
STALE_RUNNING = dt.timedelta(minutes=15)
TOP_IN_HISTORY = 5
ENGINE_TYPES = ("petrol_port", "petrol_di", "petrol_turbo", "diesel")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------- reading


def owned(session: Session, user: User, diagnosis_id: int) -> Diagnosis:
    """The caller's diagnosis (404 when it does not exist or is not theirs)."""
    row = session.scalars(
        select(Diagnosis).where(Diagnosis.id == diagnosis_id, Diagnosis.owner_id == user.id)
    ).first()
    if row is None:
        raise not_found("diagnosis", diagnosis_id)
    return _expire_if_stale(session, row)


def _expire_if_stale(session: Session, row: Diagnosis) -> Diagnosis:
    if row.state == "running" and now() - row.updated_at > STALE_RUNNING:
        row.state, row.error, row.updated_at = "failed", "the guided test was interrupted", now()
        session.commit()
    return row


def list_for_vehicle(session: Session, user: User, vehicle_id: int) -> list[Diagnosis]:
    """The diagnoses of the caller's vehicle, newest first."""
    owned_vehicle(session, user, vehicle_id)
    return list(
        session.scalars(
            select(Diagnosis)
            .where(Diagnosis.vehicle_id == vehicle_id, Diagnosis.owner_id == user.id)
            .order_by(Diagnosis.id.desc())
        )
    )


def events(session: Session, diagnosis_id: int) -> list[DiagnosisEvent]:
    """The history of one diagnosis, oldest first."""
    return list(
        session.scalars(
            select(DiagnosisEvent)
            .where(DiagnosisEvent.diagnosis_id == diagnosis_id)
            .order_by(DiagnosisEvent.id)
        )
    )


def result_of(row: Diagnosis):  # noqa: ANN201 - diagnostics.Diagnosis
    """The stored result as diagnostics' model (409 while the guided test runs)."""
    from diagnostics import Diagnosis as Result

    if row.state != "done" or row.result is None:
        raise ApiError(
            409,
            "diagnosis_not_ready",
            f"diagnosis {row.id} is {row.state}"
            + (": wait until it is done" if row.state == "running" else f" ({row.error})"),
            {"state": row.state},
        )
    return Result.model_validate(row.result)


# ------------------------------------------------------------------------------ creating


def snapshot_vehicle(vehicle: Vehicle) -> dict[str, Any]:
    """The snapshot's ``vehicle`` block from what the API knows of the car."""
    block: dict[str, Any] = {
        "vin": vehicle.vin,
        "fuel": vehicle.fuel if vehicle.fuel in ("petrol", "diesel") else None,
        "engine_type": vehicle.engine_type if vehicle.engine_type in ENGINE_TYPES else None,
        "engine_litres": _within(vehicle.engine_litres, 0.01, 10),
        "cylinders": _within(vehicle.cylinders, 1, 16),
        "year": _within(vehicle.year, 1970, 2100),
        "mileage_km": _within(vehicle.mileage_km, 0, 3_000_000),
    }
    if block["fuel"] and block["engine_type"]:
        if (block["fuel"] == "diesel") != (block["engine_type"] == "diesel"):
            block["engine_type"] = None  # the record contradicts itself: trust the fuel
    return {k: v for k, v in block.items() if v is not None}


def _within(value: float | None, low: float, high: float) -> float | None:
    # what the snapshot schema accepts; anything else in our record is left out
    return value if value is not None and low <= value <= high else None


def with_vehicle(snapshot: dict[str, Any], vehicle: Vehicle) -> dict[str, Any]:
    """The snapshot, with our record of the car when it says nothing of the vehicle."""
    if snapshot.get("vehicle") is None:
        block = snapshot_vehicle(vehicle)
        if block:
            return {**snapshot, "vehicle": block}
    return snapshot


def vehicle_session_snapshot(
    session: Session, user: User, vehicle: Vehicle, session_id: int
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The snapshot built from the caller's session ``session_id`` of ``vehicle``.

    Raises 404 (not the caller's session), 422 ``session_of_another_vehicle``,
    422 ``empty_session`` (nothing uploaded yet).
    """
    from api.sessions.service import owned as owned_session

    drive = owned_session(session, user, session_id)
    if drive.vehicle_id != vehicle.id:
        raise ApiError(
            422,
            "session_of_another_vehicle",
            f"session {session_id} was recorded on vehicle {drive.vehicle_id}, "
            f"not on vehicle {vehicle.id}",
            {"session_vehicle_id": drive.vehicle_id},
        )
    built = snapshot_from_session(session, drive.id, snapshot_vehicle(vehicle))
    if not built.readings:
        raise ApiError(
            422, "empty_session", f"session {session_id} has no readings yet: upload them first"
        )
    return built.snapshot, built.missing


def run_diagnose(snapshot: dict[str, Any]) -> dict[str, Any]:
    """``diagnostics.diagnose`` as JSON (422 ``invalid_snapshot`` with one line per
    problem for a snapshot the schema refuses)."""
    from diagnostics import SnapshotError, diagnose

    try:
        return diagnose(snapshot).model_dump(mode="json")
    except SnapshotError as exc:
        raise ApiError(422, "invalid_snapshot", str(exc), {"problems": exc.problems}) from None


def create(
    session: Session,
    user: User,
    vehicle_id: int,
    snapshot: dict[str, Any] | None,
    session_id: int | None,
) -> Diagnosis:
    """Diagnose a snapshot (``snapshot``) or a recorded session (``session_id``) of the
    caller's vehicle and store the result. Raises 404 / 422 (see above)."""
    vehicle = owned_vehicle(session, user, vehicle_id)
    missing: list[dict[str, str]] = []
    if session_id is not None:
        snapshot, missing = vehicle_session_snapshot(session, user, vehicle, session_id)
    else:
        snapshot = with_vehicle(snapshot or {}, vehicle)
    result = run_diagnose(snapshot)
    row = Diagnosis(
        owner_id=user.id, vehicle_id=vehicle.id,
        source="session" if session_id is not None else "snapshot", session_id=session_id,
        state="done", snapshot=snapshot, result=result, info={"missing": missing},
        error=None, version=1, created_at=now(), updated_at=now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    _event(session, row, "created", result)
    session.commit()
    return row


def start_guided(
    session: Session, user: User, vehicle_id: int, device: str, faults: list[str]
) -> tuple[Diagnosis, dict[str, Any]]:
    """A ``running`` diagnosis row for a guided test on the attached car, and the vehicle
    block for its snapshot (the test itself runs in :mod:`api.diagnoses.guided`)."""
    vehicle = owned_vehicle(session, user, vehicle_id)
    row = Diagnosis(
        owner_id=user.id, vehicle_id=vehicle.id, source="guided_test", session_id=None,
        state="running", snapshot=None, result=None,
        info={"guided_test": {"device": device, "faults": faults, "phases_run": []},
              "missing": []},
        error=None, version=0, created_at=now(), updated_at=now(),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row, snapshot_vehicle(vehicle)


def guided_progress(session: Session, diagnosis_id: int, **progress: Any) -> None:
    """Record where the guided test is (phase, prompt) for whoever polls the diagnosis."""
    row = session.get(Diagnosis, diagnosis_id)
    if row is None or row.state != "running":
        return
    row.info = {**row.info, "guided_test": {**row.info["guided_test"], **progress}}
    row.updated_at = now()
    session.commit()


def guided_finished(
    session: Session,
    diagnosis_id: int,
    snapshot: dict[str, Any] | None,
    result: dict[str, Any] | None,
    progress: dict[str, Any],
    error: str | None = None,
) -> None:
    """Store the guided test's outcome: the result, or why there is none."""
    row = session.get(Diagnosis, diagnosis_id)
    if row is None:  # deleted with its vehicle while the test ran
        return
    row.info = {**row.info, "guided_test": {**row.info["guided_test"], **progress,
                                           "phase": None, "prompt": None}}  # fmt: skip
    row.snapshot, row.updated_at = snapshot, now()
    if result is None:
        row.state, row.error = "failed", (error or "the guided test failed")[:400]
    else:
        row.state, row.result, row.version = "done", result, 1
        _event(session, row, "created", result)
    session.commit()


def _event(session: Session, row: Diagnosis, kind: str, after: dict | None, **data: Any):
    """Append a step to the history, with the status and ranking ``after`` it."""
    ranking = [[c["cause"], c["probability"]] for c in (after or {}).get("causes", [])]
    status = (after or {}).get("status")
    session.add(
        DiagnosisEvent(
            diagnosis_id=row.id,
            kind=kind,
            data={"status": status, "top_causes": ranking[:TOP_IN_HISTORY], **data},
            created_at=now(),
        )
    )


# ------------------------------------------------------------------------ answer, verify


def answer(session: Session, user: User, diagnosis_id: int, test: str, outcome: str) -> Diagnosis:
    """Update the caller's diagnosis with a test result (Bayes' rule in diagnostics).

    Raises 404; 409 ``diagnosis_not_ready`` / ``already_answered`` / ``conflict`` (another
    answer was stored meanwhile: read it again); 422 ``unknown_test`` / ``invalid_answer``.
    """
    from diagnostics import answer as update_ranking
    from diagnostics.kb import default_kb

    row = owned(session, user, diagnosis_id)
    current = result_of(row)
    tests = default_kb().tests
    if test not in tests:
        next_id = current.next_test.id if current.next_test else None
        raise ApiError(422, "unknown_test", f"unknown test {test!r}", {"next_test": next_id})
    if outcome not in tests[test].outcomes:
        raise ApiError(
            422, "invalid_answer",
            f"test {test!r} has the outcomes {', '.join(tests[test].outcomes)}, not {outcome!r}",
            {"outcomes": list(tests[test].outcomes)},
        )  # fmt: skip
    if any(a.test == test for a in current.answers):
        raise ApiError(409, "already_answered", f"test {test!r} was already answered")
    if not current.posterior:
        raise ApiError(409, "nothing_to_update", "this diagnosis has no ranking to update")
    updated = update_ranking(current, test, outcome).model_dump(mode="json")
    version = row.version
    changed = session.execute(
        update(Diagnosis)
        .where(Diagnosis.id == row.id, Diagnosis.version == version)
        .values(result=updated, version=version + 1, updated_at=now())
    ).rowcount
    if changed != 1:
        session.rollback()
        raise ApiError(409, "conflict", "the diagnosis changed meanwhile: read it and retry")
    _event(session, row, "answer", updated, test=test, result=outcome)
    session.commit()
    session.refresh(row)
    return row


def verify(
    session: Session,
    user: User,
    diagnosis_id: int,
    snapshot: dict[str, Any] | None,
    session_id: int | None,
    cause: str | None,
) -> tuple[Diagnosis, Any, list[dict[str, str]], dt.datetime]:
    """Check the repair of ``cause`` (default: the leading one) against an after-repair
    snapshot or session of the same vehicle; the verdict joins the history.

    Raises 404; 409 ``diagnosis_not_ready``; 422 ``no_cause`` (nothing to verify),
    ``unknown_cause``, ``invalid_snapshot``, ``session_of_another_vehicle``, ``empty_session``.
    """
    from diagnostics import SnapshotError
    from diagnostics import verify as check_repair
    from diagnostics.kb import default_kb

    row = owned(session, user, diagnosis_id)
    current = result_of(row)
    vehicle = owned_vehicle(session, user, row.vehicle_id)
    missing: list[dict[str, str]] = []
    if session_id is not None:
        snapshot, missing = vehicle_session_snapshot(session, user, vehicle, session_id)
    else:
        snapshot = with_vehicle(snapshot or {}, vehicle)
    if cause is not None:
        try:
            default_kb().cause(cause)
        except KeyError:
            raise ApiError(422, "unknown_cause", f"unknown cause {cause!r}") from None
    elif not current.causes:
        raise ApiError(422, "no_cause", "this diagnosis names no cause: give the repaired `cause`")
    try:
        check = check_repair(current, snapshot, cause=cause)
    except SnapshotError as exc:
        raise ApiError(422, "invalid_snapshot", str(exc), {"problems": exc.problems}) from None
    at = now()
    after = check.after.model_dump(mode="json")
    _event(session, row, "verification", after, verdict=check.verdict, cause=check.cause,
           session_id=session_id)  # fmt: skip
    row.updated_at = at
    session.commit()
    return row, check, missing, at


# --------------------------------------------------------------------------------- parts


def parts(session: Session, user: User, diagnosis_id: int) -> dict[str, Any]:
    """The catalogue's fitting parts with offers for the diagnosis' ranked causes, for the
    vehicle's linked catalogue type (parts' ``parts_for_diagnosis``); ``quoted`` marks the
    part type a garage quote replaces for that cause (the quotes' ``work_for_causes``)."""
    from api.garages.quotes import work_for_causes
    from parts.cause_parts import parts_for_diagnosis
    from parts.models import VehicleType

    row = owned(session, user, diagnosis_id)
    current = result_of(row)
    vehicle = owned_vehicle(session, user, row.vehicle_id)
    out: dict[str, Any] = {"diagnosis_id": row.id, "vehicle_type_id": vehicle.vehicle_type_id,
                           "message": None, "suggestions": []}  # fmt: skip
    if vehicle.vehicle_type_id is None or session.get(VehicleType, vehicle.vehicle_type_id) is None:
        out["vehicle_type_id"] = None
        out["message"] = (
            f"vehicle {vehicle.id} is not linked to a catalogue vehicle type: see "
            f"GET /v1/vehicles/{vehicle.id}/identification, then PATCH its vehicle_type_id"
        )
        return out
    if not current.causes:
        out["message"] = "this diagnosis names no cause: no part to suggest"
        return out
    ranked = [(c.cause, c.probability) for c in current.causes]
    quoted = {
        (item.reason.partition(":")[0], item.part_type)
        for item in work_for_causes(ranked, top=len(ranked), cylinders=vehicle.cylinders)
    }
    for s in parts_for_diagnosis(session, vehicle.vehicle_type_id, ranked, year=vehicle.year):
        out["suggestions"].append({
            "cause": s.cause + (f":{s.qualifier}" if s.qualifier else ""),
            "part_type": s.part_type, "part_type_label": s.part_type_label, "score": s.score,
            "quoted": (s.cause, s.part_type) in quoted, "total_parts": s.total_parts,
            "parts": [_part(hit) for hit in s.parts],
        })  # fmt: skip
    return out


def _part(hit) -> dict[str, Any]:  # noqa: ANN001 - parts.search.PartHit
    return {
        "part_id": hit.part_id, "brand": hit.brand, "article_number": hit.article_number,
        "name": hit.name, "certainty": hit.certainty_label, "reason": hit.reason,
        "offers": [
            {"supplier": o.supplier, "supplier_name": o.supplier_name,
             "price_cents": o.price_minor, "currency": o.currency, "stock": o.stock,
             "delivery_days": o.delivery_days}
            for o in hit.offers
        ],
    }  # fmt: skip


# ------------------------------------------------------------------------------ the plan


def plan(session: Session, user: User, vehicle_id: int, diagnosis_id: int | None, lang: str):
    """The guided-test plan for the caller's vehicle, narrowed to what the leading causes
    of ``diagnosis_id`` (one of its diagnoses, made from what was read once) need."""
    from diagnostics import guided_test_plan

    vehicle = owned_vehicle(session, user, vehicle_id)
    diagnosis = None
    if diagnosis_id is not None:
        row = owned(session, user, diagnosis_id)
        if row.vehicle_id != vehicle.id:
            raise not_found("diagnosis", diagnosis_id)
        diagnosis = result_of(row)
    out = guided_test_plan(diagnosis)
    for phase in out["phases"]:
        phase["prompt"] = phase["prompt"][lang]
    return {**out, "vehicle": snapshot_vehicle(vehicle)}


# ------------------------------------------------------------------------------ DTC texts


def dtc(code: str) -> dict[str, Any]:
    """What a code means (obdcore's texts, English and French) and the knowledge base's
    causes that set it, most likely first (a cylinder code names its cylinder)."""
    from diagnostics.kb import default_kb
    from obdcore import describe_dtc

    code = code.upper()
    causes = []
    for cause in default_kb().causes.values():
        for cylinder in range(1, 9) if cause.per_cylinder else (None,):
            p = cause.codes_for(cylinder).get(code)
            if p is None:
                continue
            generic = cylinder is not None and code in cause.codes_for(None)
            ident = cause.id if cylinder is None or generic else f"{cause.id}:{cylinder}"
            causes.append({"cause": ident, "name_en": cause.name.en, "name_fr": cause.name.fr,
                           "probability": p})  # fmt: skip
            if cylinder is None or generic:
                break
    causes.sort(key=lambda c: (-c["probability"], c["cause"]))
    return {"code": code, "description_en": describe_dtc(code, lang="en"),
            "description_fr": describe_dtc(code, lang="fr"), "causes": causes}  # fmt: skip
