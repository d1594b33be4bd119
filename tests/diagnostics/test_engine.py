"""diagnose / answer / next best test / verify / plan on hand-built snapshots.

The snapshots are written from DOMAIN.md's physics (not from the simulator nor from the
knowledge base's numbers), so the rules are tested against independent expectations.
Rules only (``model=None``) unless said otherwise: the learned artefact is tested apart.
"""

from __future__ import annotations

import re

import pytest

from diagnostics import answer, diagnose, guided_test_plan, verify
from diagnostics.engine import DiagnosisInputError, information_gain
from diagnostics.features import extract
from diagnostics.kb import default_kb
from diagnostics.snapshot import SnapshotError, load_snapshot

VEHICLE = {"fuel": "petrol", "engine_type": "petrol_port", "engine_litres": 1.5, "cylinders": 4}


def _phase(n: int, **series: float | list[float]) -> dict:
    return {
        "duration_s": n,
        "t": [float(i) for i in range(n)],
        "series": {k: (v if isinstance(v, list) else [float(v)] * n) for k, v in series.items()},
    }


def _wobble(center: float, amplitude: float, n: int) -> list[float]:
    return [center + amplitude * ((-1) ** i) * (1 + (i % 3)) / 3 for i in range(n)]


def _idle(trim_short: float, trim_long: float, n: int = 60, **extra) -> dict:
    return _phase(
        n,
        RPM=_wobble(800, 10, n),
        SHORT_FUEL_TRIM_1=_wobble(trim_short, 1.5, n),
        LONG_FUEL_TRIM_1=trim_long,
        COOLANT_TEMP=88.0,
        INTAKE_TEMP=30.0,
        INTAKE_PRESSURE=_wobble(32, 1, n),
        CONTROL_MODULE_VOLTAGE=14.2,
        **extra,
    )


def _hold(trim_short: float, trim_long: float, n: int = 30, **extra) -> dict:
    return _phase(
        n,
        RPM=_wobble(2500, 20, n),
        SHORT_FUEL_TRIM_1=_wobble(trim_short, 1.5, n),
        LONG_FUEL_TRIM_1=trim_long,
        COOLANT_TEMP=90.0,
        INTAKE_TEMP=32.0,
        INTAKE_PRESSURE=_wobble(45, 1, n),
        CONTROL_MODULE_VOLTAGE=14.3,
        **extra,
    )


def snapshot(codes=(), pending=(), phases=None, **extra) -> dict:
    return {
        "schema_version": 1,
        "vehicle": VEHICLE,
        "mil_on": bool(codes),
        "ecus": [{"address": "7E8", "stored": list(codes), "pending": list(pending)}],
        "phases": phases or {},
        **extra,
    }


def vacuum_leak() -> dict:
    # DOMAIN.md: lean at idle that improves at 2,500 rpm -> vacuum leak.
    return snapshot(["P0171"], phases={"idle": _idle(6, 16), "hold_2500": _hold(1, 3)})


def low_fuel_pressure() -> dict:
    # Lean everywhere (idle and 2,500 rpm alike).
    return snapshot(["P0171"], phases={"idle": _idle(7, 15), "hold_2500": _hold(8, 16)})


def healthy() -> dict:
    return snapshot(phases={"idle": _idle(0.5, -1), "hold_2500": _hold(0, -1)})


def test_same_code_different_live_data_different_cause() -> None:
    leak = diagnose(vacuum_leak(), model=None)
    assert leak.status == "fault_found"
    assert leak.causes[0].cause == "vacuum_leak"
    fuel = diagnose(low_fuel_pressure(), model=None)
    assert fuel.causes[0].cause != "vacuum_leak"
    assert fuel.posterior["vacuum_leak"] < leak.posterior["vacuum_leak"]


