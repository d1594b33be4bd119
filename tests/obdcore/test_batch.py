"""The batch API: a whole log in, numpy columns out, the same values as answer by answer."""

import numpy as np

from obdcore.batch import RECORD_DTYPE
from obdcore.isotp import can_answer_lines


def _answers() -> list[str]:
    """A polling log: one entry per answer (multi-frame answers span several lines)."""
    answers = []
    for rpm in range(800, 3000, 100):
        answers.append(can_answer_lines(0x7E8, b"\x41\x0C" + (rpm * 4).to_bytes(2, "big")))
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
    numeric = [(r.ecu, r.service, r.pid, r.name, r.value)
               for answer in log for r in can.decode(answer).readings
               if isinstance(r.value, float)]
    stored = [(int(e), int(s), int(p), batch.names[f], float(v)) for e, s, p, f, v in
              zip(batch.ecu, batch.service, batch.pid, batch.field, batch.value, strict=True)
              if batch.units[f] != "dtc"]
    assert stored == numeric
    assert batch.column("RPM").tolist() == [float(r) for r in range(800, 3000, 100)]


def test_batch_keeps_dtcs_objects_and_notices(can):
    batch = can.decode_batch("\r".join(_log()))
    codes = [(ecu, name, code) for _, ecu, name, code in batch.dtcs()]
    assert codes == [(0x7E8, "DTC_STORED", "P0133"), (0x7E8, "DTC_STORED", "P0300"),
                     (0x7E8, "DTC_STORED", "P0171"), (0x7E9, "DTC_PENDING", "P0700")]
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
