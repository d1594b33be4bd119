"""Choosing the build: compiled when present, the twin when forced or when it is missing."""

import subprocess
import sys

import pytest

PROBE = (
    "import obdcore; print(obdcore.BACKEND, obdcore.Decoder('6').decode('7E8 03 41 0D 32')"
    ".value('SPEED'))"
)
# Makes the accelerator unimportable, as on a machine without a C compiler.
HIDE_COMPILED = "import sys; sys.modules['obdcore.protocol._ccore'] = None; "


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )


def test_pure_twin_can_be_forced():
    result = run(PROBE, NOVAEVO_PUREPYTHON="1")
    assert result.stdout.split() == ["pure", "50.0"] and result.stderr == ""


def test_missing_accelerator_falls_back_and_says_so():
    result = run(HIDE_COMPILED + PROBE)
    assert result.stdout.split() == ["pure", "50.0"]
    assert "accelerator not built" in result.stderr


def test_missing_accelerator_is_an_error_when_required():
    result = run(HIDE_COMPILED + PROBE, NOVAEVO_REQUIRE_COMPILED="1")
    assert result.returncode != 0 and "accelerator is required" in result.stderr


def test_compiled_is_the_default_when_built():
    pytest.importorskip("obdcore.protocol._ccore", reason="this run has no compiled build")
    assert run(PROBE).stdout.split() == ["compiled", "50.0"]
