"""Repair verification: did the fix work? Compare a diagnosis with a snapshot taken after it.

A repair of cause C is *confirmed* when, after the repair: none of the codes C explains is
back (stored or pending), the live findings that spoke for C are back in range, the relevant
Mode 06 tests pass, and a fresh diagnosis no longer ranks C as likely. It is *not confirmed*
when a code or finding of C is back or C still leads; *inconclusive* when the after-snapshot
has neither live data nor completed monitors to judge by (codes just cleared).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from diagnostics.engine import diagnose
from diagnostics.features import extract
from diagnostics.kb import KnowledgeBase, default_kb
from diagnostics.snapshot import Diagnosis, EvidenceItem, Snapshot, Text, load_snapshot

STILL_LIKELY = 0.3


class Verification(BaseModel):
    """The verdict on one repaired cause, with the evidence that decided it."""

    cause: str
    verdict: Literal["confirmed", "not_confirmed", "inconclusive"]
    summary: Text
    evidence: list[EvidenceItem] = Field(default_factory=list)
    after: Diagnosis


def verify(
    diagnosis: Diagnosis,
    after: Snapshot | dict | str,
    *,
    cause: str | None = None,
    kb: KnowledgeBase | None = None,
    model="default",
) -> Verification:
    """Check the repair of ``cause`` (default: the diagnosis' leading cause) against ``after``.

    Raises ValueError when the diagnosis names no cause and none is given;
    :class:`~diagnostics.snapshot.SnapshotError` for an invalid after-snapshot.
    """
    kb = kb or default_kb()
    if not isinstance(after, Snapshot):
        after = load_snapshot(after)
    cause = cause or (diagnosis.causes[0].cause if diagnosis.causes else None)
    if cause is None:
        raise ValueError("the diagnosis names no cause to verify; pass cause=")
    spec = kb.cause(cause)
    f = extract(after)
    fresh = diagnose(after, kb=kb, model=model)
    evidence: list[EvidenceItem] = []
    back = _codes_back(spec, cause, f, evidence)
    abnormal = _findings_back(kb, spec, f, evidence)
    p_after = fresh.posterior.get(cause, 0.0)
    evidence.append(
        _item(
            p_after >= STILL_LIKELY,
            f"after the repair this cause has a probability of {p_after:.0%}",
            f"après réparation cette cause est à {p_after:.0%}",
        )
    )
    judged = bool(f.phases) or bool(f.misfire_counts) or _monitors_complete(after)
    if back or abnormal or p_after >= STILL_LIKELY:
        verdict = "not_confirmed"
    elif not judged:
        verdict = "inconclusive"
    else:
        verdict = "confirmed"
    return Verification(
        cause=cause,
        verdict=verdict,
        summary=_summary(verdict, spec.name),
        evidence=evidence,
        after=fresh,
    )


def _item(bad: bool, en: str, fr: str) -> EvidenceItem:
    return EvidenceItem(source="test", weight=-1.0 if bad else 1.0, text=Text(en=en, fr=fr))


def _codes_back(spec, cause: str, f, evidence: list[EvidenceItem]) -> list[str]:
    cylinder = int(cause.partition(":")[2]) if cause.partition(":")[2].isdigit() else None
    explained = set(spec.codes_for(cylinder))
    back = sorted(explained & f.codes)
    if back:
        evidence.append(
            _item(
                True, f"code(s) back: {', '.join(back)}", f"code(s) revenu(s) : {', '.join(back)}"
            )
        )
    elif f.codes or f.mil_on is not None:
        evidence.append(
            _item(
                False,
                "none of this cause's codes is back",
                "aucun code de cette cause n'est revenu",
            )
        )
    return back


def _findings_back(kb: KnowledgeBase, spec, f, evidence: list[EvidenceItem]) -> list[str]:
    abnormal = []
    for f_id, p in spec.findings.items():
        finding = kb.findings[f_id]
        value = f.get(finding.feature)
        if value is None or p < 0.5:  # only the findings that typically show this cause
            continue
        text = finding.text.model_dump()
        if finding.holds(value):
            abnormal.append(f_id)
            evidence.append(
                _item(
                    True,
                    "still: " + text["en"].format(v=value, t=abs(finding.value)),
                    "toujours : " + text["fr"].format(v=value, t=abs(finding.value)),
                )
            )
        else:
            evidence.append(
                _item(
                    False,
                    "back in range: " + text["en"].format(v=value, t=abs(finding.value)),
                    "revenu à la normale : " + text["fr"].format(v=value, t=abs(finding.value)),
                )
            )
    return abnormal


def _monitors_complete(snapshot: Snapshot) -> bool:
    monitors = snapshot.readiness.since_clear if snapshot.readiness else {}
    available = [m for m in monitors.values() if m.available]
    return bool(available) and all(m.complete for m in available)


def _summary(verdict: str, name) -> Text:
    if verdict == "confirmed":
        return Text(
            en=f"Repair confirmed: {name.en} is fixed.",
            fr=f"Réparation confirmée : {name.fr} est résolu.",
        )
    if verdict == "not_confirmed":
        return Text(
            en=f"Repair not confirmed: {name.en} is still showing.",
            fr=f"Réparation non confirmée : {name.fr} est toujours visible.",
        )
    return Text(
        en="Not enough data after the repair: drive 20 minutes, then check again.",
        fr="Pas assez de données après réparation : roulez 20 minutes puis revérifiez.",
    )
