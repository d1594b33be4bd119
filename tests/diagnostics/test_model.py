"""The learned ranker: training is reproducible, the artefact round-trips, the combination is
a distribution, and a tiny model trained on hand-built cases ranks new ones right.

The cases are built from DOMAIN.md's physics with random noise (a tiny training set: the
real training uses the simulator's labelled cases, ``novaevo diagnostics train``).
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from diagnostics.engine import diagnose
from diagnostics.features import extract
from diagnostics.kb import default_kb
from diagnostics.model import Confidence, load, save, shipped_ranker
from diagnostics.rules import score, without_causes
from diagnostics.snapshot import load_snapshot
from diagnostics.training import (
    DEV_FIRST_SEED,
    EVAL_FIRST_SEED,
    TrainingError,
    generate_cases,
    read_cases,
    train_ranker,
)

VEHICLE = {"fuel": "petrol", "engine_type": "petrol_port", "engine_litres": 1.5, "cylinders": 4}


def _series(rng: random.Random, center: float, spread: float, n: int) -> list[float]:
    return [round(center + rng.gauss(0, spread), 2) for _ in range(n)]


def _case(seed: int, fault: str | None) -> dict:
    rng = random.Random(seed)
    idle_trim, hold_trim, codes, volts = rng.gauss(0, 2), rng.gauss(0, 2), [], 14.2
    if fault == "vacuum_leak":
        idle_trim, hold_trim, codes = 18 + rng.gauss(0, 3), 3 + rng.gauss(0, 2), ["P0171"]
    elif fault == "low_fuel_pressure":
        idle_trim, hold_trim, codes = 16 + rng.gauss(0, 3), 17 + rng.gauss(0, 3), ["P0171"]
    elif fault == "charging_fault":
        volts, codes = 12.4 + rng.gauss(0, 0.2), ["P0562"] if rng.random() < 0.6 else []

    def phase(rpm: float, trim: float, n: int) -> dict:
        return {
            "duration_s": n,
            "t": list(map(float, range(n))),
            "series": {
                "RPM": _series(rng, rpm, 15, n),
                "SHORT_FUEL_TRIM_1": _series(rng, trim / 3, 1.5, n),
                "LONG_FUEL_TRIM_1": [round(2 * trim / 3, 2)] * n,
                "COOLANT_TEMP": _series(rng, 88, 1, n),
                "CONTROL_MODULE_VOLTAGE": _series(rng, volts, 0.05, n),
            },
        }

    snapshot = {
        "schema_version": 1,
        "vehicle": VEHICLE,
        "mil_on": bool(codes),
        "ecus": [{"address": "7E8", "stored": codes}],
        "phases": {"idle": phase(800, idle_trim, 40), "hold_2500": phase(2500, hold_trim, 20)},
    }
    faults = [{"id": fault, "severity": 0.8}] if fault else []
    return {
        "case_id": f"t{seed}",
        "seed": seed,
        "profile": "small_petrol",
        "snapshot": snapshot,
        "truth": {"faults": faults, "expected_codes": codes, "healthy": not faults},
    }


FAULTS = [None, "vacuum_leak", "low_fuel_pressure", "charging_fault"]


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return [_case(seed, FAULTS[seed % 4]) for seed in range(1, 101)]


@pytest.fixture(scope="module")
def ranker(cases):
    trained, report = train_ranker(cases)
    assert report["model_cases"] == 80 and report["calibration_cases"] == 20
    return trained


def test_trained_ranker_ranks_new_cases(ranker) -> None:
    right = 0
    for seed in range(5000, 5040):
        fault = FAULTS[seed % 4]
        d = diagnose(_case(seed, fault)["snapshot"], model=ranker)
        if fault is None:
            right += d.status == "no_fault_found"
        else:
            right += d.status == "fault_found" and d.causes[0].cause == fault
    assert right >= 34, right  # 85 % of 40 new cases


def test_combination_is_a_distribution_with_evidence(ranker) -> None:
    d = diagnose(_case(9001, "vacuum_leak")["snapshot"], model=ranker)
    assert sum(d.posterior.values()) == pytest.approx(1.0, abs=1e-3)
    assert d.causes[0].evidence_for  # the rules keep the explanation, whoever ranks first
    assert np.isfinite([ranker.a, ranker.b, ranker.c, ranker.d]).all()


def test_training_is_reproducible_to_the_byte(cases, tmp_path: Path) -> None:
    first, _ = train_ranker(cases[:50])
    again, _ = train_ranker(cases[49::-1])  # the files' order does not matter either
    assert again.model.booster.model_to_string() == first.model.booster.model_to_string()
    save(first, tmp_path / "first.json.gz")
    (tmp_path / "other").mkdir()
    save(again, tmp_path / "other" / "again.json.gz")  # another name, another second
    assert (tmp_path / "first.json.gz").read_bytes() == (
        tmp_path / "other" / "again.json.gz"
    ).read_bytes()


def test_artefact_round_trip_and_damage(ranker, tmp_path: Path) -> None:
    path = tmp_path / "model.json.gz"
    save(ranker, path)
    loaded = load(path)
    snap = _case(77, "low_fuel_pressure")["snapshot"]
    a, b = diagnose(snap, model=ranker), diagnose(snap, model=loaded)
    assert max(abs(a.posterior[h] - b.posterior[h]) for h in a.posterior) < 1e-3
    assert a.confidence == b.confidence and a.status == b.status
    assert [c.probability for c in a.causes] == [c.probability for c in b.causes]
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="cannot read the model artefact"):
        load(path)
    with gzip.open(path, "wt") as out:  # an artefact of the first (linear) format
        json.dump({"format": 1, "codes": [], "weights": []}, out)
    with pytest.raises(ValueError, match="format 1, expected 3"):
        load(path)


def test_an_artefact_whose_weights_fit_other_inputs_is_refused(ranker, tmp_path: Path) -> None:
    """The calibration map and the abstention must weigh the inputs this code computes."""
    path = tmp_path / "model.json.gz"
    save(ranker, path)
    with gzip.open(path, "rt") as source:
        data = json.load(source)
    stale = [
        ("confidence", [1.0, 0.0, 0.0], "calibration map"),
        ("abstention", {"inputs": ["bias"], "weights": [0.0], "threshold": 0.5}, "abstention"),
    ]
    for key, value, message in stale:
        with gzip.open(path, "wt") as out:
            json.dump({**data, key: value}, out)
        with pytest.raises(ValueError, match=message):
            load(path)


def test_held_out_profile_dev_and_eval_seeds_never_train(cases) -> None:
    other = (
        [dict(c, profile="turbo_petrol") for c in cases]
        + [dict(c, seed=c["seed"] + DEV_FIRST_SEED) for c in cases]
        + [dict(c, seed=c["seed"] + EVAL_FIRST_SEED) for c in cases]
    )
    with pytest.raises(TrainingError, match="too few"):
        train_ranker(other)


def test_generated_training_seeds_stay_below_the_dev_split() -> None:
    with pytest.raises(TrainingError, match="training seeds"):
        generate_cases(10, DEV_FIRST_SEED - 5)


def test_read_cases_errors(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="cannot read"):
        read_cases(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"nope": 1}\n')
    with pytest.raises(TrainingError, match="not a labelled case"):
        read_cases(bad)


def test_shipped_ranker_only_for_the_shipped_knowledge_base() -> None:
    assert shipped_ranker(default_kb().without({"vacuum_leak"})) is None


def test_model_split_cases_also_train_without_their_freeze_frame(cases) -> None:
    """A freeze frame's absence must not read as evidence (other tools never read one)."""
    from diagnostics.training import prepare_pool

    framed = _case(11, "vacuum_leak")  # seed 11: model split (11 % 5 != 0)
    frame = {"ecu": "7E8", "frame": 0, "dtc": "P0171", "values": {"LONG_FUEL_TRIM_1": 20.0}}
    framed["snapshot"] = {**framed["snapshot"], "freeze_frames": [frame]}
    plain = _case(12, "vacuum_leak")
    calibrated = {**framed, "seed": 15}  # calibration split: never augmented
    model, calibration = prepare_pool([framed, plain, calibrated], default_kb())
    assert model.seeds == [11, 11, 12] and calibration.seeds == [15]
    assert model.features[0].get("ff_trim") == 20.0 and model.features[1].get("ff_trim") is None
    assert model.features[1].get("trim_idle") == model.features[0].get("trim_idle")


