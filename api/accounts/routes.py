"""``/v1/auth`` and ``/v1/api-keys``: accounts, tokens, per-device keys."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.accounts import schemas, service
from api.core.ratelimit import enforce
from api.deps import (
    ClientAddress,
    CurrentUser,
    IdPath,
    LimiterDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)

router = APIRouter(tags=["accounts"])


@router.post("/auth/signup", status_code=status.HTTP_201_CREATED, response_model=schemas.UserOut)
def sign_up(
    body: schemas.SignUp,
    session: SessionDep,
    settings: SettingsDep,
    address: ClientAddress,
    limiter: LimiterDep,
) -> object:
    """Create an account (rate-limited per address)."""
    enforce(limiter, "signup", [f"ip:{address}"], settings.rate_signup_per_hour, 3600)
    return service.sign_up(session, settings, body.email, body.password)


@router.post("/auth/login", response_model=schemas.TokenPair)
def log_in(
    body: schemas.LogIn,
    session: SessionDep,
    settings: SettingsDep,
    address: ClientAddress,
    limiter: LimiterDep,
) -> object:
    """Exchange e-mail + password for an access and a refresh token (rate-limited per
    address and per account)."""
    enforce(
        limiter,
        "login",
        [f"ip:{address}", f"email:{body.email.strip().lower()}"],
        settings.rate_login_per_minute,
        60,
    )
    return service.log_in(session, settings, body.email, body.password)


@router.post("/auth/refresh", response_model=schemas.TokenPair)
def refresh_tokens(
    body: schemas.RefreshRequest, session: SessionDep, settings: SettingsDep
) -> object:
    """Rotate a refresh token. Reusing a spent one revokes every token of that log-in."""
    return service.refresh(session, settings, body.refresh_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def log_out(principal: PrincipalDep, session: SessionDep) -> Response:
    """Revoke the current log-in (its access and refresh tokens)."""
    service.log_out(session, principal.family_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/password", response_model=schemas.TokenPair)
def change_password(
    body: schemas.PasswordChange, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> object:
    """Change the password; every other log-in is revoked, a new token pair is returned."""
    return service.change_password(
        session, settings, user, body.current_password, body.new_password
    )


@router.get("/auth/me", response_model=schemas.UserOut)
def read_me(user: CurrentUser) -> object:
    """The caller's account."""
    return user


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, response_model=schemas.ApiKeyCreated)
def create_api_key(body: schemas.ApiKeyCreate, user: CurrentUser, session: SessionDep) -> object:
    """A new API key for one device (shown once), optionally tied to a vehicle."""
    key, secret = service.create_api_key(session, user, body.name, body.vehicle_id)
    return schemas.ApiKeyCreated(**schemas.ApiKeyOut.model_validate(key).model_dump(), key=secret)


@router.get("/api-keys", response_model=list[schemas.ApiKeyOut])
def list_api_keys(user: CurrentUser, session: SessionDep) -> object:
    """The caller's API keys (revoked ones included)."""
    from sqlalchemy import select

    from api.accounts.models import ApiKey

    return session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id))


@router.get("/api-keys/{key_id}", response_model=schemas.ApiKeyOut)
def read_api_key(key_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """One of the caller's API keys."""
    return service.owned_api_key(session, user, key_id)


@router.delete("/api-keys/{key_id}", response_model=schemas.ApiKeyOut)
def revoke_api_key(key_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Revoke one of the caller's API keys (it stops working at once)."""
    return service.revoke_api_key(session, user, key_id)
