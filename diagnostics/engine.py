"""``diagnose(snapshot) -> Diagnosis``, ``answer(diagnosis, test, result)``, ``verify(...)``.

The ranking: the knowledge-base rules (:mod:`diagnostics.rules`) give log scores for every
hypothesis; the learned model (:mod:`diagnostics.model`, when its artefact is shipped) gives
class probabilities; both are combined with weights and a temperature fitted on a separate
calibration split, then normalised. The rules always supply the evidence for and against,
whichever ranks a cause first.

Decision: ``no_fault_found`` when "healthy" is the most probable hypothesis;
``unknown_fault`` when "unknown" is, or when the leading cause stays below
:data:`ABSTAIN_BELOW` and "unknown" is more probable than it (see a mechanic rather than a
guess); otherwise ``fault_found``.
"""

from __future__ import annotations

import math
from typing import Any

from diagnostics.features import FEATURE_PHASES, Features, extract
from diagnostics.kb import KnowledgeBase, default_kb
from diagnostics.model import ranked_hypotheses
from diagnostics.rules import HEALTHY, UNKNOWN, score
from diagnostics.snapshot import (
    SEVERITY_ORDER,
    Answer,
    ConfirmingTest,
    Diagnosis,
    EvidenceItem,
    NextTest,
    PartType,
    RankedCause,
    Snapshot,
    Text,
    load_snapshot,
)

TOP_N = 5
ABSTAIN_BELOW = 0.30
KEEP_EVIDENCE_ABOVE = 1e-4  # candidates kept (with evidence) in the diagnosis for answer()
MIN_GAIN_BITS = 0.05
SETTLED_AT = 0.9  # no test is worth asking once one hypothesis has this much
# People get a test wrong now and then: an answer is trusted as P(o|h) mixed with a uniform
# error of this rate, so one wrong answer cannot flip a well-supported ranking.
ANSWER_ERROR = 0.10
FLASHING = "check_engine_flashing"
MISFIRE_CAUSES = {
    "misfire",
    "ignition_coil",
    "worn_spark_plugs",
    "low_compression",
    "clogged_injector",
}


class DiagnosisInputError(ValueError):
    """An answer to an unknown test, an impossible outcome, or a malformed diagnosis."""


def diagnose(
    snapshot: Snapshot | dict | str, *, kb: KnowledgeBase | None = None, model: Any = "default"
) -> Diagnosis:
    """Rank the probable causes of one snapshot (see the module docstring).

    In: a :class:`Snapshot` (or its JSON dict/text). ``kb``: another knowledge base (tests,
    abstention measurement). ``model``: ``"default"`` (the shipped artefact when present),
    ``None`` (rules only) or a :class:`diagnostics.model.Ranker`.
    Raises :class:`~diagnostics.snapshot.SnapshotError` for an invalid snapshot.
    """
    if not isinstance(snapshot, Snapshot):
        snapshot = load_snapshot(snapshot)
    kb = kb or default_kb()
    features = extract(snapshot)
    scores = score(kb, features)
    ranker = _ranker(model, kb)
    if ranker is not None and not ranker.applies(features):
        ranker = None  # outside what the model was trained on: the rules alone rank
    posterior = ranker.posterior(scores, features) if ranker else _softmax(scores.log)
    return _build(kb, features, scores.evidence, scores.unexplained, posterior, [], ranker)


def _ranker(model: Any, kb: KnowledgeBase):
    if model == "default":
        from diagnostics.model import shipped_ranker

        return shipped_ranker(kb)
    return model


def _softmax(log: dict[str, float], temperature: float = 1.0) -> dict[str, float]:
    top = max(log.values())
    weights = {h: math.exp((v - top) / temperature) for h, v in log.items()}
    total = sum(weights.values())
    return {h: w / total for h, w in weights.items()}


