"""The documented error types of obdcore.

Decoding never raises for bad adapter output: garbage, truncation and adapter messages come
back as typed notices. Errors are raised only for bad *arguments* (a formula that is not
one, a PID table that contradicts itself, an unknown protocol).
"""


class ObdError(Exception):
    """Base class of every error obdcore raises on purpose."""


class FormulaError(ObdError, ValueError):
    """A user formula is not in the documented formula language."""


class TableError(ObdError, ValueError):
    """A PID table row is malformed or contradicts another row."""


class ProtocolError(ObdError, ValueError):
    """An unknown or unsupported ELM327 protocol was named."""
