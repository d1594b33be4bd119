"""Engines, sessions and migrations of the catalogue.

The schema is owned by Alembic (script directory ``api/migrations``); :func:`upgrade` runs
it programmatically on an engine, so no ``alembic.ini`` is needed, then copies the
part-type vocabulary and the cause mapping from :mod:`parts.vocabulary` into their tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert
from sqlalchemy.orm import Session, sessionmaker

from parts import vocabulary
from parts.models import CausePartType, PartType
from parts.settings import PartsSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "api" / "migrations"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: :class:`PartsSettings`), tuned per dialect.

    SQLite gets WAL, ``synchronous=NORMAL`` and enforced foreign keys on every connection.
    """
    url = url or PartsSettings().resolved_database_url()
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run during an import; NORMAL is durable enough with WAL and much
    # faster; a bigger page cache and mmap make the 5M-row fitment index stay hot.
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "cache_size=-262144",
        "mmap_size=1073741824",
        "temp_store=MEMORY",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the catalogue schema to ``revision`` and (re)seed the vocabulary tables.

    Raises: whatever Alembic/the driver raises when the database is unreachable.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        seed_vocabulary(conn)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the catalogue schema down to ``revision`` (``base`` drops every parts table)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


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
