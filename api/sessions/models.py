"""Recorded sessions of a vehicle: uploads (each with its idempotency key) and readings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY = rowid


class DriveSession(Base):
    """One recording of a vehicle (an app drive, or a Torque Pro session)."""

    __tablename__ = "api_session"
    __table_args__ = (UniqueConstraint("vehicle_id", "source", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("api_user.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("api_vehicle.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="app")
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120), default="")
    protocol: Mapped[str | None] = mapped_column(String(2))
    headers: Mapped[bool] = mapped_column(default=True)
    reading_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SessionUpload(Base):
    """One chunk uploaded to a session; ``(session_id, idempotency_key)`` is unique so that a
    retried upload returns the first result instead of storing the chunk twice."""

    __tablename__ = "api_session_upload"
    __table_args__ = (UniqueConstraint("session_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("api_session.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Reading(Base):
    """One value at one time of a session: numeric (``value``) or a DTC (``text``)."""

    __tablename__ = "api_reading"
    __table_args__ = (Index(None, "session_id", "t"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("api_session.id", ondelete="CASCADE"))
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("api_session_upload.id", ondelete="CASCADE"), index=True
    )
    t: Mapped[float] = mapped_column(Float)
    ecu: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), default="")
    text: Mapped[str | None] = mapped_column(String(32))
