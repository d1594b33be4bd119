"""The virtual car's ECUs and the OBD-II services they answer (SAE J1979).

An ECU takes one request (service byte + parameters) and returns the list of messages it
sends back (one message on CAN, where ISO-TP carries long answers; several 7-byte lines on
the legacy protocols, each with its own sequence byte), or ``None`` when it stays silent.
:class:`Car` ties the physics, the engine ECU's diagnostics and the ECUs together.
"""

from __future__ import annotations

from collections.abc import Iterable

from firmware_sim.drive import STANDARD, DriveCycle, Driver
from firmware_sim.faults import Fault, check_fault
from firmware_sim.monitors import Monitors
from firmware_sim.profiles import EngineProfile
from firmware_sim.vehicle import DT, FaultSet, Physics
from obdcore import PidTable, encode_pid

_TABLE = PidTable.standard()

PETROL_PIDS = frozenset(
    {
        0x01,
        0x03,
        0x04,
        0x05,
        0x06,
        0x07,
        0x0B,
        0x0C,
        0x0D,
        0x0E,
        0x0F,
        0x10,
        0x11,
        0x13,
        0x14,
        0x15,
        0x1C,
        0x1F,
        0x21,
        0x2E,
        0x2F,
        0x30,
        0x31,
        0x32,
        0x33,
        0x3C,
        0x41,
        0x42,
        0x43,
        0x44,
        0x45,
        0x46,
        0x47,
        0x49,
        0x4C,
        0x4D,
        0x4E,
        0x51,
    }
)
DIESEL_PIDS = frozenset(
    {
        0x01,
        0x04,
        0x05,
        0x0B,
        0x0C,
        0x0D,
        0x0F,
        0x10,
        0x11,
        0x1C,
        0x1F,
        0x21,
        0x23,
        0x2F,
        0x30,
        0x31,
        0x33,
        0x3C,
        0x41,
        0x42,
        0x43,
        0x46,
        0x49,
        0x4D,
        0x4E,
        0x51,
    }
)
NRC_SERVICE_NOT_SUPPORTED = 0x11
NRC_BAD_FORMAT = 0x13
NRC_OUT_OF_RANGE = 0x31
OIL_TEMP_DID = 0x1310  # the one manufacturer data identifier the engine ECU answers


def bitmap_pids(supported: Iterable[int]) -> set[int]:
    """Adds the bitmap PIDs (00, 20, 40...) needed to reach every supported PID."""
    pids = set(supported)
    top = max(pids, default=0)
    for base in range(0, 0x100, 0x20):
        if base == 0 or top > base:
            pids.add(base)
    return pids


def bitmap_bytes(supported: set[int], base: int) -> bytes:
    """The 4-byte supported-PID bitmap for PIDs ``base+1`` .. ``base+0x20``."""
    value = 0
    for pid in supported:
        if base < pid <= base + 0x20:
            value |= 1 << (0x20 - (pid - base))
    return value.to_bytes(4, "big")


def legacy_lines(sid: int, pid: int, data: bytes) -> list[bytes]:
    """Mode 09 data on a legacy bus: 4 bytes per line after ``49 PID SEQ``, NUL padded at
    the front to whole lines, as ECUs send a VIN."""
    padded = bytes((-len(data)) % 4) + data
    return [
        bytes([sid, pid, index + 1]) + padded[i : i + 4]
        for index, i in enumerate(range(0, len(padded), 4))
    ]


def dtc_bytes(code: str) -> bytes:
    """``"P0301"`` -> ``b"\\x03\\x01"`` (SAE J2012 two-byte form)."""
    letter = "PCBU".index(code[0])
    first = (letter << 6) | (int(code[1]) << 4) | int(code[2], 16)
    return bytes([first, int(code[3:5], 16)])


def dtc_answer(sid: int, codes: list[str], can: bool) -> list[bytes]:
    """Mode 03/07/0A answer: CAN ``43 N codes``; legacy lines of 3 codes padded with 0000."""
    raw = b"".join(dtc_bytes(code) for code in codes)
    if can:
        return [bytes([sid, len(codes)]) + raw]
    raw = raw or bytes(6)
    raw += bytes((-len(raw)) % 6)
    return [bytes([sid]) + raw[i : i + 6] for i in range(0, len(raw), 6)]


