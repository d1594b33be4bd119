"""The virtual car's physics: engine, gearbox, sensors and the effect of faults.

The model is stepped at a variable ``dt`` of simulated time (0.1 s by default; the case
generator drives long, steady stretches at coarser steps): every lag is an exact
first-order response (``1 - exp(-dt / tau)``), so a step size changes detail, not the
steady state. The same seed, driver orders and step sizes always give the same values.

Facts used (``shared/DOMAIN.md``, Bosch handbook): MAF = displacement x rpm x VE x 1.184 /
120, VE about 0.25-0.3 at idle and 0.85 wide open; trims within +-10 % when healthy; a
thermostat that opens around 82-95 C; narrowband O2 switching around 0.45 V at about 1 Hz;
a catalyst that flattens the downstream sensor. Calibrated against the carOBD recordings
of a healthy 2014 Toyota Etios (idle 720 rpm, MAP 28 kPa, load 27 %, timing 1 degree at idle
and 22 at cruise, catalyst 400 C idle / 550 C cruise, 13.7 V).

Faults act on the *physics* (a hole, a gain, a flow, a time constant, a restriction),
never on a reported value directly: the ECU then sees their consequences through its
sensors. :class:`Physics` keeps the true state; :meth:`Physics.sensors` is what the ECU
reads (noise and faulty sensors included) keyed by the PID table's field names, and
:meth:`Physics.truth` the true physical values.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from firmware_sim.drive import DriveCycle, Driver, Target
from firmware_sim.faults import Fault
from firmware_sim.library import LIBRARY
from firmware_sim.profiles import EngineProfile

DT = 0.1
AIR_DENSITY = 1.184  # g/L at 25 C, the figure the DOMAIN formula uses
STOICH = {"petrol": 14.7, "diesel": 14.5}
FUEL_DENSITY = {"petrol": 0.74, "diesel": 0.84}  # kg/L
LHV_KJ_PER_G = 43.0
# Shift schedule by load (a driver changing gear, or an automatic's shift map: both shift
# by pedal): the highest gear that keeps the engine above the car's light-load floor
# (``EngineProfile.shift_floor_rpm``: 1,100 rpm for the early-shifting driver of the
# recordings) plus a margin that grows with the power asked for, so a brisk pull holds
# each gear longer. Profiles with ``shift_up_kmh`` change up at fixed road speeds.
SHIFT_FLOOR_PER_POWER = 4000.0  # rpm more per unit of (wheel power / maximum power)
SHIFT_CEILING_RPM = 4500.0
RATED_RPM = 5500.0  # maximum power; below it the torque is about flat
DRIVELINE_EFFICIENCY = 0.9
AIR_DRAG_CDA_M2 = 0.68  # drag coefficient x frontal area of a small saloon
ROLLING_RESISTANCE = 0.012
LIFT_PUMP_STARVATION = 0.8  # share of the rail pump's reach a dead supply pump takes
OVERHEAT_LIMIT_C = 128.0  # a pressurised cooling system boils over about here
# Cooling circuit with the thermostat shut, in two parts (for a 1.5 L engine; scaled with
# displacement^0.8): the head's coolant and the metal around it, and the block's, which
# the pump mixes in (W/K per 1,000 rpm). Fitted on half of the real warm-ups (see
# BENCHMARKS.md, Simulator), measured on the other half.
HEAD_CAPACITY_J_PER_K = 12000.0
BLOCK_CAPACITY_J_PER_K = 16000.0
COOLING_FAULTS = (
    "coolant_loss",
    "thermostat_stuck_open",
    "thermostat_stuck_closed",
    "cooling_fan_failure",
)  # the faults that change the circuit (_coolant_step reads these and no other)
RADIATOR_CAPACITY_J_PER_K = 20000.0  # its coolant and core, once the thermostat opens
MIXING_W_PER_K_PER_KRPM = 250.0
WALL_LAG_S = 30.0
PETROL_HEAT_SHARE = 0.36
HEAT_SHARE_LOAD = 0.3
BLOCK_SOAK_S = 9000.0  # the head's coolant cools with a time constant of 5,400 s
COLD_FRICTION_AIR = 0.5  # more closed-throttle air at 30 C and below, none from 80 C


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _lag(dt: float, tau: float) -> float:
    """The fraction of the way to its target a first-order lag covers in ``dt``."""
    return 1.0 - math.exp(-dt / tau) if tau > 0 else 1.0


def _triangle(phase: float) -> float:
    """A triangle wave of period 1 in [-1, 1]."""
    x = phase % 1.0
    return 4.0 * x - 1.0 if x < 0.5 else 3.0 - 4.0 * x


class FaultSet(dict):
    """Severities of the car faults in force by name (0.0 for every other library fault,
    so ``faults["vacuum_leak"]`` is a plain dict lookup in the hot loop) and, for cylinder
    faults, which cylinders (``cylinders``: name -> {cylinder: severity})."""

    def __init__(self) -> None:
        super().__init__((name, 0.0) for name in LIBRARY)
        self.cylinders: dict[str, dict[int, float]] = {}

    @classmethod
    def of(cls, faults: list[Fault]) -> FaultSet:
        """Collects car faults (link faults are the adapter's business)."""
        result = cls()
        for fault in faults:
            if fault.link:
                continue
            result[fault.name] = max(fault.severity, result.get(fault.name, 0.0))
            if fault.cylinder:
                per = result.cylinders.setdefault(fault.name, {})
                per[fault.cylinder] = max(fault.severity, per.get(fault.cylinder, 0.0))
        return result

    @property
    def severity(self) -> dict[str, float]:
        """The faults in force (non-zero severities)."""
        return {name: value for name, value in self.items() if value}

    def __missing__(self, name: str) -> float:
        return 0.0

    def __call__(self, name: str) -> float:
        return self[name]

    def on(self, name: str, cylinder: int) -> float:
        """Severity of cylinder fault ``name`` on ``cylinder`` (1-based)."""
        return self.cylinders.get(name, {}).get(cylinder, 0.0)

    @property
    def misfire_cylinder(self) -> int:
        """The first cylinder given a ``misfire`` (0: none); kept for old callers."""
        return min(self.cylinders.get("misfire", {0: 0}))


_HEALTHY = FaultSet()  # the ECU's model of the engine knows no fault


@dataclass
class State:
    """The true state of the car at one instant (SI-ish units as in the PID table)."""

    t: float = 0.0
    phase: str = "off"
    ignition: bool = False
    running: bool = False
    cranking: bool = False
    crank_s: float = 0.0
    rpm: float = 0.0
    speed: float = 0.0
    accel: float = 0.0
    gear: int = 0
    slip: float = 0.0  # torque converter: engine vs turbine speed
    gear_slip: float = 0.0  # clutches: turbine vs output speed (ratio error)
    tcc_commanded: bool = False
    demand: float = 0.0
    ve: float = 0.0
    throttle: float = 0.0
    air_true: float = 0.0  # g/s into the cylinders
    air_metered: float = 0.0  # g/s through the MAF
    map_kpa: float = 101.0
    boost_target: float = 0.0  # kPa above barometric
    boost_desired: float = 0.0  # what the ECU expects the MAP sensor to read above baro
    coolant: float = 20.0
    coolant_model: float = 20.0  # the ECU's model of a healthy engine (P0128)
    block: float = 20.0  # the block's metal and coolant, behind the head's (see _heat)
    block_model: float = 20.0
    wall_heat: float = 0.0  # W reaching the coolant through the combustion chambers' walls
    coolant_at_start: float = 20.0
    intake: float = 20.0
    catalyst: float = 20.0
    trans_temp: float = 20.0
    battery: float = 12.6
    fuel_l: float = 30.0
    odometer_km: float = 0.0
    run_time: float = 0.0
    closed_loop: bool = False
    fuel_cut: bool = False
    fan_commanded: bool = False
    stft: list[float] = field(default_factory=lambda: [0.0, 0.0])
    ltft: list[float] = field(default_factory=lambda: [0.0, 0.0])
    ltft_cells: list[list[float]] = field(default_factory=lambda: [[0.0] * 3, [0.0] * 3])
    cell: int = 0  # the fuel-trim cell in use: 0 idle, 1 part load, 2 high load
    required: list[float] = field(default_factory=lambda: [0.0, 0.0])
    lam: list[float] = field(default_factory=lambda: [1.0, 1.0])
    o2_up: list[float] = field(default_factory=lambda: [0.45, 0.45])
    o2_down: list[float] = field(default_factory=lambda: [0.45, 0.45])
    o2_phase: float = 0.0
    o2_up_temp: float = 20.0  # sensor element temperature (heater + exhaust)
    o2_down_temp: float = 20.0
    fuel_pressure: float = 0.0
    fuel_pressure_cmd: float = 0.0
    fuel_rate: float = 0.0  # g/s
    egr_cmd: float = 0.0
    egr_actual: float = 0.0
    purge_cmd: float = 0.0
    evap_pa: float = 0.0
    timing: float = 10.0
    cam_target: float = 0.0
    cam_actual: float = 0.0
    soot_g: float = 5.0
    misfires: list[int] = field(default_factory=lambda: [0] * 8)
    misfire_rate: float = 0.0  # fraction of all combustions
    cylinder_rates: list[float] = field(default_factory=lambda: [0.0] * 8)
    dropouts: int = 0  # crank sensor signal losses since key-on
    cam_dropouts: int = 0
    dropout_now: bool = False
    up_activity: float = 0.0  # smoothed |upstream O2 - 0.45 V| (catalyst monitor)
    down_activity: float = 0.0  # smoothed |downstream O2 - its mean|
    down_max: float = 0.0  # highest downstream voltage lately (sensor activity)
    down_mean: float = 0.6  # the downstream sensor's running mean
    up_span: float = 0.8  # recent upstream swing (no-activity monitor)
    loop_ready_s: float = 0.0  # closed-loop conditions met (sensor activity aside) for
    up_high: float = 0.85
    up_low: float = 0.05
    rpm_noise: float = 0.0
    warmups: int = 0
    warm_counted: bool = False  # this driving cycle already counted as a warm-up
    ignitions: int = 0


class Physics:
    """Steps the true state of one car; deterministic for a seed and a step sequence."""

    def __init__(
        self, profile: EngineProfile, cycle: DriveCycle | Driver, faults: FaultSet, seed: int
    ):
        self.profile = profile
        self.driver = cycle if isinstance(cycle, Driver) else Driver(cycle)
        self.cycle = self.driver.cycle
        self.faults = faults
        self.seed = seed
        self.rng = random.Random(seed)
        self.ambient = round(self.rng.uniform(8.0, 24.0), 1)
        self.baro = round(self.rng.uniform(98.0, 102.5), 1)
        self.state = State(
            coolant=self.ambient,
            coolant_model=self.ambient,
            block=self.ambient,
            block_model=self.ambient,
            coolant_at_start=self.ambient,
            intake=self.ambient,
            catalyst=self.ambient,
            trans_temp=self.ambient,
            fuel_l=profile.tank_l * self.rng.uniform(0.35, 0.8),
            battery=self._rest_voltage(),
            ignition=True,
        )
        # The aged engine's fuel need, learned already in every cell (a used car).
        for bank in range(2):
            self.state.ltft_cells[bank] = [profile.fuel_bias] * 3
            self.state.ltft[bank] = profile.fuel_bias
        self.state.ignitions = 1
        self.state.soot_g = 8.0 + 45.0 * faults["dpf_clogged"]
        size = (profile.displacement_l / 1.5) ** 0.8
        self.head_capacity = HEAD_CAPACITY_J_PER_K * size
        self.block_capacity = BLOCK_CAPACITY_J_PER_K * size
        self._cooling_fault = any(faults[name] for name in COOLING_FAULTS)
        self._latest_sensors: dict[str, float] = {}
        self._sensors_t = -1.0
        self.dt = DT
        self._causes = self._cylinder_causes()
        self.key_on_readings = self.ecu_inputs()
        self._misfire_possible = any(any(c) for c in self._causes) or any(
            faults[name]
            for name in ("worn_spark_plugs", "egr_stuck", "glow_plug_fault", "dirty_throttle_body")
        )

    # ------------------------------------------------------------------ stepping

    def advance_to(self, t: float, dt: float | None = None) -> int:
        """Steps until the state is at the last tick not after ``t``; returns the number
        of steps taken."""
        step = dt or self.dt
        steps = 0
        while self.state.t + step <= t + 1e-9:
            self.step(step)
            steps += 1
        return steps

    def step(self, dt: float = DT) -> None:
        """``dt`` seconds of simulated time: driver, powertrain, air/fuel, heat, electrics."""
        s = self.state
        s.t = round(s.t + dt, 6)
        target = self.driver.target(s.t)
        s.phase = target.phase
        if not target.ignition:
            self._off(dt)
            return
        if not s.ignition:
            self._key_on()
        if not s.running:
            self._crank(target, dt)
        if s.running:
            self._powertrain(target, dt)
            self._air(dt)
            self._fuel(dt)
        self._heat(dt)
        self._electrics(dt)
        self._transmission(dt)
        self._odometer(dt)

    def _key_on(self) -> None:
        s = self.state
        s.ignition, s.running, s.crank_s, s.run_time = True, False, 0.0, 0.0
        s.map_kpa = self.baro
        self.key_on_readings = self.ecu_inputs()  # what the ECU sees before cranking
        s.ignitions += 1
        s.coolant_at_start = s.coolant
        s.warm_counted = False
        s.dropouts = s.cam_dropouts = 0
        s.down_max = 0.0
        s.coolant_model, s.block_model = s.coolant, s.block

    def _off(self, dt: float) -> None:
        """Key off: everything cools towards ambient (hours for the block)."""
        s = self.state
        s.ignition = s.running = s.cranking = s.closed_loop = False
        s.rpm = s.speed = s.demand = s.air_true = s.air_metered = s.fuel_rate = 0.0
        s.map_kpa, s.gear, s.egr_cmd, s.egr_actual, s.purge_cmd = self.baro, 0, 0.0, 0.0, 0.0
        s.stft = [0.0, 0.0]
        soak = _lag(dt, 5400.0)
        s.coolant += (self.ambient - s.coolant) * soak
        s.block += (self.ambient - s.block) * _lag(dt, BLOCK_SOAK_S)  # more metal, inside
        s.wall_heat = 0.0
        s.coolant_model, s.block_model = s.coolant, s.block
        s.trans_temp += (self.ambient - s.trans_temp) * soak
        s.intake += (self.ambient - s.intake) * _lag(dt, 1800.0)
        s.catalyst += (self.ambient - s.catalyst) * _lag(dt, 900.0)
        s.o2_up_temp += (self.ambient - s.o2_up_temp) * _lag(dt, 300.0)
        s.o2_down_temp += (self.ambient - s.o2_down_temp) * _lag(dt, 300.0)
        s.battery = self._rest_voltage()

    def _crank_needed_s(self) -> float:
        """How long the starter must turn before the engine runs (faults lengthen it)."""
        f, s, p = self.faults, self.state, self.profile
        needed = 0.8 + 1.6 * f["weak_battery"] + 2.5 * f["cam_sensor_intermittent"]
        needed += 1.5 * f["crank_sensor_intermittent"] + 1.2 * f["leaking_injector"]
        needed += 1.8 * f["leaking_fuel_pressure_regulator"] + 1.0 * f["low_fuel_pressure"]
        needed += 1.5 * f["low_rail_pressure_di"] + 3.0 * f["injector_leak_back"]
        needed += 0.8 * f["purge_valve_stuck_open"] + 0.8 * f["low_compression"]
        if p.diesel and s.coolant < 40.0:
            needed += 0.6 + 5.0 * f["glow_plug_fault"]
        return needed

    def _crank(self, target: Target, dt: float) -> None:
        s = self.state
        s.cranking = True
        s.crank_s += dt
        weak = self.faults["weak_battery"]
        s.rpm = max(120.0, 260.0 - 110.0 * weak + self.rng.gauss(0, 12))
        if self.faults["low_compression"]:
            s.rpm += self.rng.gauss(0, 35.0 * self.faults["low_compression"])
        s.speed = s.demand = s.fuel_rate = 0.0
        s.map_kpa = self.baro * 0.95
        if s.crank_s >= self._crank_needed_s():
            s.running, s.cranking, s.run_time = True, False, 0.0
            s.rpm = self.profile.idle_rpm + 400.0

    # ------------------------------------------------------------------ powertrain

    def _powertrain(self, target: Target, dt: float) -> None:
        s = self.state
        s.run_time += dt
        previous = s.speed
        step = (9.0 if target.speed_kmh > s.speed else 12.0) * dt
        s.speed = _clamp(target.speed_kmh, s.speed - step, s.speed + step)
        s.accel = (s.speed - previous) / 3.6 / dt
        idle = self._idle_target()
        s.gear = self._gear(s.speed, self._wheel_power_w() / (self.profile.max_power_kw * 1e3))
        self._slip(target)
        if target.hold_rpm is not None:
            wanted = target.hold_rpm
        else:
            wanted = max(
                idle,
                s.speed
                * self.profile.gear_rpm_per_kmh[s.gear]
                * (1.0 + s.slip)
                * (1.0 + s.gear_slip),
            )
        if s.speed < 1.0 and target.hold_rpm is None:
            wanted -= self._idle_sag()
        previous_rpm = s.rpm
        s.rpm += (wanted - s.rpm) * _lag(dt, 0.3 if not target.snap else 0.45)
        s.demand = self._demand(target, (s.rpm - previous_rpm) / dt)
        s.fuel_cut = s.accel < -0.3 and s.speed > 15.0 and s.rpm > idle + 300
        self._dropouts(dt)

    def _idle_target(self) -> float:
        """Cold idle is raised (the ECU reads the coolant *sensor*)."""
        sensed = self._coolant_sensed(self.state.coolant)
        return self.profile.idle_rpm + 350.0 * _clamp((60.0 - sensed) / 70.0, 0.0, 1.0)

    def _idle_sag(self) -> float:
        """How far below target the idle falls when the idle air path cannot deliver."""
        f = self.faults
        sag = 220.0 * max(0.0, f["dirty_throttle_body"] - 0.25)
        sag += 60.0 * f["egr_stuck"] * (0.0 if self.profile.diesel else 1.0)
        return sag

    def _slip(self, target: Target) -> None:
        """Torque-converter slip: locked at steady cruise unless its clutch fails; worn
        clutches slip in proportion to torque."""
        s, f = self.state, self.faults
        s.tcc_commanded = s.gear >= 3 and s.speed > 45.0 and s.demand < 0.5
        locked = s.tcc_commanded and f["tcc_stuck_off"] < 0.3
        s.slip = 0.005 if locked else (0.03 + 0.08 * s.demand if s.gear else 0.0)
        s.gear_slip = 0.35 * f["transmission_slipping"] * s.demand if s.gear else 0.0

    def _gear(self, speed: float, power: float) -> int:
        """The gear for ``speed`` km/h when the wheels need ``power`` (a fraction of the
        engine's maximum): by the profile's fixed upshift speeds, or the highest gear
        keeping the engine above the shift floor."""
        if speed <= 0.5:
            return 0
        p = self.profile
        ratios = p.gear_rpm_per_kmh
        if p.shift_up_kmh:
            return 1 + sum(speed >= up for up in p.shift_up_kmh[: len(ratios) - 2])
        floor = p.shift_floor_rpm + SHIFT_FLOOR_PER_POWER * max(0.0, power)
        floor = min(SHIFT_CEILING_RPM, floor)
        gear = 1
        for index in range(2, len(ratios)):
            if speed * ratios[index] >= floor:
                gear = index
        return gear

    def _wheel_power_w(self) -> float:
        """Power the wheels need now: air drag, rolling resistance and acceleration."""
        s, p = self.state, self.profile
        v = s.speed / 3.6
        road = 0.5 * 1.2 * AIR_DRAG_CDA_M2 * v**3 + ROLLING_RESISTANCE * p.mass_kg * 9.81 * v
        return road + max(0.0, p.mass_kg * s.accel * v)

    def _demand(self, target: Target, rpm_rate: float) -> float:
        """Fraction of the power available at this rpm needed by road load, acceleration
        and (in neutral) spinning the engine up."""
        s, p = self.state, self.profile
        if target.snap:
            return 1.0 if s.rpm < target.hold_rpm - 300 else 0.2
        road = self._wheel_power_w()
        available = p.max_power_kw * 1000.0 * _clamp(s.rpm / RATED_RPM, 0.12, 1.0)
        extra = 0.04 if target.hold_rpm is not None else 0.0
        extra += max(0.0, rpm_rate) / 6000.0
        return _clamp(road / DRIVELINE_EFFICIENCY / available + extra, 0.0, 1.0)

    def _dropouts(self, dt: float) -> None:
        """Intermittent crank/cam sensors: random signal losses (Poisson in time)."""
        s, f = self.state, self.faults
        s.dropout_now = False
        crank = f["crank_sensor_intermittent"]
        if crank and self.rng.random() < 1.0 - math.exp(-dt * 0.03 * crank**3):
            s.dropouts += 1
            s.dropout_now = True
            s.rpm *= 0.8  # the ignition stops for a few revolutions: a stumble
        cam = f["cam_sensor_intermittent"]
        if cam and self.rng.random() < 1.0 - math.exp(-dt * 0.03 * cam**3):
            s.cam_dropouts += 1

    # ------------------------------------------------------------------ air

    def _air(self, dt: float) -> None:
        s, p, f = self.state, self.profile, self.faults
        self._egr()
        if p.diesel:
            self._air_diesel(dt)
        else:
            self._air_petrol(dt)
        s.air_metered = s.air_true
        if not p.diesel:
            # A vacuum leak lets unmetered air in; choked flow through a hole, so it
            # depends on manifold vacuum, not on engine speed: big at idle, small at
            # 2,500 rpm. Bigger engines have bigger hoses: the hole scales with them.
            vacuum = _clamp((self.baro - s.map_kpa) / self.baro, 0.0, 1.0)
            hole = 1.1 * math.sqrt(p.displacement_l / 1.5)
            leak = f["vacuum_leak"] * hole * min(1.0, vacuum / 0.47)
            s.air_metered = max(0.3, s.air_true - leak)
        elif f["boost_leak"]:
            s.air_metered = s.air_true / max(0.4, 1.0 - 0.45 * f["boost_leak"] * s.demand)

    def _ve(self) -> float:
        """Volumetric efficiency of the unrestricted engine at full load, by rpm."""
        s, p, f = self.state, self.profile, self.faults
        x = (s.rpm - p.ve_peak_rpm) / 3500.0
        ve = 0.88 * p.ve_scale * (1.0 - 0.35 * x * x)
        stuck = f["vvt_stuck"]
        if stuck:  # the cam stays retarded: low- and mid-range breathing suffers most
            ve *= 1.0 - 0.14 * stuck * _clamp((5000.0 - s.rpm) / 3000.0, 0.2, 1.0)
        return max(0.3, ve)

    def _restriction(self) -> float:
        """Flow losses of a clogged air filter or exhaust: fraction of VE kept, falling
        with the square of the airflow (relative to full flow at 5,500 rpm)."""
        s, p, f = self.state, self.profile, self.faults
        flow = _clamp(s.rpm / 5500.0 * (0.3 + 0.7 * s.demand), 0.0, 1.2)
        loss = 0.35 * f["clogged_air_filter"] + 0.30 * f["clogged_catalyst"]
        if p.diesel:
            loss += 0.30 * f["dpf_clogged"]
        return 1.0 - loss * flow * flow

    def _air_petrol(self, dt: float) -> None:
        s, p, f = self.state, self.profile, self.faults
        ve_closed = 0.245 * p.ve_scale * math.sqrt(p.idle_rpm / max(s.rpm, 300.0))
        ve_closed *= (800.0 / p.idle_rpm) ** 0.3 * (1.0 + 0.06 * f["clogged_catalyst"])
        # A cold engine's thick oil takes more torque to turn: the idle controller lets
        # in more air (and fuel, and heat) to hold its speed (oil follows the coolant).
        ve_closed *= 1.0 + COLD_FRICTION_AIR * _clamp((80.0 - s.coolant) / 50.0, 0.0, 1.0)
        if s.fuel_cut:
            ve_closed *= 0.55
        wide = self._ve() * self._restriction()
        s.ve = ve_closed + max(0.0, wide - ve_closed) * s.demand**0.7
        boost = 0.0
        if p.turbo:
            s.boost_target = (
                140.0
                * _clamp(s.demand - 0.25, 0.0, 1.0)
                * _clamp((s.rpm - 1500.0) / 1500.0, 0.0, 1.0)
            )
            boost = self._boost_actual()
        s.air_true = p.displacement_l * s.rpm * s.ve * AIR_DENSITY / 120.0
        s.air_true *= (298.0 / (273.0 + s.intake)) * (self.baro / 101.3)
        s.air_true *= (self.baro + boost) / self.baro
        # Recirculated exhaust takes room in the manifold: MAP rises with it.
        egr_share = s.egr_actual / 100.0 * 0.12
        s.map_kpa = self._manifold(boost, egr_share)
        # What the ECU expects the manifold to read for the boost it asked for (its boost
        # monitor compares the sensor with this, not with the compressor's target: at
        # part throttle the manifold sits below the compressor outlet).
        s.boost_desired = self._manifold(s.boost_target, egr_share) - self.baro
        dirty = f["dirty_throttle_body"]
        s.throttle = 11.5 + 74.0 * s.demand**0.7 + 2.5 * (s.rpm - p.idle_rpm) / 2000.0
        s.throttle += 6.0 * dirty * (1.0 - s.demand)  # the idle controller opens further
        if s.egr_actual and s.speed < 1.0:
            s.air_true *= 1.0 - s.egr_actual / 100.0 * 0.3

    def _manifold(self, boost: float, egr_share: float) -> float:
        """Manifold pressure (kPa) of a petrol engine with ``boost`` kPa after the
        compressor: the charge fraction the throttle lets through."""
        s = self.state
        return min(self.baro + boost, (self.baro + boost) * s.ve / 0.88 * (1.0 + egr_share))

    def _boost_actual(self) -> float:
        s, f = self.state, self.faults
        actual = (
            s.boost_target * (1.0 - 0.6 * f["boost_leak"]) * (1.0 - 0.4 * f["clogged_air_filter"])
        )
        if s.boost_target > 0:
            actual += s.boost_target * 0.6 * f["overboost"]
        return actual

    def _air_diesel(self, dt: float) -> None:
        s, p = self.state, self.profile
        s.boost_target = 130.0 * s.demand * _clamp((s.rpm - 1100.0) / 1400.0, 0.0, 1.0)
        s.boost_desired = s.boost_target  # unthrottled: the manifold is the compressor outlet
        s.map_kpa = self.baro + self._boost_actual()
        s.ve = self._ve() * self._restriction() * s.map_kpa / self.baro
        # Recirculated exhaust displaces fresh air: EGR lowers the MAF.
        fresh = 1.0 - s.egr_actual / 100.0 * 0.45
        s.air_true = p.displacement_l * s.rpm * s.ve * AIR_DENSITY / 120.0 * fresh
        s.throttle = 0.0

    def _egr(self) -> None:
        s, p, f = self.state, self.profile, self.faults
        if not p.has_egr:
            s.egr_cmd = s.egr_actual = 0.0
            return
        warm = s.coolant > 60.0
        if p.diesel:
            cmd = 45.0 * (1.0 - s.demand) if warm and s.rpm < 3000 else 0.0
        else:
            cmd = 18.0 if warm and s.speed > 20 and 0.1 < s.demand < 0.6 else 0.0
        s.egr_cmd = cmd
        actual = cmd * (1.0 - f["egr_insufficient_flow"])
        s.egr_actual = max(actual, 35.0 * f["egr_stuck"])  # open when it should be shut

    # ------------------------------------------------------------------ fuel

    def _fuel(self, dt: float) -> None:
        s, p = self.state, self.profile
        self._fuel_pressure()
        if p.diesel:
            s.fuel_rate = s.air_true / STOICH["diesel"] * (0.18 + 0.62 * s.demand)
            shortfall = _clamp(s.fuel_pressure / max(1.0, s.fuel_pressure_cmd), 0.3, 1.0)
            s.fuel_rate *= math.sqrt(shortfall)
            self._combustion(dt)
            s.timing = 2.0 + 6.0 * s.demand
            return
        self._purge()
        self._combustion(dt)
        self._trims(dt)
        self._timing()

    def _flow_fraction(self) -> float:
        """Fuel flow as a fraction of the engine's maximum."""
        s, p = self.state, self.profile
        return _clamp(s.air_true / (p.displacement_l * 45.0), 0.0, 1.2)

    def _fuel_pressure(self) -> None:
        """Supply (port injection) or rail (direct injection) pressure, in kPa."""
        s, p, f = self.state, self.profile, self.faults
        flow = self._flow_fraction()
        if p.direct_injection:
            s.fuel_pressure_cmd = p.fuel_pressure_kpa * (0.8 + 2.2 * s.demand + 0.3 * flow)
            cap = p.fuel_pressure_kpa * 3.5
            if p.diesel:
                cap *= 1.0 - 0.55 * f["diesel_rail_pressure_low"]
                s.fuel_pressure_cmd *= 1.0
                leak = 0.3 * f["injector_leak_back"] * (0.4 + flow)
                s.fuel_pressure = min(s.fuel_pressure_cmd, cap) * (1.0 - leak)
            else:
                cap *= 1.0 - 0.75 * f["low_rail_pressure_di"]
                # A weak supply (lift) pump starves the high-pressure pump's inlet.
                cap *= 1.0 - LIFT_PUMP_STARVATION * f["low_fuel_pressure"]
                s.fuel_pressure = min(s.fuel_pressure_cmd, cap)
            return
        base = p.fuel_pressure_kpa
        drop = 0.45 * f["low_fuel_pressure"] + 0.12 * f["leaking_fuel_pressure_regulator"]
        drop += f["weak_fuel_pump"] * (0.1 + 2.0 * flow)
        drop += f["clogged_fuel_filter"] * (0.05 + 12.0 * flow * flow)
        s.fuel_pressure_cmd = base
        s.fuel_pressure = base * max(0.2, 1.0 - drop)

    def _purge(self) -> None:
        s, f = self.state, self.faults
        warm = s.coolant > 70.0 and s.run_time > 120.0
        s.purge_cmd = 25.0 if warm and s.speed > 30 else 0.0
        stuck = f["purge_valve_stuck_open"]
        vacuum = _clamp((self.baro - s.map_kpa) / self.baro, 0.0, 1.0)
        opening = max(s.purge_cmd / 100.0, stuck)
        # Tank vacuum: a valve stuck open pulls the tank down whenever the manifold is
        # under vacuum, unless the system is open to the air (a leak or a loose cap).
        leak = self.evap_leak_in()
        hold = _clamp(1.0 - (leak - 0.02) / 0.06, 0.05, 1.0)
        s.evap_pa = -(stuck * 1800.0 * vacuum * hold) + self.rng.gauss(0, 25) - opening * 40.0

    def evap_leak_in(self) -> float:
        """Equivalent hole of the EVAP system in inches (0.008 sound, 0.04 a small leak)."""
        f = self.faults
        return self.profile.evap_leak_in + 0.065 * f["evap_small_leak"] + 0.25 * f("loose_gas_cap")

    def _cylinder_causes(self) -> list[tuple[float, float, float, float]]:
        """Per cylinder: (misfire, coil, compression, lean-misfire) severities, fixed for
        the car's life (computed once: the combustion loop is hot)."""
        f = self.faults
        return [
            (
                0.5 * f.on("misfire", c),
                f.on("ignition_coil", c),
                f.on("low_compression", c),
                max(0.0, f.on("clogged_injector", c) - 0.7) * 1.5,
            )
            for c in range(1, self.profile.cylinders + 1)
        ]

    def _combustion(self, dt: float) -> None:
        """Misfire per cylinder from every cause, counted as the ECU counts them."""
        s, p, f = self.state, self.profile, self.faults
        if not self._misfire_possible:
            return
        load = s.demand
        idle = _clamp(1.0 - s.rpm / 2500.0, 0.0, 1.0)
        shared = 0.05 * f["worn_spark_plugs"] * (0.5 + 0.5 * load + s.rpm / 8000.0)
        if s.egr_actual and s.speed < 1.0 and not p.diesel:
            shared += 0.035 * f["egr_stuck"]  # exhaust diluting the idle charge
        if p.diesel and s.coolant < 35.0:
            shared += 0.08 * f["glow_plug_fault"]
        total = 0.0
        for index, (miss, coil, compression, lean) in enumerate(self._causes):
            rate = miss + coil * (0.12 + 0.75 * load) + lean + shared
            rate += compression * (0.15 + 0.45 * idle) * (1.0 - load)
            rate = 0.0 if s.fuel_cut else _clamp(rate, 0.0, 0.95)
            s.cylinder_rates[index] = rate
            events = s.rpm / 120.0 * dt * rate
            s.misfires[index] += int(events) + (1 if self.rng.random() < events % 1 else 0)
            total += rate
        s.misfire_rate = total / p.cylinders
        s.rpm_noise = 240.0 * s.misfire_rate * (p.idle_rpm / max(s.rpm, 400.0))
        s.rpm_noise += 20.0 * max(0.0, f["dirty_throttle_body"] - 0.3)

    def _bank_required(self, bank: int) -> float:
        """The total trim bank ``bank`` needs for lambda 1 at its upstream sensor."""
        s, p, f = self.state, self.profile, self.faults
        banks = p.banks
        stoich = STOICH["petrol"]
        commanded = self.maf_reading() / banks / stoich
        delivered = commanded * math.sqrt(max(0.05, s.fuel_pressure / p.fuel_pressure_kpa))
        if p.direct_injection:
            # The ECU stretches the pulse by the rail pressure it reads, up to the time the
            # injection window leaves (shorter at high rpm and load).
            ratio = s.fuel_pressure / max(1.0, s.fuel_pressure_cmd)
            window = 1.6 - 0.5 * s.demand - s.rpm / 10000.0
            delivered = commanded * min(1.0, math.sqrt(ratio) * max(1.0, window))
        delivered *= self._injector_share(bank)
        extra = (0.11 * f["leaking_injector"]) if bank == 0 else 0.0
        vacuum = _clamp((self.baro - s.map_kpa) / self.baro, 0.0, 1.0)
        extra += (0.07 * f["purge_valve_stuck_open"] * vacuum) / banks
        extra += 0.16 * f["leaking_fuel_pressure_regulator"] * vacuum**2 / banks
        # Unburnt oxygen from a misfire reads lean: the ECU adds fuel it does not need.
        if banks == 1:
            misfire = s.misfire_rate
        else:
            misfire = sum(s.cylinder_rates[bank : p.cylinders : banks]) * banks / p.cylinders
        needed = s.air_true / banks / (1.0 - min(misfire, 0.5)) / stoich
        needed *= 1.0 + p.fuel_bias
        return (needed - extra) / max(1e-6, delivered) - 1.0

    def _injector_share(self, bank: int) -> float:
        """Mean flow of the bank's injectors relative to nominal (clogged ones flow less)."""
        p, f = self.profile, self.faults
        cylinders = range(bank + 1, p.cylinders + 1, p.banks)
        flows = [1.0 - 0.6 * f.on("clogged_injector", c) for c in cylinders]
        return sum(flows) / len(flows)

    def maf_reading(self) -> float:
        """What the MAF sensor reports (g/s) before noise: its gain and faults."""
        s, p, f = self.state, self.profile, self.faults
        gain = p.maf_gain * (1.0 - 0.4 * f["maf_under_reading"] + 0.35 * f["maf_over_reading"])
        return s.air_metered * gain

    def _trim_cell(self) -> int:
        s = self.state
        if s.speed < 1.0 and s.demand < 0.15 and s.rpm < 1200:
            return 0
        return 2 if s.demand > 0.45 or s.rpm > 3200 else 1

    def _trims(self, dt: float) -> None:
        """Closed-loop fuel control: the short trim oscillates around the correction the
        bank needs (the O2 sensor's limit cycle), the long trim of the current load cell
        slowly learns it."""
        s, p = self.state, self.profile
        sensed = self._coolant_sensed(s.coolant)
        self._o2_heaters(dt)
        sensor_ready = s.o2_up_temp > 350.0
        dead = self.faults["dead_upstream_o2"] >= 0.5
        ready = (
            sensor_ready
            and sensed >= 40.0
            and not s.fuel_cut
            and s.demand < 0.9
            and (s.run_time > 5.0)
        )
        s.loop_ready_s = s.loop_ready_s + dt if ready else 0.0
        s.closed_loop = ready and not dead
        slow = self.faults["slow_upstream_o2"]
        frequency = (1.1 if s.rpm < 1200 else 1.6) * (1.0 - 0.7 * slow)
        s.o2_phase += frequency * dt
        wave = _triangle(s.o2_phase)
        s.cell = self._trim_cell()
        for bank in range(p.banks):
            s.required[bank] = self._bank_required(bank)
            self._bank_loop(bank, wave, sensed, slow, dt)
        stoich = STOICH["petrol"]
        s.fuel_rate = s.air_true / stoich / max(0.5, sum(s.lam[: p.banks]) / p.banks)
        if s.fuel_cut:
            s.fuel_rate = 0.0

    def _bank_loop(self, bank: int, wave: float, sensed: float, slow: float, dt: float) -> None:
        s = self.state
        required = s.required[bank]
        cells = s.ltft_cells[bank]
        if s.closed_loop:
            if s.coolant > 65.0:
                learn = _clamp(required - cells[s.cell], -1.0, 1.0) * _lag(dt, 25.0)
                cells[s.cell] = _clamp(cells[s.cell] + learn, -0.25, 0.25)
            s.ltft[bank] = cells[s.cell]
            wanted = required - s.ltft[bank] + 0.025 * wave
            s.stft[bank] = _clamp(wanted + self.rng.gauss(0, 0.006), -0.25, 0.25)
            error = required - s.ltft[bank] - s.stft[bank]
        else:
            s.ltft[bank] = cells[s.cell]
            s.stft[bank] = 0.0
            enrichment = 0.25 * _clamp((40.0 - sensed) / 60.0, 0.0, 1.0)
            error = required - s.ltft[bank] - enrichment
        s.lam[bank] = 1.0 / max(0.3, 1.0 - error) if not s.fuel_cut else 3.0
        self._o2_sensors(bank, slow, dt)

    def _o2_heaters(self, dt: float) -> None:
        """Sensor element temperature: heater (about 20 s to light off) plus exhaust heat."""
        s, f = self.state, self.faults
        exhaust = 250.0 + 0.5 * s.catalyst
        up_goal = max(exhaust, 0.0 if f["o2_heater_upstream"] >= 0.5 else 750.0)
        down_goal = max(exhaust * 0.6, 0.0 if f["o2_heater_downstream"] >= 0.5 else 700.0)
        up_tau = 12.0 if f["o2_heater_upstream"] < 0.5 else 90.0
        down_tau = 15.0 if f["o2_heater_downstream"] < 0.5 else 120.0
        s.o2_up_temp += (up_goal - s.o2_up_temp) * _lag(dt, up_tau)
        s.o2_down_temp += (down_goal - s.o2_down_temp) * _lag(dt, down_tau)

    def _o2_sensors(self, bank: int, slow: float, dt: float) -> None:
        """Narrowband sensors: upstream switches with lambda, downstream flattened by the
        catalyst's oxygen storage unless the catalyst or the sensor has failed."""
        s, f = self.state, self.faults
        if s.o2_up_temp > 350.0 and f["dead_upstream_o2"] < 0.5:
            raw = 0.45 + 0.4 * math.tanh(-(s.lam[bank] - 1.0) / 0.006)
            raw = 0.45 + (raw - 0.45) * (1.0 - f["dead_upstream_o2"])
        else:
            raw = 0.45
        tau = 0.07 + 0.9 * slow * slow
        before = s.o2_up[bank]
        s.o2_up[bank] += (raw - before) * _lag(dt, tau)
        ratio = min(1.0, 0.05 + 1.1 * f["low_catalyst_efficiency"])
        lit = s.catalyst > 300.0
        mean = 0.68 if lit else 0.45
        target = mean + (s.o2_up[bank] - 0.45) * (ratio if lit else 0.8)
        if s.fuel_cut:
            target = 0.05
        if s.o2_down_temp < 350.0:
            target = 0.45  # a cold sensor sits at its bias voltage
        dead = f["dead_downstream_o2"]
        if dead > 0:
            target = target * (1.0 - dead) + 0.02 * dead  # the element stops responding
        down_tau = 0.05 + 2.5 * f["slow_downstream_o2"]
        s.o2_down[bank] += (target - s.o2_down[bank]) * _lag(dt, down_tau)
        if bank == 0 and s.o2_up_temp > 350.0:
            # The catalyst monitor compares how much each sensor moves (an oxygen storage
            # index): near 0 behind a good catalyst, near 1 when it stores nothing.
            smooth = _lag(dt, 8.0)
            s.up_activity += (abs(s.o2_up[0] - 0.45) - s.up_activity) * smooth
            s.down_mean += (s.o2_down[0] - s.down_mean) * _lag(dt, 20.0)
            s.down_activity += (abs(s.o2_down[0] - s.down_mean) - s.down_activity) * smooth
            s.down_max = max(s.o2_down[0], s.down_max - 0.02 * dt)
            # Switching activity as the ECU measures it at its own fast rate (a coarse
            # step cannot resolve the ~1 Hz switching): the sensor's output swing.
            s.up_span = 0.8 * (1.0 - f["dead_upstream_o2"]) if raw != 0.45 or s.closed_loop else 0.0

    def _timing(self) -> None:
        s, p, f = self.state, self.profile, self.faults
        if s.speed < 1.0 and s.demand < 0.12 and s.rpm < p.idle_rpm + 250:
            timing = p.idle_timing_deg + (s.rpm - p.idle_rpm) / 40.0
        else:
            # Spark map: the burn takes about the same time, so it needs more crank angle
            # as rpm rises (levelling off near 2,800 rpm); a denser charge burns faster
            # and knocks sooner, so advance falls with load. The numbers are read off the
            # recordings' steady cells (24 degrees at 1,500 rpm and 30 % load, 17 at
            # 1,000, -0.3 degree per load point, about -23 per unit of demand).
            timing = 7.5 + 13.0 * min(s.rpm, 2800.0) / 1000.0 - 23.0 * s.demand
        timing += p.timing_offset_deg - 8.0 * f["knock_sensor_fault"]
        s.timing = _clamp(timing, -10.0, 45.0)
        # Intake cam phasing: advanced at mid rpm and load, parked at idle and high rpm.
        s.cam_target = (
            30.0 * _clamp(s.demand * 3.0, 0.0, 1.0) * (1.0 if 1200.0 < s.rpm < 4800.0 else 0.0)
        )
        s.cam_actual = s.cam_target * (1.0 - self.faults["vvt_stuck"])

    # ------------------------------------------------------------------ heat

    def _heat(self, dt: float) -> None:
        s, p = self.state, self.profile
        # The coolant's share of the fuel's heat: at idle nearly all that does not leave
        # with the exhaust; under load more goes out as work and hot exhaust.
        heat_share = 0.26 if p.diesel else PETROL_HEAT_SHARE - HEAT_SHARE_LOAD * s.demand
        heat_in = s.fuel_rate * LHV_KJ_PER_G * 1000.0 * heat_share
        if s.fuel_cut:
            heat_in = 400.0
        if s.timing < 5.0 and not p.diesel and s.running:
            heat_in *= 1.1  # late combustion puts more heat into the walls
        if not s.running:
            heat_in = 0.0
        # The heat crosses the chambers' walls first: the coolant feels a change of load
        # tens of seconds later.
        s.wall_heat += (heat_in - s.wall_heat) * _lag(dt, WALL_LAG_S)
        heat_in = s.wall_heat
        start = s.coolant_at_start
        s.coolant, s.block = self._coolant_step(s.coolant, s.block, heat_in, dt, faulty=True)
        # A real ECU counts a warm-up when coolant rose 22 C since engine start and
        # reached 70 C (SAE J1979 definition); it counts once per driving cycle.
        if not s.warm_counted and s.coolant >= 70.0 and s.coolant - start >= 22.0:
            s.warmups += 1
            s.warm_counted = True
        if self._cooling_fault:
            s.coolant_model, s.block_model = self._coolant_step(
                s.coolant_model, s.block_model, heat_in, dt, faulty=False
            )
        else:  # the same heat into the same circuit: the ECU's model is the engine
            s.coolant_model, s.block_model = s.coolant, s.block
        soak = 14.0 * math.exp(-s.speed / 30.0) * _clamp((s.coolant - self.ambient) / 70.0, 0, 1)
        s.intake += (self.ambient + soak + 14.0 * _clamp(s.rpm / 800.0, 0, 1) - s.intake) * _lag(
            dt, 60.0
        )
        self._catalyst_temp(dt)

    def _coolant_step(
        self, head: float, block: float, heat_in: float, dt: float, faulty: bool
    ) -> tuple[float, float]:
        """One step of the coolant: the head's coolant (where the sensor and the
        thermostat sit) takes the combustion heat and loses it to the air (block surface,
        radiator past the thermostat, fan) and to the block's metal and coolant, which
        the water pump mixes in at a rate that grows with engine speed; so a cold engine's
        sensor first rises fast, then as fast as the whole engine warms. Each node's step
        is solved exactly with the other held (on coarse steps the losses at the step's
        end temperature, so a thermostat that opens during a long step still regulates).
        ``faulty`` False is the ECU's model of a healthy system. Returns the new (head,
        block) temperatures."""
        f = self.faults if faulty else _HEALTHY
        kept = 1.0 - 0.6 * f["coolant_loss"]  # less coolant: less mass to warm
        head_mass, block_mass = self.head_capacity * kept, self.block_capacity * kept
        heat_in *= 1.0 + 0.8 * f["coolant_loss"]  # hot spots: the head heats the sensor
        mixing = MIXING_W_PER_K_PER_KRPM * max(self.state.rpm, 0.0) / 1000.0

        def after(end: float) -> float:  # the head after dt, losing as it would at ``end``
            loss, opening = self._conductance(end, f, faulty)
            # Past an open thermostat the radiator's coolant joins the head's circuit.
            mass = head_mass + RADIATOR_CAPACITY_J_PER_K * kept * opening
            steady = (self.ambient * loss + block * mixing + heat_in) / (loss + mixing)
            return steady + (head - steady) * math.exp(-dt * (loss + mixing) / mass)

        end = after(head)
        # Below the thermostat's opening the losses do not depend on the temperature: the
        # first pass is exact (and the cheap common case of a warm-up).
        if dt > 1.0 and max(head, end) >= self.profile.thermostat_c:
            # The end temperature is the one that gives itself back; ``after`` falls as
            # ``end`` rises, so it lies between two successive guesses. They part only
            # when the thermostat opens within the step: then halve the bracket.
            low, high = sorted((end, after(end)))
            for _ in range(6 if high - low > 0.2 else 0):
                middle = (low + high) / 2.0
                low, high = (middle, high) if after(middle) > middle else (low, middle)
            end = (low + high) / 2.0
        block = end + (block - end) * math.exp(-dt * mixing / block_mass)
        return min(OVERHEAT_LIMIT_C, end), block

    def _conductance(self, temp: float, f: dict[str, float], faulty: bool) -> tuple[float, float]:
        """Heat loss of the engine to the air per kelvin (W/K) at coolant ``temp``, and how
        far the coolant flows through the radiator (0..1)."""
        s, p = self.state, self.profile
        opening = _clamp((temp - p.thermostat_c) / 6.0, 0.0, 1.0)
        # A valve stuck barely off its seat passes next to nothing (the bypass takes the
        # flow); from a fifth of its travel the flow grows with the lift.
        opening = max(opening, _clamp((f["thermostat_stuck_open"] - 0.2) / 0.6, 0.0, 1.0))
        opening *= (1.0 - f["thermostat_stuck_closed"]) ** 2  # only the bypass leaks past
        opening *= 1.0 - f["coolant_loss"]  # air in the circuit: the pump cavitates
        airflow = 1.0 + s.speed / 30.0
        commanded = temp > p.thermostat_c + 12.0
        if faulty:
            s.fan_commanded = commanded
        fan_works = f["cooling_fan_failure"] < 0.5
        fan = 2.0 * (1.0 - f["cooling_fan_failure"]) if commanded and fan_works else 0.0
        size = 110.0 * max(1.0, p.max_power_kw / 66.0) ** 0.8  # radiators scale with power
        # Standing still with no fan, the radiator sheds little heat.
        radiator = opening * size * (airflow + fan) * (1.0 if s.speed > 5 or fan else 0.08)
        return 18.0 + radiator, opening

    def _catalyst_temp(self, dt: float) -> None:
        s = self.state
        if not s.running:
            goal = self.ambient if not s.cranking else s.catalyst
        elif self.profile.diesel:
            goal = 160.0 + 380.0 * s.demand + s.rpm / 25.0
            goal += 120.0 * self.faults["dpf_clogged"]
        else:
            goal = 372.0 + 650.0 * s.demand + s.rpm / 25.0
            goal += 900.0 * s.misfire_rate  # unburnt mixture burns in the catalyst
            goal += 80.0 * self.faults["clogged_catalyst"]
            goal += 8.0 * max(0.0, -2.0 - s.timing)  # late combustion (knock retard)
        if s.fuel_cut:
            goal -= 150.0
        s.catalyst += (goal - s.catalyst) * _lag(dt, 35.0)

    # ------------------------------------------------------------------ electrics

    def _rest_voltage(self) -> float:
        return self.profile.rest_v - 0.8 * self.faults["weak_battery"]

    def _electrics(self, dt: float) -> None:
        s, p, f = self.state, self.profile, self.faults
        if not s.running:
            dip = 1.6 + 2.4 * f["weak_battery"] if s.cranking else 0.0
            s.battery = self._rest_voltage() - dip
            return
        cold = _clamp((70.0 - s.coolant) / 50.0, 0.0, 1.0)
        regulated = p.charge_v + 0.25 * cold + 2.2 * f["alternator_overcharging"]
        regulated += 0.25 * f["weak_battery"] * _clamp(1.0 - s.run_time / 900.0, 0.0, 1.0)
        severity = f["charging_fault"]
        # A failing alternator: less output, and once it cannot carry the load the battery
        # slowly discharges.
        drain = max(0.0, severity - 0.5) * 2.0 * s.run_time / 600.0
        goal = max(10.8, regulated - 2.6 * severity - drain)
        s.battery += (goal - s.battery) * _lag(dt, 3.0)

    def _transmission(self, dt: float) -> None:
        """Fluid temperature: heat from the converter and clutch slip, shed by a cooler."""
        s, f = self.state, self.faults
        if not s.running:
            return
        heat = 45.0 + 40.0 * s.demand + 260.0 * (s.slip + s.gear_slip) * (0.3 + s.demand)
        cooler = 1.0 - 0.75 * f["transmission_overheating"]
        goal = self.ambient + heat / cooler * _clamp(s.run_time / 600.0, 0.3, 1.0)
        s.trans_temp += (min(goal, 160.0) - s.trans_temp) * _lag(dt, 240.0)

    def _odometer(self, dt: float) -> None:
        s = self.state
        s.odometer_km += s.speed / 3600.0 * dt
        if s.running:
            s.fuel_l = max(
                0.0, s.fuel_l - s.fuel_rate * dt / 1000.0 / FUEL_DENSITY[self.profile.fuel]
            )
            if self.profile.diesel:
                s.soot_g += dt * (0.002 + 0.01 * self.faults["dpf_clogged"]) - (
                    dt * 0.004 if s.speed > 60 else 0.0
                )
                s.soot_g = _clamp(s.soot_g, 0.0, 60.0)

    # ------------------------------------------------------------------ readings

    def _coolant_sensed(self, true: float) -> float:
        f = self.faults
        severity = f["coolant_sensor_fault"]
        if severity >= 0.9:
            return -40.0  # open circuit: the input reads its maximum resistance
        reading = true - 45.0 * severity + self.profile.coolant_offset_c
        if f["coolant_loss"] and self.state.demand > 0.3:
            reading += 6.0 * f["coolant_loss"]  # steam at the sensor
        return reading

    def noise_rng(self) -> random.Random:
        """The sensor-noise generator of the current instant: reads never disturb the
        physics' own random sequence, so what clients poll cannot change the car."""
        return random.Random(self.seed * 1_000_003 + round(self.state.t * 10))

    def ecu_inputs(self) -> dict[str, float]:
        """The few filtered readings the on-board monitors judge by (no noise: an ECU
        averages its inputs; cheap enough for every tick)."""
        s, p, f = self.state, self.profile, self.faults
        return {
            "MAF": self.maf_reading() if s.running else 0.0,
            "INTAKE_PRESSURE": s.map_kpa + p.map_offset_kpa + 25.0 * f["map_sensor_bias"],
            "COOLANT_TEMP": self._coolant_sensed(s.coolant),
            "INTAKE_TEMP": s.intake + p.iat_offset_c - 60.0 * f["iat_sensor_fault"],
            "CONTROL_MODULE_VOLTAGE": s.battery,
            "THROTTLE_POS": s.throttle + 20.0 * f["tps_fault"],
        }

    def sensors(self) -> dict[str, float]:
        """What the engine ECU reads now, keyed by PID table field name (noise of one
        instant is drawn once, so repeated reads agree)."""
        if self._sensors_t != self.state.t:
            self._latest_sensors = self._read_sensors()
            self._sensors_t = self.state.t
        return dict(self._latest_sensors)

    def _read_sensors(self) -> dict[str, float]:
        s, p, f = self.state, self.profile, self.faults
        g = self.noise_rng().gauss
        n = p.noise
        maf = self.maf_reading() * (1 + g(0, 0.008 * n)) if s.running else 0.0
        if s.dropout_now:
            rpm = 0.0
        elif s.running:
            rpm = max(0.0, s.rpm + g(0, (4.0 + s.rpm_noise) * n))
        else:
            rpm = s.rpm
        values = {
            "RPM": rpm,
            "SPEED": round(s.speed),
            "MAF": maf,
            "ENGINE_LOAD": 0.0,
            "ABSOLUTE_LOAD": 0.0,
            "INTAKE_PRESSURE": s.map_kpa
            + p.map_offset_kpa
            + 25.0 * f["map_sensor_bias"]
            + g(0, 0.4 * n),
            "COOLANT_TEMP": self._coolant_sensed(s.coolant) + g(0, 0.15 * n),
            "INTAKE_TEMP": s.intake + p.iat_offset_c - 60.0 * f["iat_sensor_fault"] + g(0, 0.2 * n),
            "AMBIENT_AIR_TEMP": self.ambient,
            "BAROMETRIC_PRESSURE": self.baro,
            "CONTROL_MODULE_VOLTAGE": s.battery + g(0, 0.05 * n),
            "FUEL_LEVEL": _clamp(s.fuel_l / p.tank_l * 100.0 + g(0, 0.4), 0.0, 100.0),
            "RUN_TIME": s.run_time,
            "CATALYST_TEMP_B1S1": s.catalyst + g(0, 3.0 * n),
            "TIMING_ADVANCE": (s.timing + g(0, 0.8 * n)) if s.running else 0.0,
            "ACCELERATOR_POS_D": 15.0 + 70.0 * s.demand,
            "COMMANDED_EGR": s.egr_cmd,
            "EGR_ERROR": (s.egr_actual - s.egr_cmd) / s.egr_cmd * 100.0 if s.egr_cmd else 0.0,
        }
        if s.running:
            # Calculated load (PID 04): airflow against the best airflow at this rpm;
            # absolute load (PID 43): air per stroke against a cylinder full at 25 C.
            peak = p.displacement_l * max(s.rpm, 300.0) * 0.86 * AIR_DENSITY / 120.0
            values["ENGINE_LOAD"] = _clamp(maf / peak * 100.0, 0.0, 100.0)
            values["ABSOLUTE_LOAD"] = (
                maf * 120.0 / (max(s.rpm, 300.0) * AIR_DENSITY * p.displacement_l) * 100.0
            )
        values.update(self._petrol_sensors(g) if not p.diesel else self._diesel_sensors(g))
        if p.diesel and s.running:
            # Diesel load follows injected fuel, not air (the engine is unthrottled).
            values["ENGINE_LOAD"] = values["ABSOLUTE_LOAD"] = 14.0 + 80.0 * s.demand
        return values

    def _petrol_sensors(self, g) -> dict[str, float]:
        s, p, f = self.state, self.profile, self.faults
        tps = s.throttle + 20.0 * f["tps_fault"] + g(0, 0.2 + 3.0 * f["tps_fault"])
        values = {
            "THROTTLE_POS": _clamp(tps, 0.0, 100.0),
            "RELATIVE_THROTTLE_POS": _clamp(s.throttle - 11.0, 0.0, 100.0),
            "THROTTLE_POS_B": _clamp(s.throttle + 19.0, 0.0, 100.0),
            "THROTTLE_ACTUATOR": _clamp(s.throttle - 9.0, 0.0, 100.0),
            "FUEL_PRESSURE": s.fuel_pressure + g(0, 3.0),
            "COMMANDED_EQUIV_RATIO": 1.0 if s.closed_loop or not s.running else 0.85,
            "EVAPORATIVE_PURGE": s.purge_cmd,
            "EVAP_VAPOR_PRESSURE": s.evap_pa,
        }
        if p.direct_injection:
            values["FUEL_RAIL_PRESSURE_DIRECT"] = max(0.0, s.fuel_pressure + g(0, 40.0))
        for bank in range(p.banks):
            number = bank + 1
            values[f"SHORT_FUEL_TRIM_{number}"] = s.stft[bank] * 100.0
            values[f"LONG_FUEL_TRIM_{number}"] = s.ltft[bank] * 100.0
            up = "O2_B1S1" if bank == 0 else "O2_B2S1"
            down = "O2_B1S2" if bank == 0 else "O2_B2S2"
            values[f"{up}_VOLTAGE"] = _clamp(s.o2_up[bank] + g(0, 0.008), 0.0, 1.275)
            values[f"{up}_TRIM"] = s.stft[bank] * 100.0 if s.closed_loop else 99.21875
            values[f"{down}_VOLTAGE"] = _clamp(s.o2_down[bank] + g(0, 0.005), 0.0, 1.275)
            values[f"{down}_TRIM"] = 99.21875  # downstream sensors do not trim
        if p.banks == 2:
            values["CATALYST_TEMP_B2S1"] = s.catalyst + g(0, 2.0)
        return values

    def _diesel_sensors(self, g) -> dict[str, float]:
        s = self.state
        rail = s.fuel_pressure if s.running else 0.0
        return {
            "THROTTLE_POS": 0.0 if not s.running else 100.0,
            "FUEL_RAIL_PRESSURE_DIRECT": max(0.0, rail + g(0, 150.0)),
        }

    def truth(self) -> dict[str, float]:
        """The true physical values now (no sensor noise, no sensor fault)."""
        s = self.state
        return {
            "t": s.t,
            "rpm": s.rpm,
            "speed_kmh": s.speed,
            "air_true_gps": s.air_true,
            "air_metered_gps": s.air_metered,
            "map_kpa": s.map_kpa,
            "coolant_c": s.coolant,
            "intake_c": s.intake,
            "catalyst_c": s.catalyst,
            "battery_v": s.battery,
            "fuel_l": s.fuel_l,
            "odometer_km": s.odometer_km,
            "run_time_s": s.run_time,
            "stft_b1": s.stft[0] * 100.0,
            "ltft_b1": s.ltft[0] * 100.0,
            "required_trim_b1": s.required[0] * 100.0,
            "lambda_b1": s.lam[0],
            "fuel_pressure_kpa": s.fuel_pressure,
            "misfire_rate": s.misfire_rate,
            "closed_loop": float(s.closed_loop),
            "ambient_c": self.ambient,
            "baro_kpa": self.baro,
            "egr_actual_pct": s.egr_actual,
            "trans_temp_c": s.trans_temp,
            "slip": s.slip,
            "running": float(s.running),
        }
