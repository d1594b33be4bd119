"""How clients reach the simulator: a pty (a serial device pyserial and python-obd open)
or a TCP server (a Wi-Fi dongle), both thin I/O loops around :class:`Firmware`, and the
:class:`Simulator` context manager that tests and the CLI use.

Each transport runs one thread with ``select``; the firmware is guarded by a lock so a
test can step the car's clock or read the ground truth while a client is connected.
Clients are served one after the other; a new client finds the adapter as the previous
one left it (like a dongle that stays powered), with its line buffer emptied.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
import time
import traceback
import tty
from collections.abc import Iterable

from firmware_sim.control import drive_history
from firmware_sim.drive import CYCLES
from firmware_sim.ecu import Car
from firmware_sim.errors import ProfileError
from firmware_sim.faults import Fault, parse_fault
from firmware_sim.firmware import Firmware
from firmware_sim.profiles import DEFAULT_ENGINE, adapter_profile, engine_profile
from firmware_sim.timing import FAST, REALISTIC, Timing

DEFAULT_TCP_PORT = 35000
_IDLE_WAIT_S = 0.05


class _Loop:
    """Shared by the transports: feed input, write due output, wait for the next event."""

    def __init__(self, firmware: Firmware, lock: threading.Lock):
        self.firmware = firmware
        self.lock = lock
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name=type(self).__name__, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def wait_time(self) -> float:
        with self.lock:
            deadline = self.firmware.next_deadline()
        if deadline is None:
            return _IDLE_WAIT_S
        return min(_IDLE_WAIT_S, max(0.0, deadline - time.monotonic()))

    def exchange(self, data: bytes) -> bytes:
        """Feeds client bytes (or polls); never lets an error kill the serving thread."""
        with self.lock:
            try:
                if data:
                    return self.firmware.feed(data, time.monotonic())
                return self.firmware.poll(time.monotonic())
            except Exception:  # noqa: BLE001 - a simulator bug must not hang the client
                # The fuzz tests make this unreachable as far as we know; if it happens,
                # say so loudly and answer like a confused chip rather than go silent.
                traceback.print_exc(file=sys.stderr)
                self.firmware.reset_link()
                return b"?\r\r>"

    def run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PtyServer(_Loop):
    """A pseudo-terminal in raw mode; ``path`` is the device clients open."""

    def __init__(self, firmware: Firmware, lock: threading.Lock):
        super().__init__(firmware, lock)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no CR/LF translation: bytes pass untouched
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)

    @property
    def url(self) -> str:
        return self.path

    def run(self) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([self.master], [], [], self.wait_time())
            data = b""
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except (BlockingIOError, OSError):
                    data = b""
            out = self.exchange(data)
            if out:
                self._write(out)
            with self.lock:
                if self.firmware.wants_close:  # a pty cannot hang up: the answer just stops
                    self.firmware.reset_link()

    def _write(self, data: bytes) -> None:
        while data and not self.stopping.is_set():
            try:
                written = os.write(self.master, data)
                data = data[written:]
            except BlockingIOError:
                select.select([], [self.master], [], 0.05)
            except OSError:
                return

    def stop(self) -> None:
        super().stop()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class TcpServer(_Loop):
    """A Wi-Fi dongle: one client at a time on ``host:port`` (port 0 = ephemeral)."""

    def __init__(
        self,
        firmware: Firmware,
        lock: threading.Lock,
        host: str = "127.0.0.1",
        port: int = DEFAULT_TCP_PORT,
    ):
        super().__init__(firmware, lock)
        self.listener = socket.create_server((host, port))
        self.host, self.port = self.listener.getsockname()[:2]
        self.clients_served = 0

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def run(self) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([self.listener], [], [], _IDLE_WAIT_S)
            if not ready:
                continue
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            with self.lock:
                self.firmware.reset_link()
            self.clients_served += 1
            with client:
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._serve(client)

    def _serve(self, client: socket.socket) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([client], [], [], self.wait_time())
            data = b""
            if ready:
                try:
                    data = client.recv(4096)
                except OSError:
                    return
                if not data:
                    return  # the client hung up
            out = self.exchange(data)
            try:
                if out:
                    client.sendall(out)
            except OSError:
                return
            with self.lock:
                if self.firmware.wants_close:
                    self.firmware.reset_link()
                    return

    def stop(self) -> None:
        super().stop()
        self.listener.close()


class Simulator:
    """A virtual car with an ELM327 dongle, served over a pty or TCP.

    ``with Simulator(transport="tcp", faults=["misfire:2@0.7"], seed=1) as sim:`` then
    connect to ``sim.url``. ``history``: ``"driven"`` (the default) drives the car two
    whole trips with its faults first (cold starts, a night between), so codes are set
    and a freeze frame is captured before the first request, as on a car that comes to
    the garage; ``"none"`` starts a car that never ran with its fault; an int is a number
    of trips. ``start_s`` then drives the current trip that long before serving (300: a
    warm engine). ``cycle`` is a drive cycle name (``standard``, ``idle``); ``protocol``
    overrides the car's bus; ``car`` serves a ready-made :class:`Car` instead.
    ``sim.advance(seconds)`` drives the car's simulated clock (fast timing);
    ``sim.control("RPM 2500")`` gives the driver an order (:mod:`firmware_sim.control`);
    ``sim.truth()`` returns the ground truth. Raises :class:`ProfileError` or
    :class:`~firmware_sim.errors.FaultSpecError` for bad names.
    """

    def __init__(
        self,
        transport: str = "pty",
        profile: str = DEFAULT_ENGINE,
        faults: Iterable[str | Fault] = (),
        adapter: str = "elm327",
        timing: str | Timing = "fast",
        seed: int = 0,
        port: int = 0,
        host: str = "127.0.0.1",
        cycle: str = "standard",
        protocol: str | None = None,
        start_s: float = 0.0,
        history: str | int = "driven",
        car: Car | None = None,
    ):
        if transport not in ("pty", "tcp"):
            raise ProfileError(f"unknown transport {transport!r}: use pty or tcp")
        if cycle not in CYCLES:
            raise ProfileError(f"unknown drive cycle {cycle!r}; known: {sorted(CYCLES)}")
        trips = _history_trips(history)
        parsed = [f if isinstance(f, Fault) else parse_fault(f) for f in faults]
        if car is None:
            car_profile = engine_profile(profile)
            if protocol is not None:
                from dataclasses import replace

                car_profile = replace(car_profile, protocol=protocol)
            car = Car(car_profile, parsed, seed, CYCLES[cycle])
            if trips:
                drive_history(car, trips)
        self.car = car
        self.firmware = Firmware(self.car, adapter_profile(adapter), _timing(timing), parsed, seed)
        self.firmware.advance(start_s)  # e.g. 300 s: a warm engine from the first request
        self.lock = threading.Lock()
        self.transport = transport
        self._port, self._host = port, host
        self.server: PtyServer | TcpServer | None = None

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Opens the pty or the listening socket and starts serving."""
        if self.transport == "pty":
            self.server = PtyServer(self.firmware, self.lock)
        else:
            self.server = TcpServer(self.firmware, self.lock, self._host, self._port)
        self.server.start()

    def stop(self) -> None:
        """Stops serving and releases the pty or socket."""
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str:
        """``/dev/pts/N`` or ``socket://127.0.0.1:PORT``."""
        assert self.server is not None, "start() the simulator first"
        return self.server.url

    def advance(self, seconds: float) -> None:
        """Lets ``seconds`` of simulated time pass."""
        with self.lock:
            self.firmware.advance(seconds)

    def control(self, command: str) -> str:
        """A driver order (``"RPM 2500"``, ``"OFF"``, ``"WAIT 60"``...; see
        :mod:`firmware_sim.control`); returns its one-line reply."""
        with self.lock:
            reply = self.car.control(command)
            self.firmware.sim_time = max(self.firmware.sim_time, self.car.time)
            return reply

    def truth(self) -> dict[str, object]:
        """The car's ground truth (see :meth:`Car.truth`): in fast timing, the instant of
        the last answer; in realistic timing, now."""
        with self.lock:
            if self.firmware.timing.realistic:
                self.firmware.sync(time.monotonic())
            return self.car.truth()


def _history_trips(history: str | int) -> int:
    if history == "driven":
        return 2
    if history == "none":
        return 0
    if isinstance(history, int) and not isinstance(history, bool) and 0 <= history <= 10:
        return history
    raise ProfileError(f"unknown history {history!r}: use driven, none or 0-10 trips")


def _timing(timing: str | Timing) -> Timing:
    if isinstance(timing, Timing):
        return timing
    if timing == "fast":
        return FAST
    if timing == "realistic":
        return REALISTIC
    raise ProfileError(f"unknown timing {timing!r}: use fast or realistic")
