"""A small synchronous wrapper for scripts: the asyncio client on a private event loop.

    from obdcore.io.sync import SyncClient
    with SyncClient("/dev/ttyUSB0") as car:
        print(car.query("RPM").value("RPM"))
        for sample in car.stream(["RPM"], limit=50):
            print(sample.value)

Every call has a deadline (the session's, plus ``call_timeout`` as a backstop), so a
script never hangs on a silent dongle.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from obdcore.errors import AdapterTimeout
from obdcore.io.client import Client, Sample
from obdcore.io.transports import Transport

DEFAULT_CALL_TIMEOUT_S = 120.0


class SyncClient:
    """Blocking versions of :class:`~obdcore.io.client.Client`'s methods; same arguments."""

    def __init__(
        self, device: str | Transport, call_timeout: float = DEFAULT_CALL_TIMEOUT_S, **options: Any
    ) -> None:
        self.call_timeout = call_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="obdcore", daemon=True)
        self._thread.start()
        self.client = self._run(_make_client(device, options))

    def _run(self, coroutine) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(self.call_timeout)
        except TimeoutError:
            future.cancel()
            raise AdapterTimeout(f"call did not finish within {self.call_timeout:.0f} s") from None

    def connect(self) -> SyncClient:
        """Connects (see :meth:`Client.connect`); returns ``self``."""
        self._run(self.client.connect())
        return self

    def close(self) -> None:
        """Closes the connection and stops the private loop (safe to call twice)."""
        if self._loop.is_running():
            self._run(self.client.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def __enter__(self) -> SyncClient:
        try:
            return self.connect()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(
        self,
        names: Iterable[str],
        rates: dict[str, float] | float | None = None,
        *,
        limit: int | None = None,
        **options: Any,
    ) -> Iterator[Sample]:
        """Yields samples as :meth:`Client.stream` does; stops after ``limit`` samples."""
        generator = self.client.stream(names, rates, **options)
        count = 0
        try:
            while limit is None or count < limit:
                yield self._run(generator.__anext__())
                count += 1
        finally:
            self._run(generator.aclose())

    def __getattr__(self, name: str) -> Any:
        """Any other client method, run to completion: ``car.vin()``, ``car.read_dtcs()``."""
        attribute = getattr(self.client, name)
        if not asyncio.iscoroutinefunction(attribute):
            return attribute

        def call(*args, **kwargs):
            return self._run(attribute(*args, **kwargs))

        return call


async def _make_client(device: str | Transport, options: dict[str, Any]) -> Client:
    return Client(device, **options)  # built on the loop that will run it
