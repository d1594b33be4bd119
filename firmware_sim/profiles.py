"""Engine and adapter profiles: the data that makes one virtual car or dongle differ from
another. Pure data; the models read it.

A profile is a *kind* of car (``small_petrol``: a 1.5 L port-injected four like the 2014
Toyota Etios of the carOBD recordings). :func:`draw_car` draws one car of that kind with
the variation real cars of one model show: displacement, volumetric efficiency, idle speed,
thermostat rating, sensor offsets and noise, an aged long-term fuel trim, which PIDs and
monitors the ECU supports, whether it answers Mode 06, and its protocol. A seed fixes the
draw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from firmware_sim.errors import ProfileError

ENGINE_TYPES = ("petrol_port", "petrol_di", "petrol_turbo", "diesel")
SIX_SPEED = (0.0, 130.0, 78.0, 53.0, 40.0, 32.0, 27.0)  # engine rpm per km/h, by gear


@dataclass(frozen=True)
class EngineProfile:
    """One virtual car: engine geometry, power, identity, the bus it speaks, and the
    per-car variation (the defaults are the profile's nominal car)."""

    name: str
    fuel: str  # "petrol" or "diesel"
    displacement_l: float
    cylinders: int
    banks: int
    max_power_kw: float
    mass_kg: float
    protocol: str  # ELM327 protocol number the car answers on
    vin: str
    calid: str
    cvn: bytes
    tcm_calid: str
    tcm_cvn: bytes
    engine_type: str = "petrol_port"
    idle_rpm: float = 800.0
    fuel_pressure_kpa: float = 350.0  # gauge, port injection; DI and diesel: rail (kPa)
    tank_l: float = 50.0
    has_egr: bool = False
    year: int = 2014
    mileage_km: float = 120000.0
    # ---- per-car variation (nominal values; draw_car varies them)
    ve_scale: float = 1.0  # volumetric efficiency relative to the nominal engine
    ve_peak_rpm: float = 4200.0  # where the VE curve peaks
    thermostat_c: float = 88.0  # opening temperature
    fuel_bias: float = 0.0  # what the aged engine needs beyond nominal fuel: the LTFT
    maf_gain: float = 1.0  # MAF sensor tolerance
    map_offset_kpa: float = 0.0
    coolant_offset_c: float = 0.0
    iat_offset_c: float = 0.0
    noise: float = 1.0  # sensor noise scale
    timing_offset_deg: float = 0.0
    idle_timing_deg: float = 8.0  # ignition advance at warm idle
    charge_v: float = 13.75  # alternator set point, warm
    rest_v: float = 12.5  # battery at rest
    mode06: bool = True  # answers Mode 06
    fuel_pressure_pid: bool = False  # reports PID 0A (fuel pressure) on port injection
    dropped_pids: frozenset[int] = field(default_factory=frozenset)  # unsupported here
    evap_leak_in: float = 0.008  # equivalent hole of a sound EVAP system (inches)
    # Engine rpm per km/h in each gear (index 0: neutral), tyres and final drive included.
    gear_rpm_per_kmh: tuple[float, ...] = SIX_SPEED
    # How the driver (or the automatic) changes gear: up at these road speeds (km/h, one
    # per upshift), or, when empty, by load (vehicle.py: the highest gear that keeps
    # the engine above ``shift_floor_rpm`` plus a margin that grows with power).
    shift_up_kmh: tuple[float, ...] = (18.0, 32.0, 50.0, 68.0, 90.0)
    shift_floor_rpm: float = 1100.0

    @property
    def diesel(self) -> bool:
        """True for compression ignition."""
        return self.fuel == "diesel"

    @property
    def direct_injection(self) -> bool:
        """True when fuel is injected into the cylinder (rail pressure, PID 23)."""
        return self.engine_type in ("petrol_di", "petrol_turbo", "diesel")

    @property
    def turbo(self) -> bool:
        """True with a turbocharger (boost above barometric pressure)."""
        return self.engine_type in ("petrol_turbo", "diesel")


def _profile(**kwargs: object) -> EngineProfile:
    return EngineProfile(**kwargs)  # type: ignore[arg-type]


_BASE = (
    _profile(
        name="small_petrol",
        fuel="petrol",
        engine_type="petrol_port",
        displacement_l=1.5,
        cylinders=4,
        banks=1,
        max_power_kw=66.0,
        mass_kg=1040.0,
        protocol="6",
        idle_rpm=730.0,
        vin="MBJB29BT300123456",
        calid="ETI15P2014A00000",
        cvn=bytes.fromhex("1A2B3C4D"),
        tcm_calid="ETI4AT1700000000",
        tcm_cvn=bytes.fromhex("0BADCAFE"),
        tank_l=45.0,
        has_egr=False,
        year=2014,
        thermostat_c=85.0,
        charge_v=13.8,
        idle_timing_deg=1.0,
        # Five gears, read off the recordings: steady driving clusters at rpm / km/h of
        # about 132, 71, 48, 35.5 and 29 (benchmarks/sim_realism.py --gears).
        gear_rpm_per_kmh=(0.0, 132.0, 71.0, 48.0, 35.5, 29.0),
        # Its driver changes up by load, early, and lugs along: steady 3rd from 20 km/h
        # (960 rpm), 4th from 33 km/h (1,170 rpm), upshifts from about 1,500 rpm.
        shift_up_kmh=(),
        shift_floor_rpm=1100.0,
    ),
    _profile(
        name="large_petrol",
        fuel="petrol",
        engine_type="petrol_port",
        displacement_l=3.5,
        cylinders=6,
        banks=2,
        max_power_kw=200.0,
        mass_kg=1700.0,
        protocol="6",
        idle_rpm=650.0,
        vin="JTMBK31V105098765",
        calid="34V6G9911B000000",
        cvn=bytes.fromhex("77E0F1A2"),
        tcm_calid="6AT88C1000000000",
        tcm_cvn=bytes.fromhex("5EEDF00D"),
        tank_l=70.0,
        year=2012,
        mileage_km=160000.0,
        fuel_pressure_pid=True,
    ),
    _profile(
        name="petrol_di",
        fuel="petrol",
        engine_type="petrol_di",
        displacement_l=2.0,
        cylinders=4,
        banks=1,
        max_power_kw=110.0,
        mass_kg=1350.0,
        protocol="6",
        idle_rpm=750.0,
        vin="VF1RFB00012345678",
        calid="M4RDI20A00000000",
        cvn=bytes.fromhex("2C3D4E5F"),
        tcm_calid="DP0AT19000000000",
        tcm_cvn=bytes.fromhex("11223344"),
        fuel_pressure_kpa=5000.0,
        has_egr=True,
        year=2017,
        mileage_km=90000.0,
    ),
    _profile(
        name="turbo_petrol",
        fuel="petrol",
        engine_type="petrol_turbo",
        displacement_l=1.4,
        cylinders=4,
        banks=1,
        max_power_kw=92.0,
        mass_kg=1250.0,
        protocol="6",
        idle_rpm=700.0,
        vin="WVWZZZAUZGW123456",
        calid="04E906016DL00000",
        cvn=bytes.fromhex("3E4F5061"),
        tcm_calid="0CW300043J000000",
        tcm_cvn=bytes.fromhex("55667788"),
        fuel_pressure_kpa=5000.0,
        year=2016,
        mileage_km=110000.0,
    ),
    _profile(
        name="small_diesel",
        fuel="diesel",
        engine_type="diesel",
        displacement_l=1.5,
        cylinders=4,
        banks=1,
        max_power_kw=81.0,
        mass_kg=1250.0,
        protocol="6",
        idle_rpm=830.0,
        vin="VF15RBJ0A12345678",
        calid="237103902R000000",
        cvn=bytes.fromhex("4A5B6C7D"),
        tcm_calid="310321234R000000",
        tcm_cvn=bytes.fromhex("99AABBCC"),
        fuel_pressure_kpa=30000.0,
        tank_l=50.0,
        has_egr=True,
        year=2015,
        mileage_km=150000.0,
    ),
    _profile(
        name="large_diesel",
        fuel="diesel",
        engine_type="diesel",
        displacement_l=2.0,
        cylinders=4,
        banks=1,
        max_power_kw=110.0,
        mass_kg=1450.0,
        protocol="7",
        idle_rpm=820.0,
        vin="WVWZZZ3CZJE012345",
        calid="03L906018JD00000",
        cvn=bytes.fromhex("C0FFEE11"),
        tcm_calid="0AM927769D000000",
        tcm_cvn=bytes.fromhex("D1E5E122"),
        fuel_pressure_kpa=30000.0,
        tank_l=60.0,
        has_egr=True,
        year=2018,
        mileage_km=140000.0,
    ),
)
# The names of the first simulator version stay valid (tests, scripts, users' habits).
# Their cars keep their original numbers: petrol_1.5 had an EGR valve and idled at 800.
_ALIASES = {
    "petrol_1.5": replace(
        _BASE[0],
        name="petrol_1.5",
        vin="VF1RJA00068123456",
        calid="NE15P2310A000000",
        tcm_calid="NT4AT17B00000000",
        has_egr=True,
        idle_rpm=800.0,
        max_power_kw=80.0,
        mass_kg=1150.0,
        tank_l=50.0,
        gear_rpm_per_kmh=SIX_SPEED,
        shift_up_kmh=_BASE[1].shift_up_kmh,
    ),
    "petrol_v6": replace(_BASE[1], name="petrol_v6"),
    "diesel_2.0": replace(_BASE[5], name="diesel_2.0"),
}

PROFILES: dict[str, EngineProfile] = {p.name: p for p in _BASE}
"""The six kinds of car the case generator draws from."""
ENGINES: dict[str, EngineProfile] = {**PROFILES, **_ALIASES}
"""Every profile name the simulator accepts (the six kinds and the historical names)."""

DEFAULT_ENGINE = "petrol_1.5"


def engine_profile(name: str) -> EngineProfile:
    """The profile called ``name``; raises :class:`ProfileError` listing the known ones."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ProfileError(f"unknown car profile {name!r}; known: {sorted(ENGINES)}") from None


# PIDs some ECUs of a kind support and others do not (the rest are always there).
OPTIONAL_PIDS = (0x0A, 0x1F, 0x21, 0x2E, 0x3C, 0x43, 0x44, 0x45, 0x46, 0x4D, 0x4E, 0x51)
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def draw_car(name: str, seed: int) -> EngineProfile:
    """One car of profile ``name``, varied the way cars of one model differ, fixed by
    ``seed``. Raises :class:`ProfileError` for an unknown profile."""
    base = engine_profile(name)
    rng = random.Random(f"car:{name}:{seed}")
    petrol = not base.diesel
    dropped = frozenset(pid for pid in OPTIONAL_PIDS if rng.random() < 0.15)
    if petrol and not base.direct_injection and not base.fuel_pressure_pid:
        fuel_pressure_pid = rng.random() < 0.3  # most port-injection ECUs do not report it
    else:
        fuel_pressure_pid = base.fuel_pressure_pid
    protocol = base.protocol
    if rng.random() < 0.12:  # an older or export ECU on another bus
        protocol = rng.choice(("7", "8", "3", "5") if base.year < 2008 else ("7", "8"))
    serial = "".join(rng.choice(_VIN_CHARS) for _ in range(6))
    return replace(
        base,
        displacement_l=round(base.displacement_l * rng.uniform(0.96, 1.04), 3),
        ve_scale=rng.uniform(0.94, 1.06),
        ve_peak_rpm=base.ve_peak_rpm * rng.uniform(0.9, 1.1),
        idle_rpm=round(base.idle_rpm + rng.uniform(-40.0, 60.0)),
        thermostat_c=base.thermostat_c + rng.choice((-6.0, -3.0, 0.0, 0.0, 2.0, 4.0)),
        fuel_bias=rng.uniform(-0.07, 0.06) if petrol else 0.0,
        maf_gain=rng.uniform(0.97, 1.03),
        map_offset_kpa=rng.uniform(-1.0, 1.0),
        coolant_offset_c=rng.uniform(-1.5, 1.5),
        iat_offset_c=rng.uniform(-2.0, 2.0),
        noise=rng.uniform(0.6, 1.6),
        timing_offset_deg=rng.uniform(-1.0, 1.0),
        charge_v=base.charge_v + rng.uniform(-0.25, 0.45),
        rest_v=rng.uniform(12.35, 12.75),
        mode06=rng.random() < 0.85,
        fuel_pressure_pid=fuel_pressure_pid,
        dropped_pids=dropped,
        protocol=protocol,
        vin=base.vin[:11] + serial,
        year=base.year + rng.randint(-2, 3),
        mileage_km=round(rng.uniform(0.3, 1.6) * base.mileage_km, -2),
        evap_leak_in=rng.uniform(0.004, 0.012),
    )


@dataclass(frozen=True)
class AdapterProfile:
    """One dongle's firmware personality."""

    name: str
    identity: str  # ATI / ATZ banner
    device: str  # AT@1
    missing: frozenset[str]  # commands (without "AT") that answer "?"
    stn: bool = False  # accepts ST commands
    nul_after_reset: int = 0  # NUL bytes a clone spits before its banner
    late_ok_s: float = 0.0  # realistic mode: extra delay before a settings "OK"
    max_header_digits: int = 8


ADAPTERS: dict[str, AdapterProfile] = {
    "elm327": AdapterProfile("elm327", "ELM327 v2.2", "OBDII to RS232 Interpreter", frozenset()),
    "stn": AdapterProfile("stn", "ELM327 v1.4b", "OBDLink SX r4.2", frozenset(), stn=True),
    "clone": AdapterProfile(
        "clone",
        "ELM327 v1.5",
        "OBDII to RS232 Interpreter",
        frozenset({"@1", "CRA", "AT2", "PC", "WS"}),
        nul_after_reset=3,
        late_ok_s=0.25,
        max_header_digits=6,
    ),
}


def adapter_profile(name: str) -> AdapterProfile:
    """The adapter profile called ``name``; raises :class:`ProfileError`."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ProfileError(f"unknown adapter {name!r}; known: {sorted(ADAPTERS)}") from None
