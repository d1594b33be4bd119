"""Structured values: everything that is not one number (bitmaps, status words, DTCs,
Mode 06 test results, Mode 09 text, negative responses).

Pure Python, shared by the compiled decoder and its twin, so both return the very same
objects. Decoders take the data bytes after the PID and return a value; they never raise
on short or odd input (the caller has already checked the byte count).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import NamedTuple

# ----------------------------------------------------------------------------- result types


class Notice(NamedTuple):
    """Something in the adapter output that is not a decoded value.

    ``kind`` is an :class:`obdcore.protocol.kinds.Kind`; ``text`` the line (or a description) it
    came from; ``ecu`` the CAN ID / source address concerned, or -1 when unknown.
    """

    kind: str
    text: str
    ecu: int = -1


class Frame(NamedTuple):
    """One parsed line: the sender and its bytes (with the ISO-TP PCI byte where the
    adapter prints it: CAN with headers on or with CAF off)."""

    ecu: int
    data: bytes


class Message(NamedTuple):
    """One complete answer of one ECU: the service response bytes (``41 0C 1A F8``)."""

    ecu: int
    payload: bytes


class NegativeResponse(NamedTuple):
    """``7F <service> <code>``: the ECU refused or postponed a request."""

    ecu: int
    service: int
    nrc: int
    meaning: str

    @property
    def pending(self) -> bool:
        """True for 0x78 (request received, response pending): keep waiting."""
        return self.nrc == 0x78


class Monitor(NamedTuple):
    """One readiness monitor: is it on this car, and has it completed."""

    name: str
    available: bool
    complete: bool


class MonitorStatus(NamedTuple):
    """PID 01 (since DTCs cleared) or PID 41 (this drive cycle)."""

    mil: bool
    dtc_count: int
    ignition: str  # "spark" or "compression"
    monitors: tuple[Monitor, ...]


class MonitorTest(NamedTuple):
    """One Mode 06 on-board test result, value and limits in ``unit``."""

    mid: int
    tid: int
    name: str
    value: float
    minimum: float
    maximum: float
    unit: str
    passed: bool
    uasid: int


# ----------------------------------------------------------------------------- DTCs

_DTC_LETTERS = "PCBU"
_HEX2 = tuple(f"{i:02X}" for i in range(256))
# First byte -> the first three characters of the code ("P01"), precomputed: DTC lists
# are long and frequent.
_DTC_HEAD = tuple(f"{_DTC_LETTERS[b >> 6]}{(b >> 4) & 3}{b & 0xF:X}" for b in range(256))


def dtc_code(first: int, second: int) -> str:
    """Two DTC bytes -> ``P0301`` (SAE J2012: 2 bits letter, 2 bits digit, 3 hex digits)."""
    return _DTC_HEAD[first] + _HEX2[second]


def dtc_list(data: bytes, skip_zero: bool) -> tuple[str, ...]:
    """Pairs of bytes -> codes; ``0000`` padding (legacy protocols) skipped if asked."""
    codes = []
    for i in range(0, len(data) - 1, 2):
        first, second = data[i], data[i + 1]
        if skip_zero and first == 0 and second == 0:
            continue
        codes.append(_DTC_HEAD[first] + _HEX2[second])
    return tuple(codes)


# ----------------------------------------------------------------------------- Mode 01


def bitmap(data: bytes, base: int) -> tuple[int, ...]:
    """Supported-PID bitmap after PID ``base`` -> the supported PIDs (base+1 ...)."""
    supported = []
    for index, byte in enumerate(data):
        for bit in range(8):
            if byte & (0x80 >> bit):
                supported.append(base + index * 8 + bit + 1)
    return tuple(supported)


_SPARK_MONITORS = (
    "CATALYST",
    "HEATED_CATALYST",
    "EVAPORATIVE_SYSTEM",
    "SECONDARY_AIR_SYSTEM",
    None,
    "OXYGEN_SENSOR",
    "OXYGEN_SENSOR_HEATER",
    "EGR_VVT_SYSTEM",
)
# Bit 4 of the spark monitors (A/C refrigerant) is reserved in current J1979.
_COMPRESSION_MONITORS = (
    "NMHC_CATALYST",
    "NOX_SCR_MONITOR",
    None,
    "BOOST_PRESSURE",
    None,
    "EXHAUST_GAS_SENSOR",
    "PM_FILTER",
    "EGR_VVT_SYSTEM",
)
_CONTINUOUS_MONITORS = ("MISFIRE", "FUEL_SYSTEM", "COMPONENTS")


def monitor_status(data: bytes) -> MonitorStatus:
    """PID 01/41: byte A MIL + DTC count; B continuous monitors and ignition type;
    C availability and D incompleteness of the non-continuous monitors (bit set in B's
    upper nibble or in D means *not* complete)."""
    a, b, c, d = data[0], data[1], data[2], data[3]
    compression = bool(b & 0x08)
    monitors = [
        Monitor(name, bool(b & (1 << i)), not b & (0x10 << i))
        for i, name in enumerate(_CONTINUOUS_MONITORS)
    ]
    names = _COMPRESSION_MONITORS if compression else _SPARK_MONITORS
    monitors += [
        Monitor(name, bool(c & (1 << i)), not d & (1 << i))
        for i, name in enumerate(names)
        if name is not None
    ]
    return MonitorStatus(
        bool(a & 0x80), a & 0x7F, "compression" if compression else "spark", tuple(monitors)
    )


_FUEL_SYSTEM = {
    1: "open loop: engine not warm enough",
    2: "closed loop: oxygen sensor feedback",
    4: "open loop: engine load or deceleration fuel cut",
    8: "open loop: system failure",
    16: "closed loop: feedback fault",
}


def fuel_system_status(data: bytes) -> tuple[str | None, str | None]:
    """PID 03: the state of fuel systems 1 and 2 (None when absent)."""
    return tuple(_FUEL_SYSTEM.get(byte) for byte in data[:2])  # type: ignore[return-value]


_AIR_STATUS = {
    1: "upstream",
    2: "downstream of catalyst",
    4: "outside atmosphere or off",
    8: "pump commanded on for diagnostics",
}


def air_status(data: bytes) -> str | None:
    """PID 12: where commanded secondary air goes (None when the byte is not defined)."""
    return _AIR_STATUS.get(data[0])


def o2_sensors(data: bytes, banks: int) -> tuple[str, ...]:
    """PID 13 (2 banks x 4 sensors) or 1D (4 banks x 2): present sensors as ``B1S1``..."""
    per_bank = 8 // banks
    return tuple(
        f"B{bit // per_bank + 1}S{bit % per_bank + 1}" for bit in range(8) if data[0] & (1 << bit)
    )


_OBD_STANDARDS = {
    1: "OBD-II (CARB)",
    2: "OBD (EPA)",
    3: "OBD and OBD-II",
    4: "OBD-I",
    5: "not OBD compliant",
    6: "EOBD",
    7: "EOBD and OBD-II",
    8: "EOBD and OBD",
    9: "EOBD, OBD and OBD-II",
    10: "JOBD",
    11: "JOBD and OBD-II",
    12: "JOBD and EOBD",
    13: "JOBD, EOBD and OBD-II",
    17: "EMD",
    18: "EMD+",
    19: "HD OBD-C",
    20: "HD OBD",
    21: "WWH OBD",
    23: "HD EOBD-I",
    24: "HD EOBD-I N",
    25: "HD EOBD-II",
    26: "HD EOBD-II N",
    28: "OBDBr-1",
    29: "OBDBr-2",
    30: "KOBD",
    31: "IOBD I",
    32: "IOBD II",
    33: "HD EOBD-IV",
}


def obd_standard(data: bytes) -> str:
    """PID 1C: the OBD standard the vehicle conforms to."""
    return _OBD_STANDARDS.get(data[0], f"reserved ({data[0]})")


_FUEL_TYPES = (
    "not available",
    "gasoline",
    "methanol",
    "ethanol",
    "diesel",
    "LPG",
    "CNG",
    "propane",
    "electric",
    "bifuel gasoline",
    "bifuel methanol",
    "bifuel ethanol",
    "bifuel LPG",
    "bifuel CNG",
    "bifuel propane",
    "bifuel electricity",
    "bifuel electric and combustion",
    "hybrid gasoline",
    "hybrid ethanol",
    "hybrid diesel",
    "hybrid electric",
    "hybrid electric and combustion",
    "hybrid regenerative",
    "bifuel diesel",
)


def fuel_type(data: bytes) -> str:
    """PID 51: the fuel the vehicle runs on."""
    return _FUEL_TYPES[data[0]] if data[0] < len(_FUEL_TYPES) else f"reserved ({data[0]})"


# ----------------------------------------------------------------------------- Mode 09


def ascii_text(data: bytes) -> str:
    """Printable ASCII with NUL padding removed at both ends."""
    return data.strip(b"\x00").decode("ascii", "replace")


def vin(data: bytes) -> str:
    """All 17 characters; only NUL padding is removed (unlike python-obd, which also strips
    ``0``, ``1``, ``2``... from both ends)."""
    return ascii_text(data)


def ascii_items(data: bytes, size: int) -> tuple[str, ...]:
    """Consecutive fixed-size ASCII items (CALIDs, 16 bytes each)."""
    return tuple(ascii_text(data[i : i + size]) for i in range(0, len(data) - size + 1, size))


def cvn(data: bytes) -> tuple[str, ...]:
    """Calibration verification numbers, 4 bytes each, as upper-case hex."""
    return tuple(data[i : i + 4].hex().upper() for i in range(0, len(data) - 3, 4))


def decode_ecu_name(data: bytes) -> str:
    """20 bytes: 4-character acronym, delimiter, 15-character name -> ``ECM-EngineControl``."""
    acronym = ascii_text(data[:4])
    name = ascii_text(data[5:20])
    return f"{acronym}-{name}" if name else acronym


_IPT_SPARK = (
    "OBDCOND",
    "IGNCNTR",
    "CATCOMP1",
    "CATCOND1",
    "CATCOMP2",
    "CATCOND2",
    "O2SCOMP1",
    "O2SCOND1",
    "O2SCOMP2",
    "O2SCOND2",
    "EGRCOMP",
    "EGRCOND",
    "AIRCOMP",
    "AIRCOND",
    "EVAPCOMP",
    "EVAPCOND",
    "SO2SCOMP1",
    "SO2SCOND1",
    "SO2SCOMP2",
    "SO2SCOND2",
)
_IPT_COMPRESSION = (
    "OBDCOND",
    "IGNCNTR",
    "HCCATCOMP",
    "HCCATCOND",
    "NCATCOMP",
    "NCATCOND",
    "NADSCOMP",
    "NADSCOND",
    "PMCOMP",
    "PMCOND",
    "EGSCOMP",
    "EGSCOND",
    "EGRCOMP",
    "EGRCOND",
    "BPCOMP",
    "BPCOND",
    "FUELCOMP",
    "FUELCOND",
)


def in_use_counters(data: bytes, names: tuple[str, ...]) -> dict[str, int]:
    """In-use performance tracking: 2-byte counters in the order J1979 lists them."""
    return {
        name: (data[2 * i] << 8) | data[2 * i + 1]
        for i, name in enumerate(names)
        if 2 * i + 1 < len(data)
    }


# ----------------------------------------------------------------------------- dispatch

# ``@name`` formula -> function(data, pid) -> value. ``pid`` serves the bitmaps.
SPECIAL = {
    "bitmap": lambda data, pid: bitmap(data, pid),
    "monitor_status": lambda data, pid: monitor_status(data),
    "fuel_system_status": lambda data, pid: fuel_system_status(data),
    "air_status": lambda data, pid: air_status(data),
    "o2_sensors_2bank": lambda data, pid: o2_sensors(data, 2),
    "o2_sensors_4bank": lambda data, pid: o2_sensors(data, 4),
    "obd_standard": lambda data, pid: obd_standard(data),
    "aux_input": lambda data, pid: bool(data[0] & 1),
    "fuel_type": lambda data, pid: fuel_type(data),
    "dtc": lambda data, pid: dtc_code(data[0], data[1]),
    "raw": lambda data, pid: bytes(data),
    "count": lambda data, pid: data[0],
    "vin": lambda data, pid: vin(data),
    "calid": lambda data, pid: ascii_items(data, 16),
    "cvn": lambda data, pid: cvn(data),
    "ipt": lambda data, pid: in_use_counters(data, _IPT_SPARK),
    "ipt_ci": lambda data, pid: in_use_counters(data, _IPT_COMPRESSION),
    "ecu_name": lambda data, pid: decode_ecu_name(data),
    "ascii": lambda data, pid: ascii_text(data),
}

# Structured Mode 09 values whose length is set by the answer, not by the table.
VARIABLE_LENGTH = frozenset({"calid", "cvn", "ipt", "ipt_ci"})


# ----------------------------------------------------------------------------- Mode 06


class Scaling(NamedTuple):
    """One Unit And Scaling ID: ``value = raw * scale + offset`` in ``unit``."""

    signed: bool
    scale: float
    offset: float
    unit: str


@cache
def uas_table() -> dict[int, Scaling]:
    """Unit And Scaling IDs from ``data/uas.csv`` (empty if the file is absent)."""
    rows = _data_rows("uas.csv")
    return {
        int(r["uasid"], 16): Scaling(
            r["signed"] == "1", float(r["scale"]), float(r["offset"]), r["unit"]
        )
        for r in rows
    }


@cache
def mode06_names() -> dict[tuple[str, int], str]:
    """(``mid`` or ``tid``, id) -> name, from ``data/mode06_ids.csv``."""
    return {(r["kind"], int(r["id"], 16)): r["name"] for r in _data_rows("mode06_ids.csv")}


def _data_rows(name: str) -> list[dict[str, str]]:
    path = resources.files("obdcore").joinpath("data", name)
    if not path.is_file():
        return []
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def monitor_test(mid: int, tid: int, uasid: int, raw: tuple[int, int, int]) -> MonitorTest:
    """One 9-byte Mode 06 record (MID, TID, UASID, value, min, max) -> a scaled result.

    An unknown UASID keeps the raw numbers with unit ``"raw"``.
    """
    scaling = uas_table().get(uasid, Scaling(False, 1.0, 0.0, "raw"))
    value, low, high = (_scaled(r, scaling) for r in raw)
    names = mode06_names()
    name = names.get(("tid", tid)) if tid < 0x80 else None
    name = name or f"TID_{tid:02X}"
    return MonitorTest(mid, tid, name, value, low, high, scaling.unit, low <= value <= high, uasid)


def monitor_name(mid: int) -> str:
    """The MID's name (``MID_xx`` when it has none)."""
    return mode06_names().get(("mid", mid)) or f"MID_{mid:02X}"


