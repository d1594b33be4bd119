"""Settings of the parts catalogue, read from ``NOVAEVO_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class PartsSettings(BaseSettings):
    """``NOVAEVO_DATABASE_URL`` (default: SQLite file ``parts.sqlite3`` in ``NOVAEVO_DATA_DIR``,
    itself ``./data`` by default)."""

    model_config = SettingsConfigDict(env_prefix="NOVAEVO_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None

    def resolved_database_url(self) -> str:
        """The URL to connect to; creates the data dir when the default SQLite file is used."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'parts.sqlite3').resolve()}"