class Ecu:
    """Common behaviour: addresses, Mode 09 identity, no codes."""

    name = "ECU"
    can_id = 0x7E8
    can29_source = 0x10
    legacy_source = 0x10

    def __init__(self, calid: str, cvn: bytes, ecu_name: str):
        self.calid = calid.encode("ascii")[:16].ljust(16, b"\x00")
        self.cvn = cvn
        self.ecu_name = ecu_name.encode("ascii")[:20].ljust(20, b"\x00")

    def answer(self, request: bytes, can: bool) -> list[bytes] | None:
        """The messages this ECU sends for ``request``, or None when it stays silent."""
        handler = {
            0x01: self._mode01,
            0x02: self._mode02,
            0x03: self._codes,
            0x04: self._clear,
            0x06: self._mode06,
            0x07: self._codes,
            0x09: self._mode09,
            0x0A: self._codes,
        }.get(request[0])
        if handler is None:
            return self._unsupported(request)
        return handler(request, can)

    def _unsupported(self, request: bytes) -> list[bytes] | None:
        return None

    def _mode01(self, request: bytes, can: bool) -> list[bytes] | None:
        return None

    def _mode02(self, request: bytes, can: bool) -> list[bytes] | None:
        return None

    def _mode06(self, request: bytes, can: bool) -> list[bytes] | None:
        return None

    def _codes(self, request: bytes, can: bool) -> list[bytes] | None:
        return dtc_answer(request[0] + 0x40, [], can)

    def _clear(self, request: bytes, can: bool) -> list[bytes] | None:
        return [b"\x44"]

    def _vin(self) -> bytes | None:
        return None

    def _mode09_items(self) -> dict[int, bytes]:
        items = {0x04: self.calid, 0x06: self.cvn, 0x0A: self.ecu_name}
        vin = self._vin()
        if vin is not None:
            items[0x02] = vin
        return items

    def _mode09(self, request: bytes, can: bool) -> list[bytes] | None:
        if len(request) != 2:
            return None
        pid, items = request[1], self._mode09_items()
        counts = {pid - 1: (len(data) + 3) // 4 for pid, data in items.items()}
        if pid == 0x00:
            supported = set(items) | (set() if can else set(counts))
            return [bytes([0x49, 0x00]) + bitmap_bytes(supported, 0)]
        if pid in items:
            data = items[pid]
            if can:
                return [bytes([0x49, pid, 1]) + data]  # one item of each kind
            return legacy_lines(0x49, pid, data)
        if not can and pid in counts:
            return [bytes([0x49, pid, counts[pid]])]
        return None


class EngineEcu(Ecu):
    """The engine control module: every Mode 01 value, codes, freeze frame, Mode 06."""

    name = "ENGINE"

    def __init__(self, car: Car):
        profile = car.profile
        super().__init__(profile.calid, profile.cvn, "ECM\x00-EngineControl")
        self.car = car
        self.profile = profile
        pids = set(DIESEL_PIDS if profile.diesel else PETROL_PIDS)
        if profile.banks == 2:
            pids |= {0x08, 0x09, 0x18, 0x19, 0x3D}
        if profile.has_egr:
            pids |= {0x2C, 0x2D}
        if profile.direct_injection:
            pids.add(0x23)
        if profile.fuel_pressure_pid and not profile.diesel:
            pids.add(0x0A)
        pids -= set(profile.dropped_pids)
        self.pids = bitmap_pids(pids)

    def _vin(self) -> bytes:
        return self.profile.vin.encode("ascii")

    def _unsupported(self, request: bytes) -> list[bytes] | None:
        if request[0] == 0x22 and len(request) == 3:
            return self._data_identifier((request[1] << 8) | request[2])
        return [bytes([0x7F, request[0], NRC_SERVICE_NOT_SUPPORTED])]

    def _data_identifier(self, did: int) -> list[bytes]:
        """Service 22 (read data by identifier): one manufacturer value, the engine oil
        temperature (DID 1310, ``A-40`` degC, a little above the coolant), for tools
        that poll a custom PID; any other DID is out of range (NRC 31)."""
        if did != OIL_TEMP_DID:
            return [bytes([0x7F, 0x22, NRC_OUT_OF_RANGE])]
        oil = self.car.values()["COOLANT_TEMP"] + 4.0
        return [bytes([0x62, did >> 8, did & 0xFF, max(0, min(255, round(oil + 40)))])]

    # ------------------------------------------------------------------ Mode 01 / 02

    def _mode01(self, request: bytes, can: bool) -> list[bytes] | None:
        pids = request[1:]
        if not pids or len(pids) > 6 or (not can and len(pids) > 1):
            return [bytes([0x7F, 0x01, NRC_BAD_FORMAT])] if can and not pids else None
        values = self.car.values()
        out = bytearray([0x41])
        for pid in pids:
            data = self.pid_bytes(pid, values)
            if data is not None:
                out += bytes([pid]) + data
        return [bytes(out)] if len(out) > 1 else None

    def pid_bytes(self, pid: int, values: dict[str, float], freeze: bool = False) -> bytes | None:
        """The data bytes of Mode 01 ``pid`` for ``values``, None when not supported."""
        if pid not in self.pids and not (freeze and pid == 0x02):
            return None
        diag = self.car.diagnostics
        structured = {
            0x01: lambda: diag.monitor_bytes(diag.since_clear, True),
            0x41: lambda: diag.monitor_bytes(diag.this_cycle, False),
            0x02: lambda: dtc_bytes(diag.freeze_dtc) if freeze and diag.freeze_dtc else bytes(2),
            0x03: lambda: self._fuel_status(values),
            0x13: lambda: bytes([0x33 if self.profile.banks == 2 else 0x03]),
            0x1C: lambda: bytes([7 if self.profile.banks == 2 else 6]),
            0x51: lambda: bytes([4 if self.profile.diesel else 1]),
        }
        if pid % 0x20 == 0:
            return bitmap_bytes(self.pids, pid)
        if pid in structured:
            return structured[pid]()
        return encode_pid(_TABLE.fields(0x01, pid), values)

    def _fuel_status(self, values: dict[str, float]) -> bytes:
        state = self.car.physics.state
        if state.fuel_cut:
            mode = 0x04
        elif self.car.physics.faults("dead_upstream_o2") >= 0.5 and state.run_time > 60:
            mode = 0x08  # open loop due to a system failure
        elif state.closed_loop:
            mode = 0x02
        else:
            mode = 0x01
        return bytes([mode, mode if self.profile.banks == 2 else 0])

    def _mode02(self, request: bytes, can: bool) -> list[bytes] | None:
        """Freeze frame: ``02 PID FRAME`` pairs -> ``42 PID FRAME data`` (J1979). The short
        form ``02 PID`` (python-obd sends it) is read as frame 0 and answered without the
        frame byte, the way such clients decode it."""
        diag = self.car.diagnostics
        pairs = request[1:]
        short = len(pairs) == 1
        if short:
            pairs += b"\x00"
        if len(pairs) % 2 or not pairs:
            return None
        # The frame keeps every Mode 01 value at the moment of the fault (clients such as
        # python-obd assume Mode 02 supports what Mode 01 does).
        frozen = self.pids | {0x02} if diag.freeze else {0x00, 0x02}
        out = bytearray([0x42])
        for pid, frame in zip(pairs[::2], pairs[1::2], strict=True):
            if frame != 0 or pid not in frozen:
                continue
            if pid % 0x20 == 0:
                data = bitmap_bytes(frozen, pid)
            else:
                data = self.pid_bytes(pid, diag.freeze or {}, freeze=True)
            if data is not None:
                out += bytes([pid]) + (b"" if short else bytes([frame])) + data
        return [bytes(out)] if len(out) > 1 else None

    # ------------------------------------------------------------------ codes

    def _codes(self, request: bytes, can: bool) -> list[bytes] | None:
        kind = {0x03: "stored", 0x07: "pending", 0x0A: "permanent"}[request[0]]
        return dtc_answer(request[0] + 0x40, self.car.diagnostics.codes("7E8", kind), can)

    def _clear(self, request: bytes, can: bool) -> list[bytes] | None:
        self.car.diagnostics.clear()
        return [b"\x44"]

    # ------------------------------------------------------------------ Mode 06

    def _mode06(self, request: bytes, can: bool) -> list[bytes] | None:
        if not self.profile.mode06:
            return [bytes([0x7F, 0x06, NRC_SERVICE_NOT_SUPPORTED])]
        if not can or len(request) < 2:
            return None  # legacy Mode 06 (TID based) is not simulated
        tests = self.car.diagnostics.mode06_tests()
        mids = bitmap_pids(tests)
        out = bytearray([0x46])
        for mid in request[1:]:
            if mid % 0x20 == 0 and mid in mids:
                out += bytes([mid]) + bitmap_bytes(mids, mid)
            elif mid in tests and len(request) == 2:
                out += b"".join(_mode06_record(mid, *test) for test in tests[mid])
        return [bytes(out)] if len(out) > 1 else None


def _mode06_record(mid: int, tid: int, uasid: int, value: float, low: float, high: float) -> bytes:
    from obdcore import uas_table

    scale = uas_table()[uasid].scale

    def raw(number: float) -> bytes:
        return max(0, min(0xFFFF, round(number / scale))).to_bytes(2, "big")

    return bytes([mid, tid, uasid]) + raw(value) + raw(low) + raw(high)


class TransmissionEcu(Ecu):
    """The transmission control module: vehicle speed, its own codes and MIL request,
    its identity."""

    name = "TRANSMISSION"
    can_id = 0x7E9
    can29_source = 0x18
    legacy_source = 0x18

    def __init__(self, car: Car):
        super().__init__(car.profile.tcm_calid, car.profile.tcm_cvn, "TCM\x00-TransmissionCtl")
        self.car = car
        self.pids = {0x00, 0x01, 0x0D}

    def _mode01(self, request: bytes, can: bool) -> list[bytes] | None:
        if len(request) < 2 or (not can and len(request) > 2):
            return None
        out = bytearray([0x41])
        for pid in request[1:]:
            if pid == 0x00:
                out += b"\x00" + bitmap_bytes(self.pids, 0)
            elif pid == 0x01:
                out += b"\x01" + self._status()
            elif pid == 0x0D:
                out += bytes([0x0D, round(self.car.physics.state.speed)])
        return [bytes(out)] if len(out) > 1 else None

    def _status(self) -> bytes:
        """PID 01 of a TCM: its MIL request and code count, no readiness monitors."""
        diag = self.car.diagnostics
        stored = diag.codes("7E9", "stored")
        a = (0x80 if diag.mil_for("7E9") else 0) | min(len(stored), 0x7F)
        return bytes([a, 0x04 | (0x08 if self.car.profile.diesel else 0), 0, 0])

    def _codes(self, request: bytes, can: bool) -> list[bytes] | None:
        kind = {0x03: "stored", 0x07: "pending", 0x0A: "permanent"}[request[0]]
        return dtc_answer(request[0] + 0x40, self.car.diagnostics.codes("7E9", kind), can)

    def _clear(self, request: bytes, can: bool) -> list[bytes] | None:
        return [b"\x44"]  # the engine ECU's clear (same broadcast) resets the shared memory


class Car:
    """Physics + on-board monitors + ECUs of one virtual car, advanced by a simulated
    clock. ``cycle``: a drive cycle the driver follows (or a :class:`Driver`); ``dt``: the
    physics step. Raises :class:`~firmware_sim.errors.FaultSpecError` for a fault that
    cannot exist on ``profile``."""

    def __init__(
        self,
        profile: EngineProfile,
        faults: list[Fault] | None = None,
        seed: int = 0,
        cycle: DriveCycle | Driver = STANDARD,
        dt: float = DT,
    ):
        faults = list(faults or [])
        for fault in faults:
            check_fault(fault, profile)
        self.profile = profile
        self.faults = faults
        self.physics = Physics(profile, cycle, FaultSet.of(faults), seed)
        self.driver = self.physics.driver
        self.diagnostics = Monitors(self.physics)
        self.ecus: list[Ecu] = [EngineEcu(self), TransmissionEcu(self)]
        self.dt = dt
        self.clock_frozen = False  # FREEZE ON: exchanges with a client take no time

    def control(self, command: str) -> str:
        """One guided-test driver command (see :mod:`firmware_sim.control`)."""
        from firmware_sim.control import control

        return control(self, command)

    @property
    def time(self) -> float:
        """Simulated seconds since the key was turned."""
        return self.physics.state.t

    def advance_to(self, t: float, dt: float | None = None) -> None:
        """Runs the car (physics and on-board monitors) up to simulated time ``t`` in
        steps of ``dt`` (the car's own step by default); a last shorter step lands on
        ``t`` exactly."""
        step = dt or self.dt
        physics, monitors = self.physics, self.diagnostics
        while physics.state.t + step <= t + 1e-9:
            physics.step(step)
            monitors.tick(step)
        rest = round(t - physics.state.t, 6)
        if rest > 1e-6 and dt is not None:
            physics.step(rest)
            monitors.tick(rest)

    def values(self) -> dict[str, float]:
        """Every Mode 01 value the engine ECU reports now, by PID table field name."""
        values = self.physics.sensors()
        diag, state = self.diagnostics, self.physics.state
        values.update(
            {
                "DISTANCE_W_MIL": diag.mil_distance,
                "RUN_TIME_MIL": diag.mil_seconds,
                "DISTANCE_SINCE_DTC_CLEAR": state.odometer_km - diag.distance_at_clear,
                "TIME_SINCE_DTC_CLEARED": state.t - diag.cleared_at,
                "WARMUPS_SINCE_DTC_CLEAR": min(255, state.warmups - diag.warmups_at_clear),
            }
        )
        return values

    def truth(self) -> dict[str, object]:
        """Ground truth: true physics, the values the ECU reports, and its memory."""
        diag = self.diagnostics
        return {
            "physical": self.physics.truth(),
            "reported": self.values(),
            "confirmed": list(diag.confirmed),
            "pending": list(diag.pending),
            "permanent": list(diag.permanent),
            "mil": diag.mil,
            "freeze_dtc": diag.freeze_dtc,
            "trip": diag.trip,
            "flashing": diag.flashing,
        }
