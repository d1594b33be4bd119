"""Serial adapters (USB, RS-232, Bluetooth Classic rfcomm) through pyserial.

pyserial's URL handlers work too: ``socket://HOST:PORT`` (raw TCP), ``loop://`` (a
loopback, handy in tests), ``rfc2217://``. pyserial blocks, so one reader thread per port
hands received bytes to the event loop; writes are a few bytes and go straight out.
"""

from __future__ import annotations

import asyncio
import os
import threading

import serial

from obdcore.errors import DeviceNotFound, LinkError, LinkLost
from obdcore.io.transports.base import Transport

DEFAULT_BAUD = 38400
_READ_SLICE_S = 0.02  # how long the reader thread blocks before checking for close()


class SerialTransport(Transport):
    """A pyserial port (``/dev/ttyUSB0``, ``COM3``, ``socket://...``, ``loop://``)."""

    def __init__(self, url: str, baud: int = DEFAULT_BAUD):
        super().__init__(url)
        self.baud = baud
        self._port: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def baud_adjustable(self) -> bool:  # type: ignore[override]
        """A real UART only: pyserial URLs and pseudo-terminals ignore the baud rate."""
        return "://" not in self.url and not _is_pty(self.url, self._port)

    async def _open(self) -> None:
        try:
            self._port = await asyncio.to_thread(
                serial.serial_for_url,
                self.url,
                baudrate=self.baud,
                timeout=_READ_SLICE_S,
                write_timeout=2.0,
            )
        except (serial.SerialException, ValueError, OSError) as exc:
            raise DeviceNotFound(f"cannot open {self.url}: {exc}") from None
        self._stopping.clear()
        self._reader = threading.Thread(
            target=self._read_loop, name=f"serial {self.url}", daemon=True
        )
        self._reader.start()

    def _read_loop(self) -> None:
        port = self._port
        assert port is not None
        while not self._stopping.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's own handlers fail that way when the
                # port is closed under them.
                if not self._stopping.is_set():
                    self._connection_lost_threadsafe(LinkLost(f"{self.url}: {exc}"))
                return
            if data:
                self._received_threadsafe(data)

    async def _write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            raise LinkLost(f"{self.url} is not open")
        try:
            port.write(data)
        except (serial.SerialException, OSError) as exc:
            self._connection_lost(LinkLost(str(exc)))
            raise LinkLost(f"{self.url}: {exc}") from None

    async def set_baud(self, baud: int) -> None:
        """Changes the UART speed (the adapter must have been told first, ``ATBRD``/``STBR``)."""
        if self._port is None:
            raise LinkError(f"{self.url} is not open")
        self._port.baudrate = baud
        self.baud = baud
        self.discard_input()

    async def _close(self) -> None:
        self._stopping.set()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join, 1.0)
            self._reader = None
        if self._port is not None:
            try:
                self._port.close()
            except (serial.SerialException, OSError):
                pass
            self._port = None


def _is_pty(url: str, port: serial.SerialBase | None) -> bool:
    """True for a pseudo-terminal (a simulator, socat): it has no line speed."""
    name = os.path.realpath(url)
    fileno = getattr(port, "fileno", None)
    if fileno is not None:
        try:
            name = os.ttyname(fileno())
        except (OSError, ValueError, TypeError):
            pass
    return name.startswith(("/dev/pts/", "/dev/ttyp", "/dev/pty"))