def test_evidence_carries_the_numbers_for_and_against() -> None:
    top = diagnose(vacuum_leak(), model=None).causes[0]
    texts = " | ".join(e.text.en for e in top.evidence_for)
    assert "P0171" in texts
    assert re.search(r"total fuel trim \+2[12]\.\d % at idle", texts)  # ~6 + 16 %
    assert all(e.weight > 0 for e in top.evidence_for)
    assert top.explanation.fr and top.part_types[0].code == "vacuum_hose"
    assert top.confirming_tests[0].id == "brake_cleaner_intake"
    assert top.labour_hours[0] < top.labour_hours[1]
    fuel = diagnose(low_fuel_pressure(), model=None)
    leak_entry = next(c for c in fuel.causes if c.cause == "vacuum_leak")
    assert any("2,500" in e.text.en for e in leak_entry.evidence_against + leak_entry.evidence_for)


def test_probabilities_are_a_distribution() -> None:
    d = diagnose(vacuum_leak(), model=None)
    assert sum(d.posterior.values()) == pytest.approx(1.0, abs=1e-3)
    probs = [c.probability for c in d.causes]
    assert probs == sorted(probs, reverse=True)


def test_healthy_car_is_no_fault_found() -> None:
    d = diagnose(healthy(), model=None)
    assert d.status == "no_fault_found"
    assert all(c.probability < 0.5 for c in d.causes)
    assert d.severity == "drive"


def test_unknown_code_abstains_instead_of_guessing() -> None:
    d = diagnose(snapshot(["P1A2B"], phases={"idle": _idle(0, 0)}), model=None)
    assert d.status == "unknown_fault"
    assert any("P1A2B" in e.text.en for e in d.unexplained)


def test_empty_snapshot_is_insufficient_data_and_says_what_would_help() -> None:
    d = diagnose({"schema_version": 1}, model=None)
    assert d.status == "insufficient_data" and not d.causes
    assert any("guided test" in tip.en for tip in d.extra_data)


def test_codes_only_still_answers_and_asks_for_live_data() -> None:
    d = diagnose(snapshot(["P0302"]), model=None)
    assert d.status == "fault_found"
    assert d.causes[0].cause.endswith(":2")
    assert any("guided test" in tip.en for tip in d.extra_data)


def test_pending_only_codes_count() -> None:
    d = diagnose(snapshot([], pending=["P0128"]), model=None)
    assert d.causes[0].cause == "thermostat_stuck_open"


def test_overheating_is_stop_now() -> None:
    hot = _phase(60, RPM=_wobble(800, 10, 60), COOLANT_TEMP=[100.0 + i * 0.3 for i in range(60)])
    d = diagnose(
        snapshot(["P0217"], phases={"idle": hot}, symptoms=["overheating_gauge"]), model=None
    )
    assert d.severity == "stop_now"
    assert d.causes[0].severity == "stop_now"


def test_flashing_mil_makes_a_misfire_stop_now() -> None:
    d = diagnose(snapshot(["P0303"], symptoms=["check_engine_flashing"]), model=None)
    assert d.causes[0].cause.startswith(("misfire:3", "ignition_coil:3"))
    assert d.causes[0].severity == "stop_now" and d.severity == "stop_now"


def test_diesel_is_never_told_about_spark_plugs() -> None:
    snap = snapshot(["P0300"])
    snap["vehicle"] = {"fuel": "diesel", "engine_type": "diesel"}
    d = diagnose(snap, model=None)
    assert "worn_spark_plugs" not in d.posterior
    assert all(not c.cause.startswith("ignition_coil") for c in d.causes)


