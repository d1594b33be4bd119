"""Bluetooth LE dongles through bleak: ``ble://NAME-or-ADDRESS``, or ``ble://`` for the only
OBD dongle nearby.

A BLE ELM327 is a serial port in disguise: one GATT characteristic notifies what the adapter
prints, another takes what we write. Which one is which varies between dongles (``FFF1`` and
``FFF2`` swap roles on some, ``FFE1`` does both), so they are chosen by their properties, never
by a fixed UUID role. Notifications are pushed into the inbox as they come; the ELM327 layer
above buffers until the ``>`` prompt. The same UUIDs are used by unrelated gadgets, so the
transport confirms with ``ATI`` that an ELM327 answers (:meth:`BleTransport.identify`).

bleak picks the platform backend (BlueZ, CoreBluetooth, WinRT...); tests pass the
simulator's backend classes (``client_backend``, ``scanner_backend``) instead.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_str

from obdcore.errors import BluetoothUnavailable, DeviceNotFound, LinkError, LinkLost, NotAnAdapter
from obdcore.io.transports.base import Transport
from obdcore.protocol.framer import Answer, ElmFramer

SCAN_TIMEOUT_S = 5.0  # dongles advertise every 0.1-1 s: a few rounds at least
CONNECT_TIMEOUT_S = 15.0
CONFIRM_TIMEOUT_S = 2.0  # ATI is answered at once; leave room for a slow clone
WRITE_TIMEOUT_S = 5.0
DISCONNECT_TIMEOUT_S = 5.0
MAX_IDENTIFY_BYTES = 512  # a chatty gadget must not keep us reading

# Services of OBD dongles (docs: DOMAIN.md, "BLE dongles (GATT)"), in the order tried.
OBD_SERVICES: dict[str, str] = {
    normalize_uuid_str(uuid): label
    for uuid, label in (
        ("fff0", "FFF0 (generic, Veepeak)"),
        ("ffe0", "FFE0 (HM-10 / CC254x)"),
        ("18f0", "18F0 (Vgate iCar Pro, vLinker)"),
        ("e7810a71-73ae-499d-8c15-faa9aef0c3f2", "IOS-Vlink"),
    )
}
# Some dongles advertise their name only; these words in a name mark an OBD dongle.
NAME_HINTS = ("OBD", "ELM", "VLINK", "V-LINK", "VEEPEAK", "VGATE", "ICAR", "KONNWEI")
# What an ELM327 or an STN chip says to ATI ("ELM327 v1.5", "STN2120 v5.6.5").
_IDENTITY = re.compile(r"\b(ELM32\d|STN\d{4}|OBDLINK)\b[^\r\n>]*", re.IGNORECASE)
_SIG_BASE = "-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True)
class FoundDongle:
    """A dongle heard during a scan.

    ``service``: the OBD service UUID it advertised, None when only its name gave it away;
    ``identity``: its ``ATI`` answer when discovery confirmed it; ``device``: bleak's handle,
    to connect without scanning again (``BleTransport(url, dongle=...)``).
    """

    name: str
    address: str
    rssi: int
    service: str | None
    identity: str | None = None
    device: BLEDevice | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.name or '(no name)'} ({self.address}, {self.rssi} dBm)"


# ---------------------------------------------------------------- discovery


async def discover(
    timeout: float = SCAN_TIMEOUT_S,
    *,
    confirm: bool = False,
    confirm_timeout: float = CONFIRM_TIMEOUT_S,
    scanner_backend: type[BaseBleakScanner] | None = None,
    client_backend: type[BaseBleakClient] | None = None,
) -> list[FoundDongle]:
    """Scans ``timeout`` seconds for OBD dongles: devices advertising a known OBD service
    (:data:`OBD_SERVICES`) or with an OBD-looking name. Returns them strongest signal first.

    ``confirm``: also connect to each in turn and ask ``ATI`` (waiting up to
    ``confirm_timeout`` s), keeping only those an ELM327 answers (the same UUIDs are used by
    other gadgets), with ``identity`` filled in. Raises
    :class:`LinkError` when Bluetooth is not available.
    """
    heard = await _scan(timeout, scanner_backend)
    found = [d for d in (_as_dongle(device, advert) for device, advert in heard) if d]
    if confirm:
        # One at a time: many BLE stacks handle a single connection attempt at once.
        found = [
            d for d in [await _confirmed(d, client_backend, confirm_timeout) for d in found] if d
        ]
    return sorted(found, key=lambda d: -d.rssi)


async def _scan(
    timeout: float,
    backend: type[BaseBleakScanner] | None,
    stop_when: Callable[[BLEDevice, AdvertisementData], bool] | None = None,
) -> list[tuple[BLEDevice, AdvertisementData]]:
    """Every device heard within ``timeout`` s, or until one satisfies ``stop_when``.
    No service filter goes to the OS: dongles that advertise only a name would be lost."""
    heard_it = asyncio.Event()

    def on_advert(device: BLEDevice, advert: AdvertisementData) -> None:
        if stop_when is not None and stop_when(device, advert):
            heard_it.set()

    try:
        async with BleakScanner(on_advert, backend=backend) as scanner:
            try:
                await asyncio.wait_for(heard_it.wait(), timeout)
            except TimeoutError:
                pass
            return list(scanner.discovered_devices_and_advertisement_data.values())
    except (BleakError, OSError) as exc:
        raise BluetoothUnavailable(f"Bluetooth is unavailable: {exc}") from None


def _as_dongle(device: BLEDevice, advert: AdvertisementData) -> FoundDongle | None:
    """The dongle this advertisement announces, None when it does not look like one."""
    advertised = {uuid.lower() for uuid in advert.service_uuids}
    service = next((uuid for uuid in OBD_SERVICES if uuid in advertised), None)
    name = advert.local_name or device.name or ""
    if service is None and not any(hint in name.upper() for hint in NAME_HINTS):
        return None
    return FoundDongle(name, device.address, advert.rssi, service, device=device)


async def _confirmed(
    dongle: FoundDongle, client_backend: type[BaseBleakClient] | None, timeout: float
) -> FoundDongle | None:
    """``dongle`` with its ATI identity, None when it is no adapter or cannot be reached."""
    transport = BleTransport(
        f"ble://{dongle.address}",
        dongle=dongle,
        confirm_timeout=timeout,
        client_backend=client_backend,
    )
    try:
        await transport.open()
        return replace(dongle, identity=transport.identity)
    except LinkError:
        return None
    finally:
        await transport.close()


# ---------------------------------------------------------------- characteristics


def choose_characteristics(
    services: BleakGATTServiceCollection,
) -> tuple[BleakGATTCharacteristic, BleakGATTCharacteristic]:
    """The (notify, write) pair to talk through, chosen by properties within one service:
    known OBD services first, then any other except the Bluetooth SIG's standard ones
    (``0x18xx``: GAP, Device Information, Heart Rate...). Notify is preferred over indicate,
    write-without-response over write; one characteristic may serve both ways.
    Raises :class:`LinkError` when no service offers such a pair."""
    for service in sorted(services, key=_service_rank):
        if _standard(service) and service.uuid not in OBD_SERVICES:
            continue
        pair = _pair_in(service)
        if pair is not None:
            return pair
    listing = ", ".join(service.uuid for service in services) or "none"
    raise LinkError(
        f"no notify/write characteristic pair in the GATT table (services: "
        f"{listing}): not a BLE serial adapter"
    )


def _service_rank(service: BleakGATTService) -> tuple[int, int]:
    known = list(OBD_SERVICES)
    rank = known.index(service.uuid) if service.uuid in known else len(known)
    return rank, service.handle


def _standard(service: BleakGATTService) -> bool:
    uuid = service.uuid
    return uuid.endswith(_SIG_BASE) and uuid.startswith("000018")


def _pair_in(
    service: BleakGATTService,
) -> tuple[BleakGATTCharacteristic, BleakGATTCharacteristic] | None:
    chars = service.characteristics  # in handle order
    notify = _first_with(chars, "notify") or _first_with(chars, "indicate")
    write = _first_with(chars, "write-without-response") or _first_with(chars, "write")
    return (notify, write) if notify is not None and write is not None else None


def _first_with(chars: list[BleakGATTCharacteristic], prop: str) -> BleakGATTCharacteristic | None:
    return next((char for char in chars if prop in char.properties), None)


# ---------------------------------------------------------------- the transport


class BleTransport(Transport):
    """``ble://NAME-or-ADDRESS`` (name or address matched case-insensitively; ``ble://``
    alone: the only OBD dongle nearby).

    ``scan_timeout``: how long to look for the dongle (a named one ends the scan when
    heard); ``confirm``: ask ``ATI`` on open and raise :class:`NotAnAdapter` unless an
    ELM327 answers within ``confirm_timeout``; ``dongle``: a :class:`FoundDongle` from
    :func:`discover`, to connect without scanning. ``client_backend``/``scanner_backend``
    replace bleak's platform backend, for tests only.

    After :meth:`open`: ``dongle`` (what was connected to), ``identity`` (the ATI answer,
    when confirmed), ``notify_char``/``write_char`` (the chosen characteristics) and
    ``write_size`` (bytes per write).
    """

    def __init__(
        self,
        url: str,
        *,
        scan_timeout: float = SCAN_TIMEOUT_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        confirm: bool = True,
        confirm_timeout: float = CONFIRM_TIMEOUT_S,
        dongle: FoundDongle | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
    ):
        super().__init__(url)
        self.target = unquote(url.partition("://")[2]).strip().strip("/")
        self.scan_timeout = scan_timeout
        self.connect_timeout = connect_timeout
        self.confirm = confirm
        self.confirm_timeout = confirm_timeout
        self.client_backend = client_backend
        self.scanner_backend = scanner_backend
        self._preset = dongle  # given by the caller: connect without scanning
        self.dongle = dongle  # the one connected to, once found
        self.identity: str | None = None  # the ATI answer, once confirmed
        self.notify_char: BleakGATTCharacteristic | None = None
        self.write_char: BleakGATTCharacteristic | None = None
        self.write_size = 20  # bytes per write, set from the negotiated MTU on open
        self._with_response = False
        self._client: BleakClient | None = None

    # ------------------------------------------------------------ opening

    async def _open(self) -> None:
        # Scan again on every open: after a link loss the platform may have forgotten the
        # device handle it gave last time.
        if self._preset is not None and self._preset.device is not None:
            self.dongle = self._preset
        else:
            self.dongle = await self._find()
        assert self.dongle.device is not None  # _find returns scanned dongles
        try:
            await self._connect(self.dongle.device)
            if self.confirm:
                self.identity = await self.identify(self.confirm_timeout)
        except BaseException:
            await self._close()
            raise

    async def _find(self) -> FoundDongle:
        """The dongle the URL names; raises :class:`DeviceNotFound`."""
        if not self.target:
            return self._only(
                await discover(self.scan_timeout, scanner_backend=self.scanner_backend)
            )
        heard = await _scan(self.scan_timeout, self.scanner_backend, self._is_target)
        for device, advert in heard:
            if self._is_target(device, advert):
                name = advert.local_name or device.name or ""
                return _as_dongle(device, advert) or FoundDongle(
                    name, device.address, advert.rssi, None, device=device
                )
        dongles = [str(d) for d in (_as_dongle(*pair) for pair in heard) if d]
        seen = f"; OBD dongles nearby: {', '.join(dongles)}" if dongles else ""
        raise DeviceNotFound(
            f"{self.url}: no BLE device called {self.target!r} heard "
            f"within {self.scan_timeout:g} s{seen}"
        )

    def _only(self, dongles: list[FoundDongle]) -> FoundDongle:
        if not dongles:
            raise DeviceNotFound(
                f"{self.url}: no OBD dongle heard within "
                f"{self.scan_timeout:g} s (is it powered, and in range?)"
            )
        if len(dongles) > 1:
            listing = ", ".join(str(d) for d in dongles)
            raise DeviceNotFound(
                f"{self.url}: several OBD dongles nearby: {listing}; "
                f"name one, e.g. ble://{dongles[0].address}"
            )
        return dongles[0]

    def _is_target(self, device: BLEDevice, advert: AdvertisementData) -> bool:
        wanted = self.target.lower()
        names = (device.address, advert.local_name or "", device.name or "")
        return any(wanted == name.lower() for name in names)

    async def _connect(self, device: BLEDevice) -> None:
        """Connects, picks the characteristics and subscribes; raises
        :class:`DeviceNotFound` (cannot connect) or :class:`LinkError` (no usable pair)."""
        client = BleakClient(
            device, self._on_disconnected, timeout=self.connect_timeout, backend=self.client_backend
        )
        self._client = client  # set first, so that _close hangs up a half-made connection
        try:
            # bleak applies the timeout too; this bound also covers a backend that hangs.
            await asyncio.wait_for(client.connect(), self.connect_timeout + 1.0)
        except (BleakError, OSError, TimeoutError) as exc:
            raise DeviceNotFound(
                f"cannot connect to {self.url} ({device.address}): {str(exc) or 'timed out'}"
            ) from None
        self.notify_char, self.write_char = choose_characteristics(client.services)
        self._with_response = "write-without-response" not in self.write_char.properties
        # MTU-3 on every backend; BlueZ < 5.62 always says 20, which is safe.
        self.write_size = max(1, self.write_char.max_write_without_response_size)
        try:
            await client.start_notify(self.notify_char, self._on_notify)
        except BleakError as exc:
            raise LinkError(f"{self.url}: cannot subscribe to notifications: {exc}") from None

    # ------------------------------------------------------------ confirming

    async def identify(self, timeout: float = CONFIRM_TIMEOUT_S) -> str:
        """Sends ``ATI`` and returns the identity line (``ELM327 v1.5``). Input not read yet
        is dropped first, and the answer is consumed. Raises :class:`NotAnAdapter` when no
        ELM327/STN-looking answer ending in ``>`` arrives within ``timeout`` seconds,
        :class:`LinkLost` when the link goes."""
        self.discard_input()
        framer = ElmFramer(max_answer=MAX_IDENTIFY_BYTES)
        await self.write(framer.start("ATI", time.monotonic()))
        answer = await self._read_prompt(framer, timeout)
        text = answer.text if answer is not None else framer.abandon().decode("latin-1")
        match = _IDENTITY.search(text) if answer is not None else None
        if match is None:
            name = self.dongle.name if self.dongle else self.target
            raise NotAnAdapter(
                f"{self.url} ({name}) does not answer ATI like an ELM327 "
                f"adapter: {text.replace(chr(0), '')[:80]!r}"
            )
        return match.group(0).strip()

    async def _read_prompt(self, framer: ElmFramer, timeout: float) -> Answer | None:
        """The framed answer, None when no prompt came within ``timeout`` s or more than
        :data:`MAX_IDENTIFY_BYTES` came without one (a chatty gadget must not keep us
        reading)."""
        deadline = time.monotonic() + timeout
        while not framer.overflowing:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            answer = framer.receive(await self.read(left), time.monotonic())
            if answer is not None:
                return answer
        return None

    # ------------------------------------------------------------ bytes

    # bleak calls both callbacks on the event loop's thread, whatever the platform.

    def _on_notify(self, char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._received(bytes(data))

    def _on_disconnected(self, client: BleakClient) -> None:
        # bleak calls this on our own disconnect too: only a link we still use is "lost".
        if client is self._client:
            self._connection_lost(LinkLost(f"{self.url}: the dongle disconnected"))

    async def _write(self, data: bytes) -> None:
        """Sends ``data`` in writes of at most :attr:`write_size` bytes."""
        client, char = self._client, self.write_char
        if client is None or char is None or not client.is_connected:
            raise LinkLost(f"{self.url} is not connected")
        for start in range(0, len(data), self.write_size):
            chunk = data[start : start + self.write_size]
            try:
                await asyncio.wait_for(
                    client.write_gatt_char(char, chunk, response=self._with_response),
                    WRITE_TIMEOUT_S,
                )
            except (BleakError, OSError, TimeoutError) as exc:
                self._write_failed(client, exc)

    def _write_failed(self, client: BleakClient, exc: BaseException) -> None:
        """Raises :class:`LinkLost` when the link is gone (or a write never completes),
        :class:`LinkError` when the dongle refused a write on a live link."""
        reason = str(exc) or type(exc).__name__
        if client.is_connected and not isinstance(exc, TimeoutError):
            raise LinkError(f"{self.url}: write refused: {reason}") from None
        self._connection_lost(LinkLost(f"{self.url}: {reason}"))
        raise LinkLost(f"{self.url}: {reason}") from None

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await asyncio.wait_for(client.disconnect(), DISCONNECT_TIMEOUT_S)
        except Exception:  # closing must not raise: the link goes away anyway
            pass
