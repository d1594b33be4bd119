"""The skeleton: health, readiness, metrics, error shape, request ids, operation ids,
settings, data directory, the plain `alembic` command."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import inspect

from api.app import create_app
from api.database import downgrade, make_engine, upgrade
from api.settings import DEVELOPMENT_SECRET, Settings
from tests.api.conftest import assert_error, make_settings

ROOT = Path(__file__).resolve().parents[2]


def test_health_ready_and_metrics(client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["migrations"] == "ok"
    text = client.get("/metrics").text
    assert 'novaevo_http_requests_total{method="GET",route="/ready",status="200"}' in text


def test_readiness_fails_on_a_database_not_migrated(tmp_path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path))
    with TestClient(app) as c:
        r = c.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["migrations"].startswith("missing")


def test_readiness_waits_for_the_ocr_models(database_url, tmp_path) -> None:
    app = create_app(make_settings(database_url, tmp_path, ocr_preload=True))
    app.state.ocr.start_loading = lambda: None  # the models never finish loading
    app.state.ocr.status = "loading"
    with TestClient(app) as c:
        r = c.get("/ready")
    assert r.status_code == 503 and r.json()["checks"]["ocr"] == "loading"


def test_errors_have_one_shape_and_carry_the_request_id(client) -> None:
    body = assert_error(client.get("/v1/no-such-route"), 404, "not_found")
    assert body["request_id"]
    r = client.post("/v1/auth/signup", json={"email": "nope"}, headers={"X-Request-ID": "abc-1"})
    body = assert_error(r, 422, "validation_error")
    assert body["request_id"] == "abc-1"
    assert {tuple(d["loc"]) for d in body["details"]} >= {("body", "password")}
    # a request id that is not a sane token is replaced, never echoed
    r = client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert len(r.headers["x-request-id"]) == 32


def test_an_unexpected_error_is_a_500_without_a_stack_trace(database_url, tmp_path, caplog) -> None:
    app = create_app(make_settings(database_url, tmp_path))

    def boom() -> None:
        raise ZeroDivisionError("secret internals")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.get("/boom")
    body = assert_error(r, 500, "internal_error")
    assert "secret" not in r.text and "Traceback" not in r.text
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError
    assert body["request_id"]


def test_json_log_lines_carry_the_request_id(capsys) -> None:
    from api.core.context import request_id_var
    from api.core.logging import JsonFormatter

    request_id_var.set("req-42")
    record = logging.LogRecord("novaevo.api", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    record.status = 200
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42" and line["message"] == "hello x"
    assert line["status"] == 200 and line["level"] == "info"


def test_operation_ids_are_unique_and_every_route_is_versioned(app) -> None:
    schema = app.openapi()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    unversioned = {p for p in schema["paths"] if not p.startswith("/v1/")}
    assert unversioned == {"/health", "/ready", "/metrics"}


def test_settings_refuse_a_default_or_short_secret_outside_development() -> None:
    assert Settings(environment="development").secret_key == DEVELOPMENT_SECRET
    for secret in (DEVELOPMENT_SECRET, "short", "changeme"):
        with pytest.raises(ValidationError, match="NOVAEVO_SECRET_KEY"):
            Settings(environment="production", secret_key=secret)
    with pytest.raises(ValidationError, match="NOVAEVO_SECRET_KEY"):
        Settings(environment="test")  # the default secret
    assert Settings(environment="production", secret_key="k" * 40).secret_key == "k" * 40


def test_one_data_directory_shared_with_obdcore(tmp_path, monkeypatch) -> None:
    from obdcore.io.memory import default_path

    monkeypatch.delenv("NOVAEVO_DATA_DIR", raising=False)
    assert Settings().data_dir == default_path().parent
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(tmp_path))
    assert Settings().data_dir == default_path().parent == tmp_path


def test_plain_alembic_runs_the_one_history(tmp_path, monkeypatch) -> None:
    """`alembic upgrade heads` with the repository's alembic.ini (the command's own entry
    point, in this process) migrates every package's tables; `alembic check` finds the
    models and the history in agreement."""
    from alembic.config import main as alembic_main

    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NOVAEVO_DATABASE_URL", raising=False)
    monkeypatch.chdir(ROOT)
    alembic_main(argv=["upgrade", "heads"])
    alembic_main(argv=["check"])  # raises (exits non-zero) on any difference
    tables = set(
        inspect(make_engine(f"sqlite:///{tmp_path / 'novaevo.sqlite3'}")).get_table_names()
    )
    assert {"parts_part", "parts_known_vehicle", "api_user", "api_vehicle"} <= tables


def test_downgrade_to_base_and_up_again(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine)
    downgrade(engine)
    assert not [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    upgrade(engine)
    assert "api_reading" in inspect(engine).get_table_names()
    engine.dispose()


def test_request_ids_are_fresh_in_every_process_and_never_repeat() -> None:
    import os

    from api.core.middleware import new_request_id

    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked worker: its ids are not the parent's next ones
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read), os.close(write)
    assert child != new_request_id() and child not in ids
