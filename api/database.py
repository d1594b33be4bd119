"""The one SQLAlchemy engine, session factory and Alembic history of the product.

* :class:`Base` is the declarative base of every API domain (accounts, vehicles,
  sessions, garages...). ``parts`` keeps its own base (it must not import ``api``), but
  both share ONE ``MetaData`` (parts'), so that API tables may refer to catalogue tables
  and Alembic compares against a single metadata (:func:`metadata`).
* :func:`make_engine` builds the engine (SQLite pragmas; PostgreSQL pool settings);
  :func:`make_read_engine` the one-step reads' engine next to it.
* :func:`upgrade` runs every package's migrations (all branch heads: ``parts``, ``api``,
  ``garages``...) then the post-migration seeds (the parts vocabulary). The same history
  runs with the plain ``alembic`` command from the repository root (``alembic.ini``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    exc,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from parts.models import Base as PartsBase

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# A pooled connection idle for longer than this is pinged before it is lent again.
PING_AFTER_IDLE_S = 1.0


class Base(DeclarativeBase):
    """Declarative base of the API's domain tables (names prefixed ``api_`` or the domain)."""

    metadata = PartsBase.metadata


def all_metadata() -> MetaData:
    """The one metadata holding every table of every package (Alembic's target).

    Imports the API's model modules so that their tables are registered on :class:`Base`.
    """
    import api.models  # noqa: F401 - registers the tables

    return Base.metadata


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url``, tuned per dialect.

    SQLite: WAL, ``synchronous=NORMAL``, foreign keys on, a busy timeout so that several
    workers wait for the write lock instead of failing. PostgreSQL: a connection that sat
    in the pool for more than :data:`PING_AFTER_IDLE_S` is pinged before use, so that a
    server restarted while the service was quiet costs one retry, not an error.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


# The reads' own pool on PostgreSQL (see make_read_engine): at most this many connections
# a worker, on top of the main pool's.
READ_POOL_SIZE, READ_POOL_OVERFLOW = 5, 10


def make_read_engine(engine: Engine) -> Engine:
    """The engine of the one-step reads (:class:`api.deps.Caller`) next to ``engine``.

    PostgreSQL: a small pool of its own whose connections stay in autocommit mode, so a
    read is one round trip (no BEGIN before it, no ROLLBACK when the connection goes
    back; switching a pooled connection's mode at every checkout cost as much as it
    saved). SQLite: ``engine`` itself (the driver opens no transaction for a SELECT, and
    its autocommit switch costs a PRAGMA at every checkin).
    """
    if engine.dialect.name == "sqlite":
        return engine
    return make_engine(
        engine.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        pool_size=READ_POOL_SIZE,
        max_overflow=READ_POOL_OVERFLOW,
    )


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before lending it only when it was idle for a while.

    Why not ``pool_pre_ping``: it pings on *every* checkout, one extra round trip per
    request step, which was a fifth of a simple authenticated read's cost on PostgreSQL.
    A connection handed back less than a second ago is alive; if the server went away
    in that second, the failing statement is a disconnect error that makes SQLAlchemy
    replace every pooled connection, so at most that one request fails.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("checked_in_at", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # a fresh connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_conn, None):
                # the pool retries with a new connection and drops the older ones
                raise exc.InvalidatePoolError() from err
            raise


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run during an import; NORMAL is durable enough with WAL and much
    # faster; a bigger page cache and mmap keep the 5M-row fitment index hot.
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "cache_size=-262144",
        "mmap_size=1073741824",
        "temp_store=MEMORY",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection | None = None):  # noqa: ANN202 - alembic Config
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate every package's tables to ``revision`` (default: every branch head) and
    reseed the data copied from code (the parts vocabulary).

    Raises: whatever Alembic/the driver raises when the database is unreachable.
    """
    from alembic import command

    from parts.db import seed_vocabulary

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
        if conn.dialect.has_table(conn, "parts_part_type"):
            seed_vocabulary(conn)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate down to ``revision`` (``base`` drops every table of every package)."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def _script():  # noqa: ANN202 - alembic ScriptDirectory
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def head_revisions() -> set[str]:
    """The revisions a fully migrated database is at (one per branch)."""
    return set(_script().get_heads())


def current_revisions(conn: Connection) -> set[str]:
    """Every revision applied to the database: its heads and all they depend on (empty for
    a database never migrated). A branch head another branch depends on is not recorded
    as a head by Alembic, hence the walk down."""
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    if not heads:
        return set()
    return {rev.revision for rev in _script().iterate_revisions(heads, "base")}


class SchemaNotReadyError(RuntimeError):
    """The database is not migrated to the current heads (run ``novaevo db upgrade``)."""


def check_current(engine: Engine) -> None:
    """Raise :class:`SchemaNotReadyError` unless the database is at every head."""
    with engine.connect() as conn:
        current = current_revisions(conn)
    missing = head_revisions() - current
    if missing:
        raise SchemaNotReadyError(
            "the database schema is not up to date (missing "
            f"{', '.join(sorted(missing))}); run `novaevo db upgrade`"
        )


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every dialect (SQLite stores no zone: values come
    back naive and are marked UTC here, so the API never emits a zone-less time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value
