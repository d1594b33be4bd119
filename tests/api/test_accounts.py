"""Accounts: sign-up, log-in, rotation with reuse detection, log-out, password change,
API keys, rate limits (database and Redis)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import PASSWORD, User, assert_error, make_settings


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_sign_up_stores_an_argon2_hash_and_refuses_a_taken_email(client, app) -> None:
    u = User(client)
    r = client.post("/v1/auth/signup", json={"email": u.email.upper(), "password": PASSWORD})
    assert_error(r, 409, "email_taken")
    from api.accounts.models import User as UserRow

    with app.state.sessions() as s:
        stored = s.get(UserRow, u.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    "body",
    [{"email": "a@b.co", "password": "short"}, {"email": "not-an-email", "password": "x" * 12}],
)
def test_sign_up_refuses_bad_input(client, body) -> None:
    assert_error(client.post("/v1/auth/signup", json=body), 422, "validation_error")


def test_log_in_with_a_wrong_password_or_unknown_email(client, user) -> None:
    for email, password in ((user.email, "wrong password"), ("nobody@example.com", PASSWORD)):
        r = client.post("/v1/auth/login", json={"email": email, "password": password})
        assert_error(r, 401, "bad_credentials")


def test_me_needs_a_valid_token(client, user) -> None:
    assert user.get("/v1/auth/me").json()["email"] == user.email
    assert_error(client.get("/v1/auth/me"), 401, "unauthorized")
    assert_error(client.get("/v1/auth/me", headers=_bearer("garbage")), 401, "unauthorized")
    forged = user.tokens["access_token"][:-4] + "AAAA"
    assert_error(client.get("/v1/auth/me", headers=_bearer(forged)), 401, "unauthorized")


def test_refresh_rotates_and_a_reused_token_revokes_the_family(client, user) -> None:
    first = user.tokens["refresh_token"]
    r = client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first
    assert client.get("/v1/auth/me", headers=_bearer(second["access_token"])).status_code == 200
    # the first token again: stolen, so the whole log-in dies (the new tokens too)
    r = client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert_error(r, 401, "refresh_token_reused")
    assert_error(
        client.get("/v1/auth/me", headers=_bearer(second["access_token"])), 401, "token_revoked"
    )
    r = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_error(r, 401, "token_revoked")
    # another log-in of the same user is not affected
    other_login = user.log_in()
    assert (
        client.get("/v1/auth/me", headers=_bearer(other_login["access_token"])).status_code == 200
    )


def test_unknown_refresh_token(client) -> None:
    r = client.post("/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert_error(r, 401, "unauthorized")


def test_log_out_revokes_access_and_refresh_tokens(client, user) -> None:
    assert user.post("/v1/auth/logout").status_code == 204
    assert_error(user.get("/v1/auth/me"), 401, "token_revoked")
    r = client.post("/v1/auth/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert_error(r, 401, "token_revoked")


def test_password_change_revokes_every_login(client, user) -> None:
    second = user.log_in()
    body = {"current_password": "wrong one", "new_password": "a brand new password"}
    assert_error(user.post("/v1/auth/password", json=body), 401, "bad_credentials")
    body["current_password"] = PASSWORD
    r = user.post("/v1/auth/password", json=body)
    assert r.status_code == 200, r.text
    for old in (user.tokens, second):
        assert_error(
            client.get("/v1/auth/me", headers=_bearer(old["access_token"])), 401, "token_revoked"
        )
    assert client.get("/v1/auth/me", headers=_bearer(r.json()["access_token"])).status_code == 200
    r = client.post("/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert_error(r, 401, "bad_credentials")
    r = client.post(
        "/v1/auth/login", json={"email": user.email, "password": "a brand new password"}
    )
    assert r.status_code == 200


def test_api_keys_authenticate_until_revoked(client, user, other) -> None:
    r = user.post("/v1/api-keys", json={"name": "Pixel 8"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["key"].startswith("nve_") and created["prefix"] == created["key"][:10]
    key_header = {"X-API-Key": created["key"]}
    assert client.get("/v1/auth/me", headers=key_header).json()["id"] == user.id
    assert client.get("/v1/auth/me", headers=_bearer(created["key"])).json()["id"] == user.id
    listed = user.get("/v1/api-keys").json()
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    assert_error(other.delete(f"/v1/api-keys/{created['id']}"), 404, "not_found")
    assert client.get("/v1/auth/me", headers=key_header).status_code == 200
    assert user.delete(f"/v1/api-keys/{created['id']}").json()["revoked_at"]
    assert_error(client.get("/v1/auth/me", headers=key_header), 401, "unauthorized")
    # an API key cannot log out (it is not a log-in)
    key2 = user.post("/v1/api-keys", json={"name": "tablet"}).json()["key"]
    assert_error(client.post("/v1/auth/logout", headers={"X-API-Key": key2}), 400, "not_a_login")


def test_an_api_key_for_another_users_vehicle_is_refused(user, other) -> None:
    vehicle = other.post("/v1/vehicles", json={"name": "theirs"}).json()
    r = user.post("/v1/api-keys", json={"name": "x", "vehicle_id": vehicle["id"]})
    assert_error(r, 404, "not_found")


def _limited_client(database_url, tmp_path, **limits) -> TestClient:
    settings = make_settings(database_url, tmp_path, **limits)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(params=["database", "redis"])
def limiter_mode(request) -> str | None:
    """Rate limits counted in the database, or in the real Redis server."""
    if request.param == "database":
        return None
    import redis

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).ping()
    return url


def test_log_in_is_rate_limited_per_account_and_address(
    database_url, tmp_path, limiter_mode
) -> None:
    with _limited_client(
        database_url, tmp_path, rate_login_per_minute=3, redis_url=limiter_mode
    ) as c:
        c.app.dependency_overrides[_client_address()] = _fresh_address()
        u = User(c)  # one log-in spent
        bad = {"email": u.email, "password": "wrong password"}
        assert [c.post("/v1/auth/login", json=bad).status_code for _ in range(2)] == [401, 401]
        body = assert_error(c.post("/v1/auth/login", json=bad), 429, "rate_limited")
        assert body["details"]["retry_after_s"] >= 1
        # even the right password is refused while the window lasts
        r = c.post("/v1/auth/login", json={"email": u.email, "password": PASSWORD})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1


def test_sign_up_is_rate_limited_per_address(database_url, tmp_path, limiter_mode) -> None:
    with _limited_client(
        database_url, tmp_path, rate_signup_per_hour=2, redis_url=limiter_mode
    ) as c:
        c.app.dependency_overrides[_client_address()] = _fresh_address()
        codes = [
            c.post(
                "/v1/auth/signup",
                json={"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD},
            ).status_code
            for _ in range(3)
        ]
    assert codes == [201, 201, 429]


def _fresh_address():
    # The counters are shared by every app on one database (that is the point): each test
    # comes from an address of its own.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return lambda: address


def _client_address():
    from api.deps import client_address

    return client_address
