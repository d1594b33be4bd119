"""J1850 PWM/VPW, ISO 9141-2 and ISO 14230-4 KWP: header, check byte, multi-line answers."""

import pytest

from obdcore import Kind
from obdcore.protocol._core import j1850_crc
from tests.obdcore.conftest import lines


def _line(header: bytes, data: bytes, crc: bool) -> str:
    body = header + data
    check = j1850_crc(body) if crc else sum(body) & 0xFF
    return (body + bytes([check])).hex(" ").upper()


PROTOCOLS = [
    ("1", bytes.fromhex("41 6B 10"), True),
    ("2", bytes.fromhex("48 6B 10"), True),
    ("3", bytes.fromhex("48 6B 10"), False),
    ("4", bytes.fromhex("86 F1 10"), False),
    ("5", bytes.fromhex("86 F1 10"), False),
]


def test_j1850_crc_known_value():
    # SAE J1850 CRC-8 check value for the ASCII digits 1..9.
    assert j1850_crc(b"123456789") == 0x4B


@pytest.mark.parametrize("protocol,header,crc", PROTOCOLS)
def test_rpm_with_headers_and_check_byte(core, protocol, header, crc):
    decoder = core.Decoder(protocol, headers=True)
    response = decoder.decode(lines(_line(header, bytes.fromhex("41 0C 1A F8"), crc)))
    assert [(r.ecu, r.name, r.value) for r in response.readings] == [(0x10, "RPM", 1726.0)]


@pytest.mark.parametrize("protocol,header,crc", PROTOCOLS)
def test_bad_check_byte_is_reported(core, protocol, header, crc):
    good = _line(header, bytes.fromhex("41 0D 32"), crc)
    bad = good[:-2] + f"{(int(good[-2:], 16) ^ 0x5A):02X}"
    response = core.Decoder(protocol).decode(lines(bad))
    assert response.readings == []
    assert [(n.kind, n.ecu) for n in response.notices] == [(Kind.CHECKSUM_ERROR, 0x10)]


@pytest.mark.parametrize("protocol,header,crc", PROTOCOLS)
def test_vin_over_five_lines_in_any_order(core, protocol, header, crc):
    vin = b"\0\0\0" + b"VF1RFB00X67654321"
    frames = [
        _line(header, bytes([0x49, 0x02, seq + 1]) + vin[4 * seq : 4 * seq + 4], crc)
        for seq in range(5)
    ]
    frames = [frames[i] for i in (0, 2, 1, 4, 3)]
    response = core.Decoder(protocol).decode(lines(*frames))
    assert response.value("VIN") == "VF1RFB00X67654321"


def test_dtcs_over_several_lines_skip_padding(core):
    header = bytes.fromhex("48 6B 10")
    frames = [
        _line(header, bytes.fromhex("43 01 33 03 00 01 71"), False),
        _line(header, bytes.fromhex("43 04 20 00 00 00 00"), False),
    ]
    response = core.Decoder("3").decode(lines(*frames))
    assert response.value("DTC_STORED") == ("P0133", "P0300", "P0171", "P0420")


def test_two_ecus_answer_separately(core):
    frames = [
        _line(bytes.fromhex("48 6B 10"), bytes.fromhex("41 0D 32"), False),
        _line(bytes.fromhex("48 6B 18"), bytes.fromhex("41 0D 33"), False),
    ]
    response = core.Decoder("3").decode(lines(*frames))
    assert [(r.ecu, r.value) for r in response.readings] == [(0x10, 50.0), (0x18, 51.0)]


def test_headers_off(core):
    response = core.Decoder("3", headers=False).decode(lines("41 0C 1A F8"))
    assert [(r.ecu, r.value) for r in response.readings] == [(-1, 1726.0)]


def test_short_legacy_line_is_unparseable(core):
    response = core.Decoder("3").decode(lines("48 6B 10 41"))
    assert [n.kind for n in response.notices] == [Kind.UNPARSEABLE]
