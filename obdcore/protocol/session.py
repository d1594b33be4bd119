"""The ELM327 session as a sans-I/O state machine: bytes and a clock in, actions out.

:class:`SessionMachine` holds everything a connection learns (the adapter, the bus, the
answering ECUs, the measured latency) and the logic that gets there and keeps it working:
initialisation, the probes that unmask clones, the protocol search, ``ATST`` latency
tuning, retries of damaged answers, and the recovery ladder (resynchronise on the prompt,
re-initialise the adapter, reopen the link with backoff). It never touches a device, a
socket, a clock or a sleep.

Each public call (:meth:`SessionMachine.connect`, :meth:`~SessionMachine.request`...)
returns a *procedure*: a generator that yields :data:`Action` objects and is resumed with
an :class:`Input` once the action is done::

    procedure = machine.request("010C", now=clock())
    action = next(procedure)
    while True:                       # until StopIteration carries the result
        ...perform the action...      # Send: write; Wait: read until action.until...
        action = procedure.send(Input(clock(), data_read))

A :class:`~obdcore.errors.LinkError` raised while performing an action (the link went
away, a reopen failed) is thrown into the procedure (``procedure.throw(exc)``), which
recovers from it or lets it out. The asyncio driver in :mod:`obdcore.io.driver` does
exactly this; the tests drive it with scripted adapter bytes and a fake clock (like h11
for HTTP, or the simulator's ``Firmware.feed(data, now)`` on the other side of the link).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from obdcore.errors import AdapterTimeout, LinkError, LinkLost, NotAnAdapter, NoVehicle
from obdcore.protocol._backend import core
from obdcore.protocol.adapter import (
    FALLBACK_ORDER,
    AdapterInfo,
    functional_header,
    identity_line,
    looks_like_adapter,
    physical_header,
    probes_for,
    protocol_from_dpn,
)
from obdcore.protocol.framer import Answer, ElmFramer
from obdcore.protocol.kinds import Kind
from obdcore.protocol.protocols import ISO, J1850, protocol_family

# Adapter settings every connection makes: no echo, no linefeeds, no spaces (a third fewer
# bytes on a 38,400-baud link), headers on (answers attributed to their ECU).
SETUP_COMMANDS = ("ATE0", "ATL0", "ATS0", "ATH1")
# Answers worth asking again: the request or its answer was damaged on the way.
TRANSIENT = frozenset(
    {
        Kind.STOPPED,
        Kind.BUFFER_FULL,
        Kind.CAN_ERROR,
        Kind.BUS_ERROR,
        Kind.BUS_BUSY,
        Kind.RX_ERROR,
        Kind.DATA_ERROR,
        Kind.FB_ERROR,
        Kind.UNPARSEABLE,
        Kind.CHECKSUM_ERROR,
        Kind.UNKNOWN_COMMAND,
        Kind.LINE_TOO_LONG,
        Kind.ISOTP_MISSING_FRAME,
        Kind.ISOTP_DUPLICATE_FRAME,
        Kind.ISOTP_UNEXPECTED_FRAME,
        Kind.ISOTP_INCOMPLETE,
        Kind.ISOTP_BAD_FRAME,
    }
)
# While probing protocols, only damage is worth a second try: CAN ERROR or NO DATA there
# mean "not this protocol".
PROBE_RETRY = TRANSIENT - {Kind.CAN_ERROR, Kind.BUS_ERROR, Kind.UNKNOWN_COMMAND}
# Signs that the adapter reset itself (power dip): its settings are gone.
RESET_SIGNS = frozenset({Kind.IDENTITY, Kind.LOW_VOLTAGE_RESET})
BAUD_CANDIDATES = (38400, 9600, 115200, 230400, 57600, 500000, 19200, 1000000, 2000000)
MAX_RETRIES = 3
RECONNECT_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)
MIN_STEP_S = 0.05  # the least time a recovery step or a call is given, however late it is
_FOUND, _SILENT, _WRONG = "found", "silent", "wrong"  # outcomes of a protocol probe

T = TypeVar("T")


# ============================================================================ what goes in and out


@dataclass(frozen=True)
class Input:
    """What the driver sends back into a procedure once an action is done: its clock
    ``now`` (seconds, any monotonic origin) and, for :class:`Wait` and :class:`Discard`,
    the bytes received or dropped."""

    now: float
    data: bytes = b""


@dataclass(frozen=True)
class Send:
    """Write ``data`` to the adapter."""

    data: bytes


@dataclass(frozen=True)
class Wait:
    """Return whatever the adapter sent as soon as anything is there, or ``b""`` once the
    clock reaches ``until``."""

    until: float


@dataclass(frozen=True)
class Pause:
    """Do nothing until the clock reaches ``until`` (the backoff between reconnections)."""

    until: float


@dataclass(frozen=True)
class Discard:
    """Drop the received bytes nobody read yet, and report them in ``Input.data``."""


@dataclass(frozen=True)
class Open:
    """Open the link (again)."""


@dataclass(frozen=True)
class Close:
    """Close the link (must not fail)."""


@dataclass(frozen=True)
class SetBaud:
    """Switch the serial line to ``baud`` bits/s."""

    baud: int


@dataclass(frozen=True)
class Remembered:
    """One device's last working set-up: what the next connection tries first."""

    protocol: str
    baud: int | None = None
    latency_s: float | None = None


