"""Chooses the compiled accelerator or its pure-Python twin (like msgpack's fallback).

``NOVAEVO_PUREPYTHON=1`` forces the twin. ``NOVAEVO_REQUIRE_COMPILED=1`` (set by CI's first
test run) turns a missing accelerator into an ImportError instead of a silent fallback.
"""

import os
import sys

if os.environ.get("NOVAEVO_PUREPYTHON", "") not in ("", "0"):
    from obdcore import _core as core

    BACKEND = "pure"
else:
    try:
        from obdcore import _ccore as core  # type: ignore[no-redef]  # noqa: F401

        BACKEND = "compiled"
    except ImportError as exc:
        if os.environ.get("NOVAEVO_REQUIRE_COMPILED", "") not in ("", "0"):
            raise ImportError(f"the compiled obdcore accelerator is required: {exc}") from exc

        BACKEND = "pure"
        sys.stderr.write("novaevo: obdcore accelerator not built, using the pure-Python "
                         "decoder (slower, same results)\n")
