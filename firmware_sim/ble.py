"""BLE dongles for the simulator, as a bleak backend.

bleak lets its caller replace the platform backend: ``BleakScanner(backend=...)`` and
``BleakClient(device, backend=...)`` take a :class:`~bleak.backends.scanner.BaseBleakScanner`
or :class:`~bleak.backends.client.BaseBleakClient` subclass. :class:`Air` is a simulated radio
neighbourhood (ELM327 dongles in front of a :class:`~firmware_sim.firmware.Firmware`, plus
unrelated gadgets) and hands out such a pair of backend classes bound to it, so the REAL
``bleak.BleakScanner`` and ``bleak.BleakClient`` run on top of the simulator, and the code
under test sees bleak's own types (``BLEDevice``, ``AdvertisementData``, the GATT collection)
and bleak's own errors. Typical use::

    air = Air()
    dongle = air.add_dongle(make_firmware(), name="OBDII", layout="fff0")
    async with BleakClient(dongle.address, backend=air.client_backend) as client: ...

What is modelled, because clients depend on it:

- the GATT layouts found on the market (:data:`LAYOUTS`): which characteristic notifies and
  which is written varies, and one characteristic may do both;
- the ATT MTU: notifications carry at most MTU-3 bytes, and a write longer than MTU-3 is
  refused with an ATT "Invalid Attribute Value Length" error (these dongles implement no long
  "prepare" writes, so a write request is limited like a write command);
- timing: the adapter's output is notified when the firmware says it is due
  (``next_deadline``); in fast timing that is at once. One notification goes out per
  event-loop turn, or per ``connection_interval_s`` when a device sets one;
- one central at a time: a connected dongle stops advertising, and a second client waits
  for it (up to its connect timeout, then ``TimeoutError``, as bleak raises);
- a link drop (the firmware's ``link_drop`` fault, or :meth:`Device.drop_link`) looks like a
  real disconnect: the client's disconnected callback fires (bleak's platform backends call
  it on a requested disconnect too), bleak forgets the services, and later writes raise
  ``BleakError``.

Not modelled: pairing, RSSI changes, indications, the scan response split of advertising
data, and looking an unknown address up by scanning (``connect`` fails at once instead of
after the scan timeout).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import (
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)
from bleak.uuids import normalize_uuid_16, normalize_uuid_str

DEFAULT_MTU = 23  # the ATT default: 20-byte payloads
ADVERTISING_INTERVAL_S = 0.05
CCCD = normalize_uuid_16(0x2902)  # the descriptor a client writes to enable notifications

NOTIFY = ("read", "notify")
WRITE = ("read", "write-without-response", "write")
BOTH = ("read", "write-without-response", "write", "notify")


@dataclass(frozen=True)
class Char:
    """One characteristic of a layout: its UUID (any form bleak accepts) and properties."""

    uuid: str
    properties: tuple[str, ...]


@dataclass(frozen=True)
class GattLayout:
    """The service a device talks through: its UUID and characteristics, in handle order."""

    name: str
    service: str
    chars: tuple[Char, ...]

    def __post_init__(self) -> None:
        # bleak's collection compares normalised UUIDs: store them that way once.
        object.__setattr__(self, "service", normalize_uuid_str(self.service))
        chars = tuple(Char(normalize_uuid_str(c.uuid), c.properties) for c in self.chars)
        object.__setattr__(self, "chars", chars)


VLINK_SERVICE = "e7810a71-73ae-499d-8c15-faa9aef0c3f2"
VLINK_CHAR = "bef8d6c9-9c21-4c9e-b632-bd58c1009f9f"

# The table of docs DOMAIN.md ("BLE dongles (GATT)").
LAYOUTS: dict[str, GattLayout] = {
    layout.name: layout
    for layout in (
        GattLayout("fff0", "fff0", (Char("fff1", NOTIFY), Char("fff2", WRITE))),
        # Same UUIDs, directions the other way round (seen on some generic dongles).
        GattLayout("fff0-swapped", "fff0", (Char("fff1", WRITE), Char("fff2", NOTIFY))),
        GattLayout("ffe0", "ffe0", (Char("ffe1", BOTH),)),  # HM-10 / CC254x: one char both ways
        GattLayout("18f0", "18f0", (Char("2af0", NOTIFY), Char("2af1", WRITE))),  # Vgate, vLinker
        GattLayout("vlink", VLINK_SERVICE, (Char(VLINK_CHAR, BOTH),)),  # "IOS-Vlink"
        # Not adapters: a heart-rate band (measurement notifies, body location reads).
        GattLayout("heart-rate", "180d", (Char("2a37", ("notify",)), Char("2a38", ("read",)))),
    )
}

# Every device also carries a Device Information service: a read-only characteristic that a
# client must not mistake for a data pipe.
DEVICE_INFO = GattLayout("device-info", "180a", (Char("2a29", ("read",)),))


class Peer(Protocol):
    """What sits behind the GATT table: the ELM327 :class:`Firmware` or a :class:`Gadget`."""

    wants_close: bool

    def feed(self, data: bytes, now: float) -> bytes: ...

    def poll(self, now: float) -> bytes: ...

    def next_deadline(self) -> float | None: ...

    def reset_link(self) -> None: ...


class Gadget:
    """Not an adapter: a microcontroller behind an HM-10 style module (LED strip, scale...).
    It answers every line it receives with ``reply`` (nothing by default)."""

    wants_close = False

    def __init__(self, reply: bytes = b""):
        self.reply = reply
        self.received = bytearray()  # everything ever written to it, across connections

    def feed(self, data: bytes, now: float) -> bytes:
        """Stores ``data``; returns ``reply`` once per CR received."""
        self.received += data
        return self.reply * data.count(b"\r")

    def poll(self, now: float) -> bytes:
        return b""

    def next_deadline(self) -> float | None:
        return None

    def reset_link(self) -> None:
        pass  # no line buffer, no state


@dataclass(frozen=True)
class WriteRecord:
    """One write request that reached the simulated stack (refused ones included)."""

    uuid: str
    data: bytes
    response: bool


@dataclass(eq=False)
class Device:
    """One simulated peripheral.

    ``mtu``: the ATT MTU negotiated on connection; ``advertise_service``: False for dongles
    that advertise their name only; ``connection_interval_s``: pause between notifications.
    ``writes`` logs every write request, ``connections`` counts successful connects.
    """

    name: str | None
    address: str
    layout: GattLayout
    peer: Peer
    rssi: int = -60
    mtu: int = DEFAULT_MTU
    advertise_service: bool = True
    connection_interval_s: float = 0.0
    manufacturer: str = "Simulated"
    writes: list[WriteRecord] = field(default_factory=list)
    connections: int = 0
    client: SimBleakClient | None = field(default=None, repr=False)

    @property
    def connected(self) -> bool:
        """True while a client holds the link."""
        return self.client is not None

    @property
    def payload(self) -> int:
        """Bytes one notification or one write carries (ATT MTU minus the 3-byte header)."""
        return self.mtu - 3

    def drop_link(self) -> None:
        """Cuts the radio link now (out of range, dongle unplugged); undelivered output is
        lost. Does nothing when no client is connected."""
        if self.client is not None:
            self.client.lose_link()

    def advertisement(self) -> AdvertisementData:
        """The advertising data a scanner receives from this device."""
        uuids = [self.layout.service] if self.advertise_service else []
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data={},
            service_uuids=uuids,
            tx_power=None,
            rssi=self.rssi,
            platform_data=(),
        )

    def gatt(self, wanted: set[str] | None = None) -> BleakGATTServiceCollection:
        """The GATT table as bleak's collection; ``wanted`` filters services by UUID, as
        ``BleakClient(services=...)`` asks. Handles do not depend on the filter."""
        table = BleakGATTServiceCollection()
        handles = itertools.count(1)
        for layout in (DEVICE_INFO, self.layout):
            service = BleakGATTService(layout, next(handles), layout.service)
            keep = wanted is None or layout.service in wanted
            if keep:
                table.add_service(service)
            for spec in layout.chars:
                next(handles)  # the characteristic declaration; bleak keeps the value handle
                char = BleakGATTCharacteristic(
                    spec,
                    next(handles),
                    spec.uuid,
                    list(spec.properties),
                    lambda: self.payload,
                    service,
                )
                notifies = {"notify", "indicate"} & set(spec.properties)
                cccd = next(handles) if notifies else None
                if keep:
                    table.add_characteristic(char)
                    if cccd is not None:
                        table.add_descriptor(BleakGATTDescriptor(None, cccd, CCCD, char))
        return table

    def read_value(self, uuid: str) -> bytes:
        """The value a read of characteristic ``uuid`` returns."""
        return self.manufacturer.encode() if uuid == normalize_uuid_16(0x2A29) else b""


class Air:
    """The simulated radio neighbourhood: devices in range, and bleak backends bound to it.

    ``clock`` gives the ``now`` passed to the firmware (seconds); ``advertising_interval_s``
    is how often each device advertises while a scan runs.
    """

    def __init__(
        self,
        devices: Iterable[Device] = (),
        clock: Callable[[], float] = time.monotonic,
        advertising_interval_s: float = ADVERTISING_INTERVAL_S,
    ):
        self.devices: list[Device] = list(devices)
        self.clock = clock
        self.advertising_interval_s = advertising_interval_s
        self._serial = itertools.count(1)

    # ------------------------------------------------------------ populating

    def add(self, device: Device) -> Device:
        """Puts ``device`` in range; returns it."""
        self.devices.append(device)
        return device

    def remove(self, device: Device) -> None:
        """Takes ``device`` out of range (its link, if any, drops)."""
        device.drop_link()
        self.devices.remove(device)

    def add_dongle(
        self,
        firmware: Peer,
        name: str | None = "OBDII",
        layout: str | GattLayout = "fff0",
        **options: Any,
    ) -> Device:
        """An ELM327 dongle in front of ``firmware`` with one of :data:`LAYOUTS`;
        ``options`` are :class:`Device` fields (``mtu``, ``rssi``, ``address``...)."""
        return self._add(name, layout, firmware, options)

    def add_gadget(
        self,
        name: str | None = "BT05",
        layout: str | GattLayout = "ffe0",
        reply: bytes = b"",
        **options: Any,
    ) -> Device:
        """Not an adapter, though it may use an adapter's UUIDs (an HM-10 LED strip)."""
        return self._add(name, layout, Gadget(reply), options)

    def add_heart_rate_band(self, name: str | None = "HRM-Pro", **options: Any) -> Device:
        """A heart-rate band (service 180D): notifies, but has nothing to write to."""
        return self._add(name, "heart-rate", Gadget(), options)

    def _add(
        self, name: str | None, layout: str | GattLayout, peer: Peer, options: dict[str, Any]
    ) -> Device:
        if isinstance(layout, str):
            layout = LAYOUTS[layout]
        options.setdefault("address", f"0C:1C:57:00:00:{next(self._serial):02X}")
        return self.add(Device(name=name, layout=layout, peer=peer, **options))

    # ------------------------------------------------------------ what the backends ask

    def find(self, address: str) -> Device | None:
        """The device in range with this address (case-insensitive), None if none."""
        return next((d for d in self.devices if d.address.lower() == address.lower()), None)

    def advertising(self) -> list[Device]:
        """Devices heard by a scan: in range and not connected."""
        return [d for d in self.devices if not d.connected]

    @cached_property
    def scanner_backend(self) -> type[SimBleakScanner]:
        """A ``BaseBleakScanner`` class for ``BleakScanner(backend=...)``, bound to this air."""
        return type("SimBleakScanner", (SimBleakScanner,), {"air": self})

    @cached_property
    def client_backend(self) -> type[SimBleakClient]:
        """A ``BaseBleakClient`` class for ``BleakClient(backend=...)``, bound to this air."""
        return type("SimBleakClient", (SimBleakClient,), {"air": self})


