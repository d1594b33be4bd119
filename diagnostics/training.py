"""``novaevo diagnostics train``: one reproducible training run of the shipped ranker.

Cases come from a ``.jsonl`` file of the simulator's labelled cases (``firmware_sim.cases``
writes them; ``--generate N`` runs it in process). Splits are decided by the case seed and
profile, never at random:

- seeds below :data:`DEV_FIRST_SEED`: training. Of those, seed % 5 == 0 is the calibration
  split (fitted after the model, never used to fit it), the rest fits the model;
- :data:`DEV_FIRST_SEED` to :data:`DEV_LAST_SEED`: the development split, for every tuning
  decision; never trained on;
- :data:`EVAL_FIRST_SEED` on: the held-out evaluation set, measured once; never trained on.

The held-out profile (:data:`HELD_OUT_PROFILE`) never enters training; the abstention faults
(:data:`HELD_OUT_FAULTS`) are dropped from training and from the knowledge base when the
abstention figure is measured.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from diagnostics.kb import KnowledgeBase, default_kb
from diagnostics.model import ARTEFACT, Prepared, Ranker, fit_calibration, fit_model, save

TRAIN_SEED = 13
HELD_OUT_PROFILE = "turbo_petrol"
HELD_OUT_FAULTS = (
    "knock_sensor_fault",
    "o2_heater_downstream",
    "tcc_stuck_off",
    "glow_plug_fault",
    "vvt_stuck",
)
DEV_FIRST_SEED = 2_000_000
DEV_LAST_SEED = 2_099_999
EVAL_FIRST_SEED = 3_000_000
CALIBRATION_EVERY = 5
#: Every model-split case with a freeze frame also trains without it: in the simulator a
#: stored code without a freeze frame is a stale code from an old repair, so the model would
#: learn "no freeze frame = not this code's cause", which is wrong for the many tools and
#: apps that never read freeze frames.
AUGMENT_EVERY = 1


class TrainingError(ValueError):
    """No usable cases, or a case file that cannot be read."""


def read_cases(path: Path, limit: int | None = None) -> list[dict]:
    """Labelled cases from a ``.jsonl`` file (a torn last line is skipped).

    Raises :class:`TrainingError` when the file cannot be read or holds no case.
    """
    cases = []
    for case in iter_cases(path):
        if limit is not None and len(cases) >= limit:
            break
        cases.append(case)
    return cases


def iter_cases(path: Path) -> Iterator[dict]:
    """The labelled cases of a ``.jsonl`` file one at a time (tens of thousands of cases do
    not fit in memory at once). Raises :class:`TrainingError` as :func:`read_cases`."""
    found = False
    try:
        with path.open(encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                try:
                    case = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a file still being written ends with a partial line
                if not isinstance(case, dict) or "snapshot" not in case or "truth" not in case:
                    raise TrainingError(f"{path}:{number}: not a labelled case")
                found = True
                yield case
    except OSError as error:
        raise TrainingError(f"cannot read {path}: {error.strerror}") from None
    if not found:
        raise TrainingError(f"{path} holds no labelled case")


def generate_cases(count: int, first_seed: int, workers: int = 1) -> Iterator[dict]:
    """Generate labelled cases with the simulator (``workers`` processes), seeds
    ``first_seed``..., one at a time. Raises TrainingError for seeds outside the training
    range."""
    if first_seed < 0 or first_seed + count > DEV_FIRST_SEED:
        raise TrainingError(f"training seeds must lie in 0 to {DEV_FIRST_SEED - 1:,}")
    from firmware_sim.cases import case_lines

    lines = case_lines(range(first_seed, first_seed + count), workers=workers)
    return (json.loads(line) for line in lines)


def evaluation_seeds(dev: bool = False) -> tuple[range, str]:
    """The seeds of the development split (``dev``) or of the held-out set, and its name."""
    if dev:
        return range(DEV_FIRST_SEED, DEV_LAST_SEED + 1), "development"
    return range(EVAL_FIRST_SEED, 2**63), "held-out"


def _has(case: dict, faults: Iterable[str]) -> bool:
    wanted = set(faults)
    return any(f["id"].partition(":")[0] in wanted for f in case["truth"].get("faults", []))


def in_training_pool(case: dict, drop_faults: Iterable[str] = ()) -> bool:
    """True for a case allowed in training: not the held-out profile, a training seed, and
    none of the ``drop_faults``."""
    drop = tuple(drop_faults)
    return (
        case.get("profile") != HELD_OUT_PROFILE
        and 0 <= case.get("seed", -1) < DEV_FIRST_SEED
        and not (drop and _has(case, drop))
    )


def prepare_pool(
    cases: Iterable[dict], kb: KnowledgeBase, drop_faults: Iterable[str] = ()
) -> tuple[Prepared, Prepared]:
    """(model split, calibration split) of the training pool, as features, streaming."""
    drop = tuple(drop_faults)
    model, calibration = Prepared([], [], [], [], []), Prepared([], [], [], [], [])
    for case in cases:
        if not in_training_pool(case, drop):
            continue
        if case["seed"] % CALIBRATION_EVERY == 0:
            calibration.add(case, kb)
        else:
            model.add(case, kb, augment=case["seed"] % AUGMENT_EVERY == 0)
    return model, calibration


def train_ranker(
    cases: Iterable[dict],
    kb: KnowledgeBase | None = None,
    drop_faults: Iterable[str] = (),
    seed: int = TRAIN_SEED,
) -> tuple[Ranker, dict]:
    """Fit the model on the model split and the combination on the calibration split.

    Returns the ranker and a report (counts, calibration NLL). Raises TrainingError when a
    split is empty.
    """
    kb = kb or default_kb()
    model_data, calibration = prepare_pool(cases, kb, drop_faults)
    if len(model_data.seeds) < 20 or len(calibration.seeds) < 5:
        raise TrainingError(
            f"too few training cases ({len(model_data.seeds)} model, "
            f"{len(calibration.seeds)} calibration)"
        )
    ranker, report = train_prepared(model_data, calibration, seed)
    report["dropped_faults"] = sorted(drop_faults)
    ranker.meta.update(report)
    return ranker, report


def train_prepared(model_data: Prepared, calibration: Prepared, seed: int = TRAIN_SEED):
    """The fitting steps of :func:`train_ranker` on cases already turned into features."""
    random.seed(seed)
    np.random.seed(seed)
    vectoriser, model = fit_model(model_data, seed)
    ranker = Ranker(vectoriser, model)
    fit_calibration(ranker, calibration)
    seeds = model_data.seeds + calibration.seeds
    report = {
        "seed": seed,
        "model_cases": len(model_data.seeds),
        "calibration_cases": len(calibration.seeds),
        "held_out_profile": HELD_OUT_PROFILE,
        "classes": len(model.classes),
        "columns": len(vectoriser.columns),
        "trees": model.booster.num_trees(),
        "a": round(ranker.a, 4),
        "b": round(ranker.b, 4),
        "c": round(ranker.c, 4),
        "d": round(ranker.d, 4),
        "e": round(ranker.e, 4),
        "calibration_nll": ranker.meta.get("calibration_nll"),
        "seeds": [min(seeds), max(seeds)],
    }
    ranker.meta.update(report)
    return ranker, report


def train_and_save(cases: Iterable[dict], out: Path = ARTEFACT) -> dict[str, Any]:
    """Train the shipped ranker (all knowledge-base causes) and write its artefact."""
    ranker, report = train_ranker(cases)
    save(ranker, out)
    report["artefact"] = str(out)
    report["artefact_bytes"] = out.stat().st_size
    return report
