"""The app's one OCR reader, loaded in the background at start-up (readiness waits for it)
and run in a bounded thread pool with a time budget, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api.core.errors import ApiError

log = logging.getLogger("novaevo.ocr")


class OcrService:
    """Holds an ``ocr.CardReader``; ``status`` is ``loading``, ``ready`` or ``failed``."""

    def __init__(self, engine: str, timeout_s: float) -> None:
        self.engine_name, self.timeout_s = engine, timeout_s
        self.status, self.error = "not_loaded", None
        self._reader: Any = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # made by the first read

    def start_loading(self) -> None:
        """Load the models in a background thread (returns at once)."""
        self.status = "loading"
        threading.Thread(target=self._load, name="ocr-load", daemon=True).start()

    def _load(self) -> Any:
        with self._lock:
            if self._reader is None:
                try:
                    from ocr import CardReader

                    self._reader = CardReader(self.engine_name)
                    self.status = "ready"
                except Exception as exc:  # noqa: BLE001 - reported by readiness
                    self.status, self.error = "failed", str(exc)
                    log.error("OCR models failed to load", extra={"error": str(exc)})
            return self._reader

    async def read(self, data: bytes) -> Any:
        """Read a card from encoded image bytes (an ``ocr.CardResult``).

        Raises a 503 ApiError when the models are unavailable, a 504 when the time budget
        is exceeded; ``ocr.OcrError`` subclasses pass through.
        """
        loop = asyncio.get_running_loop()
        reader = self._reader or await loop.run_in_executor(None, self._load)
        if reader is None:
            raise ApiError(503, "ocr_unavailable", f"OCR models not available: {self.error}")
        future = loop.run_in_executor(self._read_pool(), reader.read, data)
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            raise ApiError(
                504, "ocr_timeout", f"reading the card took longer than {self.timeout_s:g} s"
            ) from None

    def _read_pool(self) -> ThreadPoolExecutor:
        """The reads' thread, made again after ``close``: an app whose lifespan runs more
        than once (an ASGI test client per request) still reads cards after a shutdown."""
        if self._pool is None:
            # One read at a time per worker: OCR uses every core it is given.
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr")
        return self._pool

    def close(self) -> None:
        """Stop the worker thread (a read in progress finishes first)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
