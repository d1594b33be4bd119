"""Typed dependencies shared by every domain's routes.

* ``SessionDep``: an ORM session for this request (committed by the service, always closed).
* ``CurrentUser``: the authenticated :class:`api.accounts.models.User` (Bearer access token
  or ``X-API-Key``); 401 otherwise.
* ``CurrentApiKey``: the API key when the caller used one (``None`` for a token).
* ``CallerDep``: for the hot reads, the caller's checked credentials and :meth:`Caller.read`,
  which runs the read and the revocation check in ONE thread step and one statement.
* ``SettingsDep``: the app's :class:`api.settings.Settings`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.accounts import service as accounts
from api.accounts.models import ApiKey, User
from api.settings import Settings

T = TypeVar("T")

bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /v1/auth/login")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A per-device API key"
)


# Trivial dependencies are ``async``: FastAPI runs sync ones in the thread pool, one hop
# each, which costs more than they do.
async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request; rolled back if the route did not commit.

    ``async`` because opening a session does no I/O (its connection is checked out by the
    first query, inside a thread step). Closing does I/O only when a transaction is still
    open (the pool's rollback), and only then goes to a thread: a route that ended its
    transaction itself costs no extra thread hop. That close never waits for a token of
    the shared thread pool (a limiter of its own, as FastAPI does for the exit of sync
    dependencies): a request holding a connection must be able to give it back while
    every pooled thread waits for a connection (200 concurrent bookings deadlocked on it).
    """
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
        else:
            session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]


class Principal:
    """Who is calling: the user, and the API key used (``None`` for an access token)."""

    __slots__ = ("user", "api_key", "family_id")

    def __init__(self, user: User, api_key: ApiKey | None, family_id: str | None = None) -> None:
        self.user, self.api_key, self.family_id = user, api_key, family_id


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Authenticate the caller (raises a 401 ApiError), then hand the session's connection
    back to the pool in the same thread step.

    Why: FastAPI runs each sync dependency and the route in *separate* threadpool steps. A
    session that keeps its connection from the authentication step to the route step
    deadlocks under load: every thread waits for a pooled connection while the connection
    holders wait for a thread (seen with 100 concurrent bookings on a pool of 15). Ending
    the authentication transaction here (expire_on_commit is off, so the user stays
    loaded) puts its connection back before the route's step asks for one, and the event
    loop never waits on the database (a connection the route leaves open is closed by
    :func:`get_db` without waiting for a pool thread).
    """
    principal = accounts.authenticate(
        session, settings, bearer.credentials if bearer else None, api_key
    )
    session.commit()
    return principal


async def get_current_user(principal: Annotated[Principal, Depends(get_principal)]) -> User:
    """The authenticated user (loaded by :func:`get_principal`, no I/O here)."""
    return principal.user


PrincipalDep = Annotated[Principal, Depends(get_principal)]
CurrentUser = Annotated[User, Depends(get_current_user)]


class Caller:
    """A request's credentials, checked for form and signature but not yet against the
    database: :meth:`read` does that and the read itself in one thread step.

    Why: FastAPI runs a sync dependency, the route and the response's validation as three
    thread-pool steps, and an ORM session and two statements cost more than the read
    itself; together they were most of an authenticated read's CPU. Here the read is one
    thread step and one statement (:class:`api.accounts.service.OwnedQuery`: the owner
    and the revocation check, by the same rules as
    :func:`api.accounts.service.authenticate`, in the read's own WHERE), on a connection of
    :func:`api.database.make_read_engine`, with Core rows, at most ``limiter``'s tokens
    at once (the read pool's size: a read never waits for a connection).
    """

    __slots__ = ("credentials", "engine", "limiter")

    def __init__(
        self, credentials: accounts.Credentials, engine: Engine, limiter: CapacityLimiter
    ) -> None:
        self.credentials, self.engine, self.limiter = credentials, engine, limiter

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, credentials, *args)`` in one thread step; ``fn`` reads with an
        :class:`api.accounts.service.OwnedQuery` (the revocation check and the owner in its
        statement). The connection goes back to the pool before the step ends."""
        return await anyio.to_thread.run_sync(self._read, fn, args, limiter=self.limiter)

    def _read(self, fn: Callable[..., T], args: tuple) -> T:
        with self.engine.connect() as conn:
            return fn(conn, self.credentials, *args)


async def get_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    """The caller's credentials (401 when absent, malformed or expired; no I/O: the same
    security schemes as :func:`get_principal` in the OpenAPI schema)."""
    state = request.app.state
    creds = accounts.credentials(state.settings, bearer.credentials if bearer else None, api_key)
    return Caller(creds, state.read_engine, state.read_limiter)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def client_address(request: Request) -> str:
    """The caller's address, for per-address rate limits."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


async def get_limiter(request: Request):  # noqa: ANN201 - api.core.ratelimit.RateLimiter
    """The app's rate limiter (database or Redis)."""
    return request.app.state.limiter


LimiterDep = Annotated[object, Depends(get_limiter)]
# Object ids in paths: bounded so that no database ever sees an out-of-range integer.
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
