"""Rules scoring: naive-Bayes log-likelihoods of every hypothesis from the knowledge base.

Hypotheses are the knowledge base's causes (per-cylinder causes expanded to ``misfire:1``,
``misfire:2``...), plus ``healthy`` (nothing wrong) and ``unknown`` (something is wrong that
no known cause explains). Each piece of evidence multiplies P(hypothesis) by
P(evidence | hypothesis); the log of that ratio against the background is the evidence
item's ``weight`` shown to the user. :func:`score` returns the log scores and the evidence per
hypothesis; the engine turns them into calibrated probabilities.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from diagnostics.features import Features
from diagnostics.kb import Cause, KnowledgeBase
from diagnostics.snapshot import EvidenceItem, Text

HEALTHY = "healthy"
UNKNOWN = "unknown"

# Background probability that a code is set although the hypothesis does not explain it
# (a second fault, a stale code). Healthy cars almost never carry codes.
CODE_BACKGROUND = 0.004
CODE_HEALTHY = 0.001
CODE_REF = 0.02  # common reference of the code log ratios (any constant works)
# "Unknown" explains any code the knowledge base does not know, and abnormal findings in
# general, but weakly: a known cause that fits beats it.
CODE_UNKNOWN_NEW = 0.5
CODE_UNKNOWN_KNOWN = 0.01
FINDING_UNKNOWN = 0.2
SYMPTOM_BACKGROUND = 0.03
SYMPTOM_UNKNOWN = 0.1
SYMPTOM_HEALTHY = 0.01
# Relative prior mass: one cause of prior 1.0 is 1 unit.
PRIOR_HEALTHY = 30.0
PRIOR_UNKNOWN = 1.5
EVIDENCE_MIN = 0.4  # |log ratio| below this is not worth showing
_CYLINDER_CODE = re.compile(r"^P03(0[1-9]|1[0-2])$")
# Data-quality problems of a PID speak for these causes (a broken sensor is evidence).
DQ_CAUSES = {
    "COOLANT_TEMP": ("coolant_sensor_fault",),
    "INTAKE_TEMP": ("iat_sensor_fault",),
    "MAF": ("maf_under_reading", "maf_over_reading"),
    "INTAKE_PRESSURE": ("map_sensor_bias",),
    "THROTTLE_POS": ("tps_fault",),
    "O2_B1S1_VOLTAGE": ("dead_upstream_o2",),
    "O2_B1S2_VOLTAGE": ("dead_downstream_o2",),
    "RPM": ("crank_sensor_intermittent",),
}
DQ_WEIGHT = 2.5


@dataclass
class Scores:
    """Log scores (unnormalised log posteriors) and evidence of each hypothesis."""

    log: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[EvidenceItem]] = field(default_factory=dict)
    unexplained: list[EvidenceItem] = field(default_factory=list)


def applicable(cause: Cause, f: Features) -> bool:
    """False when the car's engine cannot have this cause (a diesel has no spark plugs)."""
    if f.engine_type:
        return f.engine_type in cause.engines
    if f.fuel == "diesel":
        return "diesel" in cause.engines
    if f.fuel == "petrol":
        return any(e != "diesel" for e in cause.engines)
    return True


def hypotheses(kb: KnowledgeBase, f: Features) -> list[tuple[Cause, int | None]]:
    """(cause, cylinder) pairs worth scoring for this car."""
    cylinders = _cylinders(f)
    out = []
    for cause in kb.causes.values():
        if not applicable(cause, f):
            continue
        if cause.per_cylinder:
            out += [(cause, cyl) for cyl in cylinders]
        else:
            out.append((cause, None))
    return out


def _cylinders(f: Features) -> list[int]:
    named = {int(c[3:]) for c in f.codes if _CYLINDER_CODE.match(c)} | set(f.misfire_counts)
    top = max([f.cylinders, *named]) if named else f.cylinders
    return list(range(1, min(top, 12) + 1))


def hypothesis_id(cause: Cause, cylinder: int | None) -> str:
    """``misfire`` + 2 -> ``misfire:2``."""
    return f"{cause.id}:{cylinder}" if cylinder else cause.id