def _build(
    kb: KnowledgeBase,
    f: Features,
    evidence: dict[str, list[EvidenceItem]],
    unexplained: list[EvidenceItem],
    posterior: dict[str, float],
    answers: list[Answer],
    ranker: Any = None,
    abstain: bool = True,
) -> Diagnosis:
    ranked = ranked_hypotheses(posterior)
    shown = ranker.shown(ranked) if ranker else dict(ranked)
    kept = {h: p for h, p in ranked if p >= KEEP_EVIDENCE_ABOVE or h in (HEALTHY, UNKNOWN)}
    leading = [(h, shown[h]) for h, _ in ranked if h not in (HEALTHY, UNKNOWN)][:TOP_N]
    causes = [_ranked_cause(kb, h, p, evidence.get(h, []), f) for h, p in leading]
    p_unknown = ranker.unknown_probability(kb, f, ranked, shown) if ranker and abstain else None
    status = _status(f, posterior, causes, kb, p_unknown, ranker)
    if status == "insufficient_data":
        causes = []  # priors only: naming a cause would be a guess
    diagnosis = Diagnosis(
        status=status,
        summary=_summary(status, causes),
        severity="drive",
        causes=causes,
        posterior={h: round(p, 6) for h, p in kept.items()},
        confidence=round(shown[ranked[0][0]], 4),
        unexplained=unexplained if status == "unknown_fault" else [],
        data_quality=f.data_quality,
        answers=answers,
        codes=sorted(f.codes),
        engine_type=f.engine_type,
        symptoms=sorted(f.symptoms),
        evidence={h: evidence.get(h, []) for h in kept if h not in (HEALTHY, UNKNOWN)},
        extra_data=_extra_data(kb, f, causes),
    )
    diagnosis.severity = _overall_severity(diagnosis, f)
    diagnosis.next_test = next_best_test(diagnosis, kb=kb, engine_type=f.engine_type)
    return diagnosis


def _status(
    f: Features,
    posterior: dict[str, float],
    causes: list[RankedCause],
    kb: KnowledgeBase,
    p_unknown: float | None = None,
    ranker: Any = None,
) -> str:
    if not f.has_data:
        return "insufficient_data"
    if (
        p_unknown is not None
        and p_unknown > ranker.abstention.threshold
        and not (causes and _codes_alone_fit(kb, f, causes[0].cause))
    ):
        return "unknown_fault"  # evidence the leading causes do not explain: no guess
    best = max(posterior, key=posterior.get)
    if best == HEALTHY:
        return "no_fault_found"
    if best == UNKNOWN or not causes or _nothing_fits(kb, f, causes[0].cause):
        return "unknown_fault"
    if p_unknown is not None:
        return "fault_found"  # the fitted abstention replaces the fixed threshold below
    if (
        causes[0].probability < ABSTAIN_BELOW
        and posterior.get(UNKNOWN, 0.0) > causes[0].probability
    ):
        return "unknown_fault"  # a weak leader and a stronger "none of these": no guess
    return "fault_found"


def _codes_alone_fit(kb: KnowledgeBase, f: Features, leader: str) -> bool:
    """True for a snapshot of codes only (no live data, no Mode 06) whose every code the
    leading cause sets: then nothing is left unexplained for the abstention to weigh."""
    if f.phases or f.misfire_counts or not f.codes:
        return False
    base, _, cylinder = leader.partition(":")
    table = kb.causes[base].codes_for(int(cylinder) if cylinder.isdigit() else None)
    return f.codes <= set(table)


def _nothing_fits(kb: KnowledgeBase, f: Features, leader: str) -> bool:
    """True when the car reports a powertrain code the knowledge base does not know and the
    leading cause explains none of the codes: the leader is then a guess, not a fit."""
    unknown = {c for c in f.codes if c.startswith("P") and c not in kb.all_codes()}
    if not unknown:
        return False
    base, _, cylinder = leader.partition(":")
    table = kb.causes[base].codes_for(int(cylinder) if cylinder.isdigit() else None)
    return not (set(table) & f.codes)


def _ranked_cause(
    kb: KnowledgeBase, h: str, p: float, evidence: list[EvidenceItem], f: Features
) -> RankedCause:
    cause = kb.cause(h)
    severity = cause.severity
    if FLASHING in f.symptoms and cause.id in MISFIRE_CAUSES:
        severity = "stop_now"  # a flashing MIL = catalyst-damaging misfire
    tests = [
        ConfirmingTest(
            id=t,
            text=Text(**kb.tests[t].text.model_dump()),
            expected=kb.tests[t].expected(cause.id),
        )
        for t in cause.tests
    ]
    ordered = sorted(evidence, key=lambda e: -abs(e.weight))
    return RankedCause(
        cause=h,
        name=Text(**cause.name.model_dump()),
        probability=round(p, 4),
        evidence_for=[e for e in ordered if e.weight > 0][:8],
        evidence_against=[e for e in ordered if e.weight < 0][:5],
        confirming_tests=tests,
        severity=severity,
        part_types=[
            PartType(code=c, weight=w)
            for c, w in sorted(cause.parts.items(), key=lambda kv: -kv[1])
        ],
        labour_hours=cause.labour_hours,
        explanation=Text(**cause.explanation.model_dump()),
    )


