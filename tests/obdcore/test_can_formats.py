"""ELM327 CAN output in every format: headers, spaces, CAF, linefeeds, echo, 11/29-bit."""

import pytest

from obdcore import Kind, ProtocolError
from obdcore.protocol.isotp import can_answer_lines
from tests.obdcore.conftest import lines

VIN_ANSWER = b"\x49\x02\x01" + b"WP0ZZZ99ZTS390000"


def test_single_frame_rpm(can):
    response = can.decode(lines("7E8 04 41 0C 1A F8 00 00 00"))
    assert [r.as_tuple() for r in response.readings] == [(0x7E8, 1, 0x0C, "RPM", 1726.0, "rpm", -1)]
    assert response.notices == [] and response.ok


@pytest.mark.parametrize("headers", [True, False])
@pytest.mark.parametrize("spaces", [True, False])
@pytest.mark.parametrize(
    "protocol,extended", [("6", False), ("7", True), ("8", False), ("9", True)]
)
def test_vin_in_every_can_format(core, headers, spaces, protocol, extended):
    can_id = 0x18DAF110 if extended else 0x7E8
    text = lines(
        *can_answer_lines(can_id, VIN_ANSWER, extended=extended, headers=headers, spaces=spaces)
    )
    response = core.Decoder(protocol, headers=headers).decode(text)
    assert response.value("VIN") == "WP0ZZZ99ZTS390000"
    assert response.readings[0].ecu == (can_id if headers else -1)
    assert response.notices == []


def test_29_bit_ecu_is_the_full_can_id(core):
    response = core.Decoder("7").decode(lines("18 DA F1 10 03 41 0D 42", "18 DA F1 18 03 41 0D 43"))
    assert [(r.ecu, r.value) for r in response.readings] == [(0x18DAF110, 66.0), (0x18DAF118, 67.0)]


def test_ecus_are_told_apart_by_full_id_not_low_bits(can):
    # python-obd folds IDs with & 7, so 7E8 and 7C8 collide; we keep them apart.
    response = can.decode(lines("7E8 03 41 0D 10", "7C8 03 41 0D 20"))
    assert [(r.ecu, r.value) for r in response.readings] == [(0x7E8, 16.0), (0x7C8, 32.0)]


def test_echo_linefeeds_nul_prompt_and_lowercase(can):
    raw = b"\x00\x00>010C\r\n7e8 04 41 0c 1a f8 00 00 00\r\n\r\n>"
    response = can.decode(raw, request="010C")
    assert response.value("RPM") == 1726.0
    assert response.notices == []


def test_echo_without_request_is_reported_not_decoded(core):
    response = core.Decoder("6", headers=False).decode("010C\r41 0C 1A F8\r\r>")
    assert response.value("RPM") == 1726.0
    assert [n.kind for n in response.notices] == [Kind.ECHO]


def test_caf_off_shows_pci_even_with_headers_off(core):
    decoder = core.Decoder("6", headers=False, caf=False)
    text = lines("10 14 49 02 01 57 50 30", "21 5A 5A 5A 39 39 5A 54", "22 53 33 39 30 30 30 30")
    assert decoder.decode(text).value("VIN") == "WP0ZZZ99ZTS390000"


def test_headers_off_single_frame_without_pci(core):
    response = core.Decoder("6", headers=False).decode(lines("41 05 7B"))
    assert response.value("COOLANT_TEMP") == 83.0
    assert response.readings[0].ecu == -1


def test_headers_off_lines_out_of_order_are_reported(core):
    decoder = core.Decoder("6", headers=False)
    response = decoder.decode(lines("014", "0: 49 02 01 57 50 30", "2: 53 33 39 30 30 30 30"))
    assert response.readings == []
    assert [n.kind for n in response.notices] == [Kind.ISOTP_MISSING_FRAME]


def test_headers_off_answer_cut_short_is_incomplete(core):
    response = core.Decoder("6", headers=False).decode(lines("014", "0: 49 02 01 57 50 30"))
    assert [n.kind for n in response.notices] == [Kind.ISOTP_INCOMPLETE]
    assert "6 of 20" in response.notices[0].text


def test_frames_and_messages_views(can):
    text = lines(*can_answer_lines(0x7E8, VIN_ANSWER))
    frames, notices = can.frames(text)
    assert [f.ecu for f in frames] == [0x7E8] * 3 and notices == []
    assert frames[0].data[:2] == b"\x10\x14"
    messages, _ = can.messages(text)
    assert [(m.ecu, m.payload) for m in messages] == [(0x7E8, VIN_ANSWER)]


@pytest.mark.parametrize("protocol", ["0", "A", "10", "J1939", ""])
def test_unknown_protocol_is_a_typed_error(core, protocol):
    with pytest.raises(ProtocolError):
        core.Decoder(protocol)


def test_atdpn_answer_names_the_protocol(core):
    assert core.Decoder("A7").protocol == "7"
