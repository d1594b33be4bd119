"""Garages tables: the directory, the services each garage offers, garage staff accounts,
bookings. Tables are prefixed ``garages_``; times are stored in UTC.

Double booking is prevented by serialising the bookings of one garage: a booking first
bumps ``Garage.booking_lock`` (an ``UPDATE`` of the garage row takes its row lock on
PostgreSQL and the database write lock on SQLite), then counts the overlapping bookings and
inserts, all in one transaction. Two requests for the last bay of one slot therefore see
each other: the second one counts the first one's booking and gets a 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base

#: booking states: requested -> accepted -> done; requested/accepted -> cancelled (driver)
#: or declined (garage). Only the active ones take a bay.
ACTIVE_STATES = ("requested", "accepted")
STATES = ("requested", "accepted", "declined", "cancelled", "done")


class Garage(Base):
    """One garage of the directory (``ref`` is the directory's own key, used by imports)."""

    __tablename__ = "garages_garage"
    __table_args__ = (Index(None, "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(5), index=True)
    city: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    bays: Mapped[int] = mapped_column(SmallInteger)
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)  # WeeklyHours.to_json()
    open_on_public_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    labour_rate_cents: Mapped[int] = mapped_column(Integer)  # per hour, before VAT
    vat_bp: Mapped[int] = mapped_column(SmallInteger, default=2000)
    makes: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every make
    cancel_notice_hours: Mapped[int] = mapped_column(SmallInteger, default=24)
    booking_notice_hours: Mapped[int] = mapped_column(SmallInteger, default=2)
    phone: Mapped[str] = mapped_column(String(30), default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    booking_lock: Mapped[int] = mapped_column(Integer, default=0)


class GarageService(Base):
    """A service a garage offers, with its own duration (None: the standard one)."""

    __tablename__ = "garages_service"

    garage_id: Mapped[int] = mapped_column(
        ForeignKey("garages_garage.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    minutes: Mapped[int | None] = mapped_column(SmallInteger)


class GarageStaff(Base):
    """A user account that acts for a garage (sees its bookings, accepts, declines...)."""

    __tablename__ = "garages_staff"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("api_user.id", ondelete="CASCADE"), primary_key=True
    )
    garage_id: Mapped[int] = mapped_column(
        ForeignKey("garages_garage.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Booking(Base):
    """A driver's booking of a slot at a garage, with the quote the driver consented to.

    ``quote`` is the consented quote (lines, totals, fingerprint); ``pending_quote`` a
    garage's adjustment that raises the total, waiting for the driver's approval.
    ``diagnosis`` is the copy of the diagnosis shared read-only with this garage.
    """

    __tablename__ = "garages_booking"
    __table_args__ = (Index(None, "garage_id", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    garage_id: Mapped[int] = mapped_column(ForeignKey("garages_garage.id", ondelete="CASCADE"))
    driver_id: Mapped[int] = mapped_column(
        ForeignKey("api_user.id", ondelete="CASCADE"), index=True
    )
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("api_vehicle.id", ondelete="CASCADE"))
    diagnosis_id: Mapped[int | None] = mapped_column(Integer)
    diagnosis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    vehicle: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the garage may see of it
    work: Mapped[dict[str, Any]] = mapped_column(JSON)  # the request the quote was made of
    start_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    quote: Mapped[dict[str, Any]] = mapped_column(JSON)
    pending_quote: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # .ics SEQUENCE
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class GarageInvite(Base):
    """A one-time code that lets a user account claim a garage of the directory (become
    its staff). Issued by an operator (``novaevo garages invite REF``) and handed to the
    garage out of band; only its SHA-256 is stored, it expires, and it works once."""

    __tablename__ = "garages_invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    garage_id: Mapped[int] = mapped_column(
        ForeignKey("garages_garage.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("api_user.id", ondelete="SET NULL"))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
