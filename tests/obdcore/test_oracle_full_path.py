"""Differential tests against python-obd 0.7.3 through the whole path: the same adapter
text goes through python-obd's CAN protocol parser and command decoders, and through our
decoder (each build). Formula-level agreement and python-obd's known defects are in
``test_pid_table``; this file adds the line parser, ISO-TP and structured values.

Documented exceptions (python-obd defects, see ``../shared/DOMAIN.md``):
- VIN: python-obd strips ``0``, ``1``, ``2``... from both ends; we keep all 17 characters.
- DTCs: python-obd prints hex digits in lower case (``C02bd``) and drops ``0000`` pairs
  even on CAN, where the count byte says they are codes.
- the PIDs listed in ``test_pid_table.PYTHON_OBD_DEFECTS``: compared after correction.
"""

import logging
import random

import obd
import pytest
from obd.protocols import ISO_15765_4_11bit_500k

from obdcore.protocol.isotp import can_answer_lines
from tests.obdcore import oracle
from tests.obdcore.conftest import lines
from tests.obdcore.test_pid_table import (
    NO_PYTHON_NUMBER,
    PYTHON_OBD_DEFECTS,
    oracle_field,
    oracle_pids,
)

logging.getLogger("obd").setLevel(logging.CRITICAL)
SAMPLES = 60
PROTOCOL = ISO_15765_4_11bit_500k(["7E8 06 41 00 BE 3F A8 13"])


def python_obd(command, text_lines):
    return command(PROTOCOL(text_lines)).value


def answer(payload: bytes) -> list[str]:
    return can_answer_lines(0x7E8, payload)


@pytest.mark.parametrize(
    "pid", [p for p in oracle_pids() if p not in NO_PYTHON_NUMBER], ids=lambda p: f"{p:02X}"
)
def test_numeric_pids_through_the_whole_path(can, pid):
    command = oracle.mode01_commands()[pid]
    field = oracle_field(pid)
    size = oracle.data_size(command)
    rng = random.Random(pid)
    edges = [bytes(size), bytes([0xFF] * size), bytes([0x80] + [0] * (size - 1))]
    for data in edges + [bytes(rng.randrange(256) for _ in range(size)) for _ in range(SAMPLES)]:
        text = answer(bytes([0x41, pid]) + data)
        theirs = oracle.magnitude(python_obd(command, text), field.unit)
        if pid in PYTHON_OBD_DEFECTS:
            theirs = PYTHON_OBD_DEFECTS[pid].correct(theirs, data)
        ours = can.decode(lines(*text)).value(field.name)
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9), (field.name, data.hex())


def test_dtc_lists_match(can):
    rng = random.Random(3)
    for _ in range(40):
        count = rng.randint(0, 12)
        codes = bytes(rng.randrange(256) for _ in range(2 * count))
        text = answer(bytes([0x43, count]) + codes)
        # Documented defect: python-obd prints the hex digits in lower case (C02bd).
        theirs = [code.upper() for code, _ in python_obd(obd.commands.GET_DTC, text)]
        ours = can.decode(lines(*text)).value("DTC_STORED")
        # python-obd drops 0000 pairs even on CAN, where they are real codes (P0000).
        assert list(ours) == theirs or [c for c in ours if c != "P0000"] == theirs


def test_vin_matches_except_python_obd_stripping(can):
    rng = random.Random(4)
    for _ in range(30):
        vin = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17))
        text = answer(b"\x49\x02\x01" + vin.encode())
        ours = can.decode(lines(*text)).value("VIN")
        assert ours == vin
        # Documented defect: python-obd strips 0, 1, 2, x and \\ from both ends (and
        # returns bytes).
        assert bytes(python_obd(obd.commands.VIN, text)) == vin.encode().strip(b"012x\\")


def test_monitor_status_matches(can):
    rng = random.Random(5)
    for _ in range(100):
        data = bytes(rng.randrange(256) for _ in range(4))
        text = answer(b"\x41\x01" + data)
        theirs = python_obd(obd.commands.STATUS, text)
        ours = can.decode(lines(*text)).value("STATUS")
        assert (ours.mil, ours.dtc_count) == (theirs.MIL, theirs.DTC_count)
        assert ours.ignition == theirs.ignition_type.lower()
        for monitor in ours.monitors:
            test = getattr(theirs, _python_obd_monitor_name(monitor.name))
            assert (monitor.available, monitor.complete) == (test.available, test.complete)


def _python_obd_monitor_name(name: str) -> str:
    special = {
        "COMPONENTS": "COMPONENT_MONITORING",
        "EGR_VVT_SYSTEM": "EGR_VVT_SYSTEM_MONITORING",
        "NOX_SCR_MONITOR": "NOX_SCR_AFTERTREATMENT_MONITORING",
        "PM_FILTER": "PM_FILTER_MONITORING",
    }
    return special.get(name, f"{name}_MONITORING")


def test_supported_pid_bitmaps_match(can):
    rng = random.Random(6)
    for _ in range(50):
        data = bytes(rng.randrange(256) for _ in range(4))
        text = answer(b"\x41\x00" + data)
        flags = python_obd(obd.commands.PIDS_A, text)
        assert can.decode(lines(*text)).value("PIDS_A") == tuple(
            i + 1 for i, flag in enumerate(flags) if flag
        )


def test_mode06_results_match(can):
    rng = random.Random(7)
    uas = sorted(set(oracle.uas_ids()) - {0x2E})
    commands = oracle.mode06_commands()
    for _ in range(60):
        mid = rng.choice([m for m in commands if m % 0x20])
        tests = b"".join(
            bytes([mid, rng.randint(1, 0x7F), rng.choice(uas)])
            + bytes(rng.randrange(256) for _ in range(6))
            for _ in range(2)
        )
        text = answer(b"\x46" + tests)
        theirs = python_obd(commands[mid], text)
        ours = can.decode(lines(*text)).readings[0].value
        for test in ours:
            other = theirs[test.tid]
            assert test.value == pytest.approx(
                oracle.magnitude(other.value, test.unit), rel=1e-6, abs=1e-9
            )
            assert test.passed == other.passed
