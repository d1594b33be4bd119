"""The sans-I/O layer: bytes (or text) and a clock in, typed results and actions out.

Nothing here reads a device, a socket or a clock, or sleeps: the :mod:`obdcore.io` layer
does that around it. Imports only the standard library, numpy and Cython's shadows (checked
by the import-linter contracts in ``pyproject.toml``).

- :mod:`~obdcore.protocol._core`: the decoder's hot path (pure twin, compiled as ``_ccore``);
  :mod:`~obdcore.protocol._backend` picks one;
- :mod:`~obdcore.protocol.pidtable`, :mod:`~obdcore.protocol.formula`: the PID table as data;
- :mod:`~obdcore.protocol.structured`, :mod:`~obdcore.protocol.kinds`,
  :mod:`~obdcore.protocol.batch`: decoded values, notice kinds, numpy columns;
- :mod:`~obdcore.protocol.isotp`: ISO-TP sending (reassembly runs inside the decoder);
- :mod:`~obdcore.protocol.protocols`, :mod:`~obdcore.protocol.adapter`: bus and adapter facts;
- :mod:`~obdcore.protocol.framer`: the ELM327 prompt framer;
- :mod:`~obdcore.protocol.session`: the ELM327 session as a state machine;
- :mod:`~obdcore.protocol.polling`: which PIDs to ask next; :mod:`~obdcore.protocol.replay`:
  recorded transcripts.
"""

from obdcore.protocol._backend import BACKEND, core
from obdcore.protocol.batch import Batch
from obdcore.protocol.formula import compile_formula
from obdcore.protocol.isotp import segment
from obdcore.protocol.kinds import Kind
from obdcore.protocol.pidtable import FieldDef, PidTable, encode_pid
from obdcore.protocol.structured import (
    Frame,
    Message,
    Monitor,
    MonitorStatus,
    MonitorTest,
    NegativeResponse,
    Notice,
    uas_table,
)

Decoder = core.Decoder
Reading = core.Reading
Response = core.Response

__all__ = [
    "BACKEND",
    "Batch",
    "Decoder",
    "FieldDef",
    "Frame",
    "Kind",
    "Message",
    "Monitor",
    "MonitorStatus",
    "MonitorTest",
    "NegativeResponse",
    "Notice",
    "PidTable",
    "Reading",
    "Response",
    "compile_formula",
    "core",
    "encode_pid",
    "segment",
    "uas_table",
]
