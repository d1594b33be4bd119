"""The ELM327 session over any transport: connect, identify, find the bus, ask, recover.

:class:`Session` owns one transport and one :class:`~obdcore.link.ElmLink`; every
exchange has a deadline, and a failed one climbs a recovery ladder: resynchronise on the
prompt (``ATI`` interrupts a busy adapter and answers an idle one), re-initialise the
adapter, reopen the link with backoff. Each step is reported as a :class:`StateEvent`.
The OBD services built on it live in :mod:`obdcore.client`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from obdcore._backend import core
from obdcore.adapter import (
    FALLBACK_ORDER,
    AdapterInfo,
    functional_header,
    identity_line,
    looks_like_adapter,
    physical_header,
    probes_for,
    protocol_from_dpn,
)
from obdcore.errors import (
    AdapterTimeout,
    LinkError,
    LinkLost,
    NotAnAdapter,
    NoVehicle,
)
from obdcore.kinds import Kind
from obdcore.link import Answer, ElmLink
from obdcore.memory import Memory, Remembered
from obdcore.protocols import ISO, J1850, protocol_family
from obdcore.transports import Transport, transport_for

# Adapter settings every connection makes: no echo, no linefeeds, no spaces (a third fewer
# bytes on a 38,400-baud link), headers on (answers attributed to their ECU).
SETUP_COMMANDS = ("ATE0", "ATL0", "ATS0", "ATH1")
# Answers worth asking again: the request or its answer was damaged on the way.
TRANSIENT = frozenset({
    Kind.STOPPED, Kind.BUFFER_FULL, Kind.CAN_ERROR, Kind.BUS_ERROR, Kind.BUS_BUSY,
    Kind.RX_ERROR, Kind.DATA_ERROR, Kind.FB_ERROR, Kind.UNPARSEABLE, Kind.CHECKSUM_ERROR,
    Kind.UNKNOWN_COMMAND, Kind.LINE_TOO_LONG, Kind.ISOTP_MISSING_FRAME,
    Kind.ISOTP_DUPLICATE_FRAME, Kind.ISOTP_UNEXPECTED_FRAME, Kind.ISOTP_INCOMPLETE,
    Kind.ISOTP_BAD_FRAME,
})
# While probing protocols, only damage is worth a second try: CAN ERROR or NO DATA there
# mean "not this protocol".
PROBE_RETRY = TRANSIENT - {Kind.CAN_ERROR, Kind.BUS_ERROR, Kind.UNKNOWN_COMMAND}
# Signs that the adapter reset itself (power dip): its settings are gone.
RESET_SIGNS = frozenset({Kind.IDENTITY, Kind.LOW_VOLTAGE_RESET})
BAUD_CANDIDATES = (38400, 9600, 115200, 230400, 57600, 500000, 19200, 1000000, 2000000)
MAX_RETRIES = 3
_RECONNECT_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)
_FOUND, _SILENT, _WRONG = "found", "silent", "wrong"  # outcomes of a protocol probe


def _answer_began(received: bytes, command: str) -> bool:
    """True once something other than the echoed command arrived, unless the adapter is
    still searching for the protocol or initialising the bus (seconds of silence there
    are normal)."""
    if b"SEARCHING" in received or b"BUS INIT" in received:
        return False
    return bool(received.replace(command.encode("ascii"), b"").strip(b"\r\n\x00 "))


class State(StrEnum):
    """Connection states reported through :class:`StateEvent`."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RETRYING = "retrying"
    RESYNCING = "resyncing"
    REINITIALISING = "reinitialising"
    RECONNECTING = "reconnecting"
    RECOVERED = "recovered"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass(frozen=True)
class StateEvent:
    """A change of connection state: ``state``, a readable ``detail``, the clock ``at``."""

    state: State
    detail: str
    at: float