class SimBleakScanner(BaseBleakScanner):
    """Scanner backend: while started, every advertising device is reported each
    ``advertising_interval_s``, the first round on the next event-loop turn (so callers that
    register a callback right after ``start``, like ``find_device_by_name``, hear it)."""

    air: ClassVar[Air]

    def __init__(
        self,
        detection_callback: Any,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ):
        super().__init__(detection_callback, service_uuids)
        self._advertiser: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._advertiser = asyncio.create_task(self._advertise())

    async def stop(self) -> None:
        if self._advertiser is not None:
            self._advertiser.cancel()
            await asyncio.gather(self._advertiser, return_exceptions=True)
            self._advertiser = None

    async def _advertise(self) -> None:
        while True:
            for device in self.air.advertising():
                advert = device.advertisement()
                # The OS filters on service UUIDs; bleak's helper applies the same rule.
                if self.is_allowed_uuid(advert.service_uuids):
                    found = self.create_or_update_device(
                        device.address, device.address, device.name, device, advert
                    )
                    self.call_detection_callbacks(found, advert)
            await asyncio.sleep(self.air.advertising_interval_s)


class SimBleakClient(BaseBleakClient):
    """Client backend: one GATT connection to a simulated :class:`Device`.

    While connected, a pump task notifies what the peer prints (what a write returned at
    once, then whatever ``poll`` releases at ``next_deadline``), cut to MTU-3 bytes, and hangs
    up when the firmware asks to (``wants_close``, once its cut answer is out).
    """

    air: ClassVar[Air]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        services: set[str] | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        details = getattr(address_or_ble_device, "details", None)
        self._device: Device | None = details if isinstance(details, Device) else None
        self._wanted = services
        self._connected = False
        self._callbacks: dict[int, NotifyCallback] = {}
        self._outbox = bytearray()
        self._wake: asyncio.Event | None = None
        self._pump: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ connection

    @property
    def name(self) -> str:
        device = self._device
        if device is None or device.name is None:
            return self.address.replace(":", "-")
        return device.name

    @property
    def mtu_size(self) -> int:
        return self._device.mtu if self._device is not None else DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connects once the device is free; raises ``BleakDeviceNotFoundError`` for an
        address not in range, ``TimeoutError`` when it stays busy or out of range."""
        if self._connected:
            raise BleakError("Client is already connected")
        device = self._device or self.air.find(self.address)
        if device is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            )
        async with asyncio.timeout(kwargs.get("timeout", self._timeout)):
            # A dongle serves one central; it is connectable again once that one leaves.
            while device.connected or device not in self.air.devices:
                await asyncio.sleep(0.01)
        self._attach(device)

    def _attach(self, device: Device) -> None:
        self._device, device.client = device, self
        device.connections += 1
        self.services = device.gatt(self._wanted)
        self._connected = True
        self._wake = asyncio.Event()
        self._pump = asyncio.create_task(self._run_pump())

    async def disconnect(self) -> None:
        """Hangs up (no-op when not connected); the disconnected callback fires."""
        pump = self._pump
        self.lose_link()
        if pump is not None:
            await asyncio.gather(pump, return_exceptions=True)

    def lose_link(self) -> None:
        """The link is gone, asked for or not: forget the services and subscriptions, free
        the device, then tell the owner through the disconnected callback."""
        if not self._connected:
            return
        self._release()
        pump, self._pump = self._pump, None
        if pump is not None and pump is not asyncio.current_task():
            pump.cancel()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _release(self) -> None:
        self._connected = False
        self.services = None
        self._callbacks.clear()
        self._outbox.clear()
        device = self._device
        if device is not None and device.client is self:
            device.client = None
            # The next client finds an empty line buffer and no pending hang-up.
            device.peer.reset_link()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to do: these dongles need no pairing."""

    async def unpair(self) -> None:
        """Unpairing also disconnects."""
        await self.disconnect()

    # ------------------------------------------------------------ GATT operations

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        """Feeds ``data`` to the peer. Raises ``BleakError`` when not connected,
        ``BleakGATTProtocolError`` when the characteristic does not take this kind of
        write or ``data`` is longer than MTU-3."""
        device = self._require()
        data = bytes(data)
        device.writes.append(WriteRecord(characteristic.uuid, data, response))
        kind = "write" if response else "write-without-response"
        if kind not in characteristic.properties:
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED)
        if len(data) > device.payload:
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.INVALID_ATTRIBUTE_VALUE_LENGTH)
        self._outbox += device.peer.feed(data, self.air.clock())
        assert self._wake is not None  # set while connected
        self._wake.set()
        if response:
            await asyncio.sleep(0)  # the write response comes back from the dongle

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Subscribes ``callback(bytearray)``; ``BleakError`` if it cannot notify."""
        self._require()
        if not {"notify", "indicate"} & set(characteristic.properties):
            raise BleakError(f"{characteristic.uuid} does not support notifications")
        self._callbacks[characteristic.handle] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._require()
        self._callbacks.pop(characteristic.handle, None)

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        device = self._require()
        if "read" not in characteristic.properties:
            raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.READ_NOT_PERMITTED)
        return bytearray(device.read_value(characteristic.uuid))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Only CCCDs exist here: 01 00 while notifications are on, else 00 00."""
        self._require()
        return bytearray([int(descriptor.characteristic_handle in self._callbacks), 0])

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        # bleak itself refuses CCCD writes (start_notify is the way); nothing else exists.
        self._require()
        raise BleakGATTProtocolError(BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED)

    def _require(self) -> Device:
        if not self._connected or self._device is None:
            raise BleakError("Not connected")
        return self._device

    # ------------------------------------------------------------ the pump

    async def _run_pump(self) -> None:
        try:
            await self._pump_output()
        except asyncio.CancelledError:
            # Cancelled by lose_link, or by the event loop closing with the link still up:
            # then free the device without a callback (nobody is left to hear it).
            if self._connected:
                self._release()
            raise

    async def _pump_output(self) -> None:
        device = self._require()
        peer, wake = device.peer, self._wake
        assert wake is not None
        while self._connected:
            wake.clear()  # before taking the outbox, so a write during delivery re-wakes us
            out = bytes(self._outbox) + peer.poll(self.air.clock())
            self._outbox.clear()
            await self._notify(device, out)
            deadline = peer.next_deadline()
            if peer.wants_close and deadline is None:
                self.lose_link()  # the cut answer is out: now the dongle hangs up
                return
            timeout = None if deadline is None else max(0.0, deadline - self.air.clock())
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except TimeoutError:
                pass

    async def _notify(self, device: Device, data: bytes) -> None:
        """Sends ``data`` as notifications of at most MTU-3 bytes to every subscriber."""
        for start in range(0, len(data), device.payload):
            chunk = data[start : start + device.payload]
            for callback in list(self._callbacks.values()):
                callback(bytearray(chunk))
            # One notification per connection event: readers may see each one apart.
            await asyncio.sleep(device.connection_interval_s)
