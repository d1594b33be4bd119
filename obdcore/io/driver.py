"""The asyncio driver of the sans-I/O ELM327 session: performs its actions on a transport.

All the logic (initialisation, clone probes, protocol search, ``ATST`` tuning, retries, the
recovery ladder) lives in :class:`~obdcore.protocol.session.SessionMachine`; :class:`Session`
only writes, reads with deadlines, sleeps, opens and closes the transport as the machine
asks, keeps the adapter memory and serialises calls. The OBD services built on it live in
:mod:`obdcore.io.client`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from obdcore.errors import AdapterTimeout, LinkError
from obdcore.io.memory import Memory
from obdcore.io.transports import Transport, transport_for
from obdcore.protocol._backend import core
from obdcore.protocol.adapter import AdapterInfo
from obdcore.protocol.framer import Answer
from obdcore.protocol.session import (
    Close,
    Discard,
    Input,
    Open,
    Pause,
    Procedure,
    Remember,
    Send,
    SessionMachine,
    SetBaud,
    State,
    StateEvent,
    Stats,
    Timeouts,
    Wait,
)


class Session:
    """One adapter, connected through ``device`` (a URL or a :class:`Transport`).

    ``protocol``: force a protocol number instead of detecting it; ``baud``: the serial
    rate to try first; ``memory``: where the last working set-up is remembered (None:
    nowhere); ``on_event``: called with every :class:`StateEvent`; ``table``: the PID
    table for decoding; ``clock``: seconds, monotonic (the machine's ``now``).
    """

    def __init__(
        self,
        device: str | Transport,
        *,
        protocol: str | None = None,
        baud: int | None = None,
        memory: Memory | None = None,
        timeouts: Timeouts | None = None,
        table=None,
        on_event: Callable[[StateEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.transport = device if isinstance(device, Transport) else transport_for(device, baud)
        self.device = self.transport.url
        self.memory = memory
        self.clock = clock
        self.on_event = on_event
        self.machine = SessionMachine(
            self.device,
            protocol=protocol,
            timeouts=timeouts,
            table=table,
            baud_adjustable=self.transport.baud_adjustable,
            baud=getattr(self.transport, "baud", None),
        )
        self._lock = asyncio.Lock()

    # ================================================================== what it learned

    @property
    def adapter(self) -> AdapterInfo:
        """The adapter as identified at connection time (clone detection included)."""
        return self.machine.adapter

    @property
    def protocol(self) -> str | None:
        """The bus protocol number in use (``"6"``), None before connecting."""
        return self.machine.protocol

    @property
    def ecus(self) -> list[int]:
        """The answering ECUs' IDs, lowest first."""
        return self.machine.ecus

    @property
    def supported(self) -> dict[int, set[int]]:
        """Mode 01 PIDs each ECU supports (the bitmaps read so far)."""
        return self.machine.supported

    @supported.setter
    def supported(self, value: dict[int, set[int]]) -> None:
        self.machine.supported = value

    @property
    def latency_s(self) -> float | None:
        """The ECUs' measured answer time, seconds."""
        return self.machine.latency_s

    @property
    def tried_protocols(self) -> list[str]:
        """This connection's protocol probes, in order."""
        return self.machine.tried_protocols

    @property
    def events(self) -> deque[StateEvent]:
        """The last 1,000 state events."""
        return self.machine.events

    @property
    def stats(self) -> Stats:
        """Counters of requests, retries, recoveries, reconnections and timeouts."""
        return self.machine.stats

    @property
    def timeouts(self) -> Timeouts:
        return self.machine.timeouts

    @property
    def decoder(self):
        """The decoder for the bus in use."""
        return self.machine.decoder

    # ================================================================== calls

    async def connect(self) -> None:
        """Opens the link and brings adapter and bus up. Raises :class:`DeviceNotFound`,
        :class:`NotAnAdapter`, :class:`NoVehicle` or another :class:`LinkError`."""
        if self.memory is not None:
            self.machine.remembered = self.memory.recall(self.device)
        async with self._lock:
            try:
                await self._run(self.machine.connect(self.clock()))
            except BaseException:
                await self.transport.close()
                raise

    async def close(self) -> None:
        """Closes the link (safe to call twice)."""
        await self._run(self.machine.close(self.clock()))

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def command(self, command: str, timeout: float | None = None) -> Answer:
        """Sends an adapter command (``ATRV``) and returns its answer. Raises
        :class:`LinkError` subclasses."""
        async with self._lock:
            return await self._run(self.machine.command(command, self.clock(), timeout))

    async def request(
        self,
        request: str,
        *,
        ecu: int | None = None,
        answers: int | None = None,
        timeout: float | None = None,
    ) -> core.Response:
        """Sends an OBD request (hex, ``"010C0D"``) and returns the decoded
        :class:`~obdcore.Response` (see :meth:`SessionMachine.request`). Raises
        :class:`LinkError` subclasses."""
        async with self._lock:
            return await self._run(
                self.machine.request(
                    request, self.clock(), ecu=ecu, answers=answers, timeout=timeout
                )
            )

    async def reconnect(self, reason: str) -> None:
        """Reopens the link with backoff and re-initialises the adapter. Raises
        :class:`LinkLost` when that fails."""
        async with self._lock:
            await self._run(self.machine.reconnect(self.clock(), reason))

    # ================================================================== the actions

    async def _run(self, procedure: Procedure):
        """Performs ``procedure``'s actions until it returns; a :class:`LinkError` while
        performing one is thrown into it (it recovers or lets it out)."""
        try:
            action = next(procedure)
            while True:
                try:
                    reply = await self._perform(action)
                except LinkError as exc:
                    action = procedure.throw(exc)
                else:
                    action = procedure.send(reply)
        except StopIteration as done:
            return done.value
        except BaseException:
            if procedure.gi_frame is not None:  # cancelled while an action ran
                procedure.close()
                self.machine.interrupt()
            raise

    async def _perform(self, action) -> Input:
        transport = self.transport
        kind = type(action)
        if kind is Wait:
            data = await transport.read(max(0.0, action.until - self.clock()))
            return Input(self.clock(), data)
        if kind is Send:
            await transport.write(action.data)
        elif kind is Discard:
            return Input(self.clock(), transport.discard_input())
        elif kind is StateEvent:
            if self.on_event is not None:
                self.on_event(action)
        elif kind is Pause:
            await asyncio.sleep(max(0.0, action.until - self.clock()))
        elif kind is Open:
            await _open(transport)
        elif kind is Close:
            await transport.close()
        elif kind is SetBaud:
            await transport.set_baud(action.baud)
        elif kind is Remember:
            if self.memory is not None:
                self.memory.remember(self.device, action.entry)
        else:
            raise TypeError(f"unknown session action {action!r}")
        return Input(self.clock())


async def _open(transport: Transport) -> None:
    try:
        await transport.open()
    except TimeoutError as exc:  # a transport's own connect timeout
        raise AdapterTimeout(f"{transport.url}: opening timed out") from exc


__all__ = ["Session", "State", "StateEvent", "Stats", "Timeouts"]
