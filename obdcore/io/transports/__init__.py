"""Transports: thin byte pipes to an adapter behind one interface (:class:`Transport`).

``transport_for(url)`` picks one from the device URL:

- ``/dev/ttyUSB0``, ``COM3``, ``loop://``, ``rfc2217://...``: :class:`SerialTransport`
  (pyserial; ``serial+socket://HOST:PORT`` reaches pyserial's own raw-TCP handler);
- ``socket://HOST:PORT`` or ``tcp://HOST:PORT``: :class:`TcpTransport` (Wi-Fi dongles);
- ``ble://NAME-or-ADDRESS``: :class:`~obdcore.io.transports.ble.BleTransport` (bleak).
"""

from __future__ import annotations

from obdcore.errors import DeviceNotFound
from obdcore.io.transports.base import Transport

__all__ = ["Transport", "transport_for"]


def transport_for(url: str, baud: int | None = None) -> Transport:
    """The transport for ``url`` (not opened yet); raises :class:`DeviceNotFound` for an
    empty or unusable URL. ``baud`` only matters for serial ports."""
    url = url.strip()
    if not url:
        raise DeviceNotFound("no device given")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme in ("socket", "tcp"):
        from obdcore.io.transports.tcp import TcpTransport

        return TcpTransport(url)
    if scheme == "ble":
        from obdcore.io.transports.ble import BleTransport

        return BleTransport(url)
    from obdcore.io.transports.serial import DEFAULT_BAUD, SerialTransport

    if scheme == "serial+socket":
        url = url.removeprefix("serial+")
    return SerialTransport(url, baud or DEFAULT_BAUD)
