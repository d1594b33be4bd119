"""Cause -> part types -> fitting parts: "parts for this diagnosis" (causes ranked by diagnostics).

The cause -> part-type table comes from the diagnostics knowledge base, through
:data:`parts.vocabulary.CAUSE_PART_TYPES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from parts import vocabulary
from parts.errors import InvalidInputError, UnknownCauseError
from parts.search import PartHit, search_by_vehicle


@dataclass
class Suggestion:
    """One part type worth checking for one cause, with the fitting parts (best first).

    ``score`` = cause probability x the part type's weight for that cause.
    """

    cause: str
    qualifier: str | None
    part_type: str
    part_type_label: str
    score: float
    parts: list[PartHit] = field(default_factory=list)
    total_parts: int = 0


def parts_for_diagnosis(
    session: Session,
    vehicle_type_id: int,
    causes: Mapping[str, float] | Iterable[tuple[str, float]],
    *,
    parts_per_type: int = 5,
    year: int | None = None,
    currency: str = "EUR",
) -> list[Suggestion]:
    """Turn ranked diagnostic causes into part suggestions for one vehicle type.

    In: causes as ``{"misfire:2": 0.7, "vacuum_leak": 0.2}`` (probabilities in [0, 1]).
    Out: suggestions sorted by score, each with up to ``parts_per_type`` fitting parts.
    Raises: UnknownCauseError, InvalidInputError (probability outside [0, 1]),
    NotFoundError (unknown vehicle type).
    """
    pairs = list(causes.items()) if isinstance(causes, Mapping) else list(causes)
    suggestions = [s for cause, p in pairs for s in _suggest(cause, p)]
    suggestions.sort(key=lambda s: (-s.score, s.cause, s.part_type))
    for s in suggestions:
        page = search_by_vehicle(
            session,
            vehicle_type_id,
            s.part_type,
            year=year,
            per_page=parts_per_type,
            currency=currency,
        )
        s.parts, s.total_parts = page.items, page.total
    return suggestions


def _suggest(cause: str, probability: float) -> list[Suggestion]:
    try:
        base, qualifier = vocabulary.split_cause(cause)
    except KeyError:
        raise UnknownCauseError(
            f"unknown diagnostic cause {cause[:60]!r}; known: {', '.join(vocabulary.CAUSE_IDS)}"
        ) from None
    if not 0.0 <= probability <= 1.0:
        raise InvalidInputError(f"probability of {cause} must be within 0..1, not {probability}")
    return [
        Suggestion(
            base, qualifier, code, vocabulary.PART_TYPES[code], round(probability * weight, 4)
        )
        for code, weight in vocabulary.CAUSE_PART_TYPES[base]
    ]
