"""What worked last time, per device: the next connection to the same car skips the search.

Stored as one small JSON file (``NOVAEVO_DATA_DIR/adapters.json``, else
``~/.local/share/novaevo/adapters.json``). The entry is only a hint: the remembered protocol
is tried first, and a car that does not answer ``0100`` on it (another car on the same
dongle) sends the client on to the usual detection. A missing, unreadable or corrupt file is treated
as empty: memory must never stop a connection.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from obdcore.protocol.session import Remembered

__all__ = ["MAX_ENTRIES", "Memory", "Remembered", "default_path"]

MAX_ENTRIES = 64  # devices remembered; the oldest is forgotten first


def default_path() -> Path:
    """Where the memory lives unless the caller says otherwise."""
    base = os.environ.get("NOVAEVO_DATA_DIR")
    root = Path(base) if base else Path.home() / ".local" / "share" / "novaevo"
    return root / "adapters.json"


class Memory:
    """Remembered set-ups keyed by device URL; ``path=None`` keeps them in memory only."""

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, dict] = self._load()

    def recall(self, device: str) -> Remembered | None:
        """The entry for ``device``, None when there is none or it is unusable."""
        raw = self._entries.get(device)
        try:
            return Remembered(**raw) if isinstance(raw, dict) else None
        except TypeError:
            return None

    def remember(self, device: str, entry: Remembered) -> None:
        """Stores ``entry`` and writes the file atomically (errors are ignored: a read-only
        home must not break a connection)."""
        self._entries.pop(device, None)
        self._entries[device] = asdict(entry)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        self._save()

    def _load(self) -> dict[str, dict]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.path.parent, delete=False, suffix=".tmp"
            ) as handle:
                json.dump(self._entries, handle, indent=1)
            os.replace(handle.name, self.path)
        except OSError:
            pass