def _scaled(raw: int, scaling: Scaling) -> float:
    if scaling.signed and raw >= 0x8000:
        raw -= 0x10000
    return raw * scaling.scale + scaling.offset


# ----------------------------------------------------------------------------- negative answers

_NRC = {
    0x10: "general reject",
    0x11: "service not supported",
    0x12: "sub-function not supported",
    0x13: "incorrect message length or invalid format",
    0x14: "response too long",
    0x21: "busy, repeat request",
    0x22: "conditions not correct",
    0x24: "request sequence error",
    0x25: "no response from sub-net component",
    0x26: "failure prevents execution of requested action",
    0x31: "request out of range",
    0x33: "security access denied",
    0x35: "invalid key",
    0x36: "exceeded number of attempts",
    0x37: "required time delay not expired",
    0x70: "upload/download not accepted",
    0x71: "transfer data suspended",
    0x72: "general programming failure",
    0x73: "wrong block sequence counter",
    0x78: "request correctly received, response pending",
    0x7E: "sub-function not supported in active session",
    0x7F: "service not supported in active session",
    0x81: "rpm too high",
    0x82: "rpm too low",
    0x83: "engine is running",
    0x84: "engine is not running",
    0x85: "engine run time too low",
    0x86: "temperature too high",
    0x87: "temperature too low",
    0x88: "vehicle speed too high",
    0x89: "vehicle speed too low",
    0x8A: "throttle/pedal too high",
    0x8B: "throttle/pedal too low",
    0x8C: "transmission range not in neutral",
    0x8D: "transmission range not in gear",
    0x8F: "brake switch(es) not closed",
    0x90: "shifter lever not in park",
    0x91: "torque converter clutch locked",
    0x92: "voltage too high",
    0x93: "voltage too low",
}


def nrc_meaning(nrc: int) -> str:
    """ISO 14229 negative response code -> its meaning."""
    return _NRC.get(nrc, f"reserved or manufacturer specific (0x{nrc:02X})")
