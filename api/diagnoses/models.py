"""Stored diagnoses and their history (answers given, repair checks).

A diagnosis row holds the snapshot it was made from, the current result (the
:class:`diagnostics.snapshot.Diagnosis` as JSON) and how it was made; every change to it
(creation, each answer, each repair verification) is an event row, so the history is
kept. ``version`` is bumped by every update of the result: an answer computed from an
older version is refused (409), so two concurrent answers never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UtcDateTime

#: running: a guided test on the attached car is still going; done: ``result`` is set;
#: failed: the guided test could not produce a diagnosis (``error`` says why).
STATES = ("running", "done", "failed")
SOURCES = ("snapshot", "session", "guided_test")


class Diagnosis(Base):
    """One diagnosis of a user's vehicle."""

    __tablename__ = "api_diagnosis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("api_user.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("api_vehicle.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_session.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # how it was made: what the snapshot lacks, the guided test's phases and progress
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(400))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DiagnosisEvent(Base):
    """One step of a diagnosis' history: ``created``, ``answer`` or ``verification``."""

    __tablename__ = "api_diagnosis_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    diagnosis_id: Mapped[int] = mapped_column(
        ForeignKey("api_diagnosis.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