def test_a_snapshot_without_engine_type_is_ranked_by_the_rules_alone(ranker) -> None:
    """The model never saw a car without an engine type: it must not rank one."""
    snapshot = {**_case(31, "vacuum_leak")["snapshot"], "vehicle": None}
    with_model = diagnose(snapshot, model=ranker).posterior
    assert with_model == diagnose(snapshot, model=None).posterior
    typed = _case(31, "vacuum_leak")["snapshot"]
    assert diagnose(typed, model=ranker).posterior != diagnose(typed, model=None).posterior


def _with_codes(case: dict) -> dict:
    """The case with several codes and symptoms (sets whose order follows the hash seed)."""
    extra = ["P0171", "P0174", "P0300", "P0420", "P0442"][: 1 + case["seed"] % 5]
    ecus = [{"address": "7E8", "stored": sorted({*case["snapshot"]["ecus"][0]["stored"], *extra})}]
    symptoms = ["rough_idle", "hesitation", "fuel_smell"][: case["seed"] % 4]
    return {**case, "snapshot": {**case["snapshot"], "ecus": ecus, "symptoms": symptoms}}


def test_training_is_the_same_in_another_process(cases) -> None:
    """Another hash seed (another order of every set) trains the same trees."""
    import os
    import subprocess
    import sys

    script = (
        "from tests.diagnostics.test_model import FAULTS, _case, _with_codes\n"
        "from diagnostics.training import train_ranker\n"
        "cases = [_with_codes(_case(seed, FAULTS[seed % 4])) for seed in range(1, 51)]\n"
        "print(train_ranker(cases)[0].model.booster.model_to_string(), end='')\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)}
    other = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True
    )
    assert other.returncode == 0, other.stderr
    here, _ = train_ranker([_with_codes(c) for c in cases[:50]])
    assert other.stdout == here.model.booster.model_to_string()


