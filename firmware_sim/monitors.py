"""On-board monitors of the virtual ECUs: fault detectors, the DTC lifecycle, readiness,
freeze frames and Mode 06 test results.

The detectors are cause-agnostic: they look only at what a real ECU measures (sensor
readings, commanded values, its own models, circuit states) with the thresholds real
ECUs use. They never read the fault list; codes appear because the physics made them.

DTC lifecycle (two-trip logic, SAE J1979 / 13 CCR 1968.2): a detector that fails for its
debounce time in a driving cycle sets a *pending* code; failing again in a later cycle
(with no passing cycle between) confirms it: stored, MIL on, freeze frame captured, and a
*permanent* code. A catalyst-damaging misfire confirms at once and flashes the MIL. A
pending code whose monitor passes in a whole cycle is dropped. After three consecutive
passing cycles the MIL goes out and the permanent code is erased; the stored code stays
until 40 warm-ups pass without a failure. Mode 04 clears pending and stored codes, the
freeze frame, readiness and the since-clear counters, never a permanent code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from firmware_sim.profiles import EngineProfile
from firmware_sim.vehicle import Physics, State

EVALUATE_EVERY_S = 2.0
DEBOUNCE_S = 4.0  # failing this long in a cycle counts as a failed test
DEBOUNCE = {
    "P0339": 0.0,
    "P0344": 0.0,
    "P0106": 0.0,
    "P0111": 0.0,
    "P0380": 0.0,
    "P0442": 0.0,
    "P0455": 0.0,
    "P0087": 5.0,
    "P0217": 5.0,
    "P0506": 10.0,
    "P0741": 10.0,
    "P0116": 10.0,
    "P0128": 10.0,
}
MIL_OFF_AFTER_TRIPS = 3
ERASE_AFTER_WARMUPS = 40
PRIORITY_FREEZE = ("P030", "P0171", "P0172", "P0174", "P0175")  # misfire, fuel system

# Misfire monitor (CARB): counted over 1,000-revolution blocks; a cylinder fails when its
# misfires exceed 8 % of its firings, the engine when 2 % of all firings misfire (the
# emission threshold); 10 % of all firings damages the catalyst (one-trip, flashing MIL).
MISFIRE_BLOCK_REVS = 1000.0
CYLINDER_LIMIT = 0.08
ENGINE_LIMIT = 0.02
CATALYST_DAMAGE = 0.10

SPARK_MONITORS = (
    "CATALYST",
    "HEATED_CATALYST",
    "EVAPORATIVE_SYSTEM",
    "SECONDARY_AIR_SYSTEM",
    "AC_REFRIGERANT",
    "OXYGEN_SENSOR",
    "OXYGEN_SENSOR_HEATER",
    "EGR_VVT_SYSTEM",
)
DIESEL_MONITORS = (
    "NMHC_CATALYST",
    "NOX_SCR_MONITOR",
    None,
    "BOOST_PRESSURE",
    None,
    "EXHAUST_GAS_SENSOR",
    "PM_FILTER",
    "EGR_VVT_SYSTEM",
)
# How long each monitor must run under its conditions before it reports complete.
MONITOR_NEEDS_S = {
    "CATALYST": 60.0,
    "EVAPORATIVE_SYSTEM": 20.0,
    "OXYGEN_SENSOR": 40.0,
    "OXYGEN_SENSOR_HEATER": 60.0,
    "EGR_VVT_SYSTEM": 30.0,
    "NMHC_CATALYST": 90.0,
    "BOOST_PRESSURE": 10.0,
    "EXHAUST_GAS_SENSOR": 120.0,
    "PM_FILTER": 120.0,
}

Detector = Callable[[State, dict[str, float], dict[str, bool]], None]


@dataclass
class CodeTrack:
    """One DTC's history: this cycle's debounce, and the cycles it passed or failed."""

    ecu: str = "7E8"
    failing_s: float = 0.0
    ran_s: float = 0.0  # seconds evaluated this cycle
    failed_this_trip: bool = False
    passing_trips: int = 0
    warmups_at_fail: int = 0
    mil: bool = False
    pending_trip: int = -1


@dataclass
class MonitorProgress:
    """Seconds each readiness monitor has run under its enabling conditions."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, dt: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + dt


