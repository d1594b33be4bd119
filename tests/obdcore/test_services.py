"""Decoding of each service: Mode 01/02, DTCs, Mode 04, Mode 06, Mode 09, UDS 0x22."""

import pytest

from obdcore import Kind, MonitorStatus, PidTable, describe_dtc
from obdcore.protocol.isotp import can_answer_lines
from tests.obdcore.conftest import lines


def _answer(can, ecu: int, payload: bytes):
    return can.decode(lines(*can_answer_lines(ecu, payload)))


def test_six_pids_in_one_answer(can):
    payload = bytes.fromhex("41 0C 1A F8 0D 32 05 7B 0F 41 10 01 F4 11 33")
    response = _answer(can, 0x7E8, payload)
    values = {r.name: (r.value, r.unit) for r in response.readings}
    assert values == {
        "RPM": (1726.0, "rpm"),
        "SPEED": (50.0, "km/h"),
        "COOLANT_TEMP": (83.0, "°C"),
        "INTAKE_TEMP": (25.0, "°C"),
        "MAF": (5.0, "g/s"),
        "THROTTLE_POS": (pytest.approx(20.0, abs=0.01), "%"),
    }
    assert response.notices == []


def test_supported_pid_bitmap(can):
    response = can.decode(lines("7E8 06 41 00 BE 1F A8 13"))
    supported = response.value("PIDS_A")
    assert supported[:6] == (0x01, 0x03, 0x04, 0x05, 0x06, 0x07)
    assert 0x20 in supported and 0x02 not in supported


def test_monitor_status_spark_engine(can):
    # MIL on, 2 DTCs; misfire/fuel/components available, fuel not complete;
    # catalyst + O2 available, catalyst incomplete.
    response = can.decode(lines("7E8 06 41 01 82 27 21 01"))
    status = response.value("STATUS")
    assert isinstance(status, tuple) and status.mil and status.dtc_count == 2
    assert status.ignition == "spark"
    by_name = {m.name: m for m in status.monitors}
    assert by_name["MISFIRE"].available and by_name["MISFIRE"].complete
    assert by_name["FUEL_SYSTEM"].available and not by_name["FUEL_SYSTEM"].complete
    assert by_name["CATALYST"].available and not by_name["CATALYST"].complete
    assert by_name["OXYGEN_SENSOR"].available and by_name["OXYGEN_SENSOR"].complete
    assert not by_name["EVAPORATIVE_SYSTEM"].available


def test_monitor_status_compression_engine_names(can):
    status = can.decode(lines("7E8 06 41 01 00 0F 40 00")).value("STATUS")
    assert status.ignition == "compression"
    assert {m.name for m in status.monitors if m.available} >= {"PM_FILTER"}
    assert type(status).__name__ == MonitorStatus.__name__


def test_freeze_frame_with_frame_number(can):
    response = can.decode(lines("7E8 05 42 0C 00 1A F8", "7E8 05 42 02 00 01 33"))
    rpm, dtc = response.readings
    assert (rpm.service, rpm.name, rpm.value, rpm.frame) == (2, "RPM", 1726.0, 0)
    assert (dtc.name, dtc.value) == ("FREEZE_DTC", "P0133")


def test_freeze_frames_several_pids(can):
    payload = bytes.fromhex("42 0C 01 1A F8 0D 01 32")
    response = _answer(can, 0x7E8, payload)
    assert [(r.name, r.value, r.frame) for r in response.readings] == [
        ("RPM", 1726.0, 1),
        ("SPEED", 50.0, 1),
    ]


@pytest.mark.parametrize(
    "sid,name", [(0x43, "DTC_STORED"), (0x47, "DTC_PENDING"), (0x4A, "DTC_PERMANENT")]
)
def test_dtc_lists_per_service(can, sid, name):
    response = _answer(can, 0x7E8, bytes([sid, 3]) + bytes.fromhex("0133 C123 9234"))
    reading = response.readings[0]
    assert (reading.service, reading.name) == (sid - 0x40, name)
    assert reading.value == ("P0133", "U0123", "B1234")


def test_dtc_all_four_letters_and_digits(can):
    response = _answer(can, 0x7E8, bytes([0x43, 4]) + bytes.fromhex("3FFF 4000 8ABC C001"))
    assert response.value("DTC_STORED") == ("P3FFF", "C0000", "B0ABC", "U0001")


def test_no_dtcs(can):
    assert can.decode(lines("7E8 02 43 00")).value("DTC_STORED") == ()


def test_dtc_count_larger_than_codes_is_truncated(can):
    response = can.decode(lines("7E8 04 43 03 01 33"))
    assert response.value("DTC_STORED") == ("P0133",)
    assert [n.kind for n in response.notices] == [Kind.TRUNCATED]


def test_dtc_descriptions_are_never_blank():
    assert "Shift Solenoid" in describe_dtc("P0999")  # python-obd's English
    assert "bank 1 sensor 1" in describe_dtc("P0133")  # ours, more precise
    assert "no description available" in describe_dtc("P3FFF")  # generic, not in a table
    assert describe_dtc("P3FFFF") is None  # not a code


