"""Stored diagnoses as response bodies, in one language."""

from __future__ import annotations

from typing import Any

from api.diagnoses.models import Diagnosis, DiagnosisEvent

_RESULT_FIELDS = (
    "status", "summary", "severity", "causes", "next_test", "unexplained", "data_quality",
    "extra_data", "answers", "codes", "engine_type", "symptoms",
)  # fmt: skip


def localize(value: Any, lang: str) -> Any:
    """Every ``{"en": ..., "fr": ...}`` text in ``value`` replaced by its ``lang`` string."""
    if isinstance(value, dict):
        if value.keys() == {"en", "fr"}:
            return value[lang]
        return {k: localize(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [localize(v, lang) for v in value]
    return value


def result_out(result: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """The public part of a stored result (the posterior and per-candidate evidence kept
    for :func:`diagnostics.answer` stay inside)."""
    if result is None:
        return None
    return localize({k: result.get(k) for k in _RESULT_FIELDS}, lang)


def event_out(event: DiagnosisEvent) -> dict[str, Any]:
    data = event.data
    return {
        "kind": event.kind, "at": event.created_at, "test": data.get("test"),
        "result": data.get("result"), "verdict": data.get("verdict"),
        "cause": data.get("cause"), "status": data.get("status"),
        "top_causes": data.get("top_causes", []),
    }  # fmt: skip


def diagnosis_out(row: Diagnosis, events: list[DiagnosisEvent], lang: str) -> dict[str, Any]:
    """A :class:`~api.diagnoses.schemas.DiagnosisOut` body."""
    guided = row.info.get("guided_test")
    return {
        "id": row.id, "vehicle_id": row.vehicle_id, "source": row.source,
        "session_id": row.session_id, "state": row.state, "error": row.error, "lang": lang,
        "diagnosis": result_out(row.result, lang),
        "missing": row.info.get("missing", []),
        "guided_test": localize(guided, lang) if guided else None,
        "history": [event_out(e) for e in events],
        "version": row.version, "created_at": row.created_at, "updated_at": row.updated_at,
    }  # fmt: skip


def summary_out(row: Diagnosis, lang: str) -> dict[str, Any]:
    """A :class:`~api.diagnoses.schemas.DiagnosisSummaryOut` body."""
    result = row.result or {}
    causes = result.get("causes") or []
    summary = result.get("summary")
    return {
        "id": row.id, "vehicle_id": row.vehicle_id, "source": row.source, "state": row.state,
        "status": result.get("status"), "summary": summary[lang] if summary else None,
        "severity": result.get("severity"),
        "top_cause": causes[0]["cause"] if causes and result.get("status") == "fault_found"
        else None,
        "created_at": row.created_at, "updated_at": row.updated_at,
    }  # fmt: skip