def test_impossible_and_stuck_values_are_flagged_not_used() -> None:
    idle = _idle(0, 0)
    idle["series"]["COOLANT_TEMP"] = [400.0] * 60
    idle["series"]["INTAKE_PRESSURE"] = [35.0] * 60
    f = extract(load_snapshot(snapshot(phases={"idle": idle})))
    problems = {(q.pid, q.problem) for q in f.data_quality}
    assert ("COOLANT_TEMP", "impossible") in problems
    assert ("INTAKE_PRESSURE", "stuck") in problems
    assert "coolant_max" not in f.values and "map_ratio_idle" not in f.values
    d = diagnose(snapshot(phases={"idle": idle}), model=None)
    assert d.data_quality and d.status != "no_fault_found"
    sensor = next(c for c in d.causes if c.cause == "coolant_sensor_fault")
    assert any(e.source == "data_quality" for e in sensor.evidence_for)


def test_negative_rpm_is_flagged() -> None:
    idle = _idle(0, 0)
    idle["series"]["RPM"][3] = -50.0
    f = extract(load_snapshot(snapshot(phases={"idle": idle})))
    assert any(q.pid == "RPM" and q.problem == "impossible" for q in f.data_quality)


def test_bad_input_is_a_snapshot_error() -> None:
    with pytest.raises(SnapshotError):
        diagnose({"schema_version": 2})
    with pytest.raises(SnapshotError):
        diagnose(snapshot(["NOT_A_CODE"]))


def test_next_best_test_separates_the_leaders_and_answer_updates() -> None:
    d = diagnose(snapshot(["P0302"]), model=None)
    assert d.next_test is not None
    assert d.next_test.expected_information_gain_bits > 0.05
    kb = default_kb()
    gains = {t: information_gain(kb, t, d.posterior) for t in kb.tests}
    assert d.next_test.id == max(gains, key=gains.get) or gains[d.next_test.id] > 0
    coil = answer(d, "coil_swap", "follows_coil")
    assert coil.causes[0].cause == "ignition_coil:2"
    assert coil.answers[-1].test == "coil_swap"
    assert any(e.source == "test" for e in coil.causes[0].evidence_for)
    stays = answer(d, "coil_swap", "stays")
    assert stays.posterior["ignition_coil:2"] < d.posterior["ignition_coil:2"]


def test_answer_rejects_unknown_tests_and_outcomes() -> None:
    d = diagnose(vacuum_leak(), model=None)
    with pytest.raises(DiagnosisInputError, match="unknown test"):
        answer(d, "ask_the_oracle", "yes")
    with pytest.raises(DiagnosisInputError, match="outcomes"):
        answer(d, "brake_cleaner_intake", "maybe")


def test_diagnosis_round_trips_through_json_and_can_still_be_answered() -> None:
    from diagnostics.snapshot import Diagnosis

    d = diagnose(vacuum_leak(), model=None)
    again = Diagnosis.model_validate_json(d.model_dump_json())
    updated = answer(again, "brake_cleaner_intake", "rpm_changes")
    assert updated.posterior["vacuum_leak"] > d.posterior["vacuum_leak"]


def test_verify_confirms_a_repair_and_refuses_a_failed_one() -> None:
    d = diagnose(vacuum_leak(), model=None)
    fixed = verify(d, healthy(), model=None)
    assert fixed.verdict == "confirmed"
    assert any("back in range" in e.text.en for e in fixed.evidence)
    failed = verify(d, vacuum_leak(), model=None)
    assert failed.verdict == "not_confirmed"
    assert any("P0171" in e.text.en for e in failed.evidence)
    just_cleared = verify(d, snapshot([]), model=None)
    assert just_cleared.verdict == "inconclusive"


def test_plan_is_data_and_narrows_to_the_suspects() -> None:
    full = guided_test_plan()
    assert [p["id"] for p in full["phases"]] == [
        "cold_start",
        "idle",
        "hold_2500",
        "snap_throttle",
        "drive",
    ]
    assert full["phases"][2]["target"] == [2300, 2700]
    d = diagnose(snapshot(["P0562"]), model=None)  # charging: no need to drive
    narrowed = [p["id"] for p in guided_test_plan(d)["phases"]]
    assert "idle" in narrowed and "drive" not in narrowed
