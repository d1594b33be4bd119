"""The PostgreSQL pool pings a connection only when it sat idle, and a server-side drop of an
idle connection costs no error (the pool replaces it), as ``pool_pre_ping`` did."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import api.database
from api.database import make_engine
from tests.databases import fresh_database


@pytest.fixture
def pg_url(tmp_path):
    with fresh_database("postgresql", tmp_path, "pool") as url:
        yield url


def test_a_connection_in_use_a_moment_ago_is_not_pinged_an_idle_one_is(pg_url, monkeypatch):
    monkeypatch.setattr(api.database, "PING_AFTER_IDLE_S", 60.0)
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    pinged = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pinged.append(c) or real_ping(c))
    for _ in range(5):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    assert pinged == []
    monkeypatch.setattr(api.database, "PING_AFTER_IDLE_S", 0.05)
    time.sleep(0.1)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pinged) == 1
    engine.dispose()


def test_an_idle_connection_dropped_by_the_server_is_replaced_without_error(pg_url, monkeypatch):
    monkeypatch.setattr(api.database, "PING_AFTER_IDLE_S", 0.05)
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(pg_url, poolclass=NullPool)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid}).scalar()
    time.sleep(0.2)  # idle for longer than the threshold: pinged, found dead, replaced
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first_pid
    engine.dispose()
    killer.dispose()
