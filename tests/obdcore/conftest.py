"""Every decoder test runs on each available build: the pure-Python twin always, the
compiled accelerator when it is built (CI's first run requires it; its second run sets
``NOVAEVO_PUREPYTHON=1`` and keeps to the twin)."""

import os

import pytest

from obdcore.protocol import _core

BUILDS = {"pure": _core}
if os.environ.get("NOVAEVO_PUREPYTHON", "") in ("", "0"):
    try:
        from obdcore.protocol import _ccore

        BUILDS["compiled"] = _ccore
    except ImportError:
        if os.environ.get("NOVAEVO_REQUIRE_COMPILED", "") not in ("", "0"):
            raise


@pytest.fixture(params=sorted(BUILDS), ids=lambda name: name)
def core(request):
    """The decoder module under test (``_core`` or ``_ccore``)."""
    return BUILDS[request.param]


@pytest.fixture
def can(core):
    """A decoder for CAN 11-bit 500k with headers on, the common case."""
    return core.Decoder("6", headers=True)


def lines(*texts: str) -> str:
    """An adapter answer: lines separated by CR, then the blank line and the prompt."""
    return "\r".join(texts) + "\r\r>"
