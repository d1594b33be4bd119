"""obdcore: talking to a car through an ELM327 dongle, in layers.

- :mod:`obdcore.protocol`: sans-I/O (bytes and a clock in, typed results out): the decoder
  and its compiled twin, the PID table, ISO-TP, the ELM327 framer and session machine;
- :mod:`obdcore.io`: transports, the asyncio client and its synchronous wrapper;
- :mod:`obdcore.reports`: JSON-ready documents (codes, readiness, freeze frames...);
- :mod:`obdcore.cli`: the ``novaevo`` commands (the only place Typer and Rich are used).

Text in, typed results out, no I/O::

    from obdcore import Decoder
    response = Decoder(protocol="6", headers=True).decode("7E8 04 41 0C 1A F8\\r\\r>")
    response.value("RPM")  # 1726.0

``BACKEND`` says whether the compiled accelerator (``"compiled"``) or its pure-Python twin
(``"pure"``) is in use; ``NOVAEVO_PUREPYTHON=1`` forces the twin. ``Client`` and
``SyncClient`` are imported on first use, so that the sans-I/O core loads without asyncio.
"""

from obdcore.errors import (
    AdapterTimeout,
    ArgumentError,
    DeviceNotFound,
    FormulaError,
    LinkError,
    LinkLost,
    NotAnAdapter,
    NoVehicle,
    ObdError,
    ProtocolError,
    TableError,
)
from obdcore.protocol import (
    BACKEND,
    Batch,
    Decoder,
    FieldDef,
    Frame,
    Kind,
    Message,
    Monitor,
    MonitorStatus,
    MonitorTest,
    NegativeResponse,
    Notice,
    PidTable,
    Reading,
    Response,
    compile_formula,
    core,
    encode_pid,
    segment,
    uas_table,
)

# Names of the I/O layer, imported when first asked for (PEP 562).
_LAZY = {
    "Client": "obdcore.io.client",
    "Sample": "obdcore.io.client",
    "Dtc": "obdcore.io.client",
    "FreezeFrame": "obdcore.io.client",
    "Readiness": "obdcore.io.client",
    "SyncClient": "obdcore.io.sync",
    "describe_dtc": "obdcore.io.dtc_texts",
    "explain_dtc": "obdcore.io.dtc_texts",
    "DtcExplanation": "obdcore.io.dtc_texts",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'obdcore' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "BACKEND",
    "AdapterTimeout",
    "Batch",
    "Client",
    "Decoder",
    "DeviceNotFound",
    "Dtc",
    "FieldDef",
    "FormulaError",
    "Frame",
    "FreezeFrame",
    "Kind",
    "LinkError",
    "LinkLost",
    "Message",
    "Monitor",
    "MonitorStatus",
    "MonitorTest",
    "NegativeResponse",
    "NoVehicle",
    "NotAnAdapter",
    "Notice",
    "ObdError",
    "PidTable",
    "ProtocolError",
    "Reading",
    "Readiness",
    "Response",
    "Sample",
    "SyncClient",
    "TableError",
    "ArgumentError",
    "compile_formula",
    "core",
    "describe_dtc",
    "explain_dtc",
    "DtcExplanation",
    "encode_pid",
    "segment",
    "uas_table",
]
