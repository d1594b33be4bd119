"""The simulator writes the vehicle snapshot without importing diagnostics (the layering
forbids it), so the two could drift apart: every labelled case it generates must load with
the diagnosis engine's own schema, and its faults must be causes the knowledge base knows."""

from __future__ import annotations

import pytest

from diagnostics.kb import load_kb
from diagnostics.snapshot import SCHEMA_VERSION, load_snapshot
from firmware_sim.cases import generate_case
from firmware_sim.profiles import PROFILES


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_generates_cases_the_schema_accepts(profile: str) -> None:
    causes = load_kb().causes
    for seed in (11, 12):
        case = generate_case(seed, profile)
        snapshot = load_snapshot(case["snapshot"])  # raises SnapshotError on any drift
        assert snapshot.schema_version == SCHEMA_VERSION
        for fault in case["truth"]["faults"]:
            assert fault["id"].split(":")[0] in causes
