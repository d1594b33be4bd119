"""The one small interface every transport implements, and the receive buffer they share.

A transport moves bytes and nothing else: it knows no ELM327 command and no prompt. The
ELM327 session (:mod:`obdcore.protocol.session`, driven by :mod:`obdcore.io.driver`) sits
on top of it. Received bytes are pushed into the transport's inbox by whatever delivers
them (a reader thread, an asyncio protocol, a BLE notification callback) and taken out by
:meth:`Transport.read`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from obdcore.errors import LinkLost

# Bytes kept unread before the oldest are dropped: far more than any answer (an ELM327
# buffers 512 bytes), so only a runaway sender that nobody reads ever hits it.
INBOX_LIMIT = 1 << 20


class Transport(ABC):
    """Bytes to and from one adapter, for asyncio code.

    ``url`` names the device (``/dev/ttyUSB0``, ``socket://HOST:PORT``, ``ble://NAME``).
    ``baud_adjustable`` is true only where a baud rate means something (a real UART).
    """

    baud_adjustable = False

    def __init__(self, url: str):
        self.url = url
        self._inbox = bytearray()
        self._arrived: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost: BaseException | None = None
        self.dropped_bytes = 0  # inbox overflow, for diagnostics

    # ------------------------------------------------------------ what subclasses provide

    @abstractmethod
    async def _open(self) -> None:
        """Opens the device; raises :class:`~obdcore.errors.DeviceNotFound` or
        :class:`~obdcore.errors.LinkError`."""

    @abstractmethod
    async def _write(self, data: bytes) -> None:
        """Sends ``data``; raises :class:`~obdcore.errors.LinkLost` when the link is gone."""

    @abstractmethod
    async def _close(self) -> None:
        """Releases the device; must not raise."""

    # ------------------------------------------------------------ the interface

    async def open(self) -> None:
        """Opens the link; raises :class:`~obdcore.errors.LinkError` subclasses."""
        self._loop = asyncio.get_running_loop()
        self._arrived = asyncio.Event()
        self._inbox.clear()
        self._lost = None
        try:
            await self._open()
        except BaseException:
            await self._close()  # a half-opened device must not leak its handle or thread
            raise

    async def write(self, data: bytes) -> None:
        """Sends ``data``; raises :class:`~obdcore.errors.LinkLost`."""
        if self._lost is not None:
            raise LinkLost(f"{self.url}: {self._lost}")
        await self._write(data)

    async def read(self, timeout: float) -> bytes:
        """Whatever arrived, waiting up to ``timeout`` seconds for something; ``b""`` when
        nothing came. Raises :class:`~obdcore.errors.LinkLost` once the link is gone and
        everything received before that was read."""
        assert self._arrived is not None, "open() the transport first"
        if not self._inbox and self._lost is None:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return b""
        if self._inbox:
            data = bytes(self._inbox)
            self._inbox.clear()
            return data
        raise LinkLost(f"{self.url}: {self._lost}")

    def discard_input(self) -> bytes:
        """Drops (and returns) whatever was received and not read yet."""
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    async def close(self) -> None:
        """Closes the link; safe to call twice."""
        await self._close()

    async def set_baud(self, baud: int) -> None:
        """Changes the line speed (only where :attr:`baud_adjustable`)."""
        raise NotImplementedError(f"{type(self).__name__} has no baud rate")

    @property
    def lost(self) -> bool:
        """True once the link went away."""
        return self._lost is not None

    # ------------------------------------------------------------ for subclasses

    def _received(self, data: bytes) -> None:
        """Stores received bytes; call on the event loop's thread."""
        self._inbox += data
        overflow = len(self._inbox) - INBOX_LIMIT
        if overflow > 0:
            del self._inbox[:overflow]
            self.dropped_bytes += overflow
        if self._arrived is not None:
            self._arrived.set()

    def _received_threadsafe(self, data: bytes) -> None:
        """Stores received bytes from another thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._received, data)

    def _connection_lost(self, reason: BaseException | str) -> None:
        """Marks the link as gone; readers wake up and get :class:`LinkLost`."""
        self._lost = reason if isinstance(reason, BaseException) else LinkLost(reason)
        if self._arrived is not None:
            self._arrived.set()

    def _connection_lost_threadsafe(self, reason: BaseException | str) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._connection_lost, reason)