def test_clear_acknowledgement(can):
    response = can.decode(lines("7E8 01 44", "7E9 01 44"))
    assert [(r.ecu, r.name, r.value) for r in response.readings] == [
        (0x7E8, "CLEAR_DTC", True),
        (0x7E9, "CLEAR_DTC", True),
    ]


def test_mode06_tests_with_scaling_and_limits(can):
    # MID 01 (O2 sensor B1S1): TID 01 with UASID 0x0A (0.122 mV) and TID 05 with 0x10 (ms).
    payload = bytes.fromhex("46 01 01 0A 0D 55 00 00 0E 10  01 05 10 00 64 00 00 00 C8")
    reading = _answer(can, 0x7E8, payload).readings[0]
    assert (reading.service, reading.pid) == (6, 0x01)
    first, second = reading.value
    assert first.unit == "V" and first.value == pytest.approx(0x0D55 * 0.000122, rel=1e-3)
    assert first.passed and first.maximum == pytest.approx(0x0E10 * 0.000122, rel=1e-3)
    assert second.unit == "s" and second.value == pytest.approx(0.1)
    assert second.passed


def test_mode06_failed_test(can):
    payload = bytes.fromhex("46 21 80 24 00 05 00 00 00 04")  # 5 counts, max 4
    test = _answer(can, 0x7E8, payload).readings[0].value[0]
    assert (test.value, test.maximum, test.passed) == (5.0, 4.0, False)


def test_mode06_supported_mids_bitmap(can):
    response = can.decode(lines("7E8 06 46 00 C0 00 00 01"))
    assert response.readings[0].value == (0x01, 0x02, 0x20)


def test_mode09_items(can):
    calid = b"\x49\x04\x02" + b"JMB*36761500\0\0\0\0" + b"JMB*47872611\0\0\0\0"
    cvn = b"\x49\x06\x02" + bytes.fromhex("17 91 BC 82 16 E0 62 BE")
    name = b"\x49\x0a\x01" + b"ECM\0-EngineControl\0\0\0"
    response = can.decode(
        lines(
            *can_answer_lines(0x7E8, calid),
            *can_answer_lines(0x7E8, cvn),
            *can_answer_lines(0x7E8, name),
        )
    )
    assert response.value("CALIBRATION_ID") == ("JMB*36761500", "JMB*47872611")
    assert response.value("CVN") == ("1791BC82", "16E062BE")
    assert response.value("ECU_NAME") == "ECM-EngineControl"


def test_mode09_in_use_performance_counters(can):
    counters = b"".join(n.to_bytes(2, "big") for n in range(100, 120))
    value = _answer(can, 0x7E8, b"\x49\x08\x14" + counters).readings[0].value
    assert value["OBDCOND"] == 100 and value["IGNCNTR"] == 101 and value["SO2SCOND2"] == 119


def test_vin_keeps_all_17_characters(can):
    # python-obd strips 0/1/2 from the ends: WP0ZZZ99ZTS390000 -> WP0ZZZ99ZTS39.
    payload = b"\x49\x02\x01" + b"WP0ZZZ99ZTS390000"
    assert _answer(can, 0x7E8, payload).value("VIN") == "WP0ZZZ99ZTS390000"


def test_uds_did_raw_and_negative_responses(can):
    response = can.decode(lines("7E8 05 62 F1 90 41 42", "7E8 03 7F 22 78", "7E8 03 7F 22 31"))
    assert response.readings[0].as_tuple() == (0x7E8, 0x22, 0xF190, "DID_F190", b"AB", "", -1)
    pending, refused = response.negatives
    assert pending.pending and pending.service == 0x22
    assert not refused.pending and refused.meaning == "request out of range"


def test_negative_response_cut_short(can):
    response = can.decode(lines("7E8 02 7F 22"))
    assert [n.kind for n in response.negatives + response.notices] == [Kind.TRUNCATED]


USER_PIDS = """mode,pid,name,bytes,formula,unit,min,max,description,header
22,1234,OIL_TEMP_X,2,"signed(A*256+B,16)/10",°C,,,Oil temperature (made-up DID),7E0
22,2001,GEAR_FLAGS,1,{A:7},,,,Reverse gear flag,7E0
21,01,BATTERY_SOC,2,(A*256+B)*100/65535,%,,,State of charge,7E4
21,02,ODD_FORMULA,2,100/A+B,,,,Non-affine formula,7E4
"""


def test_user_defined_pids(core):
    table = PidTable.standard().extended(PidTable.from_csv(USER_PIDS))
    decoder = core.Decoder("6", table=table)
    response = decoder.decode(
        lines(
            "7E8 05 62 12 34 FF 9C",
            "7E8 04 62 20 01 80",
            "7EC 04 61 01 FF FF",
            "7EC 04 61 02 00 05",
        )
    )
    values = {r.name: r.value for r in response.readings}
    assert values["OIL_TEMP_X"] == -10.0
    assert values["GEAR_FLAGS"] == 1.0
    assert values["BATTERY_SOC"] == 100.0
    assert values["ODD_FORMULA"] != values["ODD_FORMULA"]  # 100/0: NaN, not an exception
    assert {r.ecu for r in response.readings} == {0x7E8, 0x7EC}
