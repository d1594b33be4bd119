"""``novaevo diagnostics eval``: the figures of BENCHMARKS.md, measured on held-out cases.

Held-out cases: seeds from :data:`~diagnostics.training.EVAL_FIRST_SEED` on (never used in
training), including the whole held-out profile; the five abstention faults are measured
with a knowledge base and a ranker that know nothing of them. Next to the system, the same
figures for a DTC-lookup-only baseline (what a code reader's "likely causes" does: the causes
listed for the codes, ranked by how often each sets the code; no code -> "no fault").

Top-1 is right when the first cause is one of the true faults (cylinder included), or for a
healthy car when the verdict is "no fault found"; an abstention counts as wrong. Top-3: a true
fault among the first three. ECE: the most probable hypothesis' probability against its
correctness, 10 equal-width bins (the calibrated probability the diagnosis shows).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from diagnostics.carobd import recordings
from diagnostics.engine import answer, diagnose
from diagnostics.features import extract
from diagnostics.kb import KnowledgeBase, default_kb
from diagnostics.model import Ranker, case_labels
from diagnostics.rules import HEALTHY, hypotheses, hypothesis_id
from diagnostics.snapshot import Diagnosis, load_snapshot
from diagnostics.training import HELD_OUT_FAULTS, HELD_OUT_PROFILE, train_ranker

WRONG_ANSWER_RATE = 0.10
ANSWER_SEED = 7


def severity_band(case: dict) -> str:
    """low / medium / high from the most severe true fault."""
    faults = case["truth"].get("faults", [])
    if not faults:
        return "healthy"
    worst = max(f.get("severity", 0.0) for f in faults)
    return "low" if worst < 0.4 else "medium" if worst < 0.7 else "high"


def baseline(snapshot: dict, kb: KnowledgeBase) -> list[tuple[str, float]]:
    """DTC lookup only: causes that list the codes read, by P(code | cause) x prior."""
    f = extract(load_snapshot(snapshot))
    scores: dict[str, float] = defaultdict(float)
    for cause, cylinder in hypotheses(kb, f):
        table = cause.codes_for(cylinder)
        for code in sorted(f.codes):
            if code in table:
                scores[hypothesis_id(cause, cylinder)] += table[code] * cause.prior
    total = sum(scores.values())
    return sorted(((h, s / total) for h, s in scores.items()), key=lambda kv: -kv[1])


def _top(d: Diagnosis) -> tuple[str, float]:
    """The most probable hypothesis and its calibrated probability (the combined one for a
    ranker without a calibration map)."""
    h = max(d.posterior, key=d.posterior.get)
    return h, d.posterior[h] if d.confidence is None else d.confidence


def _ranked(d: Diagnosis) -> list[str]:
    if d.status == "no_fault_found":
        return [HEALTHY]
    if d.status != "fault_found":
        return []
    return [c.cause for c in d.causes]


def _simulated_result(
    d: Diagnosis, labels: list[str], kb: KnowledgeBase, rng: random.Random
) -> str:
    """The outcome the truth makes most likely, wrong 10 % of the time. With several true
    faults, the test shows the first of them it is about (a coil swap reveals the coil)."""
    test = kb.tests[d.next_test.id]
    about = [label.partition(":")[0] for label in labels if label.partition(":")[0] in test.causes]
    if about:
        right = test.expected(about[0])
    else:
        right = max(test.outcomes, key=lambda o: test.distribution(None)[o])
    if rng.random() < WRONG_ANSWER_RATE:
        return rng.choice([o for o in test.outcomes if o != right])
    return right


class Tally:
    """Counts of one system on one group of cases."""

    def __init__(self) -> None:
        self.n = self.top1 = self.top3 = self.after = 0
        self.bins: list[list[float]] = [[0, 0.0, 0.0] for _ in range(10)]

    def add(
        self,
        ranked: list[str],
        labels: list[str],
        confidence: float,
        correct: bool,
        after: bool | None = None,
    ) -> None:
        """Record one case."""
        self.n += 1
        self.top1 += bool(ranked) and ranked[0] in labels
        self.top3 += any(h in labels for h in ranked[:3])
        self.after += (ranked[0] in labels if ranked else False) if after is None else after
        b = self.bins[min(int(confidence * 10), 9)]
        b[0] += 1
        b[1] += confidence
        b[2] += correct

    def ece(self) -> float:
        """Expected calibration error."""
        return sum(abs(b[1] - b[2]) for b in self.bins if b[0]) / max(self.n, 1)

    def report(self) -> dict[str, Any]:
        """The figures as fractions."""
        n = max(self.n, 1)
        return {
            "n": self.n,
            "top1": round(self.top1 / n, 4),
            "top3": round(self.top3 / n, 4),
            "top1_after_test": round(self.after / n, 4),
            "ece": round(self.ece(), 4),
        }


def case_record(
    case: dict,
    kb: KnowledgeBase,
    ranker: Ranker | None,
    reduced: tuple[KnowledgeBase, Ranker] | None,
) -> dict[str, Any]:
    """Everything measured on one held-out case (aggregated by :func:`aggregate`)."""
    labels = case_labels(case)
    rng = random.Random(ANSWER_SEED * 1_000_003 + case.get("seed", 0))
    record: dict[str, Any] = {"seed": case.get("seed"), "labels": labels, "groups": _groups(case)}
    held = [f for f in labels if f.partition(":")[0] in HELD_OUT_FAULTS]
    if reduced and held and len(held) == len(labels):
        unknown = diagnose(case["snapshot"], kb=reduced[0], model=reduced[1])
        record["abstained"] = unknown.status == "unknown_fault"
    started = time.perf_counter()
    d = diagnose(case["snapshot"], kb=kb, model=ranker)
    record["ms"] = (time.perf_counter() - started) * 1000
    top, confidence = _top(d)
    record["system"] = {
        "ranked": _ranked(d)[:3],
        "confidence": confidence,
        "correct": top in labels,
        "after": _after_test(d, labels, kb, rng, ranker),
        "alarm": any(c.probability > 0.5 for c in d.causes),
    }
    base = baseline(case["snapshot"], kb)
    ranked = [h for h, _ in base][:3] or [HEALTHY]
    record["baseline"] = {
        "ranked": ranked,
        "confidence": base[0][1] if base else 1.0,
        "correct": ranked[0] in labels,
        "after": ranked[0] in labels,
        "alarm": bool(base) and base[0][1] > 0.5,
    }
    return record


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The report of many :func:`case_record` results."""
    groups: dict[str, dict[str, Tally]] = defaultdict(
        lambda: {"system": Tally(), "baseline": Tally()}
    )
    unknown = {"n": 0, "abstained": 0, "baseline_abstained": 0}
    alarms = {"n": 0, "system": 0, "baseline": 0}
    for r in records:
        for group in r["groups"]:
            for system in ("system", "baseline"):
                s = r[system]
                groups[group][system].add(
                    s["ranked"], r["labels"], s["confidence"], s["correct"], s["after"]
                )
        if "abstained" in r:
            unknown["n"] += 1
            unknown["abstained"] += r["abstained"]  # the baseline never abstains
        if r["labels"] == [HEALTHY]:
            alarms["n"] += 1
            alarms["system"] += r["system"]["alarm"]
            alarms["baseline"] += r["baseline"]["alarm"]
    seeds = [r["seed"] for r in records]
    return {
        "cases": len(records),
        "held_out_profile": HELD_OUT_PROFILE,
        "held_out_faults": list(HELD_OUT_FAULTS),
        "seeds": [min(seeds), max(seeds)],
        "groups": {g: {k: t.report() for k, t in v.items()} for g, v in sorted(groups.items())},
        "unknown_faults": _rate(unknown, "abstained", "baseline_abstained"),
        "healthy_false_alarms": _rate(alarms, "system", "baseline"),
        "diagnose_ms_p50_p95": _percentiles([r["ms"] / 1000 for r in records]),
    }


