"""Accounts: sign-up, log-in, token rotation with reuse detection, API keys, authentication.

Access tokens are short-lived JWTs (HS256) naming the user, the log-in (token family) and
the user's token version; every request checks that the family is not revoked and the
version is current, so log-out and password changes take effect at once on every worker.
Refresh tokens and API keys are random strings kept only as SHA-256 digests.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts.models import ApiKey, RefreshToken, TokenFamily, User
from api.core.errors import ApiError, not_found
from api.settings import Settings

API_KEY_PREFIX = "nve_"
_ALGORITHM = "HS256"
_hashers: dict[tuple[int, int], PasswordHasher] = {}
# Verified against when the e-mail is unknown, so that both cases take the same time.
_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def now() -> dt.datetime:
    """The current time, UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back even for timezone=True columns.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (refresh token, API key)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hasher(settings: Settings) -> PasswordHasher:
    """The argon2id hasher with the configured cost."""
    key = (settings.argon2_time_cost, settings.argon2_memory_kib)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
        _DUMMY_HASHES[key] = _hashers[key].hash(secrets.token_hex(16))
    return _hashers[key]


def _unauthorized(message: str, code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message)


def sign_up(session: Session, settings: Settings, email: str, password: str) -> User:
    """Create an account. Raises a 409 ApiError when the e-mail is taken."""
    user = User(email=email, password_hash=hasher(settings).hash(password), token_version=0)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "email_taken", "an account with this e-mail already exists") from None
    return user


def log_in(session: Session, settings: Settings, email: str, password: str) -> dict:
    """Check the credentials and open a new token family. Raises a 401 ApiError."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    ph = hasher(settings)
    stored = user.password_hash if user else _DUMMY_HASHES[(ph.time_cost, ph.memory_cost)]
    try:
        ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise _unauthorized("wrong e-mail or password", "bad_credentials") from None
    if user is None:  # the dummy hash never verifies, but be explicit
        raise _unauthorized("wrong e-mail or password", "bad_credentials")
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    family = TokenFamily(id=secrets.token_hex(16), user_id=user.id, created_at=now())
    session.add(family)
    session.flush()  # the family row first: its refresh token refers to it
    pair = _issue(session, settings, user, family.id)
    session.commit()
    return pair


def _issue(session: Session, settings: Settings, user: User, family_id: str) -> dict:
    refresh = secrets.token_urlsafe(32)
    expires = now() + dt.timedelta(seconds=settings.refresh_token_ttl_s)
    session.add(RefreshToken(token_hash=digest(refresh), family_id=family_id, expires_at=expires))
    claims = {
        "sub": str(user.id),
        "fam": family_id,
        "ver": user.token_version,
        "typ": "access",
        "iat": now(),
        "exp": now() + dt.timedelta(seconds=settings.access_token_ttl_s),
    }
    access = jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": settings.access_token_ttl_s,
    }


def refresh(session: Session, settings: Settings, token: str) -> dict:
    """Rotate a refresh token: the old one is spent, a new pair is returned.

    Presenting a spent token again means it was stolen (or replayed): the whole family
    is revoked, so both the thief and the user must log in again. Raises a 401 ApiError.
    """
    row = session.get(RefreshToken, digest(token))
    if row is None:
        raise _unauthorized("unknown refresh token")
    family = session.get_one(TokenFamily, row.family_id)
    if family.revoked_at is not None:
        raise _unauthorized("this log-in was revoked", "token_revoked")
    if _aware(row.expires_at) <= now():
        raise _unauthorized("refresh token expired", "token_expired")
    # Conditional update: of two concurrent rotations of one token, exactly one wins.
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == row.token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now())
    ).rowcount
    if spent != 1:
        _revoke_family(session, family, "refresh_token_reuse")
        session.commit()
        raise _unauthorized(
            "refresh token reused: every token of this log-in is revoked", "refresh_token_reused"
        )
    pair = _issue(session, settings, session.get_one(User, family.user_id), family.id)
    session.commit()
    return pair


def _revoke_family(session: Session, family: TokenFamily, reason: str) -> None:
    session.execute(
        update(TokenFamily)
        .where(TokenFamily.id == family.id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)
    )


def log_out(session: Session, family_id: str | None) -> None:
    """Revoke the caller's log-in (its access and refresh tokens)."""
    if family_id is None:
        raise ApiError(400, "not_a_login", "log-out needs an access token, not an API key")
    _revoke_family(session, session.get_one(TokenFamily, family_id), "logout")
    session.commit()


