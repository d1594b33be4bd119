"""Diagnosis: from a vehicle snapshot to a ranked, explained, calibrated list of causes.

Public API (loaded lazily so that ``parts`` can read the cause table from
:mod:`diagnostics.kb` without the engine)::

    from diagnostics import diagnose, answer, verify, load_snapshot, guided_test_plan
    diagnosis = diagnose(load_snapshot(path))
    diagnosis = answer(diagnosis, diagnosis.next_test.id, "rpm_changes")
    check = verify(diagnosis, after_snapshot)
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "diagnose": "diagnostics.engine",
    "answer": "diagnostics.engine",
    "verify": "diagnostics.repair",
    "Verification": "diagnostics.repair",
    "guided_test_plan": "diagnostics.plan",
    "load_snapshot": "diagnostics.snapshot",
    "Snapshot": "diagnostics.snapshot",
    "SnapshotError": "diagnostics.snapshot",
    "Diagnosis": "diagnostics.snapshot",
    "load_kb": "diagnostics.kb",
    "KnowledgeBaseError": "diagnostics.kb",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'diagnostics' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
