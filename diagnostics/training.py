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
from diagnostics.model import (
    ARTEFACT,
    Abstention,
    Prepared,
    Ranker,
    _fit_logistic,
    abstention_inputs,
    base_id,
    fit_calibration,
    fit_model,
    ranked_hypotheses,
    save,
)
from diagnostics.rules import HEALTHY, without_causes

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
#: The abstention is fitted on faults held out of training and of the knowledge base, fold
#: by fold: the knowledge base's causes (never :data:`HELD_OUT_FAULTS`) are dealt into this
#: many folds; each fold's causes are hidden while a ranker is trained on the rest.
ABSTENTION_FOLDS = 3
#: The share of the calibration cases the ranker gets right (known faults, healthy cars)
#: that the abstention may turn into "unknown fault": the threshold is set to it.
FALSE_UNKNOWN_BUDGET = 0.04
#: Fewer "unknown" or "known" examples than this: no fitted abstention (the rules' "unknown"
#: hypothesis and the engine's fixed threshold decide, as without a model).
MIN_ABSTENTION_EXAMPLES = 50


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
    ranker, report = train_prepared(model_data, calibration, seed, kb, drop_faults)
    report["dropped_faults"] = sorted(drop_faults)
    ranker.meta.update(report)
    return ranker, report


def train_prepared(
    model_data: Prepared,
    calibration: Prepared,
    seed: int = TRAIN_SEED,
    kb: KnowledgeBase | None = None,
    drop_faults: Iterable[str] = (),
):
    """The fitting steps of :func:`train_ranker` on cases already turned into features."""
    kb = kb or default_kb()
    model_data, calibration = model_data.in_seed_order(), calibration.in_seed_order()
    random.seed(seed)
    np.random.seed(seed)
    vectoriser, model = fit_model(model_data, seed)
    ranker = Ranker(vectoriser, model)
    fit_calibration(ranker, calibration)
    abstention_report = fit_abstention(ranker, model_data, calibration, kb, seed, drop_faults)
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
        "abstention": abstention_report,
    }
    ranker.meta.update(report)
    return ranker, report


def _subset(data: Prepared, keep: list[int], reduced: KnowledgeBase) -> Prepared:
    """The rows ``keep`` of ``data``, scored as under the ``reduced`` knowledge base."""
    out = Prepared([], [], [], [], [])
    for i in keep:
        out.features.append(data.features[i])
        out.scores.append(without_causes(reduced, data.features[i], data.scores[i]))
        out.labels.append(data.labels[i])
        out.profiles.append(data.profiles[i])
        out.seeds.append(data.seeds[i])
    return out


def abstention_folds(data: Prepared, exclude: Iterable[str] = ()) -> list[set[str]]:
    """The causes of ``data``'s labels (never :data:`HELD_OUT_FAULTS` nor ``exclude``),
    dealt in sorted order into :data:`ABSTENTION_FOLDS` folds."""
    left_out = {HEALTHY, *HELD_OUT_FAULTS, *exclude}
    causes = sorted({base_id(h) for labels in data.labels for h in labels} - left_out)
    folds = [set(causes[k::ABSTENTION_FOLDS]) for k in range(ABSTENTION_FOLDS)]
    return [fold for fold in folds if fold]


def fit_abstention(
    ranker: Ranker,
    model_data: Prepared,
    calibration: Prepared,
    kb: KnowledgeBase,
    seed: int,
    exclude: Iterable[str] = (),
) -> dict[str, Any]:
    """Fit ``ranker.abstention`` (see :class:`diagnostics.model.Abstention`).

    For each fold of causes: a ranker trained and calibrated without them, with a knowledge
    base that knows nothing of them, diagnoses the calibration cases; those whose faults are
    all in the fold are "unknown" examples, those with none of them (known faults, healthy
    cars) are "known" ones. The logistic weights are fitted on all folds' examples; the
    threshold lets through :data:`FALSE_UNKNOWN_BUDGET` of the known examples the fold's
    ranker got right. Returns the counts and rates on these examples (in-sample)."""
    rows, unknown, right = [], [], []
    kept_kbs = []  # alive until the end: the knowledge base caches by object
    for fold in abstention_folds(model_data, exclude):
        reduced = kb.without(fold)
        kept_kbs.append(reduced)

        def touches(labels: list[str], fold: set[str] = fold) -> int:
            hits = sum(base_id(h) in fold for h in labels)
            return 0 if hits == 0 else 2 if hits == len(labels) else 1

        fold_model = _subset(
            model_data, [i for i, t in enumerate(model_data.labels) if not touches(t)], reduced
        )
        marks = [touches(t) for t in calibration.labels]
        fold_calibration = _subset(calibration, [i for i, m in enumerate(marks) if m == 0], reduced)
        vectoriser, model = fit_model(fold_model, seed)
        fold_ranker = Ranker(vectoriser, model)
        fit_calibration(fold_ranker, fold_calibration)
        for i, mark in enumerate(marks):
            if mark == 1:
                continue  # a known fault with an unknown one: neither example
            f = calibration.features[i]
            scores = without_causes(reduced, f, calibration.scores[i])
            ranked = ranked_hypotheses(fold_ranker.posterior(scores, f))
            shown = fold_ranker.shown(ranked)
            rows.append(abstention_inputs(reduced, f, ranked, shown))
            unknown.append(float(mark == 2))
            right.append(mark == 0 and ranked[0][0] in calibration.labels[i])
    x, y = np.array(rows), np.array(unknown)
    if min(y.sum(), len(y) - y.sum()) < MIN_ABSTENTION_EXAMPLES:
        ranker.abstention = None  # a fit on so few would separate them by chance
        return {"unknown_examples": int(y.sum()), "known_examples": int(len(y) - y.sum())}
    weights = _fit_logistic(x, y)
    scores = 1.0 / (1.0 + np.exp(-(x @ np.array(weights))))
    known_right = np.sort(scores[np.array(right)])
    cut = int(len(known_right) * (1 - FALSE_UNKNOWN_BUDGET))
    threshold = float(known_right[min(cut, len(known_right) - 1)]) if len(known_right) else 0.5
    ranker.abstention = Abstention(weights, round(threshold, 6))
    flagged = scores > threshold
    return {
        "folds": [sorted(f) for f in abstention_folds(model_data, exclude)],
        "unknown_examples": int(y.sum()),
        "known_examples": int(len(y) - y.sum()),
        "threshold": round(threshold, 4),
        "abstains_on_unknown": round(float(flagged[y == 1].mean()), 4) if y.any() else None,
        "unknown_on_known": round(float(flagged[y == 0].mean()), 4),
    }


def train_and_save(cases: Iterable[dict], out: Path = ARTEFACT) -> dict[str, Any]:
    """Train the shipped ranker (all knowledge-base causes) and write its artefact."""
    ranker, report = train_ranker(cases)
    save(ranker, out)
    report["artefact"] = str(out)
    report["artefact_bytes"] = out.stat().st_size
    return report
