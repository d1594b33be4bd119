"""Adapter and link faults, for the resilience tests of clients."""

from __future__ import annotations

import re

from tests.firmware_sim.helpers import lines, make_firmware, quiet, send


def _ready(fault: str):
    fw = quiet(make_firmware(faults=(f"{fault}@1",)))
    fw.links.severity.pop(fault)  # let the set-up request through untouched
    send(fw, "0100")
    fw.links.severity[fault] = 1.0
    return fw


def test_link_drop_cuts_the_answer_and_asks_to_hang_up() -> None:
    fw = _ready("link_drop")
    answer = send(fw, "0902")
    assert fw.wants_close and not answer.endswith(">")
    fw.reset_link()
    assert not fw.wants_close


def test_garbage_bytes_appear_in_the_answer() -> None:
    fw = _ready("garbage")
    raw = fw.feed(b"010C\r", 0.0)
    assert re.search(rb"[^0-9A-F \r>]", raw)


def test_buffer_full() -> None:
    fw = _ready("buffer_full")
    assert lines(send(fw, "0902"))[-1] == "BUFFER FULL"


def test_can_error_and_bus_error() -> None:
    assert lines(send(_ready("can_error"), "010C")) == ["CAN ERROR"]
    legacy = quiet(make_firmware(protocol="3", faults=("can_error@1",)))
    assert lines(send(legacy, "010C"))[-1] == "BUS ERROR"


def test_no_data_burst_lasts_several_requests() -> None:
    fw = _ready("no_data_burst")
    fw.links.severity["no_data_burst"] = 0.0  # one burst only
    fw.links.burst_left = 5
    answers = [lines(send(fw, "010C")) for _ in range(7)]
    assert answers[:5] == [["NO DATA"]] * 5
    assert answers[5][0].startswith("41 0C")


def test_missing_prompt() -> None:
    answer = send(_ready("missing_prompt"), "010C")
    assert answer.startswith("41 0C") and not answer.endswith(">")


def test_stall_of_several_seconds_then_the_answer() -> None:
    fw = _ready("stall")
    assert fw.feed(b"010C\r", 100.0) == b""
    assert fw.poll(104.9) == b""
    assert fw.poll(105.01).decode().startswith("41 0C")


def test_input_during_a_stall_is_stopped() -> None:
    fw = _ready("stall")
    fw.feed(b"010C\r", 100.0)
    assert fw.feed(b"0", 101.0) == b"STOPPED\r\r>"


def test_link_fault_probability_is_a_severity() -> None:
    fw = quiet(make_firmware(faults=("can_error@0.3",)))
    send(fw, "0100")
    errors = sum(lines(send(fw, "010C")) == ["CAN ERROR"] for _ in range(200))
    assert 30 < errors < 95
