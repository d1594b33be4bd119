"""On-board diagnostics of the virtual engine ECU: fault detectors, the DTC lifecycle,
readiness monitors, freeze frames and Mode 06 test results.

DTC lifecycle (a compressed two-trip logic, so that one test drive shows it all): a
detector that fails for ``PENDING_AFTER_S`` of running time sets a *pending* code; still
failing ``CONFIRM_AFTER_S`` later it becomes *confirmed* (stored, MIL on, freeze frame
captured if none is stored yet) and *permanent*. A catalyst-damaging misfire confirms at
once. Mode 04 clears pending and confirmed codes, the freeze frame and readiness; a
permanent code stays until its detector has passed for ``HEAL_AFTER_S``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from firmware_sim.profiles import EngineProfile
from firmware_sim.vehicle import DT, Physics, State

PENDING_AFTER_S = 4.0
CONFIRM_AFTER_S = 30.0
HEAL_AFTER_S = 120.0

SPARK_MONITORS = ("CATALYST", "HEATED_CATALYST", "EVAPORATIVE_SYSTEM", "SECONDARY_AIR_SYSTEM",
                  "AC_REFRIGERANT", "OXYGEN_SENSOR", "OXYGEN_SENSOR_HEATER", "EGR_VVT_SYSTEM")
DIESEL_MONITORS = ("NMHC_CATALYST", "NOX_SCR_MONITOR", None, "BOOST_PRESSURE", None,
                   "EXHAUST_GAS_SENSOR", "PM_FILTER", "EGR_VVT_SYSTEM")


@dataclass
class CodeTrack:
    """Detection history of one DTC."""

    failing_s: float = 0.0
    passing_s: float = 0.0


@dataclass
class MonitorProgress:
    """Seconds each readiness monitor has run under its enabling conditions."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, dt: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + dt


# How long each monitor must run under its conditions before it reports complete.
MONITOR_NEEDS_S = {"CATALYST": 60.0, "EVAPORATIVE_SYSTEM": 20.0, "OXYGEN_SENSOR": 40.0,
                   "OXYGEN_SENSOR_HEATER": 60.0, "EGR_VVT_SYSTEM": 30.0, "NMHC_CATALYST": 90.0,
                   "BOOST_PRESSURE": 10.0, "EXHAUST_GAS_SENSOR": 120.0, "PM_FILTER": 120.0}


