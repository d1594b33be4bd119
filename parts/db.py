"""Catalogue maintenance and the vocabulary seed.

The engine, the sessions and the migrations are the product's, not the catalogue's
(:mod:`api.database`: one engine, one Alembic history for every package); after
migrating, it calls :func:`seed_vocabulary` to copy the part-type vocabulary and the cause
mapping from :mod:`parts.vocabulary` into their tables. Parts' functions take an engine or
a session from their caller.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.orm import Session, sessionmaker

from parts import vocabulary
from parts.models import CausePartType, PartType


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


CATALOGUE_TABLES = (
    "parts_vehicle_type",
    "parts_supplier",
    "parts_part",
    "parts_oe_reference",
    "parts_cross_reference",
    "parts_fitment",
    "parts_engine_fitment",
    "parts_offer",
    "parts_known_vehicle",
    "parts_catalogue_meta",
)


def optimize(engine: Engine) -> None:
    """Maintenance after a bulk load or a large import; safe to run any time.

    PostgreSQL: rewrites the fitment tables in primary-key order (``CLUSTER``), so that the
    few hundred fitments of one vehicle type sit on a few pages instead of one page each,
    then refreshes the planner statistics. SQLite: statistics and a merge of the full-text
    index segments (its fitment tables are WITHOUT ROWID, hence always in key order).
    Only the catalogue's tables are touched.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("CLUSTER parts_fitment USING pk_parts_fitment")
            conn.exec_driver_sql("CLUSTER parts_engine_fitment USING pk_parts_engine_fitment")
        else:
            conn.exec_driver_sql("INSERT INTO parts_part_fts(parts_part_fts) VALUES ('optimize')")
        for table in (*CATALOGUE_TABLES, "parts_part_type"):
            conn.exec_driver_sql(f"ANALYZE {table}")


def seed_vocabulary(conn: Connection) -> None:
    """Replace the part-type and cause-mapping rows by the ones in :mod:`parts.vocabulary`.

    Part types are upserted (never deleted: parts may reference retired codes); the cause
    mapping is small and derived, so it is rewritten whole.
    """
    existing = set(conn.scalars(PartType.__table__.select().with_only_columns(PartType.code)))
    new = [
        {"code": code, "label": label}
        for code, label in vocabulary.PART_TYPES.items()
        if code not in existing
    ]
    if new:
        conn.execute(insert(PartType), new)
    for code, label in vocabulary.PART_TYPES.items():
        if code in existing:
            conn.execute(
                PartType.__table__.update().where(PartType.code == code).values(label=label)
            )
    conn.execute(delete(CausePartType))
    conn.execute(
        insert(CausePartType),
        [
            {"cause_id": cause, "part_type_code": code, "weight": weight}
            for cause, pairs in vocabulary.CAUSE_PART_TYPES.items()
            for code, weight in pairs
        ],
    )
