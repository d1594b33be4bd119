"""The layers as a user of the package sees them (the import contracts themselves are
checked by ``lint-imports``): the public names at the top, the sans-I/O core loading
without asyncio, a device library or the CLI's."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
import obdcore
from obdcore import Decoder, PidTable, segment
from obdcore.protocol.session import SessionMachine
print(sorted(m for m in ("asyncio", "serial", "bleak", "typer", "rich", "obdcore.io")
             if m in sys.modules))
"""


def test_the_sans_io_core_loads_without_asyncio_devices_or_the_cli():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_public_names_are_the_layers_objects():
    import obdcore
    from obdcore.client import Client
    from obdcore.io.client import Client as LayerClient
    from obdcore.io.sync import SyncClient as LayerSyncClient
    from obdcore.sync import SyncClient

    assert obdcore.Client is Client is LayerClient
    assert obdcore.SyncClient is SyncClient is LayerSyncClient
    assert obdcore.Decoder is obdcore.core.Decoder


def test_an_unknown_top_level_name_is_an_attribute_error():
    import obdcore

    with pytest.raises(AttributeError, match="NoSuchThing"):
        obdcore.NoSuchThing  # noqa: B018
