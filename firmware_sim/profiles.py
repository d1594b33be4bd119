"""Engine and adapter profiles: the data that makes one virtual car or dongle differ from
another. Pure data; the models read it."""

from __future__ import annotations

from dataclasses import dataclass

from firmware_sim.errors import ProfileError


@dataclass(frozen=True)
class EngineProfile:
    """One virtual car: engine geometry, power, identity and the bus it speaks."""

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
    idle_rpm: float = 800.0
    fuel_pressure_kpa: float = 350.0  # gauge, port injection; diesel: rail pressure
    tank_l: float = 50.0
    has_egr: bool = False

    @property
    def diesel(self) -> bool:
        """True for compression ignition."""
        return self.fuel == "diesel"


ENGINES: dict[str, EngineProfile] = {
    profile.name: profile for profile in (
        EngineProfile(
            name="petrol_1.5", fuel="petrol", displacement_l=1.5, cylinders=4, banks=1,
            max_power_kw=80.0, mass_kg=1150.0, protocol="6",
            vin="VF1RJA00068123456", calid="NE15P2310A000000", cvn=bytes.fromhex("1A2B3C4D"),
            tcm_calid="NT4AT17B00000000", tcm_cvn=bytes.fromhex("0BADCAFE"), has_egr=True),
        EngineProfile(
            name="petrol_v6", fuel="petrol", displacement_l=3.5, cylinders=6, banks=2,
            max_power_kw=200.0, mass_kg=1700.0, protocol="6", idle_rpm=650.0,
            vin="JTMBK31V105098765", calid="34V6G9911B000000", cvn=bytes.fromhex("77E0F1A2"),
            tcm_calid="6AT88C1000000000", tcm_cvn=bytes.fromhex("5EEDF00D"), tank_l=70.0),
        EngineProfile(
            name="diesel_2.0", fuel="diesel", displacement_l=2.0, cylinders=4, banks=1,
            max_power_kw=110.0, mass_kg=1450.0, protocol="7", idle_rpm=820.0,
            vin="WVWZZZ3CZJE012345", calid="03L906018JD00000", cvn=bytes.fromhex("C0FFEE11"),
            tcm_calid="0AM927769D000000", tcm_cvn=bytes.fromhex("D1E5E122"),
            fuel_pressure_kpa=30000.0, tank_l=60.0, has_egr=True),
    )
}

DEFAULT_ENGINE = "petrol_1.5"


def engine_profile(name: str) -> EngineProfile:
    """The profile called ``name``; raises :class:`ProfileError` listing the known ones."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ProfileError(f"unknown car profile {name!r}; known: {sorted(ENGINES)}") from None


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
    "elm327": AdapterProfile("elm327", "ELM327 v2.2", "OBDII to RS232 Interpreter",
                             frozenset()),
    "stn": AdapterProfile("stn", "ELM327 v1.4b", "OBDLink SX r4.2", frozenset(), stn=True),
    "clone": AdapterProfile("clone", "ELM327 v1.5", "OBDII to RS232 Interpreter",
                            frozenset({"@1", "CRA", "AT2", "PC", "WS"}), nul_after_reset=3,
                            late_ok_s=0.25, max_header_digits=6),
}


def adapter_profile(name: str) -> AdapterProfile:
    """The adapter profile called ``name``; raises :class:`ProfileError`."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ProfileError(f"unknown adapter {name!r}; known: {sorted(ADAPTERS)}") from None
