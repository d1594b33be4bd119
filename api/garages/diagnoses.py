"""The link to the API's stored diagnoses: what a quote and a booking need of one.

A booking shares the diagnosis read-only with its garage by keeping a copy of what the
garage needs (ranked causes with their evidence and explanation, codes, severity, the
answers given), taken when the driver books: the garage never reads the driver's
diagnosis table, so it can never reach another of the driver's diagnoses, and what it
sees does not change if the driver answers more tests later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.garages.errors import InvalidStateError, NotFoundError

#: what of a stored result the garage gets (not the posterior kept for answering)
SHARED_FIELDS = ("status", "summary", "severity", "causes", "codes", "symptoms",
                 "engine_type", "answers", "data_quality")  # fmt: skip


@dataclass(frozen=True)
class DiagnosisFacts:
    """The ranked causes (cause id, probability) of a diagnosis, and the copy to share."""

    diagnosis_id: int
    causes: list[tuple[str, float]]
    shared: dict[str, Any]


def load_diagnosis(
    session: Session, user_id: int, vehicle_id: int, diagnosis_id: int
) -> DiagnosisFacts:
    """The diagnosis ``diagnosis_id`` of ``vehicle_id``, if the user owns it.

    Raises: NotFoundError when it does not exist, is not the user's or not that vehicle's;
    InvalidStateError while its guided test runs or when it failed.
    """
    from api.diagnoses.models import Diagnosis

    row = session.scalar(
        select(Diagnosis).where(
            Diagnosis.id == diagnosis_id,
            Diagnosis.owner_id == user_id,
            Diagnosis.vehicle_id == vehicle_id,
        )
    )
    if row is None:
        raise NotFoundError(f"diagnosis {diagnosis_id} not found")
    if row.state != "done" or row.result is None:
        raise InvalidStateError(f"diagnosis {diagnosis_id} is {row.state}: nothing to quote yet")
    result = row.result
    causes = [(c["cause"], float(c["probability"])) for c in result.get("causes", [])]
    if not causes:
        raise InvalidStateError(
            f"diagnosis {diagnosis_id} names no cause ({result.get('status')}): quote a "
            "service such as `diagnosis` instead"
        )
    shared = {name: result.get(name) for name in SHARED_FIELDS}
    shared.update(diagnosis_id=row.id, created_at=row.created_at.isoformat(), source=row.source)
    return DiagnosisFacts(row.id, causes, shared)
