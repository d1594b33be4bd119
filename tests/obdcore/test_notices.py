"""Everything that is not data comes back typed, never as an exception or a value."""

import pytest

from obdcore import Kind
from tests.obdcore.conftest import lines

ADAPTER_TEXT = [
    ("NO DATA", Kind.NO_DATA),
    ("SEARCHING...", Kind.SEARCHING),
    ("UNABLE TO CONNECT", Kind.UNABLE_TO_CONNECT),
    ("BUS INIT: ...OK", Kind.BUS_INIT),
    ("BUS INIT: ...ERROR", Kind.BUS_INIT_ERROR),
    ("CAN ERROR", Kind.CAN_ERROR),
    ("BUS ERROR", Kind.BUS_ERROR),
    ("BUS BUSY", Kind.BUS_BUSY),
    ("BUFFER FULL", Kind.BUFFER_FULL),
    ("STOPPED", Kind.STOPPED),
    ("?", Kind.UNKNOWN_COMMAND),
    ("ERR94", Kind.ERROR_CODE),
    ("<RX ERROR", Kind.RX_ERROR),
    ("DATA ERROR", Kind.DATA_ERROR),
    ("FB ERROR", Kind.FB_ERROR),
    ("LV RESET", Kind.LOW_VOLTAGE_RESET),
    ("ACT ALERT", Kind.ACTIVITY_ALERT),
    ("LP ALERT", Kind.LOW_POWER_ALERT),
    ("OK", Kind.OK),
    ("ELM327 v1.5", Kind.IDENTITY),
    ("ATZ", Kind.ECHO),
    ("hello world", Kind.UNPARSEABLE),
    ("ERRATIC", Kind.UNPARSEABLE),
]


@pytest.mark.parametrize("text,kind", ADAPTER_TEXT, ids=[t for t, _ in ADAPTER_TEXT])
def test_adapter_messages_are_typed(can, text, kind):
    response = can.decode(lines(text))
    assert response.readings == []
    assert [(n.kind, n.text) for n in response.notices] == [(kind, text.upper())]


def test_searching_then_data(can):
    response = can.decode(lines("SEARCHING...", "7E8 03 41 0D 32"))
    assert response.value("SPEED") == 50.0
    assert [n.kind for n in response.notices] == [Kind.SEARCHING]


def test_data_error_marker_discards_the_line(can):
    response = can.decode(lines("7E8 03 41 0D 32 <DATA ERROR"))
    assert response.readings == []
    assert [n.kind for n in response.notices] == [Kind.DATA_ERROR]


def test_garbage_bytes_are_unparseable(can):
    response = can.decode(b"\xff\xfe\x80garbage\x01\r7E8 03 41 0D 32\r\r>")
    assert response.value("SPEED") == 50.0
    assert [n.kind for n in response.notices] == [Kind.UNPARSEABLE]


def test_endless_line_is_cut_and_reported(can):
    response = can.decode("7E8 " + "41 " * 10_000)
    assert [n.kind for n in response.notices] == [Kind.LINE_TOO_LONG]


def test_endless_answer_is_cut_and_reported(can):
    raw = "7E8 03 41 0D 32\r" * 10_000
    response = can.decode(raw)
    assert response.notices[0].kind == Kind.RESPONSE_TOO_LONG
    assert 0 < len(response.readings) < 10_000


def test_empty_input(can):
    response = can.decode(b"")
    assert response.readings == [] and response.notices == [] and not response.ok


def test_truncated_pid_data(can):
    response = can.decode(lines("7E8 03 41 0C 1A"))
    assert [n.kind for n in response.notices] == [Kind.TRUNCATED]


def test_unknown_pid_keeps_the_rest_visible(can):
    response = can.decode(lines("7E8 04 41 FF 01 02"))
    assert [n.kind for n in response.notices] == [Kind.UNKNOWN_PID]
    assert "FF 01 02" in response.notices[0].text


def test_unknown_service_is_undecoded(can):
    response = can.decode(lines("7E8 02 50 01"))
    assert [(n.kind, n.text) for n in response.notices] == [(Kind.UNDECODED, "50 01")]