class EvaluationError(ValueError):
    """Nothing to measure: no held-out case was given."""


def evaluate(
    heldout: Iterable[dict],
    training: Iterable[dict],
    *,
    ranker: Ranker | None = None,
    carobd_dir: Path | None = None,
    progress=None,
    records_out: list | None = None,
    reduced: tuple[KnowledgeBase, Ranker] | None = None,
) -> dict[str, Any]:
    """All the figures (see the module docstring). ``ranker``: the shipped one by default.
    ``records_out``: receives the per-case records (to merge runs over several files).
    Both case sources are read once, one case at a time. Raises :class:`EvaluationError`
    when ``heldout`` is empty. ``reduced``: the knowledge base and ranker without the
    abstention faults, when already trained (``training`` is then not read)."""
    kb = default_kb()
    if ranker is None:
        from diagnostics.model import shipped_ranker

        ranker = shipped_ranker(kb)
    cases = iter(heldout)
    first = next(cases, None)
    if first is None:  # say so before the minutes spent training the reduced ranker
        raise EvaluationError("no held-out case to measure")
    if reduced is None:
        reduced_kb = kb.without(set(HELD_OUT_FAULTS))
        reduced_ranker, _ = train_ranker(training, reduced_kb, drop_faults=HELD_OUT_FAULTS)
    else:
        reduced_kb, reduced_ranker = reduced
    records = records_out if records_out is not None else []
    for i, case in enumerate(itertools.chain([first], cases)):
        records.append(case_record(case, kb, ranker, (reduced_kb, reduced_ranker)))
        if progress:
            progress(i + 1)
    report = aggregate(records)
    if carobd_dir is not None and carobd_dir.exists():
        report["carobd"] = real_recordings(carobd_dir, kb, ranker)
    return report