@dataclass(frozen=True)
class Remember:
    """Store ``entry`` as the device's working set-up (the driver's adapter memory)."""

    entry: Remembered


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
    """A change of connection state: ``state``, a readable ``detail``, the clock ``at``.
    Also an action: the driver passes it on to whoever listens."""

    state: State
    detail: str
    at: float


Action = Send | Wait | Pause | Discard | Open | Close | SetBaud | Remember | StateEvent
Procedure = Generator[Action, Input, T]

_DISCARD, _OPEN, _CLOSE = Discard(), Open(), Close()


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


class _OutOfTime(AdapterTimeout):
    """A recovery step used up the call's budget (never caught inside a step)."""


def _answer_began(received: bytes, command: str) -> bool:
    """True once something other than the echoed command arrived, unless the adapter is
    still searching for the protocol or initialising the bus (seconds of silence there
    are normal)."""
    if b"SEARCHING" in received or b"BUS INIT" in received:
        return False
    return bool(received.replace(command.encode("ascii"), b"").strip(b"\r\n\x00 "))


# ============================================================================ the machine


class SessionMachine:
    """One adapter's session, sans I/O (see the module docstring for how to drive it).

    ``device``: the device's name in messages and in the adapter memory; ``protocol``:
    force a protocol number instead of detecting it; ``table``: the PID table for
    decoding; ``remembered``: the device's last working set-up (None: nothing known);
    ``baud_adjustable``/``baud``: a real UART whose speed must be found, and its current
    rate. One procedure at a time: the driver serialises calls.
    """

    def __init__(
        self,
        device: str,
        *,
        protocol: str | None = None,
        timeouts: Timeouts | None = None,
        table=None,
        remembered: Remembered | None = None,
        baud_adjustable: bool = False,
        baud: int | None = None,
    ):
        self.device = device
        self.timeouts = timeouts or Timeouts()
        self.table = table
        self.forced_protocol = protocol
        self.remembered = remembered
        self.baud_adjustable = baud_adjustable
        self.baud = baud
        self.framer = ElmFramer()
        self.adapter = AdapterInfo()
        self.protocol: str | None = None
        self.ecus: list[int] = []
        self.supported: dict[int, set[int]] = {}  # ECU -> Mode 01 PIDs
        self.latency_s: float | None = None
        self.tried_protocols: list[str] = []  # this connection's protocol probes, in order
        self.events: deque[StateEvent] = deque(maxlen=1000)
        self.stats = Stats()
        self.connected = False
        self.now = 0.0  # the clock of the last input
        self._decoder = None
        self._header: str | None = None
        self._needs_resync = False
        self._budget: float | None = None  # a recovery step must be done by then

    @property
    def decoder(self):
        """The decoder for the bus in use (CAN 11-bit until a protocol is found)."""
        if self._decoder is None:
            self._decoder = core.Decoder(self.protocol or "6", headers=True, table=self.table)
        return self._decoder

    # ================================================================== procedures

    def connect(self, now: float) -> Procedure[None]:
        """Opens the link and brings adapter and bus up. Raises
        :class:`~obdcore.errors.NotAnAdapter`, :class:`~obdcore.errors.NoVehicle` or
        another :class:`~obdcore.errors.LinkError`; the driver closes the link then."""
        self.now = now
        yield from self._emit(State.CONNECTING, self.device)
        yield from self._do(_OPEN)
        if self.baud_adjustable:
            yield from self._detect_baud()
        yield from self._first_initialise()
        self.connected = True
        yield from self._emit(
            State.CONNECTED,
            f"{self.adapter.identity}, protocol "
            f"{self.protocol}, ECUs "
            f"{', '.join(f'{e:X}' for e in self.ecus)}",
        )

    def close(self, now: float) -> Procedure[None]:
        """Closes the link (safe to call twice)."""
        self.now = now
        if self.connected:
            self.connected = False
            yield from self._emit(State.CLOSED, self.device)
        yield from self._do(_CLOSE)

    def command(self, command: str, now: float, timeout: float | None = None) -> Procedure[Answer]:
        """Sends an adapter command (``ATRV``) and returns its :class:`Answer`, recovering
        within ``Timeouts.recover_s``. Raises :class:`~obdcore.errors.LinkError`
        subclasses."""
        self.now = now
        limit = timeout or self.timeouts.command_s
        return (
            yield from self._with_recovery(lambda left: self._exchange(command, min(left, limit)))
        )

    def request(
        self,
        request: str,
        now: float,
        *,
        ecu: int | None = None,
        answers: int | None = None,
        timeout: float | None = None,
    ) -> Procedure:
        """Sends an OBD request (hex, ``"010C0D"``) and returns the decoded
        :class:`~obdcore.Response`.

        ``ecu``: address that ECU alone (physical addressing, one answer expected);
        ``answers``: how many ECUs will answer a broadcast (lets the adapter return early).
        Damaged answers are asked again; a lost prompt or link is recovered from within
        ``Timeouts.recover_s``. Raises :class:`~obdcore.errors.LinkError` subclasses.
        """
        self.now = now
        self.stats.requests += 1
        wire = request + self._count_suffix(1 if ecu is not None else answers)
        limit = timeout or self.timeouts.request_s
        return (yield from self._with_recovery(lambda left: self._ask(wire, ecu, min(left, limit))))

    def reconnect(self, now: float, reason: str) -> Procedure[None]:
        """Reopens the link with backoff and re-initialises the adapter (a persistent
        stream that lost the car). Raises :class:`~obdcore.errors.LinkLost`."""
        self.now = now
        yield from self._reconnect(reason)
        yield from self._emit(State.RECOVERED, reason)

    def interrupt(self) -> None:
        """The driver abandoned a procedure midway (its task was cancelled): the command
        it waited for is forgotten and the next exchange resynchronises first."""
        self._budget = None
        if self.framer.waiting:
            self.framer.abandon()
            self._needs_resync = True

    # ================================================================== requests

    def _ask(self, wire: str, ecu: int | None, timeout: float) -> Procedure:
        """One OBD exchange and its decoding, asked again while the answer is damaged.
        The header is checked before every try: a re-initialised adapter forgot it."""
        for attempt in range(MAX_RETRIES + 1):
            yield from self._address(ecu)
            answer = yield from self._exchange(wire, timeout, quiet=True)
            response = self.decoder.decode(answer.text, request=wire)
            kinds = {notice.kind for notice in response.notices}
            if kinds & RESET_SIGNS or any(r.ecu < 0 for r in response.readings):
                yield from self._reinitialise("the adapter reset itself")
                continue
            damage = sorted(kinds & TRANSIENT) + (["no prompt"] if answer.truncated else [])
            if not damage or attempt == MAX_RETRIES:
                return response
            self.stats.retries += 1
            yield from self._emit(State.RETRYING, f"{wire}: {', '.join(damage)}")
        return response

    def _count_suffix(self, count: int | None) -> str:
        if count is None or not 0 < count < 16 or not self.adapter.counts_answers:
            return ""
        return f"{count:X}"

    def _address(self, ecu: int | None) -> Procedure[None]:
        """Points requests at ``ecu`` alone, or at every ECU when None (``ATSH``)."""
        if self.protocol is None:
            return
        header = (
            physical_header(ecu, self.protocol)
            if ecu is not None
            else functional_header(self.protocol)
        )
        if header is None or header == self._header:
            return
        answer = yield from self._exchange(f"ATSH{header}", self.timeouts.command_s)
        if "OK" in answer.lines:
            self._header = header

    # ================================================================== exchanges

    def _exchange(self, command: str, timeout: float, quiet: bool = False) -> Procedure[Answer]:
        """Writes ``command`` and reads up to its prompt, for at most ``timeout`` seconds.

        ``quiet``: an OBD request, whose answer lines come without long gaps; once an
        answer began, ``quiet_s`` of silence means its prompt got lost, and the answer is
        returned as it is (flagged ``truncated``; the next exchange resynchronises first).
        Raises :class:`AdapterTimeout` when nothing usable came, :class:`LinkLost` when
        the link went away."""
        if self._needs_resync:
            yield from self._resync()
        dropped = yield from self._do(_DISCARD)
        self.framer.stray_bytes += len(dropped.data)
        yield from self._do(Send(self.framer.start(command, self.now)))
        deadline = self.now + timeout
        received = bytearray()
        while True:
            until = deadline
            began = quiet and _answer_began(received, command)
            if began:
                until = min(until, self.now + self.timeouts.quiet_s)
            if until <= self.now:
                return self._no_prompt(command, timeout)
            data = yield from self._receive(until)
            if not data:
                if began:
                    return self._no_prompt(command, timeout)
                continue
            if len(received) < 256:  # enough to see what kind of answer it is
                received += data[:256]
            answer = self.framer.receive(data, self.now)
            if answer is not None:
                return answer

    def _receive(self, until: float) -> Procedure[bytes]:
        """What arrived by ``until`` for the waiting command; the framer forgets the
        command when the link goes."""
        try:
            return (yield from self._wait(until)).data
        except LinkLost:
            self.framer.abandon()
            raise

    def _no_prompt(self, command: str, timeout: float) -> Answer:
        started = self.now - timeout
        partial = self.framer.abandon()
        self._needs_resync = True
        self.stats.timeouts += 1
        if not partial.strip(b"\r\n\x00 "):
            raise AdapterTimeout(f"{self.device}: no answer to {command} within {timeout:.1f} s")
        return Answer(
            command,
            partial.replace(b"\x00", b"").decode("latin-1"),
            started,
            self.now,
            truncated=True,
        )

    def _until_prompt(self, command: str, timeout: float) -> Procedure[Answer | None]:
        """Sends ``command`` and reads through the framer up to its prompt; None (and the
        command abandoned) when no prompt came within ``timeout`` seconds."""
        yield from self._do(Send(self.framer.start(command, self.now)))
        deadline = self.now + timeout
        while self.now < deadline:
            answer = self.framer.receive((yield from self._receive(deadline)), self.now)
            if answer is not None:
                return answer
        self.framer.abandon()
        return None

    def _with_recovery(self, call: Callable[[float], Procedure[T]]) -> Procedure[T]:
        """Runs ``call(seconds_left)``; on a timeout or a lost link climbs the recovery
        ladder and calls again, all within ``Timeouts.recover_s``."""
        deadline = self.now + self.timeouts.recover_s
        while True:
            try:
                return (yield from call(max(MIN_STEP_S, deadline - self.now)))
            except AdapterTimeout as exc:
                yield from self._recover(str(exc), deadline, lost=False)
            except LinkLost as exc:
                yield from self._recover(str(exc), deadline, lost=True)

    def _recover(self, reason: str, deadline: float, lost: bool) -> Procedure[None]:
        """The recovery ladder: resynchronise, re-initialise, reconnect (a lost link goes
        straight to the last step), each step within what is left of ``deadline``.
        Raises the last step's error class when none worked."""
        steps = [self._reconnect] if lost else [self._resync, self._reinitialise, self._reconnect]
        error: LinkError | None = None
        for step in steps:
            if deadline - self.now <= 0:
                break
            self._budget = max(deadline, self.now + MIN_STEP_S)
            try:
                yield from step(reason)
            except LinkError as exc:
                error = exc
                continue
            finally:
                self._budget = None
            self.stats.recoveries += 1
            yield from self._emit(State.RECOVERED, reason)
            return
        yield from self._emit(State.FAILED, reason)
        detail = f" (last error: {error})" if error else ""
        kind = AdapterTimeout if error is None or isinstance(error, _OutOfTime) else type(error)
        raise kind(
            f"{self.device}: could not recover within {self.timeouts.recover_s:.0f} s "
            f"from: {reason}{detail}"
        )

    def _resync(self, reason: str = "") -> Procedure[None]:
        """Gets back in step with the adapter: ``ATI`` interrupts a busy adapter
        (``STOPPED``) or is answered by an idle one; everything up to the last prompt is
        dropped. Raises :class:`AdapterTimeout` when no prompt comes."""
        yield from self._emit(State.RESYNCING, reason or "lost the prompt")
        self._needs_resync = False
        self.framer.abandon()
        yield from self._do(_DISCARD)
        if (yield from self._until_prompt("ATI", self.timeouts.command_s)) is None:
            self._needs_resync = True
            raise AdapterTimeout(f"{self.device}: no prompt while resynchronising")
        yield from self._drain()

    def _drain(self, quiet: float = 0.1) -> Procedure[None]:
        """Reads until the adapter has been silent for ``quiet`` seconds."""
        while (yield from self._wait(self.now + quiet)).data:
            pass

    def _reinitialise(self, reason: str = "") -> Procedure[None]:
        yield from self._emit(State.REINITIALISING, reason)
        yield from self._initialise(identify=False)

    def _reconnect(self, reason: str = "") -> Procedure[None]:
        """Reopens the link, with backoff, and re-initialises the adapter."""
        error: Exception | None = None
        for delay in RECONNECT_DELAYS_S:
            yield from self._emit(State.RECONNECTING, reason)
            self.stats.reconnects += 1
            yield from self._do(_CLOSE)
            yield from self._pause(self.now + delay)
            try:
                yield from self._do(_OPEN)
                self.framer.abandon()
                self._needs_resync = False
                yield from self._initialise(identify=False)
                return
            except _OutOfTime:
                raise
            except LinkError as exc:
                error = exc
        raise LinkLost(f"{self.device}: reconnecting failed: {error}")

    # ================================================================== bringing it up

    def _detect_baud(self) -> Procedure[None]:
        """Finds the adapter's serial speed: at each candidate rate, ``ATI`` must bring
        back a prompt within ``detect_baud_s`` (at a wrong rate the chip sees garbage and
        stays silent or prints noise). Not an empty line: that would repeat the last
        command, which may have been a clear-codes request. The remembered rate is tried
        first, then the current one, then the common ones."""
        remembered = self.remembered
        first = [remembered.baud] if remembered and remembered.baud else []
        for baud in dict.fromkeys(first + [self.baud] + list(BAUD_CANDIDATES)):
            if baud is None:
                continue
            yield from self._do(SetBaud(baud))
            self.baud = baud
            if (yield from self._until_prompt("ATI", self.timeouts.detect_baud_s)):
                yield from self._drain(0.05)
                return
        raise NotAnAdapter(
            f"{self.device}: no ELM327 prompt at any of {', '.join(map(str, BAUD_CANDIDATES))} baud"
        )

    def _first_initialise(self) -> Procedure[None]:
        """Initialises the adapter, reopening the link if it drops meanwhile (a flaky
        Bluetooth or Wi-Fi dongle often does just after connecting)."""
        for delay in RECONNECT_DELAYS_S[:3]:
            try:
                yield from self._initialise(identify=True)
                return
            except LinkLost as exc:
                yield from self._emit(State.RECONNECTING, str(exc))
                yield from self._do(_CLOSE)
                yield from self._pause(self.now + delay)
                yield from self._do(_OPEN)
        yield from self._initialise(identify=True)

    def _initialise(self, identify: bool) -> Procedure[None]:
        self._header = None
        yield from self._reset()
        for command in SETUP_COMMANDS:
            yield from self._setting(command)
        if identify:
            yield from self._identify()
        yield from self._setting("ATAT1")  # adaptive timing, within the ATST set below
        yield from self._open_bus()
        yield from self._tune_timeout()

    def _reset(self) -> Procedure[None]:
        """Warm start (``ATWS``), or a full ``ATZ`` where the adapter lacks it."""
        answer = yield from self._plain("ATWS", self.timeouts.reset_s)
        if "?" in answer.lines or not looks_like_adapter(answer.text):
            answer = yield from self._plain("ATZ", self.timeouts.reset_s)
        if not looks_like_adapter(answer.text):
            raise NotAnAdapter(
                f"{self.device} answered {answer.text.strip()[:40]!r} to a "
                "reset: not an ELM327-compatible adapter"
            )
        self.adapter.identity = identity_line(answer.lines, answer.command)

    def _plain(self, command: str, timeout: float) -> Procedure[Answer]:
        """One exchange without recovery. Silence before the adapter identified itself
        means it is no adapter (:class:`NotAnAdapter`); after, a plain timeout."""
        try:
            return (yield from self._exchange(command, timeout))
        except _OutOfTime:
            raise
        except AdapterTimeout:
            if self.adapter.identity:
                raise
            raise NotAnAdapter(
                f"{self.device}: no ELM327 prompt after {command} within {timeout:.1f} s"
            ) from None

    def _setting(self, command: str) -> Procedure[bool]:
        """Sends a setting; True when the adapter said ``OK``."""
        answer = yield from self._plain(command, self.timeouts.command_s)
        return "OK" in answer.lines

    def _identify(self) -> Procedure[None]:
        """Device description, STN chip, and the probes that unmask clones."""
        info = self.adapter
        info.missing.clear()
        for probe in probes_for(info.version):
            answer = yield from self._plain(probe, self.timeouts.command_s)
            if "?" in answer.lines:
                info.missing.append(probe)
            elif probe == "AT@1" and answer.lines:
                info.device = answer.lines[-1]
        stn = yield from self._plain("STI", self.timeouts.command_s)
        if "?" not in stn.lines and stn.lines:
            info.stn = stn.lines[-1]
            device = yield from self._plain("STDI", self.timeouts.command_s)
            if "?" not in device.lines and device.lines:
                info.device = device.lines[-1]

    def _open_bus(self) -> Procedure[None]:
        """Finds the car's protocol: forced, else last known (this session or the
        memory), else :data:`FALLBACK_ORDER`. Raises :class:`NoVehicle`."""
        remembered = self.remembered
        if self.forced_protocol:
            order = [self.forced_protocol]
        else:
            known = [self.protocol or (remembered.protocol if remembered else None)]
            order = [p for p in dict.fromkeys(known + list(FALLBACK_ORDER)) if p]
        silent = []
        for candidate in order:
            outcome = yield from self._try_protocol(candidate)
            if outcome == _FOUND:
                yield from self._remember()
                return
            if outcome == _SILENT:
                silent.append(candidate)
        # NO DATA is ambiguous (a bus nobody answers on, or ECUs still waking up): the
        # candidates that gave it get a few more tries before the car is declared absent.
        for _round in range(MAX_RETRIES):
            for candidate in silent:
                if (yield from self._try_protocol(candidate)) == _FOUND:
                    yield from self._remember()
                    return
        raise NoVehicle(
            f"{self.device}: the adapter answers but no vehicle does on "
            f"protocols {', '.join(order)} (is the ignition on?)"
        )

    def _try_protocol(self, candidate: str) -> Procedure[str]:
        """Selects ``candidate`` (``0``: the adapter's own search) and asks ``0100``.
        Returns ``_FOUND``, ``_SILENT`` (NO DATA: maybe) or ``_WRONG``."""
        self.tried_protocols.append(candidate)
        yield from self._setting(f"ATSP{candidate}")
        slow = candidate == "0" or protocol_family(candidate) in (J1850, ISO)
        outcome = _WRONG
        for _attempt in range(MAX_RETRIES):
            try:
                answer = yield from self._exchange(
                    "0100", self.timeouts.search_s if slow else self.timeouts.request_s
                )
            except _OutOfTime:
                raise
            except AdapterTimeout:
                yield from self._resync("no answer while probing a protocol")
                continue
            number = candidate
            if candidate == "0":
                number = protocol_from_dpn((yield from self._plain("ATDPN", 1.0)).text)
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

    def _tune_timeout(self) -> Procedure[None]:
        """Measures the ECUs' answer time with a counted ``0100`` and sets ``ATST`` to
        twice that plus 20 ms (4 ms steps, between 40 and 200 ms), so a request nobody
        answers costs that, not the default 200 ms."""
        if not self.adapter.counts_answers or len(self.ecus) > 15:
            return
        try:
            answer = yield from self._plain(
                "0100" + self._count_suffix(len(self.ecus)), self.timeouts.request_s
            )
        except _OutOfTime:
            raise
        except AdapterTimeout:  # tuning is a refinement: keep the adapter's default
            yield from self._resync("no answer while measuring latency")
            return
        self.latency_s = answer.elapsed
        yield from self._setting(f"ATST{st_steps(answer.elapsed):02X}")

    def _remember(self) -> Procedure[None]:
        if self.protocol is None:
            return
        entry = Remembered(
            protocol=self.protocol,
            baud=self.baud if self.baud_adjustable else None,
            latency_s=self.latency_s,
        )
        self.remembered = entry
        yield from self._do(Remember(entry))

    # ================================================================== actions

    def _do(self, action: Action) -> Procedure[Input]:
        """Hands ``action`` to the driver and takes its clock from the reply."""
        reply = yield action
        self.now = reply.now
        return reply

    def _wait(self, until: float) -> Procedure[Input]:
        """A :class:`Wait`, cut at the running recovery step's budget."""
        if self._budget is not None:
            if self.now >= self._budget:
                raise _OutOfTime(f"{self.device}: out of time while recovering")
            until = min(until, self._budget)
        return (yield from self._do(Wait(until)))

    def _pause(self, until: float) -> Procedure[None]:
        """A :class:`Pause`, cut at the running recovery step's budget."""
        if self._budget is not None:
            if self.now >= self._budget:
                raise _OutOfTime(f"{self.device}: out of time while recovering")
            until = min(until, self._budget)
        yield from self._do(Pause(until))

    def _emit(self, state: State, detail: str) -> Procedure[None]:
        event = StateEvent(state, detail, self.now)
        self.events.append(event)
        yield from self._do(event)


def st_steps(latency_s: float) -> int:
    """The ``ATST`` argument (4 ms steps) for ECUs answering in ``latency_s``: twice the
    latency plus 20 ms, between 40 ms (``0A``) and 200 ms (``32``, the default)."""
    return min(0x32, max(0x0A, math.ceil((2 * latency_s + 0.02) / 0.004)))


__all__ = [
    "Action",
    "Close",
    "Discard",
    "Input",
    "Open",
    "Pause",
    "Procedure",
    "Remember",
    "Remembered",
    "Send",
    "SessionMachine",
    "SetBaud",
    "State",
    "StateEvent",
    "Stats",
    "Timeouts",
    "Wait",
    "st_steps",
]
