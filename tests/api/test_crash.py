"""A session upload is atomic even when the server dies in the middle of it.

A real server (``novaevo serve``, a separate process) gets a large upload; as soon as it
is inside the upload's transaction (SQLite: it holds the write lock; PostgreSQL: its
COPY into api_reading is running) the process is killed with SIGKILL. The database then
holds nothing of that upload, and a retry with the same Idempotency-Key, on a restarted
server, stores it exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text

from api.database import make_engine
from tests.api.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ROWS = 100_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m novaevo serve`` on ``database_url`` in a child process."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "NOVAEVO_DATABASE_URL": database_url,
            "NOVAEVO_DATA_DIR": str(data_dir),
            "NOVAEVO_ENVIRONMENT": "test",
            "NOVAEVO_SECRET_KEY": "crash-test-secret-" + "y" * 32,
            "NOVAEVO_OCR_PRELOAD": "false",
            "NOVAEVO_ARGON2_TIME_COST": "1",
            "NOVAEVO_ARGON2_MEMORY_KIB": "1024",
            "NOVAEVO_LOG_LEVEL": "WARNING",
            "NOVAEVO_RATE_SIGNUP_PER_HOUR": "1000",
            "NOVAEVO_RATE_LOGIN_PER_MINUTE": "1000",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "novaevo", "serve", "--port", str(self.port), "--no-migrate"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def _login(url: str) -> dict:
    email = f"crash{os.getpid()}{time.monotonic_ns()}@example.com"
    httpx.post(url + "/v1/auth/signup", json={"email": email, "password": PASSWORD})
    token = httpx.post(url + "/v1/auth/login", json={"email": email, "password": PASSWORD}).json()[
        "access_token"
    ]
    return {"Authorization": f"Bearer {token}"}


def _in_upload_transaction(database_url: str) -> bool:
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(database_url).database, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")  # fails while the server holds the write lock
            conn.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                        "AND state = 'active' AND query ILIKE 'COPY api_reading%'"
                    )
                ).scalar()
            )
    finally:
        engine.dispose()


def _stored(database_url: str, session_id: int) -> tuple[int, int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            uploads = conn.execute(
                text("SELECT count(*) FROM api_session_upload WHERE session_id = :s"),
                {"s": session_id},
            ).scalar()
            readings = conn.execute(
                text("SELECT count(*) FROM api_reading WHERE session_id = :s"), {"s": session_id}
            ).scalar()
        return uploads, readings
    finally:
        engine.dispose()


@pytest.mark.slow
def test_killing_the_server_mid_upload_leaves_no_partial_rows(database_url, tmp_path) -> None:
    server = Server(database_url, tmp_path)
    try:
        auth = _login(server.url)
        vehicle = httpx.post(server.url + "/v1/vehicles", json={}, headers=auth).json()
        drive = httpx.post(
            f"{server.url}/v1/vehicles/{vehicle['id']}/sessions", json={}, headers=auth
        ).json()
        body = {"readings": [[i * 0.01, "RPM", 800.0 + i % 300, "rpm"] for i in range(ROWS)]}
        headers = {**auth, "Idempotency-Key": "big-chunk"}
        upload_url = f"{server.url}/v1/sessions/{drive['id']}/uploads"
        sender = threading.Thread(
            target=lambda: _swallow(
                lambda: httpx.post(upload_url, json=body, headers=headers, timeout=120)
            ),
            daemon=True,
        )
        sender.start()
        deadline = time.monotonic() + 60
        while not _in_upload_transaction(database_url):
            assert time.monotonic() < deadline, "the upload never started writing"
            time.sleep(0.005)
        server.kill()
        sender.join(30)
    finally:
        if server.process.poll() is None:
            server.kill()
    assert _stored(database_url, drive["id"]) == (0, 0)

    # the app retries with the same key on a restarted server: stored exactly once
    server = Server(database_url, tmp_path)
    try:
        upload_url = f"{server.url}/v1/sessions/{drive['id']}/uploads"
        first = httpx.post(upload_url, json=body, headers=headers, timeout=120)
        again = httpx.post(upload_url, json=body, headers=headers, timeout=120)
    finally:
        server.kill()
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _stored(database_url, drive["id"]) == (1, ROWS)


def _swallow(call) -> None:  # noqa: ANN001 - the request dies with the server
    try:
        call()
    except httpx.HTTPError:
        pass
