"""Wi-Fi dongles: a plain TCP socket (usually 192.168.0.10:35000), on asyncio streams."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from obdcore.errors import DeviceNotFound, LinkLost
from obdcore.io.transports.base import Transport

CONNECT_TIMEOUT_S = 5.0


class TcpTransport(Transport):
    """``socket://HOST:PORT`` (or ``tcp://HOST:PORT``)."""

    def __init__(self, url: str, connect_timeout: float = CONNECT_TIMEOUT_S):
        super().__init__(url)
        parts = urlsplit(url)
        if not parts.hostname or not parts.port:
            raise DeviceNotFound(f"{url}: expected socket://HOST:PORT")
        self.host, self.port = parts.hostname, parts.port
        self.connect_timeout = connect_timeout
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None

    async def _open(self) -> None:
        try:
            reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.connect_timeout
            )
        except (OSError, TimeoutError) as exc:
            reason = str(exc) or "timed out"
            raise DeviceNotFound(f"cannot connect to {self.url}: {reason}") from None
        sock = self._writer.get_extra_info("socket")
        if sock is not None:  # a request is a few bytes: send it now, not after Nagle's wait
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pump = asyncio.create_task(self._pump_reads(reader))

    async def _pump_reads(self, reader: asyncio.StreamReader) -> None:
        try:
            while data := await reader.read(4096):
                self._received(data)
            self._connection_lost(LinkLost(f"{self.url} closed the connection"))
        except OSError as exc:
            self._connection_lost(LinkLost(f"{self.url}: {exc}"))

    async def _write(self, data: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise LinkLost(f"{self.url} is not connected")
        try:
            self._writer.write(data)
            await self._writer.drain()
        except OSError as exc:
            self._connection_lost(LinkLost(str(exc)))
            raise LinkLost(f"{self.url}: {exc}") from None

    async def _close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
            self._writer = None