def _overall_severity(d: Diagnosis, f: Features) -> str:
    level = "drive"
    if d.status == "unknown_fault" and f.mil_on:
        level = "check_soon"
    for cause in d.causes:
        if cause.probability >= 0.2 and SEVERITY_ORDER[cause.severity] > SEVERITY_ORDER[level]:
            level = cause.severity
    if {"overheating_gauge", FLASHING} & f.symptoms or (f.get("coolant_max") or 0) > 115:
        level = "stop_now"
    return level


_SUMMARY = {
    "no_fault_found": (
        "No fault found: the car looks healthy.",
        "Aucun défaut trouvé : la voiture semble en bon état.",
    ),
    "unknown_fault": (
        "Something is wrong that NovaEvo cannot name with confidence: see a "
        "mechanic, with this report.",
        "Un défaut est présent mais NovaEvo ne peut pas le nommer avec assez de "
        "certitude : consultez un mécanicien avec ce rapport.",
    ),
    "insufficient_data": (
        "Not enough data to diagnose: read the codes and run the guided test.",
        "Pas assez de données : lisez les codes et faites le test guidé.",
    ),
}


def _summary(status: str, causes: list[RankedCause]) -> Text:
    if status == "fault_found":
        top = causes[0]
        return Text(
            en=f"Most likely: {top.name.en} ({top.probability:.0%}).",
            fr=f"Cause la plus probable : {top.name.fr} ({top.probability:.0%}).",
        )
    en, fr = _SUMMARY[status]
    return Text(en=en, fr=fr)


def _extra_data(kb: KnowledgeBase, f: Features, causes: list[RankedCause]) -> list[Text]:
    tips = []
    if not f.phases:
        tips.append(
            Text(
                en="Run the guided test (idle, 2,500 rpm hold, drive): live data "
                "separates causes that set the same code.",
                fr="Faites le test guidé (ralenti, 2 500 tr/min, roulage) : les données "
                "en direct départagent les causes d'un même code.",
            )
        )
    else:
        missing = _missing_phases(kb, f, causes)
        if missing:
            tips.append(
                Text(
                    en=f"Also record these test phases: {', '.join(missing)}.",
                    fr=f"Enregistrez aussi ces phases du test : {', '.join(missing)}.",
                )
            )
    if not f.misfire_counts and not any(k.startswith("m06") for k in f.values):
        tips.append(
            Text(
                en="Read the Mode 06 monitor results (misfire counts, catalyst, O2).",
                fr="Lisez les résultats des moniteurs Mode 06 (ratés, catalyseur, sondes).",
            )
        )
    if f.engine_type is None:
        tips.append(
            Text(
                en="Give the engine type (petrol port / direct injection / turbo / diesel).",
                fr="Indiquez le type de moteur (essence indirecte / directe / turbo, diesel).",
            )
        )
    if not f.symptoms:
        tips.append(
            Text(
                en="Say what the driver notices (rough idle, smoke, loss of power...).",
                fr="Dites ce que remarque le conducteur (ralenti instable, fumée, perte de force).",
            )
        )
    return tips


def _missing_phases(kb: KnowledgeBase, f: Features, causes: list[RankedCause]) -> list[str]:
    wanted: list[str] = []
    for cause in causes[:3]:
        for f_id in kb.cause(cause.cause).findings:
            feature = kb.findings[f_id].feature
            for phase in FEATURE_PHASES.get(feature, ()):
                if phase not in f.phases and phase not in wanted:
                    wanted.append(phase)
    return wanted


# ------------------------------------------------------------------ next best test, answers


def _entropy(ps: list[float]) -> float:
    return -sum(p * math.log2(p) for p in ps if p > 0)


def _base(h: str) -> str | None:
    return None if h in (HEALTHY, UNKNOWN) else h.partition(":")[0]


def _likelihood(test, h: str) -> dict[str, float]:
    """P(answer | h) allowing for :data:`ANSWER_ERROR`."""
    dist = test.distribution(_base(h))
    n = len(test.outcomes)
    return {o: (1 - ANSWER_ERROR) * p + ANSWER_ERROR / n for o, p in dist.items()}


