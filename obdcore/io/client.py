"""The asyncio OBD-II client: what a person (or the app) asks a car.

    async with Client("socket://192.168.0.10:35000") as car:
        print(await car.vin())
        async for sample in car.stream(["RPM", "COOLANT_TEMP"]):
            print(sample.name, sample.value, sample.unit)

Every method works per ECU (full CAN IDs), asks several PIDs per request where the bus
allows, and goes through one :class:`~obdcore.io.driver.Session` (its deadlines and
recovery ladder).
Values come back in SI units with their unit names, as the decoder gives them.
"""

from __future__ import annotations

import asyncio
import difflib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

from obdcore.errors import ArgumentError, LinkError, TableError
from obdcore.io.driver import Session
from obdcore.io.dtc_texts import describe_dtc
from obdcore.io.transports import Transport
from obdcore.protocol._backend import core
from obdcore.protocol.adapter import AdapterInfo, multi_pid_limit
from obdcore.protocol.framer import Answer
from obdcore.protocol.pidtable import PidTable
from obdcore.protocol.polling import PollItem, Scheduler, default_rate
from obdcore.protocol.protocols import is_can
from obdcore.protocol.session import StateEvent, Stats
from obdcore.protocol.structured import MonitorStatus, MonitorTest

DTC_SERVICES = {"stored": "03", "pending": "07", "permanent": "0A"}
_BITMAP_PIDS = frozenset(range(0x00, 0x100, 0x20))
_STREAM_RETRY_S = 1.0  # a persistent stream's pause between reconnection attempts


@dataclass(frozen=True)
class Sample:
    """One streamed value: the client clock ``at`` (seconds), field ``name``, ``value``
    in SI units, ``unit``, and the answering ``ecu``."""

    at: float
    name: str
    value: object
    unit: str
    ecu: int


@dataclass(frozen=True)
class Dtc:
    """A trouble code from one ECU: ``kind`` is stored, pending or permanent."""

    code: str
    kind: str
    ecu: int
    description: str | None


@dataclass
class FreezeFrame:
    """What one ECU recorded when ``dtc`` was set (``frame`` 0 is the first)."""

    ecu: int
    frame: int
    dtc: str | None
    readings: list = field(default_factory=list)


@dataclass(frozen=True)
class Readiness:
    """An ECU's monitors: since the codes were cleared (PID 01) and, where the ECU
    reports it, for this drive cycle (PID 41)."""

    ecu: int
    since_clear: MonitorStatus
    this_cycle: MonitorStatus | None


