"""The sans-I/O ELM327 session: scripted adapter bytes and a fake clock, no event loop, no
sleep. Each test runs in milliseconds however many seconds of adapter time it covers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from obdcore.errors import (
    AdapterTimeout,
    DeviceNotFound,
    LinkError,
    LinkLost,
    NotAnAdapter,
    NoVehicle,
)
from obdcore.protocol.session import (
    Close,
    Discard,
    Input,
    Open,
    Pause,
    Remember,
    Remembered,
    Send,
    SessionMachine,
    SetBaud,
    State,
    StateEvent,
    Wait,
    st_steps,
)

CAN_11_ANSWER = "7E8064100BE3FA813"  # 0100 from the engine ECU, headers on, spaces off
CAN_29_ANSWER = "18DAF110064100BE3FA813"
ISO_ANSWER = "486B104100BE3FA813BC"  # ISO 9141-2: header 48 6B 10, data, checksum


class ScriptedAdapter:
    """An ELM327 played from a script, on a fake clock.

    ``respond(command, adapter)`` gives the answer to each command line written: its text
    (the adapter's ``\\r\\r>`` is added), a ``(text, delay_s)`` pair, or None for silence.
    Answers arrive ``delay_s`` (default ``delay``) after the command was written.
    """

    def __init__(self, respond: Callable, delay: float = 0.005):
        self.respond = respond
        self.delay = delay
        self.now = 100.0
        self.sent: list[str] = []
        self.pending: list[tuple[float, bytes]] = []
        self.events: list[StateEvent] = []
        self.pauses: list[float] = []
        self.bauds: list[int] = []
        self.remembered: list[Remembered] = []
        self.baud = 38400
        self.lost = False  # the link is gone: waits raise LinkLost until reopened
        self.open_failures = 0  # the next opens that fail
        self.opens = 0

    def run(self, procedure):
        """Drives ``procedure`` to its end; returns its result (or raises its error)."""
        try:
            action = next(procedure)
            while True:
                try:
                    reply = self.perform(action)
                except LinkError as exc:
                    action = procedure.throw(exc)
                else:
                    action = procedure.send(reply)
        except StopIteration as done:
            return done.value

    def perform(self, action) -> Input:
        if isinstance(action, Send):
            self._written(action.data)
        elif isinstance(action, Wait):
            return self._wait(action.until)
        elif isinstance(action, Discard):
            arrived = b"".join(data for at, data in self.pending if at <= self.now)
            self.pending = [(at, data) for at, data in self.pending if at > self.now]
            return Input(self.now, arrived)
        elif isinstance(action, Pause):
            self.pauses.append(round(action.until - self.now, 6))
            self.now = max(self.now, action.until)
        elif isinstance(action, Open):
            self.opens += 1
            if self.open_failures:
                self.open_failures -= 1
                raise DeviceNotFound("scripted: cannot open")
            self.lost = False
        elif isinstance(action, Close):
            self.pending.clear()
        elif isinstance(action, SetBaud):
            self.bauds.append(action.baud)
            self.baud = action.baud
        elif isinstance(action, Remember):
            self.remembered.append(action.entry)
        elif isinstance(action, StateEvent):
            self.events.append(action)
        else:
            raise AssertionError(f"unknown action {action!r}")
        return Input(self.now)

    def _written(self, data: bytes) -> None:
        if self.lost:
            raise LinkLost("scripted: link gone")
        for line in data.decode("ascii").split("\r")[:-1]:
            self.sent.append(line)
            answer = self.respond(line, self)
            if answer is None:
                continue
            text, delay = answer if isinstance(answer, tuple) else (answer, self.delay)
            self.pending.append((self.now + delay, text.encode("latin-1") + b"\r\r>"))

    def _wait(self, until: float) -> Input:
        if self.lost:
            raise LinkLost("scripted: link gone")
        if self.pending and self.pending[0][0] <= until:
            self.now = max(self.now, self.pending[0][0])
            arrived = b"".join(data for at, data in self.pending if at <= self.now)
            self.pending = [(at, data) for at, data in self.pending if at > self.now]
            return Input(self.now, arrived)
        self.now = max(self.now, until)
        return Input(self.now)

    def states(self) -> list[State]:
        return [event.state for event in self.events]


def elm327(
    banner: str = "ELM327 v2.1",
    *,
    car_on: str = "6",
    missing: tuple[str, ...] = (),
    latency: float = 0.031,
    wrong_bus: str = "CAN ERROR",
    extra: Callable | None = None,
):
    """A responder: an adapter printing ``banner``, answering ``?`` to ``missing``, in a car
    whose engine ECU answers on protocol ``car_on`` after ``latency`` seconds (``wrong_bus``
    on every other protocol). ``extra(command, adapter)`` may answer first (not None)."""
    selected = {"protocol": None}

    def respond(command: str, adapter: ScriptedAdapter):
        if extra is not None:
            answer = extra(command, adapter)
            if answer is not None:
                return None if answer == "silence" else answer
        if command in missing:
            return "?"
        if command in ("ATWS", "ATZ", "ATI"):
            return banner
        if command == "AT@1":
            return "OBDII to RS232 Interpreter"
        if command.startswith("ST"):
            return "?"
        if command.startswith("ATSP"):
            selected["protocol"] = command[4:]
            return "OK"
        if command == "ATDPN":
            return "A" + (selected["protocol"] or "0")
        if command.startswith("AT"):
            return "OK"
        if command.startswith("0100"):
            if selected["protocol"] not in (car_on, "0"):
                return wrong_bus
            if selected["protocol"] == "0":
                selected["protocol"] = car_on
            answer = {"7": CAN_29_ANSWER, "9": CAN_29_ANSWER, "3": ISO_ANSWER}.get(car_on)
            return answer or CAN_11_ANSWER, latency
        if command.startswith("010C"):
            return ("7E8044 10C1AF8".replace(" ", ""), latency)
        return "NO DATA"

    return respond


def connected(adapter: ScriptedAdapter, **options) -> SessionMachine:
    machine = SessionMachine("scripted://elm", **options)
    adapter.run(machine.connect(adapter.now))
    return machine


def after(adapter: ScriptedAdapter, mark: int) -> list[str]:
    return adapter.sent[mark:]


# ---------------------------------------------------------------- initialisation, clone probes


def test_connect_to_a_genuine_adapter_initialises_probes_finds_the_bus_and_tunes_atst():
    adapter = ScriptedAdapter(elm327())
    machine = connected(adapter)
    assert adapter.sent == [
        "ATWS",
        "ATE0",
        "ATL0",
        "ATS0",
        "ATH1",
        "AT@1",
        "ATAT2",
        "ATCRA",
        "STI",
        "ATAT1",
        "ATSP6",
        "0100",
        "01001",
        "ATST15",
    ]
    assert machine.adapter.identity == "ELM327 v2.1" and not machine.adapter.clone
    assert machine.adapter.device == "OBDII to RS232 Interpreter"
    assert machine.protocol == "6" and machine.ecus == [0x7E8]
    assert 0x0C in machine.supported[0x7E8]
    assert adapter.states() == [State.CONNECTING, State.CONNECTED]
    assert adapter.remembered == [Remembered("6", None, pytest.approx(0.031))]
    assert adapter.now - 100.0 < 0.5  # adapter time, on the fake clock


def test_a_clone_is_unmasked_by_its_missing_commands_and_not_trusted_with_answer_counts():
    adapter = ScriptedAdapter(elm327("ELM327 v1.5", missing=("ATCRA",)))
    machine = connected(adapter)
    assert machine.adapter.missing == ["ATCRA"] and machine.adapter.clone
    assert not machine.adapter.counts_answers
    assert not any(command.startswith("ATST") for command in adapter.sent)
    mark = len(adapter.sent)
    response = adapter.run(machine.request("010C", adapter.now, answers=1))
    assert after(adapter, mark) == ["ATSH7DF", "010C"]  # no count suffix for a clone
    assert response.value("RPM") == pytest.approx(1726.0)


@pytest.mark.parametrize(
    ("banner", "probes"),
    [
        ("ELM327 v1.0", ["AT@1"]),
        ("ELM327 v1.2", ["AT@1", "ATAT2"]),
        ("ELM327 v1.5", ["AT@1", "ATAT2", "ATCRA"]),
        ("OBDII v?", []),
    ],
)
def test_only_the_commands_of_the_claimed_version_are_probed(banner, probes):
    adapter = ScriptedAdapter(elm327(banner))
    machine = connected(adapter)
    assert [c for c in adapter.sent if c in ("AT@1", "ATAT2", "ATCRA")] == probes
    assert not machine.adapter.clone


def test_something_that_is_no_adapter_is_refused():
    adapter = ScriptedAdapter(lambda command, _: "HELLO FROM A MODEM")
    with pytest.raises(NotAnAdapter, match="not an ELM327"):
        connected(adapter)


def test_a_silent_device_is_no_adapter():
    adapter = ScriptedAdapter(lambda command, _: None)
    with pytest.raises(NotAnAdapter, match="no ELM327 prompt"):
        connected(adapter)


def test_the_serial_speed_is_found_by_asking_ati_at_each_rate():
    def extra(command, adapter):
        return None if adapter.baud == 115200 else "silence"

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter, baud_adjustable=True, baud=38400)
    assert adapter.bauds == [38400, 9600, 115200]
    assert adapter.remembered[-1].baud == 115200 and machine.protocol == "6"


# ---------------------------------------------------------------- protocol search


def test_the_search_tries_can_variants_before_the_adapters_own_search():
    adapter = ScriptedAdapter(elm327(car_on="9"))
    machine = connected(adapter)
    assert machine.tried_protocols == ["6", "7", "8", "9"]
    assert machine.protocol == "9" and machine.ecus == [0x18DAF110]


def test_the_remembered_protocol_is_tried_first():
    adapter = ScriptedAdapter(elm327(car_on="9"))
    machine = connected(adapter, remembered=Remembered("9"))
    assert machine.tried_protocols == ["9"]


def test_a_forced_protocol_is_the_only_one_tried():
    adapter = ScriptedAdapter(elm327(car_on="6"))
    with pytest.raises(NoVehicle):
        connected(adapter, protocol="8")
    assert [c for c in adapter.sent if c.startswith("ATSP")] == ["ATSP8"]


def test_a_legacy_car_is_found_by_the_adapters_search_and_atdpn():
    adapter = ScriptedAdapter(elm327(car_on="3", wrong_bus="NO DATA"))
    machine = connected(adapter)
    assert machine.tried_protocols == ["6", "7", "8", "9", "0"]
    assert machine.protocol == "3"


def test_no_data_everywhere_is_retried_then_reported_as_no_vehicle():
    adapter = ScriptedAdapter(
        elm327(
            car_on="none", wrong_bus="NO DATA", extra=lambda c, _: "A0" if c == "ATDPN" else None
        )
    )
    machine = SessionMachine("scripted://elm")
    with pytest.raises(NoVehicle, match="ignition"):
        adapter.run(machine.connect(adapter.now))
    # every silent candidate is tried again MAX_RETRIES (3) times: 5 + 3 * 5 probes
    assert machine.tried_protocols == ["6", "7", "8", "9", "0"] * 4


# ---------------------------------------------------------------- latency tuning


@pytest.mark.parametrize(
    ("latency", "setting"),
    [
        (0.031, "ATST15"),  # 2 x 31 ms + 20 ms = 82 ms: 20.5 steps of 4 ms, rounded up
        (0.001, "ATST0A"),  # never below 40 ms
        (0.2, "ATST32"),  # never above the default 200 ms
    ],
)
def test_atst_is_twice_the_measured_latency_plus_20_ms(latency, setting):
    adapter = ScriptedAdapter(elm327(latency=latency))
    machine = connected(adapter)
    assert [c for c in adapter.sent if c.startswith("ATST")] == [setting]
    assert machine.latency_s == pytest.approx(latency)


def test_st_steps_bounds():
    assert st_steps(0.0) == 0x0A and st_steps(10.0) == 0x32 and st_steps(0.05) == 30


def test_tuning_is_skipped_when_the_counted_request_gets_no_answer():
    adapter = ScriptedAdapter(elm327(extra=lambda c, _: "silence" if c == "01001" else None))
    machine = connected(adapter)
    assert not any(c.startswith("ATST") for c in adapter.sent)
    assert adapter.sent[-2:] == ["01001", "ATI"]  # resynchronised after the silence
    assert State.RESYNCING in adapter.states() and machine.protocol == "6"


# ---------------------------------------------------------------- retries and recovery


def test_a_damaged_answer_is_asked_again():
    answers = iter(["BUFFER FULL"])

    def extra(command, _):
        return next(answers, None) if command == "010C" else None

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter)
    response = adapter.run(machine.request("010C", adapter.now))
    assert response.value("RPM") == pytest.approx(1726.0)
    assert machine.stats.retries == 1 and adapter.states()[-1] == State.RETRYING


def test_a_lost_prompt_is_recovered_by_resynchronising():
    silent = {"010C": 1}

    def extra(command, _):
        if silent.get(command):
            silent[command] -= 1
            return "silence"
        return None

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter)
    mark, start = len(adapter.sent), adapter.now
    response = adapter.run(machine.request("010C", adapter.now))
    assert response.value("RPM") == pytest.approx(1726.0)
    assert after(adapter, mark) == ["ATSH7DF", "010C", "ATI", "010C"]
    assert adapter.states()[-2:] == [State.RESYNCING, State.RECOVERED]
    assert machine.stats.timeouts == 1 and machine.stats.recoveries == 1
    assert 1.5 <= adapter.now - start < 2.0  # the request's 1.5 s deadline, then quick


def test_the_ladder_climbs_to_reconnecting_when_resync_and_reinit_get_nothing():
    dead = {"on": False}

    def extra(command, adapter):
        return "silence" if dead["on"] else None

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter)
    dead["on"] = True
    original_open = adapter.perform

    def perform(action):
        if isinstance(action, Open):
            dead["on"] = False  # a fresh link brings the adapter back
        return original_open(action)

    adapter.perform = perform
    response = adapter.run(machine.request("010C", adapter.now))
    assert response.value("RPM") == pytest.approx(1726.0)
    ladder = [s for s in adapter.states() if s not in (State.CONNECTING, State.CONNECTED)]
    # re-initialising resynchronises first (the failed resync asked for it), in vain
    assert ladder == [
        State.RESYNCING,
        State.REINITIALISING,
        State.RESYNCING,
        State.RECONNECTING,
        State.RECOVERED,
    ]
    assert adapter.pauses == [0.05] and machine.stats.reconnects == 1


def test_recovery_gives_up_within_its_budget_and_says_so():
    dead = {"on": False}
    adapter = ScriptedAdapter(elm327(extra=lambda c, _: "silence" if dead["on"] else None))
    machine = connected(adapter)
    dead["on"] = True
    start = adapter.now
    with pytest.raises(AdapterTimeout, match="could not recover within 5 s"):
        adapter.run(machine.request("010C", adapter.now))
    assert adapter.now - start <= machine.timeouts.recover_s + 0.01
    assert adapter.states()[-1] == State.FAILED


def test_a_lost_link_is_reopened_with_backoff():
    def extra(command, adapter):
        if command == "010C" and adapter.opens == 1:
            adapter.lost = True  # the dongle drops the link on this request
            adapter.open_failures = 1  # and the first reopen fails
            return "silence"
        return None

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter)
    response = adapter.run(machine.request("010C", adapter.now))
    assert response.value("RPM") == pytest.approx(1726.0)
    assert adapter.pauses == [0.05, 0.2]  # backoff between the two reopen attempts
    assert machine.stats.reconnects == 2
    assert adapter.states()[-1] == State.RECOVERED


def test_a_link_that_drops_while_connecting_is_reopened():
    drops = {"left": 1}

    def extra(command, adapter):
        if command == "ATE0" and drops["left"]:
            drops["left"] -= 1
            adapter.lost = True
            return "silence"
        return None

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter)
    assert machine.protocol == "6" and adapter.opens == 2 and adapter.pauses == [0.05]
    assert State.RECONNECTING in adapter.states()


def test_an_adapter_that_reset_itself_is_reinitialised():
    resets = {"left": 1}

    def extra(command, _):
        if command == "010C" and resets["left"]:
            resets["left"] -= 1
            return "ELM327 v2.1"  # a power dip: the banner instead of the answer
        return None

    adapter = ScriptedAdapter(elm327(extra=extra))
    machine = connected(adapter)
    mark = len(adapter.sent)
    response = adapter.run(machine.request("010C", adapter.now))
    assert response.value("RPM") == pytest.approx(1726.0)
    assert after(adapter, mark)[:3] == ["ATSH7DF", "010C", "ATWS"]
    assert after(adapter, mark)[-2:] == ["ATSH7DF", "010C"]  # the reset forgot the header
    assert State.REINITIALISING in adapter.states()


def test_physical_addressing_sets_the_header_once():
    adapter = ScriptedAdapter(elm327())
    machine = connected(adapter)
    mark = len(adapter.sent)
    adapter.run(machine.request("010C", adapter.now, ecu=0x7E8))
    adapter.run(machine.request("010C", adapter.now, ecu=0x7E8))
    assert after(adapter, mark) == ["ATSH7E0", "010C1", "010C1"]


def test_an_interrupted_procedure_leaves_the_next_one_to_resynchronise():
    adapter = ScriptedAdapter(elm327())
    machine = connected(adapter)
    procedure = machine.request("010C", adapter.now)
    action = next(procedure)
    while not isinstance(action, Wait):  # up to the wait for the answer, then cancelled
        action = procedure.send(adapter.perform(action))
    procedure.close()
    machine.interrupt()
    mark = len(adapter.sent)
    assert adapter.run(machine.request("010C", adapter.now)).value("RPM") == pytest.approx(1726)
    assert after(adapter, mark) == ["ATI", "ATSH7DF", "010C"]