def information_gain(kb: KnowledgeBase, test_id: str, posterior: dict[str, float]) -> float:
    """Expected reduction of the entropy of ``posterior`` (bits) from doing ``test_id``."""
    test = kb.tests[test_id]
    dists = {h: _likelihood(test, h) for h in posterior}
    before = _entropy(list(posterior.values()))
    after = 0.0
    for outcome in test.outcomes:
        joint = {h: p * dists[h][outcome] for h, p in posterior.items()}
        p_outcome = sum(joint.values())
        if p_outcome > 0:
            after += p_outcome * _entropy([j / p_outcome for j in joint.values()])
    return before - after


def next_best_test(
    diagnosis: Diagnosis, *, kb: KnowledgeBase | None = None, engine_type: str | None = None
) -> NextTest | None:
    """The test with the largest expected information gain over the leading hypotheses,
    or None when nothing is worth asking (settled, or nothing separates the leaders)."""
    kb = kb or default_kb()
    if diagnosis.status in ("insufficient_data",) or not diagnosis.posterior:
        return None
    if max(diagnosis.posterior.values()) >= SETTLED_AT:
        return None  # settled: a test could only add the risk of a wrong answer
    leaders = dict(sorted(diagnosis.posterior.items(), key=lambda kv: -kv[1])[:10])
    total = sum(leaders.values())
    leaders = {h: p / total for h, p in leaders.items()}
    done = {a.test for a in diagnosis.answers}
    best, best_gain = None, MIN_GAIN_BITS
    for t_id, test in kb.tests.items():
        if t_id in done or (engine_type and engine_type not in test.engines):
            continue
        if not any(_base(h) in test.causes for h in leaders):
            continue  # same outcome odds under every leader: no information
        gain = information_gain(kb, t_id, leaders)
        if gain > best_gain:
            best, best_gain = t_id, gain
    if best is None:
        return None
    test = kb.tests[best]
    return NextTest(
        id=best,
        text=Text(**test.text.model_dump()),
        outcomes=list(test.outcomes),
        expected_information_gain_bits=round(best_gain, 3),
    )


def answer(
    diagnosis: Diagnosis,
    test: str,
    result: str,
    *,
    kb: KnowledgeBase | None = None,
    model: Any = "default",
) -> Diagnosis:
    """Update ``diagnosis`` with the outcome ``result`` of ``test`` (Bayes' rule on the kept
    posterior). Returns a new Diagnosis; raises :class:`DiagnosisInputError` for an unknown
    test or outcome. ``model``: as for :func:`diagnose` (its calibration of the shown
    probabilities; the live data is not kept in a diagnosis, so the fitted abstention is not
    re-run: the rules' "unknown" and :data:`ABSTAIN_BELOW` decide)."""
    kb = kb or default_kb()
    if test not in kb.tests:
        raise DiagnosisInputError(f"unknown test {test!r}")
    spec = kb.tests[test]
    if result not in spec.outcomes:
        raise DiagnosisInputError(
            f"test {test!r} has outcomes {', '.join(spec.outcomes)}, not {result!r}"
        )
    if not diagnosis.posterior:
        raise DiagnosisInputError("this diagnosis has no ranking to update")
    posterior = {h: p * _likelihood(spec, h)[result] for h, p in diagnosis.posterior.items()}
    total = sum(posterior.values())
    posterior = {h: p / total for h, p in posterior.items()}
    evidence = {h: list(items) for h, items in diagnosis.evidence.items()}
    for h in evidence:
        ratio = spec.distribution(_base(h))[result] / spec.distribution(None)[result]
        if abs(math.log(ratio)) >= 0.4:
            evidence[h].append(
                EvidenceItem(
                    source="test",
                    weight=round(math.log(ratio), 2),
                    text=Text(
                        en=f"{spec.text.en} -> {result.replace('_', ' ')}",
                        fr=f"{spec.text.fr} -> {result.replace('_', ' ')}",
                    ),
                )
            )
    features = Features(
        codes=set(diagnosis.codes),
        data_quality=list(diagnosis.data_quality),
        mil_on=True if diagnosis.codes else None,
        engine_type=diagnosis.engine_type,
        symptoms=set(diagnosis.symptoms),
    )
    features.values = {"answered": 1.0}  # the diagnosis had data: keep it out of "insufficient"
    answers = [*diagnosis.answers, Answer(test=test, result=result)]
    ranker = _ranker(model, kb)
    updated = _build(
        kb, features, evidence, diagnosis.unexplained, posterior, answers, ranker, abstain=False
    )
    updated.extra_data = diagnosis.extra_data
    updated.severity = max(updated.severity, diagnosis.severity, key=SEVERITY_ORDER.get)
    return updated
