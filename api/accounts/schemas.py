"""Request and response bodies of the accounts routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

# ASCII classes only: the same pattern must mean the same thing to JSON Schema (ECMA 262)
# clients and to Python (whose \s also matches Unicode spaces).
_EMAIL = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}$"


class SignUp(BaseModel):
    """A new account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "driver@example.com", "password": "correct horse battery"}]
        }
    )

    email: str = Field(pattern=_EMAIL, max_length=254)
    password: str = Field(min_length=10, max_length=256)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class LogIn(BaseModel):
    """Credentials."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "driver@example.com", "password": "correct horse battery"}]
        }
    )

    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class RefreshRequest(BaseModel):
    """A refresh token to rotate."""

    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    """The current password and the new one."""

    current_password: str = Field(max_length=256)
    new_password: str = Field(min_length=10, max_length=256)


class TokenPair(BaseModel):
    """An access token (short-lived, Bearer) and a refresh token (single use)."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the access token expires")


class UserOut(BaseModel):
    """An account as its owner sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    created_at: dt.datetime


class ApiKeyCreate(BaseModel):
    """A new per-device API key, optionally tied to one of the caller's vehicles."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Pixel 8", "vehicle_id": None}]}
    )

    name: str = Field(min_length=1, max_length=80)
    vehicle_id: int | None = Field(None, ge=1, le=2**31 - 1)


class ApiKeyOut(BaseModel):
    """An API key (the secret itself is shown only once, at creation)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    vehicle_id: int | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    """A new key, with its secret (store it now: it cannot be read again)."""

    key: str
