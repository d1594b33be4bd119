"""The shipped PID, Unit-And-Scaling and Mode 06 tables, checked against themselves and
against python-obd 0.7.3 used as an oracle (see ``tests/obdcore/oracle.py``).

Where python-obd disagrees with SAE J1979 the disagreement is listed below by name, with
the reason and the correction applied to python-obd's value before comparing; nothing is
skipped silently: every exception is itself asserted to still be needed.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import pytest

from obdcore.protocol.pidtable import FieldDef, PidTable
from tests.obdcore import oracle

TABLE = PidTable.standard()
SAMPLES_PER_PID = 300
SEED = 20240601

#: Units a numeric field may use (the table's agreed vocabulary).
FIELD_UNITS = {
    "°C",
    "kPa",
    "Pa",
    "km/h",
    "rpm",
    "g/s",
    "V",
    "mA",
    "%",
    "ratio",
    "deg",
    "s",
    "km",
    "L/h",
    "N·m",
    "ppm",
    "mg/m³",
    "kg/h",
    "count",
    "mg",
}

#: Structured decoders the lead implements, per mode.
SPECIAL_DECODERS = {
    0x01: {
        "bitmap",
        "monitor_status",
        "fuel_system_status",
        "air_status",
        "o2_sensors_2bank",
        "o2_sensors_4bank",
        "obd_standard",
        "aux_input",
        "fuel_type",
        "dtc",
        "raw",
    },
    0x09: {"bitmap", "count", "vin", "calid", "cvn", "ipt", "ecu_name", "ipt_ci", "ascii", "raw"},
}

#: python-obd command names we spell differently, with the reason.
RENAMED = {
    "AMBIANT_AIR_TEMP": ("AMBIENT_AIR_TEMP", "python-obd misspells 'ambient'"),
    "MAX_VALUES": ("MAX_EQUIV_RATIO", "PID 4F carries four values, one field each"),
}
#: python-obd names that became a per-field prefix: PID name + one of these suffixes.
SPLIT_SUFFIXES = ("_VOLTAGE", "_TRIM", "_LAMBDA", "_CURRENT")

#: Mode 01 PIDs python-obd knows that we deliberately leave out (none so far).
DELIBERATE_OMISSIONS: dict[int, str] = {}


# --------------------------------------------------------------------------- helpers


def numeric_fields(mode: int | None = None) -> list[FieldDef]:
    return [f for f in TABLE if f.compiled is not None and (mode is None or f.mode == mode)]


def exact_range(field: FieldDef) -> tuple[float, float]:
    """The smallest and largest value the formula yields over every byte value it reads."""
    formula = field.compiled
    indices = formula.byte_indices
    if len(indices) <= 2:
        values = []
        data = bytearray(field.size)
        for combo in itertools.product(range(256), repeat=len(indices)):
            for index, value in zip(indices, combo, strict=True):
                data[index] = value
            values.append(formula.evaluate(bytes(data)))
        assert all(math.isfinite(v) for v in values), field.name
        return min(values), max(values)
    affine = formula.affine
    assert affine is not None, f"{field.name}: a formula over >2 bytes must be affine to check"
    low, high = affine.raw_range()
    ends = (low * affine.scale + affine.offset, high * affine.scale + affine.offset)
    return min(ends), max(ends)


def sweep(size: int, seed: int, count: int = SAMPLES_PER_PID) -> list[bytes]:
    """Every value for 1-byte payloads; otherwise edge patterns plus seeded random ones."""
    if size == 1:
        return [bytes([b]) for b in range(256)]
    rng = random.Random(seed)
    edges = [bytes([v] * size) for v in (0x00, 0x01, 0x7F, 0x80, 0xFF)]
    edges += [bytes([0x80] + [0] * (size - 1)), bytes([0x7F] + [0xFF] * (size - 1))]
    return edges + [bytes(rng.randrange(256) for _ in range(size)) for _ in range(count)]


def is_quantity(value) -> bool:
    return isinstance(value, oracle.UREG.Quantity)


# ------------------------------------------------------------------------ the table


def test_standard_table_loads_with_unique_names():
    names = [f.name for f in TABLE]
    assert len(TABLE) > 250
    assert len(names) == len(set(names))
    assert TABLE.by_name("RPM").pid == 0x0C


@pytest.mark.parametrize("field", list(TABLE), ids=lambda f: f.name)
def test_row_is_well_formed(field: FieldDef):
    if field.special is not None:
        assert field.special in SPECIAL_DECODERS[field.mode], field.special
        assert field.unit == "" and field.minimum is None and field.maximum is None
    else:
        assert field.unit in FIELD_UNITS
        assert field.minimum is not None and field.maximum is not None
    siblings = TABLE.fields(field.mode, field.pid)
    assert {f.size for f in siblings} == {field.size}


@pytest.mark.parametrize("field", numeric_fields(), ids=lambda f: f.name)
def test_min_max_are_the_formula_range(field: FieldDef):
    low, high = exact_range(field)
    assert field.minimum == pytest.approx(low, rel=1e-9, abs=1e-9)
    assert field.maximum == pytest.approx(high, rel=1e-9, abs=1e-9)


def test_mode01_covers_j1979_to_c4():
    pids = set(TABLE.pids(0x01))
    assert {0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0} <= pids
    assert set(range(0x00, 0x95)) <= pids
    assert set(range(0x98, 0xAA)) <= pids
    assert {0xC3, 0xC4} <= pids


def test_mode09_rows():
    assert TABLE.by_name("VIN").size == 17
    assert TABLE.by_name("CALIBRATION_ID").size == 16
    assert TABLE.by_name("CVN").size == 4
    assert TABLE.by_name("ECU_NAME").size == 20
    assert TABLE.by_name("PERF_TRACKING_SPARK").size == 40  # 20 counters x 2 bytes
    assert TABLE.by_name("PERF_TRACKING_COMPRESSION").size == 36  # 18 counters x 2 bytes


# ------------------------------------------------------------- coverage vs python-obd

PY_MODE01 = oracle.mode01_commands()


def test_python_obd_mode01_commands_present():
    assert len(PY_MODE01) == 96
    missing = sorted(pid for pid in PY_MODE01 if not TABLE.fields(0x01, pid))
    assert [f"{pid:02X}" for pid in missing if pid not in DELIBERATE_OMISSIONS] == []


@pytest.mark.parametrize("pid", sorted(PY_MODE01), ids=lambda p: f"{p:02X}")
def test_byte_count_and_name_match_python_obd(pid: int):
    cmd = PY_MODE01[pid]
    fields = TABLE.fields(0x01, pid)
    assert fields[0].size == oracle.data_size(cmd)
    names = {f.name for f in fields}
    if cmd.name in RENAMED:
        assert RENAMED[cmd.name][0] in names
    else:
        assert cmd.name in names or any(cmd.name + suffix in names for suffix in SPLIT_SUFFIXES), (
            cmd.name,
            names,
        )


# ------------------------------------------------------------------ oracle: values


@dataclass(frozen=True)
class Defect:
    """A documented python-obd 0.7.3 deviation from SAE J1979.

    ``correct(value, data)`` turns python-obd's value (already in our unit) into the J1979
    value for payload ``data``. The oracle test also requires the raw disagreement to show
    on at least one payload, so a fixed python-obd makes the exception fail loudly.
    """

    reason: str
    correct: Callable[[float, bytes], float]


_WR_VOLTAGE = Defect(
    "python-obd scales wide-range O2 voltage (PIDs 24-2B, bytes C-D) by 8/65535; J1979 uses "
    "0.000122 V per bit = 8/65536",
    lambda v, d: v * 65535 / 65536,
)

PYTHON_OBD_DEFECTS: dict[int, Defect] = {
    **{pid: _WR_VOLTAGE for pid in range(0x24, 0x2C)},
    0x32: Defect(
        "python-obd reads both bytes of the evap vapour pressure as separate signed bytes; "
        "J1979 sends one 16-bit two's complement value, so it is 64 Pa low whenever B >= 0x80",
        lambda v, d: v + (64.0 if d[1] >= 0x80 else 0.0),
    ),
    0x44: Defect(
        "python-obd scales the commanded equivalence ratio by the rounded 0.0000305; "
        "J1979 uses 2/65536 = 0.000030517578 (0.06 % apart)",
        lambda v, d: v * (2 / 65536) / 0.0000305,
    ),
    0x54: Defect(
        "python-obd decodes the wide-range evap vapour pressure as (256A+B)-32767; J1979 "
        "(and Wikipedia's OBD-II PIDs table) make it a 16-bit two's complement value in Pa",
        lambda v, d: float(int.from_bytes(d[:2], "big", signed=True)),
    ),
}

#: Mode 01 PIDs where we decode numbers but python-obd 0.7.3 returns no number at all.
NO_PYTHON_NUMBER: dict[int, str] = {
    0x4F: "python-obd drops MAX_VALUES (decoder 'drop', marked 'todo' in its source)",
}

#: Which of our fields python-obd's single value corresponds to, for PIDs with several.
ORACLE_FIELD: dict[int, str] = {
    **{pid: TABLE.fields(0x01, pid)[0].name for pid in range(0x14, 0x1C)},  # voltage
    **{pid: f"O2_S{pid - 0x23}_WR_VOLTAGE" for pid in range(0x24, 0x2C)},
    **{pid: f"O2_S{pid - 0x33}_WR_CURRENT" for pid in range(0x34, 0x3C)},
    0x55: "SHORT_O2_TRIM_B1",
    0x56: "LONG_O2_TRIM_B1",
    0x57: "SHORT_O2_TRIM_B2",
    0x58: "LONG_O2_TRIM_B2",
}

#: Our fields of python-decoded PIDs that python-obd has no value for (it returns one
#: value per PID), so no oracle exists for them: they are checked by the range test only.
NOT_DECODED_BY_PYTHON_OBD: dict[str, str] = {
    **{
        f"O2_B{b}S{s}_TRIM": "python-obd decodes only the voltage byte of PIDs 14-1B"
        for b in (1, 2)
        for s in range(1, 5)
    },
    **{
        f"O2_S{n}_WR_VOLTAGE_LAMBDA": "python-obd decodes only the voltage of PIDs 24-2B"
        for n in range(1, 9)
    },
    **{
        f"O2_S{n}_WR_CURRENT_LAMBDA": "python-obd decodes only the current of PIDs 34-3B"
        for n in range(1, 9)
    },
    **{
        name: "python-obd decodes only byte A (banks 1/2) of PIDs 55-58, see its 'todo'"
        for name in ("SHORT_O2_TRIM_B3", "LONG_O2_TRIM_B3", "SHORT_O2_TRIM_B4", "LONG_O2_TRIM_B4")
    },
}


def oracle_pids() -> list[int]:
    return sorted(
        pid for pid in PY_MODE01 if any(f.compiled is not None for f in TABLE.fields(0x01, pid))
    )


def oracle_field(pid: int) -> FieldDef:
    if pid in ORACLE_FIELD:
        return TABLE.by_name(ORACLE_FIELD[pid])
    (field,) = [f for f in TABLE.fields(0x01, pid) if f.compiled is not None]
    return field


@pytest.mark.parametrize("pid", oracle_pids(), ids=lambda p: f"{p:02X}")
def test_values_match_python_obd(pid: int):
    cmd = PY_MODE01[pid]
    size = oracle.data_size(cmd)
    payloads = sweep(size, SEED + pid)
    if pid in NO_PYTHON_NUMBER:
        assert not any(is_quantity(oracle.decode(cmd, d)) for d in payloads[:20]), (
            f"python-obd now decodes {pid:02X}: drop it from NO_PYTHON_NUMBER"
        )
        return
    field = oracle_field(pid)
    defect = PYTHON_OBD_DEFECTS.get(pid)
    defect_seen = False
    for data in payloads:
        value = oracle.decode(cmd, data)
        assert is_quantity(value), (pid, data.hex(), value)
        theirs = oracle.magnitude(value, field.unit)
        ours = field.compiled.evaluate(data)
        if defect is not None:
            corrected = defect.correct(theirs, data)
            defect_seen |= not math.isclose(theirs, ours, rel_tol=1e-9, abs_tol=1e-9)
            theirs = corrected
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9), (field.name, data.hex())
    if defect is not None:
        assert defect_seen, f"PID {pid:02X} no longer shows the documented defect: {defect.reason}"


def test_every_numeric_field_of_a_decoded_pid_is_checked_or_excused():
    checked = {oracle_field(pid).name for pid in oracle_pids() if pid not in NO_PYTHON_NUMBER}
    unaccounted = [
        f.name
        for pid in oracle_pids()
        if pid not in NO_PYTHON_NUMBER
        for f in TABLE.fields(0x01, pid)
        if f.compiled is not None
        and f.name not in checked
        and f.name not in NOT_DECODED_BY_PYTHON_OBD
    ]
    assert unaccounted == []
    assert set(NOT_DECODED_BY_PYTHON_OBD) <= {f.name for f in TABLE}


def test_documented_exceptions_refer_to_known_pids():
    for pid in (*PYTHON_OBD_DEFECTS, *NO_PYTHON_NUMBER, *DELIBERATE_OMISSIONS):
        assert pid in PY_MODE01


# ----------------------------------------------------------------- Mode 06 tables


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("obdcore").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


UAS_ROWS = {int(r["uasid"], 16): r for r in _read_csv("uas.csv")}
PY_UAS = oracle.uas_ids()
#: UAS ids whose python-obd value is not a pint quantity, with how it is compared.
UAS_NOT_QUANTITY = {0x2E: "state encoded: python-obd returns a bool (any non-zero byte)"}


def test_uas_table_has_python_obd_ids():
    assert set(PY_UAS) <= set(UAS_ROWS)
    for uasid, row in UAS_ROWS.items():
        assert row["signed"] in {"0", "1"}
        assert (row["signed"] == "1") == (uasid >= 0x80), f"{uasid:02X}: J1979 signs 80-FF"
        assert row["unit"] in oracle.PINT_UNITS or row["unit"] == "bool", row["unit"]
        float(row["scale"]), float(row["offset"])


def uas_raw_values() -> list[int]:
    rng = random.Random(SEED)
    edges = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF]
    return edges + [rng.randrange(0x10000) for _ in range(300)]


@pytest.mark.parametrize("uasid", sorted(PY_UAS), ids=lambda u: f"{u:02X}")
def test_uas_values_match_python_obd(uasid: int):
    row = UAS_ROWS[uasid]
    signed, scale, offset = row["signed"] == "1", float(row["scale"]), float(row["offset"])
    for raw in uas_raw_values():
        value = raw - 0x10000 if signed and raw >= 0x8000 else raw
        ours = value * scale + offset
        theirs = oracle.uas_value(uasid, raw)
        if uasid in UAS_NOT_QUANTITY:
            assert row["unit"] == "bool"
            assert (ours != 0) == theirs
            continue
        assert ours == pytest.approx(oracle.magnitude(theirs, row["unit"]), rel=1e-9, abs=1e-12), (
            f"{uasid:02X}",
            raw,
        )


MODE06_ROWS = _read_csv("mode06_ids.csv")


def test_mode06_names_are_unique_and_well_formed():
    keys = [(r["kind"], int(r["id"], 16)) for r in MODE06_ROWS]
    assert len(keys) == len(set(keys))
    assert {r["kind"] for r in MODE06_ROWS} == {"mid", "tid"}
    names = [(r["kind"], r["name"]) for r in MODE06_ROWS]
    assert len(names) == len(set(names))
    assert all(r["name"].isupper() and r["description"] for r in MODE06_ROWS)


def test_mode06_mids_cover_python_obd():
    ours = {int(r["id"], 16): r["name"] for r in MODE06_ROWS if r["kind"] == "mid"}
    theirs = oracle.mode06_commands()
    assert len(theirs) == 88
    assert {mid: cmd.name for mid, cmd in theirs.items()} == {mid: ours.get(mid) for mid in theirs}
    misfire = [ours[m] for m in range(0xA1, 0xAE)]
    assert misfire[0] == "MONITOR_MISFIRE_GENERAL" and len(misfire) == 13


def test_mode06_tids_cover_python_obd():
    from obd.codes import TEST_IDS

    ours = {int(r["id"], 16): r["name"] for r in MODE06_ROWS if r["kind"] == "tid"}
    assert {tid: name for tid, (name, _desc) in TEST_IDS.items()} == {
        tid: ours.get(tid) for tid in TEST_IDS
    }