def change_password(
    session: Session, settings: Settings, user: User, current: str, new: str
) -> dict:
    """Set a new password, revoke every log-in of the user, open a new one."""
    try:
        hasher(settings).verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise _unauthorized("the current password is wrong", "bad_credentials") from None
    user.password_hash = hasher(settings).hash(new)
    user.token_version += 1
    session.execute(
        update(TokenFamily)
        .where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason="password_change")
    )
    family = TokenFamily(id=secrets.token_hex(16), user_id=user.id, created_at=now())
    session.add(family)
    session.flush()  # the family row first: its refresh token refers to it
    pair = _issue(session, settings, user, family.id)
    session.commit()
    return pair


class Credentials:
    """What a request presents, checked for form and signature (no database yet): a
    verified access token's user, log-in and version, or an API key's digest."""

    __slots__ = ("user_id", "family_id", "version", "key_hash")

    def __init__(
        self,
        user_id: int | None = None,
        family_id: str | None = None,
        version: int | None = None,
        key_hash: str | None = None,
    ) -> None:
        self.user_id, self.family_id, self.version = user_id, family_id, version
        self.key_hash = key_hash


def credentials(settings: Settings, bearer: str | None, api_key: str | None) -> Credentials:
    """The caller's credentials (raises a 401 ApiError when absent, malformed, badly signed
    or expired). Whether they are still live is :func:`live_user_id`'s question."""
    if api_key or (bearer and bearer.startswith(API_KEY_PREFIX)):
        return Credentials(key_hash=digest(api_key or bearer or ""))
    if not bearer:
        raise ApiError(401, "unauthorized", "authentication required (Bearer token or X-API-Key)")
    try:
        claims = _verified_claims(settings.secret_key, bearer)
    except jwt.ExpiredSignatureError:
        raise _unauthorized("access token expired", "token_expired") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("invalid access token") from None
    if claims["exp"] <= time.time():  # a token verified earlier may have expired since
        raise _unauthorized("access token expired", "token_expired")
    return Credentials(int(claims["sub"]), claims["fam"], claims["ver"])


@functools.lru_cache(maxsize=4096)
def _verified_claims(secret: str, token: str) -> dict:
    # The signature check of a token already seen is remembered (PyJWT spends ~0.1 ms on
    # it); only the signature: expiry is checked on every use and revocation is always
    # the database's answer. A token that fails raises, and is not remembered.
    return jwt.decode(
        token,
        secret,
        algorithms=[_ALGORITHM],
        options={"require": ["exp", "sub", "fam", "ver"]},
    )


