"""The virtual car's physics: engine, vehicle, sensors and the effect of faults.

The model is stepped at a fixed ``DT`` (0.1 s) of simulated time, so the same seed, drive
cycle and faults always give the same values at the same time, whatever the clients do.
Facts used (see ``shared/DOMAIN.md``): MAF = displacement x rpm x VE x 1.184 / 120, VE
about 0.3 at idle and 0.85 wide open; trims within +-10 % when healthy; a thermostat that
opens around 82-95 C; narrowband O2 switching around 0.45 V at about 1 Hz; a catalyst that
flattens the downstream sensor.

:class:`Physics` keeps the true state; :meth:`Physics.sensors` is what the ECU reads
(noise and faulty sensors included) keyed by the PID table's field names, and
:meth:`Physics.truth` the true physical values.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from firmware_sim.drive import DriveCycle, Target
from firmware_sim.faults import Fault
from firmware_sim.profiles import EngineProfile

DT = 0.1
AIR_DENSITY = 1.184  # g/L at 25 C, the figure the DOMAIN formula uses
STOICH = {"petrol": 14.7, "diesel": 14.5}
FUEL_DENSITY = {"petrol": 0.74, "diesel": 0.84}  # kg/L
LHV_KJ_PER_G = 43.0
GEAR_RPM_PER_KMH = (0.0, 130.0, 78.0, 53.0, 40.0, 32.0, 27.0)
GEAR_UP_KMH = (0.0, 18.0, 32.0, 50.0, 68.0, 90.0)


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _triangle(phase: float) -> float:
    """A triangle wave of period 1 in [-1, 1]."""
    x = phase % 1.0
    return 4.0 * x - 1.0 if x < 0.5 else 3.0 - 4.0 * x


@dataclass
class FaultSet:
    """Severities of the car faults in force (0 = healthy); the misfiring cylinder."""

    severity: dict[str, float] = field(default_factory=dict)
    misfire_cylinder: int = 0

    @classmethod
    def of(cls, faults: list[Fault]) -> FaultSet:
        """Collects car faults (link faults are the adapter's business)."""
        result = cls()
        for fault in faults:
            if fault.link:
                continue
            result.severity[fault.name] = max(fault.severity, result.severity.get(fault.name, 0))
            if fault.name == "misfire":
                result.misfire_cylinder = fault.cylinder
        return result

    def __call__(self, name: str) -> float:
        return self.severity.get(name, 0.0)


@dataclass
class State:
    """The true state of the car at one instant (SI-ish units as in the PID table)."""

    t: float = 0.0
    phase: str = "off"
    running: bool = False
    rpm: float = 0.0
    speed: float = 0.0
    accel: float = 0.0
    gear: int = 0
    demand: float = 0.0
    ve: float = 0.0
    throttle: float = 0.0
    air_true: float = 0.0  # g/s into the cylinders
    air_metered: float = 0.0  # g/s through the MAF
    map_kpa: float = 101.0
    coolant: float = 20.0
    coolant_model: float = 20.0  # the ECU's model of a healthy engine (P0128)
    intake: float = 20.0
    catalyst: float = 20.0
    battery: float = 12.6
    fuel_l: float = 30.0
    odometer_km: float = 0.0
    run_time: float = 0.0
    closed_loop: bool = False
    fuel_cut: bool = False
    stft: list[float] = field(default_factory=lambda: [0.0, 0.0])
    ltft: list[float] = field(default_factory=lambda: [0.0, 0.0])
    required: list[float] = field(default_factory=lambda: [0.0, 0.0])
    lam: list[float] = field(default_factory=lambda: [1.0, 1.0])
    o2_up: list[float] = field(default_factory=lambda: [0.45, 0.45])
    o2_down: list[float] = field(default_factory=lambda: [0.45, 0.45])
    o2_phase: float = 0.0
    fuel_pressure: float = 0.0
    fuel_rate: float = 0.0  # g/s
    egr_cmd: float = 0.0
    egr_actual: float = 0.0
    purge_cmd: float = 0.0
    evap_pa: float = 0.0
    timing: float = 10.0
    misfires: list[int] = field(default_factory=lambda: [0] * 8)
    misfire_rate: float = 0.0  # fraction of all combustions
    up_activity: float = 0.0  # smoothed |upstream O2 - 0.45 V| (catalyst monitor)
    down_activity: float = 0.0  # smoothed |downstream O2 - its mean|
    down_max: float = 0.0  # highest downstream voltage lately (sensor activity)
    rpm_noise: float = 0.0
    warmups: int = 0


class Physics:
    """Steps the true state of one car; deterministic for a seed."""

    def __init__(self, profile: EngineProfile, cycle: DriveCycle, faults: FaultSet,
                 seed: int):
        self.profile = profile
        self.cycle = cycle
        self.faults = faults
        self.rng = random.Random(seed)
        self.ambient = round(self.rng.uniform(8.0, 24.0), 1)
        self.baro = round(self.rng.uniform(98.0, 102.5), 1)
        self.state = State(coolant=self.ambient, coolant_model=self.ambient,
                           intake=self.ambient, catalyst=self.ambient,
                           fuel_l=profile.tank_l * self.rng.uniform(0.35, 0.8))
        self._latest_sensors: dict[str, float] = {}
        self._sensors_t = -1.0

    # ------------------------------------------------------------------ stepping

    def advance_to(self, t: float) -> int:
        """Steps until the state is at the last ``DT`` tick not after ``t``; returns the
        number of steps taken (0 when ``t`` is not later than the current time)."""
        steps = 0
        while self.state.t + DT <= t + 1e-9:
            self.step()
            steps += 1
        return steps

    def step(self) -> None:
        """One ``DT`` of simulated time: driver, powertrain, air/fuel, heat, electrics."""
        s = self.state
        s.t = round(s.t + DT, 6)
        target = self.cycle.target(s.t)
        s.phase = target.phase
        self._powertrain(target)
        self._air()
        self._fuel()
        self._heat()
        self._electrics()
        self._odometer()

    def _powertrain(self, target: Target) -> None:
        s = self.state
        if target.cranking:
            s.running, s.rpm, s.speed, s.gear = False, 250.0 + self.rng.gauss(0, 15), 0.0, 0
            s.demand = 0.0
            return
        if not s.running:
            s.running, s.run_time = True, 0.0
        s.run_time += DT
        previous = s.speed
        step = (9.0 if target.speed_kmh > s.speed else 12.0) * DT
        s.speed = _clamp(target.speed_kmh, s.speed - step, s.speed + step)
        s.accel = (s.speed - previous) / 3.6 / DT
        idle = self._idle_target()
        s.gear = self._gear(s.speed)
        if target.hold_rpm is not None:
            wanted = target.hold_rpm
        else:
            wanted = max(idle, s.speed * GEAR_RPM_PER_KMH[s.gear])
        s.rpm += (wanted - s.rpm) * min(1.0, DT / 0.3)
        s.demand = self._demand(target)
        s.fuel_cut = s.accel < -0.3 and s.speed > 15.0 and s.rpm > idle + 300

    def _idle_target(self) -> float:
        """Cold idle is raised (the ECU reads the coolant *sensor*)."""
        sensed = self._coolant_sensed(self.state.coolant)
        return self.profile.idle_rpm + 350.0 * _clamp((60.0 - sensed) / 70.0, 0.0, 1.0)

    @staticmethod
    def _gear(speed: float) -> int:
        gear = 1
        for index, threshold in enumerate(GEAR_UP_KMH):
            if speed >= threshold:
                gear = index + 1
        return min(gear, 6) if speed > 0.5 else 0

    def _demand(self, target: Target) -> float:
        """Fraction of the power available at this rpm needed by road load + acceleration."""
        s, p = self.state, self.profile
        v = s.speed / 3.6
        road = 0.5 * 1.2 * 0.68 * v ** 3 + 0.012 * p.mass_kg * 9.81 * v
        road += max(0.0, p.mass_kg * s.accel * v)
        available = p.max_power_kw * 1000.0 * _clamp(s.rpm / 5500.0, 0.12, 1.0)
        extra = 0.04 if target.hold_rpm is not None else 0.0
        return _clamp(road / 0.9 / available + extra, 0.0, 1.0)

    # ------------------------------------------------------------------ air

    def _air(self) -> None:
        s, p, f = self.state, self.profile, self.faults
        if not s.running:
            s.ve, s.air_true, s.air_metered, s.map_kpa = 0.0, 0.0, 0.0, self.baro
            s.throttle = 0.0 if p.diesel else 11.0
            return
        self._egr()
        if p.diesel:
            self._air_diesel()
        else:
            self._air_petrol()
        # A vacuum leak lets unmetered air in; choked flow through a hole, so it depends
        # on manifold vacuum, not on engine speed: big at idle, small at 2,500 rpm.
        vacuum = _clamp((self.baro - s.map_kpa) / self.baro, 0.0, 1.0)
        # Bigger engines have bigger hoses: the hole scales with the displacement.
        hole = 1.1 * math.sqrt(p.displacement_l / 1.5)
        leak = f("vacuum_leak") * hole * min(1.0, vacuum / 0.47) if not p.diesel else 0.0
        s.air_metered = max(0.3, s.air_true - leak)

    def _air_petrol(self) -> None:
        s, p = self.state, self.profile
        ve_closed = 0.30 * math.sqrt(p.idle_rpm / max(s.rpm, 300.0)) * (800.0 / p.idle_rpm) ** 0.3
        if s.fuel_cut:
            ve_closed *= 0.55
        s.ve = ve_closed + (0.86 - ve_closed) * s.demand ** 0.85
        s.air_true = p.displacement_l * s.rpm * s.ve * AIR_DENSITY / 120.0
        s.air_true *= (298.0 / (273.0 + s.intake)) * (self.baro / 101.3)
        egr_share = s.egr_actual / 100.0 * 0.12
        s.map_kpa = min(self.baro, self.baro * s.ve / 0.88 * (1.0 + egr_share))
        s.throttle = 11.5 + 74.0 * s.demand ** 0.7 + 2.5 * (s.rpm - p.idle_rpm) / 2000.0

    def _air_diesel(self) -> None:
        s, p = self.state, self.profile
        boost = 130.0 * s.demand * _clamp((s.rpm - 1100.0) / 1400.0, 0.0, 1.0)
        s.map_kpa = self.baro + boost
        s.ve = 0.88 * s.map_kpa / self.baro
        # Recirculated exhaust displaces fresh air: a stuck-closed EGR raises the MAF.
        fresh = 1.0 - s.egr_actual / 100.0 * 0.45
        s.air_true = p.displacement_l * s.rpm * s.ve * AIR_DENSITY / 120.0 * fresh
        s.throttle = 0.0

    def _egr(self) -> None:
        s, p = self.state, self.profile
        if not p.has_egr:
            s.egr_cmd = s.egr_actual = 0.0
            return
        warm = s.coolant > 60.0
        if p.diesel:
            cmd = 45.0 * (1.0 - s.demand) if warm and s.rpm < 3000 else 0.0
        else:
            cmd = 18.0 if warm and s.speed > 20 and 0.1 < s.demand < 0.6 else 0.0
        s.egr_cmd = cmd
        s.egr_actual = cmd * (1.0 - self.faults("egr_stuck"))

    # ------------------------------------------------------------------ fuel

    def _fuel(self) -> None:
        s, p, f = self.state, self.profile, self.faults
        base_pressure = p.fuel_pressure_kpa
        flow_fraction = _clamp(s.air_true / (p.displacement_l * 45.0), 0.0, 1.0)
        sag = f("low_fuel_pressure") * (0.3 + 0.45 * flow_fraction)
        s.fuel_pressure = base_pressure * (1.0 - sag) if s.running else base_pressure * 0.9
        if not s.running:
            s.fuel_rate = 0.0
            return
        if p.diesel:
            s.fuel_rate = s.air_true / STOICH["diesel"] * (0.18 + 0.62 * s.demand)
            s.fuel_rate *= 1.0 - 0.5 * sag
            self._misfire()
            return
        self._purge()
        self._misfire()
        self._trims()

    def _purge(self) -> None:
        s, f = self.state, self.faults
        warm = s.coolant > 70.0 and s.run_time > 120.0
        s.purge_cmd = 25.0 if warm and s.speed > 30 else 0.0
        stuck = f("purge_valve_stuck_open")
        vacuum = _clamp((self.baro - s.map_kpa) / self.baro, 0.0, 1.0)
        opening = max(s.purge_cmd / 100.0, stuck)
        # Tank vacuum: a valve stuck open pulls the tank down whenever the manifold is
        # under vacuum; a healthy one keeps it near atmospheric.
        s.evap_pa = -(stuck * 1800.0 * vacuum) + self.rng.gauss(0, 25) - opening * 40.0

    def _misfire(self) -> None:
        s, p, f = self.state, self.profile, self.faults
        severity = f("misfire")
        cylinder = self.faults.misfire_cylinder
        if severity <= 0 or not 1 <= cylinder <= p.cylinders:
            s.misfire_rate, s.rpm_noise = 0.0, 0.0
            return
        probability = 0.6 * severity
        s.misfire_rate = probability / p.cylinders
        events = s.rpm / 120.0 * DT * probability
        s.misfires[cylinder - 1] += int(events) + (1 if self.rng.random() < events % 1 else 0)
        s.rpm_noise = 70.0 * severity * (p.idle_rpm / max(s.rpm, 400.0))

    def _bank_required(self, bank: int) -> float:
        """The total trim bank ``bank`` needs for lambda 1 at its upstream sensor."""
        s, p, f = self.state, self.profile, self.faults
        banks = p.banks
        stoich = STOICH["petrol"]
        pressure_factor = math.sqrt(max(0.05, s.fuel_pressure / p.fuel_pressure_kpa))
        if f("maf_under_reading"):
            metered_reading = s.air_metered * (1.0 - 0.4 * f("maf_under_reading"))
        else:
            metered_reading = s.air_metered
        commanded = metered_reading / banks / stoich
        leak = 0.11 * f("leaking_injector") if bank == 0 else 0.0
        vacuum = _clamp((self.baro - s.map_kpa) / self.baro, 0.0, 1.0)
        purge = (0.07 * f("purge_valve_stuck_open") * vacuum) / banks
        misfire = 0.0
        cylinder = self.faults.misfire_cylinder
        if cylinder and (cylinder - 1) % banks == bank:
            misfire = s.misfire_rate * banks
        # Unburnt oxygen from a misfire reads lean: the ECU adds fuel it does not need.
        needed = s.air_true / banks / (1.0 - min(misfire, 0.5)) / stoich - leak - purge
        return needed / (commanded * pressure_factor) - 1.0

    def _trims(self) -> None:
        """Closed-loop fuel control: the short trim oscillates around the correction the
        bank needs (the O2 sensor's limit cycle), the long trim slowly learns it."""
        s, p = self.state, self.profile
        sensed = self._coolant_sensed(s.coolant)
        heater_ready = s.run_time > 20.0
        s.closed_loop = heater_ready and sensed >= 40.0 and not s.fuel_cut and s.demand < 0.9
        slow = self.faults("slow_upstream_o2")
        frequency = (1.1 if s.rpm < 1200 else 1.6) * (1.0 - 0.7 * slow)
        s.o2_phase += frequency * DT
        wave = _triangle(s.o2_phase)
        for bank in range(p.banks):
            s.required[bank] = self._bank_required(bank)
            self._bank_loop(bank, wave, sensed, slow)
        stoich = STOICH["petrol"]
        s.fuel_rate = s.air_true / stoich / max(0.5, sum(s.lam[:p.banks]) / p.banks)
        if s.fuel_cut:
            s.fuel_rate = 0.0

    def _bank_loop(self, bank: int, wave: float, sensed: float, slow: float) -> None:
        s = self.state
        required = s.required[bank]
        if s.closed_loop:
            if s.coolant > 65.0:
                learn = _clamp(required - s.ltft[bank], -1.0, 1.0) * DT / 25.0
                s.ltft[bank] = _clamp(s.ltft[bank] + learn, -0.25, 0.25)
            wanted = required - s.ltft[bank] + 0.035 * wave
            s.stft[bank] = _clamp(wanted + self.rng.gauss(0, 0.004), -0.25, 0.25)
            error = required - s.ltft[bank] - s.stft[bank]
        else:
            s.stft[bank] = 0.0
            enrichment = 0.25 * _clamp((40.0 - sensed) / 60.0, 0.0, 1.0)
            error = required - s.ltft[bank] - enrichment
        s.lam[bank] = 1.0 / max(0.3, 1.0 - error) if not s.fuel_cut else 3.0
        self._o2_sensors(bank, slow)

    def _o2_sensors(self, bank: int, slow: float) -> None:
        """Narrowband sensors: upstream switches with lambda, downstream flattened by the
        catalyst's oxygen storage unless the catalyst or the sensor has failed."""
        s, f = self.state, self.faults
        heater_ready = s.run_time > 20.0
        if heater_ready:
            raw = 0.45 + 0.4 * math.tanh(-(s.lam[bank] - 1.0) / 0.006)
        else:
            raw = 0.45
        tau = 0.07 + 0.9 * slow
        before = s.o2_up[bank]
        s.o2_up[bank] += (raw - before) * min(1.0, DT / tau)
        ratio = min(1.0, 0.05 + 1.1 * f("low_catalyst_efficiency"))
        lit = s.catalyst > 300.0
        mean = 0.68 if lit else 0.45
        target = mean + (s.o2_up[bank] - 0.45) * (ratio if lit else 0.8)
        dead = f("dead_downstream_o2")
        if dead > 0:
            target = 0.02 + (1.0 - dead) * (target - 0.02) * 0.3
        before_down = s.o2_down[bank]
        s.o2_down[bank] += (target - before_down) * min(1.0, DT / 0.05)
        if bank == 0 and heater_ready:
            # The catalyst monitor compares how much each sensor moves (an oxygen storage
            # index): near 0 behind a good catalyst, near 1 when it stores nothing.
            s.up_activity += (abs(s.o2_up[0] - 0.45) - s.up_activity) * DT / 8.0
            s.down_activity += (abs(s.o2_down[0] - mean) - s.down_activity) * DT / 8.0
            s.down_max = max(s.o2_down[0], s.down_max - 0.02 * DT)

    # ------------------------------------------------------------------ heat

    def _heat(self) -> None:
        s, p, f = self.state, self.profile, self.faults
        heat_share = 0.22 if p.diesel else 0.30
        heat_in = s.fuel_rate * LHV_KJ_PER_G * 1000.0 * heat_share
        if s.fuel_cut:
            heat_in = 400.0
        was_warm = s.coolant >= 60.0
        s.coolant = self._coolant_step(s.coolant, heat_in, f("thermostat_stuck_open"))
        if not was_warm and s.coolant >= 60.0:
            s.warmups += 1
        s.coolant_model = self._coolant_step(s.coolant_model, heat_in, 0.0)
        soak = 14.0 * math.exp(-s.speed / 30.0) * _clamp((s.coolant - self.ambient) / 70.0, 0, 1)
        s.intake += (self.ambient + soak - s.intake) * DT / 20.0
        self._catalyst_temp()

    def _coolant_step(self, temp: float, heat_in: float, stuck_open: float) -> float:
        s = self.state
        opening = _clamp((temp - 82.0) / 13.0, 0.0, 1.0)
        opening = max(opening, stuck_open)
        radiator = opening * 70.0 * (1.0 + s.speed / 30.0)
        fan = 700.0 if temp > 99.0 else 0.0
        loss = (30.0 + radiator + fan) * (temp - self.ambient)
        return temp + (heat_in - loss) * DT / 32000.0

    def _catalyst_temp(self) -> None:
        s = self.state
        if not s.running:
            goal = self.ambient
        elif self.profile.diesel:
            goal = 160.0 + 380.0 * s.demand + s.rpm / 25.0
        else:
            goal = 330.0 + 420.0 * s.demand + s.rpm / 22.0
            goal += 900.0 * s.misfire_rate  # unburnt mixture burns in the catalyst
        if s.fuel_cut:
            goal -= 150.0
        s.catalyst += (goal - s.catalyst) * DT / 35.0

    # ------------------------------------------------------------------ electrics, distance

    def _electrics(self) -> None:
        s, f = self.state, self.faults
        severity = f("charging_fault")
        if not s.running:
            s.battery = 12.55 - 0.5 * severity - 1.6  # cranking dip
            return
        regulated = 14.25 - 0.12 * _clamp((s.coolant - 20.0) / 70.0, 0.0, 1.0)
        if severity <= 0:
            s.battery = regulated
            return
        # A failing alternator: less output, and once it cannot carry the load the battery
        # slowly discharges.
        drain = max(0.0, severity - 0.5) * 2.0 * s.run_time / 600.0
        s.battery = max(10.8, regulated - 2.6 * severity - drain)

    def _odometer(self) -> None:
        s = self.state
        s.odometer_km += s.speed / 3600.0 * DT
        if s.running:
            s.fuel_l = max(0.0, s.fuel_l - s.fuel_rate * DT / 1000.0
                           / FUEL_DENSITY[self.profile.fuel])

    # ------------------------------------------------------------------ readings

    def _coolant_sensed(self, true: float) -> float:
        severity = self.faults("coolant_sensor_fault")
        if severity >= 0.9:
            return -40.0  # open circuit: the input reads its maximum resistance
        return true - 45.0 * severity

    def sensors(self) -> dict[str, float]:
        """What the engine ECU reads now, keyed by PID table field name (noise included;
        the noise of one tick is drawn once, so repeated reads agree)."""
        if self._sensors_t != self.state.t:
            self._latest_sensors = self._read_sensors()
            self._sensors_t = self.state.t
        return dict(self._latest_sensors)

    def _read_sensors(self) -> dict[str, float]:
        s, p, f, g = self.state, self.profile, self.faults, self.rng.gauss
        maf = s.air_metered * (1.0 - 0.4 * f("maf_under_reading")) * (1 + g(0, 0.008))
        rpm = max(0.0, s.rpm + g(0, 4.0 + s.rpm_noise)) if s.running else s.rpm
        peak = p.displacement_l * max(s.rpm, 300.0) * 0.86 * AIR_DENSITY / 120.0
        load = _clamp(maf / peak * 100.0, 0.0, 100.0) if s.running else 0.0
        absolute = maf * 120.0 / (max(s.rpm, 300.0) * AIR_DENSITY * p.displacement_l) * 100.0
        values = {
            "RPM": rpm, "SPEED": round(s.speed), "MAF": maf,
            "ENGINE_LOAD": load, "ABSOLUTE_LOAD": absolute if s.running else 0.0,
            "INTAKE_PRESSURE": s.map_kpa + g(0, 0.4),
            "COOLANT_TEMP": self._coolant_sensed(s.coolant) + g(0, 0.15),
            "INTAKE_TEMP": s.intake + g(0, 0.2),
            "AMBIENT_AIR_TEMP": self.ambient, "BAROMETRIC_PRESSURE": self.baro,
            "CONTROL_MODULE_VOLTAGE": s.battery + g(0, 0.03),
            "FUEL_LEVEL": _clamp(s.fuel_l / p.tank_l * 100.0 + g(0, 0.4), 0.0, 100.0),
            "RUN_TIME": s.run_time, "CATALYST_TEMP_B1S1": s.catalyst + g(0, 2.0),
            "TIMING_ADVANCE": self._timing() + g(0, 0.5),
            "ACCELERATOR_POS_D": 15.0 + 70.0 * s.demand, "COMMANDED_EGR": s.egr_cmd,
            "EGR_ERROR": (s.egr_actual - s.egr_cmd) / s.egr_cmd * 100.0 if s.egr_cmd else 0.0,
        }
        values.update(self._petrol_sensors() if not p.diesel else self._diesel_sensors())
        if p.diesel and s.running:
            # Diesel load follows injected fuel, not air (the engine is unthrottled).
            values["ENGINE_LOAD"] = values["ABSOLUTE_LOAD"] = 14.0 + 80.0 * s.demand
        return values

    def _timing(self) -> float:
        s = self.state
        if not s.running or self.profile.diesel:
            return 0.0 if not s.running else 2.0 + 6.0 * s.demand
        return _clamp(8.0 + s.rpm / 120.0 - 22.0 * s.demand, 0.0, 45.0)

    def _petrol_sensors(self) -> dict[str, float]:
        s, p, g = self.state, self.profile, self.rng.gauss
        values = {
            "THROTTLE_POS": _clamp(s.throttle + g(0, 0.2), 0.0, 100.0),
            "RELATIVE_THROTTLE_POS": _clamp(s.throttle - 11.0, 0.0, 100.0),
            "THROTTLE_POS_B": _clamp(s.throttle + 19.0, 0.0, 100.0),
            "THROTTLE_ACTUATOR": _clamp(s.throttle - 9.0, 0.0, 100.0),
            "FUEL_PRESSURE": s.fuel_pressure + g(0, 3.0),
            "COMMANDED_EQUIV_RATIO": 1.0 if s.closed_loop or not s.running else 0.85,
            "EVAPORATIVE_PURGE": s.purge_cmd, "EVAP_VAPOR_PRESSURE": s.evap_pa,
        }
        for bank in range(p.banks):
            n = bank + 1
            values[f"SHORT_FUEL_TRIM_{n}"] = s.stft[bank] * 100.0
            values[f"LONG_FUEL_TRIM_{n}"] = s.ltft[bank] * 100.0
            up = "O2_B1S1" if bank == 0 else "O2_B2S1"
            down = "O2_B1S2" if bank == 0 else "O2_B2S2"
            values[f"{up}_VOLTAGE"] = _clamp(s.o2_up[bank] + g(0, 0.008), 0.0, 1.275)
            values[f"{up}_TRIM"] = s.stft[bank] * 100.0 if s.closed_loop else 99.21875
            values[f"{down}_VOLTAGE"] = _clamp(s.o2_down[bank] + g(0, 0.005), 0.0, 1.275)
            values[f"{down}_TRIM"] = 99.21875  # downstream sensors do not trim
        if p.banks == 2:
            values["CATALYST_TEMP_B2S1"] = s.catalyst + g(0, 2.0)
        return values

    def _diesel_sensors(self) -> dict[str, float]:
        s, g = self.state, self.rng.gauss
        rail = s.fuel_pressure * (0.35 + 0.65 * s.demand) if s.running else 0.0
        return {"THROTTLE_POS": 0.0 if not s.running else 100.0,
                "FUEL_RAIL_PRESSURE_DIRECT": max(0.0, rail + g(0, 150.0))}

    def truth(self) -> dict[str, float]:
        """The true physical values now (no sensor noise, no sensor fault)."""
        s = self.state
        return {
            "t": s.t, "rpm": s.rpm, "speed_kmh": s.speed, "air_true_gps": s.air_true,
            "air_metered_gps": s.air_metered, "map_kpa": s.map_kpa, "coolant_c": s.coolant,
            "intake_c": s.intake, "catalyst_c": s.catalyst, "battery_v": s.battery,
            "fuel_l": s.fuel_l, "odometer_km": s.odometer_km, "run_time_s": s.run_time,
            "stft_b1": s.stft[0] * 100.0, "ltft_b1": s.ltft[0] * 100.0,
            "required_trim_b1": s.required[0] * 100.0, "lambda_b1": s.lam[0],
            "fuel_pressure_kpa": s.fuel_pressure, "misfire_rate": s.misfire_rate,
            "closed_loop": float(s.closed_loop), "ambient_c": self.ambient,
            "baro_kpa": self.baro, "egr_actual_pct": s.egr_actual,
        }
