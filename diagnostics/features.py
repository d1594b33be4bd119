"""Features of a snapshot: the numbers the rules and the learned model reason on.

:func:`extract` turns a :class:`~diagnostics.snapshot.Snapshot` into a :class:`Features`:
named scalars (``trim_idle``, ``maf_ratio``...; absent when the data to compute them is
missing), the set of codes, the symptoms, the Mode 06 misfire counts per cylinder, and the
data-quality findings. Samples that are physically impossible, and series stuck at one value
where the quantity must move, are flagged and left out of every feature: a broken sensor is
evidence of a sensor fault, never a reading.

Units are the snapshot's (SI / PID units): %, rpm, kPa, °C, V, g/s.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from diagnostics.snapshot import DataQualityFinding, Snapshot, Text

RUNNING_RPM = 400.0
STANDARD_BARO_KPA = 101.3
# Volumetric efficiency used for the speed-density air-flow estimate (DOMAIN.md: ~0.85 open
# throttle; the ratio measured/expected is what matters, healthy engines sit near 1).
VE_REFERENCE = 0.85
R_AIR = 287.05

#: Physical bounds: a sample outside them cannot be a true reading.
BOUNDS: dict[str, tuple[float, float]] = {
    "RPM": (0.0, 9000.0),
    "SPEED": (0.0, 300.0),
    "COOLANT_TEMP": (-40.0, 140.0),
    "INTAKE_TEMP": (-40.0, 100.0),
    "AMBIENT_AIR_TEMP": (-40.0, 60.0),
    "MAF": (0.0, 700.0),
    "INTAKE_PRESSURE": (10.0, 320.0),
    "BAROMETRIC_PRESSURE": (50.0, 110.0),
    "SHORT_FUEL_TRIM_1": (-100.0, 99.3),
    "LONG_FUEL_TRIM_1": (-100.0, 99.3),
    "SHORT_FUEL_TRIM_2": (-100.0, 99.3),
    "LONG_FUEL_TRIM_2": (-100.0, 99.3),
    "THROTTLE_POS": (0.0, 100.0),
    "ENGINE_LOAD": (0.0, 100.0),
    "O2_B1S1_VOLTAGE": (0.0, 1.275),
    "O2_B1S2_VOLTAGE": (0.0, 1.275),
    "CONTROL_MODULE_VOLTAGE": (5.0, 18.0),
    "TIMING_ADVANCE": (-64.0, 64.0),
    "FUEL_PRESSURE": (0.0, 765.0),
    "FUEL_RAIL_PRESSURE_DIRECT": (0.0, 655350.0),
    "CATALYST_TEMP_B1S1": (-40.0, 1100.0),
    "OIL_TEMP": (-40.0, 160.0),
}
#: Series that must move while the engine runs: exactly constant over this many samples
#: means a stuck sensor or a frozen answer.
MUST_MOVE = ("RPM", "MAF", "INTAKE_PRESSURE", "SHORT_FUEL_TRIM_1")
STUCK_MIN_SAMPLES = 15

#: Which phase each feature comes from (the guided-test plan asks only for what is needed).
FEATURE_PHASES: dict[str, tuple[str, ...]] = {
    "trim_idle": ("idle",),
    "trim_2500": ("hold_2500",),
    "trim_drive": ("drive",),
    "trim_delta": ("idle", "hold_2500"),
    "trim_bank_diff": ("idle", "hold_2500"),
    "maf_ratio": ("hold_2500", "idle"),
    "map_ratio_idle": ("idle",),
    "rpm_std_idle": ("idle",),
    "rpm_idle": ("idle",),
    "fuel_pressure_ratio": ("hold_2500",),
    "rail_ratio": ("snap_throttle", "hold_2500"),
    "coolant_max": ("drive", "hold_2500"),
    "warmup_rate": ("cold_start",),
    "coolant_max_step": ("cold_start", "drive"),
    "coolant_minus_iat_warm": ("drive", "hold_2500"),
    "iat_minus_ambient": ("idle",),
    "o2_up_switch_hz": ("hold_2500", "idle"),
    "o2_up_range": ("hold_2500", "idle"),
    "o2_ratio": ("hold_2500",),
    "o2_down_mean": ("hold_2500",),
    "o2_down_range": ("hold_2500",),
    "o2_up_first_switch_s": ("cold_start",),
    "volts_running": ("idle",),
    "volts_max": ("hold_2500",),
    "volts_min_start": ("cold_start",),
    "volts_engine_off": ("cold_start",),
    "tps_max_step_steady": ("hold_2500",),
    "timing_hold": ("hold_2500",),
    "boost_snap": ("snap_throttle",),
    "egr_error": ("idle",),
    "cat_temp_max": ("drive", "hold_2500"),
    "exhaust_pressure_hold": ("hold_2500",),
    "load_snap_max": ("snap_throttle",),
    "drive_ratio_cv": ("drive",),
    "trans_temp_max": ("drive",),
    "cruise_rpm_per_kmh": ("drive",),
}
PHASE_ORDER = ("cold_start", "idle", "hold_2500", "snap_throttle", "drive")

# Mode 06 monitor ids (SAE J1979 appendix): A2.. = misfire cylinder 1..; groups of MIDs.
_M06_GROUPS = {
    "m06_fail_catalyst": range(0x21, 0x25),
    "m06_fail_o2": range(0x01, 0x11),
    "m06_fail_egr": range(0x31, 0x34),
    "m06_fail_evap": range(0x39, 0x3E),
    "m06_fail_heater": range(0x41, 0x51),
}


@dataclass
class Features:
    """What :func:`extract` computed from one snapshot."""

    values: dict[str, float] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    symptoms: set[str] = field(default_factory=set)
    misfire_counts: dict[int, float] = field(default_factory=dict)
    data_quality: list[DataQualityFinding] = field(default_factory=list)
    bad_pids: set[str] = field(default_factory=set)
    cylinders: int = 4
    fuel: str | None = None
    engine_type: str | None = None
    mil_on: bool | None = None
    phases: set[str] = field(default_factory=set)

    def get(self, name: str) -> float | None:
        """The feature value or None when it could not be computed."""
        return self.values.get(name)

    @property
    def has_data(self) -> bool:
        """False for an empty snapshot (nothing to reason on)."""
        return bool(
            self.values
            or self.codes
            or self.symptoms
            or self.misfire_counts
            or self.mil_on is not None
            or self.data_quality
        )


class _Series:
    """Clean numpy views of one snapshot's phases (impossible / stuck series removed)."""

    def __init__(self, snapshot: Snapshot, features: Features):
        self.data: dict[str, dict[str, np.ndarray]] = {}
        for name in PHASE_ORDER:
            phase = snapshot.phase(name)
            if phase is None or not phase.series:
                continue
            features.phases.add(name)
            self.data[name] = {
                pid: np.array(values, dtype=float)  # None -> nan
                for pid, values in phase.series.items()
            }
        self._check_quality(features)

    def _check_quality(self, features: Features) -> None:
        for phase, series in self.data.items():
            running = series.get("RPM")
            for pid, values in list(series.items()):
                problem = _quality_problem(pid, values, running)
                if problem:
                    features.data_quality.append(_finding(pid, phase, problem, values))
                    features.bad_pids.add(pid)
        for series in self.data.values():  # one bad phase condemns the sensor everywhere
            for pid in features.bad_pids:
                series.pop(pid, None)

    def get(self, phase: str, pid: str, running: bool = True) -> np.ndarray:
        """Finite samples of ``pid`` in ``phase`` (only while the engine runs by default)."""
        series = self.data.get(phase, {})
        values = series.get(pid)
        if values is None:
            return np.empty(0)
        if running and pid != "RPM" and "RPM" in series:
            values = values[np.nan_to_num(series["RPM"]) > RUNNING_RPM]
        return values[np.isfinite(values)]

    def pair(self, phase: str, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
        """Samples of ``a`` and ``b`` taken at the same times, both finite."""
        series = self.data.get(phase, {})
        if a not in series or b not in series:
            return np.empty(0), np.empty(0)
        x, y = series[a], series[b]
        ok = np.isfinite(x) & np.isfinite(y)
        return x[ok], y[ok]


def _quality_problem(pid: str, values: np.ndarray, rpm: np.ndarray | None) -> str | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = BOUNDS.get(pid, (-math.inf, math.inf))
    if finite.min() < low or finite.max() > high:
        return "impossible"
    if pid in MUST_MOVE and finite.size >= STUCK_MIN_SAMPLES:
        running = rpm is not None and np.nanmedian(rpm) > RUNNING_RPM
        if running and np.ptp(finite) == 0.0:
            return "stuck"
    return None


def _finding(pid: str, phase: str, problem: str, values: np.ndarray) -> DataQualityFinding:
    finite = values[np.isfinite(values)]
    if problem == "impossible":
        low, high = BOUNDS[pid]
        bad = finite[(finite < low) | (finite > high)]
        en = (
            f"{pid} reads {bad[0]:g} during {phase}, outside what is physically possible "
            f"({low:g} to {high:g}): sensor or wiring fault, values not used"
        )
        fr = (
            f"{pid} lit {bad[0]:g} pendant {phase}, hors du possible ({low:g} à {high:g}) : "
            "capteur ou câblage en défaut, valeurs non utilisées"
        )
    else:
        en = (
            f"{pid} stays at exactly {finite[0]:g} for {finite.size} samples during {phase} "
            "with the engine running: stuck sensor, values not used"
        )
        fr = (
            f"{pid} reste exactement à {finite[0]:g} sur {finite.size} mesures pendant {phase} "
            "moteur tournant : capteur figé, valeurs non utilisées"
        )
    return DataQualityFinding(pid=pid, phase=phase, problem=problem, text=Text(en=en, fr=fr))


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if values.size >= 3 else None


def extract(snapshot: Snapshot) -> Features:
    """Compute every feature the snapshot allows (see the module docstring)."""
    f = Features(
        codes=snapshot.codes(),
        stored=snapshot.codes(("stored", "permanent")),
        pending=snapshot.codes(("pending",)),
        symptoms=set(snapshot.symptoms),
        mil_on=snapshot.mil_on,
    )
    vehicle = snapshot.vehicle
    f.fuel = vehicle.fuel if vehicle else None
    f.engine_type = vehicle.engine_type if vehicle else None
    if f.fuel is None and f.engine_type:
        f.fuel = "diesel" if f.engine_type == "diesel" else "petrol"
    f.cylinders = (vehicle.cylinders if vehicle and vehicle.cylinders else None) or 4
    s = _Series(snapshot, f)
    litres = vehicle.engine_litres if vehicle else None
    for compute in (
        _trims,
        _air,
        _fuel,
        _coolant,
        _oxygen,
        _electrics,
        _misc,
        _drive,
        _shape,
    ):
        compute(s, f, litres)
    _mode06(snapshot, f)
    _freeze_frame(snapshot, f)
    f.values = {k: v for k, v in f.values.items() if v is not None and math.isfinite(v)}
    return f


def _trim(s: _Series, phase: str, bank: int) -> float | None:
    short = s.get(phase, f"SHORT_FUEL_TRIM_{bank}")
    long = s.get(phase, f"LONG_FUEL_TRIM_{bank}")
    if short.size < 3 and long.size < 3:
        return None
    return (_median(short) or 0.0) + (_median(long) or 0.0)


def _trims(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    for phase, name in (("idle", "trim_idle"), ("hold_2500", "trim_2500"), ("drive", "trim_drive")):
        v[name] = _trim(s, phase, 1)
    if v["trim_idle"] is not None and v["trim_2500"] is not None:
        v["trim_delta"] = v["trim_idle"] - v["trim_2500"]
    diffs = []
    for phase in ("idle", "hold_2500"):
        one, two = _trim(s, phase, 1), _trim(s, phase, 2)
        if one is not None and two is not None:
            diffs.append(abs(one - two))
    v["trim_bank_diff"] = max(diffs) if diffs else None
    short = s.get("idle", "SHORT_FUEL_TRIM_1")
    v["stft_std_idle"] = float(np.std(short)) if short.size >= 5 else None
    long = s.get("idle", "LONG_FUEL_TRIM_1")
    v["ltft_idle"] = _median(long)


def _baro(s: _Series) -> float:
    for phase in PHASE_ORDER:
        baro = _median(s.get(phase, "BAROMETRIC_PRESSURE", running=False))
        if baro:
            return baro
    return STANDARD_BARO_KPA


def _air(s: _Series, f: Features, litres: float | None) -> None:
    v = f.values
    baro = _baro(s)
    map_idle = _median(s.get("idle", "INTAKE_PRESSURE"))
    v["map_ratio_idle"] = map_idle / baro if map_idle else None
    rpm = s.get("idle", "RPM")
    steady = rpm[5:] if rpm.size > 10 else rpm  # skip the settling after the phase starts
    v["rpm_idle"] = _median(steady)
    v["rpm_std_idle"] = float(np.std(steady)) if steady.size >= 5 else None
    v["maf_ratio"] = _maf_ratio(s, "hold_2500", litres) or _maf_ratio(s, "idle", litres)
    v["maf_idle"] = _median(s.get("idle", "MAF"))
    v["map_hold"] = _median(s.get("hold_2500", "INTAKE_PRESSURE"))
    snap_map = s.get("snap_throttle", "INTAKE_PRESSURE")
    turbo = f.engine_type in ("petrol_turbo", "diesel") or (
        snap_map.size and snap_map.max() > baro + 15
    )
    v["boost_snap"] = float(snap_map.max() - baro) if turbo and snap_map.size >= 3 else None
    load = s.get("snap_throttle", "ENGINE_LOAD")
    v["load_snap_max"] = float(load.max()) if load.size >= 3 else None


def _maf_ratio(s: _Series, phase: str, litres: float | None) -> float | None:
    """Measured MAF / speed-density estimate from rpm, manifold pressure and intake temperature."""
    if not litres:
        return None
    data = s.data.get(phase, {})
    needed = ("MAF", "RPM", "INTAKE_PRESSURE")
    if any(pid not in data for pid in needed):
        return None
    maf, rpm, map_kpa = (data[pid] for pid in needed)
    iat = data.get("INTAKE_TEMP", np.full_like(maf, 25.0))
    ok = np.isfinite(maf) & np.isfinite(rpm) & np.isfinite(map_kpa) & np.isfinite(iat)
    ok &= rpm > RUNNING_RPM
    if ok.sum() < 3:
        return None
    expected = (
        VE_REFERENCE
        * litres
        * rpm[ok]
        / 120.0
        * map_kpa[ok]
        * 1000.0
        / (R_AIR * (iat[ok] + 273.15))
    )
    return float(np.median(maf[ok] / expected))


def _fuel(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    idle = _median(s.get("idle", "FUEL_PRESSURE"))
    hold = _median(s.get("hold_2500", "FUEL_PRESSURE"))
    v["fuel_pressure_ratio"] = hold / idle if idle and hold else None
    rail_idle = _median(s.get("idle", "FUEL_RAIL_PRESSURE_DIRECT"))
    rail_load = s.get("snap_throttle", "FUEL_RAIL_PRESSURE_DIRECT")
    if rail_load.size < 3:
        rail_load = s.get("hold_2500", "FUEL_RAIL_PRESSURE_DIRECT")
    v["rail_ratio"] = (
        float(rail_load.max()) / rail_idle if rail_idle and rail_load.size >= 3 else None
    )
    v["rail_idle"] = rail_idle


def _coolant(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    everything = [s.get(p, "COOLANT_TEMP", running=False) for p in PHASE_ORDER]
    joined = np.concatenate(everything) if everything else np.empty(0)
    v["coolant_max"] = float(joined.max()) if joined.size >= 3 else None
    steps = [np.abs(np.diff(x)).max() for x in everything if x.size >= 3]
    v["coolant_max_step"] = float(max(steps)) if steps else None
    cold = s.get("cold_start", "COOLANT_TEMP")
    duration = cold.size  # 1 Hz
    if duration >= 60 and cold[0] < 60:
        v["warmup_rate"] = float((cold.max() - cold[0]) / (duration / 60.0))
    for phase in ("drive", "hold_2500"):  # phases after warm-up only
        coolant, iat = s.get(phase, "COOLANT_TEMP"), s.get(phase, "INTAKE_TEMP")
        if coolant.size >= 3 and iat.size >= 3:
            v["coolant_minus_iat_warm"] = float(np.median(coolant) - np.median(iat))
            break
    iat, ambient = s.get("idle", "INTAKE_TEMP"), s.get("idle", "AMBIENT_AIR_TEMP", running=False)
    if iat.size >= 3 and ambient.size >= 3:
        v["iat_minus_ambient"] = float(np.median(iat) - np.median(ambient))
    oil = [s.get(p, "TRANSMISSION_TEMP", running=False) for p in ("drive", "hold_2500")]
    oil = np.concatenate(oil)
    v["trans_temp_max"] = float(oil.max()) if oil.size >= 3 else None


def _crossings(volts: np.ndarray, level: float = 0.45) -> int:
    above = volts > level
    return int(np.count_nonzero(above[1:] != above[:-1]))


def _oxygen(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    for phase in ("hold_2500", "idle"):
        up = s.get(phase, "O2_B1S1_VOLTAGE")
        if up.size >= 10:
            v["o2_up_switch_hz"] = _crossings(up) / up.size
            v["o2_up_range"] = float(np.percentile(up, 95) - np.percentile(up, 5))
            down = s.get(phase, "O2_B1S2_VOLTAGE")
            if down.size >= 10:
                v["o2_down_mean"] = float(np.mean(down))
                v["o2_down_range"] = float(np.percentile(down, 95) - np.percentile(down, 5))
                v["o2_ratio"] = _crossings(down) / max(_crossings(up), 1)
            break
    cold = s.data.get("cold_start", {}).get("O2_B1S1_VOLTAGE")
    if cold is not None and np.isfinite(cold).sum() >= 30:
        crossed = np.flatnonzero(np.nan_to_num(cold) > 0.6)
        v["o2_up_first_switch_s"] = float(crossed[0]) if crossed.size else float(cold.size)


def _electrics(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    running = np.concatenate([s.get(p, "CONTROL_MODULE_VOLTAGE") for p in ("idle", "hold_2500")])
    v["volts_running"] = _median(running)
    everything = [s.get(p, "CONTROL_MODULE_VOLTAGE", running=False) for p in PHASE_ORDER]
    joined = np.concatenate(everything)
    v["volts_max"] = float(joined.max()) if joined.size >= 3 else None
    rpm, volts = s.pair("cold_start", "RPM", "CONTROL_MODULE_VOLTAGE")
    if volts.size >= 3:
        off = volts[rpm < 100]
        v["volts_engine_off"] = _median(off)
        v["volts_min_start"] = float(volts[: min(volts.size, 10)].min())


def _misc(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    tps = s.get("hold_2500", "THROTTLE_POS")
    v["tps_max_step_steady"] = float(np.abs(np.diff(tps)).max()) if tps.size >= 5 else None
    v["timing_hold"] = _median(s.get("hold_2500", "TIMING_ADVANCE"))
    v["timing_idle"] = _median(s.get("idle", "TIMING_ADVANCE"))
    v["egr_error"] = _median(s.get("idle", "EGR_ERROR"))
    cat = np.concatenate([s.get(p, "CATALYST_TEMP_B1S1") for p in ("hold_2500", "drive")])
    v["cat_temp_max"] = float(cat.max()) if cat.size >= 3 else None
    v["exhaust_pressure_hold"] = _median(s.get("hold_2500", "EXHAUST_PRESSURE_B1"))


def _drive(s: _Series, f: Features, _litres: float | None) -> None:
    v = f.values
    rpm, speed = s.pair("drive", "RPM", "SPEED")
    moving = speed > 20
    if moving.sum() >= 10:
        ratio = rpm[moving] / speed[moving]
        # Median step between consecutive samples: gear changes are rare events and fall
        # out of the median; a slipping clutch makes every step wobble.
        with np.errstate(divide="ignore", invalid="ignore"):  # a stalled engine: rpm 0
            steps = np.abs(np.diff(ratio)) / ratio[1:]
        steps = steps[np.isfinite(steps)]
        v["drive_ratio_cv"] = float(np.median(steps)) if steps.size else None
    cruise = speed > 70
    if cruise.sum() >= 5:
        v["cruise_rpm_per_kmh"] = float(np.median(rpm[cruise] / speed[cruise]))


def _slope(x: np.ndarray, y: np.ndarray) -> float | None:
    """Least-squares slope of ``y`` against ``x`` (None when ``x`` barely moves)."""
    if x.size < 8 or np.ptp(x) < 1e-6 or float(np.std(x)) < 1e-3:
        return None
    return float(np.polyfit(x, y, 1)[0])


def _total_trim_series(s: _Series, phase: str) -> tuple[np.ndarray, np.ndarray]:
    """(engine load, short + long trim of bank 1) sampled together in ``phase``."""
    series = s.data.get(phase, {})
    needed = ("ENGINE_LOAD", "SHORT_FUEL_TRIM_1", "LONG_FUEL_TRIM_1", "RPM")
    if any(pid not in series for pid in needed):
        return np.empty(0), np.empty(0)
    load, short, long, rpm = (series[pid] for pid in needed)
    ok = np.isfinite(load) & np.isfinite(short) & np.isfinite(long) & (rpm > RUNNING_RPM)
    return load[ok], short[ok] + long[ok]


def _shape(s: _Series, f: Features, litres: float | None) -> None:
    """Features only the learned model reads (the rules keep their own, named ones): how
    trims move with load, air flow against the speed-density estimate per phase, spread of
    the steady-state signals, O2 bias, fuel pressure under a snap."""
    v = f.values
    load, trim = _total_trim_series(s, "drive")
    v["trim_load_slope_drive"] = _slope(load, trim)
    if v.get("trim_2500") is not None and v.get("trim_drive") is not None:
        v["trim_2500_minus_drive"] = v["trim_2500"] - v["trim_drive"]
    v["ltft_2500"] = _median(s.get("hold_2500", "LONG_FUEL_TRIM_1"))
    hold_short = s.get("hold_2500", "SHORT_FUEL_TRIM_1")
    v["stft_std_2500"] = float(np.std(hold_short)) if hold_short.size >= 5 else None
    v["maf_ratio_idle"] = _maf_ratio(s, "idle", litres)
    v["maf_ratio_hold"] = _maf_ratio(s, "hold_2500", litres)
    v["maf_ratio_drive"] = _maf_ratio(s, "drive", litres)
    v["maf_hold"] = _median(s.get("hold_2500", "MAF"))
    v["load_idle"] = _median(s.get("idle", "ENGINE_LOAD"))
    v["load_hold"] = _median(s.get("hold_2500", "ENGINE_LOAD"))
    rpm_hold = s.get("hold_2500", "RPM")
    v["rpm_std_hold"] = float(np.std(rpm_hold[3:])) if rpm_hold.size >= 8 else None
    timing = s.get("idle", "TIMING_ADVANCE")
    v["timing_std_idle"] = float(np.std(timing)) if timing.size >= 5 else None
    timing_drive = s.get("drive", "TIMING_ADVANCE")
    v["timing_drive"] = _median(timing_drive)
    for phase in ("hold_2500", "idle"):
        up = s.get(phase, "O2_B1S1_VOLTAGE")
        if up.size >= 10:
            v["o2_up_mean"] = float(np.mean(up))
            break
    up_idle = s.get("idle", "O2_B1S1_VOLTAGE")
    v["o2_up_switch_idle"] = _crossings(up_idle) / up_idle.size if up_idle.size >= 10 else None
    down = s.get("drive", "O2_B1S2_VOLTAGE")
    v["o2_down_mean_drive"] = float(np.mean(down)) if down.size >= 10 else None
    idle_pressure = _median(s.get("idle", "FUEL_PRESSURE"))
    v["fuel_pressure_idle"] = idle_pressure
    snap = s.get("snap_throttle", "FUEL_PRESSURE")
    v["fuel_pressure_snap_min_ratio"] = (
        float(snap.min()) / idle_pressure if idle_pressure and snap.size >= 3 else None
    )
    rail = s.get("snap_throttle", "FUEL_RAIL_PRESSURE_DIRECT")
    rail_idle = v.get("rail_idle")
    v["rail_snap_min_ratio"] = (
        float(rail.min()) / rail_idle if rail_idle and rail.size >= 3 else None
    )
    v["map_snap_min"] = _min(s.get("snap_throttle", "INTAKE_PRESSURE"))
    v["tps_snap_max"] = _max(s.get("snap_throttle", "THROTTLE_POS"))
    v["rpm_snap_max"] = _max(s.get("snap_throttle", "RPM"))
    v["coolant_idle"] = _median(s.get("idle", "COOLANT_TEMP"))
    cold = s.get("cold_start", "COOLANT_TEMP", running=False)
    v["coolant_cold_first"] = float(cold[0]) if cold.size else None
    v["iat_idle"] = _median(s.get("idle", "INTAKE_TEMP"))
    v["iat_drive_max"] = _max(s.get("drive", "INTAKE_TEMP"))
    v["cat_temp_idle"] = _median(s.get("idle", "CATALYST_TEMP_B1S1"))
    v["egr_commanded_drive"] = _median(s.get("drive", "COMMANDED_EGR"))
    v["egr_error_drive"] = _median(s.get("drive", "EGR_ERROR"))
    evap = s.get("idle", "EVAP_VAPOR_PRESSURE")
    v["evap_idle"] = _median(evap)
    volts = s.get("drive", "CONTROL_MODULE_VOLTAGE")
    v["volts_drive"] = _median(volts)
    v["volts_std_idle"] = _std(s.get("idle", "CONTROL_MODULE_VOLTAGE"))


def _min(values: np.ndarray) -> float | None:
    return float(values.min()) if values.size >= 3 else None


def _max(values: np.ndarray) -> float | None:
    return float(values.max()) if values.size >= 3 else None


def _std(values: np.ndarray) -> float | None:
    return float(np.std(values)) if values.size >= 5 else None


def _mode06(snapshot: Snapshot, f: Features) -> None:
    if not snapshot.mode06:
        return
    v = f.values
    fails = {name: 0.0 for name in _M06_GROUPS}
    total = 0.0
    for result in snapshot.mode06:
        if result.value is None:  # no result yet: says nothing
            continue
        mid = int(result.mid, 16)
        failed = result.status == "fail" or _outside(result.value, result.min, result.max)
        if 0xA2 <= mid <= 0xAD and result.tid in ("0B", "0C"):
            cylinder = mid - 0xA1
            f.misfire_counts[cylinder] = max(f.misfire_counts.get(cylinder, 0.0), result.value)
        total += failed
        for name, mids in _M06_GROUPS.items():
            if mid in mids:
                fails[name] += failed
    v.update(fails)
    v["m06_fail_count"] = total
    if f.misfire_counts:
        v["m06_misfire_max"] = max(f.misfire_counts.values())
        v["m06_misfire_cylinders"] = float(sum(c > 5 for c in f.misfire_counts.values()))
        counts = sorted(f.misfire_counts.values(), reverse=True)
        total = sum(counts)
        v["m06_misfire_total"] = total
        v["m06_misfire_share"] = counts[0] / total if total > 0 else 0.0
        v["m06_misfire_second"] = counts[1] if len(counts) > 1 else 0.0


def _outside(value: float, low: float | None, high: float | None) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def without_freeze_frame(f: Features) -> Features:
    """A copy of ``f`` as :func:`extract` computes it from the snapshot without its freeze
    frames (a training augmentation)."""
    copy = dataclasses.replace(f)
    copy.values = {k: v for k, v in f.values.items() if not k.startswith("ff_")}
    return copy


def _freeze_frame(snapshot: Snapshot, f: Features) -> None:
    if not snapshot.freeze_frames:
        return
    values = snapshot.freeze_frames[0].values
    v = f.values
    trims = [values.get(k) for k in ("SHORT_FUEL_TRIM_1", "LONG_FUEL_TRIM_1")]
    if any(t is not None for t in trims):
        v["ff_trim"] = sum(t or 0.0 for t in trims)
    v["ff_rpm"] = values.get("RPM")
    v["ff_coolant"] = values.get("COOLANT_TEMP")