def _groups(case: dict) -> list[str]:
    labels = case_labels(case)
    variant = case["truth"].get("variant", "full")
    groups = [
        "all",
        f"variant:{variant}",
        f"severity:{severity_band(case)}",
        f"faults:{0 if labels == [HEALTHY] else len(labels)}",
    ]
    groups.append("profile:held_out" if case.get("profile") == HELD_OUT_PROFILE else "profile:seen")
    groups += [f"fault:{label.partition(':')[0]}" for label in labels if label != HEALTHY]
    return groups


def _after_test(
    d: Diagnosis, labels: list[str], kb: KnowledgeBase, rng: random.Random, ranker: Ranker | None
) -> bool:
    current = d
    if d.next_test is not None:
        result = _simulated_result(d, labels, kb, rng)
        current = answer(d, d.next_test.id, result, kb=kb, model=ranker)
    ranked = _ranked(current)
    return bool(ranked) and ranked[0] in labels


def _abstention(
    case: dict, reduced_kb: KnowledgeBase, reduced_ranker: Ranker, kb: KnowledgeBase, tally: dict
) -> None:
    d = diagnose(case["snapshot"], kb=reduced_kb, model=reduced_ranker)
    tally["n"] += 1
    tally["abstained"] += d.status == "unknown_fault"
    # The baseline never abstains: it lists causes for any code it finds, "no fault" otherwise.
    tally["baseline_abstained"] += 0


def _rate(tally: dict, *keys: str) -> dict[str, Any]:
    n = max(tally["n"], 1)
    return {"n": tally["n"], **{k: round(tally[k] / n, 4) for k in keys}}


def _percentiles(values: list[float]) -> list[float]:
    """[p50, p95] in ms of durations in seconds."""
    if not values:
        return [math.nan, math.nan]
    ordered = sorted(values)
    pick = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000  # noqa: E731
    return [round(pick(0.5), 2), round(pick(0.95), 2)]


def real_recordings(directory: Path, kb: KnowledgeBase, ranker: Ranker | None) -> dict:
    rows = []
    for name, snapshot in recordings(directory):
        d = diagnose(snapshot, kb=kb, model=ranker)
        top = d.causes[0] if d.causes else None
        rows.append(
            {
                "file": name,
                "status": d.status,
                "top": top.cause if top else None,
                "p": top.probability if top else 0.0,
            }
        )
    alarms = [r for r in rows if r["p"] > 0.5]
    return {
        "recordings": len(rows),
        "cause_above_50pct": len(alarms),
        "alarms": alarms,
        "statuses": _count(r["status"] for r in rows),
    }


def _count(items) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for item in items:
        out[item] += 1
    return dict(out)