class Diagnostics:
    """Watches the physics every tick and keeps what an engine ECU remembers."""

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
        self.misfire_cycle = [0] * 8
        self.misfires_at_clear = [0] * 8

    # ------------------------------------------------------------------ per tick

    def tick(self) -> None:
        """Runs the detectors and monitors on the state of the latest physics step."""
        s = self.physics.state
        if not s.running:
            return
        sensors = self.physics.sensors()
        for code, failing in self._detect(s, sensors).items():
            self._track(code, failing, sensors)
        self._monitors(s)
        if self.mil:
            self.mil_distance += s.speed / 3600.0 * DT
            self.mil_seconds += DT

    def _track(self, code: str, failing: bool, sensors: dict[str, float]) -> None:
        track = self.tracks.setdefault(code, CodeTrack())
        if failing:
            track.failing_s += DT
            track.passing_s = 0.0
            if track.failing_s >= PENDING_AFTER_S and code not in self.pending:
                self.pending.append(code)
            urgent = code.startswith("P030") and self.physics.faults("misfire") >= 0.5
            if track.failing_s >= (PENDING_AFTER_S if urgent else CONFIRM_AFTER_S):
                self._confirm(code, sensors)
            return
        track.passing_s += DT
        if track.passing_s >= HEAL_AFTER_S:
            track.failing_s = 0.0
            if code in self.pending:
                self.pending.remove(code)
            if code in self.permanent:
                self.permanent.remove(code)

    def _confirm(self, code: str, sensors: dict[str, float]) -> None:
        if code in self.confirmed:
            return
        self.confirmed.append(code)
        if code not in self.permanent:
            self.permanent.append(code)
        if self.freeze is None:
            self.freeze = dict(sensors)
            self.freeze_dtc = code

    @property
    def mil(self) -> bool:
        """The malfunction indicator lamp is on while a confirmed code is stored."""
        return bool(self.confirmed)

    def clear(self) -> None:
        """Mode 04: codes, freeze frame, readiness and the since-clear counters."""
        s = self.physics.state
        self.pending.clear()
        self.confirmed.clear()
        self.freeze, self.freeze_dtc = None, None
        self.since_clear = MonitorProgress()
        for code, track in self.tracks.items():
            if code not in self.permanent:
                track.failing_s = 0.0
            else:
                track.failing_s = min(track.failing_s, 0.0)
        self.cleared_at = s.t
        self.distance_at_clear = s.odometer_km
        self.warmups_at_clear = s.warmups
        self.mil_distance = self.mil_seconds = 0.0
        self.misfires_at_clear = list(s.misfires)

    # ------------------------------------------------------------------ detectors

    def _detect(self, s: State, sensors: dict[str, float]) -> dict[str, bool]:
        """Code -> failing now, for every detector whose enabling conditions hold."""
        out: dict[str, bool] = {}
        for detector in self._detectors():
            detector(s, sensors, out)
        return out

    def _detectors(self) -> tuple[Callable[[State, dict[str, float], dict[str, bool]], None], ...]:
        common = (self._fuel_pressure, self._maf, self._coolant, self._misfire, self._egr,
                  self._voltage)
        if self.profile.diesel:
            return common
        return common + (self._trims, self._catalyst, self._o2, self._purge)

    def _trims(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        # Judged at idle, where the long trim cell is the most sensitive to unmetered air
        # and to fuel leaks.
        if not (s.closed_loop and s.coolant > 70.0 and s.speed < 5.0):
            return
        for bank in range(self.profile.banks):
            total = s.stft[bank] + s.ltft[bank]
            lean, rich = ("P0171", "P0172") if bank == 0 else ("P0174", "P0175")
            out[lean] = total > 0.22
            out[rich] = total < -0.22

    def _fuel_pressure(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.run_time > 10.0:
            out["P0087"] = s.fuel_pressure < 0.75 * self.profile.fuel_pressure_kpa

    def _maf(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        # Rationality against speed density, where airflow is large enough to trust it.
        p = self.profile
        if not (s.speed > 20 and s.coolant > 60 and (p.diesel or s.rpm >= 1500)):
            return
        if p.diesel:
            expected = p.displacement_l * s.rpm * s.ve * 1.184 / 120.0 * (
                1.0 - s.egr_cmd / 100.0 * 0.45)
        else:
            ve = s.map_kpa / self.physics.baro * 0.88 / (1.0 + s.egr_actual / 100.0 * 0.12)
            expected = p.displacement_l * s.rpm * ve * 1.184 / 120.0
        out["P0101"] = sensors["MAF"] < 0.82 * expected

    def _coolant(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        sensed = sensors["COOLANT_TEMP"]
        if s.run_time > 30.0:
            out["P0118"] = sensed <= -39.0
        if s.run_time > 240.0 and s.coolant_model >= 80.0 and sensed > -39.0:
            implausible = sensed < s.coolant_model - 35.0
            out["P0116"] = implausible
            out["P0128"] = sensed < 72.0 and not implausible

    def _misfire(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        cylinders = self.profile.cylinders
        for index in range(cylinders):
            self.misfire_cycle[index] = s.misfires[index] - self.misfires_at_clear[index]
        if s.run_time < 5.0:
            return
        cylinder = self.physics.faults.misfire_cylinder
        failing = s.misfire_rate * cylinders > 0.02
        out["P0300"] = failing
        for index in range(cylinders):
            out[f"P03{index + 1:02d}"] = failing and cylinder == index + 1

    def _egr(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if self.profile.has_egr and s.egr_cmd > 10.0:
            out["P0401"] = s.egr_actual < 0.6 * s.egr_cmd

    def _voltage(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.run_time > 10.0:
            out["P0562"] = s.battery < 12.2

    def _catalyst(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if self._catalyst_enabled(s) and self.since_clear.seconds.get("CATALYST", 0) > 30:
            out["P0420"] = self.catalyst_index() > 0.7

    def _o2(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.closed_loop and s.coolant > 70.0:
            out["P0133"] = self.o2_switch_time_ms() > 300.0
        if s.closed_loop and s.coolant > 70.0 and s.catalyst > 350.0 and s.run_time > 200:
            out["P0140"] = s.down_max < 0.2

    def _purge(self, s: State, sensors: dict[str, float], out: dict[str, bool]) -> None:
        if s.coolant > 70.0 and s.purge_cmd == 0.0 and s.speed < 1.0 and s.run_time > 60:
            out["P0496"] = s.evap_pa < -500.0

    # ------------------------------------------------------------------ monitors

    def _catalyst_enabled(self, s: State) -> bool:
        return (s.closed_loop and s.coolant > 70.0 and s.speed > 30.0 and s.catalyst > 350.0
                and s.down_max >= 0.2)

    def _monitor_conditions(self, s: State) -> dict[str, bool]:
        warm = s.coolant > 70.0
        if self.profile.diesel:
            return {"NMHC_CATALYST": warm and s.speed > 30, "BOOST_PRESSURE": s.demand > 0.25,
                    "EXHAUST_GAS_SENSOR": True, "PM_FILTER": s.speed > 60,
                    "EGR_VVT_SYSTEM": s.egr_cmd > 0}
        conditions = {"CATALYST": self._catalyst_enabled(s),
                      "EVAPORATIVE_SYSTEM": warm and s.speed < 1 and s.run_time > 300,
                      "OXYGEN_SENSOR": s.closed_loop and warm, "OXYGEN_SENSOR_HEATER": True}
        if self.profile.has_egr:
            conditions["EGR_VVT_SYSTEM"] = s.egr_cmd > 0
        return conditions

    def _monitors(self, s: State) -> None:
        for name, enabled in self._monitor_conditions(s).items():
            if enabled:
                self.since_clear.add(name, DT)
                self.this_cycle.add(name, DT)

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
            a = (0x80 if self.mil else 0) | min(len(self.confirmed), 0x7F)
        b = 0x07 | (0x08 if diesel else 0)  # misfire, fuel, components: available, complete
        return bytes([a, b, c, d])

    # ------------------------------------------------------------------ Mode 06 values

    def catalyst_index(self) -> float:
        """Downstream / upstream O2 activity: ~0.05 for a good catalyst, near 1 for none."""
        s = self.physics.state
        return s.down_activity / s.up_activity if s.up_activity > 0.02 else 0.0

    def o2_switch_time_ms(self) -> float:
        """Upstream sensor rich-to-lean switch time (10-90 %), from its time constant."""
        return (0.07 + 0.9 * self.physics.faults("slow_upstream_o2")) * 2.2 * 1000.0

    def mode06_tests(self) -> dict[int, list[tuple[int, int, float, float, float]]]:
        """MID -> [(TID, UASID, value, min, max)] in the unit of the UASID."""
        s, p = self.physics.state, self.profile
        tests: dict[int, list[tuple[int, int, float, float, float]]] = {}
        if not p.diesel:
            switch = self.o2_switch_time_ms()
            tests[0x01] = [(0x05, 0x10, switch, 0.0, 300.0), (0x06, 0x10, switch * 0.9, 0.0, 300.0),
                           (0x01, 0x0B, 0.45, 0.3, 0.6)]
            tests[0x02] = [(0x07, 0x0B, max(0.0, s.o2_down[0]), 0.0, 0.9),
                           (0x08, 0x0B, s.down_max, 0.2, 1.1)]
            tests[0x21] = [(0x80, 0x20, min(self.catalyst_index(), 255.0), 0.0, 0.7)]
            tests[0x3D] = [(0x80, 0x17, max(0.0, -s.evap_pa / 1000.0), 0.0, 0.5)]
            tests[0x41] = [(0x81, 0x11, 18.0, 0.0, 60.0)]  # heater: seconds to activity
        if p.has_egr:
            flow = 4.5 * (1.0 - self.physics.faults("egr_stuck"))
            tests[0x31] = [(0x80, 0x17, flow, 2.0, 20.0)]
        counts = self.misfire_cycle[:p.cylinders]
        tests[0xA1] = [(0x0B, 0x24, float(sum(counts)) / 10.0, 0.0, 65535.0),
                       (0x0C, 0x24, float(sum(counts)), 0.0, 65535.0)]
        for index, count in enumerate(counts):
            tests[0xA2 + index] = [(0x0B, 0x24, count / 10.0, 0.0, 65535.0),
                                   (0x0C, 0x24, float(count), 0.0, 65535.0)]
        return tests