@dataclass(frozen=True)
class Timeouts:
    """Deadlines in seconds. ``quiet_s``: silence after an answer began that means its
    prompt got lost; ``recover_s``: the whole budget of one call, recovery included."""

    command_s: float = 1.0
    reset_s: float = 3.0
    request_s: float = 1.5
    search_s: float = 15.0
    quiet_s: float = 0.4
    recover_s: float = 5.0
    detect_baud_s: float = 0.15


@dataclass
class Stats:
    """Counters for diagnostics and tests."""

    requests: int = 0
    retries: int = 0
    recoveries: int = 0
    reconnects: int = 0
    timeouts: int = 0


@dataclass
class _Deadline:
    at: float
    clock: Callable[[], float] = field(default=time.monotonic)

    @property
    def left(self) -> float:
        return self.at - self.clock()


class Session:
    """One adapter, connected through ``device`` (a URL or a :class:`Transport`).

    ``protocol``: force a protocol number instead of detecting it; ``memory``: where the
    last working set-up is remembered (None: nowhere); ``on_event``: called with every
    :class:`StateEvent`; ``table``: the PID table for decoding.
    """

    def __init__(self, device: str | Transport, *, protocol: str | None = None,
                 baud: int | None = None, memory: Memory | None = None,
                 timeouts: Timeouts | None = None, table=None,
                 on_event: Callable[[StateEvent], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.transport = device if isinstance(device, Transport) else transport_for(device, baud)
        self.device = self.transport.url
        self.timeouts = timeouts or Timeouts()
        self.memory = memory
        self.table = table
        self.clock = clock
        self.on_event = on_event
        self.forced_protocol = protocol
        self.link = ElmLink()
        self.adapter = AdapterInfo()
        self.protocol: str | None = None
        self.ecus: list[int] = []
        self.supported: dict[int, set[int]] = {}  # ECU -> Mode 01 PIDs
        self.latency_s: float | None = None
        self.tried_protocols: list[str] = []  # this connection's protocol probes, in order
        self.events: deque[StateEvent] = deque(maxlen=1000)
        self.stats = Stats()
        self._decoder = None
        self._header: str | None = None
        self._needs_resync = False
        self._lock = asyncio.Lock()
        self._connected = False

    # ================================================================== lifecycle

    async def connect(self) -> None:
        """Opens the link and brings adapter and bus up. Raises :class:`DeviceNotFound`,
        :class:`NotAnAdapter`, :class:`NoVehicle` or another :class:`LinkError`."""
        self._emit(State.CONNECTING, self.device)
        await self._open_transport()
        try:
            await self._first_initialise()
        except BaseException:
            await self.transport.close()
            raise
        self._connected = True
        self._emit(State.CONNECTED, f"{self.adapter.identity}, protocol {self.protocol}, "
                                    f"ECUs {', '.join(f'{e:X}' for e in self.ecus)}")

    async def close(self) -> None:
        """Closes the link (safe to call twice)."""
        if self._connected:
            self._connected = False
            self._emit(State.CLOSED, self.device)
        await self.transport.close()

    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def decoder(self):
        """The decoder for the bus in use (CAN 11-bit until a protocol is found)."""
        if self._decoder is None:
            self._decoder = core.Decoder(self.protocol or "6", headers=True, table=self.table)
        return self._decoder

    # ================================================================== requests

    async def command(self, command: str, timeout: float | None = None) -> Answer:
        """Sends an adapter command (``ATRV``) and returns its answer, recovering from a
        lost prompt once. Raises :class:`LinkError` subclasses."""
        async with self._lock:
            return await self._with_recovery(
                lambda left: self._exchange(command, min(left, timeout or self.timeouts.command_s)))

    async def request(self, request: str, *, ecu: int | None = None,
                      answers: int | None = None, timeout: float | None = None):
        """Sends an OBD request (hex, ``"010C0D"``) and returns the decoded
        :class:`~obdcore.Response`.

        ``ecu``: address that ECU alone (physical addressing, one answer expected);
        ``answers``: how many ECUs will answer a broadcast (lets the adapter return early).
        Damaged answers are asked again; a lost prompt or link is recovered from within
        ``Timeouts.recover_s``. Raises :class:`LinkError` subclasses when that fails.
        """
        async with self._lock:
            self.stats.requests += 1
            wire = request + self._count_suffix(1 if ecu is not None else answers)
            limit = timeout or self.timeouts.request_s
            return await self._with_recovery(lambda left: self._ask(wire, ecu, min(left, limit)))

    async def _ask(self, wire: str, ecu: int | None, timeout: float):
        """One OBD exchange and its decoding, asked again while the answer is damaged.
        The header is checked before every try: a re-initialised adapter forgot it."""
        for attempt in range(MAX_RETRIES + 1):
            await self._address(ecu)
            answer = await self._exchange(wire, timeout, quiet=True)
            response = self.decoder.decode(answer.text, request=wire)
            kinds = {notice.kind for notice in response.notices}
            if kinds & RESET_SIGNS or any(r.ecu < 0 for r in response.readings):
                await self._reinitialise("the adapter reset itself")
                continue
            damage = sorted(kinds & TRANSIENT) + (["no prompt"] if answer.truncated else [])
            if not damage or attempt == MAX_RETRIES:
                return response
            self.stats.retries += 1
            self._emit(State.RETRYING, f"{wire}: {', '.join(damage)}")
        return response

    def _count_suffix(self, count: int | None) -> str:
        if count is None or not 0 < count < 16 or not self.adapter.counts_answers:
            return ""
        return f"{count:X}"

    async def _address(self, ecu: int | None) -> None:
        """Points requests at ``ecu`` alone, or at every ECU when None (``ATSH``)."""
        if self.protocol is None:
            return
        header = (physical_header(ecu, self.protocol) if ecu is not None
                  else functional_header(self.protocol))
        if header is None or header == self._header:
            return
        answer = await self._exchange(f"ATSH{header}", self.timeouts.command_s)
        if "OK" in answer.lines:
            self._header = header

    # ================================================================== exchanges

    async def _exchange(self, command: str, timeout: float, quiet: bool = False) -> Answer:
        """Writes ``command`` and reads up to its prompt, for at most ``timeout`` seconds.

        ``quiet``: an OBD request, whose answer lines come without long gaps; once an
        answer began, ``quiet_s`` of silence means its prompt got lost, and the answer is
        returned as it is (flagged ``truncated``; the next exchange resynchronises first).
        Raises :class:`AdapterTimeout` when nothing usable came, :class:`LinkLost` when
        the link went away."""
        if self._needs_resync:
            await self._resync()
        self.link.stray_bytes += len(self.transport.discard_input())
        await self.transport.write(self.link.start(command, self.clock()))
        deadline = self.clock() + timeout
        received = bytearray()
        while True:
            wait = deadline - self.clock()
            began = quiet and _answer_began(received, command)
            if began:
                wait = min(wait, self.timeouts.quiet_s)
            if wait <= 0:
                return self._no_prompt(command, timeout)
            try:
                data = await self.transport.read(wait)
            except LinkLost:
                self.link.abandon()
                raise
            if not data:
                if began:
                    return self._no_prompt(command, timeout)
                continue
            if len(received) < 256:  # enough to see what kind of answer it is
                received += data[:256]
            answer = self.link.receive(data, self.clock())
            if answer is not None:
                return answer

    def _no_prompt(self, command: str, timeout: float) -> Answer:
        started = self.clock() - timeout
        partial = self.link.abandon()
        self._needs_resync = True
        self.stats.timeouts += 1
        if not partial.strip(b"\r\n\x00 "):
            raise AdapterTimeout(f"{self.device}: no answer to {command} "
                                 f"within {timeout:.1f} s")
        return Answer(command, partial.replace(b"\x00", b"").decode("latin-1"), started,
                      self.clock(), truncated=True)

    async def _with_recovery(self, call):
        """Runs ``call(seconds_left)``; on a timeout or a lost link climbs the recovery
        ladder and calls again, all within ``Timeouts.recover_s``."""
        deadline = _Deadline(self.clock() + self.timeouts.recover_s, self.clock)
        while True:
            try:
                return await call(max(0.05, deadline.left))
            except AdapterTimeout as exc:
                await self._recover(str(exc), deadline, lost=False)
            except LinkLost as exc:
                await self._recover(str(exc), deadline, lost=True)

    async def _recover(self, reason: str, deadline: _Deadline, lost: bool) -> None:
        steps = [self._reconnect] if lost else [self._resync, self._reinitialise,
                                                 self._reconnect]
        error: LinkError | None = None
        for step in steps:
            if deadline.left <= 0:
                break
            try:
                await asyncio.wait_for(step(reason), max(0.05, deadline.left))
            except (LinkError, TimeoutError) as exc:
                error = exc if isinstance(exc, LinkError) else AdapterTimeout(str(exc))
                continue
            self.stats.recoveries += 1
            self._emit(State.RECOVERED, reason)
            return
        self._emit(State.FAILED, reason)
        detail = f" (last error: {error})" if error else ""
        raise (error.__class__ if error else AdapterTimeout)(
            f"{self.device}: could not recover within {self.timeouts.recover_s:.0f} s "
            f"from: {reason}{detail}")

    async def _resync(self, reason: str = "") -> None:
        """Gets back in step with the adapter: ``ATI`` interrupts a busy adapter
        (``STOPPED``) or is answered by an idle one; everything up to the last prompt is
        dropped. Raises :class:`AdapterTimeout` when no prompt comes."""
        self._emit(State.RESYNCING, reason or "lost the prompt")
        self._needs_resync = False
        self.link.abandon()
        self.transport.discard_input()
        await self.transport.write(b"ATI\r")
        seen, deadline = bytearray(), self.clock() + self.timeouts.command_s
        while b">" not in seen:
            if self.clock() >= deadline:
                self._needs_resync = True
                raise AdapterTimeout(f"{self.device}: no prompt while resynchronising")
            seen += await self.transport.read(deadline - self.clock())
        await self._drain()

    async def _drain(self, quiet: float = 0.1) -> None:
        """Reads until the adapter has been silent for ``quiet`` seconds."""
        while await self.transport.read(quiet):
            pass

    async def _reinitialise(self, reason: str = "") -> None:
        self._emit(State.REINITIALISING, reason)
        await self._initialise(identify=False)

    async def _reconnect(self, reason: str = "") -> None:
        """Reopens the transport, with backoff, and re-initialises the adapter."""
        error: Exception | None = None
        for delay in _RECONNECT_DELAYS_S:
            self._emit(State.RECONNECTING, reason)
            self.stats.reconnects += 1
            await self.transport.close()
            await asyncio.sleep(delay)
            try:
                await self.transport.open()
                self.link.abandon()
                self._needs_resync = False
                await self._initialise(identify=False)
                return
            except (LinkError, TimeoutError) as exc:
                error = exc
        raise LinkLost(f"{self.device}: reconnecting failed: {error}")

    # ================================================================== bringing it up

    async def _open_transport(self) -> None:
        await self.transport.open()
        if self.transport.baud_adjustable:
            await self._detect_baud()

    async def _detect_baud(self) -> None:
        """Finds the adapter's serial speed: at each candidate rate, ``ATI`` must bring
        back a prompt within ``detect_baud_s`` (at a wrong rate the chip sees garbage and
        stays silent or prints noise). Not an empty line: that would repeat the last
        command, which may have been a clear-codes request. The remembered rate is tried
        first, then the current one, then the common ones."""
        remembered = self.memory.recall(self.device) if self.memory else None
        first = [remembered.baud] if remembered and remembered.baud else []
        current = getattr(self.transport, "baud", None)
        for baud in dict.fromkeys(first + [current] + list(BAUD_CANDIDATES)):
            if baud is None:
                continue
            await self.transport.set_baud(baud)
            await self.transport.write(b"ATI\r")
            seen, deadline = bytearray(), self.clock() + self.timeouts.detect_baud_s
            while self.clock() < deadline and b">" not in seen:
                seen += await self.transport.read(deadline - self.clock())
            if b">" in seen:
                await self._drain(0.05)
                return
        raise NotAnAdapter(f"{self.device}: no ELM327 prompt at any of "
                           f"{', '.join(map(str, BAUD_CANDIDATES))} baud")

    async def _first_initialise(self) -> None:
        """Initialises the adapter, reopening the link if it drops meanwhile (a flaky
        Bluetooth or Wi-Fi dongle often does just after connecting)."""
        for delay in _RECONNECT_DELAYS_S[:3]:
            try:
                await self._initialise(identify=True)
                return
            except LinkLost as exc:
                self._emit(State.RECONNECTING, str(exc))
                await self.transport.close()
                await asyncio.sleep(delay)
                await self.transport.open()
        await self._initialise(identify=True)

    async def _initialise(self, identify: bool) -> None:
        self._header = None
        await self._reset()
        for command in SETUP_COMMANDS:
            await self._setting(command)
        if identify:
            await self._identify()
        await self._setting("ATAT1")  # adaptive timing, within the ATST set below
        await self._open_bus()
        await self._tune_timeout()

    async def _reset(self) -> None:
        """Warm start (``ATWS``), or a full ``ATZ`` where the adapter lacks it."""
        answer = await self._plain("ATWS", self.timeouts.reset_s)
        if "?" in answer.lines or not looks_like_adapter(answer.text):
            answer = await self._plain("ATZ", self.timeouts.reset_s)
        if not looks_like_adapter(answer.text):
            raise NotAnAdapter(f"{self.device} answered {answer.text.strip()[:40]!r} to a "
                               "reset: not an ELM327-compatible adapter")
        self.adapter.identity = identity_line(answer.lines, answer.command)

    async def _plain(self, command: str, timeout: float) -> Answer:
        """One exchange without recovery. Silence before the adapter identified itself
        means it is no adapter (:class:`NotAnAdapter`); after, a plain timeout."""
        try:
            return await self._exchange(command, timeout)
        except AdapterTimeout:
            if self.adapter.identity:
                raise
            raise NotAnAdapter(f"{self.device}: no ELM327 prompt after {command} "
                               f"within {timeout:.1f} s") from None

    async def _setting(self, command: str) -> bool:
        """Sends a setting; True when the adapter said ``OK``."""
        answer = await self._plain(command, self.timeouts.command_s)
        return "OK" in answer.lines

    async def _identify(self) -> None:
        """Device description, STN chip, and the probes that unmask clones."""
        info = self.adapter
        info.missing.clear()
        for probe in probes_for(info.version):
            answer = await self._plain(probe, self.timeouts.command_s)
            if "?" in answer.lines:
                info.missing.append(probe)
            elif probe == "AT@1" and answer.lines:
                info.device = answer.lines[-1]
        stn = await self._plain("STI", self.timeouts.command_s)
        if "?" not in stn.lines and stn.lines:
            info.stn = stn.lines[-1]
            device = await self._plain("STDI", self.timeouts.command_s)
            if "?" not in device.lines and device.lines:
                info.device = device.lines[-1]

    async def _open_bus(self) -> None:
        """Finds the car's protocol: forced, else last known (this session or the
        memory), else :data:`FALLBACK_ORDER`. Raises :class:`NoVehicle`."""
        remembered = self.memory.recall(self.device) if self.memory else None
        if self.forced_protocol:
            order = [self.forced_protocol]
        else:
            known = [self.protocol or (remembered.protocol if remembered else None)]
            order = [p for p in dict.fromkeys(known + list(FALLBACK_ORDER)) if p]
        silent = []
        for candidate in order:
            outcome = await self._try_protocol(candidate)
            if outcome == _FOUND:
                self._remember()
                return
            if outcome == _SILENT:
                silent.append(candidate)
        # NO DATA is ambiguous (a bus nobody answers on, or ECUs still waking up): the
        # candidates that gave it get a few more tries before the car is declared absent.
        for _round in range(MAX_RETRIES):
            for candidate in silent:
                if await self._try_protocol(candidate) == _FOUND:
                    self._remember()
                    return
        raise NoVehicle(f"{self.device}: the adapter answers but no vehicle does on "
                        f"protocols {', '.join(order)} (is the ignition on?)")

    async def _try_protocol(self, candidate: str) -> str:
        """Selects ``candidate`` (``0``: the adapter's own search) and asks ``0100``.
        Returns ``_FOUND``, ``_SILENT`` (NO DATA: maybe) or ``_WRONG``."""
        self.tried_protocols.append(candidate)
        await self._setting(f"ATSP{candidate}")
        slow = candidate == "0" or protocol_family(candidate) in (J1850, ISO)
        outcome = _WRONG
        for _attempt in range(MAX_RETRIES):
            try:
                answer = await self._exchange("0100", self.timeouts.search_s if slow
                                              else self.timeouts.request_s)
            except AdapterTimeout:
                await self._resync("no answer while probing a protocol")
                continue
            number = candidate
            if candidate == "0":
                number = protocol_from_dpn((await self._plain("ATDPN", 1.0)).text)
                if number is None:
                    return _SILENT
            self._use_protocol(number)
            response = self.decoder.decode(answer.text, request="0100")
            bitmaps = [r for r in response.readings if r.name == "PIDS_A"]
            if bitmaps:
                self.ecus = sorted({r.ecu for r in bitmaps})
                self.supported = {r.ecu: set(r.value) for r in bitmaps}
                self.latency_s = answer.elapsed
                return _FOUND
            kinds = {notice.kind for notice in response.notices}
            outcome = _SILENT if Kind.NO_DATA in kinds else _WRONG
            if not kinds & PROBE_RETRY:
                break
        return outcome

    def _use_protocol(self, number: str) -> None:
        if number != self.protocol:
            self.protocol = number
            self._decoder = None

    async def _tune_timeout(self) -> None:
        """Measures the ECUs' answer time with a counted ``0100`` and sets ``ATST`` to
        twice that plus 20 ms (4 ms steps, between 40 and 200 ms), so a request nobody
        answers costs that, not the default 200 ms."""
        if not self.adapter.counts_answers or len(self.ecus) > 15:
            return
        try:
            answer = await self._plain("0100" + self._count_suffix(len(self.ecus)),
                                       self.timeouts.request_s)
        except AdapterTimeout:  # tuning is a refinement: keep the adapter's default
            await self._resync("no answer while measuring latency")
            return
        self.latency_s = answer.elapsed
        steps = min(0x32, max(0x0A, math.ceil((2 * answer.elapsed + 0.02) / 0.004)))
        await self._setting(f"ATST{steps:02X}")

    def _remember(self) -> None:
        if self.memory is None or self.protocol is None:
            return
        baud = getattr(self.transport, "baud", None) if self.transport.baud_adjustable else None
        self.memory.remember(self.device, Remembered(protocol=self.protocol, baud=baud,
                                                     latency_s=self.latency_s))

    # ================================================================== events

    def _emit(self, state: State, detail: str) -> None:
        event = StateEvent(state, detail, self.clock())
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)


__all__ = ["Session", "State", "StateEvent", "Stats", "Timeouts"]
