"""The one settings class of the whole product, read from ``NOVAEVO_*`` environment variables.

Every package that needs configuration gets it from here through the composition root
(``novaevo`` CLI, the API's app factory); packages themselves take plain arguments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocr.engines import DEFAULT_ENGINE

# Known only so that development works without configuration; refused anywhere else.
DEVELOPMENT_SECRET = "novaevo-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
_WEAK_SECRETS = {"secret", "changeme", "change-me", "password", "novaevo", DEVELOPMENT_SECRET}


def default_data_dir() -> Path:
    """The data directory when ``NOVAEVO_DATA_DIR`` is not set: the same default as obdcore's
    adapter memory (``~/.local/share/novaevo``), so that every package shares one place."""
    return Path.home() / ".local" / "share" / "novaevo"


class Settings(BaseSettings):
    """Configuration of NovaEvo (API, CLI, parts, OCR...), one ``NOVAEVO_`` variable each.

    ``environment`` other than ``development`` requires a ``secret_key`` of at least 32
    characters that is not a known default (else pydantic's ``ValidationError``).
    """

    model_config = SettingsConfigDict(env_prefix="NOVAEVO_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    secret_key: str = DEVELOPMENT_SECRET
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None

    access_token_ttl_s: int = Field(900, ge=30)
    refresh_token_ttl_s: int = Field(30 * 24 * 3600, ge=60)

    upload_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    upload_max_pixels: int = Field(40_000_000, ge=10_000)
    ocr_engine: str = DEFAULT_ENGINE  # the reader's own default (the fastest, ONNX Runtime)
    ocr_timeout_s: float = Field(30.0, gt=0)
    ocr_preload: bool = True
    session_upload_max_lines: int = Field(500_000, ge=1)

    # argon2id cost (RFC 9106's second recommended option); tests lower it.
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65536, ge=1024)

    rate_login_per_minute: int = Field(10, ge=1)
    rate_signup_per_hour: int = Field(20, ge=1)
    rate_ocr_per_hour: int = Field(30, ge=1)

    live_device: str | None = None  # "sim" or a dongle URL, set by `novaevo serve`
    # The guided test over HTTP: its phase lengths and sample period are the plan's times
    # this factor (tests run it at 0.05); the simulator's adapter timing (fast: no waits).
    guided_time_scale: float = Field(1.0, gt=0, le=1)
    sim_timing: Literal["fast", "realistic"] = "realistic"
    log_level: str = "INFO"
    json_logs: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_secret(self) -> Settings:
        if self.environment == "development":
            return self
        if len(self.secret_key) < MIN_SECRET_LENGTH or self.secret_key.lower() in _WEAK_SECRETS:
            raise ValueError(
                f"NOVAEVO_SECRET_KEY must be a random string of at least {MIN_SECRET_LENGTH} "
                f"characters, not a default, when NOVAEVO_ENVIRONMENT={self.environment}"
            )
        return self

    def resolved_database_url(self) -> str:
        """The URL to connect to: ``NOVAEVO_DATABASE_URL``, else ``novaevo.sqlite3`` in the
        data directory (created on demand)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'novaevo.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests build their own :class:`Settings`)."""
    return Settings()
