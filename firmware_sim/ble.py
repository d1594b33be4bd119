"""A BLE dongle above the radio: doubles of ``bleak.BleakScanner`` and
``bleak.BleakClient`` exposing the common ``FFF0`` service (``FFF1`` notify, ``FFF2``
write) of generic and Veepeak ELM327 dongles, with 20-byte notifications (the default ATT
MTU), so BLE client code is tested without a radio. bleak is not imported: the doubles
mirror the API surface clients use (``connect``, ``disconnect``, ``is_connected``,
``services``/``get_services``, ``start_notify``, ``stop_notify``, ``write_gatt_char``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from firmware_sim.firmware import Firmware

_BASE = "0000{:04x}-0000-1000-8000-00805f9b34fb"
SERVICE_UUID = _BASE.format(0xFFF0)
NOTIFY_UUID = _BASE.format(0xFFF1)
WRITE_UUID = _BASE.format(0xFFF2)
CHUNK = 20
_POLL_S = 0.01

Callback = Callable[["BleCharacteristic", bytearray], None | Awaitable[None]]


class BleError(Exception):
    """Misuse of the double the way bleak would refuse it (not connected, unknown char)."""


@dataclass(frozen=True)
class BleCharacteristic:
    """A GATT characteristic: ``uuid``, ``handle`` and bleak-style ``properties``."""

    uuid: str
    handle: int
    properties: tuple[str, ...]
    service_uuid: str = SERVICE_UUID
    description: str = ""


@dataclass
class BleService:
    """A GATT service and its characteristics."""

    uuid: str
    characteristics: list[BleCharacteristic] = field(default_factory=list)

    def get_characteristic(self, key: str | int) -> BleCharacteristic | None:
        """By UUID (16-bit short form accepted) or handle, None when absent."""
        return _find(self.characteristics, key)


@dataclass
class BleServices:
    """The GATT table (``client.services``)."""

    services: dict[str, BleService]

    def __iter__(self):
        return iter(self.services.values())

    def get_service(self, uuid: str) -> BleService | None:
        return self.services.get(_normal_uuid(uuid))

    def get_characteristic(self, key: str | int) -> BleCharacteristic | None:
        for service in self.services.values():
            found = service.get_characteristic(key)
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class BleDevice:
    """What discovery returns: ``name``, ``address`` and advertised service UUIDs."""

    name: str
    address: str
    service_uuids: tuple[str, ...] = (SERVICE_UUID,)
    rssi: int = -58


def _normal_uuid(key: str) -> str:
    key = key.lower()
    return _BASE.format(int(key, 16)) if len(key) == 4 else key


def _find(chars: list[BleCharacteristic], key: str | int) -> BleCharacteristic | None:
    for char in chars:
        if (isinstance(key, int) and char.handle == key) or (
                isinstance(key, str) and char.uuid == _normal_uuid(key)):
            return char
    return None


def gatt_table() -> BleServices:
    """``FFF0`` with ``FFF1`` (notify) and ``FFF2`` (write, write-without-response)."""
    notify = BleCharacteristic(NOTIFY_UUID, 0x0B, ("read", "notify"))
    write = BleCharacteristic(WRITE_UUID, 0x0E, ("read", "write-without-response", "write"))
    return BleServices({SERVICE_UUID: BleService(SERVICE_UUID, [notify, write])})


class BleakScannerDouble:
    """``BleakScanner.discover`` over a fixed set of simulated dongles."""

    def __init__(self, devices: list[BleDevice] | None = None):
        self.devices = devices or [BleDevice("OBDII", "AA:BB:CC:11:22:33")]

    async def discover(self, timeout: float = 5.0, **kwargs: object) -> list[BleDevice]:
        """The advertised dongles (no waiting: there is no radio)."""
        return list(self.devices)


class BleakClientDouble:
    """A ``BleakClient`` talking to a :class:`Firmware` through the ``FFF0`` service."""

    def __init__(self, address_or_device: str | BleDevice, firmware: Firmware,
                 clock: Callable[[], float] = time.monotonic):
        self.address = getattr(address_or_device, "address", address_or_device)
        self.firmware = firmware
        self.clock = clock
        self.services = gatt_table()
        self._connected = False
        self._callbacks: dict[int, Callback] = {}
        self._poller: asyncio.Task[None] | None = None

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, **kwargs: object) -> bool:
        self._connected = True
        self.firmware.reset_link()
        return True

    async def disconnect(self) -> bool:
        self._connected = False
        self._callbacks.clear()
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        return True

    async def __aenter__(self) -> BleakClientDouble:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def get_services(self) -> BleServices:
        """The GATT table (older bleak API)."""
        self._require_connected()
        return self.services

    async def start_notify(self, char: BleCharacteristic | str | int, callback: Callback,
                           **kwargs: object) -> None:
        """Subscribes ``callback(characteristic, bytearray)`` to ``char`` (must notify)."""
        found = self._char(char)
        if "notify" not in found.properties:
            raise BleError(f"{found.uuid} does not notify")
        self._callbacks[found.handle] = callback
        if self._poller is None:
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def stop_notify(self, char: BleCharacteristic | str | int) -> None:
        self._callbacks.pop(self._char(char).handle, None)

    async def write_gatt_char(self, char: BleCharacteristic | str | int, data: bytes,
                              response: bool = False) -> None:
        """Writes to ``FFF2``; the adapter's answer arrives as 20-byte notifications."""
        found = self._char(char)
        if "write" not in found.properties and "write-without-response" not in found.properties:
            raise BleError(f"{found.uuid} is not writable")
        await self._notify(self.firmware.feed(bytes(data), self.clock()))

    async def _poll(self) -> None:
        while self._connected:
            await asyncio.sleep(_POLL_S)
            await self._notify(self.firmware.poll(self.clock()))

    async def _notify(self, data: bytes) -> None:
        notify = self.services.get_characteristic(NOTIFY_UUID)
        callback = self._callbacks.get(notify.handle) if notify else None
        if callback is None or not data:
            return
        for start in range(0, len(data), CHUNK):
            result = callback(notify, bytearray(data[start:start + CHUNK]))
            if asyncio.iscoroutine(result):
                await result

    def _char(self, char: BleCharacteristic | str | int) -> BleCharacteristic:
        self._require_connected()
        key = char.uuid if isinstance(char, BleCharacteristic) else char
        found = self.services.get_characteristic(key)
        if found is None:
            raise BleError(f"no characteristic {key!r}")
        return found

    def _require_connected(self) -> None:
        if not self._connected:
            raise BleError("not connected")
