"""Fixtures: every DB test runs on SQLite AND on the real PostgreSQL server.

PostgreSQL isolation: one schema per test session with a unique name (dropped at the end,
so an interrupted run never breaks the next one); SQLite: a file in pytest's tmp dir.
Each test starts from an empty catalogue (vocabulary kept), so tests never see each
other's rows. The PostgreSQL URL is ``NOVAEVO_TEST_POSTGRES_URL``, else
``NOVAEVO_DATABASE_URL`` when it is a PostgreSQL URL, else the local server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from api.database import make_engine, session_factory, upgrade
from parts.demo import DemoSize, clear_catalogue, generate
from tests.databases import fresh_database

SMALL = DemoSize(vehicles=60, parts=3000, fitments_per_part=4, engine_fitment_every=5)
TABLES = (
    "parts_vehicle_type",
    "parts_part",
    "parts_oe_reference",
    "parts_cross_reference",
    "parts_fitment",
    "parts_engine_fitment",
    "parts_supplier",
    "parts_offer",
    "parts_known_vehicle",
    "parts_catalogue_meta",
)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty catalogue database URL (string, usable by the CLI too)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("parts_db"), "parts") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def session_engine(db_url: str) -> Iterator[Engine]:
    """One engine per backend for the whole session."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(session_engine: Engine) -> Engine:
    """An engine on an empty catalogue (the vocabulary tables stay seeded)."""
    with session_engine.begin() as conn:
        clear_catalogue(conn)
    return session_engine


@pytest.fixture
def demo(engine: Engine) -> Engine:
    """An engine on a small generated demo catalogue (60 vehicles, 3,000 parts)."""
    generate(engine, SMALL)
    return engine


@pytest.fixture
def session(engine: Engine):
    """An ORM session on the (empty or demo) catalogue of this test."""
    with session_factory(engine)() as s:
        yield s


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every catalogue row, sorted: to prove that a failed import changed nothing."""
    result = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            result[table] = sorted(tuple(map(str, r)) for r in rows)
    return result


@pytest.fixture
def tiny(engine: Engine, tmp_path: Path) -> Engine:
    """The engine with the tiny hand-written catalogue (``tests/parts/catalogue.py``) loaded."""
    from tests.parts import catalogue

    catalogue.load(engine, tmp_path)
    return engine


def rejection_reasons(report) -> dict[int, str]:
    """An import report's rejected rows as ``{line: reason}``."""
    return {r.line: r.reason for r in report.rejected}
