"""The catalogue schema (SQLAlchemy 2 typed ORM), TecDoc-like.

Tables are prefixed ``parts_`` because the API will share the database with other domains.
Numbers (article, OE) are kept as written *and* normalised (``number_norm``) so that every
spelling finds them. Prices are integers in minor units (cents) with an ISO 4217 currency:
no float ever touches money. Fitment tables use composite primary keys whose leading
column is the lookup key (vehicle type, engine code), so the primary-key index *is* the
search index and 5 million rows carry no surrogate id.

The full-text index is not mapped here: it differs per dialect (FTS5 table on SQLite, a
``tsvector`` column generated from the words of ``search_text`` on PostgreSQL) and is
created by the migrations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names so that migrations can refer to them on both dialects.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base holding the parts metadata (the Alembic target)."""

    metadata = MetaData(naming_convention=NAMING)


class VehicleType(Base):
    """One vehicle type: make/model/variant/engine, with its French and TecDoc-like ids."""

    __tablename__ = "parts_vehicle_type"
    __table_args__ = (Index(None, "make_norm", "year_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    make: Mapped[str] = mapped_column(String(64))
    make_norm: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(80))
    variant: Mapped[str] = mapped_column(String(120), default="")
    engine_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    capacity_cc: Mapped[int | None] = mapped_column(Integer)
    power_kw: Mapped[int | None] = mapped_column(Integer)
    fuel: Mapped[str] = mapped_column(String(8), default="")  # P.3 code: ES, GO, EE, EL, ...
    year_from: Mapped[int] = mapped_column(SmallInteger)
    year_to: Mapped[int | None] = mapped_column(SmallInteger)
    type_code: Mapped[str] = mapped_column(String(40), default="", index=True)  # D.2
    cnit: Mapped[str] = mapped_column(String(20), default="", index=True)  # D.2.1
    ktype: Mapped[int | None] = mapped_column(Integer, unique=True)


class PartType(Base):
    """A generic article (MAF sensor, thermostat, ...); codes come from ``parts.vocabulary``."""

    __tablename__ = "parts_part_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))


class Part(Base):
    """An article: a brand and its article number, of one part type."""

    __tablename__ = "parts_part"
    # Number first, so that this index also serves every lookup by number.
    __table_args__ = (UniqueConstraint("number_norm", "brand_norm"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand: Mapped[str] = mapped_column(String(64))
    brand_norm: Mapped[str] = mapped_column(String(64))
    article_number: Mapped[str] = mapped_column(String(64))
    number_norm: Mapped[str] = mapped_column(String(64))
    # Not indexed: no query selects parts by type alone (it filters parts already found by
    # vehicle, number or text), and the index cost 2 us per imported article.
    part_type_code: Mapped[str] = mapped_column(ForeignKey("parts_part_type.code"))
    name: Mapped[str] = mapped_column(String(200), default="")
    gtin: Mapped[str | None] = mapped_column(String(14))
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # The distinct words of brand, numbers, name, type label and attribute values, space-
    # separated (``parts.normalize.build_search_text``): what free text searches.
    search_text: Mapped[str] = mapped_column(Text, default="")


class OeReference(Base):
    """An original-equipment number (vehicle maker's number) that an article replaces."""

    __tablename__ = "parts_oe_reference"
    __table_args__ = (UniqueConstraint("number_norm", "oe_brand_norm", "part_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("parts_part.id", ondelete="CASCADE"), index=True
    )
    oe_brand_norm: Mapped[str] = mapped_column(String(64))
    oe_number: Mapped[str] = mapped_column(String(64))
    number_norm: Mapped[str] = mapped_column(String(64))


class CrossReference(Base):
    """``part`` is ``equivalent`` to, or ``superseded_by``, ``other_part``."""

    __tablename__ = "parts_cross_reference"

    part_id: Mapped[int] = mapped_column(
        ForeignKey("parts_part.id", ondelete="CASCADE"), primary_key=True
    )
    other_part_id: Mapped[int] = mapped_column(
        ForeignKey("parts_part.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)


class Fitment(Base):
    """Article fits vehicle type (TecDoc linkage), with years, position and qualifiers."""

    __tablename__ = "parts_fitment"
    __table_args__ = {"sqlite_with_rowid": False}

    vehicle_type_id: Mapped[int] = mapped_column(
        ForeignKey("parts_vehicle_type.id", ondelete="CASCADE"), primary_key=True
    )
    part_id: Mapped[int] = mapped_column(
        ForeignKey("parts_part.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    year_from: Mapped[int | None] = mapped_column(SmallInteger)
    year_to: Mapped[int | None] = mapped_column(SmallInteger)
    quantity: Mapped[int] = mapped_column(SmallInteger, default=1)
    qualifiers: Mapped[str] = mapped_column(String(200), default="")


class EngineFitment(Base):
    """Article fits every vehicle with this engine code: less certain than a type linkage."""

    __tablename__ = "parts_engine_fitment"
    __table_args__ = {"sqlite_with_rowid": False}

    engine_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("parts_part.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    year_from: Mapped[int | None] = mapped_column(SmallInteger)
    year_to: Mapped[int | None] = mapped_column(SmallInteger)
    quantity: Mapped[int] = mapped_column(SmallInteger, default=1)
    qualifiers: Mapped[str] = mapped_column(String(200), default="")


class Supplier(Base):
    """A seller of parts (a price/stock feed)."""

    __tablename__ = "parts_supplier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2), default="")


class Offer(Base):
    """A supplier's price and stock for one article."""

    __tablename__ = "parts_offer"

    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("parts_supplier.id", ondelete="CASCADE"), primary_key=True
    )
    part_id: Mapped[int] = mapped_column(
        ForeignKey("parts_part.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    price_minor: Mapped[int] = mapped_column(BigInteger)  # cents
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    delivery_days: Mapped[int | None] = mapped_column(SmallInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CausePartType(Base):
    """Diagnostic cause -> part type, copied from ``parts.vocabulary.CAUSE_PART_TYPES``."""

    __tablename__ = "parts_cause_part_type"

    cause_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    part_type_code: Mapped[str] = mapped_column(
        ForeignKey("parts_part_type.code"), primary_key=True
    )
    weight: Mapped[float] = mapped_column(Float)


class KnownVehicle(Base):
    """A plate (and VIN) one owner already identified, remembered with its vehicle type.

    Per owner: what identifies a car to one user (plate, VIN) is never visible to another,
    so the same plate may be remembered by several owners. ``owner`` is an opaque key given
    by the caller (the API passes ``user:<id>``; the CLI ``local``): parts knows no users.
    """

    __tablename__ = "parts_known_vehicle"
    __table_args__ = (
        UniqueConstraint("owner", "plate"),
        Index(None, "owner", "vin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    plate: Mapped[str] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(17))
    vehicle_type_id: Mapped[int] = mapped_column(
        ForeignKey("parts_vehicle_type.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CatalogueMeta(Base):
    """Key/value facts about the catalogue, e.g. ``source`` = demo label."""

    __tablename__ = "parts_catalogue_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