class Client:
    """A car behind an ELM327 adapter. Takes the arguments of
    :class:`~obdcore.io.driver.Session` (``device`` URL or transport, ``protocol``,
    ``baud``, ``memory``, ``timeouts``, ``table``, ``on_event``, ``clock``) and holds one."""

    def __init__(self, device: str | Transport, **options) -> None:
        self.session = Session(device, **options)

    # ------------------------------------------------------------------ the connection

    async def connect(self) -> None:
        """Opens the link and brings adapter and bus up (see :meth:`Session.connect`)."""
        await self.session.connect()

    async def close(self) -> None:
        """Closes the link (safe to call twice)."""
        await self.session.close()

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(
        self,
        request: str,
        *,
        ecu: int | None = None,
        answers: int | None = None,
        timeout: float | None = None,
    ) -> core.Response:
        """A raw OBD request (hex, ``"0902"``), decoded (see :meth:`Session.request`)."""
        return await self.session.request(request, ecu=ecu, answers=answers, timeout=timeout)

    async def command(self, command: str, timeout: float | None = None) -> Answer:
        """A raw adapter command (``"ATRV"``) and its answer."""
        return await self.session.command(command, timeout)

    @property
    def device(self) -> str:
        """The device URL."""
        return self.session.device

    @property
    def transport(self) -> Transport:
        return self.session.transport

    @property
    def clock(self) -> Callable[[], float]:
        return self.session.clock

    @property
    def adapter(self) -> AdapterInfo:
        """The adapter as identified (identity, STN chip, clone detection)."""
        return self.session.adapter

    @property
    def protocol(self) -> str | None:
        """The bus protocol number (``"6"``), None before connecting."""
        return self.session.protocol

    @property
    def ecus(self) -> list[int]:
        """The answering ECUs (full CAN IDs or legacy addresses), lowest first."""
        return self.session.ecus

    @property
    def supported(self) -> dict[int, set[int]]:
        """The Mode 01 PIDs each ECU supports, as read so far (:meth:`supported_pids`)."""
        return self.session.supported

    @property
    def latency_s(self) -> float | None:
        return self.session.latency_s

    @property
    def tried_protocols(self) -> list[str]:
        return self.session.tried_protocols

    @property
    def events(self) -> deque[StateEvent]:
        return self.session.events

    @property
    def stats(self) -> Stats:
        return self.session.stats

    @property
    def decoder(self):
        return self.session.decoder

    # ------------------------------------------------------------------ live data

    async def query(self, *names: str, ecu: int | None = None) -> core.Response:
        """Reads the named values (``"RPM"``, ``"SPEED"``) now, several PIDs per request
        where the bus allows. Returns one :class:`~obdcore.Response` holding every ECU's
        readings and notices. Raises :class:`TableError` for an unknown name."""
        items = self._poll_items(names, rates=0.0)
        merged = core.Response()
        for group in _groups(items, self._per_request(items)):
            response = await self._poll(group, ecu)
            merged.readings.extend(response.readings)
            merged.notices.extend(response.notices)
            merged.negatives.extend(response.negatives)
        return merged

    async def stream(
        self,
        names: Iterable[str],
        rates: dict[str, float] | float | None = None,
        *,
        ecu: int | None = None,
        persistent: bool = False,
    ) -> AsyncIterator[Sample]:
        """Polls ``names`` for ever, yielding a :class:`Sample` per value received.

        ``rates``: Hz per name, one rate for all, or None for dashboard defaults
        (:data:`obdcore.protocol.polling.DEFAULT_RATES_HZ`); 0 means as fast as the link allows.
        ``ecu``: ask that ECU alone; by default the ECU that supports every named PID,
        if there is one (else every ECU answers). ``persistent``: keep reconnecting after
        a failed recovery (a logging session) instead of raising the :class:`LinkError`.
        """
        items = self._poll_items(list(names), rates)
        wanted = {name for item in items for name in item.names}
        scheduler = Scheduler(items, self._per_request(items), self.clock())
        if any(item.mode == 1 and item.pid > 0x20 for item in items):
            await self.supported_pids()
        if ecu is None:
            ecu = self._sole_source(items)
        while True:
            batch = scheduler.next_request(self.clock())
            if not batch:
                await asyncio.sleep(scheduler.wait_time(self.clock()))
                continue
            try:
                response = await self._poll(batch, ecu)
            except LinkError:
                if not persistent:
                    raise
                await self._wait_for_link()
                continue
            scheduler.done(batch, self.clock())
            now = self.clock()
            for reading in response.readings:
                if reading.name in wanted:
                    yield Sample(now, reading.name, reading.value, reading.unit, reading.ecu)

    async def _wait_for_link(self) -> None:
        """A persistent stream lost the car: try reconnecting until it answers again."""
        while True:
            await asyncio.sleep(_STREAM_RETRY_S)
            try:
                await self.session.reconnect("persistent stream")
                return
            except LinkError:
                continue

    def _poll_items(self, names: Iterable[str], rates) -> list[PollItem]:
        table = self.decoder.table
        by_pid: dict[tuple[int, int], list[str]] = {}
        for name in names:
            definition = _live_field(table, name)
            by_pid.setdefault((definition.mode, definition.pid), []).append(name)
        if not by_pid:
            raise TableError("no value named")
        items = []
        for (mode, pid), pid_names in by_pid.items():
            hz = _rate(rates, pid_names)
            items.append(PollItem(mode, pid, tuple(pid_names), 1.0 / hz if hz > 0 else 0.0))
        return items

    def _sole_source(self, items: list[PollItem]) -> int | None:
        """The ECU (lowest ID) that supports every Mode 01 PID of ``items``, None when
        none does. A dashboard addressed to it physically gets one answer per request
        and need not wait for the slower ECUs that repeat some values (speed)."""
        pids = {item.pid for item in items if item.mode == 1}
        if len(pids) != len(items):
            return None
        sources = [ecu for ecu, supported in sorted(self.supported.items()) if pids <= supported]
        return sources[0] if sources else None

    def _per_request(self, items: list[PollItem]) -> int:
        return multi_pid_limit(self.protocol or "6") if items[0].mode == 1 else 1

    async def _poll(self, group: list[PollItem], ecu: int | None) -> core.Response:
        mode = group[0].mode
        if mode == 0x22:
            if ecu is None:  # a manufacturer value asks the ECU its table row names
                ecu = _header_ecu(self.decoder.table.fields(0x22, group[0].pid))
            return await self.request(f"22{group[0].pid:04X}", ecu=ecu)
        pids = [item.pid for item in group]
        wire = "01" + "".join(f"{pid:02X}" for pid in pids)
        return await self.request(wire, ecu=ecu, answers=self._answering(pids))

    def _answering(self, pids: list[int]) -> int | None:
        """How many ECUs support any of ``pids`` (None when none is known to)."""
        count = sum(1 for supported in self.supported.values() if supported & set(pids))
        return count or None

    async def supported_pids(self) -> dict[int, set[int]]:
        """Every ECU's supported Mode 01 PIDs (the bitmaps past 01-20 are read once)."""
        if not any(pid > 0x20 for pids in self.supported.values() for pid in pids):
            self.session.supported = await self._bitmaps("01", self.supported.items())
        return self.supported

    async def _bitmaps(
        self, service: str, first: Iterable[tuple[int, Iterable[int]]], suffix: str = ""
    ) -> dict[int, set[int]]:
        """Follows a chain of supported-PID bitmaps (``0100``, ``0120``...) per ECU."""
        found: dict[int, set[int]] = {ecu: set(pids) for ecu, pids in first}
        base = 0x20
        while base < 0x100 and any(base in pids for pids in found.values()):
            response = await self.request(f"{service}{base:02X}{suffix}")
            for reading in response.readings:
                if reading.pid == base and isinstance(reading.value, tuple):
                    found.setdefault(reading.ecu, set()).update(reading.value)
            base += 0x20
        return found

    # ------------------------------------------------------------------ diagnostics

    async def read_dtcs(
        self, kinds: Iterable[str] = ("stored", "pending", "permanent")
    ) -> list[Dtc]:
        """Trouble codes per ECU, each with its English text (:func:`describe_dtc`: the
        description, or for a code without one what its range says, never blank).
        ``kinds``: any of stored, pending, permanent; :class:`ArgumentError` for others."""
        kinds = list(kinds)
        unknown = sorted(set(kinds) - set(DTC_SERVICES))
        if unknown:
            raise ArgumentError(
                f"unknown trouble code kind(s) {', '.join(unknown)}: use {', '.join(DTC_SERVICES)}"
            )
        codes = []
        for kind in kinds:
            response = await self.request(DTC_SERVICES[kind], answers=len(self.ecus) or None)
            for reading in response.readings:
                for code in reading.value or ():
                    codes.append(Dtc(code, kind, reading.ecu, describe_dtc(code)))
        return codes

    async def clear_dtcs(self) -> dict[int, bool]:
        """Clears codes and freeze frames (Mode 04); ECU -> True when it acknowledged.
        An ECU that refuses (engine running) answers a negative response: False."""
        response = await self.request("04", answers=len(self.ecus) or None)
        result = {ecu: False for ecu in self.ecus}
        for reading in response.readings:
            result[reading.ecu] = True
        for negative in response.negatives:
            result[negative.ecu] = False
        return result

    async def freeze_frame(self, frame: int = 0) -> list[FreezeFrame]:
        """The freeze frame ``frame`` (0-255) of every ECU that stored one;
        :class:`ArgumentError` for another number."""
        if not isinstance(frame, int) or not 0 <= frame <= 0xFF:
            raise ArgumentError(f"a freeze frame number is 0 to 255, not {frame!r}")
        suffix = f"{frame:02X}"
        first = await self.request("0200" + suffix)
        bitmaps = {(r.ecu, tuple(r.value)) for r in first.readings if isinstance(r.value, tuple)}
        supported = await self._bitmaps("02", bitmaps, suffix)
        frames = []
        for ecu, pids in sorted(supported.items()):
            wanted = sorted(pids - _BITMAP_PIDS)
            if not wanted:
                continue
            record = FreezeFrame(ecu, frame, None)
            for pid in wanted:
                response = await self.request(f"02{pid:02X}{suffix}", ecu=ecu)
                for reading in response.readings:
                    if reading.pid == 0x02:
                        record.dtc = reading.value
                    else:
                        record.readings.append(reading)
            frames.append(record)
        return frames

    async def readiness(self) -> list[Readiness]:
        """Monitor status per ECU: since the codes were cleared, and this drive cycle."""
        since = await self.request("0101", answers=len(self.ecus) or None)
        this_cycle = {}
        if any(0x41 in pids for pids in (await self.supported_pids()).values()):
            response = await self.request("0141")
            this_cycle = {r.ecu: r.value for r in response.readings}
        return [
            Readiness(r.ecu, r.value, this_cycle.get(r.ecu))
            for r in since.readings
            if isinstance(r.value, MonitorStatus)
        ]

    async def mode06(self) -> dict[int, list[MonitorTest]]:
        """On-board monitor test results per ECU (CAN only: the legacy layout differs and
        is reported as empty)."""
        if not is_can(self.protocol or "6"):
            return {}
        first = await self.request("0600")
        bitmaps = {(r.ecu, tuple(r.value)) for r in first.readings if isinstance(r.value, tuple)}
        supported = await self._bitmaps("06", bitmaps)
        results: dict[int, list[MonitorTest]] = {}
        for ecu, mids in sorted(supported.items()):
            for mid in sorted(mids - _BITMAP_PIDS):
                response = await self.request(f"06{mid:02X}", ecu=ecu)
                for reading in response.readings:
                    results.setdefault(ecu, []).extend(reading.value)
        return results

    async def vins(self) -> dict[int, str]:
        """The VIN each ECU reports (usually the engine ECU, sometimes others)."""
        response = await self.request("0902", answers=len(self.ecus) or None)
        return {r.ecu: r.value for r in response.readings if r.name == "VIN" and r.value}

    async def vin(self) -> str | None:
        """The vehicle's VIN: the first ECU's (lowest ID, the engine ECU), None if none."""
        vins = await self.vins()
        return vins[min(vins)] if vins else None

    async def read_did(self, did: int, ecu: int | None = None) -> core.Response:
        """UDS ``ReadDataByIdentifier`` (0x22) for ``did``; the :class:`Response` holds the
        decoded value where the table knows the DID, else a negative response or notice."""
        if not 0 <= did <= 0xFFFF:
            raise ArgumentError(f"a DID is 16 bits: {did!r}")
        return await self.request(f"22{did:04X}", ecu=ecu)

    async def voltage(self) -> float | None:
        """The battery voltage the adapter measures (``ATRV``), None if unreadable."""
        text = " ".join((await self.command("ATRV")).lines).upper().rstrip("V")
        try:
            return float(text)
        except ValueError:
            return None


