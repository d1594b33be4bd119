"""Vehicles owned by users, and registration-card readings waiting for confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UtcDateTime


class Vehicle(Base):
    """A user's car. ``vehicle_type_id`` links it to the parts catalogue when identified."""

    __tablename__ = "api_vehicle"
    __table_args__ = (UniqueConstraint("owner_id", "plate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("api_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    vin: Mapped[str | None] = mapped_column(String(17))
    plate: Mapped[str | None] = mapped_column(String(16))
    make: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(80))
    year: Mapped[int | None] = mapped_column(SmallInteger)
    fuel: Mapped[str | None] = mapped_column(String(8))
    engine_type: Mapped[str | None] = mapped_column(String(16))
    engine_litres: Mapped[float | None] = mapped_column(Float)
    cylinders: Mapped[int | None] = mapped_column(SmallInteger)
    mileage_km: Mapped[int | None] = mapped_column(Integer)
    # A soft link, no foreign key: the catalogue is replaced wholesale by imports and the
    # demo generator (TRUNCATE), and a user's car must survive that; a link to a vehicle
    # type that no longer exists reads as "not identified".
    vehicle_type_id: Mapped[int | None] = mapped_column(Integer)
    vin_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CardReading(Base):
    """What OCR read on one uploaded registration card, kept until the user confirms it."""

    __tablename__ = "api_card_reading"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("api_user.id", ondelete="CASCADE"), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_vehicle.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