def score(kb: KnowledgeBase, f: Features) -> Scores:
    """Score every hypothesis against the features (see the module docstring)."""
    out = Scores()
    known_codes = kb.all_codes()
    n_cyl = max(len(_cylinders(f)), 1)
    for cause, cylinder in hypotheses(kb, f):
        h = hypothesis_id(cause, cylinder)
        evidence: list[EvidenceItem] = []
        prior = cause.prior / (n_cyl if cause.per_cylinder else 1)
        log = math.log(prior)
        log += _codes(cause.codes_for(cylinder), f, evidence)
        log += _findings(kb, cause.findings, f, evidence)
        log += _symptoms(cause.symptoms, f, evidence)
        log += _cylinder_counts(cause, cylinder, f, evidence)
        log += _data_quality(cause, f, evidence)
        out.log[h] = log
        out.evidence[h] = evidence
    out.log[HEALTHY] = math.log(PRIOR_HEALTHY) + _healthy(kb, f)
    out.evidence[HEALTHY] = []
    out.log[UNKNOWN], out.unexplained = _unknown(kb, f, known_codes)
    out.evidence[UNKNOWN] = out.unexplained
    return out


def without_causes(reduced: KnowledgeBase, f: Features, scores: Scores) -> Scores:
    """The log scores :func:`score` gives under ``reduced`` (the knowledge base without some
    causes), from the full knowledge base's ``scores`` of the same features: the other
    hypotheses' scores do not depend on which causes exist, "unknown"'s does (a code only the
    removed causes listed is now new). No evidence: for training, where only numbers count."""
    log = {
        h: v for h, v in scores.log.items() if h in _KEPT or h.partition(":")[0] in reduced.causes
    }
    log[UNKNOWN] = _unknown(reduced, f, reduced.all_codes())[0]
    return Scores(log=log)


_KEPT = (HEALTHY, UNKNOWN)


def _item(source: str, weight: float, en: str, fr: str) -> EvidenceItem:
    # model_construct: the fields are ours and already valid; this runs thousands of times.
    return EvidenceItem.model_construct(
        source=source, weight=round(weight, 2), text=Text.model_construct(en=en, fr=fr)
    )


def _kind(code: str, f: Features) -> tuple[str, str]:
    if code in f.stored:
        return "stored", "mémorisé"
    return "pending", "en attente"


def _codes(table: dict[str, float], f: Features, evidence: list[EvidenceItem]) -> float:
    log = 0.0
    for code in sorted(f.codes):  # a fixed order: the same float sums in every process
        p = table.get(code)
        if p is None:
            log += math.log(CODE_BACKGROUND / CODE_REF)
            evidence.append(
                _item(
                    "code",
                    math.log(CODE_BACKGROUND / CODE_REF),
                    f"{code} is not explained by this cause",
                    f"{code} n'est pas expliqué par cette cause",
                )
            )
            continue
        weight = math.log(p / CODE_REF)
        log += weight
        en_kind, fr_kind = _kind(code, f)
        evidence.append(
            _item(
                "code",
                weight,
                f"{code} {en_kind}, a code this cause sets",
                f"{code} {fr_kind}, un code que cette cause allume",
            )
        )
    if f.codes or f.mil_on is not None:  # codes were read: the missing ones tell something
        for code, p in table.items():
            if code not in f.codes and p >= 0.3:
                weight = math.log((1 - p) / (1 - CODE_BACKGROUND))
                log += weight
                evidence.append(
                    _item(
                        "code",
                        weight,
                        f"no {code}, which this cause usually sets",
                        f"pas de {code}, que cette cause allume d'habitude",
                    )
                )
    return log


def _findings(
    kb: KnowledgeBase, table: dict[str, float], f: Features, evidence: list[EvidenceItem]
) -> float:
    log = 0.0
    for f_id, p in table.items():
        finding = kb.findings[f_id]
        value = f.get(finding.feature)
        if value is None:
            continue
        true = finding.holds(value)
        weight = math.log(p / finding.p0) if true else math.log((1 - p) / (1 - finding.p0))
        log += weight
        if abs(weight) >= EVIDENCE_MIN:
            evidence.append(_finding_item(finding, value, true, weight))
    return log


def _finding_item(finding, value: float, true: bool, weight: float) -> EvidenceItem:
    en = finding.text.en.format(v=value, t=abs(finding.value))
    fr = finding.text.fr.format(v=value, t=abs(finding.value))
    if not true:
        en, fr = f"not seen: {en}", f"non observé : {fr}"
    source = (
        "mode06"
        if finding.feature.startswith("m06")
        else ("freeze_frame" if finding.feature.startswith("ff_") else "live")
    )
    return _item(source, weight, en, fr)


