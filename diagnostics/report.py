"""A diagnosis as text for people (the CLI's default output)."""

from __future__ import annotations

from diagnostics.snapshot import Diagnosis

_SEVERITY = {
    "en": {
        "drive": "drive normally",
        "check_soon": "have it checked soon",
        "stop_now": "STOP DRIVING NOW",
    },
    "fr": {
        "drive": "roulez normalement",
        "check_soon": "à faire vérifier bientôt",
        "stop_now": "ARRÊTEZ-VOUS MAINTENANT",
    },
}
_LABELS = {
    "en": {
        "for": "for",
        "against": "against",
        "check": "check",
        "parts": "parts",
        "labour": "labour",
        "next": "next best test",
        "quality": "data quality",
        "helps": "would help",
    },
    "fr": {
        "for": "pour",
        "against": "contre",
        "check": "vérifier",
        "parts": "pièces",
        "labour": "main-d'œuvre",
        "next": "test suivant conseillé",
        "quality": "qualité des données",
        "helps": "utile",
    },
}


def render(d: Diagnosis, lang: str = "en") -> str:
    """Plain text: summary, severity, causes with evidence, tests, parts, next test."""
    words = _LABELS[lang]
    lines = [getattr(d.summary, lang), f"[{_SEVERITY[lang][d.severity]}]", ""]
    for i, cause in enumerate(d.causes if d.status == "fault_found" else d.causes[:0], 1):
        lines.append(
            f"{i}. {getattr(cause.name, lang)} ({cause.cause}) {cause.probability:.0%}"
            f"  [{_SEVERITY[lang][cause.severity]}]"
        )
        lines.append(f"   {getattr(cause.explanation, lang)}")
        lines += [f"   + {getattr(e.text, lang)}" for e in cause.evidence_for[:4]]
        lines += [f"   - {getattr(e.text, lang)}" for e in cause.evidence_against[:2]]
        lines += [
            f"   {words['check']}: {getattr(t.text, lang)}" for t in cause.confirming_tests[:1]
        ]
        parts = ", ".join(p.code for p in cause.part_types)
        low, high = cause.labour_hours
        lines.append(f"   {words['parts']}: {parts}; {words['labour']}: {low:g}-{high:g} h")
    lines += [f"{words['quality']}: {getattr(q.text, lang)}" for q in d.data_quality]
    if d.next_test:
        lines.append(
            f"{words['next']}: {getattr(d.next_test.text, lang)} "
            f"({' / '.join(d.next_test.outcomes)})"
        )
    lines += [f"{words['helps']}: {getattr(t, lang)}" for t in d.extra_data]
    return "\n".join(lines)
