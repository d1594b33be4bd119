"""Chooses the compiled accelerator or its pure-Python twin (like msgpack's fallback).

``NOVAEVO_PUREPYTHON=1`` forces the twin. ``NOVAEVO_REQUIRE_COMPILED=1`` (set by CI's first
test run) turns a missing accelerator into an ImportError instead of a silent fallback.
"""

import importlib
import os
import sys


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _load():
    """Returns ``(module, "compiled" | "pure")``."""
    if _flag("NOVAEVO_PUREPYTHON"):
        return importlib.import_module("obdcore.protocol._core"), "pure"
    try:
        return importlib.import_module("obdcore.protocol._ccore"), "compiled"
    except ImportError as exc:
        if _flag("NOVAEVO_REQUIRE_COMPILED"):
            raise ImportError(f"the compiled obdcore accelerator is required: {exc}") from exc
        sys.stderr.write(
            "novaevo: obdcore accelerator not built, using the pure-Python "
            "decoder (slower, same results)\n"
        )
        return importlib.import_module("obdcore.protocol._core"), "pure"


core, BACKEND = _load()
