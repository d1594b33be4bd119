"""The fault library: every car fault the simulator knows, as data.

Each :class:`FaultDef` says what a fault is (a stable id, its system, the engine types it
exists on, whether it takes a cylinder), what a real ECU does about it (the codes, from
which severity, on which ECU, one- or two-trip), what it does to the car (``physics``: a
description of the change :mod:`firmware_sim.vehicle` makes to the *physical model*, never
to reported values), which Mode 06 monitors it moves, the symptoms a driver notices, and
where each fact comes from.

The codes here are the *expectation*: the ECU model (:mod:`firmware_sim.monitors`) never
reads this table. Its detectors only look at what a real ECU measures, so a code appears
because the physics made a detector fail; ``tests/firmware_sim/test_library.py`` checks,
fault by fault, that the emergent codes are exactly the listed ones.

DTC lifecycle (SAE J1979 / 13 CCR 1968.2, as most ECUs implement it): a monitor that fails
in one driving cycle sets a *pending* code; failing again in the next cycle confirms it
(stored, MIL on, freeze frame, permanent code). ``trips=1`` codes (catalyst-damaging
misfire, most circuit faults on many ECUs) confirm at the first failure. The MIL goes out
after three consecutive passing cycles; a stored code is erased after 40 warm-ups without
failure; a permanent code only after its monitor passes again (Mode 04 cannot erase it).
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_sim.profiles import ENGINE_TYPES, EngineProfile

PETROL = frozenset({"petrol_port", "petrol_di", "petrol_turbo"})
DIESEL = frozenset({"diesel"})
ALL = frozenset(ENGINE_TYPES)
TURBO = frozenset({"petrol_turbo", "diesel"})
DI_PETROL = frozenset({"petrol_di", "petrol_turbo"})

J2012 = "SAE J2012-DA: DTC definitions"
J1979 = "SAE J1979-DA: Mode 06 MIDs/TIDs and unit/scaling IDs"
CARB = "13 CCR 1968.2 (CARB OBD II): monitor thresholds, MIL and permanent-code rules"
DOMAIN = "shared/DOMAIN.md (fuel trim and misfire facts, carOBD Etios data)"
BOSCH = "Bosch Automotive Handbook, 10th ed.: engine management, sensors"
SERVICE = "manufacturer service information (Toyota/GM/VW diagnostic trouble-tree pages)"

SYMPTOMS = (
    "rough_idle",
    "hesitation",
    "stalling",
    "hard_start",
    "poor_fuel_economy",
    "fuel_smell",
    "white_smoke",
    "blue_smoke",
    "black_smoke",
    "overheating_gauge",
    "noise_knocking",
    "noise_whining",
    "loss_of_power",
    "check_engine_flashing",
)


@dataclass(frozen=True)
class Code:
    """One code a fault makes the ECU set: from severity ``min_severity`` up to
    ``max_severity``, on ``ecu``, only when the car has the feature ``needs``
    (``fuel_pressure_sensor``, ``egr``, ``mode06``...). ``{cyl}`` in ``dtc`` is the
    cylinder number (``P03{cyl:02d}``)."""

    dtc: str
    min_severity: float = 0.4
    max_severity: float = 1.0
    ecu: str = "7E8"
    needs: str = ""


@dataclass(frozen=True)
class FaultDef:
    """One fault class of the library (see the module docstring)."""

    id: str
    system: str
    summary: str
    engines: frozenset[str]
    codes: tuple[Code, ...]
    physics: str
    mode06: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    sources: tuple[str, ...] = (J2012,)
    qualifier: str | None = None  # "cylinder" when the id takes ``:N``
    intermittent: bool = False
    trips: int = 2

    def codes_for(
        self, severity: float, car: EngineProfile, cylinder: int = 0
    ) -> list[tuple[str, str]]:
        """``[(ecu, dtc)]`` a real ECU of ``car`` sets for this fault at ``severity``."""
        out = []
        for code in self.codes:
            if not code.min_severity <= severity <= code.max_severity:
                continue
            if code.needs and not car_has(car, code.needs):
                continue
            out.append((code.ecu, code.dtc.format(cyl=cylinder)))
        return out


def car_has(car: EngineProfile, feature: str) -> bool:
    """Whether ``car`` has the part or sensor ``feature`` a code needs."""
    checks = {
        "fuel_pressure_sensor": car.direct_injection or car.fuel_pressure_pid,
        "egr": car.has_egr,
        "mode06": car.mode06,
        "multi_bank": car.banks > 1,
        "spark": not car.diesel,
    }
    return checks[feature]


def _f(
    id: str,
    system: str,
    summary: str,
    engines: frozenset[str],
    codes: tuple[Code, ...],
    physics: str,
    **kwargs: object,
) -> FaultDef:
    return FaultDef(id, system, summary, engines, codes, physics, **kwargs)  # type: ignore


FAULTS: tuple[FaultDef, ...] = (
    # ------------------------------------------------------------------ air metering
    _f(
        "vacuum_leak",
        "air",
        "unmetered air enters after the MAF (split hose, intake gasket)",
        PETROL,
        (Code("P0171", 0.45), Code("P0174", 0.45, needs="multi_bank")),
        "a hole of area ~severity between throttle and valves: choked flow set by manifold "
        "vacuum, so a large share of idle air and a small share at 2,500 rpm; the MAF does "
        "not see it, the speed-density estimate (from MAP) does",
        mode06=(),
        symptoms=("rough_idle", "stalling"),
        sources=(J2012, DOMAIN, SERVICE),
    ),
    _f(
        "maf_under_reading",
        "air",
        "contaminated MAF hot film reads low",
        PETROL,
        (Code("P0171", 0.45), Code("P0174", 0.45, needs="multi_bank"), Code("P0101", 0.5)),
        "the MAF sensor's gain drops by up to 40 % at every flow: uniform lean at all loads; "
        "MAF below the speed-density airflow",
        symptoms=("hesitation", "loss_of_power"),
        sources=(J2012, DOMAIN, BOSCH),
    ),
    _f(
        "maf_over_reading",
        "air",
        "MAF reads high (wrong part, damaged film)",
        PETROL,
        (Code("P0172", 0.72), Code("P0175", 0.72, needs="multi_bank"), Code("P0101", 0.72)),
        "the MAF gain rises by up to 35 %: the ECU over-fuels everywhere and trims negative; "
        "MAF above the speed-density airflow",
        symptoms=("poor_fuel_economy", "black_smoke"),
        sources=(J2012, DOMAIN, BOSCH),
    ),
    _f(
        "map_sensor_bias",
        "air",
        "MAP sensor reads high (drifted reference, leaking hose)",
        ALL,
        (Code("P0106", 0.35),),
        "the MAP reading is offset by up to +25 kPa; the true manifold pressure is unchanged; "
        "the ECU compares MAP with barometric pressure at key-on and with the MAF at idle",
        symptoms=(),
        sources=(J2012, SERVICE),
    ),
    _f(
        "iat_sensor_fault",
        "air",
        "intake air temperature sensor drifted cold",
        ALL,
        (Code("P0111", 0.28),),
        "the IAT reading is offset by up to -60 C; the ECU compares IAT and coolant after a "
        "cold soak, when both should read ambient",
        sources=(J2012, SERVICE),
    ),
    _f(
        "clogged_air_filter",
        "air",
        "clogged air filter restricts intake air",
        ALL,
        (),
        "a pressure drop before the throttle growing with the square of the airflow: "
        "no change at idle, lower manifold pressure and airflow at full throttle (petrol), "
        "less boost headroom (turbo); no ECU detects it",
        symptoms=("loss_of_power",),
        sources=(BOSCH, SERVICE),
    ),
    _f(
        "dirty_throttle_body",
        "air",
        "carbon on the throttle plate chokes idle air",
        PETROL,
        (Code("P0506", 0.72),),
        "the idle air path shrinks by up to 30 %: the idle controller opens the throttle "
        "further, idle speed sags below target and hunts",
        symptoms=("rough_idle", "stalling"),
        sources=(J2012, SERVICE),
    ),
    # ------------------------------------------------------------------ fuel
    _f(
        "low_fuel_pressure",
        "fuel",
        "fuel pressure regulated too low",
        PETROL,
        (
            Code("P0087", 0.4, needs="fuel_pressure_sensor"),
            Code("P0171", 0.7),
            Code("P0174", 0.7, needs="multi_bank"),
        ),
        "the supply pressure drops by up to 45 % at every load: injectors deliver "
        "sqrt(p/p0) of the commanded fuel, lean everywhere; on direct injection the "
        "starved high-pressure pump loses up to 80 % of its reach (rail pressure low)",
        symptoms=("hesitation", "hard_start"),
        sources=(J2012, DOMAIN, BOSCH),
    ),
    _f(
        "weak_fuel_pump",
        "fuel",
        "worn fuel pump cannot keep pressure at high flow",
        PETROL,
        (
            Code("P0087", 0.5, needs="fuel_pressure_sensor"),
            Code("P0171", 0.58),
            Code("P0174", 0.58, needs="multi_bank"),
        ),
        "pump pressure falls in proportion to fuel flow: normal at idle, lean at 2,500 rpm "
        "and under load",
        symptoms=("hesitation", "loss_of_power"),
        sources=(J2012, DOMAIN, SERVICE),
    ),
    _f(
        "clogged_fuel_filter",
        "fuel",
        "clogged fuel filter restricts flow",
        PETROL,
        (
            Code("P0087", 0.55, needs="fuel_pressure_sensor"),
            Code("P0171", 0.4),
            Code("P0174", 0.4, needs="multi_bank"),
        ),
        "a pressure drop growing with the square of the fuel flow: nothing at idle, lean at "
        "high load only",
        symptoms=("hesitation", "loss_of_power"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "leaking_fuel_pressure_regulator",
        "fuel",
        "regulator diaphragm leaks fuel into the vacuum line",
        PETROL,
        (Code("P0172", 0.58), Code("P0175", 0.58, needs="multi_bank")),
        "fuel drawn through the regulator's vacuum hose in proportion to manifold vacuum: "
        "rich at idle, nearly nothing under load; rail pressure slightly low; pressure "
        "bleeds down after a stop (long crank)",
        symptoms=("fuel_smell", "black_smoke", "hard_start"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "leaking_injector",
        "fuel",
        "an injector drips fuel",
        PETROL,
        (Code("P0172", 0.4),),
        "a constant extra fuel flow into bank 1: large against idle fuel, small at load",
        symptoms=("fuel_smell", "rough_idle", "hard_start"),
        sources=(J2012, DOMAIN),
    ),
    _f(
        "clogged_injector",
        "fuel",
        "one injector is partly clogged",
        PETROL,
        (Code("P03{cyl:02d}", 0.75), Code("P0300", 0.75), Code("P0171", 0.9)),
        "the injector of cylinder N flows up to 60 % less: its cylinder runs lean, the bank "
        "trims up (one cylinder of four: rarely past the P0171 limit); past ~75 % severity "
        "the lean cylinder misfires",
        qualifier="cylinder",
        symptoms=("hesitation", "rough_idle"),
        mode06=("misfire",),
        sources=(J2012, SERVICE),
    ),
    _f(
        "low_rail_pressure_di",
        "fuel",
        "direct-injection high-pressure pump weak",
        DI_PETROL,
        (Code("P0087", 0.4), Code("P0171", 0.9)),
        "the high-pressure pump's maximum falls by up to 60 %: rail pressure below "
        "commanded above idle; the ECU stretches injection until it cannot (lean under load)",
        symptoms=("hesitation", "loss_of_power", "hard_start"),
        sources=(J2012, SERVICE),
    ),
    # ------------------------------------------------------------------ ignition
    _f(
        "misfire",
        "ignition",
        "a cylinder misfires (cause not named)",
        PETROL,
        (Code("P03{cyl:02d}", 0.2), Code("P0300", 0.2)),
        "combustion fails in cylinder N in up to 60 % of its cycles, at every load; the "
        "crankshaft slows on each miss; unburnt mixture burns in the catalyst",
        qualifier="cylinder",
        mode06=("misfire",),
        symptoms=("rough_idle", "check_engine_flashing", "hesitation"),
        sources=(J2012, CARB, DOMAIN, J1979),
    ),
    _f(
        "ignition_coil",
        "ignition",
        "one ignition coil breaks down under load",
        PETROL,
        (Code("P03{cyl:02d}", 0.2), Code("P0300", 0.2)),
        "cylinder N misfires more as cylinder pressure rises (load), little at idle",
        qualifier="cylinder",
        mode06=("misfire",),
        symptoms=("hesitation", "check_engine_flashing", "loss_of_power"),
        sources=(J2012, CARB, SERVICE),
    ),
    _f(
        "worn_spark_plugs",
        "ignition",
        "worn spark plugs on every cylinder",
        PETROL,
        (Code("P0300", 0.2),),
        "random misfire spread over every cylinder, growing with load and rpm; each "
        "cylinder stays under the single-cylinder threshold",
        mode06=("misfire",),
        symptoms=("hesitation", "poor_fuel_economy", "rough_idle"),
        sources=(J2012, CARB, SERVICE),
    ),
    _f(
        "low_compression",
        "ignition",
        "one cylinder has low compression (valve, rings)",
        ALL,
        (Code("P03{cyl:02d}", 0.2), Code("P0300", 0.2)),
        "cylinder N loses up to 50 % of its charge: weak or missed combustion at idle and "
        "light load, less at high load; uneven cranking speed",
        qualifier="cylinder",
        mode06=("misfire",),
        symptoms=("rough_idle", "hard_start", "loss_of_power"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "knock_sensor_fault",
        "ignition",
        "knock sensor circuit open",
        PETROL,
        (Code("P0325", 0.35),),
        "the knock signal goes flat; the ECU retards ignition timing as a fail-safe "
        "(up to -8 degrees): less power, more fuel",
        symptoms=("loss_of_power", "poor_fuel_economy"),
        sources=(J2012, BOSCH),
    ),
    # ------------------------------------------------------------------ sensors
    _f(
        "slow_upstream_o2",
        "sensors",
        "aged upstream O2 sensor responds slowly",
        PETROL,
        (Code("P0133", 0.28),),
        "the sensor's time constant grows up to 1 s: slower switching, longer switch times",
        mode06=("o2_sensor",),
        sources=(J2012, J1979, CARB),
    ),
    _f(
        "dead_upstream_o2",
        "sensors",
        "upstream O2 sensor no longer switches",
        PETROL,
        (Code("P0134", 0.5),),
        "the sensor output sits at its bias voltage (0.45 V): no switching, the ECU falls "
        "back to open loop (fuel status: open loop due to system failure)",
        mode06=("o2_sensor",),
        symptoms=("poor_fuel_economy",),
        sources=(J2012, CARB),
    ),
    _f(
        "slow_downstream_o2",
        "sensors",
        "downstream O2 sensor responds slowly",
        PETROL,
        (Code("P0139", 0.4),),
        "the post-catalyst sensor's time constant grows: on a fuel cut it takes long to go lean",
        mode06=("o2_sensor",),
        sources=(J2012, J1979),
    ),
    _f(
        "dead_downstream_o2",
        "sensors",
        "downstream O2 sensor dead",
        PETROL,
        (Code("P0140", 0.45),),
        "the post-catalyst sensor stays near 0 V (no activity)",
        mode06=("o2_sensor",),
        sources=(J2012, J1979, DOMAIN),
    ),
    _f(
        "o2_heater_upstream",
        "sensors",
        "upstream O2 heater circuit open",
        PETROL,
        (Code("P0135", 0.5),),
        "no heater current: the sensor only warms with exhaust heat, closed loop starts "
        "minutes late; the heater monitor reads no current",
        mode06=("o2_heater",),
        sources=(J2012, J1979),
    ),
    _f(
        "o2_heater_downstream",
        "sensors",
        "downstream O2 heater circuit open",
        PETROL,
        (Code("P0141", 0.5),),
        "no heater current on the post-catalyst sensor: it becomes active late",
        mode06=("o2_heater",),
        sources=(J2012, J1979),
    ),
    _f(
        "coolant_sensor_fault",
        "sensors",
        "coolant temperature sensor drifts cold / opens",
        ALL,
        (Code("P0116", 0.4, 0.89), Code("P0128", 0.28, 0.89), Code("P0118", 0.9)),
        "the ECT reading is offset by up to -45 C (open circuit, -40 C, from 0.9): cold idle "
        "and cold enrichment last; after a cold soak the ECU compares it with intake and "
        "ambient air temperatures",
        symptoms=("poor_fuel_economy", "black_smoke"),
        sources=(J2012, DOMAIN),
    ),
    _f(
        "tps_fault",
        "sensors",
        "throttle position sensor reads high / erratic",
        PETROL,
        (Code("P0121", 0.4),),
        "the TPS reading is offset by up to +20 % with noise; the ECU compares it with the airflow",
        symptoms=("hesitation",),
        sources=(J2012, SERVICE),
    ),
    _f(
        "crank_sensor_intermittent",
        "sensors",
        "crankshaft sensor drops out now and then",
        ALL,
        (Code("P0339", 0.3),),
        "random signal losses (rate grows with severity): the RPM reading and the ignition "
        "stop for a moment, the engine stumbles, at high severity it can stall",
        intermittent=True,
        symptoms=("stalling", "hard_start", "hesitation"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "cam_sensor_intermittent",
        "sensors",
        "camshaft sensor drops out now and then",
        ALL,
        (Code("P0344", 0.3),),
        "random signal losses: longer cranking (cylinder identification), a stumble",
        intermittent=True,
        symptoms=("hard_start",),
        sources=(J2012, SERVICE),
    ),
    _f(
        "vvt_stuck",
        "sensors",
        "intake cam phaser stuck retarded",
        PETROL,
        (Code("P0011", 0.28),),
        "the intake cam stays at its rest position: actual advance falls short of target; "
        "less volumetric efficiency at low and mid rpm under load, rough idle when severe",
        symptoms=("loss_of_power", "rough_idle"),
        sources=(J2012, SERVICE),
    ),
    # ------------------------------------------------------------------ emissions
    _f(
        "low_catalyst_efficiency",
        "emissions",
        "catalyst lost its oxygen storage",
        PETROL,
        (Code("P0420", 0.58),),
        "oxygen storage falls: the downstream sensor follows the upstream one",
        mode06=("catalyst",),
        sources=(J2012, J1979, CARB, DOMAIN),
    ),
    _f(
        "clogged_catalyst",
        "emissions",
        "melted / clogged catalyst restricts the exhaust",
        ALL,
        (),
        "exhaust back pressure growing with flow: volumetric efficiency falls at high rpm "
        "and load, less vacuum at idle, hotter catalyst; no ECU code",
        symptoms=("loss_of_power",),
        sources=(BOSCH, SERVICE),
    ),
    _f(
        "egr_stuck",
        "emissions",
        "EGR valve stuck open",
        ALL,
        (Code("P0402", 0.3, needs="egr"), Code("P0300", 0.45, needs="spark")),
        "exhaust recirculates when it should not (idle, full load): higher MAP at idle, "
        "unstable combustion; on diesels less fresh air (MAF) and smoke",
        mode06=("egr",),
        symptoms=("rough_idle", "stalling", "black_smoke"),
        sources=(J2012, J1979, SERVICE),
    ),
    _f(
        "egr_insufficient_flow",
        "emissions",
        "EGR passages clogged with carbon",
        ALL,
        (Code("P0401", 0.45, needs="egr"),),
        "actual EGR flow falls short of commanded by up to 100 %: no MAP rise when opened; "
        "diesel: MAF higher than expected",
        mode06=("egr",),
        symptoms=("noise_knocking",),
        sources=(J2012, J1979),
    ),
    _f(
        "evap_small_leak",
        "emissions",
        "small EVAP leak (cracked hose, seal)",
        PETROL,
        (Code("P0442", 0.5),),
        "the EVAP system's equivalent hole grows up to 0.06 in: the vacuum decay test fails",
        mode06=("evap",),
        symptoms=("fuel_smell",),
        sources=(J2012, J1979, CARB),
    ),
    _f(
        "loose_gas_cap",
        "emissions",
        "fuel cap loose or missing",
        PETROL,
        (Code("P0442", 0.14, 0.35), Code("P0455", 0.36)),
        "a large EVAP opening (up to 0.2 in): the system cannot be pulled down at all",
        mode06=("evap",),
        symptoms=("fuel_smell",),
        sources=(J2012, J1979, CARB),
    ),
    _f(
        "purge_valve_stuck_open",
        "emissions",
        "EVAP purge valve stuck open",
        PETROL,
        (Code("P0496", 0.4), Code("P0172", 0.9), Code("P0175", 0.9, needs="multi_bank")),
        "the purge valve passes vapour whenever there is manifold vacuum: tank vacuum with "
        "purge commanded off, rich at idle after refuelling",
        mode06=("evap",),
        symptoms=("rough_idle", "hard_start"),
        sources=(J2012, SERVICE),
    ),
    # ------------------------------------------------------------------ cooling
    _f(
        "thermostat_stuck_open",
        "cooling",
        "thermostat stuck open",
        ALL,
        (Code("P0128", 0.25),),
        "coolant flows through the radiator from cold: slow warm-up, engine runs cold at speed",
        symptoms=("poor_fuel_economy",),
        sources=(J2012, DOMAIN),
    ),
    _f(
        "thermostat_stuck_closed",
        "cooling",
        "thermostat stuck closed",
        ALL,
        (Code("P0217", 0.7),),
        "coolant bypasses the radiator: temperature climbs past 115 C under load",
        symptoms=("overheating_gauge", "loss_of_power"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "cooling_fan_failure",
        "cooling",
        "radiator fan motor open circuit",
        ALL,
        (Code("P0480", 0.5),),
        "the fan does not turn: no cooling at standstill (temperature climbs at idle), "
        "normal at speed; the ECU's fan driver sees an open load",
        symptoms=("overheating_gauge",),
        sources=(J2012, SERVICE),
    ),
    _f(
        "coolant_loss",
        "cooling",
        "low coolant level",
        ALL,
        (Code("P0217", 0.75),),
        "less coolant mass and steam pockets at the sensor: temperature rises fast under "
        "load and the reading jumps",
        symptoms=("overheating_gauge", "white_smoke"),
        sources=(J2012, SERVICE),
    ),
    # ------------------------------------------------------------------ electrical
    _f(
        "weak_battery",
        "electrical",
        "aged battery",
        ALL,
        (),
        "resting voltage up to 0.8 V lower, deep voltage dip and slow cranking; the "
        "alternator then charges a little harder; no ECU code",
        symptoms=("hard_start",),
        sources=(BOSCH,),
    ),
    _f(
        "charging_fault",
        "electrical",
        "alternator under-charging",
        ALL,
        (Code("P0562", 0.58),),
        "alternator output falls by up to 2.6 V; past half severity the battery slowly "
        "discharges while running",
        symptoms=(),
        sources=(J2012, DOMAIN),
    ),
    _f(
        "alternator_overcharging",
        "electrical",
        "voltage regulator fails high",
        ALL,
        (Code("P0563", 0.6),),
        "the regulator set point rises by up to 2.2 V",
        symptoms=(),
        sources=(J2012, BOSCH),
    ),
    # ------------------------------------------------------------------ diesel / turbo
    _f(
        "boost_leak",
        "diesel",
        "charge-air leak after the turbo (hose, intercooler)",
        TURBO,
        (Code("P0299", 0.2),),
        "charge air escapes between compressor and manifold: boost falls short of target "
        "under load; the MAF (before the leak) still measures the compressor's flow",
        symptoms=("loss_of_power", "black_smoke", "noise_whining"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "overboost",
        "diesel",
        "turbo vanes / wastegate stuck closed",
        TURBO,
        (Code("P0234", 0.72),),
        "boost overshoots its target by up to 50 % under load",
        symptoms=("loss_of_power",),
        sources=(J2012, SERVICE),
    ),
    _f(
        "dpf_clogged",
        "diesel",
        "diesel particulate filter clogged",
        DIESEL,
        (Code("P2463", 0.5),),
        "soot load and exhaust back pressure rise with flow; volumetric efficiency falls",
        symptoms=("loss_of_power", "black_smoke"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "glow_plug_fault",
        "diesel",
        "glow plug circuit open",
        DIESEL,
        (Code("P0380", 0.4),),
        "no preheat: long cranking and misfire while cold, white smoke at cold start",
        symptoms=("hard_start", "white_smoke", "rough_idle"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "injector_leak_back",
        "diesel",
        "injectors return too much fuel",
        DIESEL,
        (Code("P0087", 0.6),),
        "part of the rail's flow leaks back: rail pressure builds slowly on cranking and "
        "falls short at high demand",
        symptoms=("hard_start", "loss_of_power"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "diesel_rail_pressure_low",
        "diesel",
        "diesel high-pressure pump / regulator weak",
        DIESEL,
        (Code("P0087", 0.58),),
        "the rail cannot reach commanded pressure above part load",
        symptoms=("loss_of_power", "hesitation"),
        sources=(J2012, SERVICE),
    ),
    # ------------------------------------------------------------------ transmission
    _f(
        "tcc_stuck_off",
        "transmission",
        "torque converter clutch never locks",
        ALL,
        (Code("P0741", 0.3, ecu="7E9"),),
        "the converter keeps slipping at cruise when lock-up is commanded: engine rpm 5-10 "
        "% above the locked value, more heat in the fluid",
        symptoms=("poor_fuel_economy",),
        sources=(J2012, SERVICE),
    ),
    _f(
        "transmission_slipping",
        "transmission",
        "worn clutches slip under load",
        ALL,
        (Code("P0730", 0.25, ecu="7E9"),),
        "gear ratio error grows with torque: rpm flares on acceleration",
        symptoms=("loss_of_power", "hesitation"),
        sources=(J2012, SERVICE),
    ),
    _f(
        "transmission_overheating",
        "transmission",
        "transmission fluid overheats (blocked cooler)",
        ALL,
        (Code("P0218", 0.72, ecu="7E9"),),
        "the fluid cooler's capacity falls: fluid temperature climbs past 130 C at speed",
        symptoms=("loss_of_power",),
        sources=(J2012, SERVICE),
    ),
)

LIBRARY: dict[str, FaultDef] = {fault.id: fault for fault in FAULTS}
"""Fault id -> its definition."""
