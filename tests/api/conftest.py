"""Fixtures: every API test runs on SQLite AND on the real PostgreSQL server.

One database per backend and test session (PostgreSQL: a schema of its own with a unique
name, dropped at the end; SQLite: a file in pytest's tmp dir), migrated once. Tests never
clean up: each makes its own users (unique e-mails), so they never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.database import make_engine, upgrade
from api.settings import Settings
from tests.databases import fresh_database

PASSWORD = "correct horse battery"


def make_settings(database_url: str, tmp_path: Path, **overrides) -> Settings:
    """Settings for a test app: cheap argon2, generous rate limits, no OCR preload."""
    values = dict(
        environment="test",
        secret_key="test-secret-" + "x" * 40,
        database_url=database_url,
        data_dir=tmp_path,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        rate_login_per_minute=10_000,
        rate_signup_per_hour=10_000,
        rate_ocr_per_hour=10_000,
        ocr_preload=False,
        log_level="WARNING",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated database of each backend, for the whole session."""
    with fresh_database(request.param, tmp_path_factory.mktemp("api_db"), "api") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """One app per backend."""
    return create_app(make_settings(database_url, tmp_path_factory.mktemp("api_data")))


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    """A client of the per-backend app (lifespan run once)."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def sim_client(database_url, tmp_path_factory) -> Iterator[TestClient]:
    """A client of an app with the simulated car attached (``novaevo serve --sim``), on the
    same database; its guided test runs at 1/20 of the plan's times, simulator timing fast."""
    settings = make_settings(database_url, tmp_path_factory.mktemp("api_sim"), live_device="sim",
                             guided_time_scale=0.05, sim_timing="fast")  # fmt: skip
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


class User:
    """A signed-up, logged-in user of the tests, with an authenticated header."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.email = f"u{uuid.uuid4().hex[:12]}@example.com"
        r = client.post("/v1/auth/signup", json={"email": self.email, "password": PASSWORD})
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        self.tokens = self.log_in()
        self.headers = {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def log_in(self) -> dict:
        r = self.client.post("/v1/auth/login", json={"email": self.email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()

    def get(self, url: str, headers: dict | None = None, **kw):
        return self.client.get(url, headers={**self.headers, **(headers or {})}, **kw)

    def post(self, url: str, headers: dict | None = None, **kw):
        return self.client.post(url, headers={**self.headers, **(headers or {})}, **kw)

    def patch(self, url: str, headers: dict | None = None, **kw):
        return self.client.patch(url, headers={**self.headers, **(headers or {})}, **kw)

    def delete(self, url: str, headers: dict | None = None, **kw):
        return self.client.delete(url, headers={**self.headers, **(headers or {})}, **kw)


@pytest.fixture(scope="session")
def card_reader():
    """The real OCR pipeline with the product's default engine, loaded once."""
    from ocr import CardReader

    return CardReader()


@pytest.fixture
def user(client) -> User:
    """A fresh user."""
    return User(client)


@pytest.fixture
def other(client) -> User:
    """Another fresh user (the one whose objects must stay invisible)."""
    return User(client)


def assert_error(response, status: int, code: str) -> dict:
    """The response is an error of the standard shape with ``status`` and ``code``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details", "request_id"}, body
    assert body["code"] == code, body
    assert body["request_id"] == response.headers["x-request-id"]
    return body