def _field(table: PidTable, name: str):
    """The table field called ``name``; :class:`TableError` naming close matches."""
    try:
        return table.by_name(name)
    except KeyError:
        close = difflib.get_close_matches(name.upper(), [f.name for f in table], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise TableError(f"no value called {name!r}{hint}") from None


def _header_ecu(fields) -> int | None:
    """The answering ECU of a PID whose table row gives a request header (``7E0`` ->
    7E8, ``18DA10F1``/``DA10F1`` -> 18DAF110), None without one."""
    header = next((f.header for f in fields if f.header), "")
    if len(header) == 3:
        return int(header, 16) + 8
    if len(header) in (6, 8):
        target = int(header[-4:-2], 16)
        return 0x18DAF100 | target
    return None


def _live_field(table: PidTable, name: str):
    """The field called ``name`` if :meth:`Client.stream` can poll it, else :class:`TableError`."""
    definition = _field(table, name)
    if definition.mode not in (1, 0x22):
        raise TableError(f"{name} is not a live value (Mode {definition.mode:02X})")
    return definition


def check_live_names(names: Iterable[str], table: PidTable | None = None) -> None:
    """Raises :class:`TableError` (naming close matches) unless :meth:`Client.stream` can
    poll every name in ``table`` (default: the standard one). Lets a caller refuse a typo
    before a connection that may take seconds."""
    table = table or PidTable.standard()
    for name in names:
        _live_field(table, name)


def _rate(rates, names: list[str]) -> float:
    """The refresh rate (Hz) of a PID carrying ``names``; :class:`ArgumentError` if negative."""
    if rates is None:
        hz = max(default_rate(name) for name in names)
    elif isinstance(rates, dict):
        hz = max(float(rates.get(name, default_rate(name))) for name in names)
    else:
        hz = float(rates)
    if not hz >= 0:  # also refuses NaN
        raise ArgumentError(f"a refresh rate is a number of Hz >= 0, not {hz} ({', '.join(names)})")
    return hz


def _groups(items: list[PollItem], size: int) -> list[list[PollItem]]:
    """Items cut into requests of at most ``size`` PIDs, one mode per request."""
    groups: list[list[PollItem]] = []
    for item in items:
        if groups and groups[-1][0].mode == item.mode == 1 and len(groups[-1]) < size:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups
