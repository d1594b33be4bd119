"""The batch API: a whole log in, numpy columns out, the same values as answer by answer."""

import numpy as np
from hypothesis import HealthCheck, given, settings

from obdcore.protocol.batch import RECORD_DTYPE
from obdcore.protocol.isotp import can_answer_lines
from tests.obdcore.logs import formatted_logs
from tests.obdcore.test_twins import normal


def _answers() -> list[str]:
    """A polling log: one entry per answer (multi-frame answers span several lines)."""
    answers = []
    for rpm in range(800, 3000, 100):
        answers.append(can_answer_lines(0x7E8, b"\x41\x0c" + (rpm * 4).to_bytes(2, "big")))
        answers.append(can_answer_lines(0x7E8, bytes.fromhex("41 0D 32 05 7B 0F 41 11 33")))
    answers.append(can_answer_lines(0x7E8, b"\x49\x02\x01WP0ZZZ99ZTS390000"))
    answers.append(can_answer_lines(0x7E8, bytes.fromhex("43 03 01 33 03 00 01 71")))
    answers.append(can_answer_lines(0x7E9, bytes.fromhex("47 01 07 00")))
    answers += [["NO DATA"], ["7E8 03 7F 01 12"]]
    return ["\r".join(lines) for lines in answers]


def _log() -> list[str]:
    return _answers()


def test_batch_matches_answer_by_answer(can):
    log = _log()
    batch = can.decode_batch("\r".join(log))
    numeric = [
        (r.ecu, r.service, r.pid, r.name, r.value)
        for answer in log
        for r in can.decode(answer).readings
        if isinstance(r.value, float)
    ]
    stored = [
        (int(e), int(s), int(p), batch.names[f], float(v))
        for e, s, p, f, v in zip(
            batch.ecu, batch.service, batch.pid, batch.field, batch.value, strict=True
        )
        if batch.units[f] != "dtc"
    ]
    assert stored == numeric
    assert batch.column("RPM").tolist() == [float(r) for r in range(800, 3000, 100)]


def test_batch_keeps_dtcs_objects_and_notices(can):
    batch = can.decode_batch("\r".join(_log()))
    codes = [(ecu, name, code) for _, ecu, name, code in batch.dtcs()]
    assert codes == [
        (0x7E8, "DTC_STORED", "P0133"),
        (0x7E8, "DTC_STORED", "P0300"),
        (0x7E8, "DTC_STORED", "P0171"),
        (0x7E9, "DTC_PENDING", "P0700"),
    ]
    assert [r.value for r in batch.objects] == ["WP0ZZZ99ZTS390000"]
    assert [n.kind for n in batch.notices] == ["NO_DATA"]
    assert [(n.service, n.nrc) for n in batch.negatives] == [(1, 0x12)]


def test_line_column_points_at_the_completing_line(can):
    batch = can.decode_batch("7E8 03 41 0D 10\r\r7E8 03 41 0D 20")
    assert batch.line.tolist() == [0, 2]


def test_records_are_one_structured_array(can):
    batch = can.decode_batch("\r".join(_log()))
    records = batch.records()
    assert records.dtype == RECORD_DTYPE and len(records) == len(batch)
    assert np.array_equal(records["value"], batch.value)


def test_columns_grow_past_the_initial_capacity(can):
    log = "\r".join(["7E8 06 41 0C 1A F8 0D 32"] * 3000)
    batch = can.decode_batch(log)
    assert len(batch) == 2 * 3000 and batch.notices == []
    assert batch.column("SPEED").tolist() == [50.0] * 3000


def test_empty_batch(can):
    batch = can.decode_batch(b"")
    assert len(batch) == 0 and batch.value.dtype == np.float64


# ---------------------------------------------------------------- the batch's own paths
# The compiled build stores DTC lists and reassembles ISO-TP messages without Python
# objects in a batch, and reuses notices for repeated lines: the tests below pin their
# results on both builds (test_twins compares the builds on random logs).


def _numeric(readings) -> list:
    return [
        (r.ecu, r.service, r.pid, r.name, normal(r.value))
        for r in readings
        if type(r.value) is float
    ]


def _dtc_rows(readings) -> list:
    return [(r.ecu, r.name, code) for r in readings if r.name in DTC_FIELDS for code in r.value]


DTC_FIELDS = ("DTC_STORED", "DTC_PENDING", "DTC_PERMANENT")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=formatted_logs())
def test_batch_holds_what_decode_returns(core, case):
    """A whole log through decode_batch holds the data decode returns for it: numbers and
    DTCs as rows, other values as objects, the same notices and negatives."""
    (protocol, headers, caf), log = case
    decoder = core.Decoder(protocol, headers=headers, caf=caf)
    response, batch = decoder.decode(log), decoder.decode_batch(log)
    is_dtc = [batch.units[f] == "dtc" for f in batch.field]
    rows = [
        (int(e), int(s), int(p), batch.names[f], normal(v))
        for e, s, p, f, v, d in zip(
            batch.ecu, batch.service, batch.pid, batch.field, batch.value, is_dtc, strict=True
        )
        if not d
    ]
    assert rows == _numeric(response.readings)
    assert [(ecu, name, code) for _, ecu, name, code in batch.dtcs()] == _dtc_rows(
        response.readings
    )
    assert [normal(r.as_tuple()) for r in batch.objects] == [
        normal(r.as_tuple())
        for r in response.readings
        if type(r.value) is not float and r.name not in DTC_FIELDS
    ]
    assert batch.notices == response.notices and batch.negatives == response.negatives
    assert batch.line.tolist() == sorted(batch.line.tolist())


def test_dtc_rows_say_when_codes_are_missing(can):
    batch = can.decode_batch(
        "7E8 10 0A 43 05 01 33 03 00\r7E8 21 01 71 00 00 00 00 00\r7E9 04 47 03 07 00\r7E9 02 4A 00"
    )
    assert [(line, ecu, name, code) for line, ecu, name, code in batch.dtcs()] == [
        (1, 0x7E8, "DTC_STORED", "P0133"),
        (1, 0x7E8, "DTC_STORED", "P0300"),
        (1, 0x7E8, "DTC_STORED", "P0171"),
        (1, 0x7E8, "DTC_STORED", "P0000"),
        (2, 0x7E9, "DTC_PENDING", "P0700"),
    ]
    assert [(n.kind, n.text, n.ecu) for n in batch.notices] == [
        ("TRUNCATED", "5 DTCs announced, 4 received", 0x7E8),
        ("TRUNCATED", "3 DTCs announced, 1 received", 0x7E9),
    ]


def test_legacy_dtc_rows_skip_the_padding(core):
    decoder = core.Decoder("3", headers=True)
    batch = decoder.decode_batch(
        "48 6B 10 43 01 33 00 00 00 00 AA\r48 6B 10 43 03 00 01 71 00 00 42"
    )
    codes = [code for _, _, _, code in batch.dtcs()]
    assert codes == [
        c
        for r in decoder.decode(
            "48 6B 10 43 01 33 00 00 00 00 AA\r48 6B 10 43 03 00 01 71 00 00 42"
        ).readings
        for c in r.value
    ]


def test_repeated_notices_are_all_kept(can):
    log = "\r".join(
        [
            "NO DATA",
            "7E8 03 41 0D 32",
            "NO DATA",
            "SEARCHING...",
            "NO DATA",
            "7E8 03 41 0D 33 <DATA ERROR",
            "7E8 03 41 0D 33 <DATA ERROR",
        ]
    )
    batch = can.decode_batch(log)
    assert [n.kind for n in batch.notices] == [
        "NO_DATA",
        "NO_DATA",
        "SEARCHING",
        "NO_DATA",
        "DATA_ERROR",
        "DATA_ERROR",
    ]
    assert batch.notices == can.decode(log).notices
    assert batch.column("SPEED").tolist() == [50.0]


def _vin_streams(count: int) -> list[list[str]]:
    return [
        can_answer_lines(0x700 + i, b"\x49\x02\x01" + f"VIN{i:014d}".encode()) for i in range(count)
    ]


def test_more_ecus_at_once_than_slots(can):
    """20 ECUs' VINs in reassembly at the same time (the compiled build has 16 C slots,
    then goes on with Python objects), one frame repeated after the switch."""
    streams = _vin_streams(20)
    log = (
        [s[0] for s in streams[:16]]
        + [s[1] for s in streams[:16]]
        + [s[0] for s in streams[16:]]
        + [streams[3][1]]
        + [s[1] for s in streams[16:]]
        + [s[2] for s in streams]
    )
    batch = can.decode_batch("\r".join(log))
    assert [(r.ecu, r.value) for r in batch.objects] == [
        (0x700 + i, f"VIN{i:014d}") for i in range(20)
    ]
    assert [(n.kind, n.ecu) for n in batch.notices] == [("ISOTP_DUPLICATE_FRAME", 0x703)]


def test_unfinished_messages_are_reported_oldest_first(can):
    """A restart keeps its place in the queue; a completed message leaves it."""
    a, b, c = _vin_streams(3)
    batch = can.decode_batch("\r".join([a[0], b[0], c[0], a[0], a[1], b[1], b[2]]))
    assert [(r.ecu, r.value) for r in batch.objects] == [(0x701, "VIN00000000000001")]
    assert [(n.kind, n.text, n.ecu) for n in batch.notices] == [
        ("ISOTP_INCOMPLETE", "6 of 20 bytes received", 0x700),
        ("ISOTP_INCOMPLETE", "13 of 20 bytes received", 0x700),
        ("ISOTP_INCOMPLETE", "6 of 20 bytes received", 0x702),
    ]