def _symptoms(table: dict[str, float], f: Features, evidence: list[EvidenceItem]) -> float:
    log = 0.0
    for symptom in sorted(f.symptoms):
        p = table.get(symptom, SYMPTOM_BACKGROUND)
        weight = math.log(p / SYMPTOM_BACKGROUND)
        log += weight
        if abs(weight) >= EVIDENCE_MIN:
            label = symptom.replace("_", " ")
            evidence.append(
                _item(
                    "symptom",
                    weight,
                    f"driver reports: {label}",
                    f"le conducteur signale : {label}",
                )
            )
    return log


def _cylinder_counts(
    cause: Cause, cylinder: int | None, f: Features, evidence: list[EvidenceItem]
) -> float:
    if not cause.per_cylinder or not f.misfire_counts or cylinder is None:
        return 0.0
    count = f.misfire_counts.get(cylinder, 0.0)
    worst = max(f.misfire_counts, key=lambda c: f.misfire_counts[c])
    if count > 5 and worst == cylinder:
        weight = math.log(0.8 / 0.05)
        evidence.append(
            _item(
                "mode06",
                weight,
                f"Mode 06: {count:.0f} misfires on cylinder {cylinder}, the most of any cylinder",
                f"Mode 06 : {count:.0f} ratés sur le cylindre {cylinder}, le plus touché",
            )
        )
        return weight
    if f.misfire_counts[worst] > 5:
        weight = math.log(0.1)
        evidence.append(
            _item(
                "mode06",
                weight,
                f"Mode 06: cylinder {worst} misfires most, not cylinder {cylinder}",
                f"Mode 06 : le cylindre {worst} a le plus de ratés, pas le {cylinder}",
            )
        )
        return weight
    return 0.0


def _data_quality(cause: Cause, f: Features, evidence: list[EvidenceItem]) -> float:
    log = 0.0
    for finding in f.data_quality:
        if cause.id in DQ_CAUSES.get(finding.pid, ()):
            log += DQ_WEIGHT
            evidence.append(
                EvidenceItem(source="data_quality", weight=DQ_WEIGHT, text=finding.text)
            )
    return log


def _healthy(kb: KnowledgeBase, f: Features) -> float:
    log = sum(math.log(CODE_HEALTHY / CODE_REF) for _ in f.codes)
    log += sum(math.log(SYMPTOM_HEALTHY / SYMPTOM_BACKGROUND) for _ in f.symptoms)
    log += len(f.data_quality) * -DQ_WEIGHT
    if f.mil_on:
        log += math.log(0.02)
    return log  # findings: p0 is the background rate, log ratio 0


def _abnormal_findings(kb: KnowledgeBase, f: Features) -> tuple[float, list]:
    """Findings scored as if "something" (unknown) were wrong."""
    log, items = 0.0, []
    for finding in kb.findings.values():
        value = f.get(finding.feature)
        if value is None:
            continue
        true = finding.holds(value)
        p = max(finding.p0, FINDING_UNKNOWN)
        weight = math.log(p / finding.p0) if true else math.log((1 - p) / (1 - finding.p0))
        log += weight
        if true:
            items.append(_finding_item(finding, value, true, weight))
    return log, items


def _unknown(kb: KnowledgeBase, f: Features, known: set[str]) -> tuple[float, list]:
    log = math.log(PRIOR_UNKNOWN)
    items = []
    for code in sorted(f.codes):
        new = code not in known
        p = CODE_UNKNOWN_NEW if new else CODE_UNKNOWN_KNOWN
        log += math.log(p / CODE_REF)
        if new:
            items.append(
                _item(
                    "code",
                    math.log(p / CODE_REF),
                    f"{code} is not in the knowledge base",
                    f"{code} n'est pas dans la base de connaissances",
                )
            )
    log += len(f.symptoms) * math.log(SYMPTOM_UNKNOWN / SYMPTOM_BACKGROUND)
    for finding in f.data_quality:
        log += DQ_WEIGHT / 2
        items.append(EvidenceItem(source="data_quality", weight=DQ_WEIGHT / 2, text=finding.text))
    finding_log, finding_items = _abnormal_findings(kb, f)
    return log + finding_log, items + finding_items
