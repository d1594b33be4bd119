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


# ---------------------------------------------------------------- talking to a dongle


class LinkError(ObdError, OSError):
    """Talking to the adapter failed: the base of every connection error."""


class DeviceNotFound(LinkError):
    """No adapter at the given address, or none found when looking for one."""


class LinkLost(LinkError):
    """The link to the adapter went away (unplugged, out of range, socket closed)."""


class AdapterTimeout(LinkError):
    """The adapter did not finish its answer (no ``>`` prompt) before the deadline."""


class NotAnAdapter(LinkError):
    """Something answers at that address, but it does not behave like an ELM327."""


class NoVehicle(LinkError):
    """The adapter answers but no vehicle does (ignition off, wrong protocol, no car)."""
