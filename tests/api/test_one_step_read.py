"""The one-step reads (api.deps.Caller: authentication and the owned row in one thread step,
Core rows, autocommit connection) keep every rule of the ORM path: revocation at once on
every worker, API keys, expiry, forged tokens, the owner inside the query."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, event, select

from api.accounts import service as accounts
from api.app import create_app
from tests.api.conftest import PASSWORD, User, assert_error, make_settings


@pytest.fixture
def two_workers(database_url, tmp_path):
    """Two apps on one database, as two ``--workers`` processes would be."""
    apps = [create_app(make_settings(database_url, tmp_path / str(i))) for i in (1, 2)]
    with TestClient(apps[0], raise_server_exceptions=False) as a:
        with TestClient(apps[1], raise_server_exceptions=False) as b:
            yield a, b


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_the_read_matches_the_vehicle_the_owner_wrote(user) -> None:
    created = user.post(
        "/v1/vehicles", json={"vin": "VF1BR0E0FF2345678", "plate": "ab-123-cd", "year": 2015}
    ).json()
    read = user.get(f"/v1/vehicles/{created['id']}")
    assert read.status_code == 200 and read.headers["content-type"] == "application/json"
    assert read.json() == created  # same fields, same JSON (datetimes in UTC, vin_info)
    assert read.json()["created_at"].endswith("Z") or "+00:00" in read.json()["created_at"]


def test_another_owners_or_an_unknown_vehicle_is_a_404(user, other) -> None:
    vehicle_id = user.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    assert_error(other.get(f"/v1/vehicles/{vehicle_id}"), 404, "not_found")
    assert_error(user.get(f"/v1/vehicles/{vehicle_id + 10_000}"), 404, "not_found")
    assert_error(user.get("/v1/vehicles/0"), 422, "validation_error")


def _read_on_the_other_worker(two_workers) -> tuple:
    """An owner signed up on worker a whose vehicle worker b reads: (owner, url, token)."""
    a, b = two_workers
    owner = User(a)
    vehicle_id = owner.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    url, token = f"/v1/vehicles/{vehicle_id}", owner.tokens["access_token"]
    assert b.get(url, headers=_bearer(token)).status_code == 200
    return owner, url, token


def test_a_log_out_on_one_worker_revokes_the_read_on_the_other(two_workers) -> None:
    b = two_workers[1]
    owner, url, token = _read_on_the_other_worker(two_workers)
    assert owner.post("/v1/auth/logout").status_code == 204
    assert_error(b.get(url, headers=_bearer(token)), 401, "token_revoked")


def test_a_password_change_revokes_the_read_on_the_other_worker(two_workers) -> None:
    b = two_workers[1]
    owner, url, token = _read_on_the_other_worker(two_workers)
    body = {"current_password": PASSWORD, "new_password": "another long password"}
    fresh = owner.post("/v1/auth/password", json=body).json()["access_token"]
    assert_error(b.get(url, headers=_bearer(token)), 401, "token_revoked")
    assert b.get(url, headers=_bearer(fresh)).status_code == 200


def test_an_api_key_reads_until_revoked_on_another_worker(two_workers) -> None:
    a, b = two_workers
    owner = User(a)
    vehicle_id = owner.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    created = owner.post("/v1/api-keys", json={"name": "phone"}).json()
    for headers in ({"X-API-Key": created["key"]}, _bearer(created["key"])):
        assert b.get(f"/v1/vehicles/{vehicle_id}", headers=headers).json()["name"] == "mine"
    assert owner.delete(f"/v1/api-keys/{created['id']}").status_code == 200
    r = b.get(f"/v1/vehicles/{vehicle_id}", headers={"X-API-Key": created["key"]})
    assert_error(r, 401, "unauthorized")


def test_a_token_checked_before_still_expires_and_a_forged_one_is_refused(
    client, user, monkeypatch
) -> None:
    vehicle_id = user.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    token = user.tokens["access_token"]
    assert user.get(f"/v1/vehicles/{vehicle_id}").status_code == 200  # its signature known now
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    r = client.get(f"/v1/vehicles/{vehicle_id}", headers=_bearer(forged))
    assert_error(r, 401, "unauthorized")
    assert_error(client.get(f"/v1/vehicles/{vehicle_id}"), 401, "unauthorized")
    later = time.time() + client.app.state.settings.access_token_ttl_s + 1
    monkeypatch.setattr(accounts.time, "time", lambda: later)
    assert_error(user.get(f"/v1/vehicles/{vehicle_id}"), 401, "token_expired")


def test_a_read_gives_its_connection_back(client, user) -> None:
    vehicle_id = user.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    pool = client.app.state.engine.pool
    for _ in range(5):
        assert user.get(f"/v1/vehicles/{vehicle_id}").status_code == 200
        assert_error(user.get(f"/v1/vehicles/{vehicle_id + 10_000}"), 404, "not_found")
    assert pool.checkedout() == 0


def test_a_read_is_one_statement_and_a_miss_tells_401_from_404(client, user) -> None:
    vehicle_id = user.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = client.app.state.read_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert user.get(f"/v1/vehicles/{vehicle_id}").status_code == 200
        assert len(statements) == 1, statements  # owner and revocation in its WHERE
        assert_error(user.get(f"/v1/vehicles/{vehicle_id + 10_000}"), 404, "not_found")
        assert len(statements) == 3  # nothing found: is the caller live? yes -> 404
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_an_owned_query_refuses_parameter_names_of_the_caller() -> None:
    from api.vehicles.models import Vehicle

    stmt = select(Vehicle.__table__).where(Vehicle.owner_id == bindparam("user_id"))
    with pytest.raises(ValueError, match="user_id"):
        accounts.OwnedQuery(stmt, Vehicle.owner_id)
