"""ISO-TP reassembly: interleaved ECUs, sequence wrap, missing/duplicate/stray frames."""

from obdcore import Kind
from obdcore.protocol.isotp import can_answer_lines, segment
from tests.obdcore.conftest import lines


def _frames(can_id: int, payload: bytes) -> list[str]:
    return can_answer_lines(can_id, payload)


def test_two_ecus_interleaved_frame_by_frame(can):
    engine = _frames(0x7E8, b"\x43\x05" + bytes.fromhex("0133 0300 0171 0420 0101"))
    gearbox = _frames(0x7E9, b"\x43\x04" + bytes.fromhex("0700 0715 0730 0740"))
    mixed = [line for pair in zip(engine, gearbox, strict=True) for line in pair]
    response = can.decode(lines(*mixed))
    assert [(r.ecu, r.value) for r in response.readings] == [
        (0x7E8, ("P0133", "P0300", "P0171", "P0420", "P0101")),
        (0x7E9, ("P0700", "P0715", "P0730", "P0740")),
    ]
    assert response.notices == []


def test_sequence_number_wraps_after_f(can):
    payload = b"\x62\xf1\x90" + bytes(range(200))  # 203 bytes: 29 consecutive frames
    assert len(segment(payload)) > 17
    response = can.decode(lines(*_frames(0x7E8, payload)))
    assert response.readings[0].value == bytes(range(200))
    assert response.notices == []


def test_missing_frame_drops_the_message_and_says_so(can):
    frames = _frames(0x7E8, b"\x49\x02\x01" + b"WP0ZZZ99ZTS390000")
    response = can.decode(lines(frames[0], frames[2]))
    assert response.readings == []
    assert [(n.kind, n.ecu) for n in response.notices] == [(Kind.ISOTP_MISSING_FRAME, 0x7E8)]


def test_duplicate_frame_is_ignored_and_reported(can):
    frames = _frames(0x7E8, b"\x49\x02\x01" + b"WP0ZZZ99ZTS390000")
    response = can.decode(lines(frames[0], frames[1], frames[1], frames[2]))
    assert response.value("VIN") == "WP0ZZZ99ZTS390000"
    assert [n.kind for n in response.notices] == [Kind.ISOTP_DUPLICATE_FRAME]


def test_consecutive_frame_without_first_frame(can):
    response = can.decode(lines("7E8 21 5A 5A 5A 39 39 5A 54"))
    assert [n.kind for n in response.notices] == [Kind.ISOTP_UNEXPECTED_FRAME]


def test_answer_cut_mid_message_is_incomplete(can):
    frames = _frames(0x7E8, b"\x49\x02\x01" + b"WP0ZZZ99ZTS390000")
    response = can.decode(lines(*frames[:2]))
    assert [(n.kind, n.text) for n in response.notices] == [
        (Kind.ISOTP_INCOMPLETE, "13 of 20 bytes received")
    ]


def test_new_first_frame_abandons_the_previous_message(can):
    frames = _frames(0x7E8, b"\x49\x02\x01" + b"WP0ZZZ99ZTS390000")
    response = can.decode(lines(frames[0], *frames))
    assert response.value("VIN") == "WP0ZZZ99ZTS390000"
    assert [n.kind for n in response.notices] == [Kind.ISOTP_INCOMPLETE]


def test_bad_single_frames(can):
    response = can.decode(lines("7E8 00 41 0C", "7E8 07 41 0C", "7E8 1", "7E8 45 00 00"))
    kinds = [n.kind for n in response.notices]
    assert kinds == [
        Kind.ISOTP_BAD_FRAME,
        Kind.ISOTP_BAD_FRAME,
        Kind.UNPARSEABLE,
        Kind.ISOTP_BAD_FRAME,
    ]
    assert response.readings == []


def test_can_fd_escape_length(can):
    response = can.decode(lines("7E8 00 04 41 0C 1A F8"))
    assert response.value("RPM") == 1726.0


def test_flow_control_frames_are_ignored(can):
    response = can.decode(lines("7E0 30 00 00", "7E8 03 41 0D 32"))
    assert response.value("SPEED") == 50.0 and response.notices == []


def test_first_frame_with_escape_length_is_refused(can):
    response = can.decode(lines("7E8 10 00 00 00 10 00 49 02"))
    assert [n.kind for n in response.notices] == [Kind.ISOTP_BAD_FRAME]


def test_segment_round_trip_lengths():
    for size in (1, 7, 8, 13, 14, 4095):
        frames = segment(bytes(size))
        assert all(len(f) == 8 for f in frames)
        assert len(frames) == (1 if size <= 7 else 1 + -(-(size - 6) // 7))