# The revocation rules, run on every request (log-out and password changes take effect at
# once on every worker): the log-in must be live and the user's version current; an API
# key must not be revoked. Statements built once: building one costs more than running it
# (SQLAlchemy finds the compiled form by the statement's shape; values come as parameters).
_LIVE_LOGIN_WHERE = (
    User.id == bindparam("user_id"),
    TokenFamily.id == bindparam("family_id"),
    TokenFamily.revoked_at.is_(None),
    User.token_version == bindparam("version"),
)
_LIVE_LOGIN = (
    select(User).join(TokenFamily, TokenFamily.user_id == User.id).where(*_LIVE_LOGIN_WHERE)
)
_LIVE_LOGIN_ID = (
    select(User.id).join(TokenFamily, TokenFamily.user_id == User.id).where(*_LIVE_LOGIN_WHERE)
)
_LIVE_API_KEY_WHERE = (ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
_LIVE_API_KEY = (
    select(User, ApiKey).join(ApiKey, ApiKey.user_id == User.id).where(*_LIVE_API_KEY_WHERE)
)
_LIVE_API_KEY_USER_ID = select(ApiKey.user_id).where(*_LIVE_API_KEY_WHERE)


def _login_params(creds: Credentials) -> dict:
    return {"user_id": creds.user_id, "family_id": creds.family_id, "version": creds.version}


def authenticate(session: Session, settings: Settings, bearer: str | None, api_key: str | None):  # noqa: ANN201 - api.deps.Principal (import cycle)
    """The caller behind a Bearer access token or an ``X-API-Key``, with its user (and API
    key) loaded (raises a 401 ApiError)."""
    from api.deps import Principal

    creds = credentials(settings, bearer, api_key)
    if creds.key_hash is not None:
        row = session.execute(_LIVE_API_KEY, {"key_hash": creds.key_hash}).first()
        if row is None:
            raise _unauthorized("unknown or revoked API key")
        return Principal(row[0], row[1])
    user = session.scalars(_LIVE_LOGIN, _login_params(creds)).first()
    if user is None:
        raise _unauthorized("this log-in was revoked", "token_revoked")
    return Principal(user, None, creds.family_id)


class OwnedQuery:
    """A read of rows the caller owns, with the caller's revocation check in the SAME
    statement (one round trip): ``stmt`` filtered on ``owner`` being the live caller.

    Built once (from a select and its owner column) in two forms, one per kind of
    credentials. :meth:`row` tells the two misses apart with a second query only when
    nothing was found: not live -> 401, live but not theirs or absent -> ``missing`` (a 404).
    """

    _CALLER_PARAMS = frozenset({"user_id", "family_id", "version", "key_hash"})

    def __init__(self, stmt: Select, owner: ColumnElement) -> None:
        clash = self._CALLER_PARAMS & set(stmt.compile().params)
        if clash:
            raise ValueError(f"bound parameter names reserved for the caller: {sorted(clash)}")
        self._by_login = stmt.where(owner == bindparam("user_id"), _LIVE_LOGIN_ID.exists())
        self._by_api_key = stmt.where(owner == _LIVE_API_KEY_USER_ID.scalar_subquery())

    def row(self, conn: Connection, creds: Credentials, missing: ApiError, **params: Any) -> Row:
        """The first row for the live caller; raises a 401 ApiError when the caller is not
        live, ``missing`` when they are but no row of theirs matches."""
        if creds.key_hash is not None:
            stmt, params = self._by_api_key, {**params, "key_hash": creds.key_hash}
        else:
            stmt, params = self._by_login, {**params, **_login_params(creds)}
        found = conn.execute(stmt, params).first()
        if found is None:
            live_user_id(conn, creds)
            raise missing
        return found


def live_user_id(conn: Connection, creds: Credentials) -> int:
    """The id of the user behind ``creds`` if they are still live (the same rules as
    :func:`authenticate`, one Core query, no ORM objects; raises a 401 ApiError)."""
    if creds.key_hash is not None:
        user_id = conn.execute(_LIVE_API_KEY_USER_ID, {"key_hash": creds.key_hash}).scalar()
        if user_id is None:
            raise _unauthorized("unknown or revoked API key")
        return user_id
    user_id = conn.execute(_LIVE_LOGIN_ID, _login_params(creds)).scalar()
    if user_id is None:
        raise _unauthorized("this log-in was revoked", "token_revoked")
    return user_id


def create_api_key(session: Session, user: User, name: str, vehicle_id: int | None) -> tuple:
    """A new key for one device; returns ``(ApiKey, secret)``. 404 for another's vehicle."""
    from api.vehicles.models import Vehicle

    if (
        vehicle_id is not None
        and session.scalars(
            select(Vehicle.id).where(Vehicle.id == vehicle_id, Vehicle.owner_id == user.id)
        ).first()
        is None
    ):
        raise not_found("vehicle", vehicle_id)
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        user_id=user.id,
        vehicle_id=vehicle_id,
        name=name,
        prefix=secret[:10],
        key_hash=digest(secret),
        created_at=now(),
    )
    session.add(key)
    session.commit()
    return key, secret


def owned_api_key(session: Session, user: User, key_id: int) -> ApiKey:
    """The caller's key ``key_id`` (404 when it is not theirs)."""
    key = session.scalars(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user.id)
    ).first()
    if key is None:
        raise not_found("API key", key_id)
    return key


def revoke_api_key(session: Session, user: User, key_id: int) -> ApiKey:
    """Revoke the caller's key (idempotent)."""
    key = owned_api_key(session, user, key_id)
    if key.revoked_at is None:
        key.revoked_at = now()
        session.commit()
    return key
