"""``novaevo diagnostics train``: one reproducible training run of the shipped ranker.

Cases come from a ``.jsonl`` file of the simulator's labelled cases (``firmware_sim.cases``
writes them; ``--generate N`` runs it in process). Splits are decided by the case seed and
profile, never at random: the held-out profile (:data:`HELD_OUT_PROFILE`) and the evaluation
seeds (:data:`EVAL_FIRST_SEED` on) never enter training; the abstention faults
(:data:`HELD_OUT_FAULTS`) are dropped from training and from the knowledge base when the
abstention figure is measured. Of the remaining cases, those whose seed % 5 == 0 form the
calibration split (fitted after the model, never used to fit it).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from diagnostics.kb import KnowledgeBase, default_kb
from diagnostics.model import ARTEFACT, Prepared, Ranker, fit_calibration, fit_model, prepare, save

TRAIN_SEED = 13
HELD_OUT_PROFILE = "turbo_petrol"
HELD_OUT_FAULTS = (
    "knock_sensor_fault",
    "o2_heater_downstream",
    "tcc_stuck_off",
    "glow_plug_fault",
    "vvt_stuck",
)
EVAL_FIRST_SEED = 900_000
CALIBRATION_EVERY = 5


class TrainingError(ValueError):
    """No usable cases, or a case file that cannot be read."""


def read_cases(path: Path, limit: int | None = None) -> list[dict]:
    """Labelled cases from a ``.jsonl`` file (a torn last line is skipped).

    Raises :class:`TrainingError` when the file cannot be read or holds no case.
    """
    cases = []
    try:
        with path.open(encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                if limit is not None and len(cases) >= limit:
                    break
                try:
                    case = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a file still being written ends with a partial line
                if not isinstance(case, dict) or "snapshot" not in case or "truth" not in case:
                    raise TrainingError(f"{path}:{number}: not a labelled case")
                cases.append(case)
    except OSError as error:
        raise TrainingError(f"cannot read {path}: {error.strerror}") from None
    if not cases:
        raise TrainingError(f"{path} holds no labelled case")
    return cases


def generate_cases(count: int, first_seed: int) -> list[dict]:
    """Generate labelled cases in process with the simulator (training/eval only)."""
    try:
        from firmware_sim.cases import generate_case
    except ImportError as error:  # the simulator's case generator has not landed
        raise TrainingError(f"the simulator's case generator is not available: {error}") from None
    return [generate_case(seed) for seed in range(first_seed, first_seed + count)]


def _has(case: dict, faults: Iterable[str]) -> bool:
    wanted = set(faults)
    return any(f["id"].partition(":")[0] in wanted for f in case["truth"].get("faults", []))


def training_pool(cases: list[dict], drop_faults: Iterable[str] = ()) -> list[dict]:
    """Cases allowed in training: not the held-out profile, not evaluation seeds, and
    without the ``drop_faults``."""
    drop = tuple(drop_faults)
    return [
        c
        for c in cases
        if c.get("profile") != HELD_OUT_PROFILE
        and c.get("seed", 0) < EVAL_FIRST_SEED
        and not (drop and _has(c, drop))
    ]


def split(cases: list[dict]) -> tuple[list[dict], list[dict]]:
    """(model split, calibration split) by seed."""
    model = [c for c in cases if c.get("seed", 0) % CALIBRATION_EVERY != 0]
    calibration = [c for c in cases if c.get("seed", 0) % CALIBRATION_EVERY == 0]
    return model, calibration


def train_ranker(
    cases: list[dict],
    kb: KnowledgeBase | None = None,
    drop_faults: Iterable[str] = (),
    seed: int = TRAIN_SEED,
) -> tuple[Ranker, dict]:
    """Fit the model on the model split and the combination on the calibration split.

    Returns the ranker and a report (counts, calibration NLL). Raises TrainingError when a
    split is empty.
    """
    random.seed(seed)
    np.random.seed(seed)
    kb = kb or default_kb()
    pool = training_pool(cases, drop_faults)
    model_cases, calibration_cases = split(pool)
    if len(model_cases) < 20 or len(calibration_cases) < 5:
        raise TrainingError(
            f"too few training cases ({len(model_cases)} model, "
            f"{len(calibration_cases)} calibration)"
        )
    fit_data: Prepared = prepare(model_cases, kb)
    vectoriser, model = fit_model(fit_data, seed)
    ranker = Ranker(vectoriser, model)
    calibration = prepare(calibration_cases, kb)
    fit_calibration(ranker, calibration)
    report = {
        "seed": seed,
        "model_cases": len(model_cases),
        "calibration_cases": len(calibration_cases),
        "held_out_profile": HELD_OUT_PROFILE,
        "dropped_faults": sorted(drop_faults),
        "classes": len(model.classes),
        "columns": len(vectoriser.columns),
        "a": round(ranker.a, 4),
        "b": round(ranker.b, 4),
        "c": round(ranker.c, 4),
        "d": round(ranker.d, 4),
        "e": round(ranker.e, 4),
        "calibration_nll": ranker.meta.get("calibration_nll"),
        "seeds": [min(c["seed"] for c in pool), max(c["seed"] for c in pool)],
    }
    ranker.meta.update(report)
    return ranker, report


def train_and_save(cases: list[dict], out: Path = ARTEFACT) -> dict[str, Any]:
    """Train the shipped ranker (all knowledge-base causes) and write its artefact."""
    ranker, report = train_ranker(cases)
    save(ranker, out)
    report["artefact"] = str(out)
    report["artefact_bytes"] = out.stat().st_size
    return report
