"""The knowledge base: complete, consistent with the contract and the parts vocabulary, and
every broken file refused with a message naming the file and the entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from diagnostics.kb import KB_DIR, KnowledgeBaseError, cause_part_types, load_kb
from parts.vocabulary import CAUSE_IDS, PART_TYPES
from tests.cause_ids import AGREED_IDS, PER_CYLINDER_IDS


def test_every_agreed_cause_and_more() -> None:
    kb = load_kb()
    assert len(kb.causes) >= 40
    assert set(AGREED_IDS) <= set(kb.causes)
    extra = [c for c in kb.causes.values() if not c.simulated]
    assert extra and all(c.id not in AGREED_IDS for c in extra)
    assert {c.id for c in kb.causes.values() if c.per_cylinder} == PER_CYLINDER_IDS


def test_part_types_are_the_catalogue_vocabulary() -> None:
    table = cause_part_types()
    assert set(CAUSE_IDS) == set(load_kb().causes)
    for cause, pairs in table.items():
        assert pairs, cause
        assert all(code in PART_TYPES for code, _ in pairs), cause
        assert [w for _, w in pairs] == sorted((w for _, w in pairs), reverse=True)


def test_every_cause_is_complete() -> None:
    kb = load_kb()
    for cause in kb.causes.values():
        assert cause.codes and cause.tests and cause.parts, cause.id
        assert cause.explanation.en != cause.explanation.fr
        assert {"codes", "labour"} <= set(cause.sources), cause.id
        for test in cause.tests:  # each confirming test must favour its cause
            t = kb.tests[test]
            expected = t.expected(cause.id)
            assert t.distribution(cause.id)[expected] > t.distribution(None)[expected], test


def test_overheating_and_stop_now() -> None:
    kb = load_kb()
    assert kb.causes["thermostat_stuck_closed"].severity == "stop_now"
    assert kb.causes["coolant_loss"].severity == "stop_now"
    assert kb.causes["loose_gas_cap"].severity == "drive"


def test_cylinder_codes_expand() -> None:
    misfire = load_kb().causes["misfire"]
    assert misfire.codes_for(3)["P0303"] > 0.5
    assert not any(code.endswith("N") for code in misfire.codes_for(None))


def test_without_forgets_causes_and_their_test_rows() -> None:
    kb = load_kb().without({"vacuum_leak"})
    assert "vacuum_leak" not in kb.causes
    assert "vacuum_leak" not in kb.tests["brake_cleaner_intake"].causes


def _broken_copy(tmp_path: Path, file: str, edit) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    data = yaml.safe_load((target / file).read_text())
    edit(data)
    (target / file).write_text(yaml.safe_dump(data, allow_unicode=True))
    return target


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("causes.yaml", lambda d: d["vacuum_leak"].update(codes={"P01": 0.5}), "malformed code"),
        ("causes.yaml", lambda d: d["vacuum_leak"].update(severity="panic"), "vacuum_leak"),
        ("causes.yaml", lambda d: d["vacuum_leak"]["codes"].update(P0171=1.5), "strictly"),
        ("causes.yaml", lambda d: d["vacuum_leak"].update(tests=["teleport"]), "unknown test"),
        ("causes.yaml", lambda d: d["vacuum_leak"].update(engines=["steam"]), "engines"),
        ("causes.yaml", lambda d: d["vacuum_leak"]["findings"].update(ghost=0.5), "finding"),
        ("causes.yaml", lambda d: d["vacuum_leak"].update(labour_hours=[3, 1]), "labour_hours"),
        ("causes.yaml", lambda d: d["vacuum_leak"].pop("explanation"), "explanation"),
        ("causes.yaml", lambda d: d["vacuum_leak"].update(colour="red"), "colour"),
        (
            "tests.yaml",
            lambda d: d["coil_swap"]["causes"].update(gremlin={"stays": 0.5}),
            "unknown cause",
        ),
        (
            "tests.yaml",
            lambda d: d["coil_swap"].update(default={"follows_coil": 0.7, "stays": 0.7}),
            "sum above 1",
        ),
        ("findings.yaml", lambda d: d["lean_idle"].update(op="=="), "lean_idle"),
        ("findings.yaml", lambda d: d["lean_idle"].update(source="rumour"), "unknown source"),
    ],
)
def test_broken_knowledge_base_is_refused(tmp_path: Path, file: str, edit, message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=message):
        load_kb(_broken_copy(tmp_path, file, edit))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="cannot read"):
        load_kb(tmp_path)
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    (target / "tests.yaml").write_text("a: [unclosed")
    with pytest.raises(KnowledgeBaseError, match="not valid YAML"):
        load_kb(target)


def test_diagnostics_never_imports_parts_or_api() -> None:
    import subprocess
    import sys

    code = (
        "import sys, diagnostics.engine, diagnostics.repair, diagnostics.runner, "
        "diagnostics.cli, diagnostics.evaluate; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('parts', 'api')]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
