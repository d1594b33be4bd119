"""The ELM327 firmware: a sans-I/O command interpreter in front of the virtual car.

``Firmware.feed(data, now)`` takes the bytes a client wrote and returns the bytes the
adapter prints; ``poll(now)`` returns output that became due later (realistic timing,
``ATMA`` monitoring, a stall); ``next_deadline()`` says when to poll again. ``now`` is the
caller's clock (seconds); nothing here sleeps or reads a clock, so tests are deterministic
and fast. ``wants_close`` turns true when a ``link_drop`` fault cut the connection.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from firmware_sim.bus import Answer, Format, format_answers
from firmware_sim.ecu import Car, Ecu
from firmware_sim.faults import Fault
from firmware_sim.profiles import ADAPTERS, AdapterProfile
from firmware_sim.timing import FAST, Timing
from obdcore.protocol.protocols import CAN_29, ISO, J1850, PROTOCOLS, is_can, protocol_family

MAX_LINE = 64  # characters kept from one command line; longer ones answer "?"
MAX_BACKLOG = 200  # ATMA lines kept unread before "BUFFER FULL"
HARMLESS = frozenset(
    {
        "M0",
        "M1",
        "AL",
        "NL",
        "CFC0",
        "CFC1",
        "AR",
        "V0",
        "V1",
        "D0",
        "D1",
        "R0",
        "R1",
        "LP",
        "CEA",
        "JE",
        "JS",
    }
)
DESCRIPTIONS = {
    "1": "SAE J1850 PWM",
    "2": "SAE J1850 VPW",
    "3": "ISO 9141-2",
    "4": "ISO 14230-4 (KWP 5BAUD)",
    "5": "ISO 14230-4 (KWP FAST)",
    "6": "ISO 15765-4 (CAN 11/500)",
    "7": "ISO 15765-4 (CAN 29/500)",
    "8": "ISO 15765-4 (CAN 11/250)",
    "9": "ISO 15765-4 (CAN 29/250)",
    "A": "SAE J1939 (CAN 29/250)",
    "B": "USER1 (CAN 11/125)",
    "C": "USER2 (CAN 11/50)",
}


@dataclass
class Settings:
    """Everything ``ATZ``/``ATD`` reset."""

    echo: bool = True
    linefeeds: bool = False
    spaces: bool = True
    headers: bool = False
    caf: bool = True
    header: int | None = None  # ATSH
    cra: str | None = None
    timeout: int = 0x32  # ATST, 4 ms units
    adaptive: int = 1


@dataclass
class Bus:
    """Protocol selection and state: ``selected`` is ``"0"`` (auto) or a number."""

    selected: str = "0"
    auto: bool = True
    found: str | None = None
    open: bool = False


@dataclass
class LinkFaults:
    """Adapter/link fault probabilities (per OBD request) and their running state."""

    severity: dict[str, float] = field(default_factory=dict)
    burst_left: int = 0

    def hit(self, name: str, rng: random.Random) -> bool:
        """True when fault ``name`` strikes this request (draws from ``rng`` only if set)."""
        chance = self.severity.get(name, 0.0)
        return chance > 0 and rng.random() < chance


class Firmware:
    """One ELM327-compatible adapter plugged into ``car``.

    ``adapter``: :class:`AdapterProfile` (or its name); ``timing``: :class:`Timing`;
    ``faults``: link faults among them are injected here; ``seed`` drives the latency
    jitter and the link faults.
    """

    def __init__(
        self,
        car: Car,
        adapter: AdapterProfile | str = "elm327",
        timing: Timing = FAST,
        faults: list[Fault] | None = None,
        seed: int = 0,
    ):
        self.car = car
        self.adapter = ADAPTERS[adapter] if isinstance(adapter, str) else adapter
        self.timing = timing
        self.rng = random.Random(seed * 7919 + 17)
        self.links = LinkFaults({f.name: f.severity for f in faults or [] if f.link})
        self.settings = Settings()
        self.bus = Bus()
        self.default_protocol = "0"
        self.sim_time = 0.0
        self._wall_start: float | None = None
        self._line = bytearray()
        self._last = b""
        self._queue: list[tuple[float, bytes]] = []
        self._monitoring: tuple[float, int] | None = None  # (next frame due, counter)
        self.wants_close = False

    # ------------------------------------------------------------------ sans-I/O API

    def feed(self, data: bytes, now: float) -> bytes:
        """Consumes client bytes at time ``now``; returns what the adapter prints by then."""
        if self._wall_start is None:
            # Realistic timing follows the wall clock from here on, continuing the car's own
            # clock: a car driven 300 s before it was served must not freeze until the wall
            # clock has caught up with those 300 s.
            self._wall_start = now - max(self.sim_time, self.car.time)
        for byte in data:
            if self._busy(now):
                self._interrupt(now)
                continue  # the character that interrupts is swallowed, as on the chip
            self._byte(byte, now)
        return self.poll(now)

    def poll(self, now: float) -> bytes:
        """Output that is due at ``now`` (released in order)."""
        if self._monitoring is not None:
            self._monitor_frames(now)
        out = bytearray()
        while self._queue and self._queue[0][0] <= now:
            out += self._queue.pop(0)[1]
        return bytes(out)

    def next_deadline(self) -> float | None:
        """When :meth:`poll` will next have something, None when idle."""
        if self._queue:
            return self._queue[0][0]
        if self._monitoring is not None:
            return self._monitoring[0]
        return None

    def _busy(self, now: float) -> bool:
        return self._monitoring is not None or any(t > now for t, _ in self._queue)

    def _interrupt(self, now: float) -> None:
        """Input while busy: drop what was not printed yet, print STOPPED and the prompt."""
        self._queue = [(t, d) for t, d in self._queue if t <= now]
        self._monitoring = None
        self._emit(["STOPPED"], now, 0.0)

    def _byte(self, byte: int, now: float) -> None:
        if byte == 0x0D:
            line, self._line = bytes(self._line), bytearray()
            self._command(line, now)
        elif 0x20 <= byte < 0x7F and len(self._line) <= MAX_LINE:
            self._line.append(byte)
        # NUL, LF and other control bytes are ignored, like the chip does.

    # ------------------------------------------------------------------ output

    @property
    def _eol(self) -> str:
        return "\r\n" if self.settings.linefeeds else "\r"

    def _emit(
        self,
        lines: list[str],
        now: float,
        delay: float,
        prompt: bool = True,
        raw_prefix: bytes = b"",
    ) -> None:
        eol = self._eol
        text = "".join(line + eol for line in lines) + (eol + ">" if prompt else "")
        due = now + (delay if self.timing.realistic else 0.0)
        self._queue.append((due, raw_prefix + text.encode("ascii")))

    # ------------------------------------------------------------------ commands

    def _command(self, raw: bytes, now: float) -> None:
        text = raw.decode("ascii", "replace")
        compact = text.replace(" ", "").upper()
        if not compact:
            compact = self._last.decode("ascii")
            if not compact:
                self._emit([], now, 0.0)
                return
        else:
            self._last = compact.encode("ascii")
        if self.settings.echo:
            self._queue.append((now, (text + self._eol).encode("ascii", "replace")))
        if len(raw) > MAX_LINE:
            self._emit(["?"], now, 0.0)
        elif compact.startswith("SIM") and text.strip().upper().startswith("SIM "):
            self._sim(text.strip()[4:], now)
        elif compact.startswith("AT"):
            self._at(compact[2:], now)
        elif compact.startswith("ST"):
            self._st(compact[2:], now)
        elif _is_hex(compact):
            self._obd(compact, now)
        else:
            self._emit(["?"], now, 0.0)

    def _sim(self, command: str, now: float) -> None:
        """``SIM <command>``: the simulator's in-band driver interface (a real ELM327
        answers ``?``). Time it lets pass moves the adapter's clock with the car's."""
        from firmware_sim.errors import ControlError

        try:
            reply = self.car.control(command)
        except ControlError as exc:
            self._emit([f"? {exc}"], now, 0.0)
            return
        self.sim_time = max(self.sim_time, self.car.time)
        self._emit([reply], now, self.timing.at_command_s)

    def _settle(self, now: float, seconds: float) -> None:
        """Advances the car's clock by ``seconds`` (fast mode) or to wall time."""
        if self.car.clock_frozen:
            return
        if self.timing.realistic and self._wall_start is not None:
            self.sim_time = max(self.sim_time, now - self._wall_start)
        else:
            self.sim_time += seconds
        self.car.advance_to(self.sim_time)

    def advance(self, seconds: float) -> None:
        """Lets ``seconds`` of simulated time pass (fast mode: tests drive the car)."""
        self.sim_time = max(self.sim_time, self.car.time) + seconds
        self.car.advance_to(self.sim_time)

    def sync(self, now: float) -> None:
        """Realistic timing: brings the car up to wall time ``now`` (for the ground truth
        between requests). Fast timing: catches the car up with the modelled clock."""
        self._settle(now, 0.0)

    def _ok(self, now: float) -> None:
        late = self.adapter.late_ok_s
        self._settle(now, self.timing.at_command_s + late)
        self._emit(["OK"], now, self.timing.at_command_s + late)

    def _at(self, command: str, now: float) -> None:
        """One AT command (``command`` without ``AT``, spaces removed, upper case)."""
        key = _at_key(command)
        if key in self.adapter.missing:
            self._emit(["?"], now, 0.0)
            return
        handler = _AT_HANDLERS.get(key)
        if handler is None:
            if command in HARMLESS:
                self._ok(now)
            else:
                self._emit(["?"], now, 0.0)
            return
        handler(self, command, now)

    def _st(self, command: str, now: float) -> None:
        if not self.adapter.stn:
            self._emit(["?"], now, 0.0)
        elif command == "I":
            self._emit(["STN2120 v5.6.5"], now, self.timing.at_command_s)
        elif command == "DI":
            self._emit([self.adapter.device], now, self.timing.at_command_s)
        else:
            self._emit(["?"], now, 0.0)

    # ------------------------------------------------------------------ AT handlers

    def _reset(self, command: str, now: float) -> None:
        warm = command == "WS"
        self.settings = Settings()
        stored = self.default_protocol
        self.bus = Bus(selected=stored, auto=stored == "0" or stored.startswith("A"))
        self._normalise_bus()
        delay = self.timing.warm_start_s if warm else self.timing.reset_s
        self._settle(now, delay)
        nul = b"\x00" * self.adapter.nul_after_reset
        self._emit(["", self.adapter.identity], now, delay, raw_prefix=nul)

    def _defaults(self, command: str, now: float) -> None:
        echo, linefeeds = self.settings.echo, self.settings.linefeeds
        self.settings = replace(Settings(), echo=echo, linefeeds=linefeeds)
        self._ok(now)

    def _identity(self, command: str, now: float) -> None:
        text = self.adapter.identity if command == "I" else self.adapter.device
        self._emit([text], now, self.timing.at_command_s)

    def _flag(self, command: str, now: float) -> None:
        name = {"E": "echo", "L": "linefeeds", "S": "spaces", "H": "headers", "CAF": "caf"}[
            command[:-1]
        ]
        if command[-1] not in "01":
            self._emit(["?"], now, 0.0)
            return
        setattr(self.settings, name, command[-1] == "1")
        self._ok(now)

    def _set_protocol(self, command: str, now: float) -> None:
        arg = command[2:]
        auto = arg.startswith("A") and len(arg) == 2
        number = arg[1] if auto else arg
        if number not in DESCRIPTIONS and number != "0":
            self._emit(["?"], now, 0.0)
            return
        self.bus = Bus(selected=number, auto=auto or number == "0")
        self._normalise_bus()
        if command.startswith("SP"):
            self.default_protocol = arg
        self._ok(now)

    def _normalise_bus(self) -> None:
        selected = self.bus.selected
        if selected.startswith("A") and len(selected) == 2:
            self.bus.selected, self.bus.auto = selected[1], True

    def _describe(self, command: str, now: float) -> None:
        current = self.bus.found or (self.bus.selected if self.bus.selected != "0" else None)
        if command == "DPN":
            text = ("A" if self.bus.auto else "") + (current or "0")
        elif current is None:
            text = "AUTO"
        else:
            text = ("AUTO, " if self.bus.auto else "") + DESCRIPTIONS[current]
        self._emit([text], now, self.timing.at_command_s)

    def _set_header(self, command: str, now: float) -> None:
        digits = command[2:]
        if (
            not _is_hex(digits)
            or len(digits) not in (3, 6, 8)
            or (len(digits) > self.adapter.max_header_digits)
        ):
            self._emit(["?"], now, 0.0)
            return
        value = int(digits, 16)
        self.settings.header = (0x18000000 | value) if len(digits) == 6 else value
        self._ok(now)

    def _receive_filter(self, command: str, now: float) -> None:
        pattern = command[3:]
        if pattern and (len(pattern) not in (3, 8) or not _is_hex(pattern.replace("X", "0"))):
            self._emit(["?"], now, 0.0)
            return
        self.settings.cra = pattern or None
        self._ok(now)

    def _set_timeout(self, command: str, now: float) -> None:
        arg = command[2:]
        if len(arg) != 2 or not _is_hex(arg):
            self._emit(["?"], now, 0.0)
            return
        self.settings.timeout = int(arg, 16) or 0x32
        self._ok(now)

    def _adaptive(self, command: str, now: float) -> None:
        if command[2:] not in ("0", "1", "2"):
            self._emit(["?"], now, 0.0)
            return
        self.settings.adaptive = int(command[2:])
        self._ok(now)

    def _voltage(self, command: str, now: float) -> None:
        self._settle(now, self.timing.at_command_s)
        volts = self.car.physics.state.battery - 0.1  # the adapter's input diode
        self._emit([f"{volts:.1f}V"], now, self.timing.at_command_s)

    def _close(self, command: str, now: float) -> None:
        self.bus.open = False
        self._ok(now)

    def _monitor(self, command: str, now: float) -> None:
        self._monitoring = (now, 0)

    # ------------------------------------------------------------------ OBD requests

    def _obd(self, compact: str, now: float) -> None:
        count = None
        if len(compact) % 2:
            count, compact = int(compact[-1], 16), compact[:-1]
        request = bytes.fromhex(compact)
        if not request or len(request) > 7:
            self._emit(["?"], now, 0.0)
            return
        prefix, protocol, setup = self._connect(now)
        if protocol is None:
            self._settle(now, setup)
            self._emit(prefix, now, setup)
            return
        # The car is advanced to the moment the request reaches it, so an answer and the
        # ground truth read right after it describe the same instant; the rest of the
        # exchange only moves the clock (the car catches up at the next command).
        sent = setup + self.timing.serial_s(len(compact) + 1)
        self._settle(now, sent)
        request = self._unwrap(request, protocol)
        answers, duration = self._ask(request, protocol, count) if request else ([], 0.0)
        lines = format_answers(answers, self._format(protocol))
        if not lines:
            lines = ["NO DATA"]
            duration = self.settings.timeout * 0.004
        # The answer also has to cross the serial link (about 260 us a byte at 38400).
        duration += self.timing.serial_s(sum(len(line) + 1 for line in prefix + lines) + 2)
        if not self.timing.realistic and not self.car.clock_frozen:
            self.sim_time += duration
        self._deliver(prefix, lines, now, sent + duration, is_can(protocol))

    def _unwrap(self, request: bytes, protocol: str) -> bytes:
        """With ``ATCAF0`` on CAN the client writes the ISO-TP PCI byte itself
        (``02 01 0C``); a frame whose length byte is wrong reaches no ECU."""
        if self.settings.caf or not is_can(protocol):
            return request
        if request[0] == len(request) - 1:
            return request[1:]
        return b""

    def _format(self, protocol: str) -> Format:
        s = self.settings
        return Format(protocol, s.headers, s.spaces, s.caf, s.cra)

    def _connect(self, now: float) -> tuple[list[str], str | None, float]:
        """Opens the bus if needed: (lines to print first, protocol or None, seconds)."""
        car_protocol = self.car.profile.protocol
        if self.bus.open and self.bus.found:
            return [], self.bus.found, 0.0
        if self.bus.auto and (self.bus.selected in ("0", car_protocol)):
            self.bus.found, self.bus.open = car_protocol, True
            slow = protocol_family(car_protocol) not in (1, 2)
            seconds = self.timing.search_s + (self.timing.bus_init_s if slow else 0.0)
            return ["SEARCHING..."], car_protocol, seconds
        if self.bus.auto:  # ATSP An with another protocol: try it, then search
            self.bus.found, self.bus.open = car_protocol, True
            return ["SEARCHING..."], car_protocol, self.timing.search_s * 2
        return self._connect_manual(car_protocol)

    def _connect_manual(self, car_protocol: str) -> tuple[list[str], str | None, float]:
        selected = self.bus.selected
        if selected not in PROTOCOLS:
            return ["NO DATA"], None, self.timing.search_s
        family = protocol_family(selected)
        if selected != car_protocol:
            if family == ISO:
                return ["BUS INIT: ...ERROR"], None, self.timing.bus_init_s
            return (["CAN ERROR"] if family != J1850 else ["NO DATA"]), None, 0.3
        self.bus.found, self.bus.open = selected, True
        if family == ISO:
            return ["BUS INIT: ...OK"], selected, self.timing.bus_init_s
        return [], selected, 0.0

    def _targets(self, protocol: str) -> list[Ecu]:
        """The ECUs the current ``ATSH`` header addresses."""
        header, ecus = self.settings.header, self.car.ecus
        if header is None or not is_can(protocol):
            return ecus
        if protocol_family(protocol) == CAN_29:
            target = (header >> 8) & 0xFF
            if (header >> 16) & 0xFF == 0xDB and target == 0x33:
                return ecus
            return [e for e in ecus if e.can29_source == target]
        header &= 0x7FF
        if header == 0x7DF:
            return ecus
        return [e for e in ecus if e.can_id == header + 8]

    def _ask(self, request: bytes, protocol: str, count: int | None) -> tuple[list[Answer], float]:
        """Each addressed ECU's answer, and how long the exchange took on the bus."""
        can = is_can(protocol)
        answers, latencies = [], []
        for ecu in self._targets(protocol):
            messages = ecu.answer(request, can)
            if messages is None:
                continue
            answers.append(Answer(ecu.can_id, ecu.can29_source, ecu.legacy_source, tuple(messages)))
            latencies.append(self._latency(ecu, messages, can))
        # With an answer count the adapter returns as soon as that many answers arrived;
        # with fewer it still waits for the timeout.
        counted = count is not None and 0 < count <= len(answers)
        if counted:
            answers, latencies = answers[:count], latencies[:count]
        return answers, self._exchange_time(latencies, counted, can)

    def _latency(self, ecu: Ecu, messages: list[bytes], can: bool) -> float:
        t = self.timing
        jitter = self.rng.uniform(0.0, t.latency_jitter_s)
        if not can:
            size = sum(len(m) + 4 for m in messages)
            return t.legacy_latency_s + size * t.legacy_byte_s + jitter
        base = t.engine_latency_s if ecu.name == "ENGINE" else t.other_latency_s
        frames = sum(max(0, (len(m) - 6 + 6) // 7) for m in messages if len(m) > 7)
        return base + frames * t.consecutive_frame_s + jitter

    def _exchange_time(self, latencies: list[float], counted: bool, can: bool) -> float:
        """Last answer + the wait for more (``ATST``/``ATAT``) unless a count was given."""
        timeout = self.settings.timeout * 0.004
        if not latencies:
            return timeout
        last = max(latencies)
        if counted:
            return last
        if self.settings.adaptive == 0:
            return last + timeout
        factor, floor = (1.2, 0.02) if self.settings.adaptive == 1 else (0.6, 0.008)
        return last + min(timeout, max(floor, last * factor))

    # ------------------------------------------------------------------ link faults

    def _deliver(
        self, prefix: list[str], lines: list[str], now: float, total: float, can: bool
    ) -> None:
        links, rng = self.links, self.rng
        out = prefix + lines
        prompt = True
        if links.burst_left or links.hit("no_data_burst", rng):
            links.burst_left = (links.burst_left or 5) - 1
            out = prefix + ["NO DATA"]
        elif links.hit("can_error", rng):
            out = prefix + ["CAN ERROR" if can else "BUS ERROR"]
        elif links.hit("buffer_full", rng):
            out = prefix + lines[:1] + ["BUFFER FULL"]
        if links.hit("stall", rng):
            # A stall happens in fast mode too: resilience tests need a real silence.
            self._emit(out, now + self.timing.stall_s, total)
            if not self.timing.realistic:
                self._queue[-1] = (now + self.timing.stall_s, self._queue[-1][1])
            return
        if links.hit("missing_prompt", rng):
            prompt = False
        self._emit(out, now, total, prompt=prompt)
        if links.hit("garbage", rng):
            self._garble()
        if links.hit("link_drop", rng):
            self._drop()

    def _garble(self) -> None:
        due, data = self._queue[-1]
        count = self.rng.randint(2, 8)
        junk = bytes(self.rng.choice(b"\xff\xfe#$%&\x07\x1b~") for _ in range(count))
        cut = self.rng.randint(0, max(0, len(data) - 2))
        self._queue[-1] = (due, data[:cut] + junk + data[cut:])

    def _drop(self) -> None:
        due, data = self._queue[-1]
        self._queue[-1] = (due, data[: self.rng.randint(0, max(0, len(data) - 3))])
        self.wants_close = True

    def reset_link(self) -> None:
        """A new client connected: clear the line buffer and any dropped-link state."""
        self._line.clear()
        self._queue.clear()
        self._monitoring = None
        self.wants_close = False

    # ------------------------------------------------------------------ ATMA

    def _monitor_frames(self, now: float) -> None:
        """Broadcast frames of the powertrain bus, one every ``monitor_frame_s``."""
        assert self._monitoring is not None  # only called while monitoring
        due, counter = self._monitoring
        protocol = self.bus.found or self.car.profile.protocol
        produced = 0
        while due <= now and produced < 50:
            self._queue.append((due, self._broadcast_line(protocol, counter)))
            due += self.timing.monitor_frame_s
            counter += 1
            produced += 1
        backlog = len(self._queue)
        self._monitoring = (due, counter)
        if backlog > MAX_BACKLOG or (self.links.severity.get("buffer_full") and counter > 40):
            self._monitoring = None
            self._emit(["BUFFER FULL"], now, 0.0)

    def _broadcast_line(self, protocol: str, counter: int) -> bytes:
        state = self.car.physics.state
        rpm = int(state.rpm * 4) & 0xFFFF
        data = bytes(
            [
                rpm >> 8,
                rpm & 0xFF,
                int(state.speed) & 0xFF,
                int(state.coolant + 40) & 0xFF,
                counter & 0x0F,
            ]
        )
        if not is_can(protocol):
            return b""  # request/response buses are silent between requests
        wide = protocol_family(protocol) == CAN_29
        ident = (
            (0x0CF00400 if counter % 2 else 0x18FEEE00)
            if wide
            else (0x0C9 if counter % 2 else 0x3E9)
        )
        spaces = self.settings.spaces
        head = _hex(ident.to_bytes(4, "big"), spaces) if wide else f"{ident:03X}"
        body = _hex(data, spaces)
        text = (head + (" " if spaces else "") + body) if self.settings.headers else body
        return (text + self._eol).encode("ascii")


def _hex(data: bytes, spaces: bool) -> str:
    return data.hex(" ").upper() if spaces else data.hex().upper()


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789ABCDEF" for c in text)


def _at_key(command: str) -> str:
    """The dispatch key of an AT command: its name without arguments."""
    for prefix in (
        "CAF",
        "CRA",
        "DPN",
        "DP",
        "SP",
        "TP",
        "SH",
        "ST",
        "AT",
        "WS",
        "RV",
        "MA",
        "PC",
        "@1",
    ):
        if command.startswith(prefix):
            if prefix == "AT" and command == "AT2":
                return "AT2"
            return prefix
    if command in ("Z", "I", "D"):
        return command
    if command[:1] in ("E", "L", "S", "H") and len(command) == 2:
        return "FLAG"
    return command


_AT_HANDLERS = {
    "Z": Firmware._reset,
    "WS": Firmware._reset,
    "D": Firmware._defaults,
    "I": Firmware._identity,
    "@1": Firmware._identity,
    "FLAG": Firmware._flag,
    "CAF": Firmware._flag,
    "SP": Firmware._set_protocol,
    "TP": Firmware._set_protocol,
    "DP": Firmware._describe,
    "DPN": Firmware._describe,
    "SH": Firmware._set_header,
    "CRA": Firmware._receive_filter,
    "ST": Firmware._set_timeout,
    "AT": Firmware._adaptive,
    "AT2": Firmware._adaptive,
    "RV": Firmware._voltage,
    "PC": Firmware._close,
    "MA": Firmware._monitor,
}