@dataclass
class MisfireCounter:
    """The ECU's misfire monitor: counts in the current 1,000-rev block, the last block's
    counts, an EWMA over blocks, and since Mode 04."""

    revs: float = 0.0
    block: list[int] = field(default_factory=lambda: [0] * 8)
    last: list[int] = field(default_factory=lambda: [0] * 8)
    ewma: list[float] = field(default_factory=lambda: [0.0] * 8)
    seen: list[int] = field(default_factory=lambda: [0] * 8)
    blocks: int = 0
    blocks_since_clear: int = 0
    cold_counts: bool = False


class Monitors:
    """Watches the physics every tick and keeps what the engine and transmission ECUs
    remember."""

    def __init__(self, physics: Physics):
        self.physics = physics
        self.profile: EngineProfile = physics.profile
        self.tracks: dict[str, CodeTrack] = {}
        self.pending: list[str] = []
        self.confirmed: list[str] = []
        self.permanent: list[str] = []
        self.freeze: dict[str, float] | None = None
        self.freeze_dtc: str | None = None
        self.since_clear = MonitorProgress()
        self.this_cycle = MonitorProgress()
        self.cleared_at = 0.0
        self.distance_at_clear = 0.0
        self.warmups_at_clear = 0
        self.mil_distance = 0.0
        self.mil_seconds = 0.0
        self.trip = 1
        self.misfire = MisfireCounter()
        self.misfire_cycle = [0] * 8  # misfires per cylinder since Mode 04 (old name)
        self.flashing = False
        self.off_s = 8 * 3600.0  # engine-off time before the first start: a night
        self.results: dict[str, float] = {}  # latest values of tests that ran since clear
        self._was_on = False  # the first tick is a key-on: its checks run
        self.trip = 0
        self._was_running = False
        self._gathered = 0.0
        self._detectors = self._detector_list()

    # ------------------------------------------------------------------ per tick

    def tick(self, dt: float) -> None:
        """Runs the detectors and monitors on the state of the latest physics step."""
        s = self.physics.state
        if not s.ignition:
            if self._was_on:
                self.end_trip()
            self._was_on = False
            self.off_s += dt
            return
        if not self._was_on:
            self.start_trip()
            self._key_on_checks()
        self._was_on = True
        # The monitors judge every two simulated seconds (an ECU's slow task rate): fine
        # physics steps are gathered into one evaluation.
        self._gathered += dt
        if self._gathered < EVALUATE_EVERY_S - 1e-9:
            return
        dt, self._gathered = self._gathered, 0.0
        sensors = self.physics.ecu_inputs()
        if not s.running:
            return
        self._was_running = True
        self._count_misfires(s, dt)
        verdicts: dict[str, bool] = {}
        for detector in self._detectors:
            detector(s, sensors, verdicts)
        for code, failing in verdicts.items():
            self._track(code, failing, sensors, dt)
        self._readiness(s, dt)
        if self.mil:
            self.mil_distance += s.speed / 3600.0 * dt
            self.mil_seconds += dt

    def start_trip(self) -> None:
        """Key on: a new driving cycle."""
        self.trip += 1
        self.this_cycle = MonitorProgress()
        self.flashing = False
        for track in self.tracks.values():
            track.failing_s = track.ran_s = 0.0
            track.failed_this_trip = False

    def end_trip(self) -> None:
        """Key off: a cycle whose monitor ran and passed counts towards healing."""
        warmups = self.physics.state.warmups
        for code, track in list(self.tracks.items()):
            if track.failed_this_trip:
                track.passing_trips = 0
                continue
            if track.ran_s < 10.0:
                continue  # the monitor did not run: nothing learnt this cycle
            track.passing_trips += 1
            if code in self.pending and code not in self.confirmed:
                self.pending.remove(code)
            if code in self.pending and track.passing_trips >= 1:
                self.pending.remove(code)
            if track.passing_trips >= MIL_OFF_AFTER_TRIPS:
                track.mil = False
                if code in self.permanent:
                    self.permanent.remove(code)
            if code in self.confirmed and warmups - track.warmups_at_fail >= ERASE_AFTER_WARMUPS:
                self.confirmed.remove(code)
        self.off_s = 0.0
        self._was_running = False

    def _track(self, code: str, failing: bool, sensors: dict[str, float], dt: float) -> None:
        track = self.tracks.get(code)
        if track is None:
            track = self.tracks[code] = CodeTrack(ecu=self._ecu_of(code))
        track.ran_s += dt
        if not failing:
            track.failing_s = 0.0
            return
        track.failing_s += dt
        if track.failing_s < DEBOUNCE.get(code, DEBOUNCE_S) or track.failed_this_trip:
            return
        self.fail(code, sensors)

    def fail(
        self, code: str, sensors: dict[str, float] | None = None, one_trip: bool = False
    ) -> None:
        """A failed test of ``code`` in this cycle: pending, or confirmed if it was
        pending from an earlier cycle (or ``one_trip``)."""
        track = self.tracks.setdefault(code, CodeTrack(ecu=self._ecu_of(code)))
        track.failed_this_trip = True
        track.passing_trips = 0
        track.warmups_at_fail = self.physics.state.warmups
        if code not in self.pending:
            self.pending.append(code)
        earlier = 0 <= track.pending_trip < self.trip
        if track.pending_trip < 0:
            track.pending_trip = self.trip
        if earlier or one_trip:
            self._confirm(code, track)

    def _failed_this_trip(self, code: str) -> bool:
        track = self.tracks.get(code)
        return track is not None and track.failed_this_trip

    @staticmethod
    def _ecu_of(code: str) -> str:
        return "7E9" if code in ("P0741", "P0730", "P0218") else "7E8"

    def _confirm(self, code: str, track: CodeTrack) -> None:
        track.mil = True
        if code not in self.confirmed:
            self.confirmed.append(code)
        if code not in self.permanent:
            self.permanent.append(code)
        if track.ecu != "7E8":
            return
        priority = code.startswith(PRIORITY_FREEZE)
        old = self.freeze_dtc
        if self.freeze is None or (
            priority and old is not None and not old.startswith(PRIORITY_FREEZE)
        ):
            self.freeze = self.physics.sensors()  # every Mode 01 value at that instant
            self.freeze_dtc = code

    def add_old_code(self, code: str, warmups_ago: int = 10) -> None:
        """A stored code from a repaired fault: MIL already off, no permanent code (what
        a used car often carries)."""
        track = self.tracks.setdefault(code, CodeTrack(ecu=self._ecu_of(code)))
        track.passing_trips = MIL_OFF_AFTER_TRIPS
        track.warmups_at_fail = self.physics.state.warmups - warmups_ago
        track.mil = False
        if code not in self.confirmed:
            self.confirmed.append(code)

    def codes(self, ecu: str, kind: str) -> list[str]:
        """``stored``/``pending``/``permanent`` codes of ECU ``ecu`` (``7E8``, ``7E9``)."""
        source = {"stored": self.confirmed, "pending": self.pending, "permanent": self.permanent}[
            kind
        ]
        return [c for c in source if self._ecu_of(c) == ecu]

    @property
    def mil(self) -> bool:
        """The malfunction indicator lamp: on while a confirmed code still commands it."""
        return any(self.tracks[c].mil for c in self.confirmed if c in self.tracks)

    def mil_for(self, ecu: str) -> bool:
        """Whether ECU ``ecu`` commands the MIL."""
        return any(self.tracks[c].mil for c in self.codes(ecu, "stored") if c in self.tracks)

    def clear(self) -> None:
        """Mode 04: codes, freeze frame, readiness, test results and counters."""
        s = self.physics.state
        self.pending.clear()
        self.confirmed.clear()
        self.freeze, self.freeze_dtc = None, None
        self.since_clear = MonitorProgress()
        self.this_cycle = MonitorProgress()
        self.results.clear()
        for track in self.tracks.values():
            track.failing_s = 0.0
            track.failed_this_trip = False
            track.pending_trip = -1
            track.mil = False
        self.cleared_at = s.t
        self.distance_at_clear = s.odometer_km
        self.warmups_at_clear = s.warmups
        self.mil_distance = self.mil_seconds = 0.0
        self.misfire = MisfireCounter()
        self.misfire_cycle = [0] * 8

    # ------------------------------------------------------------------ detectors

    def _detector_list(self) -> tuple[Detector, ...]:
        p = self.profile
        common: tuple[Detector, ...] = (
            self._misfire_codes,
            self._coolant,
            self._voltage,
            self._crank_cam,
            self._fuel_pressure,
            self._transmission,
            self._fan,
        )
        if p.has_egr:
            common += (self._egr,)
        if p.diesel:
            return common + (self._boost, self._dpf)
        spark = (
            self._trims,
            self._maf,
            self._catalyst,
            self._o2,
            self._evap,
            self._knock,
            self._vvt,
            self._tps,
            self._idle,
        )
        if p.turbo:
            spark += (self._boost,)
        return common + spark

    def _key_on_checks(self) -> None:
        """Before the engine turns: MAP must read barometric pressure; after a long soak
        intake air, coolant and ambient temperatures must agree (the one that disagrees
        with both others is at fault); glow plugs are energised when cold."""
        physics = self.physics
        readings = physics.key_on_readings
        verdicts = {"P0106": abs(readings["INTAKE_PRESSURE"] - physics.baro) > 10.0}
        if self.off_s >= 6 * 3600.0:
            ambient = physics.ambient
            coolant, intake = readings["COOLANT_TEMP"], readings["INTAKE_TEMP"]
            if coolant > -39.0:  # an open circuit is P0118's business
                verdicts["P0116"] = abs(coolant - ambient) > 15 and abs(coolant - intake) > 15
            verdicts["P0111"] = abs(intake - ambient) > 15 and abs(intake - coolant) > 15
        if self.profile.diesel and readings["COOLANT_TEMP"] < 60.0:
            # The glow plug driver sees no current through an open plug circuit.
            verdicts["P0380"] = physics.faults["glow_plug_fault"] >= 0.4
        for code, failing in verdicts.items():
            track = self.tracks.setdefault(code, CodeTrack())
            track.ran_s += 60.0  # a key-on check is a complete test
            if failing:
                self.fail(code)

    def _trims(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        # Judged in every load cell once warm: the long trim cell that runs out shows
        # where the mixture error lives (idle: unmetered air; load: fuel delivery).
        if not (s.closed_loop and s.coolant > 70.0):
            return
        for bank in range(self.profile.banks):
            total = s.stft[bank] + s.ltft[bank]
            lean, rich = ("P0171", "P0172") if bank == 0 else ("P0174", "P0175")
            out[lean] = total > 0.25
            out[rich] = total < -0.25

    def _fuel_pressure(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        p = self.profile
        if not (p.direct_injection or p.fuel_pressure_pid) or s.run_time < 10.0:
            return
        out["P0087"] = s.fuel_pressure < 0.75 * s.fuel_pressure_cmd

    def _maf(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        # Rationality against speed density (the ECU's VE table and the MAP reading),
        # where airflow is large enough to trust it.
        p = self.profile
        if not (
            s.coolant > 60
            and 1500 <= s.rpm <= 4000
            and s.map_kpa < self.physics.baro
            and sensors["INTAKE_PRESSURE"] >= 50.0
        ):
            return
        if self._failed_this_trip("P0106"):
            return  # the MAP reading it relies on is itself at fault
        ve = (
            sensors["INTAKE_PRESSURE"]
            / self.physics.baro
            * 0.88
            / (1.0 + s.egr_actual / 100.0 * 0.12)
        )
        expected = p.displacement_l * s.rpm * ve * 1.184 / 120.0
        ratio = sensors["MAF"] / expected
        out["P0101"] = ratio < 0.78 or ratio > 1.25

    def _coolant(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        sensed = sensors["COOLANT_TEMP"]
        if s.run_time > 30.0:
            out["P0118"] = sensed <= -39.0
            out["P0217"] = sensed > 115.0
        if s.run_time > 240.0 and s.coolant_model >= 80.0 and sensed > -39.0:
            # The ECU's heat model says the engine should be warm by now.
            out["P0128"] = sensed < self.profile.thermostat_c - 14.0

    def _count_misfires(self, s: State, dt: float) -> None:
        counter, cylinders = self.misfire, self.profile.cylinders
        for index in range(cylinders):
            new = s.misfires[index] - counter.seen[index]
            counter.seen[index] = s.misfires[index]
            counter.block[index] += new
            self.misfire_cycle[index] += new
        counter.revs += s.rpm / 60.0 * dt
        counter.cold_counts = self.profile.diesel and s.coolant < 50.0
        if counter.cold_counts:  # a cold diesel's block is thrown away, not judged
            counter.revs, counter.block = 0.0, [0] * 8
            return
        if counter.revs < MISFIRE_BLOCK_REVS:
            return
        counter.revs = 0.0
        counter.last = counter.block[:]
        counter.block = [0] * 8
        counter.blocks += 1
        counter.blocks_since_clear += 1
        for index in range(cylinders):
            counter.ewma[index] += (counter.last[index] - counter.ewma[index]) * 0.1
        self._misfire_block_done = True

    def _misfire_codes(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if not getattr(self, "_misfire_block_done", False):
            return
        self._misfire_block_done = False
        if self.profile.diesel and s.coolant < 50.0:
            return  # diesel misfire detection runs once warm (cold-start disablement)
        if self.profile.diesel and self.misfire.cold_counts:
            return
        counter, cylinders = self.misfire, self.profile.cylinders
        firings = MISFIRE_BLOCK_REVS / 2.0  # per cylinder, four-stroke
        total = sum(counter.last[:cylinders]) / (firings * cylinders)
        verdicts = {"P0300": total > ENGINE_LIMIT}
        for index in range(cylinders):
            verdicts[f"P03{index + 1:02d}"] = counter.last[index] / firings > CYLINDER_LIMIT
        damaging = total > CATALYST_DAMAGE
        self.flashing = self.flashing or damaging
        for code, failing in verdicts.items():
            track = self.tracks.setdefault(code, CodeTrack())
            track.ran_s += 60.0
            if failing and not track.failed_this_trip:
                self.fail(code, sensors, one_trip=damaging)

    def _egr(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.egr_cmd > 10.0:
            out["P0401"] = s.egr_actual < 0.6 * s.egr_cmd
            self.results["egr_flow"] = s.egr_actual / s.egr_cmd * 4.5
        elif s.coolant > 60.0 and s.run_time > 30.0:
            out["P0402"] = s.egr_actual > 10.0  # flow while commanded shut
            self.results["egr_closed"] = s.egr_actual / 10.0

    def _voltage(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.run_time > 10.0:
            volts = sensors["CONTROL_MODULE_VOLTAGE"]
            out["P0562"] = volts < 12.0
            out["P0563"] = volts > 15.4

    def _crank_cam(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        out["P0339"] = s.dropouts >= 2
        out["P0344"] = s.cam_dropouts >= 2

    def _fan(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        # The fan relay driver's off-state diagnosis sees an open motor circuit at any time.
        out["P0480"] = self.physics.faults("cooling_fan_failure") >= 0.5

    def _catalyst(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if self._catalyst_enabled(s) and self.since_clear.seconds.get("CATALYST", 0) > 30:
            out["P0420"] = self.catalyst_index() > 0.7
            self.results["catalyst"] = self.catalyst_index()

    def _o2(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        f = self.physics.faults
        warm = s.coolant > 70.0 and s.run_time > 60.0
        if s.closed_loop and s.coolant > 70.0:
            out["P0133"] = self.o2_switch_time_ms() > 300.0
            self.results["o2_switch"] = self.o2_switch_time_ms()
        if warm and s.o2_up_temp > 350.0 and s.loop_ready_s > 30.0:
            out["P0134"] = s.up_span < 0.3
            self.results["o2_span"] = s.up_span
            self.results["o2_span"] = s.up_span
        if s.running and s.run_time > 5.0:
            # The heater driver measures the heater current (an open circuit draws none).
            out["P0135"] = f("o2_heater_upstream") >= 0.5
            out["P0141"] = f("o2_heater_downstream") >= 0.5
            self.results["heater_up"] = 65535.0 if out["P0135"] else 6.0  # ohms
            self.results["heater_down"] = 65535.0 if out["P0141"] else 7.0
        if warm and s.catalyst > 350.0 and s.run_time > 200 and s.o2_down_temp > 350.0:
            out["P0140"] = s.down_max < 0.2
            self.results["o2_down_max"] = s.down_max
        if s.fuel_cut and s.o2_down_temp > 350.0 and s.run_time > 60:
            out["P0139"] = self.down_response_ms() > 1000.0
            self.results["o2_down_response"] = self.down_response_ms()

    def _evap(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.coolant > 70.0 and s.purge_cmd == 0.0 and s.speed < 1.0 and s.run_time > 60:
            out["P0496"] = s.evap_pa < -500.0
            self.results["purge_flow"] = max(0.0, -s.evap_pa / 1000.0)
        if s.coolant > 70.0 and s.speed < 1.0 and s.run_time > 300 and not self._evap_done():
            # The leak test: pull the system down with purge, seal it, watch the decay;
            # the result is the equivalent hole. Only the biggest class is reported.
            hole = self.physics.evap_leak_in()
            self.results["evap_hole"] = hole
            out["P0455"] = hole > 0.09
            out["P0442"] = 0.04 < hole <= 0.09
            self.this_cycle.add("EVAP_TEST", 1.0)

    def _evap_done(self) -> bool:
        return self.this_cycle.seconds.get("EVAP_TEST", 0.0) > 0.0

    def _knock(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.run_time > 20.0 and s.rpm > 1200.0:
            # An open circuit leaves only noise: the signal falls below its floor.
            amplitude = 1.0 - self.physics.faults("knock_sensor_fault")
            out["P0325"] = amplitude < 0.7

    def _vvt(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.coolant > 60.0 and s.cam_target > 10.0:
            out["P0011"] = s.cam_target - s.cam_actual > 8.0

    def _tps(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.run_time > 20.0 and s.speed < 1.0 and s.demand < 0.1 and sensors["MAF"] > 0:
            # Closed throttle commanded (idle airflow) but the sensor says it is open.
            out["P0121"] = sensors["THROTTLE_POS"] - s.throttle > 8.0

    def _idle(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if (
            s.speed < 1.0
            and s.demand < 0.1
            and s.coolant > 70.0
            and s.run_time > 60
            and (not s.dropout_now)
        ):
            out["P0506"] = s.rpm < self.profile.idle_rpm - 100.0

    def _boost(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.boost_target > 40.0:
            boost = sensors["INTAKE_PRESSURE"] - self.physics.baro
            out["P0299"] = boost < s.boost_desired - 25.0
            out["P0234"] = boost > s.boost_desired + 25.0

    def _dpf(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.run_time > 60.0:
            out["P2463"] = s.soot_g > 45.0

    def _transmission(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.tcc_commanded and s.run_time > 60.0:
            out["P0741"] = s.slip > 0.03
        if s.gear and s.demand > 0.2 and s.speed > 10.0:
            out["P0730"] = s.gear_slip > 0.08
        if s.run_time > 60.0:
            out["P0218"] = s.trans_temp > 130.0

    # ------------------------------------------------------------------ readiness

    def _catalyst_enabled(self, s: State) -> bool:
        return (
            s.closed_loop
            and s.coolant > 70.0
            and s.speed > 30.0
            and s.catalyst > 350.0
            and s.down_max >= 0.2
            and s.o2_down_temp > 350.0
        )

    def _monitor_conditions(self, s: State) -> dict[str, bool]:
        warm = s.coolant > 70.0
        if self.profile.diesel:
            return {
                "NMHC_CATALYST": warm and s.speed > 30,
                "BOOST_PRESSURE": s.demand > 0.25,
                "EXHAUST_GAS_SENSOR": True,
                "PM_FILTER": s.speed > 60,
                "EGR_VVT_SYSTEM": s.egr_cmd > 0,
            }
        conditions = {
            "CATALYST": self._catalyst_enabled(s),
            "EVAPORATIVE_SYSTEM": warm and s.speed < 1 and s.run_time > 300,
            "OXYGEN_SENSOR": s.closed_loop and warm,
            "OXYGEN_SENSOR_HEATER": True,
        }
        if self.profile.has_egr:
            conditions["EGR_VVT_SYSTEM"] = s.egr_cmd > 0
        return conditions

    def _readiness(self, s: State, dt: float) -> None:
        for name, enabled in self._monitor_conditions(s).items():
            if enabled:
                self.since_clear.add(name, dt)
                self.this_cycle.add(name, dt)

    def monitor_bytes(self, progress: MonitorProgress, with_dtc_byte: bool) -> bytes:
        """PID 01 (``with_dtc_byte``) or PID 41: A MIL/count, B continuous, C available,
        D incomplete."""
        diesel = self.profile.diesel
        names = DIESEL_MONITORS if diesel else SPARK_MONITORS
        available = self._monitor_conditions(self.physics.state)
        c = d = 0
        for bit, name in enumerate(names):
            if name is None or name not in available:
                continue
            c |= 1 << bit
            if progress.seconds.get(name, 0.0) < MONITOR_NEEDS_S[name]:
                d |= 1 << bit
        a = 0
        if with_dtc_byte:
            a = (0x80 if self.mil_for("7E8") else 0) | min(len(self.codes("7E8", "stored")), 0x7F)
        b = 0x07 | (0x08 if diesel else 0)  # misfire, fuel, components: available, complete
        return bytes([a, b, c, d])

    # ------------------------------------------------------------------ Mode 06 values

    def catalyst_index(self) -> float:
        """Downstream / upstream O2 activity: ~0.05 for a good catalyst, near 1 for none."""
        s = self.physics.state
        return s.down_activity / s.up_activity if s.up_activity > 0.02 else 0.0

    def o2_switch_time_ms(self) -> float:
        """Upstream sensor rich-to-lean switch time (10-90 %), from its time constant."""
        slow = self.physics.faults("slow_upstream_o2")
        return (0.07 + 0.9 * slow * slow) * 2.2 * 1000.0

    def down_response_ms(self) -> float:
        """Downstream sensor response to a fuel cut (0.6 to 0.2 V), from its time constant."""
        return (0.05 + 2.5 * self.physics.faults("slow_downstream_o2")) * 1.1 * 1000.0

    def mode06_tests(self) -> dict[int, list[tuple[int, int, float, float, float]]]:
        """MID -> [(TID, UASID, value, min, max)] in the unit of the UASID. A test that has
        not run since the codes were cleared reports value and limits as 0 (SAE J1979)."""
        p, r = self.profile, self.results
        tests: dict[int, list[tuple[int, int, float, float, float]]] = {}

        def put(
            mid: int, tid: int, uasid: int, key: str | None, value: float, low: float, high: float
        ) -> None:
            ran = key is None or key in r
            record = (tid, uasid, value, low, high) if ran else (tid, uasid, 0.0, 0.0, 0.0)
            tests.setdefault(mid, []).append(record)

        if not p.diesel:
            switch = r.get("o2_switch", 0.0)
            put(0x01, 0x05, 0x10, "o2_switch", switch, 0.0, 300.0)
            put(0x01, 0x06, 0x10, "o2_switch", switch * 0.9, 0.0, 300.0)
            put(0x02, 0x07, 0x0B, "o2_down_max", r.get("o2_down_max", 0.0), 0.2, 1.275)
            put(0x02, 0x0A, 0x10, "o2_down_response", r.get("o2_down_response", 0.0), 0.0, 1000.0)
            put(0x21, 0x80, 0x20, "catalyst", min(r.get("catalyst", 0.0), 255.0), 0.0, 0.7)
            hole = r.get("evap_hole", 0.0) * 1000.0  # thousandths of an inch
            put(0x3A, 0x80, 0x02, "evap_hole", hole, 0.0, 90.0)
            put(0x3B, 0x80, 0x02, "evap_hole", hole, 0.0, 40.0)
            put(0x3D, 0x80, 0x17, "purge_flow", r.get("purge_flow", 0.0), 0.0, 0.5)
            put(0x41, 0x81, 0x14, "heater_up", r.get("heater_up", 0.0), 2.0, 20.0)
            put(0x42, 0x81, 0x14, "heater_down", r.get("heater_down", 0.0), 2.0, 20.0)
        if p.has_egr:
            put(0x31, 0x80, 0x17, "egr_flow", r.get("egr_flow", 0.0), 2.0, 9.0)
            put(0x31, 0x81, 0x17, "egr_closed", r.get("egr_closed", 0.0), 0.0, 1.0)
        self._misfire_tests(put)
        return tests

    def _misfire_tests(self, put: Callable[..., None]) -> None:
        """MID A1 (all cylinders) and A2.. (each): TID 0B the EWMA of misfires per 1,000
        revolutions, TID 0C the last block's count; limits are the monitor's thresholds."""
        counter, cylinders = self.misfire, self.profile.cylinders
        firings = MISFIRE_BLOCK_REVS / 2.0
        key = "misfire" if counter.blocks_since_clear else "misfire_not_run"
        engine_max = ENGINE_LIMIT * firings * cylinders
        cylinder_max = CYLINDER_LIMIT * firings
        if counter.blocks_since_clear:
            self.results["misfire"] = 1.0
        put(0xA1, 0x0B, 0x24, key, sum(counter.ewma[:cylinders]), 0.0, 65535.0)
        put(0xA1, 0x0C, 0x24, key, float(sum(counter.last[:cylinders])), 0.0, engine_max)
        for index in range(cylinders):
            put(0xA2 + index, 0x0B, 0x24, key, counter.ewma[index], 0.0, 65535.0)
            put(0xA2 + index, 0x0C, 0x24, key, float(counter.last[index]), 0.0, cylinder_max)
