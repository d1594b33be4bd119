"""The labelled cases' ground truth says what a real ECU of that car would set: the codes
the fault definitions list at that severity, and those that may or may not set
(severity near a code's threshold, intermittent faults, an engine kept cold)."""

from __future__ import annotations

import json

from firmware_sim.cases import CasePlan, case_lines, codes_agree, truth
from firmware_sim.faults import make_fault
from firmware_sim.profiles import engine_profile


def _truth(profile: str, *faults: tuple[str, float]) -> dict:
    made = [make_fault(name, severity, 2 if ":" in name else 0) for name, severity in faults]
    return truth(CasePlan(1, profile, engine_profile(profile), made, "full"))


def test_a_severity_near_a_code_threshold_makes_the_code_uncertain() -> None:
    near = _truth("small_petrol", ("vacuum_leak", 0.40))  # P0171 from 0.45
    assert near["expected_codes"] == [] and near["uncertain_codes"] == ["P0171"]
    above = _truth("small_petrol", ("vacuum_leak", 0.50))
    assert above["expected_codes"] == above["uncertain_codes"] == ["P0171"]
    far = _truth("small_petrol", ("vacuum_leak", 0.9))
    assert far["expected_codes"] == ["P0171"] and far["uncertain_codes"] == []


def test_a_lean_fault_on_a_two_bank_engine_expects_both_banks_codes() -> None:
    assert _truth("large_petrol", ("weak_fuel_pump", 0.9))["expected_codes"][-2:] == [
        "P0171",
        "P0174",
    ]
    assert "P0174" not in _truth("small_petrol", ("weak_fuel_pump", 0.9))["expected_codes"]


def test_intermittent_faults_and_a_cold_engine_make_codes_uncertain() -> None:
    crank = _truth("small_petrol", ("crank_sensor_intermittent", 0.9))
    assert set(crank["expected_codes"]) <= set(crank["uncertain_codes"]) != set()
    cold = _truth("small_petrol", ("thermostat_stuck_open", 0.9), ("evap_small_leak", 0.9))
    assert "P0442" in cold["uncertain_codes"] and "P0128" not in cold["uncertain_codes"]


def test_codes_agree_accepts_uncertain_codes_either_way_and_nothing_else() -> None:
    t = {"expected_codes": ["P0171", "P0300"], "uncertain_codes": ["P0300", "P0174"]}
    assert codes_agree(t, {"P0171"}) and codes_agree(t, {"P0171", "P0300", "P0174"})
    assert not codes_agree(t, {"P0300"})  # a sure code missing
    assert not codes_agree(t, {"P0171", "P0420"})  # a code nobody expects


def test_generated_cases_truth_agrees_with_the_codes_the_ecu_set() -> None:
    checked = agreed = 0
    for line in case_lines(range(5000, 5040)):
        case = json.loads(line)
        t = case["truth"]
        if t["variant"] == "pending_only" or t["distractors"]["cleared_before_test"]:
            continue  # codes cleared or not yet confirmed: not what the ECU would hold
        codes = {c for e in case["snapshot"]["ecus"] for c in e["stored"] + e["pending"]}
        codes.discard(t["distractors"]["old_code"])
        checked += 1
        agreed += codes_agree(t, codes)
    # 85 of 87 on seeds 5000-5119 (BENCHMARKS.md); this subset must stay above 90 %.
    assert checked >= 20 and agreed / checked >= 0.9, (agreed, checked)