def test_scores_without_some_causes_are_those_of_the_reduced_knowledge_base(cases) -> None:
    """The abstention folds reuse the full scores: they must equal a fresh scoring."""
    kb = default_kb()
    reduced = kb.without({"vacuum_leak", "misfire", "ignition_coil"})
    for case in cases[:8]:
        f = extract(load_snapshot(_with_codes(case)["snapshot"]))
        fast = without_causes(reduced, f, score(kb, f)).log
        assert fast == score(reduced, f).log  # to the bit, in the same order


def test_shown_probabilities_are_calibrated_and_never_rise_down_the_ranking(ranker) -> None:
    d = diagnose(_case(5003, "vacuum_leak")["snapshot"], model=ranker)
    shown = [c.probability for c in d.causes]
    assert shown == sorted(shown, reverse=True) and all(0 <= p <= 1 for p in shown)
    assert ranker.confidence is not None and d.confidence is not None
    # A map that doubts the first hypothesis: shown below the combined probability.
    doubtful = Confidence([1.0, 0.0, 0.0, -3.0])
    ranked = [("vacuum_leak", 0.5), ("low_fuel_pressure", 0.3), ("healthy", 0.2)]
    out = doubtful.shown(ranked)
    assert out["vacuum_leak"] < 0.5 and out["low_fuel_pressure"] == out["vacuum_leak"]
    sure = Confidence([1.0, 0.0, 0.0, 3.0]).shown(ranked)
    assert sure["vacuum_leak"] > 0.9 and sure["low_fuel_pressure"] == 0.3  # the others: combined


def test_the_abstention_counts_what_the_leaders_do_not_explain_and_decides(ranker) -> None:
    import copy

    from diagnostics.model import ABSTENTION_INPUTS, Abstention, abstention_inputs

    kb = default_kb()
    snapshot = _case(5001, "vacuum_leak")["snapshot"]
    snapshot = {**snapshot, "ecus": [{"address": "7E8", "stored": ["P0171", "P1A2B", "P0562"]}]}
    f = extract(load_snapshot(snapshot))
    ranked = [("vacuum_leak", 0.7), ("low_fuel_pressure", 0.2), ("healthy", 0.1)]
    x = dict(zip(ABSTENTION_INPUTS, abstention_inputs(kb, f, ranked, dict(ranked)), strict=True))
    assert x["codes_no_cause_lists"] == 1  # P1A2B
    assert x["codes_the_leaders_do_not_explain"] == 2  # P1A2B, and P0562 (the charging system)
    assert x["healthy_first"] == 0 and x["bias"] == 1
    always, never = copy.copy(ranker), copy.copy(ranker)
    always.abstention = Abstention([0, 0, 0, 0, 0, 0, 5.0], threshold=0.5)
    never.abstention = Abstention([0, 0, 0, 0, 0, 0, -5.0], threshold=0.5)
    plain = _case(5001, "vacuum_leak")["snapshot"]
    assert diagnose(plain, model=always).status == "unknown_fault"
    assert diagnose(plain, model=never).status == "fault_found"
    assert ranker.abstention is None  # 15 "unknown" examples in the tiny set: too few to fit
