"""Sans-I/O ELM327 + OBD-II decoding core.

Text in, typed results out, no I/O::

    from obdcore import Decoder
    response = Decoder(protocol="6", headers=True).decode("7E8 04 41 0C 1A F8\\r\\r>")
    response.value("RPM")  # 1726.0

``BACKEND`` says whether the compiled accelerator (``"compiled"``) or its pure-Python twin
(``"pure"``) is in use; ``NOVAEVO_PUREPYTHON=1`` forces the twin.
"""

from obdcore._backend import BACKEND, core
from obdcore.batch import Batch
from obdcore.errors import FormulaError, ObdError, ProtocolError, TableError
from obdcore.formula import compile_formula
from obdcore.kinds import Kind
from obdcore.pidtable import FieldDef, PidTable
from obdcore.structured import (
    Frame,
    Message,
    Monitor,
    MonitorStatus,
    MonitorTest,
    NegativeResponse,
    Notice,
    describe_dtc,
)

Decoder = core.Decoder
Reading = core.Reading
Response = core.Response

__all__ = [
    "BACKEND", "Batch", "Decoder", "FieldDef", "FormulaError", "Frame", "Kind", "Message",
    "Monitor", "MonitorStatus", "MonitorTest", "NegativeResponse", "Notice", "ObdError",
    "PidTable", "ProtocolError", "Reading", "Response", "TableError", "compile_formula",
    "describe_dtc",
]
